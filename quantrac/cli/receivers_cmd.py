"""`quantrac ftp-accounts …`, `receive`, `watch`, `simulate`, `connectivity`: receiving data."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import numpy as np
import typer

from quantrac.cli.common import console, local_time, open_store, table
from quantrac.errors import ConfigError
from quantrac.settings import get_settings

ftp_accounts_app = typer.Typer(
    help="Tài khoản FTP của trạm / doanh nghiệp (FTP accounts).", no_args_is_help=True
)


# --------------------------------------------------------------------------- FTP accounts


@ftp_accounts_app.command("add")
def add_account(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập, ví dụ mã trạm viết thường")],
    station: Annotated[str | None, typer.Option(help="Mã trạm (tài khoản của một trạm)")] = None,
    org: Annotated[str | None, typer.Option(help="Mã doanh nghiệp (tài khoản chung)")] = None,
    home: Annotated[
        str | None, typer.Option(help="Thư mục riêng, tương đối với gốc FTP (mặc định: mã)")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Mật khẩu do người đặt (mặc định: sinh ngẫu nhiên 192 bit — nên dùng)"),
    ] = None,
) -> None:
    """Create an FTP account; a generated password is shown once, never stored in clear."""
    from quantrac.receivers.accounts import create_account

    secret = create_account(
        open_store(),
        username,
        station_code=station,
        organization_code=org,
        home=home,
        password=password,
    )
    console.print(f"[green]Đã tạo tài khoản FTP[/] {username}")
    if password is None:
        console.print(f"Mật khẩu (chỉ hiển thị một lần): [bold]{secret}[/]", highlight=False)


@ftp_accounts_app.command("list")
def list_accounts() -> None:
    """Every FTP account with its home folder and what it may send for."""
    from quantrac.receivers.accounts import list_accounts as accounts

    rows = accounts(open_store())
    console.print(
        table(
            f"Tài khoản FTP ({len(rows)})",
            ["tài khoản", "thư mục", "trạm", "doanh nghiệp", "hoạt động", "tạo lúc"],
            (
                [
                    a.username,
                    a.home,
                    a.station_code,
                    a.organization_code,
                    "có" if a.active else "đã khóa",
                    local_time(a.created_at),
                ]
                for a in rows
            ),
        )
    )


@ftp_accounts_app.command("disable")
def disable_account(username: str) -> None:
    """Refuse further logins (takes effect at the next login, cached or not)."""
    from quantrac.receivers.accounts import set_active

    set_active(open_store(), username, False)
    console.print(f"Đã khóa tài khoản FTP {username}")


@ftp_accounts_app.command("enable")
def enable_account(username: str) -> None:
    """Allow logins again."""
    from quantrac.receivers.accounts import set_active

    set_active(open_store(), username, True)
    console.print(f"Đã mở lại tài khoản FTP {username}")


@ftp_accounts_app.command("passwd")
def reset_password(
    username: str,
    password: Annotated[str | None, typer.Option(help="Mặc định: sinh ngẫu nhiên")] = None,
) -> None:
    """Give an account a new password; the old one stops working at once."""
    from quantrac.receivers.accounts import reset_password as reset

    secret = reset(open_store(), username, password)
    console.print(f"Đã đổi mật khẩu {username}")
    if password is None:
        console.print(f"Mật khẩu mới (chỉ hiển thị một lần): [bold]{secret}[/]", highlight=False)


# --------------------------------------------------------------------------- running receivers


def _wait_for_signal() -> None:
    done = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        done.set()

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, handle)
    done.wait()


def receive() -> None:
    """Run the configured receivers (FTP, folder watcher, MQTT) and the ingest worker,
    without the web API — e.g. as an extra receiver process. Stop with Ctrl-C."""
    from quantrac.receivers.service import ReceiverService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    service = ReceiverService.from_settings(open_store())
    with service:
        for line in service.describe():
            console.print(f"[green]●[/] {line}")
        console.print("Dừng bằng Ctrl-C.")
        _wait_for_signal()
    console.print("Đã dừng.")


def watch(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Thư mục gốc FTP")],
    settle: Annotated[
        float, typer.Option(help="Giây tệp phải đứng yên (kích thước, giờ sửa) trước khi nhận")
    ] = 5.0,
    poll: Annotated[float, typer.Option(help="Chu kỳ quét, giây")] = 1.0,
    keep: Annotated[bool, typer.Option(help="Giữ tệp sau khi nhận (mặc định: xóa)")] = False,
) -> None:
    """Watch the folder tree of an existing FTP server (vsftpd…) and ingest what arrives."""
    from quantrac.cli.common import open_archive
    from quantrac.receivers.watcher import FolderWatcher
    from quantrac.receivers.worker import IngestWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = open_store()
    archive = open_archive(store)
    worker = IngestWorker(store, archive)
    watcher = FolderWatcher(
        store,
        archive,
        folder,
        settle_s=settle,
        poll_s=poll,
        delete=not keep,
        on_archived=worker.wake,
    )
    worker.start()
    watcher.start()
    console.print(f"Đang theo dõi {folder.resolve()} — dừng bằng Ctrl-C.")
    try:
        _wait_for_signal()
    finally:
        watcher.stop()
        worker.stop()


# --------------------------------------------------------------------------- simulator


def simulate(
    stations: Annotated[int, typer.Option(help="Số trạm mô phỏng")] = 10,
    cycles: Annotated[int, typer.Option(help="Số chu kỳ 5 phút (kết thúc ở hiện tại)")] = 3,
    via: Annotated[str, typer.Option(help="ftp | mqtt")] = "ftp",
    host: Annotated[str | None, typer.Option(help="Mặc định: QUANTRAC_FTP_HOST / MQTT")] = None,
    port: Annotated[int | None, typer.Option(help="Mặc định: QUANTRAC_FTP_PORT / MQTT")] = None,
    setup: Annotated[
        bool, typer.Option(help="Tạo trạm và tài khoản FTP còn thiếu trong CSDL")
    ] = True,
    province: Annotated[str, typer.Option(help="Phần tỉnh của mã trạm")] = "SIM",
    every: Annotated[float, typer.Option(help="Giây giữa hai chu kỳ (0: gửi tất cả ngay)")] = 0.0,
    gaps: Annotated[float, typer.Option(help="Tỉ lệ tệp không bao giờ gửi")] = 0.02,
    late: Annotated[float, typer.Option(help="Tỉ lệ tệp gửi muộn 1–3 chu kỳ")] = 0.03,
    concurrency: Annotated[int, typer.Option(help="Số kết nối song song")] = 16,
    tls: Annotated[bool, typer.Option(help="FTPS (FTP qua TLS)")] = False,
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên")] = 0,
) -> None:
    """Send realistic TT10 files for N simulated stations through a real client."""
    from quantrac.codecs.tt10 import VIETNAM_TZ
    from quantrac.receivers.mqtt import parse_broker_url
    from quantrac.receivers.settings import FtpSettings, MqttSettings
    from quantrac.simulator import (
        FtpSender,
        MqttSender,
        cycle_times,
        ensure_accounts,
        ensure_stations,
        make_stations,
        plan,
        send_deliveries,
    )

    sims = make_stations(stations, province=province)
    credentials_file = get_settings().data_dir / "simulator" / "credentials.json"
    if setup:
        store = open_store()
        created = ensure_stations(store, sims)
        console.print(f"Trạm mô phỏng: {len(sims)} ({created} mới)")
    times = cycle_times(datetime.now(VIETNAM_TZ), cycles)
    deliveries = plan(sims, times, np.random.default_rng(seed), p_gap=gaps, p_late=late)
    if via == "ftp":
        ftp = FtpSettings()
        if setup:
            credentials = ensure_accounts(store, sims, credentials_file)
        else:
            from quantrac.simulator.provision import load_credentials

            credentials = load_credentials(credentials_file)
        sender = FtpSender(host or ftp.host, port or ftp.port, credentials, tls=tls)
        send, close = sender.send, None
    elif via == "mqtt":
        mqtt_settings = MqttSettings()
        if not (host and port) and not mqtt_settings.url:
            raise ConfigError("give --host/--port or set QUANTRAC_MQTT_URL")
        broker = parse_broker_url(mqtt_settings.url or f"mqtt://{host}:{port}")
        mqtt_sender = MqttSender(
            host or broker.host, port or broker.port, mqtt_settings.topic_prefix
        )
        send, close = mqtt_sender.send, mqtt_sender.close
    else:
        raise ConfigError(f"--via {via!r}: use ftp or mqtt")
    started = time.perf_counter()
    try:
        report = send_deliveries(
            deliveries,
            send,
            seed=seed,
            concurrency=concurrency,
            round_pause_s=every,
            on_round=lambda r: console.print(f"chu kỳ {r + 1}/{len(times)} đã gửi"),
        )
    finally:
        if close is not None:
            close()
    elapsed = time.perf_counter() - started
    sent = max(report.sent, 1)
    console.print(
        table(
            "Kết quả mô phỏng",
            ["tệp đã gửi", "lỗi", "giá trị", "thời gian", "đăng nhập TB", "tải lên TB"],
            [
                [
                    report.sent,
                    report.failed,
                    report.readings,
                    f"{elapsed:.1f} s",
                    f"{1000 * report.login_s / sent:.1f} ms",
                    f"{1000 * report.upload_s / sent:.1f} ms",
                ]
            ],
        )
    )
    for error in report.errors[:5]:
        console.print(f"[red]{error}[/]")
    if report.failed:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- connectivity


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes = seconds // 60
    if minutes < 1:
        return "< 1 phút"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} ngày {hours} giờ"
    if hours:
        return f"{hours} giờ {mins} phút"
    return f"{mins} phút"


def connectivity(
    station: Annotated[
        list[str] | None, typer.Option(help="Chỉ các trạm này (lặp lại được)")
    ] = None,
    offline: Annotated[bool, typer.Option(help="Chỉ các trạm mất kết nối")] = False,
    record: Annotated[
        bool, typer.Option(help="Ghi sự kiện mất/khôi phục kết nối (như dịch vụ nhận làm)")
    ] = False,
) -> None:
    """Per station: last data, delay, online/offline and today's completeness."""
    from quantrac.connectivity import station_connectivity, update_offline_events

    store = open_store()
    if record:
        changes = update_offline_events(store)
        if changes.opened or changes.closed:
            console.print(
                f"Mất kết nối: {', '.join(changes.opened) or '—'}; "
                f"khôi phục: {', '.join(changes.closed) or '—'}"
            )
    rows = station_connectivity(store, codes=station)
    if offline:
        rows = [r for r in rows if r.online is not True]
    state = {True: "[green]trực tuyến[/]", False: "[red]mất kết nối[/]", None: "chưa kết nối"}
    console.print(
        table(
            f"Kết nối và mức đầy đủ dữ liệu ({len(rows)} trạm)",
            ["trạm", "dữ liệu cuối", "độ trễ", "trạng thái", "đủ dữ liệu hôm nay"],
            (
                [
                    r.code,
                    local_time(r.last_data_at),
                    _duration(r.delay_s),
                    state[r.online],
                    "—"
                    if r.today.percent is None
                    else f"{r.today.percent:.1f} % ({r.today.received}/{r.today.expected})",
                ]
                for r in rows
            ),
        )
    )

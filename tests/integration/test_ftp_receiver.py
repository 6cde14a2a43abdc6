"""The FTP receiver, end to end: a real pyftpdlib server on loopback, a real ftplib client,
the real station files, values read back from the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import ftplib
import io
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from quantrac.archive import Archive
from quantrac.auth.passwords import hash_secret
from quantrac.codecs.tt10 import VIETNAM_TZ
from quantrac.errors import ValidationError
from quantrac.receivers.accounts import (
    CredentialCache,
    create_accounts,
    generate_password,
    safe_home,
    set_active,
)
from quantrac.receivers.ftp import FtpReceiver
from quantrac.receivers.service import ReceiverService
from quantrac.receivers.settings import FtpSettings, IngestSettings
from quantrac.simulator import (
    FtpSender,
    cycle_times,
    ensure_accounts,
    ensure_stations,
    make_stations,
    plan,
    send_deliveries,
)
from quantrac.store.db import Store
from quantrac.store.registry import StationSpec, create_station
from quantrac.store.schema import observation, raw_file, series, station
from tests.conftest import need

REAL = {
    "HN_BKHN_KHIKXQ_20260325000500.txt": "ambient_air",
    "HN_PHCH_NUOPCH_20260203124500.txt": "surface_water",
    "TB_CAPH_NUOSXL_20260325000000.txt": "wastewater",
    "TB_NMAM_KHIAMO_20260325000000.txt": "stack_emission",
}
AIR = "HN_BKHN_KHIKXQ_20260325000500.txt"
RIVER = "HN_PHCH_NUOPCH_20260203124500.txt"


def code_of(name: str) -> str:
    return name.rsplit("_", 1)[0]


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def states(store: Store) -> dict[str, str]:
    with store.read() as conn:
        return {n: s for n, s in conn.execute(select(raw_file.c.name, raw_file.c.state))}


@pytest.fixture
def sqlite_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """For protocol-only tests where PostgreSQL adds nothing (the ingest tests use both)."""
    path = tmp_path / "quantrac.db"
    shutil.copy(sqlite_template, path)
    s = Store(f"sqlite:///{path}")
    yield s
    s.dispose()


def start_service(store: Store, tmp_path: Path, **ftp: object) -> ReceiverService:
    settings = FtpSettings(host="127.0.0.1", port=0, root=tmp_path / "ftp", **ftp)
    service = ReceiverService(
        store,
        Archive(store, tmp_path / "archive"),
        ftp=settings,
        ingest=IngestSettings(poll_s=0.2),
        data_dir=tmp_path,
    )
    service.start()
    return service


@dataclass
class Served:
    store: Store
    service: ReceiverService
    passwords: dict[str, str]  # username → generated password

    @property
    def ftp(self) -> FtpReceiver:
        assert self.service.ftp is not None
        return self.service.ftp


def provision(store: Store) -> dict[str, str]:
    """One station and one station account per real file."""
    for name, medium in REAL.items():
        create_station(
            store, StationSpec(code=code_of(name), name=name, kind="automatic", medium=medium)
        )
    made = create_accounts(
        store, [(code_of(n).lower(), code_of(n), None, None, None) for n in REAL]
    )
    return dict(made)


@pytest.fixture
def served(store: Store, tmp_path: Path) -> Iterator[Served]:
    passwords = provision(store)
    service = start_service(store, tmp_path)
    yield Served(store, service, passwords)
    service.stop()


@pytest.fixture
def served_sqlite(sqlite_store: Store, tmp_path: Path) -> Iterator[Served]:
    passwords = provision(sqlite_store)
    service = start_service(sqlite_store, tmp_path)
    yield Served(sqlite_store, service, passwords)
    service.stop()


def login(service: ReceiverService, user: str, password: str) -> ftplib.FTP:
    assert service.ftp is not None
    host, port = service.ftp.address
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=10)
    ftp.login(user, password)
    return ftp


def upload(ftp: ftplib.FTP, name: str, data: bytes) -> str:
    return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def test_real_files_uploaded_by_their_stations_are_stored(served: Served, tt10_dir: Path) -> None:
    store, service, passwords = served.store, served.service, served.passwords
    for name in REAL:
        user = code_of(name).lower()
        with login(service, user, passwords[user]) as ftp:
            assert upload(ftp, name, (tt10_dir / name).read_bytes()).startswith("226")
    wait_for(lambda: states(store) == dict.fromkeys(REAL, "parsed"))

    with store.read() as conn:
        rows = conn.execute(
            select(station.c.code, series.c.parameter_code, observation.c.value)
            .join(series, series.c.station_id == station.c.id)
            .join(observation, observation.c.series_id == series.c.id)
        ).all()
        senders = set(conn.scalars(select(raw_file.c.sender)))
    values = {(c, p): v for c, p, v in rows}
    assert len(rows) == 26 + 7 + 7 + 5
    assert values[("HN_BKHN_KHIKXQ", "PM25")] == pytest.approx(27.81)
    assert values[("HN_PHCH_NUOPCH", "PH")] == pytest.approx(8.81)
    assert values[("TB_CAPH_NUOSXL", "NH4")] == pytest.approx(2.3308)
    assert values[("TB_NMAM_KHIAMO", "DUST")] == pytest.approx(7.17)
    assert senders == set(passwords)
    # Uploads are removed from the inbox once archived: the inbox is only a queue.
    assert not [p for p in served.ftp.root.rglob("*") if p.is_file()]


def test_the_same_upload_twice_is_archived_and_counted_once(served: Served, tt10_dir: Path) -> None:
    store, service, passwords = served.store, served.service, served.passwords
    user = code_of(RIVER).lower()
    data = (tt10_dir / RIVER).read_bytes()
    with login(service, user, passwords[user]) as ftp:
        assert upload(ftp, RIVER, data).startswith("226")
        assert RIVER in states(store)  # "226 Transfer complete" is sent once archived
        wait_for(lambda: states(store) == {RIVER: "parsed"})
        assert upload(ftp, RIVER, data).startswith("226")
    time.sleep(0.5)
    with store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(raw_file)) == 1
        assert conn.scalar(select(func.count()).select_from(observation)) == 7


def test_an_account_is_jailed_to_its_home(served_sqlite: Served, tmp_path: Path) -> None:
    store, service, passwords = served_sqlite.store, served_sqlite.service, served_sqlite.passwords
    root = served_sqlite.ftp.root
    user, other = code_of(AIR).lower(), code_of(RIVER).lower()
    with login(service, other, passwords[other]) as ftp:  # creates the other station's home
        ftp.mkd("private")
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("not for stations")
    (root / code_of(AIR)).mkdir(exist_ok=True)
    (root / code_of(AIR) / "link").symlink_to(root / code_of(RIVER))

    with login(service, user, passwords[user]) as ftp:
        assert ftp.pwd() == "/"
        for path in ("..", "../..", f"../{code_of(RIVER)}", "/../..", "sub/../..", "link"):
            with pytest.raises(ftplib.error_perm, match=r"^550"):
                ftp.cwd(path)
        for path in (f"/{code_of(RIVER)}", "/etc", str(root)):  # absolute: read inside the home
            with pytest.raises(ftplib.error_perm, match=r"^550"):
                ftp.cwd(path)
        for path in ("../../outside-secret.txt", str(secret), "/etc/passwd", "../quantrac.db"):
            with pytest.raises(ftplib.error_perm, match=r"^550"):
                ftp.retrbinary(f"RETR {path}", lambda _: None)
        for path in ("../escape.txt", f"../{code_of(RIVER)}/planted.txt", "link/planted.txt"):
            with pytest.raises(ftplib.error_perm, match=r"^55"):
                upload(ftp, path, b"x")
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            upload(ftp, str(tmp_path / "escape.txt"), b"x")
        with pytest.raises(ftplib.error_perm, match=r"^550"):
            ftp.nlst("..")
        # Another station's file name: refused before any byte is sent.
        with pytest.raises(ftplib.error_perm, match=r"^553"):
            upload(ftp, RIVER, b"pH\t7\t\t20260203124500\t00\r\n")
        assert ftp.nlst("/") == ["link"]

    assert not list(tmp_path.rglob("escape.txt"))
    assert not list(tmp_path.rglob("planted.txt"))
    assert sorted(p.name for p in (root / code_of(RIVER)).iterdir()) == ["private"]
    assert states(store) == {}


def test_wrong_password_unknown_user_and_disabled_account_are_refused(
    served_sqlite: Served,
) -> None:
    store, service, passwords = served_sqlite.store, served_sqlite.service, served_sqlite.passwords
    user = code_of(AIR).lower()
    host, port = served_sqlite.ftp.address
    set_active(store, code_of(RIVER).lower(), False)
    attempts = [
        (user, passwords[user] + "x"),
        ("nobody", passwords[user]),
        (code_of(RIVER).lower(), passwords[code_of(RIVER).lower()]),
    ]
    for name, password in attempts:
        with ftplib.FTP() as ftp:
            ftp.connect(host, port, timeout=10)
            with pytest.raises(ftplib.error_perm, match=r"^530"):
                ftp.login(name, password)
    # A right password after a wrong one is still accepted (and now served from the cache).
    with login(service, user, passwords[user]) as ftp:
        assert ftp.pwd() == "/"
    with login(service, user, passwords[user]) as ftp:
        assert ftp.pwd() == "/"
    assert len(served_sqlite.ftp.authenticator.cache) == 1


def test_files_left_in_the_inbox_are_archived_on_start_and_passive_ports_are_used(
    sqlite_store: Store, tmp_path: Path, tt10_dir: Path
) -> None:
    passwords = provision(sqlite_store)
    home = tmp_path / "ftp" / code_of(AIR)
    home.mkdir(parents=True)
    shutil.copy(tt10_dir / AIR, home / AIR)  # as a crash between upload and archive leaves it
    (home / f".{RIVER}.quantrac-part").write_bytes(b"half a fi")  # an interrupted upload
    low = 47000 + int(time.time()) % 1000 * 10
    service = start_service(sqlite_store, tmp_path, passive_ports=f"{low}-{low + 9}")
    try:
        wait_for(lambda: states(sqlite_store) == {AIR: "parsed"})
        with sqlite_store.read() as conn:
            assert conn.scalar(select(raw_file.c.sender)) == code_of(AIR).lower()
        assert not (home / AIR).exists()
        assert (home / f".{RIVER}.quantrac-part").exists()  # never archived half a file
        user = code_of(AIR).lower()
        with login(service, user, passwords[user]) as ftp:
            _, port = ftp.makepasv()
            assert low <= port <= low + 9
    finally:
        service.stop()


def test_ftps_upload(sqlite_store: Store, tmp_path: Path, tt10_dir: Path) -> None:
    passwords = provision(sqlite_store)
    try:
        import OpenSSL  # noqa: F401
    except ImportError:
        need(False, "FTPS needs pyOpenSSL")
    cert, key = self_signed(tmp_path)
    service = start_service(sqlite_store, tmp_path, tls_cert=cert, tls_key=key, tls_required=True)
    try:
        assert service.ftp is not None
        host, port = service.ftp.address
        user = code_of(AIR).lower()
        with ftplib.FTP() as plain:  # clear-text login refused when TLS is required
            plain.connect(host, port, timeout=10)
            with pytest.raises(ftplib.error_perm, match=r"^550"):
                plain.login(user, passwords[user])
        import ssl

        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        with ftplib.FTP_TLS(context=context) as ftp:
            ftp.connect(host, port, timeout=10)
            ftp.login(user, passwords[user])
            ftp.prot_p()
            assert upload(ftp, AIR, (tt10_dir / AIR).read_bytes()).startswith("226")
        wait_for(lambda: states(sqlite_store) == {AIR: "parsed"})
    finally:
        service.stop()


def self_signed(folder: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_the_simulator_sends_through_the_server(sqlite_store: Store, tmp_path: Path) -> None:
    stations = make_stations(4)
    ensure_stations(sqlite_store, stations)
    credentials = ensure_accounts(sqlite_store, stations, tmp_path / "credentials.json")
    assert ensure_accounts(sqlite_store, stations, tmp_path / "credentials.json") == credentials
    times = cycle_times(datetime(2026, 3, 25, 8, 3, tzinfo=VIETNAM_TZ), 6)
    deliveries = plan(stations, times, np.random.default_rng(3), p_gap=0.2, p_late=0.2)
    assert len(deliveries) < len(stations) * len(times)  # some gaps
    assert any(d.round > times.index(d.time) for d in deliveries)  # some late files
    service = start_service(sqlite_store, tmp_path)
    try:
        host, port = service.ftp.address  # type: ignore[union-attr]
        report = send_deliveries(
            deliveries, FtpSender(host, port, credentials).send, seed=1, concurrency=4
        )
        assert (report.sent, report.failed) == (len(deliveries), 0)
        wait_for(lambda: list(states(sqlite_store).values()) == ["parsed"] * len(deliveries))
    finally:
        service.stop()
    with sqlite_store.read() as conn:
        assert conn.scalar(select(func.count()).select_from(observation)) == report.readings
        assert report.readings == 10 * len(deliveries)


def test_credential_cache_rules() -> None:
    cache = CredentialCache(max_entries=2, ttl_s=3600)
    cache.remember("a", "pw", "$hash1")
    assert cache.hit("a", "pw", "$hash1")
    assert not cache.hit("a", "other", "$hash1")  # another password
    assert not cache.hit("b", "pw", "$hash1")  # another user
    assert not cache.hit("a", "pw", "$hash2")  # the password was changed: forgotten
    assert not cache.hit("a", "pw", "$hash1")
    for user in ("a", "b", "c"):
        cache.remember(user, "pw", "$h")
    assert len(cache) == 2 and not cache.hit("a", "pw", "$h")  # least recently used went
    expired = CredentialCache(ttl_s=0)
    expired.remember("a", "pw", "$h")
    time.sleep(0.01)
    assert not expired.hit("a", "pw", "$h")
    off = CredentialCache(max_entries=0)
    off.remember("a", "pw", "$h")
    assert not off.hit("a", "pw", "$h")


@pytest.mark.parametrize(
    ("home", "expected"),
    [("HN_A", "HN_A"), ("ent/HN_A/", "ent/HN_A"), ("./x//y", "x/y")],
)
def test_home_folders_are_normalised(home: str, expected: str) -> None:
    assert safe_home(home) == expected


@pytest.mark.parametrize("home", ["", "/etc", "../x", "a/../../b", "~root", ".hidden", "a/.b"])
def test_home_folders_that_could_leave_the_root_are_refused(home: str) -> None:
    with pytest.raises(ValidationError):
        safe_home(home)


def test_machine_passwords_are_cheap_and_people_s_passwords_are_not() -> None:
    from argon2 import extract_parameters

    machine = extract_parameters(hash_secret(generate_password(), machine=True))
    person = extract_parameters(hash_secret("Mật khẩu dễ nhớ 2026", machine=False))
    assert (machine.memory_cost, machine.time_cost) == (8 * 1024, 1)
    assert person.memory_cost >= 64 * 1024 and person.time_cost >= 3
    assert len(generate_password()) >= 32

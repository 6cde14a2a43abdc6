"""All configured receivers in one process, started in a safe order and stopped cleanly.

Order matters for crash recovery: the ingest worker starts first and drains whatever a
previous run archived but did not process; the FTP server then archives whatever its inbox
still holds before it accepts connections; the MQTT subscriber reconnects to its persistent
session and receives what the broker queued meanwhile. Stopping goes the other way: no new
input first, then the worker finishes the file in hand (the rest stays queued).

Run beside the web API by ``quantrac serve``, alone by ``quantrac receive`` or
``python -m quantrac.receivers.service`` (one more receiver process at larger scale).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Protocol

from quantrac.archive import Archive
from quantrac.connectivity import ConnectivitySettings, update_offline_events
from quantrac.receivers.ftp import FtpReceiver
from quantrac.receivers.settings import FtpSettings, IngestSettings, MqttSettings
from quantrac.receivers.stats import StageStats
from quantrac.receivers.watcher import FolderWatcher
from quantrac.receivers.worker import IngestWorker
from quantrac.settings import get_settings
from quantrac.store.db import Store

log = logging.getLogger(__name__)

#: The FTP inbox is re-swept this often for files whose archiving failed (e.g. the database
#: was down); files younger than the age below may still be finishing in their session.
SWEEP_EVERY_S = 60.0
SWEEP_MIN_AGE_S = 60.0


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Ticker:
    """Runs housekeeping tasks periodically in one thread (offline check, inbox re-sweep)."""

    name = "ticker"

    def __init__(self, tasks: list[tuple[str, float, Callable[[], object]]]) -> None:
        self.tasks = tasks
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ticker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        due = dict.fromkeys((name for name, _, _ in self.tasks), time.monotonic())
        while not self._stop.is_set():
            for name, every, task in self.tasks:
                if time.monotonic() >= due[name]:
                    due[name] = time.monotonic() + every
                    try:
                        task()
                    except Exception:
                        log.exception("periodic task %s failed", name)
            self._stop.wait(max(0.0, min(due.values()) - time.monotonic()))


class ReceiverService:
    def __init__(
        self,
        store: Store,
        archive: Archive,
        *,
        ftp: FtpSettings | None = None,
        mqtt: MqttSettings | None = None,
        ingest: IngestSettings | None = None,
        connectivity: ConnectivitySettings | None = None,
        data_dir: Path | None = None,
        stats: StageStats | None = None,
    ) -> None:
        self.store = store
        self.archive = archive
        self.stats = stats or StageStats()
        ingest = ingest or IngestSettings()
        data_dir = data_dir or get_settings().data_dir
        self.worker = IngestWorker(
            store,
            archive,
            threads=ingest.workers,
            processes=ingest.processes,
            poll_s=ingest.poll_s,
            stats=self.stats,
        )
        self.components: list[Component] = [self.worker]
        self.ftp: FtpReceiver | None = None
        self.watcher: FolderWatcher | None = None
        self.mqtt = None
        tasks: list[tuple[str, float, Callable[[], object]]] = []
        if ftp is not None and ftp.enabled:
            self.ftp = FtpReceiver(
                store,
                archive,
                ftp,
                ftp.resolved_root(data_dir),
                on_archived=self.worker.wake,
                stats=self.stats,
            )
            self.components.append(self.ftp)
            ftp_receiver = self.ftp
            tasks.append(("ftp-sweep", SWEEP_EVERY_S, lambda: ftp_receiver.sweep(SWEEP_MIN_AGE_S)))
        if ftp is not None and ftp.watch_dir is not None:
            self.watcher = FolderWatcher(
                store,
                archive,
                ftp.watch_dir,
                settle_s=ftp.watch_settle_s,
                poll_s=ftp.watch_poll_s,
                delete=ftp.watch_delete,
                on_archived=self.worker.wake,
                stats=self.stats,
            )
            self.components.append(self.watcher)
        if mqtt is not None and mqtt.url:
            from quantrac.receivers.mqtt import MqttSubscriber

            self.mqtt = MqttSubscriber(
                archive, mqtt, on_archived=self.worker.wake, stats=self.stats
            )
            self.components.append(self.mqtt)
        if connectivity is not None:
            conn_settings = connectivity
            tasks.append(
                (
                    "offline-check",
                    connectivity.check_every_s,
                    lambda: update_offline_events(store, settings=conn_settings),
                )
            )
        if tasks:
            self.components.append(Ticker(tasks))
        self._started: list[Component] = []

    @classmethod
    def from_settings(cls, store: Store, archive: Archive | None = None) -> ReceiverService:
        """Whatever the environment configures (QUANTRAC_FTP_*, _MQTT_*, _INGEST_*, …)."""
        settings = get_settings()
        return cls(
            store,
            archive or Archive(store, settings.data_dir / "archive"),
            ftp=FtpSettings(),
            mqtt=MqttSettings(),
            ingest=IngestSettings(),
            connectivity=ConnectivitySettings(),
            data_dir=settings.data_dir,
        )

    def start(self) -> None:
        try:
            for component in self.components:
                component.start()
                self._started.append(component)
                log.info("started %s", component.name)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        while self._started:
            component = self._started.pop()
            try:
                component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
        for stage, figure in self.stats.snapshot().items():
            log.info(
                "%s: %d in %.1f s (%.2f ms each)",
                stage,
                figure.count,
                figure.seconds,
                figure.mean_ms,
            )

    def describe(self) -> list[str]:
        """One line per running receiver, for the console."""
        lines = []
        if self.ftp is not None:
            host, port = self.ftp.address
            tls = " (FTPS)" if self.ftp.settings.tls_cert else ""
            lines.append(f"FTP{tls} {host}:{port} → {self.ftp.root}")
        if self.watcher is not None:
            lines.append(f"theo dõi thư mục {self.watcher.root}")
        if self.mqtt is not None:
            lines.append(
                f"MQTT {self.mqtt.broker.host}:{self.mqtt.broker.port} "
                f"({self.mqtt.settings.topic_prefix}/<trạm>/tt10|json)"
            )
        unit = "tiến trình" if self.worker.processes else "luồng"
        lines.append(f"xử lý: {self.worker.threads} {unit}")
        return lines

    def __enter__(self) -> ReceiverService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_until_signalled(service: ReceiverService) -> None:
    """Start, wait for SIGINT/SIGTERM, stop cleanly."""
    done = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with service:
            for line in service.describe():
                log.info(line)
            done.wait()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def open_configured_store() -> Store:
    """The configured store, migrated and with the catalogue loaded (as the CLI does)."""
    from quantrac.store.catalog_sync import sync_catalog
    from quantrac.store.migrate import current_revision, head_revision, upgrade

    store = Store.from_settings()
    if current_revision(store) != head_revision(store):
        upgrade(store)
        sync_catalog(store)
    return store


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    store = open_configured_store()
    run_until_signalled(ReceiverService.from_settings(store))


if __name__ == "__main__":
    main()

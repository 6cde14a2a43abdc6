"""Sending simulated files through real clients: ftplib to an FTP server, paho to a broker.

Each station logs in with its own account for each file, as dataloggers do (the login is
part of what a national cycle costs). Sending runs in a thread pool; every attempt is timed
so the benchmark can say how long the login and the upload took from the client's side.
"""

from __future__ import annotations

import ftplib
import io
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from quantrac.simulator.model import Delivery, SimStation, tt10_file


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    readings: int = 0
    login_s: float = 0.0
    upload_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(
        self, ok: bool, login_s: float, upload_s: float, readings: int, error: str = ""
    ) -> None:
        with self._lock:
            if ok:
                self.sent += 1
                self.readings += readings
            else:
                self.failed += 1
                if len(self.errors) < 20:
                    self.errors.append(error)
            self.login_s += login_s
            self.upload_s += upload_s


class FtpSender:
    def __init__(
        self,
        host: str,
        port: int,
        credentials: dict[str, str],
        *,
        tls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = host, port
        self.credentials = credentials
        self.tls = tls
        self.timeout = timeout

    def send(self, station: SimStation, name: str, data: bytes) -> tuple[float, float]:
        """Log in, upload, quit; returns (login seconds, upload seconds). Raises on failure."""
        start = time.perf_counter()
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # simulator only: self-signed test servers
            ftp: ftplib.FTP = ftplib.FTP_TLS(context=context, timeout=self.timeout)
        else:
            ftp = ftplib.FTP(timeout=self.timeout)
        try:
            ftp.connect(self.host, self.port)
            ftp.login(station.username, self.credentials[station.username])
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()
            logged_in = time.perf_counter()
            ftp.storbinary(f"STOR {name}", io.BytesIO(data))
            done = time.perf_counter()
            ftp.quit()
        finally:
            ftp.close()
        return logged_in - start, done - logged_in


class MqttSender:
    """Publishes each file as a TT10 payload on ``<prefix>/<station>/tt10``, QoS 1."""

    def __init__(self, host: str, port: int, prefix: str = "quantrac") -> None:
        import paho.mqtt.client as mqtt

        self.prefix = prefix.strip("/")
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, station: SimStation, name: str, data: bytes) -> tuple[float, float]:
        start = time.perf_counter()
        info = self.client.publish(f"{self.prefix}/{station.code}/tt10", data, qos=1)
        info.wait_for_publish(timeout=30)
        if not info.is_published():
            raise TimeoutError("broker did not acknowledge the message")
        return 0.0, time.perf_counter() - start

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


Sender = Callable[[SimStation, str, bytes], tuple[float, float]]


def send_deliveries(
    deliveries: Sequence[Delivery],
    send: Sender,
    *,
    seed: int = 0,
    concurrency: int = 16,
    retries: int = 2,
    round_pause_s: float = 0.0,
    on_round: Callable[[int], None] | None = None,
) -> SendReport:
    """Send every delivery, round by round, `concurrency` at a time; a failed send is retried
    (a datalogger keeps its files and tries again)."""
    report = SendReport()
    rounds = sorted({d.round for d in deliveries})
    with ThreadPoolExecutor(concurrency) as pool:
        for r in rounds:
            batch = [d for d in deliveries if d.round == r]
            list(pool.map(lambda d: _send_one(d, send, seed, retries, report), batch))
            if on_round is not None:
                on_round(r)
            if round_pause_s and r != rounds[-1]:
                time.sleep(round_pause_s)
    return report


def _send_one(d: Delivery, send: Sender, seed: int, retries: int, report: SendReport) -> None:
    # The file is a function of (station, time, seed): a retry sends the same bytes.
    rng = np.random.default_rng(
        [seed, int(d.time.timestamp()), zlib.crc32(d.station.code.encode())]
    )
    name, data = tt10_file(d.station, d.time, rng)
    n_readings = data.count(b"\n")
    error = ""
    for attempt in range(retries + 1):
        try:
            login_s, upload_s = send(d.station, name, data)
        except (OSError, EOFError, ftplib.Error) as e:
            error = f"{name}: {e}"
            time.sleep(0.2 * (attempt + 1))
            continue
        report.add(True, login_s, upload_s, n_readings)
        return
    report.add(False, 0.0, 0.0, 0, error)

"""The FTP server stations upload Circular 10/2021 files to (pyftpdlib, optional FTPS).

- **One account per station or enterprise** (`ftp_account`), each jailed to its home folder
  under the FTP root: any path with a ``..`` component is refused outright, absolute paths are
  read inside the home (``/`` is the home), and symlinks leading out are refused by pyftpdlib's
  real-path check. A station account may upload only files whose TT10 name is its own station
  (an enterprise account: its organization's stations), so one login cannot write another
  station's data. Logins go through `accounts.Authenticator` (argon2id + a verified-login cache).
- **"Received" means archived.** An upload is written under a hidden ``.<name>.quantrac-part``
  name; when the transfer completes, it is renamed to its real name, archived, removed — and only
  then does the client get ``226``. If archiving fails the client gets ``451`` and the file stays
  in the inbox. The inbox is therefore a durable queue: on start every file left in any home
  (a crash between rename and archive) is archived, and the archive recognises repeats.
- **One thread per session** (pyftpdlib's ThreadedFTPServer): the argon2 check and the archive's
  fsync block only their own session, and argon2 runs outside the GIL, so both cores hash.
  Parsing never happens here — the ingest worker is woken instead (worker.py).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import ThreadedFTPServer

from quantrac.archive import Archive
from quantrac.codecs.tt10 import parse_filename
from quantrac.errors import CodecError, ConfigError
from quantrac.receivers.accounts import (
    Authenticator,
    CredentialCache,
    FtpAccount,
    allowed_stations,
    list_accounts,
)
from quantrac.receivers.inbox import PART_SUFFIX, in_progress, take_file, waiting_files
from quantrac.receivers.settings import FtpSettings
from quantrac.receivers.stats import StageStats
from quantrac.store.db import Store

log = logging.getLogger(__name__)

#: e: change folder, l: list, r: download, m: make folder (loggers make date folders),
#: w: upload, f: rename (loggers that upload as .tmp and rename). No delete, no append.
PERMISSIONS = "elrmwf"


@dataclass(frozen=True, slots=True)
class Session:
    """What a logged-in session may do, fixed at login."""

    account: FtpAccount
    home: Path
    stations: frozenset[str] | None  # None: any station (a relay account)


class FtpReceiver:
    """Owns the listening server, its thread, the inbox sweep and the accounts' homes."""

    name = "ftp"

    def __init__(
        self,
        store: Store,
        archive: Archive,
        settings: FtpSettings,
        root: Path,
        *,
        on_archived: Callable[[], None] | None = None,
        stats: StageStats | None = None,
    ) -> None:
        self.store = store
        self.archive = archive
        self.settings = settings
        self.root = Path(root).resolve()
        self.on_archived = on_archived or (lambda: None)
        self.stats = stats or StageStats()
        self.authenticator = Authenticator(
            store,
            CredentialCache(settings.credential_cache_size, settings.credential_cache_ttl_s),
        )
        self._server: ThreadedFTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _quiet_pyftpdlib()
        swept = self.sweep()
        if swept:
            log.info("FTP inbox: archived %d file(s) left from a previous run", swept)
        handler = self._handler_class()
        self._server = _Server((self.settings.host, self.settings.port), handler, IOLoop())
        self._server.max_cons = self.settings.max_connections
        self._server.max_cons_per_ip = self.settings.max_connections_per_ip
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="ftp-server", daemon=True)
        self._thread.start()
        log.info("FTP server on %s:%d, root %s", *self.address, self.root)

    def _serve(self) -> None:
        server = self._server
        if server is None:
            return
        try:
            while not self._stop.is_set():
                server.serve_forever(timeout=0.2, blocking=False, handle_exit=False)
        finally:
            server.close_all()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = self._server = None

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("the FTP server is not running")
        host, port = self._server.address
        return str(host), int(port)

    # the inbox ------------------------------------------------------------------------------
    def sweep(self, min_age_s: float = 0.0) -> int:
        """Archive every complete file left in any home; returns how many.

        At start (`min_age_s` 0) this takes what a crash left; run periodically with a minimum
        age it retries files whose archiving failed, without racing uploads still finishing.
        """
        homes = sorted(
            ((self.root / a.home, a) for a in list_accounts(self.store)),
            key=lambda pair: len(pair[0].parts),
            reverse=True,
        )
        taken = 0
        for path in waiting_files(self.root, min_age_s):
            owner = next((a for home, a in homes if path.is_relative_to(home)), None)
            try:
                take_file(
                    self.archive,
                    path,
                    source="ftp",
                    sender=owner.username if owner else None,
                    station_code=owner.station_code if owner else None,
                )
            except FileNotFoundError:
                continue  # taken meanwhile by its upload session
            except OSError as e:
                log.error("FTP inbox: cannot archive %s: %s", path, e)
                continue
            taken += 1
        if taken:
            self.on_archived()
        return taken

    def archive_upload(self, session: Session, path: Path) -> None:
        """Archive a completed upload, then remove it (raises if it could not be archived)."""
        size = path.stat().st_size
        if size > self.settings.max_upload_bytes:
            path.unlink(missing_ok=True)
            raise UploadRefused(f"552 File larger than {self.settings.max_upload_bytes} bytes.")
        with self.stats.timed("archive"):
            take_file(
                self.archive,
                path,
                source="ftp",
                sender=session.account.username,
                station_code=session.account.station_code,
            )

    def refusal(self, session: Session, name: str) -> str | None:
        """Why this account may not upload a file of this name, or None.

        Only the file name is read (no content): a TT10 name states its station, and a station
        account writing another station's name is how one login would forge another's data.
        Names that are not TT10 names pass; the pipeline then uses the account's station or
        quarantines the file.
        """
        if session.stations is None or in_progress(name):
            return None
        try:
            station = parse_filename(name).station_key
        except CodecError:
            return None
        if station in session.stations:
            return None
        return f"553 File name is for station {station}, not for this account."

    # pyftpdlib wiring ---------------------------------------------------------------------------
    def login(self, username: str, password: str) -> Session | None:
        with self.stats.timed("login"):
            account = self.authenticator.check(username, password)
        if account is None:
            return None
        home = (self.root / account.home).resolve()
        if not home.is_relative_to(self.root):
            log.error("FTP account %s: home %s leaves the FTP root", username, account.home)
            return None
        home.mkdir(parents=True, exist_ok=True)
        return Session(account, home, allowed_stations(self.store, account))

    def _handler_class(self) -> type[FTPHandler]:
        s = self.settings
        attrs: dict[str, Any] = {
            "receiver": self,
            "authorizer": _Authorizer(self),
            "abstracted_fs": _JailedFS,
            "banner": "quantrac FTP ready.",
            "passive_ports": s.passive_port_list(),
            "masquerade_address": s.masquerade_address,
            "permit_foreign_addresses": False,
            "use_sendfile": False,
        }
        if s.tls_cert is None:
            attrs["dtp_handler"] = _ArchivingDTP
            return type("QuantracFtpHandler", (_UploadHandlerMixin, FTPHandler), attrs)
        try:
            from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler
        except ImportError:
            raise ConfigError(
                "FTPS needs pyOpenSSL: pip install pyOpenSSL (QUANTRAC_FTP_TLS_CERT is set)"
            ) from None
        dtp = type("QuantracTlsDtp", (_ArchiveOnCloseMixin, TLS_DTPHandler), {})
        attrs.update(
            dtp_handler=dtp,
            certfile=str(s.tls_cert),
            keyfile=str(s.tls_key) if s.tls_key else None,
            tls_control_required=s.tls_required,
            tls_data_required=s.tls_required,
            ssl_context=None,
        )
        return type("QuantracFtpsHandler", (_UploadHandlerMixin, TLS_FTPHandler), attrs)


class UploadRefused(Exception):
    """An upload the server will not keep; the message is the FTP reply."""


class _Server(ThreadedFTPServer):
    """pyftpdlib keeps the stop flag and lock on the class; give each server its own, so two
    servers in one process (tests, a TLS and a plain listener) do not stop each other."""

    def __init__(self, address: tuple[str, int], handler: type, ioloop: IOLoop) -> None:
        self._exit = threading.Event()
        self._lock = threading.Lock()
        super().__init__(address, handler, ioloop=ioloop)


class _Authorizer(DummyAuthorizer):
    """Accounts from the database; the session is remembered on the handler."""

    def __init__(self, receiver: FtpReceiver) -> None:
        super().__init__()
        self.receiver = receiver
        self._homes: dict[str, str] = {}

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        session = self.receiver.login(username, password)
        if session is None:
            raise AuthenticationFailed("Authentication failed.")
        handler.session = session
        self._homes[username] = str(session.home)

    def get_home_dir(self, username: str) -> str:
        return self._homes[username]

    def has_user(self, username: str) -> bool:
        return username in self._homes

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        return perm in PERMISSIONS

    def get_perms(self, username: str) -> str:
        return PERMISSIONS

    def get_msg_login(self, username: str) -> str:
        return "Login successful."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."


class _JailedFS(AbstractedFS):
    """The home folder as the whole world; uploads go to a hidden part file first."""

    def __init__(self, root: str, cmd_channel: Any) -> None:
        super().__init__(root, cmd_channel)
        self._outside = str(Path(root).resolve().parent)
        self.uploads: dict[str, str] = {}  # part file → final path

    def ftp2fs(self, ftppath: str) -> str:
        # A path naming '..' is refused even where it would stay inside the home: the rule is
        # simpler to state, audit and test than "may climb but not out". The parent of the home
        # is what pyftpdlib's validpath() then rejects with 550.
        if ".." in PurePosixPath(ftppath.replace("\\", "/")).parts:
            return self._outside
        return str(super().ftp2fs(ftppath))

    def open(self, filename: str, mode: str) -> Any:
        target = Path(filename)
        if "w" not in mode or in_progress(target.name):
            return super().open(filename, mode)
        part = target.with_name(f".{target.name}{PART_SUFFIX}")
        handle = part.open(mode)  # pyftpdlib closes it when the transfer ends
        self.uploads[str(part)] = filename
        return handle


class _UploadHandlerMixin:
    """The control connection: name checks before a transfer, archiving after one."""

    receiver: FtpReceiver
    session: Session
    fs: _JailedFS
    _last_response: str
    _rnfr: str | None
    respond: Callable[[str], None]

    def ftp_STOR(self, file: str, mode: str = "w") -> Any:  # noqa: N802 - pyftpdlib's name
        refusal = self.receiver.refusal(self.session, Path(file).name)
        if refusal:
            self.respond(refusal)
            return None
        return super().ftp_STOR(file, mode)  # type: ignore[misc]

    def ftp_RNTO(self, path: str) -> Any:  # noqa: N802 - pyftpdlib's name
        refusal = self.receiver.refusal(self.session, Path(path).name)
        if refusal:
            self._rnfr = None
            self.respond(refusal)
            return None
        result = super().ftp_RNTO(path)  # type: ignore[misc]
        if self._last_response.startswith("250") and not in_progress(Path(path).name):
            # A logger that uploads "x.tmp" then renames: the rename completes the upload.
            self.finish(path)
        return result

    def finish(self, path: str) -> str | None:
        """Archive `path` (a complete upload); the FTP error reply if that failed."""
        try:
            self.receiver.archive_upload(self.session, Path(path))
        except UploadRefused as e:
            return str(e)
        except Exception:
            log.exception("FTP: archiving %s failed; it stays in the inbox", path)
            return "451 Requested action aborted: local error in processing."
        return None

    def finish_upload(self, part: str) -> str | None:
        """The transfer into `part` is complete: give it its name, archive it, remove it."""
        final = Path(self.fs.uploads.pop(part, part))
        if str(final) != part:
            Path(part).replace(final)
        if in_progress(final.name):
            return None  # kept until renamed (ftp_RNTO)
        return self.finish(str(final))

    def on_file_received(self, file: str) -> None:
        self.receiver.on_archived()

    def on_incomplete_file_received(self, file: str) -> None:
        # The client gave up or was cut off: nothing was acknowledged, so nothing is kept.
        self.fs.uploads.pop(file, None)
        if file.endswith(PART_SUFFIX):
            with contextlib.suppress(OSError):
                Path(file).unlink()


class _ArchiveOnCloseMixin:
    """Archive before pyftpdlib answers 226, so "226 Transfer complete" means archived."""

    _finished_upload = False
    _closed: bool
    receive: bool
    transfer_finished: bool
    file_obj: Any
    cmd_channel: Any
    _resp: tuple[str, Any]

    def close(self) -> None:
        if (
            not self._closed
            and not self._finished_upload
            and self.receive
            and self.transfer_finished
            and self.file_obj is not None
        ):
            self._finished_upload = True
            self.file_obj.close()
            error = self.cmd_channel.finish_upload(self.file_obj.name)
            if error:
                self._resp = (error, log.warning)
                self.transfer_finished = False
        super().close()  # type: ignore[misc]


class _ArchivingDTP(_ArchiveOnCloseMixin, DTPHandler):
    pass


def _quiet_pyftpdlib() -> None:
    """pyftpdlib logs every command at INFO and configures logging itself when nothing has;
    keep its chatter at WARNING under quantrac's own logging."""
    logger = logging.getLogger("pyftpdlib")
    logger.setLevel(logging.WARNING)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())

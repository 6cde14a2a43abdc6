"""FTP accounts: one per station or per enterprise, each with its own home folder.

Passwords are stored as argon2id hashes only. Argon2 is slow on purpose, and a national
5-minute cycle is 5,000 logins (one per station) — at the library's default cost (64 MiB,
t=3, ~145 ms on this 2-core machine) that is ~6 minutes of CPU per cycle. Two measures, each
safe on its own terms:

1. **Machine passwords get a cheaper parameter set.** A password quantrac generates has 192
   random bits; no offline guessing reaches it, whatever the hash cost, so argon2id with 8 MiB
   and t=1 (~8 ms) protects it as well as the default does. A password a person chose (given
   with ``--password``) keeps the default cost, because it may be guessable. The hash string
   records its own parameters, so both kinds verify the same way.
2. **A bounded cache of recently verified logins.** The key is HMAC-SHA256(username, password)
   under a random key that lives only in this process's memory, the value the stored hash it
   was checked against and an expiry. A hit costs microseconds; changing or disabling the
   account takes effect at once (the stored hash is compared, the account re-read). Trade-off:
   someone who can read this process's memory gets fast-to-test password digests — but such a
   reader also sees every password as it arrives, so the cache adds little; nothing fast ever
   reaches the disk, and failed logins are never cached (wrong guesses always pay full price).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePosixPath

from sqlalchemy import Connection, RowMapping, insert, select, update

from quantrac.auth.passwords import MACHINE_HASHER, hash_secret, verify_password
from quantrac.errors import ConflictError, UnknownOrganization, UnknownStation, ValidationError
from quantrac.store.db import Store, now_s
from quantrac.store.schema import ftp_account, organization, station

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
GENERATED_PASSWORD_BYTES = 24  # 192 bits


@dataclass(frozen=True, slots=True)
class FtpAccount:
    id: int
    username: str
    password_hash: str
    home: str
    station_code: str | None
    organization_code: str | None
    active: bool
    created_at: int


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def safe_home(home: str) -> str:
    """A home relative to the FTP root, normalised; refuses anything that could leave it."""
    text = home.strip().replace("\\", "/")
    path = PurePosixPath(text)
    if not text or path.is_absolute() or ".." in path.parts or text.startswith("~"):
        raise ValidationError(
            "invalid home folder", [("home", f"{home!r} must be relative, without '..'")]
        )
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts or any(p.startswith(".") for p in parts):
        raise ValidationError(
            "invalid home folder", [("home", f"{home!r} must name a folder not starting with '.'")]
        )
    return "/".join(parts)


def create_account(
    store: Store,
    username: str,
    *,
    station_code: str | None = None,
    organization_code: str | None = None,
    home: str | None = None,
    password: str | None = None,
) -> str:
    """Create an account; returns the password (generated unless given — shown once)."""
    ((_, secret),) = create_accounts(
        store,
        [(username, station_code, organization_code, home, password)],
    )
    return secret


def create_accounts(
    store: Store,
    specs: Iterable[tuple[str, str | None, str | None, str | None, str | None]],
) -> list[tuple[str, str]]:
    """Create many accounts in one transaction: (username, station, org, home, password).

    Returns (username, password) pairs. Hashing runs before the transaction opens, in
    argon2's own C code, so a batch of thousands does not hold the database.
    """
    checked = []
    for username, station_code, organization_code, home, password in specs:
        if not USERNAME_PATTERN.match(username):
            raise ValidationError(
                "invalid FTP account",
                [("username", f"{username!r}: letters, digits, '_', '.', '-'; at most 64")],
            )
        if station_code is None and organization_code is None and home is None:
            raise ValidationError(
                "invalid FTP account",
                [("home", "give a station, an organization or a home folder")],
            )
        folder = safe_home(home or station_code or organization_code or username)
        checked.append((username, station_code, organization_code, folder, password))
    secrets_ = [c[4] or generate_password() for c in checked]
    # argon2 runs outside the GIL: hash a large batch on every core.
    with ThreadPoolExecutor(max(1, min(len(checked), os.cpu_count() or 1))) as pool:
        digests = list(
            pool.map(
                lambda pair: hash_secret(pair[0], machine=pair[1] is None),
                zip(secrets_, (c[4] for c in checked), strict=True),
            )
        )
    prepared = [
        (*c[:4], secret, digest)
        for c, secret, digest in zip(checked, secrets_, digests, strict=True)
    ]
    now = now_s()
    with store.write() as conn:
        for username, station_code, organization_code, folder, _, digest in prepared:
            _check_new(conn, username, station_code, organization_code)
            conn.execute(
                insert(ftp_account).values(
                    username=username,
                    password_hash=digest,
                    home=folder,
                    station_code=station_code,
                    organization_code=organization_code,
                    active=True,
                    created_at=now,
                )
            )
    return [(p[0], p[4]) for p in prepared]


def _check_new(
    conn: Connection, username: str, station_code: str | None, organization_code: str | None
) -> None:
    if conn.scalar(select(ftp_account.c.id).where(ftp_account.c.username == username)):
        raise ConflictError(f"FTP account {username!r} already exists")
    if station_code is not None and not conn.scalar(
        select(station.c.id).where(station.c.code == station_code)
    ):
        raise UnknownStation(station_code)
    if organization_code is not None and not conn.scalar(
        select(organization.c.id).where(organization.c.code == organization_code)
    ):
        raise UnknownOrganization(organization_code)


def _account(m: RowMapping) -> FtpAccount:
    return FtpAccount(
        m["id"],
        m["username"],
        m["password_hash"],
        m["home"],
        m["station_code"],
        m["organization_code"],
        bool(m["active"]),
        m["created_at"],
    )


def find_account(store: Store, username: str) -> FtpAccount | None:
    with store.read() as conn:
        row = (
            conn.execute(select(ftp_account).where(ftp_account.c.username == username))
            .mappings()
            .first()
        )
    return _account(row) if row is not None else None


def list_accounts(store: Store, include_disabled: bool = True) -> list[FtpAccount]:
    q = select(ftp_account).order_by(ftp_account.c.username)
    if not include_disabled:
        q = q.where(ftp_account.c.active.is_(True))
    with store.read() as conn:
        return [_account(r) for r in conn.execute(q).mappings()]


def set_active(store: Store, username: str, active: bool) -> None:
    with store.write() as conn:
        done = conn.execute(
            update(ftp_account).where(ftp_account.c.username == username).values(active=active)
        ).rowcount
    if not done:
        raise ValidationError(f"no FTP account {username!r}")


def reset_password(store: Store, username: str, password: str | None = None) -> str:
    """A new password (generated unless given); the old one stops working at once."""
    secret = password or generate_password()
    digest = hash_secret(secret, machine=password is None)
    with store.write() as conn:
        done = conn.execute(
            update(ftp_account)
            .where(ftp_account.c.username == username)
            .values(password_hash=digest)
        ).rowcount
    if not done:
        raise ValidationError(f"no FTP account {username!r}")
    return secret


def allowed_stations(store: Store, account: FtpAccount) -> frozenset[str] | None:
    """Station codes this account may send files for; None = any (a relay account)."""
    if account.station_code is not None:
        return frozenset({account.station_code})
    if account.organization_code is None:
        return None
    with store.read() as conn:
        codes = conn.scalars(
            select(station.c.code)
            .join(organization, organization.c.id == station.c.owner_id)
            .where(organization.c.code == account.organization_code)
        )
        return frozenset(codes)


class CredentialCache:
    """Recently verified (username, password) pairs, keyed by an in-memory-keyed HMAC."""

    def __init__(self, max_entries: int = 20_000, ttl_s: float = 6 * 3600) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        material = username.encode() + b"\0" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, material, hashlib.sha256).digest()

    def hit(self, username: str, password: str, password_hash: str) -> bool:
        if not self.max_entries:
            return False
        key = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            checked_hash, expires = entry
            if expires < time.monotonic() or not hmac.compare_digest(checked_hash, password_hash):
                del self._entries[key]
                return False
            self._entries.move_to_end(key)
            return True

    def remember(self, username: str, password: str, password_hash: str) -> None:
        if not self.max_entries:
            return
        key = self._digest(username, password)
        with self._lock:
            self._entries[key] = (password_hash, time.monotonic() + self.ttl_s)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class Authenticator:
    """Checks a login against the `ftp_account` table, through the credential cache."""

    #: Verified when the username is unknown, so a wrong name costs what a wrong password does
    #: (no telling which usernames exist by the response time).
    _DUMMY_HASH = MACHINE_HASHER.hash(generate_password())

    def __init__(self, store: Store, cache: CredentialCache | None = None) -> None:
        self.store = store
        self.cache = cache if cache is not None else CredentialCache()

    def check(self, username: str, password: str) -> FtpAccount | None:
        """The account when the password is right and the account active, else None."""
        account = find_account(self.store, username) if USERNAME_PATTERN.match(username) else None
        if account is None or not account.active:
            verify_password(self._DUMMY_HASH, password)
            return None
        if self.cache.hit(username, password, account.password_hash):
            return account
        if not verify_password(account.password_hash, password):
            return None
        self.cache.remember(username, password, account.password_hash)
        return account


"""Password hashing with argon2id — the one place that knows how secrets are hashed.

Two cost profiles: people's passwords get the library default (RFC 9106 "low memory":
64 MiB, t=3) because they can be guessed; generated 192-bit machine secrets (FTP accounts
of stations) get a cheap profile because their entropy, not the hash cost, protects them,
and a national node checks thousands of them every few minutes. Verification reads the
parameters from the hash itself, so one `verify_password` serves both.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from quantrac.errors import ValidationError

PERSON_HASHER = PasswordHasher()
MACHINE_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
MIN_PASSWORD_LENGTH = 8
#: Verified against when the user does not exist, so a wrong name costs as long as a wrong
#: password and the response time does not reveal which names exist.
_DUMMY_HASH = PERSON_HASHER.hash("quantrac-no-such-user")


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password too short",
            [("password", f"at least {MIN_PASSWORD_LENGTH} characters / tối thiểu 8 ký tự")],
        )


def hash_secret(secret: str, *, machine: bool) -> str:
    """Hash without the length policy (machine secrets are generated; FTP accounts may carry
    a password a station's vendor chose)."""
    return (MACHINE_HASHER if machine else PERSON_HASHER).hash(secret)


def hash_password(password: str) -> str:
    check_password_policy(password)
    return PERSON_HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; never raises for a wrong or malformed hash."""
    try:
        return PERSON_HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(
            password_hash
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

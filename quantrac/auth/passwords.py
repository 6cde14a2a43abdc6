"""Password hashing with argon2id (argon2-cffi defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from quantrac.errors import ValidationError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
#: Verified against when the user does not exist, so a wrong name costs as long as a wrong
#: password and the response time does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("quantrac-no-such-user")


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password too short",
            [("password", f"at least {MIN_PASSWORD_LENGTH} characters / tối thiểu 8 ký tự")],
        )


def hash_password(password: str) -> str:
    check_password_policy(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

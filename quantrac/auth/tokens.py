"""Session tokens for the web: stateless, HMAC-SHA256 signed, with an expiry.

`qts.<payload>.<signature>`, payload = base64url JSON {"uid", "exp"}. Nothing is stored:
the user row is still read on every request, so disabling a user ends their sessions at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

TOKEN_PREFIX = "qts."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: bytes, user_id: int, ttl_s: int, now: float | None = None) -> tuple[str, int]:
    exp = int((now or time.time()) + ttl_s)
    payload = _b64(json.dumps({"uid": user_id, "exp": exp}, separators=(",", ":")).encode())
    sig = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}{payload}.{sig}", exp


def verify(secret: bytes, token: str, now: float | None = None) -> int | None:
    """The user id of a valid, unexpired token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    try:
        payload, sig = token[len(TOKEN_PREFIX) :].split(".", 1)
        expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, expected):
            return None
        data = json.loads(_unb64(payload))
        if int(data["exp"]) < (now or time.time()):
            return None
        return int(data["uid"])
    except (ValueError, KeyError, TypeError):
        return None

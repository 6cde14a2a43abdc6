"""Alert channels, looked up by name in `CHANNELS`: a new channel is one class and one line.

- "webhook": HTTP POST of the JSON message to the rule's URL, signed with HMAC-SHA256 over the
  exact body bytes using the rule's secret (header `X-Quantrac-Signature: sha256=<hex>`, the
  GitHub-style scheme receivers already know). `X-Quantrac-Delivery` carries the delivery id so
  a receiver can drop the rare repeat (a crash between sending and recording, see dispatch).
- "email": SMTP (smtplib) to the rule's comma-separated addresses, subject and body in
  Vietnamese with the English text below. Server settings come from QUANTRAC_SMTP_* variables.

A channel raises `DeliveryError` when the message did not get through; the dispatcher retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, Protocol

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from quantrac.errors import QuantracError

SIGNATURE_HEADER = "X-Quantrac-Signature"
DELIVERY_HEADER = "X-Quantrac-Delivery"
EVENT_HEADER = "X-Quantrac-Event"


class DeliveryError(QuantracError):
    """A channel could not hand the message over (refused, timed out, rejected)."""


class SmtpSettings(BaseSettings):
    """SMTP server for e-mail alerts (QUANTRAC_SMTP_HOST, _PORT, _SENDER, …)."""

    model_config = SettingsConfigDict(env_prefix="QUANTRAC_SMTP_", env_file=".env", extra="ignore")

    host: str = "localhost"
    port: int = 25
    sender: str = "quantrac@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


@dataclass(frozen=True)
class AlertMessage:
    """One delivery's content: the JSON payload and the human text in both languages."""

    delivery_id: int
    event_name: str  # e.g. "exceedance.opened"
    subject_vi: str
    text_vi: str
    text_en: str
    payload: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> bytes:
        """The exact bytes sent and signed (UTF-8 JSON, keys sorted so a re-send is identical)."""
        return json.dumps(self.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


class Channel(Protocol):
    name: str

    def send(self, message: AlertMessage, target: str, secret: str | None) -> None:
        """Deliver or raise DeliveryError."""


def sign(secret: str, body: bytes) -> str:
    """`sha256=<hex>` HMAC-SHA256 of `body` keyed with `secret` — the signature header value."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is the signature of `body` (constant-time comparison)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


class WebhookChannel:
    """HTTP POST with a signed JSON body; any 2xx answer counts as delivered."""

    name = "webhook"

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def send(self, message: AlertMessage, target: str, secret: str | None) -> None:
        if not secret:
            raise DeliveryError("webhook rule has no secret to sign with")
        body = message.body()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(secret, body),
            DELIVERY_HEADER: str(message.delivery_id),
            EVENT_HEADER: message.event_name,
            "User-Agent": "quantrac-alerts",
        }
        try:
            response = httpx.post(target, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code} from {target}")


class EmailChannel:
    """Plain-text e-mail through the configured SMTP server."""

    name = "email"

    def __init__(self, settings: SmtpSettings | None = None) -> None:
        self.settings = settings or SmtpSettings()

    def send(self, message: AlertMessage, target: str, secret: str | None) -> None:
        recipients = [addr for _, addr in getaddresses([target]) if "@" in addr]
        if not recipients:
            raise DeliveryError(f"no e-mail address in {target!r}")
        s = self.settings
        mail = EmailMessage()
        mail["Subject"] = message.subject_vi
        mail["From"] = s.sender
        mail["To"] = ", ".join(recipients)
        mail["X-Quantrac-Delivery"] = str(message.delivery_id)
        mail.set_content(f"{message.text_vi}\n\n— English —\n\n{message.text_en}\n")
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(f"SMTP {s.host}:{s.port}: {e}") from e


#: Channel name → factory. The dispatcher builds one instance of each.
CHANNELS: Mapping[str, Callable[[], Channel]] = {
    WebhookChannel.name: WebhookChannel,
    EmailChannel.name: EmailChannel,
}


def default_channels() -> dict[str, Channel]:
    """One instance per registered channel, configured from the environment."""
    return {name: factory() for name, factory in CHANNELS.items()}

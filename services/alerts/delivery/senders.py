"""Sending one delivery: e-mail over SMTP (aiosmtplib) or a signed webhook (httpx).

Errors are reported as short, personal-data-free descriptions (an error class, an SMTP
reply code, an HTTP status): SMTP replies and exception texts can quote the recipient's
address, so they are never stored or logged.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib
import httpx

from services.alerts.delivery.models import Channel
from services.alerts.delivery.signing import sign
from services.config import Settings
from services.db import utcnow

USER_AGENT = "Doxwatch-Webhooks/1"


@dataclass(frozen=True)
class Outgoing:
    """What one attempt needs, read from the database when the delivery is claimed."""

    id: str
    channel: Channel
    event: str
    payload: dict[str, Any]
    recipient: str | None
    """E-mail address or webhook URL; None when there is no one to send to any more."""
    secret: str | None
    attempt: int


class DeliveryFailed(Exception):
    """An attempt failed; ``str()`` is safe to store and log (no personal data).
    ``permanent`` failures are not retried (there is no one to send to)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def describe(exc: BaseException) -> str:
    """A personal-data-free description of an exception."""
    if isinstance(exc, DeliveryFailed):
        return str(exc)[:500]
    code = getattr(exc, "code", None)
    name = type(exc).__name__
    return f"{name} {code}" if isinstance(code, int) else name


def email_message(settings: Settings, job: Outgoing) -> EmailMessage:
    """The e-mail of an ``email`` delivery."""
    assert job.recipient is not None
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = job.recipient
    msg["Subject"] = str(job.payload["subject"])
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = f"<{job.id}@doxwatch>"
    msg["X-Doxwatch-Delivery"] = job.id
    msg["X-Doxwatch-Event"] = job.event
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = str(job.payload.get("language", "nl"))
    msg.set_content(str(job.payload["text"]))
    return msg


async def send_email(settings: Settings, job: Outgoing) -> None:
    """Hand the e-mail to the configured SMTP server; raises on any failure."""
    if not settings.smtp_host:
        raise DeliveryFailed("SMTP is not configured (DOXWATCH_SMTP_HOST)")
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    # aiosmtplib's timeout is per command; the outer one bounds the whole session.
    async with asyncio.timeout(settings.smtp_timeout_s):
        await aiosmtplib.send(
            email_message(settings, job),
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_s,
        )


def webhook_request(job: Outgoing, now: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook attempt, signed with the receiver's secret."""
    assert job.secret is not None
    body = json.dumps(job.payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time() if now is None else now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Doxwatch-Delivery": job.id,
        "X-Doxwatch-Event": job.event,
        "X-Doxwatch-Timestamp": str(timestamp),
        "X-Doxwatch-Signature": sign(job.secret, timestamp, body),
    }
    return body, headers


async def send_webhook(client: httpx.AsyncClient, settings: Settings, job: Outgoing) -> None:
    """POST the signed JSON; only a 2xx answer counts. Redirects are not followed (a
    signed alert goes to the registered URL or nowhere); the answer's body is not read."""
    assert job.recipient is not None
    body, headers = webhook_request(job)
    # httpx's timeout is per phase (a receiver dripping bytes resets it); the outer one
    # bounds the whole request.
    async with (
        asyncio.timeout(settings.webhook_timeout_s),
        client.stream(
            "POST",
            job.recipient,
            content=body,
            headers=headers,
            timeout=settings.webhook_timeout_s,
            follow_redirects=False,
        ) as response,
    ):
        status = response.status_code
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status} (redirect not followed)")
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}")


async def send(client: httpx.AsyncClient, settings: Settings, job: Outgoing) -> None:
    """One attempt over the delivery's channel."""
    if job.recipient is None:
        raise DeliveryFailed(
            "no recipient: officer or subscription removed or inactive, or contact unset",
            permanent=True,
        )
    if job.channel is Channel.EMAIL:
        await send_email(settings, job)
    else:
        if job.secret is None:
            raise DeliveryFailed("no webhook secret", permanent=True)
        await send_webhook(client, settings, job)

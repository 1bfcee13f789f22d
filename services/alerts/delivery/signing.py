"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}." + body``, hex, as ``sha256=<hex>``.

The timestamp is part of what is signed, so a captured request cannot be replayed
later than the receiver's tolerance; the delivery id (``X-Doxwatch-Delivery``) lets a
receiver drop the repeats that at-least-once delivery causes. docs/api.md ("Webhooks")
shows a receiver's check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_PREFIX = "sha256="
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def new_secret() -> str:
    """A fresh signing secret (256 random bits), shown once to whoever registers it."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Doxwatch-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    header: str,
    tolerance_s: float = 300,
    *,
    now: float | None = None,
) -> bool:
    """True when ``header`` is the signature of ``body`` at ``timestamp`` and the timestamp
    is within ``tolerance_s`` seconds of ``now``; compares in constant time."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body)
    return hmac.compare_digest(expected.encode(), header.strip().encode())

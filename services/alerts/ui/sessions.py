"""Console sign-in: server-side sessions keyed by the SHA-256 of a random cookie value.

The cookie carries only the session id; the row names the API token signed in with, so
revoking that token (or removing its officer) ends the session at the next request.
Every POST carries the session's CSRF token (form field ``csrf`` or header
``X-CSRF-Token``), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.ui.models import ConsoleSession
from services.db import utcnow
from services.security import ApiToken, Principal, authenticate

COOKIE = "dxw_session"
LOGIN_COOKIE = "dxw_login_csrf"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """The principal of a console session and its CSRF token."""

    principal: Principal
    csrf: str
    id_hash: str


async def sign_in(session: AsyncSession, token: str, hours: float) -> tuple[Principal, str] | None:
    """Check the API token; open a session. Returns the principal and the cookie value."""
    principal = await authenticate(session, token)
    if principal is None:
        return None
    cookie = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        ConsoleSession(
            id_hash=_hash(cookie),
            token_id=principal.token_id,
            csrf_secret=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    # Expired sessions go on the way (no background job needed for a small table).
    await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return principal, cookie


async def current(session: AsyncSession, cookie: str | None, now: datetime) -> SignedIn | None:
    """The live session for a cookie: not expired, its token not revoked."""
    if not cookie:
        return None
    id_hash = _hash(cookie)
    row = await session.execute(
        select(ConsoleSession, ApiToken)
        .join(ApiToken, ApiToken.id == ConsoleSession.token_id)
        .where(
            ConsoleSession.id_hash == id_hash,
            ConsoleSession.expires_at > now,
            ApiToken.revoked_at.is_(None),
        )
    )
    found = row.first()
    if found is None:
        return None
    console, token = found
    principal = Principal(
        token_id=token.id, name=token.name, role=token.role, officer_id=token.officer_id
    )
    return SignedIn(principal=principal, csrf=console.csrf_secret, id_hash=id_hash)


async def sign_out(session: AsyncSession, id_hash: str) -> None:
    """Delete the session row."""
    await session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == id_hash))


def csrf_ok(expected: str, given: str | None) -> bool:
    """Whether a submitted CSRF token matches, in constant time."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def new_login_csrf() -> str:
    """A random value for the sign-in form's double-submit check."""
    return secrets.token_urlsafe(24)

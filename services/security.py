"""API tokens: stored as SHA-256 hashes, checked by every service that serves HTTP.

Tokens are 256-bit random strings, so a plain SHA-256 is a sufficient one-way hash
(no salt or slow KDF needed: there is nothing to guess). The collector and the alert
service both authenticate against this table, which is why it lives in the kernel.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, str_enum, utcnow

TOKEN_PREFIX = "dxw_"  # noqa: S105 - a prefix, not a secret


class Role(StrEnum):
    """What a token may do; every endpoint names the roles it admits."""

    ADMIN = "admin"
    ANALYST = "analyst"
    OFFICER = "officer"
    INTEGRATION = "integration"


class ApiToken(Base):
    """An API token; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    officer_id: Mapped[str | None] = mapped_column(String(36), default=None)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's id, name and role (and, for officer tokens, the officer)."""

    token_id: int
    name: str
    role: Role
    officer_id: str | None = None


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def authenticate(session: AsyncSession, token: str) -> Principal | None:
    """The principal for ``token``, or None when it is unknown or revoked."""
    digest = hash_token(token)
    row = await session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    )
    # The lookup is by hash, so timing reveals nothing of the token; compare anyway.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return Principal(token_id=row.id, name=row.name, role=row.role, officer_id=row.officer_id)


async def issue_token(
    session: AsyncSession, name: str, role: Role, officer_id: str | None = None
) -> tuple[ApiToken, str]:
    """Create a token; return the row and the plaintext (to show once).

    Officer tokens carry the officer they belong to: they see only that officer's incidents.
    """
    token = new_token()
    row = ApiToken(name=name, token_hash=hash_token(token), role=role, officer_id=officer_id)
    session.add(row)
    await session.flush()
    return row, token


async def ensure_admin_token(session: AsyncSession, token: str) -> None:
    """Make sure a token with this value and the admin role exists (DOXWATCH_ADMIN_TOKEN)."""
    digest = hash_token(token)
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None:
        session.add(
            ApiToken(name="admin (DOXWATCH_ADMIN_TOKEN)", token_hash=digest, role=Role.ADMIN)
        )
    else:
        row.role = Role.ADMIN
        row.revoked_at = None

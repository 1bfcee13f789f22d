"""Token queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.security import ApiToken


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    """All tokens, oldest first."""
    return list(await session.scalars(select(ApiToken).order_by(ApiToken.id)))


async def get_token(session: AsyncSession, token_id: int) -> ApiToken | None:
    """One token by id."""
    return await session.get(ApiToken, token_id)

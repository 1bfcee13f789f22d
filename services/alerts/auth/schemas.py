"""Bodies of the token API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.security import Role


class TokenIn(BaseModel):
    """A token to create."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=128, examples=["team-oost analyst laptop"])
    role: Role = Field(examples=["analyst"])
    officer_id: str | None = Field(
        default=None, description="Required for role 'officer': the registered officer."
    )


class TokenOut(BaseModel):
    """A token as listed (never its value)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    officer_id: str | None = None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    """A new token; ``token`` is shown this once and never stored."""

    token: str = Field(examples=["dxw_3q2..."])

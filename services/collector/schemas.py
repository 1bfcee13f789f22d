"""Request and response bodies of the intake API."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.events import MAX_TEXT_CHARS


class PostIn(BaseModel):
    """A reported post."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="The post's text as published.",
        examples=["wie kent deze agent? naam en adres graag, dan gaan we langs"],
    )
    platform: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="Platform slug, lower-case.",
        examples=["x", "facebook", "telegram", "tiktok"],
    )
    url: str = Field(
        max_length=2048,
        description="Where the post was seen (http or https).",
        examples=["https://x.example/someone/status/1234"],
    )
    author: str | None = Field(
        default=None, max_length=256, description="Poster's handle or name, if known."
    )
    external_id: str | None = Field(
        default=None, max_length=256, description="The platform's id of the post."
    )
    posted_at: datetime | None = Field(
        default=None, description="When it was posted (ISO 8601 with time zone)."
    )
    reported_by: str | None = Field(
        default=None, max_length=256, description="Who reported it (team, colleague, source)."
    )
    lang: str | None = Field(
        default=None, pattern=r"^(nl|en)$", description="Language if known: nl or en."
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("posted_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone (e.g. 2026-11-30T10:00:00Z)")
        return value


class PostAccepted(BaseModel):
    """The post is durably stored and queued for classification."""

    id: str = Field(
        description="Doxwatch post id.", examples=["5b0c6f1e-0c1f-4a43-8d7f-3f0c0b3a9e11"]
    )
    status: str = Field(default="accepted", examples=["accepted"])


class BatchIn(BaseModel):
    """Several posts at once."""

    model_config = ConfigDict(extra="forbid")

    posts: list[PostIn] = Field(min_length=1, description="The posts, at most 1,000.")


class BatchAccepted(BaseModel):
    """Every post of the batch is stored; ids in the order given."""

    ids: list[str]
    accepted: int

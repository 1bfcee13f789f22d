"""Request and response bodies of the intake API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.events import MAX_TEXT_CHARS, EvidenceRef


def _absolute_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


def _time_zone_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2026-11-30T10:00:00Z)")
    return value


HttpUrlText = Annotated[str, AfterValidator(_absolute_http_url)]
"""An absolute http(s) URL, kept as the text given."""

ZonedDatetime = Annotated[datetime, AfterValidator(_time_zone_aware)]
"""A datetime that carries its time zone."""


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
    url: HttpUrlText = Field(
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
    posted_at: ZonedDatetime | None = Field(
        default=None, description="When it was posted (ISO 8601 with time zone)."
    )
    reported_by: str | None = Field(
        default=None, max_length=256, description="Who reported it (team, colleague, source)."
    )
    lang: str | None = Field(
        default=None, pattern=r"^(nl|en)$", description="Language if known: nl or en."
    )


class PostAccepted(BaseModel):
    """The post is durably stored and queued for classification, or was already known."""

    id: str = Field(
        description="Doxwatch post id (the existing post's id for a duplicate).",
        examples=["5b0c6f1e-0c1f-4a43-8d7f-3f0c0b3a9e11"],
    )
    status: Literal["accepted", "duplicate"] = Field(
        default="accepted",
        description="'accepted': a new post, queued for classification; 'duplicate': the "
        "same post was already accepted (same platform id, URL or text), a sighting was "
        "added and nothing is classified again.",
        examples=["accepted"],
    )
    matched_on: Literal["ext", "url", "text"] | None = Field(
        default=None,
        description="For a duplicate: what it matched on (platform id, URL, text).",
    )


class BatchIn(BaseModel):
    """Several posts at once."""

    model_config = ConfigDict(extra="forbid")

    posts: list[PostIn] = Field(min_length=1, description="The posts, at most 1,000.")


class BatchAccepted(BaseModel):
    """Every post of the batch is stored or recognised; ids in the order given."""

    ids: list[str] = Field(description="Post id per position (the existing id for duplicates).")
    accepted: int = Field(description="How many posts were new.")
    duplicates: int = Field(default=0, description="How many were already known.")
    statuses: list[Literal["accepted", "duplicate"]] = Field(
        default_factory=list, description="'accepted' or 'duplicate' per position."
    )


class SightingOut(BaseModel):
    """One arrival of a post."""

    seen_at: datetime
    channel: str = Field(description="api, batch, report, webhook:<partner> or connector:<name>.")
    seen_by: str | None = Field(description="Token name or connector that brought it in.")
    matched_on: str = Field(description="'new' for the first arrival, else ext, url or text.")
    platform: str
    url: str | None
    external_id: str | None
    reported_by: str | None


class Sightings(BaseModel):
    """Every arrival of a post, oldest first."""

    post_id: str
    sightings: list[SightingOut]


class AttachmentIn(BaseModel):
    """A screenshot of the reported post (base64; PNG, JPEG, GIF or WebP)."""

    model_config = ConfigDict(extra="forbid")

    filename: str | None = Field(default=None, max_length=256, examples=["screenshot.png"])
    data_base64: str = Field(
        min_length=1, description="The image bytes, base64-encoded (standard alphabet)."
    )


class ReportIn(BaseModel):
    """A post reported by a person: its text and/or URL, and optional screenshots.

    At least one of ``text``, ``url`` and ``attachments`` is needed. With a URL and no
    text the page is fetched and its text taken from its metadata; screenshots are read
    by OCR and their text added.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="The post's text, if the reporter has it.",
        examples=["we weten waar je woont, Lindelaan 14"],
    )
    url: HttpUrlText | None = Field(
        default=None,
        max_length=2048,
        description="Where the post was seen (http or https).",
        examples=["https://x.example/someone/status/1234"],
    )
    platform: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        description="Platform slug; default: the URL's host, or 'report'.",
    )
    author: str | None = Field(default=None, max_length=256)
    external_id: str | None = Field(default=None, max_length=256)
    posted_at: ZonedDatetime | None = None
    lang: str | None = Field(default=None, pattern=r"^(nl|en)$")
    reported_by: str | None = Field(
        default=None,
        max_length=256,
        description="Who reports it; default: the API token's name.",
        examples=["agent 4471, team Oost"],
    )
    attachments: list[AttachmentIn] = Field(
        default_factory=list, max_length=5, description="Up to 5 screenshots."
    )

    @model_validator(mode="after")
    def _something(self) -> ReportIn:
        if not (self.text or self.url or self.attachments):
            raise ValueError("give at least one of text, url or attachments")
        return self


class ReportAccepted(BaseModel):
    """What became of a report."""

    id: str = Field(description="Post id (the existing post's id for a duplicate).")
    status: Literal["accepted", "duplicate", "waiting_for_ocr"] = Field(
        description="'waiting_for_ocr': stored, and published as a post once OCR can read "
        "the screenshots (poll GET /api/v1/reports/{id})."
    )
    matched_on: Literal["ext", "url", "text"] | None = None
    text_sources: list[Literal["reporter", "page", "oembed", "ocr"]] = Field(
        default_factory=list, description="Where the post's text came from."
    )
    evidence: list[EvidenceRef] = Field(default_factory=list)
    warnings: list[str] = Field(
        default_factory=list, description="What could not be used (e.g. a page fetch that failed)."
    )


class ReportStatus(BaseModel):
    """Where a report parked for OCR is."""

    id: str
    status: Literal["waiting_for_ocr", "processed", "failed"]
    post_id: str | None = Field(description="The post it became (once processed).")
    attempts: int
    last_error: str | None

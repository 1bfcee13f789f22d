"""Request and response bodies of the notices and platforms API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.alerts.notices.models import NoticeKind, NoticeLanguage, NoticeStatus


class NoticeIn(BaseModel):
    """Draft a notice from the incident."""

    model_config = ConfigDict(extra="forbid")

    kind: NoticeKind = Field(examples=["dsa_notice"])
    language: NoticeLanguage = Field(default=NoticeLanguage.NL, examples=["nl"])
    platform_id: str | None = Field(
        default=None,
        max_length=64,
        description="Platform directory id; default: the platform of the incident's first post.",
        examples=["x"],
    )
    recipient: str | None = Field(
        default=None,
        max_length=2048,
        description="Addressee (e-mail address, web form URL or name); default: the "
        "platform's DSA contact.",
    )
    deadline: AwareDatetime | None = Field(
        default=None,
        description="When an answer is due; default: now + DOXWATCH_NOTICE_DEADLINE_HOURS.",
    )


class NoticeEdit(BaseModel):
    """Changes to a draft; each new body is kept as a revision."""

    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(default=None, min_length=1, max_length=200_000)
    recipient: str | None = Field(default=None, max_length=2048)
    platform_id: str | None = Field(default=None, max_length=64)
    deadline: AwareDatetime | None = None
    judge_authorisation: str | None = Field(
        default=None,
        min_length=3,
        max_length=300,
        description="order_125p only: reference of the examining judge's written "
        "authorisation; also written in place of the placeholder in the text.",
        examples=["RC 26/1234, machtiging van 1 december 2026"],
    )


class SettableStatus(StrEnum):
    """The statuses a person sets (no_answer comes from the deadline)."""

    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    CONTENT_REMOVED = "content_removed"
    REFUSED = "refused"


class StatusIn(BaseModel):
    """A status change, with the answer that came with it."""

    model_config = ConfigDict(extra="forbid")

    status: SettableStatus
    answer: str | None = Field(
        default=None, max_length=20_000, description="The addressee's answer, as received."
    )
    statement_of_reasons_ref: str | None = Field(
        default=None,
        max_length=300,
        description="The platform's statement-of-reasons reference (Art. 17 DSA), if any.",
        examples=["SOR-2026-000123"],
    )


class RevisionOut(BaseModel):
    """One version of the body."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    body: str
    reason: str = Field(examples=["drafted", "edited", "authorisation"])
    author: str
    at: datetime


class NoticeEventOut(BaseModel):
    """A status change of the notice."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    from_status: str | None
    to_status: str
    answer: str | None
    statement_of_reasons_ref: str | None


class EvidenceOut(BaseModel):
    """A sent message kept as evidence (its bytes are not in this listing)."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    media_type: str
    sha256: str
    message_id: str | None
    actor: str


class NoticeOut(BaseModel):
    """A notice with its current body."""

    id: str
    reference: str = Field(examples=["DXW-1A2B3C4D"])
    incident_id: str
    kind: NoticeKind
    language: NoticeLanguage
    template_version: str = Field(examples=["dsa_notice.nl.v1+blocks.v1"])
    platform_id: str | None
    recipient: str | None
    status: NoticeStatus
    deadline: datetime | None
    sent_at: datetime | None
    sent_via: str | None
    answered_at: datetime | None
    statement_of_reasons_ref: str | None
    judge_authorisation: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    body: str = Field(description="Markdown; exports derive text, PDF and e-mail from it.")
    warnings: list[str] = Field(
        description="What still needs a person (placeholders, deadline, recipient)."
    )


class NoticeDetail(NoticeOut):
    """A notice with its revisions, status events and sent-message evidence."""

    revisions: list[RevisionOut]
    events: list[NoticeEventOut]
    evidence: list[EvidenceOut]


class PlatformIn(BaseModel):
    """A platform to add to the directory."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$",
        description="The slug posts carry in `platform`.",
        examples=["bluesky"],
    )
    name: str = Field(min_length=1, max_length=200)
    website: str | None = Field(default=None, max_length=2048)
    dsa_contact_email: str | None = Field(
        default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"
    )
    dsa_contact_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://")
    language: NoticeLanguage = NoticeLanguage.EN
    trusted_flagger_channel: str | None = Field(default=None, max_length=2048)
    contact_verified: bool = False
    notes: str | None = Field(default=None, max_length=5000)


class PlatformEdit(BaseModel):
    """Changes to a directory entry (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    website: str | None = Field(default=None, max_length=2048)
    dsa_contact_email: str | None = Field(
        default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"
    )
    dsa_contact_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://")
    language: NoticeLanguage | None = None
    trusted_flagger_channel: str | None = Field(default=None, max_length=2048)
    contact_verified: bool | None = None
    notes: str | None = Field(default=None, max_length=5000)


class PlatformOut(BaseModel):
    """A directory entry."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    website: str | None
    dsa_contact_email: str | None
    dsa_contact_url: str | None
    language: str
    trusted_flagger_channel: str | None
    contact_verified: bool
    notes: str | None
    updated_at: datetime
    updated_by: str

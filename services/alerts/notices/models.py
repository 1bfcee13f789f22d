"""Tables of the notices domain: the platform directory, notices, their revisions,
status/answer events and the evidence of sent messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import Base, str_enum, utcnow


def _uuid() -> str:
    return str(uuid.uuid4())


class NoticeKind(StrEnum):
    """The letters Doxwatch drafts from an incident."""

    DSA_NOTICE = "dsa_notice"
    REMOVAL_REQUEST = "removal_request"
    ORDER_125P = "order_125p"
    SOMMATIE = "sommatie"
    AANGIFTE = "aangifte"


class NoticeLanguage(StrEnum):
    """Languages every template exists in."""

    NL = "nl"
    EN = "en"


class NoticeStatus(StrEnum):
    """Where a notice is: drafted, sent, and what came of it."""

    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    CONTENT_REMOVED = "content_removed"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"


class Platform(Base):
    """A hosting platform and how to reach its DSA notice-and-action channel."""

    __tablename__ = "platforms"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(2048), default=None)
    dsa_contact_email: Mapped[str | None] = mapped_column(String(320), default=None)
    dsa_contact_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    language: Mapped[str] = mapped_column(String(2), default="en")
    trusted_flagger_channel: Mapped[str | None] = mapped_column(String(2048), default=None)
    contact_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128), default="system")


class Notice(Base):
    """A letter drafted from an incident, edited, sent and tracked to its outcome."""

    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, 24))
    language: Mapped[NoticeLanguage] = mapped_column(str_enum(NoticeLanguage, 2))
    template_version: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[str | None] = mapped_column(
        ForeignKey("platforms.id", ondelete="SET NULL"), default=None
    )
    recipient: Mapped[str | None] = mapped_column(String(2048), default=None)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[NoticeStatus] = mapped_column(
        str_enum(NoticeStatus, 24), default=NoticeStatus.DRAFT, index=True
    )
    deadline: Mapped[datetime | None] = mapped_column(default=None, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_via: Mapped[str | None] = mapped_column(String(16), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    statement_of_reasons_ref: Mapped[str | None] = mapped_column(String(300), default=None)
    judge_authorisation: Mapped[str | None] = mapped_column(String(300), default=None)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list[NoticeRevision]] = relationship(
        order_by="NoticeRevision.number", cascade="all, delete-orphan"
    )
    events: Mapped[list[NoticeEvent]] = relationship(
        order_by="NoticeEvent.id", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[NoticeEvidence]] = relationship(
        order_by="NoticeEvidence.id", cascade="all, delete-orphan"
    )


class NoticeRevision(Base):
    """One version of a notice's body; every edit adds one, none is changed."""

    __tablename__ = "notice_revisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("notice_id", "number", name="uq_notice_revisions_number"),)


class NoticeEvent(Base):
    """A status change of a notice, with the answer and reference that came with it."""

    __tablename__ = "notice_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    from_status: Mapped[str | None] = mapped_column(String(24), default=None)
    to_status: Mapped[str] = mapped_column(String(24))
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    statement_of_reasons_ref: Mapped[str | None] = mapped_column(String(300), default=None)


class NoticeEvidence(Base):
    """A message as it was sent (the .eml bytes) with its SHA-256."""

    __tablename__ = "notice_evidence"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(300), default=None)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    actor: Mapped[str] = mapped_column(String(128))

"""The alert service's tables (SQLAlchemy 2, typed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.db import Base, str_enum, utcnow


def _uuid() -> str:
    return str(uuid.uuid4())


class IncidentStatus(StrEnum):
    """Where an incident is on the handling path."""

    NEW = "new"
    TRIAGE = "triage"
    CONFIRMED = "confirmed"
    IN_ACTION = "in_action"
    MONITORING = "monitoring"
    CLOSED = "closed"


class Severity(StrEnum):
    """How urgent an incident is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class Resolution(StrEnum):
    """How a closed incident ended."""

    CONTENT_REMOVED = "content_removed"
    REPORT_FILED = "report_filed"
    INTERVENTION_HELD = "intervention_held"
    NO_ACTION = "no_action"
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"


class ReviewStatus(StrEnum):
    """An analyst's verdict on a flagged post."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class TaskStatus(StrEnum):
    """Where a checklist task is."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"


class Incident(Base):
    """Flagged posts that belong together, worked as one case."""

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus), default=IncidentStatus.NEW
    )
    severity: Mapped[Severity] = mapped_column(str_enum(Severity))
    threat: Mapped[bool] = mapped_column(Boolean, default=False)
    doxing_call: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    group_url: Mapped[str | None] = mapped_column(String(2048), index=True)
    group_thread: Mapped[str | None] = mapped_column(String(2048), index=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    resolution: Mapped[Resolution | None] = mapped_column(str_enum(Resolution, 24), default=None)
    assignee: Mapped[str | None] = mapped_column(String(128), default=None)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    duplicate_of: Mapped[str | None] = mapped_column(String(36), default=None)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)

    posts: Mapped[list[PostRecord]] = relationship(
        back_populates="incident", order_by="PostRecord.received_at"
    )
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id"
    )
    tasks: Mapped[list[Task]] = relationship(back_populates="incident", order_by="Task.id")
    officers: Mapped[list[IncidentOfficer]] = relationship(
        back_populates="incident", order_by="IncidentOfficer.linked_at"
    )

    __table_args__ = (
        Index("ix_incidents_opened", "opened_at", "id"),
        Index("ix_incidents_status_severity", "status", "severity"),
    )


class PostRecord(Base):
    """A classified post with its verdict (the evidence of an incident when flagged)."""

    __tablename__ = "posts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(2048))
    author: Mapped[str | None] = mapped_column(String(256))
    external_id: Mapped[str | None] = mapped_column(String(256))
    posted_at: Mapped[datetime | None] = mapped_column()
    reported_by: Mapped[str | None] = mapped_column(String(256))
    lang: Mapped[str | None] = mapped_column(String(8))
    received_at: Mapped[datetime] = mapped_column()
    classified_at: Mapped[datetime] = mapped_column()
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    threat: Mapped[bool] = mapped_column(Boolean)
    doxing_call: Mapped[bool] = mapped_column(Boolean)
    personal_data: Mapped[bool] = mapped_column(Boolean)
    score_threat: Mapped[float] = mapped_column(Float)
    score_doxing_call: Mapped[float] = mapped_column(Float)
    score_personal_data: Mapped[float] = mapped_column(Float)
    spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    officer_mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str] = mapped_column(String(64))
    thread_key: Mapped[str | None] = mapped_column(String(2048), index=True, default=None)
    simhash: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sim_b0: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    sim_b1: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    sim_b2: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    sim_b3: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    registry_matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    review_status: Mapped[ReviewStatus | None] = mapped_column(
        str_enum(ReviewStatus), default=None, index=True
    )
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )

    incident: Mapped[Incident | None] = relationship(back_populates="posts")
    reviews: Mapped[list[Review]] = relationship(back_populates="post", order_by="Review.id")

    @property
    def flagged(self) -> bool:
        """True when any label is set."""
        return self.threat or self.doxing_call or self.personal_data


class IncidentEvent(Base):
    """One entry of an incident's timeline; rows are only ever added."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128), default="system")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[Incident] = relationship(back_populates="events")


class Officer(Base):
    """A protected officer. Contact data is kept to reach them; registered personal
    data is never stored, only keyed hashes of it (:class:`OfficerIdentifier`)."""

    __tablename__ = "officers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="system")

    identifiers: Mapped[list[OfficerIdentifier]] = relationship(
        back_populates="officer", order_by="OfficerIdentifier.id", cascade="all, delete-orphan"
    )


class OfficerIdentifier(Base):
    """One registered value of an officer or relative: its HMAC-SHA256 and a masked form."""

    __tablename__ = "officer_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64), default="self")
    masked: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    officer: Mapped[Officer] = relationship(back_populates="identifiers")
    digests: Mapped[list[OfficerDigest]] = relationship(
        back_populates="identifier", cascade="all, delete-orphan"
    )


class OfficerDigest(Base):
    """One match key of a registered value (an address has several), as HMAC-SHA256 hex."""

    __tablename__ = "officer_digests"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    identifier_id: Mapped[int] = mapped_column(
        ForeignKey("officer_identifiers.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), index=True)

    identifier: Mapped[OfficerIdentifier] = relationship(back_populates="digests")


class IncidentOfficer(Base):
    """An officer concerned by an incident (found by a registry match or linked by hand)."""

    __tablename__ = "incident_officers"

    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    officer_id: Mapped[str] = mapped_column(
        ForeignKey("officers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    linked_by: Mapped[str] = mapped_column(String(128), default="system")
    matched_types: Mapped[list[str]] = mapped_column(JSON, default=list)

    incident: Mapped[Incident] = relationship(back_populates="officers")
    officer: Mapped[Officer] = relationship()


class Task(Base):
    """One step of an incident's handling path (see services.alerts.handling)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus), default=TaskStatus.OPEN)
    assignee: Mapped[str | None] = mapped_column(String(128), default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_by: Mapped[str | None] = mapped_column(String(128), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[Incident] = relationship(back_populates="tasks")
    comments: Mapped[list[TaskComment]] = relationship(
        back_populates="task", order_by="TaskComment.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("incident_id", "kind", name="uq_tasks_incident_kind"),)


class TaskComment(Base):
    """A comment on a task."""

    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)

    task: Mapped[Task] = relationship(back_populates="comments")


class Review(Base):
    """An analyst's decision on a post; also published as a ``Feedback`` event."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    threat: Mapped[bool] = mapped_column(Boolean)
    doxing_call: Mapped[bool] = mapped_column(Boolean)
    personal_data: Mapped[bool] = mapped_column(Boolean)
    spans: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decided_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[PostRecord] = relationship(back_populates="reviews")


class AuditEntry(Base):
    """One line of the append-only audit log (the database refuses UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

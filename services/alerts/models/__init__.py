"""The alert service's tables (SQLAlchemy 2, typed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
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
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)

    posts: Mapped[list[PostRecord]] = relationship(
        back_populates="incident", order_by="PostRecord.received_at"
    )
    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id"
    )

    __table_args__ = (Index("ix_incidents_opened", "opened_at", "id"),)


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
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )

    incident: Mapped[Incident | None] = relationship(back_populates="posts")

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

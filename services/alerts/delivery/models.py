"""The delivery outbox and webhook subscriptions (SQLAlchemy 2, typed)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, str_enum, utcnow


def new_id() -> str:
    """A fresh delivery or subscription id (uuid4)."""
    return str(uuid.uuid4())


class Channel(StrEnum):
    """How a delivery travels."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class Audience(StrEnum):
    """Who a delivery is for."""

    OFFICER = "officer"
    SUBSCRIPTION = "subscription"


class DeliveryStatus(StrEnum):
    """Where a delivery is; ``sending`` means claimed under a lease (``locked_until``)."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Event(StrEnum):
    """What a delivery announces."""

    OFFICER_ALERT = "officer.alert"
    INCIDENT_CREATED = "incident.created"
    INCIDENT_UPDATED = "incident.updated"


SUBSCRIBABLE_EVENTS = (Event.INCIDENT_CREATED, Event.INCIDENT_UPDATED)
"""Events a webhook subscription may ask for (officer alerts go to officers only)."""


class Subscription(Base):
    """An integration's webhook: the events it wants and the secret its requests are signed with.

    The secret is kept in plaintext because signing needs it (as the officers' webhook
    secrets are); it is shown once, at creation, and never listed.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(128))
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="system")


class Delivery(Base):
    """One message to send (the outbox row). ``id`` is the stable delivery id every
    attempt carries; ``payload`` is already rendered and masked."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience))
    officer_id: Mapped[str | None] = mapped_column(
        ForeignKey("officers.id", ondelete="SET NULL"), default=None, index=True
    )
    subscription_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="SET NULL"), default=None, index=True
    )
    incident_id: Mapped[str] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_created", "created_at", "id"),
    )

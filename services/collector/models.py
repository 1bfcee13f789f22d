"""The collector's tables: de-duplication keys, sightings, evidence, checkpoints.

* ``collector_dedup_keys`` — for every accepted post, the hashed keys it can be
  recognised by again (platform id, normalised URL, normalised text) and when.
* ``collector_sightings`` — every time a post came in (the first time and each
  duplicate): by which way, from whom.
* ``collector_evidence`` — raw captured bytes, content-addressed by SHA-256;
  ``collector_evidence_refs`` ties them to posts.
* ``collector_pending_reports`` — reports whose screenshots wait for OCR.
* ``collector_checkpoints`` — one row per source connector: where it got to.
* ``collector_webhook_deliveries`` — signatures of accepted webhook calls, to refuse replays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, utcnow


class DedupKey(Base):
    """One key an accepted post is known by (``kind:sha256-hex``)."""

    __tablename__ = "collector_dedup_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80))
    post_id: Mapped[str] = mapped_column(String(36))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_collector_dedup_keys_key_seen", "key", "seen_at"),)


class Sighting(Base):
    """One arrival of a post: the first (``matched_on`` = ``new``) or a duplicate."""

    __tablename__ = "collector_sightings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(36), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(64))
    seen_by: Mapped[str | None] = mapped_column(String(256))
    matched_on: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(2048))
    external_id: Mapped[str | None] = mapped_column(String(256))
    reported_by: Mapped[str | None] = mapped_column(String(256))


class Evidence(Base):
    """Raw bytes as captured (a fetched page, a screenshot), stored once per SHA-256."""

    __tablename__ = "collector_evidence"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    first_captured_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceLink(Base):
    """Evidence belonging to a post, with what it is and where and when it was captured."""

    __tablename__ = "collector_evidence_refs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(String(36), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("collector_evidence.sha256"))
    kind: Mapped[str] = mapped_column(String(32))
    captured_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_url: Mapped[str | None] = mapped_column(String(2048))


class PendingReport(Base):
    """A report whose screenshots could not be read yet (no OCR); processed later."""

    __tablename__ = "collector_pending_reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), default="waiting_for_ocr", index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    post_id: Mapped[str | None] = mapped_column(String(36))
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class Checkpoint(Base):
    """Where a source connector got to (its own JSON), saved after its posts are stored."""

    __tablename__ = "collector_checkpoints"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """A signed webhook call already accepted (its signature), kept for the replay window."""

    __tablename__ = "collector_webhook_deliveries"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

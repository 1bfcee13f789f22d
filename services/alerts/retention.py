"""Retention: delete the evidence Doxwatch no longer needs (``doxwatch purge``).

Past ``DOXWATCH_RETENTION_DAYS``:

- incidents closed longer ago lose their evidence: the posts (text, spans, matches),
  the reviews of those posts and the task comments; the incident itself, its tasks and
  its timeline stay (they hold ids and decisions, no post text), marked ``purged_at``;
- posts that were never flagged are deleted;
- the delivered or failed alert deliveries of the purged incidents (their payloads) go;
  notices stay: they are the record of what was asked of whom, and hold masked data only;
- the collector's own copies (captures, sightings, de-duplication keys) expire by age in
  :mod:`services.collector.retention`; ``doxwatch purge`` runs both;
- the embedded bus log (``bus_log``, which holds copies of posts and verdicts) loses the
  messages older than that which every consumer group of their topic has read (topics
  nobody consumes, such as feedback, expire by age alone, as Kafka's time retention
  does). Kafka topics expire by their own ``retention.ms``.

The audit log is never purged (it holds no evidence). Each run is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import audit
from services.alerts.delivery.models import Delivery, DeliveryStatus
from services.alerts.models import (
    Incident,
    IncidentEvent,
    IncidentStatus,
    PostRecord,
    Task,
    TaskComment,
)
from services.bus.local import BusLogRow, BusOffsetRow
from services.db import utcnow


@dataclass(frozen=True)
class PurgeReport:
    """What a purge deleted (or, in a dry run, would delete)."""

    cutoff: datetime
    incidents: int
    evidence_posts: int
    unflagged_posts: int
    task_comments: int
    bus_messages: int
    deliveries: int
    dry_run: bool


async def purge(
    session: AsyncSession,
    retention_days: int,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Delete evidence past retention; in a dry run, only count."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    incident_ids = list(
        await session.scalars(
            select(Incident.id).where(
                Incident.status == IncidentStatus.CLOSED,
                Incident.closed_at < cutoff,
                Incident.purged_at.is_(None),
            )
        )
    )
    evidence = select(PostRecord.id).where(PostRecord.incident_id.in_(incident_ids))
    unflagged = select(PostRecord.id).where(
        PostRecord.incident_id.is_(None),
        PostRecord.review_status.is_(None),
        PostRecord.stored_at < cutoff,
    )
    comments = select(TaskComment.id).join(Task).where(Task.incident_id.in_(incident_ids))
    deliveries = select(Delivery.id).where(
        Delivery.incident_id.in_(incident_ids),
        Delivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
    )
    # Bus messages are removable once every group that reads their topic has passed them.
    read_by_all = (
        select(BusOffsetRow.topic, func.min(BusOffsetRow.position).label("position"))
        .group_by(BusOffsetRow.topic)
        .subquery()
    )
    bus = (
        select(BusLogRow.id)
        .outerjoin(read_by_all, read_by_all.c.topic == BusLogRow.topic)
        .where(
            BusLogRow.created_at < cutoff,
            or_(read_by_all.c.position.is_(None), BusLogRow.id <= read_by_all.c.position),
        )
    )

    async def count(query: Select[Any]) -> int:
        return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    report = PurgeReport(
        cutoff=cutoff,
        incidents=len(incident_ids),
        evidence_posts=await count(evidence),
        unflagged_posts=await count(unflagged),
        task_comments=await count(comments),
        bus_messages=await count(bus),
        deliveries=await count(deliveries),
        dry_run=dry_run,
    )
    if dry_run:
        return report
    await session.execute(delete(TaskComment).where(TaskComment.id.in_(comments)))
    await session.execute(delete(Delivery).where(Delivery.id.in_(deliveries)))
    await session.execute(delete(PostRecord).where(PostRecord.id.in_(evidence)))
    await session.execute(delete(PostRecord).where(PostRecord.id.in_(unflagged)))
    await session.execute(delete(BusLogRow).where(BusLogRow.id.in_(bus)))
    stamp = utcnow()
    for incident_id in incident_ids:
        incident = await session.get(Incident, incident_id)
        if incident is not None:
            incident.purged_at = stamp
            session.add(
                IncidentEvent(
                    incident_id=incident_id,
                    kind="evidence_purged",
                    actor="doxwatch purge",
                    detail={"retention_days": retention_days},
                )
            )
    audit.record(
        session,
        "doxwatch purge",
        "retention.purge",
        "system",
        None,
        cutoff=cutoff.isoformat(),
        incidents=report.incidents,
        evidence_posts=report.evidence_posts,
        unflagged_posts=report.unflagged_posts,
        bus_messages=report.bus_messages,
        deliveries=report.deliveries,
    )
    return report

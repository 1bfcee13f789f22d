"""Database queries for posts and incidents (the only place that queries them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.alerts.models import Incident, IncidentEvent, IncidentStatus, PostRecord, Severity


async def existing_post_ids(session: AsyncSession, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are already stored."""
    if not ids:
        return set()
    rows = await session.scalars(select(PostRecord.id).where(PostRecord.id.in_(ids)))
    return set(rows)


async def open_incidents_for_urls(
    session: AsyncSession, urls: Sequence[str], since: datetime
) -> dict[str, Incident]:
    """Per URL, the most recent open incident grouping it with a post after ``since``."""
    if not urls:
        return {}
    rows = await session.scalars(
        select(Incident)
        .where(
            Incident.group_url.in_(set(urls)),
            Incident.status != IncidentStatus.CLOSED,
            Incident.last_post_at >= since,
        )
        .order_by(Incident.last_post_at)
    )
    # Ordered oldest first, so the most recent incident per URL is the one kept.
    return {row.group_url: row for row in rows if row.group_url is not None}


def add(session: AsyncSession, *rows: Incident | PostRecord | IncidentEvent) -> None:
    """Stage new rows."""
    session.add_all(rows)


async def list_incidents(
    session: AsyncSession,
    *,
    limit: int,
    after: tuple[datetime, str] | None,
    status: IncidentStatus | None,
    severity: Severity | None,
) -> list[Incident]:
    """Incidents newest first, keyset-paginated on (opened_at, id)."""
    query = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Incident.opened_at < at, and_(Incident.opened_at == at, Incident.id < last_id))
        )
    if status is not None:
        query = query.where(Incident.status == status)
    if severity is not None:
        query = query.where(Incident.severity == severity)
    return list(await session.scalars(query.limit(limit)))


async def get_incident(session: AsyncSession, incident_id: str) -> Incident | None:
    """One incident with its posts and timeline loaded."""
    return await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .options(selectinload(Incident.posts), selectinload(Incident.events))
    )

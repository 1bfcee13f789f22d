"""Database queries for posts and incidents (the only place that queries them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.alerts.models import (
    Incident,
    IncidentEvent,
    IncidentOfficer,
    IncidentStatus,
    PostRecord,
    Severity,
    Task,
)


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
    officer_id: str | None = None,
) -> list[Incident]:
    """Incidents newest first, keyset-paginated on (opened_at, id); optionally only those
    concerning one officer."""
    query = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
    if officer_id is not None:
        query = query.join(IncidentOfficer, IncidentOfficer.incident_id == Incident.id).where(
            IncidentOfficer.officer_id == officer_id
        )
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
    """One incident with its posts, officers, tasks and timeline loaded."""
    return await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .options(
            selectinload(Incident.posts),
            selectinload(Incident.events),
            selectinload(Incident.tasks).selectinload(Task.comments),
            selectinload(Incident.officers).selectinload(IncidentOfficer.officer),
        )
        .execution_options(populate_existing=True)
    )


async def get_incident_row(session: AsyncSession, incident_id: str) -> Incident | None:
    """One incident without its collections (for changes)."""
    return await session.get(Incident, incident_id)


async def concerns_officer(session: AsyncSession, incident_id: str, officer_id: str) -> bool:
    """Whether the incident is linked to the officer."""
    row = await session.get(IncidentOfficer, (incident_id, officer_id))
    return row is not None


async def get_task(session: AsyncSession, incident_id: str, task_id: int) -> Task | None:
    """A task of an incident."""
    task = await session.get(Task, task_id)
    return task if task is not None and task.incident_id == incident_id else None


@dataclass
class Candidates:
    """Open incidents a batch of flagged posts could join, and SimHashes of their posts."""

    incidents: list[Incident]
    hashes: list[tuple[int, str]]  # (simhash, incident id)


async def open_incident_candidates(
    session: AsyncSession,
    *,
    since: datetime,
    officer_ids: set[str],
    urls: set[str],
    threads: set[str],
    bands: list[set[int]],
) -> Candidates:
    """Open incidents active since ``since`` that share an officer, URL, thread or SimHash
    band with the batch; oldest activity first."""
    open_recent = and_(Incident.status != IncidentStatus.CLOSED, Incident.last_post_at >= since)
    ids: set[str] = set()
    hashes: list[tuple[int, str]] = []
    if officer_ids:
        ids |= set(
            await session.scalars(
                select(IncidentOfficer.incident_id)
                .join(Incident, Incident.id == IncidentOfficer.incident_id)
                .where(IncidentOfficer.officer_id.in_(officer_ids), open_recent)
            )
        )
    keyed = []
    if urls:
        keyed.append(Incident.group_url.in_(urls))
    if threads:
        keyed.append(Incident.group_thread.in_(threads))
    if keyed:
        ids |= set(await session.scalars(select(Incident.id).where(or_(*keyed), open_recent)))
    columns = (PostRecord.sim_b0, PostRecord.sim_b1, PostRecord.sim_b2, PostRecord.sim_b3)
    band_filters = [col.in_(values) for col, values in zip(columns, bands, strict=True) if values]
    if band_filters:
        rows = await session.execute(
            select(PostRecord.simhash, PostRecord.incident_id)
            .join(Incident, Incident.id == PostRecord.incident_id)
            .where(or_(*band_filters), PostRecord.stored_at >= since, open_recent)
        )
        for value, incident_id in rows:
            if value is not None and incident_id is not None:
                hashes.append((value, incident_id))
                ids.add(incident_id)
    if not ids:
        return Candidates([], [])
    incidents = list(
        await session.scalars(
            select(Incident).where(Incident.id.in_(ids)).order_by(Incident.last_post_at)
        )
    )
    return Candidates(incidents, hashes)


async def incident_officers(
    session: AsyncSession, incident_ids: Sequence[str]
) -> dict[str, dict[str, set[str]]]:
    """Per incident, its linked officers and the data types matched so far."""
    if not incident_ids:
        return {}
    rows = await session.scalars(
        select(IncidentOfficer).where(IncidentOfficer.incident_id.in_(incident_ids))
    )
    out: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        out.setdefault(row.incident_id, {})[row.officer_id] = set(row.matched_types)
    return out


async def task_kinds(session: AsyncSession, incident_ids: Sequence[str]) -> dict[str, set[str]]:
    """Per incident, the kinds of task it already has."""
    if not incident_ids:
        return {}
    rows = await session.execute(
        select(Task.incident_id, Task.kind).where(Task.incident_id.in_(incident_ids))
    )
    out: dict[str, set[str]] = {}
    for incident_id, kind in rows:
        out.setdefault(incident_id, set()).add(kind)
    return out

"""Database queries of the notices domain (the only place that queries its tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.alerts.models import Incident, IncidentOfficer, Task
from services.alerts.notices.models import Notice, NoticeStatus, Platform


async def get_incident(session: AsyncSession, incident_id: str) -> Incident | None:
    """An incident with its posts loaded."""
    return await session.scalar(
        select(Incident).where(Incident.id == incident_id).options(selectinload(Incident.posts))
    )


async def officer_count(session: AsyncSession, incident_id: str) -> int:
    """How many officers are linked to the incident."""
    count = await session.scalar(
        select(func.count())
        .select_from(IncidentOfficer)
        .where(IncidentOfficer.incident_id == incident_id)
    )
    return int(count or 0)


def _with_children() -> tuple[object, ...]:
    return (
        selectinload(Notice.revisions),
        selectinload(Notice.events),
        selectinload(Notice.evidence),
    )


async def get_notice(session: AsyncSession, notice_id: str) -> Notice | None:
    """One notice with its revisions, events and evidence."""
    return await session.scalar(
        select(Notice)
        .where(Notice.id == notice_id)
        .options(*_with_children())  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    )


async def list_notices(session: AsyncSession, incident_id: str) -> list[Notice]:
    """An incident's notices, oldest first."""
    rows = await session.scalars(
        select(Notice)
        .where(Notice.incident_id == incident_id)
        .order_by(Notice.created_at, Notice.id)
    )
    return list(rows)


async def overdue(session: AsyncSession, now: datetime) -> list[Notice]:
    """Sent or acknowledged notices whose deadline is before ``now``."""
    rows = await session.scalars(
        select(Notice)
        .where(
            Notice.status.in_([NoticeStatus.SENT, NoticeStatus.ACKNOWLEDGED]),
            Notice.deadline.is_not(None),
            Notice.deadline < now,
        )
        .order_by(Notice.deadline)
        .options(*_with_children())  # type: ignore[arg-type]
    )
    return list(rows)


async def task_exists(session: AsyncSession, incident_id: str, kind: str) -> bool:
    """True when the incident already has a task of this kind."""
    found = await session.scalar(
        select(Task.id).where(Task.incident_id == incident_id, Task.kind == kind)
    )
    return found is not None


async def removal_count(session: AsyncSession, incident_id: str) -> int:
    """How many of the incident's notices reached content_removed."""
    count = await session.scalar(
        select(func.count())
        .select_from(Notice)
        .where(
            Notice.incident_id == incident_id,
            Notice.status == NoticeStatus.CONTENT_REMOVED,
        )
    )
    return int(count or 0)


async def get_platform(session: AsyncSession, platform_id: str) -> Platform | None:
    """One platform of the directory."""
    return await session.get(Platform, platform_id)


async def list_platforms(session: AsyncSession) -> list[Platform]:
    """The whole directory, by name."""
    return list(await session.scalars(select(Platform).order_by(Platform.name)))

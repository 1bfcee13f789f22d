"""Queries of the delivery domain (the only module here that talks SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.delivery.models import Delivery, DeliveryStatus, Subscription
from services.alerts.models import IncidentOfficer, Officer, Task

OPEN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_delivery(session: AsyncSession, values: dict[str, Any]) -> Delivery:
    """Insert a delivery unless one with its ``dedup_key`` exists; return the stored row.

    ``ON CONFLICT DO NOTHING`` keeps a concurrent enqueue of the same thing from failing
    the caller's transaction (its incident change must still commit).
    """
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    await session.execute(
        insert(Delivery).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    row = await session.scalar(
        select(Delivery)
        .where(Delivery.dedup_key == values["dedup_key"])
        .execution_options(populate_existing=True)
    )
    assert row is not None, "the row was just inserted or already existed"
    return row


async def by_dedup_key(session: AsyncSession, key: str) -> Delivery | None:
    """The delivery with this dedup key, if any."""
    return await session.scalar(select(Delivery).where(Delivery.dedup_key == key))


async def incident_tasks(session: AsyncSession, incident_id: str) -> list[Task]:
    """The incident's stored handling-path tasks, in the order they were made."""
    return list(
        await session.scalars(select(Task).where(Task.incident_id == incident_id).order_by(Task.id))
    )


async def incident_officer_ids(session: AsyncSession, incident_id: str) -> list[str]:
    """Ids of the officers linked to the incident."""
    return list(
        await session.scalars(
            select(IncidentOfficer.officer_id)
            .where(IncidentOfficer.incident_id == incident_id)
            .order_by(IncidentOfficer.linked_at, IncidentOfficer.officer_id)
        )
    )


async def active_subscriptions(session: AsyncSession) -> list[Subscription]:
    """Every active webhook subscription."""
    return list(
        await session.scalars(
            select(Subscription).where(Subscription.active.is_(True)).order_by(Subscription.id)
        )
    )


async def claim_candidates(session: AsyncSession, now: datetime, limit: int) -> list[Delivery]:
    """Due deliveries whose lease (if any) has expired, locked for this transaction.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` keeps several alert processes from claiming
    the same row; SQLite serialises writers and runs one process.
    """
    query = (
        select(Delivery)
        .where(
            Delivery.status.in_(OPEN),
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if _dialect(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


async def officers_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Officer]:
    """Officers by id."""
    if not ids:
        return {}
    rows = await session.scalars(select(Officer).where(Officer.id.in_(ids)))
    return {o.id: o for o in rows}


async def subscriptions_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Subscription]:
    """Subscriptions by id."""
    if not ids:
        return {}
    rows = await session.scalars(select(Subscription).where(Subscription.id.in_(ids)))
    return {s.id: s for s in rows}


async def get_delivery(session: AsyncSession, delivery_id: str) -> Delivery | None:
    """One delivery."""
    return await session.get(Delivery, delivery_id)


async def list_deliveries(
    session: AsyncSession,
    *,
    status: DeliveryStatus | None,
    incident_id: str | None,
    limit: int,
) -> list[Delivery]:
    """Deliveries, newest first."""
    query = select(Delivery).order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    if incident_id is not None:
        query = query.where(Delivery.incident_id == incident_id)
    return list(await session.scalars(query))


async def count_open(session: AsyncSession) -> int:
    """Deliveries not yet delivered or given up (pending or sending)."""
    count = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.status.in_(OPEN))
    )
    return int(count or 0)


async def get_subscription(session: AsyncSession, subscription_id: str) -> Subscription | None:
    """One subscription."""
    return await session.get(Subscription, subscription_id)


async def list_subscriptions(session: AsyncSession) -> list[Subscription]:
    """Every subscription, oldest first."""
    return list(
        await session.scalars(
            select(Subscription).order_by(Subscription.created_at, Subscription.id)
        )
    )

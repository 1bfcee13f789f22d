"""The append-only audit log (enforced by the database) and retention purging."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import audit
from services.alerts.delivery.models import Audience, Channel, Delivery, DeliveryStatus
from services.alerts.incidents import service
from services.alerts.models import (
    AuditEntry,
    Incident,
    IncidentEvent,
    IncidentStatus,
    PostRecord,
    Resolution,
    Task,
)
from services.alerts.retention import purge
from services.bus.local import BusLogRow, BusOffsetRow
from services.db import utcnow
from tests import factories
from tests.alerts.conftest import ADMIN, make_token
from tests.conftest import LiveServer

RULES = service.Rules(window=timedelta(hours=72))


async def test_audit_log_refuses_update_and_delete(db_session: AsyncSession) -> None:
    audit.record(db_session, "tester", "incident.view", "incident", "abc")
    await db_session.flush()
    for statement in (
        update(AuditEntry).values(actor="someone else"),
        delete(AuditEntry),
    ):
        with pytest.raises((DBAPIError, IntegrityError)) as caught:
            async with db_session.begin_nested():
                await db_session.execute(statement)
        assert "append-only" in str(caught.value)
    assert await db_session.scalar(select(AuditEntry.actor)) == "tester"


async def test_audit_api_lists_views_and_changes_for_admins_only(alerts: LiveServer) -> None:
    async with alerts.client(ADMIN) as admin:
        await admin.post("/api/v1/officers", json={"display_name": "Agent Audit"})
        await admin.get("/api/v1/officers")
        page = (await admin.get("/api/v1/audit", params={"limit": 1})).json()
        assert [e["action"] for e in page["items"]] == ["officer.list"]
        older = (await admin.get("/api/v1/audit", params={"before": page["next_before"]})).json()
        assert [e["action"] for e in older["items"]] == ["officer.create"]
        assert older["items"][0]["actor"] == "admin (DOXWATCH_ADMIN_TOKEN)"
        filtered = (await admin.get("/api/v1/audit", params={"action": "officer.create"})).json()
        assert len(filtered["items"]) == 1
    analyst = await make_token(alerts, "analyst")
    async with alerts.client(analyst) as c:
        assert (await c.get("/api/v1/audit")).status_code == 403


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_purge_deletes_evidence_of_old_closed_incidents_only(
    db_session: AsyncSession,
) -> None:
    old_closed = factories.verdict(threat=True)
    recent_closed = factories.verdict(threat=True)
    still_open = factories.verdict(threat=True)
    unflagged_old = factories.verdict()
    unflagged_new = factories.verdict()
    await service.ingest(
        db_session, [old_closed, recent_closed, still_open, unflagged_old, unflagged_new], RULES
    )
    now = utcnow()
    posts = {p.id: p for p in await db_session.scalars(select(PostRecord))}
    incidents = {
        p.id: await db_session.get(Incident, p.incident_id) for p in posts.values() if p.incident_id
    }
    for post_id, closed_days_ago in ((old_closed.post_id, 400), (recent_closed.post_id, 10)):
        incident = incidents[post_id]
        assert incident is not None
        incident.status = IncidentStatus.CLOSED
        incident.resolution = Resolution.CONTENT_REMOVED
        incident.closed_at = now - timedelta(days=closed_days_ago)
    posts[unflagged_old.post_id].stored_at = now - timedelta(days=400)
    old_incident = incidents[old_closed.post_id]
    assert old_incident is not None
    for status, key in ((DeliveryStatus.DELIVERED, "a"), (DeliveryStatus.PENDING, "b")):
        db_session.add(
            Delivery(
                channel=Channel.WEBHOOK,
                audience=Audience.SUBSCRIPTION,
                incident_id=old_incident.id,
                event="incident.created",
                dedup_key=f"retention-test-{key}",
                payload={"body": {"incident": {"id": old_incident.id}}},
                status=status,
            )
        )
    db_session.add(
        BusLogRow(topic="doxwatch.posts.v1", value=b"old", created_at=now - timedelta(days=400))
    )
    db_session.add(
        BusLogRow(topic="doxwatch.posts.v1", value=b"unread", created_at=now - timedelta(days=400))
    )
    db_session.add(BusLogRow(topic="doxwatch.posts.v1", value=b"new", created_at=now))
    await db_session.flush()
    first_id = await db_session.scalar(select(func.min(BusLogRow.id)))
    assert first_id is not None
    db_session.add(BusOffsetRow(group_name="g", topic="doxwatch.posts.v1", position=first_id))
    await db_session.flush()

    dry = await purge(db_session, 365, dry_run=True)
    assert (dry.incidents, dry.evidence_posts, dry.unflagged_posts, dry.bus_messages) == (
        1,
        1,
        1,
        1,
    )
    assert await _count(db_session, PostRecord) == 5  # a dry run deletes nothing

    report = await purge(db_session, 365)
    assert (report.incidents, report.evidence_posts, report.unflagged_posts) == (1, 1, 1)
    remaining = set(await db_session.scalars(select(PostRecord.id)))
    assert remaining == {recent_closed.post_id, still_open.post_id, unflagged_new.post_id}
    assert [v for v in await db_session.scalars(select(BusLogRow.value))] == [b"unread", b"new"]
    assert list(await db_session.scalars(select(Delivery.status))) == [DeliveryStatus.PENDING]
    purged = incidents[old_closed.post_id]
    assert purged is not None
    await db_session.refresh(purged)
    assert purged.purged_at is not None
    assert await _count(db_session, Task) > 0  # the checklist and decisions stay
    kinds = set(
        await db_session.scalars(
            select(IncidentEvent.kind).where(IncidentEvent.incident_id == purged.id)
        )
    )
    assert "evidence_purged" in kinds
    assert await db_session.scalar(
        select(AuditEntry.action).where(AuditEntry.action == "retention.purge")
    )
    again = await purge(db_session, 365)
    assert (again.incidents, again.evidence_posts, again.unflagged_posts) == (0, 0, 0)

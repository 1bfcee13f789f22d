"""What ingestion and incident changes tell the outside world, through the delivery outbox.

Called inside the transaction that makes the change, so an alert or a subscription event
is stored exactly when the change is (see services.alerts.delivery).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.delivery import repository as delivery_repository
from services.alerts.delivery import service as delivery
from services.alerts.incidents.service import IngestResult
from services.alerts.incidents.workflow import Change
from services.alerts.models import Incident, Officer
from services.config import Settings

CREATED = "incident.created"
UPDATED = "incident.updated"


async def after_ingest(session: AsyncSession, settings: Settings, result: IngestResult) -> int:
    """Queue officer alerts and subscription events for one ingested batch; return how many."""
    queued = 0
    if result.alerts:
        ids = {a.officer_id for a in result.alerts}
        officers = {
            o.id: o for o in await session.scalars(select(Officer).where(Officer.id.in_(ids)))
        }
        for alert in result.alerts:
            officer = officers.get(alert.officer_id)
            if officer is None:
                continue
            rows = await delivery.enqueue_officer_alert(
                session,
                settings,
                incident=alert.incident,
                officer=officer,
                post=alert.post,
                matched=[(m.type, m.masked) for m in alert.matches],
            )
            queued += len(rows)
    if (result.opened or result.changed) and await delivery_repository.active_subscriptions(
        session
    ):
        for incident in result.opened:
            rows = await delivery.enqueue_incident_event(
                session, incident=incident, event=CREATED, changes={}
            )
            queued += len(rows)
        for incident in result.changed.values():
            rows = await delivery.enqueue_incident_event(
                session,
                incident=incident,
                event=UPDATED,
                changes={"post_count": incident.post_count, "severity": incident.severity.value},
            )
            queued += len(rows)
    return queued


async def after_change(session: AsyncSession, incident: Incident, change: Change) -> None:
    """Queue ``incident.updated`` for an analyst's change (nothing when nothing changed)."""
    if change:
        await delivery.enqueue_incident_event(
            session, incident=incident, event=UPDATED, changes=change.as_detail()
        )

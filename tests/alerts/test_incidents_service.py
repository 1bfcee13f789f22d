"""Verdict ingestion rules on SQLite and PostgreSQL, each test in a rolled-back transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.incidents import service
from services.alerts.models import Incident, IncidentEvent, PostRecord, Severity
from services.events import Labels, Scores
from tests import factories

WINDOW = service.Rules(window=timedelta(hours=72))


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_flagged_verdict_opens_incident(db_session: AsyncSession) -> None:
    v = factories.verdict(doxing_call=True)
    result = await service.ingest(db_session, [v], WINDOW)
    assert (result.stored, result.incidents_opened) == (1, 1)
    incident = await db_session.scalar(select(Incident))
    assert incident is not None
    assert incident.doxing_call and not incident.threat
    assert incident.title == "Doxing call on x"
    record = await db_session.get(PostRecord, v.post_id)
    assert record is not None and record.incident_id == incident.id


async def test_unflagged_verdict_is_stored_without_incident(db_session: AsyncSession) -> None:
    await service.ingest(db_session, [factories.verdict()], WINDOW)
    assert await _count(db_session, PostRecord) == 1
    assert await _count(db_session, Incident) == 0


async def test_repeated_verdict_changes_nothing(db_session: AsyncSession) -> None:
    v = factories.verdict(threat=True)
    await service.ingest(db_session, [v], WINDOW)
    events_before = await _count(db_session, IncidentEvent)
    again = await service.ingest(db_session, [v, v], WINDOW)
    assert (again.stored, again.duplicates, again.incidents_opened) == (0, 2, 0)
    assert await _count(db_session, Incident) == 1
    assert await _count(db_session, IncidentEvent) == events_before


async def test_same_url_joins_one_incident_and_raises_severity(db_session: AsyncSession) -> None:
    url = "https://x.example/thread/77"
    first = factories.verdict(doxing_call=True, url=url)
    second = factories.verdict(threat=True, personal_data=True, url=url)
    await service.ingest(db_session, [first], WINDOW)
    result = await service.ingest(db_session, [second], WINDOW)
    assert result.incidents_joined == 1
    incident = await db_session.scalar(select(Incident))
    assert incident is not None
    assert incident.post_count == 2
    assert incident.severity is Severity.CRITICAL
    kinds = list(await db_session.scalars(select(IncidentEvent.kind).order_by(IncidentEvent.id)))
    assert kinds == ["opened", "tasks_added", "severity_raised", "post_added"]


async def test_reposts_in_one_batch_join(db_session: AsyncSession) -> None:
    url = "https://x.example/thread/78"
    batch = [factories.verdict(threat=True, url=url) for _ in range(3)]
    result = await service.ingest(db_session, batch, WINDOW)
    assert (result.incidents_opened, result.incidents_joined) == (1, 2)


async def test_different_urls_open_separate_incidents(db_session: AsyncSession) -> None:
    await service.ingest(
        db_session, [factories.verdict(threat=True), factories.verdict(threat=True)], WINDOW
    )
    assert await _count(db_session, Incident) == 2


def test_severity_rules() -> None:
    s = Scores(threat=0.9, doxing_call=0.9, personal_data=0.9)
    assert service.severity_of(Labels(threat=True, personal_data=True), s) is Severity.CRITICAL
    assert service.severity_of(Labels(threat=True), s) is Severity.HIGH
    assert service.severity_of(Labels(doxing_call=True, personal_data=True), s) is Severity.HIGH
    assert service.severity_of(Labels(doxing_call=True), s) is Severity.MEDIUM
    assert service.severity_of(Labels(personal_data=True), Scores(personal_data=0.55)) is (
        Severity.LOW
    )

"""Grouping rules: officer, URL, thread and near-identical text, within the window only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import grouping
from services.alerts.incidents import service
from services.alerts.models import Incident, IncidentEvent, IncidentStatus, PostRecord
from services.alerts.registry.hashing import RegistryKey
from services.alerts.registry.schemas import OfficerIn, PersonalDataIn
from services.alerts.registry.service import register
from services.events import Span, SpanLabel
from tests import factories

KEY = RegistryKey("k" * 40)
RULES = service.Rules(window=timedelta(hours=72), registry=KEY)
LEAK = "Kerkstraat 12, 1234 AB Utrecht"


async def _incidents(session: AsyncSession) -> list[Incident]:
    return list(await session.scalars(select(Incident).order_by(Incident.opened_at)))


async def _grouped_by(session: AsyncSession) -> list[str]:
    rows = await session.scalars(
        select(IncidentEvent.detail).where(IncidentEvent.kind == "post_added")
    )
    return [d["grouped_by"] for d in rows]


def test_thread_key_ignores_query_fragment_www_and_case() -> None:
    a = grouping.thread_key("https://www.Forum.example/t/4411/?page=2#post-9")
    assert a == grouping.thread_key("https://forum.example/t/4411")
    assert a == "forum.example/t/4411"
    reddit = "https://reddit.example/r/nl/comments/abc12/some_title/"
    comment = "https://www.reddit.example/r/nl/comments/abc12/some_title/xyz99/"
    assert grouping.thread_key(reddit) == grouping.thread_key(comment)
    assert grouping.thread_key(None) is None
    assert grouping.thread_key("ftp://x.example/a") is None
    assert grouping.thread_key("not a url") is None


def test_simhash_sees_reposts_but_not_other_posts() -> None:
    base = "die agent van bureau west woont in de straat achter het park, zoek hem op"
    repost = f"{base.upper()}!! @iemand https://t.example/x #deel"
    other = "wie kent die diender van de controle gisteren? naam en adres graag jongens"
    a, b, c = (grouping.simhash(t) for t in (base, repost, other))
    assert a is not None and b is not None and c is not None
    assert grouping.distance(a, b) == 0
    assert grouping.distance(a, c) > 10
    assert grouping.simhash("wie kent hem?") is None  # too short to call a repost
    bands = grouping.bands(a)
    assert len(bands) == 4 and all(0 <= x < 1 << 16 for x in bands)


async def test_near_identical_text_on_other_urls_joins_one_incident(
    db_session: AsyncSession,
) -> None:
    text = "deel dit tot we weten wie die agent is, naam en adres van die smeris graag"
    first = factories.verdict(doxing_call=True, text=text)
    repost = factories.verdict(doxing_call=True, text=text + " #deel", platform="telegram")
    other = factories.verdict(doxing_call=True)
    await service.ingest(db_session, [first], RULES)
    result = await service.ingest(db_session, [repost, other], RULES)
    assert (result.incidents_joined, result.incidents_opened) == (1, 1)
    assert len(await _incidents(db_session)) == 2
    assert await _grouped_by(db_session) == ["near_duplicate"]


async def test_near_duplicates_off_when_bits_zero_and_text_differs(
    db_session: AsyncSession,
) -> None:
    rules = service.Rules(window=timedelta(hours=72), near_duplicate_bits=0)
    text = "deel dit tot we weten wie die agent is, naam en adres van die smeris graag"
    a = factories.verdict(doxing_call=True, text=text)
    b = factories.verdict(doxing_call=True, text=text.replace("smeris", "diender"))
    result = await service.ingest(db_session, [a, b], rules)
    assert result.incidents_opened == 2


async def test_same_thread_joins(db_session: AsyncSession) -> None:
    a = factories.verdict(threat=True, url="https://forum.example/t/991?page=1#c1")
    b = factories.verdict(threat=True, url="https://forum.example/t/991?page=3#c40")
    result = await service.ingest(db_session, [a, b], RULES)
    assert (result.incidents_opened, result.incidents_joined) == (1, 1)
    assert await _grouped_by(db_session) == ["thread"]


async def test_same_registered_officer_joins_across_urls_and_texts(
    db_session: AsyncSession,
) -> None:
    officer, _ = await register(
        db_session,
        KEY,
        OfficerIn(
            display_name="Agent T. Veldkamp",
            personal_data=[PersonalDataIn(type=SpanLabel.ADDRESS, value=LEAK)],
        ),
        "test",
    )
    text1 = f"die wout woont op {LEAK.replace(',', '')}, ga maar eens langs"
    text2 = "ze woont echt op kerkstraat 12 in utrecht, iedereen weet het nu"
    v1 = factories.verdict(
        personal_data=True, text=text1, spans=[factories.address_span(text1, "Kerkstraat 12")]
    )
    v2 = factories.verdict(
        threat=True, text=text2, spans=[factories.address_span(text2, "kerkstraat 12")]
    )
    await service.ingest(db_session, [v1], RULES)
    result = await service.ingest(db_session, [v2], RULES)
    assert result.incidents_joined == 1
    (incident,) = await _incidents(db_session)
    assert incident.severity.value == "critical"  # home address + threat
    assert await _grouped_by(db_session) == ["officer"]
    record = await db_session.get(PostRecord, v2.post_id)
    assert record is not None and record.registry_matches[0]["officer_id"] == officer.id
    assert record.registry_matches[0]["masked"] != "Kerkstraat 12, 1234 AB Utrecht"


async def test_no_join_outside_window_or_into_closed_incident(db_session: AsyncSession) -> None:
    url = "https://x.example/status/5501"
    await service.ingest(db_session, [factories.verdict(threat=True, url=url)], RULES)
    (incident,) = await _incidents(db_session)
    incident.last_post_at = incident.last_post_at - timedelta(hours=73)
    await db_session.flush()
    await service.ingest(db_session, [factories.verdict(threat=True, url=url)], RULES)
    assert len(await _incidents(db_session)) == 2
    newest = (await _incidents(db_session))[-1]
    newest.status = IncidentStatus.CLOSED
    await db_session.flush()
    await service.ingest(db_session, [factories.verdict(threat=True, url=url)], RULES)
    assert len(await _incidents(db_session)) == 3


async def test_registry_match_flags_a_post_the_model_let_pass(db_session: AsyncSession) -> None:
    await register(
        db_session,
        KEY,
        OfficerIn(
            display_name="Agent R. Meulenbelt",
            personal_data=[PersonalDataIn(type=SpanLabel.LICENSE_PLATE, value="GH-123-K")],
        ),
        "test",
    )
    text = "die blauwe golf met kenteken GH-123-K staat elke avond bij de sporthal"
    start = text.index("GH-123-K")
    span = Span(start=start, end=start + 8, label=SpanLabel.LICENSE_PLATE, normalized="GH123K")
    result = await service.ingest(db_session, [factories.verdict(text=text, spans=[span])], RULES)
    assert result.incidents_opened == 1
    assert [a.officer_id for a in result.alerts]
    (incident,) = await _incidents(db_session)
    assert incident.personal_data and incident.severity.value == "high"
    kinds = set(await db_session.scalars(select(IncidentEvent.kind)))
    assert {"opened", "officer_identified", "tasks_added"} <= kinds


@pytest.mark.parametrize("count", [3])
async def test_repost_campaign_alerts_the_officer_once(
    db_session: AsyncSession, count: int
) -> None:
    await register(
        db_session,
        KEY,
        OfficerIn(
            display_name="Agent S. Bosch",
            personal_data=[PersonalDataIn(type=SpanLabel.ADDRESS, value=LEAK)],
        ),
        "test",
    )
    text = f"adres van die agent: {LEAK}. deel het!"
    span = factories.address_span(text, LEAK)
    batch = [factories.verdict(personal_data=True, text=text, spans=[span]) for _ in range(count)]
    result = await service.ingest(db_session, batch, RULES)
    assert (result.incidents_opened, result.incidents_joined) == (1, count - 1)
    assert len(result.alerts) == 1
    total = await db_session.scalar(select(func.count()).select_from(PostRecord))
    assert total == count

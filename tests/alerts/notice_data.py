"""Invented incident data for the notices tests (every personal detail here is made up)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.incidents import repository as incidents_repo
from services.alerts.models import Incident, PostRecord, Severity
from services.events import Span, SpanLabel, Verdict
from tests import factories

URL_1 = "https://x.example/someone/status/101"
URL_2 = "https://x.example/other/status/202"
CAPTURED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)

LEAK_TEXT = (
    "die wout woont op Lindelaan 14, 3581 KR Utrecht, zijn nummer 06-12345678 en "
    "zijn auto GH-123-K. we wachten hem vanavond op"
)
CALL_TEXT = "wie kent deze agent? deel zijn adres tot iedereen het weet"

# (label, value in the text, normalised value as the detector writes it)
LEAKS: tuple[tuple[SpanLabel, str, str], ...] = (
    (SpanLabel.ADDRESS, "Lindelaan 14, 3581 KR Utrecht", "lindelaan 14 3581kr utrecht"),
    (SpanLabel.PHONE, "06-12345678", "+31612345678"),
    (SpanLabel.LICENSE_PLATE, "GH-123-K", "GH123K"),
)
# Every way the leaked values may not appear in a notice.
FORBIDDEN = (
    *(raw for _, raw, _ in LEAKS),
    *(norm for _, _, norm in LEAKS),
    "0612345678",
    "Lindelaan 14",
    "3581 KR",
    "3581KR",
)

SCREENSHOT_SHA = "5d1c6a0e" * 8


def spans() -> list[Span]:
    """The leaked values of LEAK_TEXT as detector spans."""
    out = []
    for label, raw, norm in LEAKS:
        start = LEAK_TEXT.index(raw)
        out.append(Span(start=start, end=start + len(raw), label=label, normalized=norm))
    return out


def span_dicts() -> list[dict[str, Any]]:
    """The spans as stored on a PostRecord."""
    return [s.model_dump(mode="json") for s in spans()]


def transient_incident() -> tuple[Incident, list[PostRecord]]:
    """An incident with two posts, not stored (for rendering tests)."""
    incident = Incident(
        id="7f3c2a10-0000-4000-8000-000000000001",
        title="Threat + doxing call + personal data on x",
        severity=Severity.CRITICAL,
        threat=True,
        doxing_call=True,
        personal_data=True,
    )
    leak = PostRecord(
        id="p-leak",
        text=LEAK_TEXT,
        platform="x",
        url=URL_1,
        author="@someone",
        posted_at=datetime(2026, 11, 30, 8, 50, tzinfo=UTC),
        received_at=CAPTURED,
        spans=span_dicts(),
        evidence=[
            {
                "kind": "screenshot",
                "sha256": SCREENSHOT_SHA,
                "captured_at": CAPTURED.isoformat(),
                "source_url": URL_1,
            }
        ],
    )
    call = PostRecord(
        id="p-call",
        text=CALL_TEXT,
        platform="x",
        url=URL_2,
        author="@other",
        posted_at=None,
        received_at=CAPTURED,
        spans=[],
        evidence=[],
    )
    return incident, [leak, call]


def verdicts() -> list[Verdict]:
    """The two posts as verdicts (a threat leaking data, and a call to dox)."""
    return [
        factories.verdict(
            threat=True, personal_data=True, spans=spans(), text=LEAK_TEXT, url=URL_1
        ),
        factories.verdict(doxing_call=True, text=CALL_TEXT, url=URL_2),
    ]


async def stored_incident(session: AsyncSession) -> Incident:
    """An incident in the database holding both posts (threat, doxing call, leaked data)."""
    from datetime import timedelta

    from services.alerts.incidents import service as incidents

    first, second = verdicts()
    await incidents.ingest(session, [first], incidents.Rules(window=timedelta(hours=72)))
    post = await session.get(PostRecord, first.post_id)
    assert post is not None and post.incident_id is not None
    incident = await session.get(Incident, post.incident_id)
    assert incident is not None
    await incidents.ingest(session, [second], incidents.Rules(window=timedelta(hours=72)))
    other = await session.get(PostRecord, second.post_id)
    assert other is not None and other.incident_id is not None
    # The call is on another URL, so it opened an incident of its own; grouping by
    # officer is not in this branch, so it is moved by hand (its own incident stays empty).
    other.incident_id = incident.id
    incident.doxing_call = True
    incident.post_count = 2
    post.evidence = [
        {
            "kind": "screenshot",
            "sha256": SCREENSHOT_SHA,
            "captured_at": CAPTURED.isoformat(),
            "source_url": URL_1,
        }
    ]
    await session.flush()
    incident_id = incident.id
    session.expire(incident)
    loaded = await incidents_repo.get_incident(session, incident_id)
    assert loaded is not None
    return loaded

"""Incident rules: store verdicts idempotently, group flagged posts, rate severity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.incidents import repository
from services.alerts.models import SEVERITY_RANK, Incident, IncidentEvent, PostRecord, Severity
from services.db import utcnow
from services.events import Labels, Scores, Verdict

VERDICTS_STORED = Counter("doxwatch_verdicts_stored_total", "Verdicts stored", ["flagged"])
INCIDENTS_OPENED = Counter("doxwatch_incidents_opened_total", "Incidents opened", ["severity"])


def severity_of(labels: Labels, scores: Scores) -> Severity:
    """Severity from the labels and how sure the detector is.

    Leaked data combined with a threat or a call to dox puts the officer at direct
    risk (critical/high); a threat alone is high; a call or a leak alone is medium,
    dropping to low when the detector was barely sure.
    """
    if labels.threat and labels.personal_data:
        return Severity.CRITICAL
    if labels.threat or (labels.doxing_call and labels.personal_data):
        return Severity.HIGH
    top = max(
        scores.doxing_call if labels.doxing_call else 0.0,
        scores.personal_data if labels.personal_data else 0.0,
    )
    return Severity.MEDIUM if top >= 0.6 else Severity.LOW


def title_of(labels: Labels, platform: str) -> str:
    """A short human title: what was found, and where."""
    found = [
        name
        for name, on in (
            ("threat", labels.threat),
            ("doxing call", labels.doxing_call),
            ("personal data", labels.personal_data),
        )
        if on
    ]
    return f"{' + '.join(found).capitalize()} on {platform}"


@dataclass(frozen=True)
class IngestResult:
    """What one batch of verdicts did."""

    stored: int
    duplicates: int
    incidents_opened: int
    incidents_joined: int


def _record(verdict: Verdict) -> PostRecord:
    post, c = verdict.post, verdict.classification
    return PostRecord(
        id=post.id,
        text=post.text,
        platform=post.platform,
        url=post.url,
        author=post.author,
        external_id=post.external_id,
        posted_at=post.posted_at,
        reported_by=post.reported_by,
        lang=post.lang,
        received_at=post.received_at,
        classified_at=verdict.classified_at,
        threat=c.labels.threat,
        doxing_call=c.labels.doxing_call,
        personal_data=c.labels.personal_data,
        score_threat=c.scores.threat,
        score_doxing_call=c.scores.doxing_call,
        score_personal_data=c.scores.personal_data,
        spans=[s.model_dump(mode="json") for s in c.spans],
        officer_mentions=list(c.officer_mentions),
        explanation=c.explanation,
        model_version=c.model_version,
    )


def _join(
    session: AsyncSession, incident: Incident, record: PostRecord, labels: Labels, scores: Scores
) -> None:
    # Rows are linked by foreign key, not through the relationships, so that nothing
    # lazy-loads an incident's collections inside the async session.
    now = utcnow()
    incident.threat |= labels.threat
    incident.doxing_call |= labels.doxing_call
    incident.personal_data |= labels.personal_data
    merged = Labels(
        threat=incident.threat,
        doxing_call=incident.doxing_call,
        personal_data=incident.personal_data,
    )
    rated = severity_of(merged, scores)
    if SEVERITY_RANK[rated] > SEVERITY_RANK[incident.severity]:
        repository.add(
            session,
            IncidentEvent(
                incident_id=incident.id,
                kind="severity_raised",
                detail={"from": incident.severity.value, "to": rated.value},
            ),
        )
        incident.severity = rated
    incident.post_count += 1
    incident.updated_at = now
    incident.last_post_at = now
    record.incident_id = incident.id
    repository.add(
        session,
        IncidentEvent(incident_id=incident.id, kind="post_added", detail={"post_id": record.id}),
    )


async def ingest(
    session: AsyncSession, verdicts: Sequence[Verdict], window: timedelta
) -> IngestResult:
    """Store verdicts; open or join incidents for flagged posts. A repeat changes nothing."""
    seen = await repository.existing_post_ids(session, [v.post_id for v in verdicts])
    stored = duplicates = opened = joined = 0
    # All lookups happen before anything is added, so that the inserts are flushed
    # together at the end (one round trip per table) instead of one autoflush per post.
    flagged_urls = [v.post.url for v in verdicts if v.post.url and v.classification.labels.any()]
    by_url = await repository.open_incidents_for_urls(session, flagged_urls, utcnow() - window)
    for verdict in verdicts:
        if verdict.post_id in seen:
            duplicates += 1
            continue
        seen.add(verdict.post_id)
        record = _record(verdict)
        repository.add(session, record)
        stored += 1
        labels, scores = verdict.classification.labels, verdict.classification.scores
        VERDICTS_STORED.labels(str(labels.any()).lower()).inc()
        if not labels.any():
            continue
        url = verdict.post.url
        incident = by_url.get(url) if url else None
        if incident is not None:
            _join(session, incident, record, labels, scores)
            joined += 1
            continue
        severity = severity_of(labels, scores)
        incident = Incident(
            id=str(uuid.uuid4()),
            title=title_of(labels, verdict.post.platform),
            severity=severity,
            threat=labels.threat,
            doxing_call=labels.doxing_call,
            personal_data=labels.personal_data,
            group_url=url,
            post_count=1,
        )
        record.incident_id = incident.id
        repository.add(
            session,
            incident,
            IncidentEvent(
                incident_id=incident.id,
                kind="opened",
                detail={"post_id": record.id, "severity": severity.value},
            ),
        )
        INCIDENTS_OPENED.labels(severity.value).inc()
        if url:
            by_url[url] = incident  # reposts later in the batch join it
        opened += 1
    await session.flush()
    return IngestResult(stored, duplicates, opened, joined)

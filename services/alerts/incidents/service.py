"""Incident rules: store verdicts idempotently, group flagged posts, rate severity.

A flagged post (any label set, or any span that matches the officer registry) joins
an open incident that saw a post within the window, looked up in this order:

1. an incident concerning the same registered officer;
2. an incident on the same URL;
3. an incident on the same thread (see :func:`services.alerts.grouping.thread_key`);
4. an incident holding a near-identical text (a repost, by SimHash).

Otherwise it opens a new incident, with a due time per severity and the task checklist
of the handling path. A repeated verdict (same post id) changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import grouping, handling
from services.alerts.incidents import repository
from services.alerts.legal import qualify
from services.alerts.models import (
    SEVERITY_RANK,
    Incident,
    IncidentEvent,
    IncidentOfficer,
    IncidentStatus,
    PostRecord,
    ReviewStatus,
    Severity,
    Task,
)
from services.alerts.registry.hashing import RegistryKey
from services.alerts.registry.service import Match, match_many
from services.config import Settings
from services.db import utcnow
from services.events import Labels, Scores, SpanLabel, Verdict

VERDICTS_STORED = Counter("doxwatch_verdicts_stored_total", "Verdicts stored", ["flagged"])
INCIDENTS_OPENED = Counter("doxwatch_incidents_opened_total", "Incidents opened", ["severity"])
REGISTRY_MATCHES = Counter(
    "doxwatch_registry_matches_total", "Posts matching a registered officer's data", ["type"]
)

DEFAULT_DUE_HOURS: Mapping[str, float] = {
    "critical": 1.0,
    "high": 4.0,
    "medium": 24.0,
    "low": 72.0,
}

_HOME = {SpanLabel.ADDRESS.value}


@dataclass(frozen=True)
class Rules:
    """The settings ingestion works by."""

    window: timedelta
    near_duplicate_bits: int = 3
    due_hours: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DUE_HOURS))
    registry: RegistryKey | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        """Rules as configured."""
        key = settings.registry_key
        return cls(
            window=timedelta(hours=settings.incident_window_hours),
            near_duplicate_bits=settings.near_duplicate_bits,
            due_hours=dict(settings.due_hours),
            registry=RegistryKey(key.get_secret_value()) if key is not None else None,
        )

    def due(self, severity: Severity, start: datetime) -> datetime:
        """When an incident of this severity opened at ``start`` is due."""
        return start + timedelta(hours=self.due_hours[severity.value])


def severity_of(labels: Labels, scores: Scores, matched: frozenset[str] = frozenset()) -> Severity:
    """Severity from the labels, how sure the detector is, and registry matches.

    A registered officer's home address leaked together with a threat or a call to dox
    is critical, as is any leak combined with a threat; a threat, a call with leaked
    data, or any registry match is high; a call or a leak alone is medium, dropping to
    low when the detector was barely sure.
    """
    hostile = labels.threat or labels.doxing_call
    if (matched & _HOME and hostile) or (labels.threat and labels.personal_data):
        return Severity.CRITICAL
    if labels.threat or (labels.doxing_call and labels.personal_data) or matched:
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
class OfficerAlert:
    """An officer to alert: newly linked to an incident, or a new kind of their data leaked."""

    incident: Incident
    officer_id: str
    post: PostRecord
    matches: tuple[Match, ...]


@dataclass
class IngestResult:
    """What one batch of verdicts did."""

    stored: int = 0
    duplicates: int = 0
    incidents_opened: int = 0
    incidents_joined: int = 0
    alerts: list[OfficerAlert] = field(default_factory=list)
    opened: list[Incident] = field(default_factory=list)
    changed: dict[str, Incident] = field(default_factory=dict)


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
        registry_matches=[],
        evidence=[e.model_dump(mode="json") for e in getattr(post, "evidence", [])],
    )


@dataclass
class _Open:
    """An incident this batch may add posts to, with what is known about it."""

    incident: Incident
    officers: dict[str, set[str]]  # officer id -> matched types so far
    task_kinds: set[str]


class _Batch:
    """Lookups and state of one ingestion batch."""

    def __init__(self, session: AsyncSession, rules: Rules, result: IngestResult) -> None:
        self.session = session
        self.rules = rules
        self.result = result
        self.by_officer: dict[str, _Open] = {}
        self.by_url: dict[str, _Open] = {}
        self.by_thread: dict[str, _Open] = {}
        self.hashes: list[tuple[int, _Open]] = []
        self.known: dict[str, _Open] = {}

    async def load(self, flagged: list[tuple[PostRecord, list[Match]]], since: datetime) -> None:
        """Find the open incidents any flagged post of the batch could join (batched)."""
        officer_ids = {m.officer_id for _, ms in flagged for m in ms}
        urls = {r.url for r, _ in flagged if r.url}
        threads = {r.thread_key for r, _ in flagged if r.thread_key}
        band_sets: list[set[int]] = [set(), set(), set(), set()]
        for r, _ in flagged:
            if r.simhash is not None:
                for i, b in enumerate(grouping.bands(r.simhash)):
                    band_sets[i].add(b)
        found = await repository.open_incident_candidates(
            self.session,
            since=since,
            officer_ids=officer_ids,
            urls=urls,
            threads=threads,
            bands=band_sets,
        )
        ids = [i.id for i in found.incidents]
        officers = await repository.incident_officers(self.session, ids)
        kinds = await repository.task_kinds(self.session, ids)
        for incident in found.incidents:  # oldest activity first: newer ones win below
            self.known[incident.id] = _Open(
                incident, officers.get(incident.id, {}), kinds.get(incident.id, set())
            )
        for incident in found.incidents:
            slot = self.known[incident.id]
            for officer_id in slot.officers:
                self.by_officer[officer_id] = slot
            if incident.group_url:
                self.by_url[incident.group_url] = slot
            if incident.group_thread:
                self.by_thread[incident.group_thread] = slot
        for value, incident_id in found.hashes:
            if incident_id in self.known:
                self.hashes.append((value, self.known[incident_id]))

    def candidate(self, record: PostRecord, matches: Sequence[Match]) -> tuple[_Open, str] | None:
        """The incident this post joins, and why; None to open a new one."""
        for m in matches:
            if m.officer_id in self.by_officer:
                return self.by_officer[m.officer_id], "officer"
        if record.url and record.url in self.by_url:
            return self.by_url[record.url], "url"
        if record.thread_key and record.thread_key in self.by_thread:
            return self.by_thread[record.thread_key], "thread"
        if record.simhash is not None:
            best: tuple[int, _Open] | None = None
            for value, slot in self.hashes:
                d = grouping.distance(value, record.simhash)
                if d <= self.rules.near_duplicate_bits and (best is None or d < best[0]):
                    best = (d, slot)
            if best is not None:
                return best[1], "near_duplicate"
        return None

    def remember(self, slot: _Open, record: PostRecord) -> None:
        """Later posts of the batch can join this incident."""
        for officer_id in slot.officers:
            self.by_officer[officer_id] = slot
        if record.url:
            self.by_url.setdefault(record.url, slot)
        if record.thread_key:
            self.by_thread.setdefault(record.thread_key, slot)
        if record.simhash is not None:
            self.hashes.append((record.simhash, slot))


@dataclass
class _Rows:
    """What a batch writes. Timeline events and tasks are inserted in bulk with Core
    (one statement each), because the ORM fetches every autoincrement key row by row."""

    orm: list[object] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    relinks: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def event(self, incident_id: str, kind: str, actor: str = "system", **detail: Any) -> None:
        self.events.append(
            {"incident_id": incident_id, "kind": kind, "actor": actor, "detail": detail}
        )


def _labels(row: Incident | PostRecord) -> Labels:
    return Labels(threat=row.threat, doxing_call=row.doxing_call, personal_data=row.personal_data)


def sync_tasks(
    rows: _Rows,
    incident: Incident,
    have: set[str],
    *,
    officer_identified: bool,
    poster_known: bool,
    actor: str = "system",
) -> list[str]:
    """Add the checklist tasks the incident now needs and does not have yet."""
    q = qualify(
        threat=incident.threat,
        doxing_call=incident.doxing_call,
        personal_data=incident.personal_data,
        officer_identified=officer_identified,
    )
    added = []
    for template in handling.checklist(q, poster_known=poster_known):
        if template.kind in have:
            continue
        have.add(template.kind)
        added.append(template.kind)
        rows.tasks.append(
            {
                "incident_id": incident.id,
                "kind": template.kind,
                "route": template.route.value,
                "title": template.title_nl,
                "due_at": incident.due_at,
                "detail": {"title_en": template.title_en},
            }
        )
    if added:
        rows.event(incident.id, "tasks_added", actor, kinds=added)
    return added


def _link_officers(
    rows: _Rows,
    slot: _Open,
    record: PostRecord,
    matches: Sequence[Match],
    result: IngestResult,
) -> None:
    by_officer: dict[str, list[Match]] = {}
    for m in matches:
        by_officer.setdefault(m.officer_id, []).append(m)
    incident = slot.incident
    for officer_id, ms in by_officer.items():
        types = {m.type for m in ms}
        known = slot.officers.get(officer_id)
        if known is None:
            slot.officers[officer_id] = set(types)
            link = IncidentOfficer(
                incident_id=incident.id, officer_id=officer_id, matched_types=sorted(types)
            )
            rows.orm.append(link)
            rows.event(
                incident.id,
                "officer_identified",
                officer_id=officer_id,
                types=sorted(types),
                post_id=record.id,
            )
        elif types <= known:
            continue  # nothing new for this officer: no second alert for a repost
        else:
            known |= types
            rows.relinks[(incident.id, officer_id)] = sorted(known)
            rows.event(
                incident.id,
                "officer_data_matched",
                officer_id=officer_id,
                types=sorted(types),
                post_id=record.id,
            )
        result.alerts.append(OfficerAlert(incident, officer_id, record, tuple(ms)))


def _open(
    rows: _Rows,
    record: PostRecord,
    labels: Labels,
    scores: Scores,
    matches: Sequence[Match],
    rules: Rules,
    now: datetime,
) -> _Open:
    severity = severity_of(labels, scores, frozenset(m.type for m in matches))
    incident = Incident(
        id=str(uuid.uuid4()),
        title=title_of(labels, record.platform),
        status=IncidentStatus.NEW,
        severity=severity,
        threat=labels.threat,
        doxing_call=labels.doxing_call,
        personal_data=labels.personal_data,
        group_url=record.url,
        group_thread=record.thread_key,
        post_count=1,
        tags=[],
        opened_at=now,
        updated_at=now,
        last_post_at=now,
        due_at=rules.due(severity, now),
    )
    record.incident_id = incident.id
    rows.orm.append(incident)
    rows.event(incident.id, "opened", post_id=record.id, severity=severity.value)
    INCIDENTS_OPENED.labels(severity.value).inc()
    return _Open(incident, {}, set())


def _join(
    rows: _Rows,
    slot: _Open,
    record: PostRecord,
    labels: Labels,
    scores: Scores,
    matches: Sequence[Match],
    rules: Rules,
    reason: str,
    now: datetime,
) -> None:
    # Rows are linked by foreign key, not through the relationships, so that nothing
    # lazy-loads an incident's collections inside the async session.
    incident = slot.incident
    incident.threat |= labels.threat
    incident.doxing_call |= labels.doxing_call
    incident.personal_data |= labels.personal_data
    matched = frozenset(m.type for m in matches) | frozenset(
        t for types in slot.officers.values() for t in types
    )
    rated = severity_of(_labels(incident), scores, matched)
    if SEVERITY_RANK[rated] > SEVERITY_RANK[incident.severity]:
        rows.event(
            incident.id, "severity_raised", **{"from": incident.severity.value}, to=rated.value
        )
        incident.severity = rated
        sooner = rules.due(rated, now)
        if incident.due_at is None or sooner < incident.due_at:
            incident.due_at = sooner
    incident.post_count += 1
    incident.updated_at = now
    incident.last_post_at = now
    record.incident_id = incident.id
    rows.event(incident.id, "post_added", post_id=record.id, grouped_by=reason)


async def ingest(session: AsyncSession, verdicts: Sequence[Verdict], rules: Rules) -> IngestResult:
    """Store verdicts; open or join incidents for flagged posts. A repeat changes nothing.

    Every lookup runs before anything is written (no autoflush in between), and the
    writes go out at the end: one INSERT per table, plus the UPDATEs of joined incidents.
    """
    result = IngestResult()
    rows = _Rows()
    seen = await repository.existing_post_ids(session, [v.post_id for v in verdicts])
    now = utcnow()
    fresh: list[tuple[Verdict, PostRecord]] = []
    for verdict in verdicts:
        if verdict.post_id in seen:
            result.duplicates += 1
            continue
        seen.add(verdict.post_id)
        fresh.append((verdict, _record(verdict)))
        result.stored += 1

    matches: dict[str, list[Match]] = {}
    if rules.registry is not None:
        spans = {
            r.id: [(SpanLabel(s.label), r.text[s.start : s.end]) for s in v.classification.spans]
            for v, r in fresh
            if v.classification.spans
        }
        if spans:
            matches = await match_many(session, rules.registry, spans)

    flagged: list[tuple[PostRecord, list[Match]]] = []
    for verdict, record in fresh:
        ms = matches.get(record.id, [])
        is_flagged = verdict.classification.labels.any() or bool(ms)
        VERDICTS_STORED.labels(str(is_flagged).lower()).inc()
        if not is_flagged:
            continue
        record.review_status = ReviewStatus.PENDING
        record.thread_key = grouping.thread_key(record.url)
        record.simhash = grouping.simhash(record.text)
        if record.simhash is not None:
            record.sim_b0, record.sim_b1, record.sim_b2, record.sim_b3 = grouping.bands(
                record.simhash
            )
        if ms:
            record.registry_matches = [
                {
                    "officer_id": m.officer_id,
                    "type": m.type,
                    "masked": m.masked,
                    "subject": m.subject,
                }
                for m in ms
            ]
            for m in ms:
                REGISTRY_MATCHES.labels(m.type).inc()
        flagged.append((record, ms))

    if flagged:
        batch = _Batch(session, rules, result)
        await batch.load(flagged, now - rules.window)
        for record, ms in flagged:
            _place(rows, batch, record, ms, now)

    session.add_all([r for _, r in fresh])
    session.add_all(rows.orm)
    await session.flush()
    if rows.events:
        await session.execute(insert(IncidentEvent), rows.events)
    if rows.tasks:
        await session.execute(insert(Task), rows.tasks)
    for (incident_id, officer_id), types in rows.relinks.items():
        await session.execute(
            update(IncidentOfficer)
            .where(
                IncidentOfficer.incident_id == incident_id,
                IncidentOfficer.officer_id == officer_id,
            )
            .values(matched_types=types)
        )
    return result


def _place(rows: _Rows, batch: _Batch, record: PostRecord, ms: list[Match], now: datetime) -> None:
    """Open or join the incident for one flagged post."""
    rules, result = batch.rules, batch.result
    labels = Labels(
        threat=record.threat,
        doxing_call=record.doxing_call,
        # A registered officer's data in the post is a leak, whatever the model said.
        personal_data=record.personal_data or bool(ms),
    )
    scores = Scores(
        threat=record.score_threat,
        doxing_call=record.score_doxing_call,
        personal_data=record.score_personal_data,
    )
    found = batch.candidate(record, ms)
    if found is None:
        slot = _open(rows, record, labels, scores, ms, rules, now)
        batch.known[slot.incident.id] = slot
        result.incidents_opened += 1
        result.opened.append(slot.incident)
    else:
        slot, reason = found
        _join(rows, slot, record, labels, scores, ms, rules, reason, now)
        result.incidents_joined += 1
        if all(slot.incident is not i for i in result.opened):
            result.changed[slot.incident.id] = slot.incident
    _link_officers(rows, slot, record, ms, result)
    sync_tasks(
        rows,
        slot.incident,
        slot.task_kinds,
        officer_identified=bool(slot.officers),
        poster_known=bool(record.author),
    )
    batch.remember(slot, record)

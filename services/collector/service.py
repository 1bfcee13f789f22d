"""Intake rules: every way in (API, batch, reports, import, connectors, webhook) ends here.

:func:`accept` de-duplicates the candidates against each other and against the posts
seen within ``DOXWATCH_DEDUP_WINDOW_HOURS``, publishes a ``Post`` event for each new one,
and records a sighting for every arrival.

Why this module opens its own short transactions instead of using the request's
session: the publish sits between reading and writing the key table, and on SQLite a
write transaction held across the embedded bus's own commit would block it. Within one
process the steps run under a lock, so two concurrent copies of a post cannot both be
new; across several collector processes the same race is possible and is harmless
beyond a missed de-duplication (both posts are classified).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, cast

import structlog
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from services.bus import BusError, Record
from services.collector import repository
from services.collector.dedup import keys_for
from services.collector.errors import NotStored
from services.collector.schemas import BatchAccepted, PostIn
from services.db import transaction, utcnow
from services.events import POSTS_TOPIC, EvidenceRef, Post, encode
from services.runtime import Runtime

log = structlog.get_logger("doxwatch.collector")

ACCEPTED = Counter("doxwatch_posts_accepted_total", "Posts accepted by the collector", ["platform"])
DUPLICATES = Counter(
    "doxwatch_posts_duplicate_total",
    "Arrivals recognised as a post already accepted",
    ["matched_on"],
)

MatchedOn = Literal["ext", "url", "text"]

_locks: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Candidate:
    """A post on its way in, from any source, before de-duplication."""

    text: str
    platform: str
    url: str | None = None
    author: str | None = None
    external_id: str | None = None
    posted_at: datetime | None = None
    reported_by: str | None = None
    lang: str | None = None
    evidence: tuple[EvidenceRef, ...] = ()
    post_id: str | None = field(default=None, compare=False)
    """A pre-assigned id (a report parked for OCR keeps the id it was given)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one candidate."""

    id: str
    status: Literal["accepted", "duplicate"]
    matched_on: MatchedOn | None = None
    """For a duplicate: the key it was recognised by."""


def from_post_in(post: PostIn) -> Candidate:
    """A candidate from an API post."""
    return Candidate(
        text=post.text,
        platform=post.platform,
        url=post.url,
        author=post.author,
        external_id=post.external_id,
        posted_at=post.posted_at,
        reported_by=post.reported_by,
        lang=post.lang,
    )


def _event(c: Candidate, received_at: datetime) -> Post:
    return Post(
        id=c.post_id or Post.new_id(),
        text=c.text,
        platform=c.platform,
        url=c.url,
        author=c.author,
        external_id=c.external_id,
        posted_at=c.posted_at,
        reported_by=c.reported_by,
        lang=c.lang,
        received_at=received_at,
        evidence=list(c.evidence),
    )


async def accept(
    runtime: Runtime,
    candidates: Sequence[Candidate],
    *,
    channel: str,
    seen_by: str | None,
) -> list[Outcome]:
    """De-duplicate, publish the new posts durably, record every sighting.

    Returns one outcome per candidate, in order, only once the new posts are stored on
    the bus; raises :class:`NotStored` (nothing accepted) when the bus does not confirm.
    """
    lock = _locks.setdefault(runtime.engine, asyncio.Lock())
    async with lock:
        return await _accept_locked(runtime, candidates, channel=channel, seen_by=seen_by)


async def _accept_locked(
    runtime: Runtime, candidates: Sequence[Candidate], *, channel: str, seen_by: str | None
) -> list[Outcome]:
    now = utcnow()
    window_h = runtime.settings.dedup_window_hours
    all_keys = [
        keys_for(platform=c.platform, external_id=c.external_id, url=c.url, text=c.text)
        for c in candidates
    ]
    known: dict[str, str] = {}
    if window_h > 0:
        async with transaction(runtime.sessions) as session:
            known = await repository.known_keys(
                session, (k for keys in all_keys for _, k in keys), now - timedelta(hours=window_h)
            )
    outcomes: list[Outcome] = []
    events: list[Post] = []
    new_keys: list[tuple[str, str]] = []
    for candidate, keys in zip(candidates, all_keys, strict=True):
        match = next(((kind, known[key]) for kind, key in keys if key in known), None)
        if match is None:
            event = _event(candidate, now)
            events.append(event)
            outcome = Outcome(id=event.id, status="accepted")
        else:
            outcome = Outcome(id=match[1], status="duplicate", matched_on=cast(MatchedOn, match[0]))
        outcomes.append(outcome)
        if window_h > 0:
            # A duplicate may bring a key not seen before (same text, new URL): learn it.
            for _, key in keys:
                if key not in known:
                    known[key] = outcome.id
                    new_keys.append((key, outcome.id))
    if events:
        records = [Record(key=e.id.encode(), value=encode(e)) for e in events]
        try:
            await runtime.bus.publish(POSTS_TOPIC, records)
        except BusError as exc:
            log.error("publish failed", error=str(exc), posts=len(events))
            raise NotStored(f"the posts were not stored, retry later ({exc})") from exc
    try:
        async with transaction(runtime.sessions) as session:
            await repository.add_keys(session, new_keys, now)
            await repository.add_sightings(
                session,
                [
                    {
                        "post_id": o.id,
                        "seen_at": now,
                        "channel": channel,
                        "seen_by": seen_by,
                        "matched_on": o.matched_on or "new",
                        "platform": c.platform,
                        "url": c.url,
                        "external_id": c.external_id,
                        "reported_by": c.reported_by,
                    }
                    for c, o in zip(candidates, outcomes, strict=True)
                ],
            )
            await repository.link_evidence(
                session,
                [
                    {
                        "post_id": o.id,
                        "sha256": ref.sha256,
                        "kind": ref.kind.value,
                        "captured_at": ref.captured_at,
                        "source_url": ref.source_url,
                    }
                    for c, o in zip(candidates, outcomes, strict=True)
                    for ref in c.evidence
                ],
            )
    except Exception as exc:
        # The posts are on the bus (the 202 promise holds); only their keys and
        # sightings are missing, so a later copy would not be recognised.
        log.error("sightings not recorded", error=repr(exc), posts=len(events))
    for e in events:
        ACCEPTED.labels(e.platform).inc()
    for o in outcomes:
        if o.matched_on:
            DUPLICATES.labels(o.matched_on).inc()
    return outcomes


async def accept_posts(
    runtime: Runtime, posts: Sequence[PostIn], *, channel: str, seen_by: str | None
) -> list[Outcome]:
    """:func:`accept` for API posts."""
    return await accept(runtime, [from_post_in(p) for p in posts], channel=channel, seen_by=seen_by)


def batch_answer(outcomes: Sequence[Outcome]) -> BatchAccepted:
    """The API answer for a batch."""
    statuses = [o.status for o in outcomes]
    return BatchAccepted(
        ids=[o.id for o in outcomes],
        accepted=statuses.count("accepted"),
        duplicates=statuses.count("duplicate"),
        statuses=statuses,
    )

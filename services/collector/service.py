"""Intake rules: turn accepted posts into ``Post`` events and publish them durably."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from prometheus_client import Counter

from services.bus import Bus, BusError, Record
from services.collector.errors import NotStored
from services.collector.schemas import PostIn
from services.events import POSTS_TOPIC, Post, encode

log = structlog.get_logger("doxwatch.collector")

ACCEPTED = Counter("doxwatch_posts_accepted_total", "Posts accepted by the collector", ["platform"])


def to_event(post: PostIn) -> Post:
    """The ``Post`` event for an accepted post, with a fresh id."""
    return Post(
        id=Post.new_id(),
        text=post.text,
        platform=post.platform,
        url=post.url,
        author=post.author,
        external_id=post.external_id,
        posted_at=post.posted_at,
        reported_by=post.reported_by,
        lang=post.lang,
    )


async def accept(bus: Bus, posts: Sequence[PostIn]) -> list[str]:
    """Publish the posts; return their ids only once the bus has stored every one."""
    events = [to_event(p) for p in posts]
    records = [Record(key=e.id.encode(), value=encode(e)) for e in events]
    try:
        await bus.publish(POSTS_TOPIC, records)
    except BusError as exc:
        log.error("publish failed", error=str(exc), posts=len(events))
        raise NotStored(f"the posts were not stored, retry later ({exc})") from exc
    for e in events:
        ACCEPTED.labels(e.platform).inc()
    return [e.id for e in events]

"""Review rules: store an analyst's decision and publish it as a ``Feedback`` event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import audit
from services.alerts.incidents.schemas import PostOut
from services.alerts.models import (
    Incident,
    IncidentEvent,
    PostRecord,
    Review,
    ReviewStatus,
    Severity,
)
from services.alerts.review.schemas import ReviewIn, ReviewOut, SpanIn
from services.bus import Bus, Record
from services.db import utcnow
from services.events import FEEDBACK_TOPIC, Decision, Feedback, Labels, Span, SpanLabel, encode
from services.personal_data import InvalidPersonalData, fold_text, normalize
from services.security import Principal


class PostOutWithReviews(PostOut):
    """A post as evidence with every decision taken on it."""

    reviews: list[ReviewOut]


async def reviews_of(session: AsyncSession, post_id: str) -> Sequence[Review]:
    """Every decision on a post, oldest first."""
    rows = await session.scalars(
        select(Review).where(Review.post_id == post_id).order_by(Review.id)
    )
    return rows.all()


class SpanOutOfRange(ValueError):
    """A corrected span does not lie inside the post's text."""


def _span(text: str, given: SpanIn, index: int) -> Span:
    if given.end > len(text):
        raise SpanOutOfRange(
            f"spans[{index}]: end {given.end} is past the text's length {len(text)}"
        )
    value = text[given.start : given.end]
    try:
        normalized = normalize(given.label, value)
    except InvalidPersonalData:
        # An analyst may mark data the normaliser does not accept (a partial address);
        # the feedback keeps it, in a folded form.
        normalized = fold_text(value).strip()
    return Span(start=given.start, end=given.end, label=given.label, normalized=normalized)


def _labels(post: PostRecord) -> Labels:
    return Labels(
        threat=post.threat, doxing_call=post.doxing_call, personal_data=post.personal_data
    )


def decide(post: PostRecord, body: ReviewIn) -> tuple[Labels, list[Span]]:
    """The labels and spans the decision stands for."""
    if body.labels is not None:
        labels = body.labels
    elif body.decision is Decision.DISMISS:
        labels = Labels()
    else:
        labels = _labels(post)
    if body.spans is not None:
        spans = [_span(post.text, s, i) for i, s in enumerate(body.spans)]
    else:
        spans = [Span.model_validate(s) for s in post.spans]
    return labels, spans


async def review(
    session: AsyncSession, bus: Bus, post: PostRecord, body: ReviewIn, who: Principal
) -> Review:
    """Store the decision, update the post's review status, publish the Feedback event.

    The event is published before anything is written: when the bus refuses it the
    request fails and nothing is stored; a commit failing after the publish leaves an
    event without a stored decision, and a retried request publishes again (Feedback is
    keyed by post id; consumers keep the last decision per post).
    """
    labels, spans = decide(post, body)
    decided_at = utcnow()
    feedback = Feedback(
        post_id=post.id,
        lang=post.lang,
        text=post.text,
        decision=body.decision,
        labels=labels,
        spans=spans,
        reason=body.reason,
        decided_by=who.name,
        decided_at=decided_at,
    )
    # Publish first: on the embedded bus the publish is its own write transaction, and
    # SQLite has one writer, so this request must not hold the write lock while it runs.
    await bus.publish(FEEDBACK_TOPIC, [Record(key=post.id.encode(), value=encode(feedback))])
    row = Review(
        post_id=post.id,
        decision=body.decision.value,
        reason=body.reason,
        threat=labels.threat,
        doxing_call=labels.doxing_call,
        personal_data=labels.personal_data,
        spans=[s.model_dump(mode="json") for s in spans],
        decided_by=who.name,
        decided_at=decided_at,
    )
    session.add(row)
    post.review_status = (
        ReviewStatus.CONFIRMED
        if body.decision is not Decision.DISMISS and labels.any()
        else ReviewStatus.DISMISSED
    )
    if post.incident_id is not None:
        session.add(
            IncidentEvent(
                incident_id=post.incident_id,
                kind="post_reviewed",
                actor=who.name,
                detail={"post_id": post.id, "decision": body.decision.value},
            )
        )
    audit.record(session, who, "post.review", "post", post.id, decision=body.decision.value)
    await session.flush()
    return row


_RANK = case(
    (Incident.severity == Severity.CRITICAL, 3),
    (Incident.severity == Severity.HIGH, 2),
    (Incident.severity == Severity.MEDIUM, 1),
    else_=0,
)


async def queue(
    session: AsyncSession,
    *,
    status: ReviewStatus,
    label: str | None,
    platform: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[tuple[PostRecord, Incident | None]], int]:
    """Flagged posts by review status: most severe incident first, then oldest."""
    query = (
        select(PostRecord, Incident)
        .outerjoin(Incident, Incident.id == PostRecord.incident_id)
        .where(PostRecord.review_status == status)
    )
    if label is not None:
        query = query.where(getattr(PostRecord, label).is_(True))
    if platform is not None:
        query = query.where(PostRecord.platform == platform)
    if since is not None:
        query = query.where(PostRecord.received_at >= since)
    if until is not None:
        query = query.where(PostRecord.received_at < until)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.execute(
        query.order_by(_RANK.desc(), PostRecord.received_at, PostRecord.id)
        .limit(limit)
        .offset(offset)
    )
    return [(p, i) for p, i in rows], total


async def latest_reviews(
    session: AsyncSession, since: datetime | None = None
) -> Sequence[tuple[Review, PostRecord]]:
    """The last decision per post (optionally only decisions since a time), oldest first."""
    last = (
        select(Review.post_id, func.max(Review.id).label("last_id"))
        .group_by(Review.post_id)
        .subquery()
    )
    query = (
        select(Review, PostRecord)
        .join(last, Review.id == last.c.last_id)
        .join(PostRecord, PostRecord.id == Review.post_id)
        .order_by(Review.id)
    )
    if since is not None:
        query = query.where(Review.decided_at >= since)
    rows = await session.execute(query)
    return [(r, p) for r, p in rows]


def corpus_record(review_row: Review, post: PostRecord) -> dict[str, object]:
    """A decision in the LABELS.md record format (JSON Lines), ready for the corpus."""
    return {
        "id": f"fb-{post.id}",
        "lang": post.lang or "nl",
        "text": post.text,
        "labels": {
            "threat": review_row.threat,
            "doxing_call": review_row.doxing_call,
            "personal_data": review_row.personal_data,
        },
        "spans": [
            {"start": s["start"], "end": s["end"], "label": SpanLabel(s["label"]).value}
            for s in review_row.spans
        ],
        "provenance": {
            "source": "review",
            "decision": review_row.decision,
            "decided_at": review_row.decided_at.isoformat(),
            "model_version": post.model_version,
        },
    }

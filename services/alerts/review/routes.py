"""Review endpoints: the queue of flagged posts, one post as evidence, decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from services.alerts import audit
from services.alerts.errors import InvalidRequest, PostNotFound
from services.alerts.incidents.routes import post_out
from services.alerts.models import PostRecord, Review, ReviewStatus
from services.alerts.review import service
from services.alerts.review.schemas import QueueItem, QueuePage, ReviewIn, ReviewOut
from services.bus import BusError
from services.events import Labels
from services.runtime import Runtime
from services.security import Principal, Role
from services.web import DbSession, Forbidden, Unavailable, get_runtime, require, responses

router = APIRouter(prefix="/api/v1", tags=["review"])

Analyst = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]


def _out(row: Review) -> ReviewOut:
    return ReviewOut(
        id=row.id,
        post_id=row.post_id,
        decision=row.decision,
        reason=row.reason,
        labels=Labels(
            threat=row.threat, doxing_call=row.doxing_call, personal_data=row.personal_data
        ),
        spans=list(row.spans),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


@router.get(
    "/review/queue",
    response_model=QueuePage,
    summary="Flagged posts to review: most severe incident first, then oldest",
    responses=responses(Forbidden),
)
async def review_queue(
    who: Analyst,
    session: DbSession,
    review_status: Annotated[
        ReviewStatus, Query(alias="status", description="pending, confirmed or dismissed.")
    ] = ReviewStatus.PENDING,
    label: Annotated[
        Literal["threat", "doxing_call", "personal_data"] | None,
        Query(description="Only posts with this label."),
    ] = None,
    platform: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="Received at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Received before.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> QueuePage:
    """The review queue (viewing it is audited: it shows evidence)."""
    rows, total = await service.queue(
        session,
        status=review_status,
        label=label,
        platform=platform,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    audit.record(
        session, who, "queue.view", "post", None, status=review_status.value, shown=len(rows)
    )
    return QueuePage(
        items=[
            QueueItem(
                post=post_out(p),
                incident_severity=i.severity if i else None,
                incident_title=i.title if i else None,
            )
            for p, i in rows
        ],
        total=total,
        offset=offset,
        limit=limit,
    )


async def _post(session: DbSession, post_id: str) -> PostRecord:
    post = await session.get(PostRecord, post_id)
    if post is None:
        raise PostNotFound(f"no post with id {post_id!r}")
    return post


@router.get(
    "/posts/{post_id}",
    summary="One stored post with its verdict (evidence; audited)",
    responses=responses(Forbidden, PostNotFound),
)
async def get_post(post_id: str, who: Analyst, session: DbSession) -> service.PostOutWithReviews:
    """The post, its verdict, registry matches and every review decision."""
    post = await _post(session, post_id)
    audit.record(session, who, "post.view", "post", post.id)
    reviews = await service.reviews_of(session, post.id)
    return service.PostOutWithReviews(
        **post_out(post).model_dump(), reviews=[_out(r) for r in reviews]
    )


@router.post(
    "/posts/{post_id}/review",
    response_model=ReviewOut,
    status_code=status.HTTP_201_CREATED,
    summary="Confirm, dismiss or correct a flagged post (publishes a Feedback event)",
    responses=responses(Forbidden, PostNotFound, InvalidRequest, Unavailable),
)
async def review_post(
    post_id: str,
    body: ReviewIn,
    who: Analyst,
    session: DbSession,
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> ReviewOut:
    """Store the decision and publish it on ``doxwatch.feedback.v1``."""
    post = await _post(session, post_id)
    try:
        row = await service.review(session, runtime.bus, post, body, who)
    except service.SpanOutOfRange as exc:
        raise InvalidRequest(str(exc)) from exc
    except BusError as exc:
        raise Unavailable(f"the decision was not stored: the bus refused it ({exc})") from exc
    return _out(row)

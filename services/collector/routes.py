"""Intake endpoints (thin: validation by schemas, rules in service.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.collector import service
from services.collector.errors import NotStored, TooManyPosts
from services.collector.schemas import BatchAccepted, BatchIn, PostAccepted, PostIn
from services.runtime import Runtime
from services.security import Principal, Role
from services.web import Forbidden, PayloadTooLarge, get_runtime, require, responses

router = APIRouter(prefix="/api/v1", tags=["posts"])

Submitter = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.INTEGRATION))]


@router.post(
    "/posts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PostAccepted,
    summary="Submit one post for classification",
    responses=responses(Forbidden, PayloadTooLarge, NotStored),
)
async def submit_post(
    post: PostIn, _: Submitter, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> PostAccepted:
    """Answer 202 once the post is durably stored on the bus."""
    (post_id,) = await service.accept(runtime.bus, [post])
    return PostAccepted(id=post_id)


@router.post(
    "/posts/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    summary="Submit up to 1,000 posts at once",
    responses=responses(Forbidden, PayloadTooLarge, TooManyPosts, NotStored),
)
async def submit_batch(
    batch: BatchIn, _: Submitter, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> BatchAccepted:
    """All or nothing: answer 202 once every post of the batch is stored."""
    limit = runtime.settings.batch_max_posts
    if len(batch.posts) > limit:
        raise TooManyPosts(f"{len(batch.posts)} posts given, at most {limit} per batch")
    ids = await service.accept(runtime.bus, batch.posts)
    return BatchAccepted(ids=ids, accepted=len(ids))

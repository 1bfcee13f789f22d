"""Intake endpoints (thin: validation by schemas, rules in service.py and reports.py)."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import Response

from services.collector import evidence, reports, service
from services.collector.errors import (
    EvidenceNotFound,
    NoTextFound,
    NotStored,
    PostNotFound,
    ReportNotFound,
    TooManyPosts,
    UnsupportedAttachment,
    UrlNotFetched,
    UrlRefused,
)
from services.collector.schemas import (
    BatchAccepted,
    BatchIn,
    PostAccepted,
    PostIn,
    ReportAccepted,
    ReportIn,
    ReportStatus,
    Sightings,
)
from services.runtime import Runtime
from services.security import Principal, Role
from services.web import Forbidden, PayloadTooLarge, get_runtime, require, responses

log = structlog.get_logger("doxwatch.collector")

router = APIRouter(prefix="/api/v1", tags=["posts"])

Submitter = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.INTEGRATION))]
Reporter = Annotated[
    Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.INTEGRATION, Role.OFFICER))
]
Analyst = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lower-case hex.")]


@router.post(
    "/posts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PostAccepted,
    summary="Submit one post for classification",
    responses=responses(Forbidden, PayloadTooLarge, NotStored),
)
async def submit_post(post: PostIn, who: Submitter, runtime: RuntimeDep) -> PostAccepted:
    """Answer 202 once the post is durably stored on the bus (or recognised as a duplicate)."""
    (outcome,) = await service.accept_posts(runtime, [post], channel="api", seen_by=who.name)
    return PostAccepted(id=outcome.id, status=outcome.status, matched_on=outcome.matched_on)


@router.post(
    "/posts/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    summary="Submit up to 1,000 posts at once",
    responses=responses(Forbidden, PayloadTooLarge, TooManyPosts, NotStored),
)
async def submit_batch(batch: BatchIn, who: Submitter, runtime: RuntimeDep) -> BatchAccepted:
    """All or nothing: answer 202 once every new post of the batch is stored."""
    limit = runtime.settings.batch_max_posts
    if len(batch.posts) > limit:
        raise TooManyPosts(f"{len(batch.posts)} posts given, at most {limit} per batch")
    outcomes = await service.accept_posts(runtime, batch.posts, channel="batch", seen_by=who.name)
    return service.batch_answer(outcomes)


@router.post(
    "/reports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReportAccepted,
    summary="Report a post by its text, URL and/or screenshots",
    responses=responses(
        Forbidden,
        PayloadTooLarge,
        UnsupportedAttachment,
        UrlRefused,
        NoTextFound,
        UrlNotFetched,
        NotStored,
    ),
)
async def submit_report(report: ReportIn, who: Reporter, runtime: RuntimeDep) -> ReportAccepted:
    """Any role may report (officers report posts about themselves)."""
    return await reports.submit(runtime, report, who)


@router.get(
    "/reports/{report_id}",
    response_model=ReportStatus,
    summary="Status of a report that waited for OCR",
    responses=responses(ReportNotFound),
)
async def report_status(report_id: str, _: Reporter, runtime: RuntimeDep) -> ReportStatus:
    """Whether a parked report has become a post yet."""
    return await reports.status(runtime, report_id)


@router.get(
    "/posts/{post_id}/sightings",
    response_model=Sightings,
    summary="Every arrival of a post (the first and each duplicate)",
    responses=responses(Forbidden, PostNotFound),
)
async def post_sightings(post_id: str, _: Analyst, runtime: RuntimeDep) -> Sightings:
    """How, when and by whom a post was seen."""
    return await evidence.sightings(runtime, post_id)


@router.get(
    "/evidence/{sha256}",
    summary="Raw evidence bytes (a captured page, a screenshot)",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The raw bytes."},
        **responses(Forbidden, EvidenceNotFound),
    },
)
async def get_evidence(sha256: Sha256, who: Analyst, runtime: RuntimeDep) -> Response:
    """The bytes exactly as captured; downloaded, never rendered by the browser."""
    row = await evidence.read(runtime, sha256, who)
    return Response(
        content=row.data,
        media_type=row.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
            "Digest": f"sha-256={evidence.b64_digest(row.data)}",
        },
    )

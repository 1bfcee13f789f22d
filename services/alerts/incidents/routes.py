"""Incident endpoints (thin: queries in repository.py, rules in service.py)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.alerts.errors import IncidentNotFound, InvalidCursor
from services.alerts.incidents import repository
from services.alerts.incidents.schemas import (
    EventOut,
    IncidentDetail,
    IncidentPage,
    IncidentSummary,
    PostOut,
)
from services.alerts.models import Incident, IncidentStatus, PostRecord, Severity
from services.events import Labels, Scores, Span
from services.security import Principal, Role
from services.web import DbSession, Forbidden, require, responses

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.INTEGRATION))]


def _encode_cursor(incident: Incident) -> str:
    raw = f"{incident.opened_at.isoformat()}|{incident.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, incident_id = raw.partition("|")
        parsed = datetime.fromisoformat(at)
        if not incident_id or parsed.tzinfo is None:
            raise ValueError("incomplete cursor")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("cursor is not one this API returned; start without it") from exc
    return parsed, incident_id


def _labels(row: Incident | PostRecord) -> Labels:
    return Labels(threat=row.threat, doxing_call=row.doxing_call, personal_data=row.personal_data)


def summary(incident: Incident) -> IncidentSummary:
    """The list view of an incident."""
    return IncidentSummary(
        id=incident.id,
        title=incident.title,
        status=incident.status,
        severity=incident.severity,
        labels=_labels(incident),
        post_count=incident.post_count,
        opened_at=incident.opened_at,
        updated_at=incident.updated_at,
    )


def post_out(post: PostRecord) -> PostOut:
    """A stored post as evidence."""
    return PostOut(
        id=post.id,
        text=post.text,
        platform=post.platform,
        url=post.url,
        author=post.author,
        external_id=post.external_id,
        posted_at=post.posted_at,
        reported_by=post.reported_by,
        received_at=post.received_at,
        classified_at=post.classified_at,
        labels=_labels(post),
        scores=Scores(
            threat=post.score_threat,
            doxing_call=post.score_doxing_call,
            personal_data=post.score_personal_data,
        ),
        spans=[Span.model_validate(s) for s in post.spans],
        officer_mentions=post.officer_mentions,
        explanation=post.explanation,
        model_version=post.model_version,
    )


@router.get(
    "",
    response_model=IncidentPage,
    summary="List incidents, newest first",
    responses=responses(Forbidden, InvalidCursor),
)
async def list_incidents(
    _: Reader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    status: Annotated[IncidentStatus | None, Query(description="Only this status.")] = None,
    severity: Annotated[Severity | None, Query(description="Only this severity.")] = None,
) -> IncidentPage:
    """A page of incidents; follow ``next_cursor`` for more."""
    after = _decode_cursor(cursor) if cursor else None
    rows = await repository.list_incidents(
        session, limit=limit + 1, after=after, status=status, severity=severity
    )
    page = rows[:limit]
    more = len(rows) > limit
    return IncidentPage(
        items=[summary(r) for r in page],
        next_cursor=_encode_cursor(page[-1]) if more and page else None,
    )


@router.get(
    "/{incident_id}",
    response_model=IncidentDetail,
    summary="One incident with its evidence posts and timeline",
    responses=responses(Forbidden, IncidentNotFound),
)
async def get_incident(incident_id: str, _: Reader, session: DbSession) -> IncidentDetail:
    """The incident, its posts (with spans) and its timeline."""
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident with id {incident_id!r}")
    return IncidentDetail(
        **summary(incident).model_dump(),
        posts=[post_out(p) for p in incident.posts],
        timeline=[EventOut.model_validate(e) for e in incident.events],
    )

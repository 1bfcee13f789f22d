"""Incident endpoints (thin: queries in repository.py, rules in service.py/workflow.py).

Officers see only the incidents that concern them (another officer's incident is a
404, as if it did not exist), with every piece of personal data in the posts masked.
Every view of an incident's evidence and every change is written to the audit log.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.alerts import audit, notify
from services.alerts.errors import (
    IncidentNotFound,
    InvalidCursor,
    InvalidTransition,
    TaskNotFound,
)
from services.alerts.incidents import repository, workflow
from services.alerts.incidents.schemas import (
    CommentIn,
    EventOut,
    IncidentDetail,
    IncidentOfficerOut,
    IncidentPage,
    IncidentPatch,
    IncidentSummary,
    PostOut,
    QualificationOut,
    RegistryMatchOut,
    StatusChange,
    TaskCommentOut,
    TaskOut,
    TaskPatch,
)
from services.alerts.legal import qualify
from services.alerts.models import Incident, IncidentStatus, PostRecord, Severity, Task
from services.events import Labels, Scores, Span
from services.personal_data import mask
from services.runtime import Runtime
from services.security import Principal, Role
from services.web import DbSession, Forbidden, get_runtime, require, responses

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

Reader = Annotated[
    Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.INTEGRATION, Role.OFFICER))
]
Worker = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]


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
        resolution=incident.resolution,
        severity=incident.severity,
        labels=_labels(incident),
        post_count=incident.post_count,
        assignee=incident.assignee,
        tags=list(incident.tags or []),
        due_at=incident.due_at,
        opened_at=incident.opened_at,
        updated_at=incident.updated_at,
        closed_at=incident.closed_at,
    )


def masked_text(text: str, spans: list[dict[str, Any]]) -> str:
    """The text with every personal-data span replaced by its masked form."""
    out, last = [], 0
    for span in sorted(spans, key=lambda s: int(s["start"])):
        start, end = int(span["start"]), int(span["end"])
        if start < last:
            continue
        out.append(text[last:start])
        out.append(mask(str(span["label"]), text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def post_out(post: PostRecord, *, for_officer: str | None = None) -> PostOut:
    """A stored post as evidence; for an officer, masked and with only their own matches."""
    matches = [RegistryMatchOut.model_validate(m) for m in post.registry_matches or []]
    text, author = post.text, post.author
    if for_officer is not None:
        text = masked_text(post.text, post.spans)
        matches = [m for m in matches if m.officer_id == for_officer]
    return PostOut(
        id=post.id,
        text=text,
        platform=post.platform,
        url=post.url,
        author=author,
        external_id=post.external_id,
        posted_at=post.posted_at,
        reported_by=post.reported_by if for_officer is None else None,
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
        registry_matches=matches,
        review_status=post.review_status,
        incident_id=post.incident_id,
    )


def task_out(task: Task) -> TaskOut:
    """A task with its comments."""
    return TaskOut(
        id=task.id,
        kind=task.kind,
        route=task.route,
        title=task.title,
        title_en=(task.detail or {}).get("title_en"),
        status=task.status,
        assignee=task.assignee,
        due_at=task.due_at,
        created_at=task.created_at,
        completed_at=task.completed_at,
        completed_by=task.completed_by,
        comments=[TaskCommentOut.model_validate(c) for c in task.comments],
    )


def detail(incident: Incident, *, for_officer: str | None = None) -> IncidentDetail:
    """The full incident; for an officer, only what concerns them, masked."""
    q = qualify(
        threat=incident.threat,
        doxing_call=incident.doxing_call,
        personal_data=incident.personal_data,
        officer_identified=bool(incident.officers),
    )
    officers = [
        IncidentOfficerOut(
            officer_id=link.officer_id,
            display_name=link.officer.display_name,
            matched_types=list(link.matched_types),
            linked_at=link.linked_at,
        )
        for link in incident.officers
        if for_officer is None or link.officer_id == for_officer
    ]
    events = [
        EventOut.model_validate(e)
        for e in incident.events
        if for_officer is None or e.detail.get("officer_id") in (None, for_officer)
    ]
    return IncidentDetail(
        **summary(incident).model_dump(),
        duplicate_of=incident.duplicate_of,
        qualification=QualificationOut.model_validate(q.as_dict()),
        officers=officers,
        tasks=[task_out(t) for t in incident.tasks],
        posts=[post_out(p, for_officer=for_officer) for p in incident.posts],
        timeline=events,
    )


async def _visible(session: DbSession, incident_id: str, who: Principal) -> Incident:
    incident = await repository.get_incident(session, incident_id)
    hidden = incident is None or (
        who.role is Role.OFFICER
        and (
            who.officer_id is None or all(o.officer_id != who.officer_id for o in incident.officers)
        )
    )
    if hidden or incident is None:
        raise IncidentNotFound(f"no incident with id {incident_id!r}")
    return incident


async def _for_change(session: DbSession, incident_id: str) -> Incident:
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident with id {incident_id!r}")
    return incident


@router.get(
    "",
    response_model=IncidentPage,
    summary="List incidents, newest first",
    responses=responses(Forbidden, InvalidCursor),
)
async def list_incidents(
    who: Reader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    status: Annotated[IncidentStatus | None, Query(description="Only this status.")] = None,
    severity: Annotated[Severity | None, Query(description="Only this severity.")] = None,
) -> IncidentPage:
    """A page of incidents; follow ``next_cursor`` for more. Officers get only their own."""
    after = _decode_cursor(cursor) if cursor else None
    officer_id = None
    if who.role is Role.OFFICER:
        officer_id = who.officer_id or "-"  # an officer token without officer sees nothing
    rows = await repository.list_incidents(
        session,
        limit=limit + 1,
        after=after,
        status=status,
        severity=severity,
        officer_id=officer_id,
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
    summary="One incident with its evidence, officers, tasks, qualification and timeline",
    responses=responses(Forbidden, IncidentNotFound),
)
async def get_incident(incident_id: str, who: Reader, session: DbSession) -> IncidentDetail:
    """The incident and its evidence (audited). Officers see their own incidents, masked."""
    incident = await _visible(session, incident_id, who)
    audit.record(session, who, "incident.view", "incident", incident.id)
    return detail(incident, for_officer=who.officer_id if who.role is Role.OFFICER else None)


@router.patch(
    "/{incident_id}",
    response_model=IncidentDetail,
    summary="Assign, tag, re-rate or rename an incident",
    responses=responses(Forbidden, IncidentNotFound),
)
async def patch_incident(
    incident_id: str,
    body: IncidentPatch,
    who: Worker,
    session: DbSession,
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> IncidentDetail:
    """Change the given fields; each change is on the timeline."""
    incident = await _for_change(session, incident_id)
    fields = body.model_dump(exclude_unset=True)
    if "tags" in fields and fields["tags"] is not None:
        fields["tags"] = list(dict.fromkeys(fields["tags"]))
    for required in ("title", "tags", "severity"):
        if required in fields and fields[required] is None:
            fields.pop(required)
    change = await workflow.update(
        session, incident, who, fields=fields, due_hours=dict(runtime.settings.due_hours)
    )
    await notify.after_change(session, incident, change)
    await session.flush()
    return detail(await _for_change(session, incident_id))


@router.post(
    "/{incident_id}/status",
    response_model=IncidentDetail,
    summary="Move an incident along the handling path (close with a resolution)",
    responses=responses(Forbidden, IncidentNotFound, InvalidTransition),
)
async def change_status(
    incident_id: str, body: StatusChange, who: Worker, session: DbSession
) -> IncidentDetail:
    """new → triage → confirmed → in_action → monitoring → closed (see docs/api.md)."""
    incident = await _for_change(session, incident_id)
    duplicate_of = None
    if body.duplicate_of is not None:
        duplicate_of = await repository.get_incident_row(session, body.duplicate_of)
        if duplicate_of is None:
            raise InvalidTransition(f"duplicate_of: no incident with id {body.duplicate_of!r}")
    change = await workflow.change_status(
        session,
        incident,
        who,
        body.status,
        resolution=body.resolution,
        duplicate_of=duplicate_of,
        reason=body.reason,
    )
    await notify.after_change(session, incident, change)
    await session.flush()
    return detail(await _for_change(session, incident_id))


async def _task(session: DbSession, incident_id: str, task_id: int) -> tuple[Incident, Task]:
    incident = await _for_change(session, incident_id)
    task = next((t for t in incident.tasks if t.id == task_id), None)
    if task is None:
        raise TaskNotFound(f"incident {incident_id!r} has no task {task_id}")
    return incident, task


@router.patch(
    "/{incident_id}/tasks/{task_id}",
    response_model=TaskOut,
    summary="Complete, skip, reopen or assign a task",
    responses=responses(Forbidden, IncidentNotFound, TaskNotFound),
)
async def patch_task(
    incident_id: str, task_id: int, body: TaskPatch, who: Worker, session: DbSession
) -> TaskOut:
    """Change a task of the checklist."""
    incident, task = await _task(session, incident_id, task_id)
    await workflow.update_task(
        session,
        incident,
        task,
        who,
        status=body.status,
        assignee=body.assignee,
        assignee_given="assignee" in body.model_fields_set,
    )
    await session.flush()
    _, task = await _task(session, incident_id, task_id)
    return task_out(task)


@router.post(
    "/{incident_id}/tasks/{task_id}/comments",
    response_model=TaskOut,
    status_code=201,
    summary="Comment on a task",
    responses=responses(Forbidden, IncidentNotFound, TaskNotFound),
)
async def comment_task(
    incident_id: str, task_id: int, body: CommentIn, who: Worker, session: DbSession
) -> TaskOut:
    """Add a comment; answers the task with all its comments."""
    incident, task = await _task(session, incident_id, task_id)
    workflow.comment(session, incident, task, who, body.text)
    await session.flush()
    _, task = await _task(session, incident_id, task_id)
    return task_out(task)

"""Working an incident: status along the handling path, assignment, tags, tasks.

Status moves one step at a time along new → triage → confirmed → in_action →
monitoring → closed; monitoring may go back to in_action (the content came back),
any open status may close, and a closed incident may be reopened to triage. Closing
needs a resolution; ``duplicate`` needs the incident it duplicates; every change is a
timeline event and an audit entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts import audit
from services.alerts.errors import InvalidRequest, InvalidTransition
from services.alerts.models import (
    SEVERITY_RANK,
    Incident,
    IncidentEvent,
    IncidentStatus,
    Resolution,
    Severity,
    Task,
    TaskComment,
    TaskStatus,
)
from services.db import utcnow
from services.security import Principal

S = IncidentStatus

TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    S.NEW: frozenset({S.TRIAGE, S.CLOSED}),
    S.TRIAGE: frozenset({S.CONFIRMED, S.CLOSED}),
    S.CONFIRMED: frozenset({S.IN_ACTION, S.CLOSED}),
    S.IN_ACTION: frozenset({S.MONITORING, S.CLOSED}),
    S.MONITORING: frozenset({S.IN_ACTION, S.CLOSED}),
    S.CLOSED: frozenset({S.TRIAGE}),
}

ClosingCheck = Callable[[AsyncSession, Incident, Resolution], Awaitable[str | None]]
"""A rule that may refuse a closing resolution: returns why, or None to allow."""

CLOSING_CHECKS: list[ClosingCheck] = []
"""Rules other modules register (e.g. notices: 'content removed' needs a recorded removal)."""


@dataclass(frozen=True)
class Change:
    """What a call changed: field -> (before, after)."""

    fields: dict[str, tuple[Any, Any]]

    def __bool__(self) -> bool:
        return bool(self.fields)

    def as_detail(self) -> dict[str, Any]:
        """JSON-ready {field: {"from": a, "to": b}}."""
        return {k: {"from": _plain(a), "to": _plain(b)} for k, (a, b) in self.fields.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _event(incident: Incident, event: str, actor: Principal, **detail: Any) -> IncidentEvent:
    return IncidentEvent(incident_id=incident.id, kind=event, actor=actor.name, detail=detail)


async def change_status(
    session: AsyncSession,
    incident: Incident,
    actor: Principal,
    to: IncidentStatus,
    *,
    resolution: Resolution | None = None,
    duplicate_of: Incident | None = None,
    reason: str | None = None,
) -> Change:
    """Move the incident to ``to``; raise InvalidTransition saying why not."""
    current = incident.status
    if to == current:
        raise InvalidTransition(f"the incident is already {current.value}")
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current]))
        raise InvalidTransition(
            f"cannot go from {current.value} to {to.value}; from {current.value} the "
            f"handling path allows: {allowed}"
        )
    if to is S.CLOSED:
        if resolution is None:
            raise InvalidTransition(
                "closing needs a resolution: " + ", ".join(r.value for r in Resolution)
            )
        if resolution is Resolution.DUPLICATE:
            if duplicate_of is None:
                raise InvalidTransition("resolution 'duplicate' needs duplicate_of")
            if duplicate_of.id == incident.id:
                raise InvalidTransition("an incident cannot duplicate itself")
        for check in CLOSING_CHECKS:
            refusal = await check(session, incident, resolution)
            if refusal:
                raise InvalidTransition(refusal)
    elif resolution is not None or duplicate_of is not None:
        raise InvalidTransition("a resolution is only given when closing")
    now = utcnow()
    before = {
        "status": incident.status,
        "resolution": incident.resolution,
        "duplicate_of": incident.duplicate_of,
    }
    incident.status = to
    if to is S.CLOSED:
        incident.resolution = resolution
        incident.duplicate_of = duplicate_of.id if duplicate_of else None
        incident.closed_at = now
    else:
        incident.resolution = None
        incident.duplicate_of = None
        incident.closed_at = None
    incident.updated_at = now
    after = {
        "status": incident.status,
        "resolution": incident.resolution,
        "duplicate_of": incident.duplicate_of,
    }
    change = Change({k: (before[k], after[k]) for k in before if before[k] != after[k]})
    detail: dict[str, Any] = {"from": current.value, "to": to.value}
    if resolution is not None:
        detail["resolution"] = resolution.value
    if duplicate_of is not None:
        detail["duplicate_of"] = duplicate_of.id
    if reason:
        detail["reason"] = reason
    session.add(_event(incident, "status_changed", actor, **detail))
    audit.record(session, actor, "incident.status", "incident", incident.id, **detail)
    return change


async def update(
    session: AsyncSession,
    incident: Incident,
    actor: Principal,
    *,
    fields: dict[str, Any],
    due_hours: dict[str, float],
) -> Change:
    """Apply a PATCH: title, assignee, tags, severity (a manual rating), due_at."""
    changes: dict[str, tuple[Any, Any]] = {}
    for name in ("title", "assignee", "tags", "due_at"):
        if name in fields and fields[name] != getattr(incident, name):
            changes[name] = (getattr(incident, name), fields[name])
            setattr(incident, name, fields[name])
    if "severity" in fields:
        severity = fields["severity"]
        if not isinstance(severity, Severity):
            raise InvalidRequest("severity must be one of low, medium, high, critical")
        if severity != incident.severity:
            changes["severity"] = (incident.severity, severity)
            raised = SEVERITY_RANK[severity] > SEVERITY_RANK[incident.severity]
            incident.severity = severity
            if raised and "due_at" not in fields:
                sooner = utcnow() + timedelta(hours=due_hours[severity.value])
                if incident.due_at is None or sooner < incident.due_at:
                    changes["due_at"] = (incident.due_at, sooner)
                    incident.due_at = sooner
    if not changes:
        return Change({})
    change = Change(changes)
    incident.updated_at = utcnow()
    session.add(_event(incident, "updated", actor, changes=change.as_detail()))
    audit.record(session, actor, "incident.update", "incident", incident.id, fields=sorted(changes))
    return change


async def update_task(
    session: AsyncSession,
    incident: Incident,
    task: Task,
    actor: Principal,
    *,
    status: TaskStatus | None,
    assignee: str | None,
    assignee_given: bool,
) -> Change:
    """Complete, skip or reopen a task; (re)assign it."""
    changes: dict[str, tuple[Any, Any]] = {}
    if status is not None and status != task.status:
        changes["status"] = (task.status, status)
        task.status = status
        if status is TaskStatus.OPEN:
            task.completed_at = None
            task.completed_by = None
        else:
            task.completed_at = utcnow()
            task.completed_by = actor.name
    if assignee_given and assignee != task.assignee:
        changes["assignee"] = (task.assignee, assignee)
        task.assignee = assignee
    if not changes:
        return Change({})
    change = Change(changes)
    incident.updated_at = utcnow()
    session.add(
        _event(
            incident,
            "task_updated",
            actor,
            task_id=task.id,
            task_kind=task.kind,
            changes=change.as_detail(),
        )
    )
    audit.record(
        session,
        actor,
        "task.update",
        "task",
        task.id,
        incident_id=incident.id,
        fields=sorted(changes),
    )
    return change


def comment(
    session: AsyncSession, incident: Incident, task: Task, actor: Principal, text: str
) -> TaskComment:
    """Add a comment to a task."""
    row = TaskComment(task_id=task.id, author=actor.name, text=text, at=utcnow())
    session.add(row)
    incident.updated_at = utcnow()
    session.add(_event(incident, "task_commented", actor, task_id=task.id, task_kind=task.kind))
    audit.record(session, actor, "task.comment", "task", task.id, incident_id=incident.id)
    return row

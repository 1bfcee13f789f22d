"""Request and response bodies of the incidents API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.alerts.models import IncidentStatus, Resolution, ReviewStatus, Severity, TaskStatus
from services.events import Labels, Scores, Span

Tag = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]


class RegistryMatchOut(BaseModel):
    """A span of the post that equals a registered officer's value (masked)."""

    officer_id: str
    type: str = Field(examples=["ADDRESS"])
    masked: str = Field(examples=["K********t **, 12** ** U*****t"])
    subject: str = Field(examples=["self"])


class PostOut(BaseModel):
    """A post that is evidence in an incident, with its verdict."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    text: str
    platform: str
    url: str | None
    author: str | None
    external_id: str | None
    posted_at: datetime | None
    reported_by: str | None
    received_at: datetime
    classified_at: datetime
    labels: Labels
    scores: Scores
    spans: list[Span] = Field(description="Personal data in the text: text[start:end].")
    officer_mentions: list[str]
    explanation: dict[str, Any]
    model_version: str
    registry_matches: list[RegistryMatchOut] = Field(default_factory=list)
    review_status: ReviewStatus | None = None
    incident_id: str | None = None


class EventOut(BaseModel):
    """One timeline entry."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str = Field(examples=["opened", "post_added", "severity_raised", "status_changed"])
    actor: str
    detail: dict[str, Any]


class TaskCommentOut(BaseModel):
    """A comment on a task."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    author: str
    text: str


class TaskOut(BaseModel):
    """One step of the handling path."""

    id: int
    kind: str = Field(examples=["aangifte"])
    route: str = Field(examples=["criminal"])
    title: str = Field(examples=["Aangifte opnemen en registreren met code GTPA"])
    title_en: str | None = None
    status: TaskStatus
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    comments: list[TaskCommentOut]


class ProvisionOut(BaseModel):
    """A legal provision the facts may fall under."""

    code: str = Field(examples=["art. 285d Sr"])
    title_nl: str
    title_en: str


class QualificationOut(BaseModel):
    """The suggested legal qualification (a person decides)."""

    provisions: list[ProvisionOut]
    criminal: bool
    registration_code: str | None = Field(examples=["GTPA"])
    routes: list[str] = Field(examples=[["criminal", "civil", "protocol"]])
    summary_nl: str
    summary_en: str


class IncidentOfficerOut(BaseModel):
    """An officer concerned by the incident."""

    officer_id: str
    display_name: str
    matched_types: list[str]
    linked_at: datetime


class IncidentSummary(BaseModel):
    """An incident as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str = Field(examples=["Threat + personal data on x"])
    status: IncidentStatus
    resolution: Resolution | None = None
    severity: Severity
    labels: Labels
    post_count: int
    assignee: str | None = None
    tags: list[str] = Field(default_factory=list)
    due_at: datetime | None = None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


class IncidentDetail(IncidentSummary):
    """An incident with its evidence, officers, tasks, qualification and timeline."""

    duplicate_of: str | None = None
    qualification: QualificationOut
    officers: list[IncidentOfficerOut]
    tasks: list[TaskOut]
    posts: list[PostOut]
    timeline: list[EventOut]


class IncidentPage(BaseModel):
    """One page of incidents, newest first."""

    items: list[IncidentSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


class IncidentPatch(BaseModel):
    """Fields an analyst may change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    assignee: Name | None = Field(default=None, description="null unassigns.")
    tags: list[Tag] | None = Field(default=None, max_length=20)
    severity: Severity | None = Field(default=None, description="A manual rating.")
    due_at: datetime | None = None


class StatusChange(BaseModel):
    """Move an incident along the handling path."""

    model_config = ConfigDict(extra="forbid")

    status: IncidentStatus
    resolution: Resolution | None = Field(default=None, description="Required when closing.")
    duplicate_of: str | None = Field(
        default=None, description="With resolution 'duplicate': the incident it repeats."
    )
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = None


class TaskPatch(BaseModel):
    """Complete, skip, reopen or (re)assign a task."""

    model_config = ConfigDict(extra="forbid")

    status: TaskStatus | None = None
    assignee: Name | None = Field(default=None, description="null unassigns.")


class CommentIn(BaseModel):
    """A comment on a task."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=5000, strip_whitespace=True)]

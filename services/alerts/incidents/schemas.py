"""Response bodies of the incidents API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.alerts.models import IncidentStatus, Severity
from services.events import Labels, Scores, Span


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


class EventOut(BaseModel):
    """One timeline entry."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str = Field(examples=["opened", "post_added", "severity_raised"])
    actor: str
    detail: dict[str, Any]


class IncidentSummary(BaseModel):
    """An incident as listed."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str = Field(examples=["Threat + personal data on x"])
    status: IncidentStatus
    severity: Severity
    labels: Labels
    post_count: int
    opened_at: datetime
    updated_at: datetime


class IncidentDetail(IncidentSummary):
    """An incident with its evidence and timeline."""

    posts: list[PostOut]
    timeline: list[EventOut]


class IncidentPage(BaseModel):
    """One page of incidents, newest first."""

    items: list[IncidentSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )

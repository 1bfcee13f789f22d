"""Request and response bodies of analyst review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from services.alerts.incidents.schemas import PostOut
from services.alerts.models import Severity
from services.events import Decision, Labels, SpanLabel


class SpanIn(BaseModel):
    """A corrected personal-data span: ``text[start:end]``."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    label: SpanLabel

    @model_validator(mode="after")
    def _ordered(self) -> SpanIn:
        if self.end <= self.start:
            raise ValueError(f"span end {self.end} must be after start {self.start}")
        return self


class ReviewIn(BaseModel):
    """An analyst's decision on a flagged post.

    ``confirm`` keeps the detector's labels; ``dismiss`` says the flag was wrong (all
    labels false unless given); ``correct`` gives the right labels. ``spans``, when
    given, replace the detector's spans in the feedback.
    """

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] | None = None
    labels: Labels | None = None
    spans: list[SpanIn] | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> ReviewIn:
        if self.decision is Decision.CORRECT and self.labels is None:
            raise ValueError("decision 'correct' needs the corrected labels")
        if self.decision is Decision.DISMISS and not self.reason:
            raise ValueError("decision 'dismiss' needs a reason")
        return self


class ReviewOut(BaseModel):
    """A stored decision (also published as a Feedback event)."""

    id: int
    post_id: str
    decision: str
    reason: str | None
    labels: Labels
    spans: list[dict[str, object]]
    decided_by: str
    decided_at: datetime


class QueueItem(BaseModel):
    """A flagged post waiting for (or past) review, with its incident's urgency."""

    post: PostOut
    incident_severity: Severity | None
    incident_title: str | None


class QueuePage(BaseModel):
    """A page of the review queue: most severe first, then oldest."""

    items: list[QueueItem]
    total: int
    offset: int
    limit: int

"""The event contracts on the bus: ``Post``, ``Verdict`` and ``Feedback``.

Every event carries ``schema_version``; a consumer that meets a version it does not
know rejects the message (it goes to the dead-letter topic) instead of guessing.
Events travel as UTF-8 JSON. :func:`decode` is the only way in: it turns any
malformed payload into :class:`EventDecodeError` with a message that says what is
wrong, so a poison message can be dead-lettered with a useful reason.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION: Literal[1] = 1

POSTS_TOPIC = "doxwatch.posts.v1"
VERDICTS_TOPIC = "doxwatch.verdicts.v1"
FEEDBACK_TOPIC = "doxwatch.feedback.v1"
DEADLETTER_TOPIC = "doxwatch.deadletter.v1"
ALL_TOPICS = (POSTS_TOPIC, VERDICTS_TOPIC, FEEDBACK_TOPIC, DEADLETTER_TOPIC)

MAX_TEXT_CHARS = 20_000
"""Longest post text accepted anywhere (long enough for any platform's post)."""

LABEL_NAMES: tuple[str, ...] = ("threat", "doxing_call", "personal_data")


class SpanLabel(StrEnum):
    """Personal-data span types of LABELS.md."""

    PERSON = "PERSON"
    ADDRESS = "ADDRESS"
    POSTCODE = "POSTCODE"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    LICENSE_PLATE = "LICENSE_PLATE"
    IBAN = "IBAN"
    BSN = "BSN"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    SOCIAL_HANDLE = "SOCIAL_HANDLE"


class EventDecodeError(ValueError):
    """A payload on the bus is not a valid event of the expected kind."""


def _now() -> datetime:
    return datetime.now(UTC)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of this event's contract."
    )


class EvidenceKind(StrEnum):
    """What a piece of evidence is."""

    PAGE_CAPTURE = "page_capture"
    SCREENSHOT = "screenshot"
    OEMBED = "oembed"


class EvidenceRef(BaseModel):
    """A pointer to raw evidence kept by the collector (``GET /api/v1/evidence/{sha256}``).

    The bytes themselves never travel on the bus: a consumer that wants to keep the
    evidence with the post stores this reference; ``sha256`` is the content address and
    proves later that the bytes shown are the bytes captured.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sha256: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the raw bytes, lower-case hex."
    )
    kind: EvidenceKind = Field(description="page_capture, screenshot or oembed.")
    media_type: str = Field(max_length=128, examples=["text/html", "image/png"])
    size: int = Field(ge=0, description="Length of the raw bytes.")
    captured_at: datetime = Field(description="When Doxwatch received or fetched the bytes.")
    source_url: str | None = Field(
        default=None, max_length=2048, description="Final URL fetched (page captures only)."
    )


class Post(_Event):
    """A post accepted by the collector, on ``doxwatch.posts.v1`` keyed by ``id``."""

    id: str = Field(description="Doxwatch post id (UUID).", examples=["0b9f..."])
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)] = Field(
        description="The post's text as published."
    )
    platform: str = Field(min_length=1, max_length=64, examples=["x", "telegram"])
    url: str | None = Field(default=None, max_length=2048)
    author: str | None = Field(default=None, max_length=256)
    external_id: str | None = Field(default=None, max_length=256)
    posted_at: datetime | None = None
    reported_by: str | None = Field(default=None, max_length=256)
    lang: str | None = Field(default=None, description="ISO 639-1 code when known.")
    received_at: datetime = Field(default_factory=_now)
    evidence: list[EvidenceRef] = Field(
        default_factory=list,
        description="Raw captures behind the text (page, screenshots); optional, newest "
        "producers only.",
    )

    @staticmethod
    def new_id() -> str:
        """A fresh post id."""
        return str(uuid.uuid4())


class Span(BaseModel):
    """One piece of personal data in a post: ``text[start:end]`` (Python indices)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    label: SpanLabel
    normalized: str = Field(
        description="Canonical form (E.164 phone, '1234AB' postcode, 'GH123K' plate...)."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end <= self.start:
            raise ValueError(f"span end {self.end} must be after start {self.start}")
        return self


class Labels(BaseModel):
    """The three yes/no labels of LABELS.md."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threat: bool = False
    doxing_call: bool = False
    personal_data: bool = False

    def any(self) -> bool:
        """True when at least one label is set (the post is flagged)."""
        return self.threat or self.doxing_call or self.personal_data


class Scores(BaseModel):
    """Calibrated probabilities, 0..1, one per label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threat: float = Field(default=0.0, ge=0.0, le=1.0)
    doxing_call: float = Field(default=0.0, ge=0.0, le=1.0)
    personal_data: float = Field(default=0.0, ge=0.0, le=1.0)


class Classification(BaseModel):
    """What the detector says about one post (the pure part of a verdict)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: Labels
    scores: Scores
    spans: list[Span] = Field(default_factory=list)
    officer_mentions: list[str] = Field(
        default_factory=list, description="Officer terms found, as written."
    )
    explanation: dict[str, Any] = Field(
        default_factory=dict, description="Spans and strongest features behind each flag."
    )
    model_version: str


class Verdict(_Event):
    """The classifier's verdict on one post, on ``doxwatch.verdicts.v1`` keyed by post id."""

    post: Post
    classification: Classification
    classified_at: datetime = Field(default_factory=_now)

    @property
    def post_id(self) -> str:
        """The id of the post this verdict is about."""
        return self.post.id


class Decision(StrEnum):
    """An analyst's decision on a flagged post."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"
    CORRECT = "correct"


class Feedback(_Event):
    """An analyst's decision, on ``doxwatch.feedback.v1`` keyed by post id."""

    post_id: str
    lang: str | None = None
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    decision: Decision
    labels: Labels
    spans: list[Span] = Field(default_factory=list)
    reason: str | None = Field(default=None, max_length=2000)
    decided_by: str
    decided_at: datetime = Field(default_factory=_now)


E = TypeVar("E", bound=_Event)


def encode(event: _Event) -> bytes:
    """Serialise an event to UTF-8 JSON bytes."""
    return event.model_dump_json().encode("utf-8")


def decode(kind: type[E], payload: bytes | None) -> E:
    """Parse ``payload`` as an event of ``kind``; raise EventDecodeError saying why not."""
    name = kind.__name__
    if payload is None:
        raise EventDecodeError(f"{name}: empty message (tombstone)")
    try:
        raw = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EventDecodeError(f"{name}: payload is not UTF-8 ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise EventDecodeError(f"{name}: payload is not JSON ({exc.msg} at {exc.pos})") from exc
    if not isinstance(raw, dict):
        raise EventDecodeError(f"{name}: expected a JSON object, got {type(raw).__name__}")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise EventDecodeError(
            f"{name}: unsupported schema_version {version!r} (this build reads {SCHEMA_VERSION})"
        )
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        raise EventDecodeError(f"{name}: {problems}") from exc

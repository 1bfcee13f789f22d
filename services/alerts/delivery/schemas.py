"""Bodies of the subscriptions and deliveries API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.alerts.delivery.models import Audience, Channel, DeliveryStatus

SubscribableEvent = Literal["incident.created", "incident.updated"]


class SubscriptionIn(BaseModel):
    """A webhook subscription to create."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=128, examples=["case system team-oost"])
    url: str = Field(
        max_length=2048,
        description="Absolute http(s) URL the signed POSTs go to (redirects are not followed).",
        examples=["https://cases.politie.example/hooks/doxwatch"],
    )
    events: list[SubscribableEvent] = Field(
        min_length=1,
        max_length=2,
        description="Events to receive.",
        examples=[["incident.created", "incident.updated"]],
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials; requests are signed instead")
        return value

    @field_validator("events")
    @classmethod
    def _unique(cls, value: list[SubscribableEvent]) -> list[SubscribableEvent]:
        if len(set(value)) != len(value):
            raise ValueError("events must not repeat")
        return value


class SubscriptionOut(BaseModel):
    """A subscription as listed (never its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    created_by: str


class SubscriptionCreated(SubscriptionOut):
    """A new subscription; ``secret`` signs its requests and is shown this once."""

    secret: str = Field(
        description="HMAC-SHA256 key of X-Doxwatch-Signature (see docs/api.md, Webhooks).",
        examples=["whsec_Zq3..."],
    )


class DeliveryOut(BaseModel):
    """A delivery's state (never its payload)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Stable delivery id, sent as X-Doxwatch-Delivery.")
    channel: Channel
    audience: Audience
    event: str = Field(examples=["officer.alert"])
    incident_id: str
    officer_id: str | None
    subscription_id: str | None
    status: DeliveryStatus
    attempts: int
    last_error: str | None = Field(examples=["HTTP 503"])
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None

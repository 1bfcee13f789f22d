"""Alert service errors.

ProblemError (services.web)
├── Unauthenticated            401
├── Forbidden                  403
├── NotFound                   404
│   ├── IncidentNotFound       404  (also: an officer asking for another officer's incident)
│   ├── TaskNotFound           404
│   ├── PostNotFound           404
│   ├── OfficerNotFound        404
│   ├── PersonalDataNotFound   404
│   ├── TokenNotFound          404
│   ├── SubscriptionNotFound   404
│   └── DeliveryNotFound       404
├── InvalidCursor              400  a pagination cursor this service did not issue
├── InvalidTransition          409  a status change the handling path does not allow
├── DeliveryNotRetryable       409  only a failed delivery can be retried
├── InvalidPersonalDataValue   422  a registered value is not valid for its type
├── InvalidRequest             422  a request that is well-formed but inconsistent
├── PayloadTooLarge            413
├── RegistryUnavailable        503  DOXWATCH_REGISTRY_KEY is not set
└── Unavailable                503
"""

from __future__ import annotations

from services.web import NotFound, ProblemError


class IncidentNotFound(NotFound):
    """No incident with that id (or not one this caller may see)."""

    slug = "incident-not-found"
    title = "Incident not found"


class TaskNotFound(NotFound):
    """No task with that id on that incident."""

    slug = "task-not-found"
    title = "Task not found"


class PostNotFound(NotFound):
    """No stored post with that id."""

    slug = "post-not-found"
    title = "Post not found"


class OfficerNotFound(NotFound):
    """No registered officer with that id."""

    slug = "officer-not-found"
    title = "Officer not found"


class PersonalDataNotFound(NotFound):
    """No registered value with that id for that officer."""

    slug = "personal-data-not-found"
    title = "Registered value not found"


class TokenNotFound(NotFound):
    """No API token with that id."""

    slug = "token-not-found"
    title = "API token not found"


class InvalidCursor(ProblemError):
    """The ``cursor`` query parameter was not produced by this API."""

    status = 400
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"


class InvalidTransition(ProblemError):
    """The requested status change is not a step of the handling path."""

    status = 409
    slug = "invalid-transition"
    title = "Status change not allowed"


class InvalidPersonalDataValue(ProblemError):
    """A value given to the registry is not valid for its type (the value is not echoed)."""

    status = 422
    slug = "invalid-personal-data"
    title = "Invalid personal data value"


class InvalidRequest(ProblemError):
    """The request is well-formed but contradicts itself or the stored state."""

    status = 422
    slug = "invalid-request"
    title = "Request cannot be applied"


class RegistryUnavailable(ProblemError):
    """The officer registry is off because DOXWATCH_REGISTRY_KEY is not set."""

    status = 503
    slug = "registry-unavailable"
    title = "Officer registry not configured"


class SubscriptionNotFound(NotFound):
    """No webhook subscription with that id."""

    slug = "subscription-not-found"
    title = "Webhook subscription not found"


class DeliveryNotFound(NotFound):
    """No delivery with that id."""

    slug = "delivery-not-found"
    title = "Delivery not found"


class DeliveryNotRetryable(ProblemError):
    """A retry was asked for a delivery that has not failed (it is pending, being sent or
    delivered)."""

    status = 409
    slug = "delivery-not-retryable"
    title = "Delivery cannot be retried"

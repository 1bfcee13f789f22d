"""Alert service errors.

ProblemError (services.web)
├── Unauthenticated            401
├── Forbidden                  403
├── NotFound                   404
│   ├── IncidentNotFound       404
│   ├── TokenNotFound          404
│   ├── SubscriptionNotFound   404
│   └── DeliveryNotFound       404
├── InvalidCursor              400  a pagination cursor this service did not issue
├── DeliveryNotRetryable       409  only a failed delivery can be retried
├── PayloadTooLarge            413
└── Unavailable                503
"""

from __future__ import annotations

from services.web import NotFound, ProblemError


class IncidentNotFound(NotFound):
    """No incident with that id."""

    slug = "incident-not-found"
    title = "Incident not found"


class TokenNotFound(NotFound):
    """No API token with that id."""

    slug = "token-not-found"
    title = "API token not found"


class InvalidCursor(ProblemError):
    """The ``cursor`` query parameter was not produced by this API."""

    status = 400
    slug = "invalid-cursor"
    title = "Invalid pagination cursor"


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

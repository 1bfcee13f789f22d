"""Alert service errors.

ProblemError (services.web)
├── Unauthenticated        401
├── Forbidden              403
├── NotFound               404
│   └── IncidentNotFound   404
├── InvalidCursor          400  a pagination cursor this service did not issue
├── PayloadTooLarge        413
└── Unavailable            503
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

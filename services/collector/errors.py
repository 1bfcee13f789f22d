"""Collector errors.

ProblemError (services.web)
├── Unauthenticated            401
├── Forbidden                  403
├── PayloadTooLarge            413
├── TooManyPosts               413  batch over DOXWATCH_BATCH_MAX_POSTS
└── Unavailable                503
    └── NotStored              503  the bus did not confirm storage; nothing was accepted
"""

from __future__ import annotations

from services.web import ProblemError, Unavailable


class TooManyPosts(ProblemError):
    """A batch holds more posts than allowed."""

    status = 413
    slug = "too-many-posts"
    title = "Too many posts in one batch"


class NotStored(Unavailable):
    """Publishing failed: the client must retry (the post was not accepted)."""

    slug = "not-stored"
    title = "Post could not be stored"

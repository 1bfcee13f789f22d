"""Collector errors.

ProblemError (services.web)
├── Unauthenticated            401
│   └── BadSignature           401  webhook: missing, stale or wrong HMAC signature
├── Forbidden                  403
├── NotFound                   404
│   ├── EvidenceNotFound       404  no evidence with this SHA-256
│   ├── PostNotFound           404  no sightings of this post id
│   ├── ReportNotFound         404  no report with this id
│   └── UnknownPartner         404  webhook: no partner of that name configured
├── WebhookReplayed            409  webhook: this signed call was already accepted
├── PayloadTooLarge            413
├── TooManyPosts               413  batch over DOXWATCH_BATCH_MAX_POSTS
├── UnsupportedAttachment      415  an attachment that is not a PNG, JPEG, GIF or WebP image
├── ReportUnusable             422
│   ├── UrlRefused             422  the URL (or a redirect) points to a non-public address
│   └── NoTextFound            422  neither the page nor the screenshots gave any text
├── UrlNotFetched              502  the reported page could not be fetched (timeout, size, HTTP)
└── Unavailable                503
    └── NotStored              503  the bus did not confirm storage; nothing was accepted
"""

from __future__ import annotations

from services.web import NotFound, ProblemError, Unauthenticated, Unavailable


class TooManyPosts(ProblemError):
    """A batch holds more posts than allowed."""

    status = 413
    slug = "too-many-posts"
    title = "Too many posts in one batch"


class NotStored(Unavailable):
    """Publishing failed: the client must retry (the post was not accepted)."""

    slug = "not-stored"
    title = "Post could not be stored"


class UnsupportedAttachment(ProblemError):
    """An attachment is not an image Doxwatch can read."""

    status = 415
    slug = "unsupported-attachment"
    title = "Attachment is not a supported image"


class ReportUnusable(ProblemError):
    """The report holds nothing a post can be made of."""

    status = 422
    slug = "report-unusable"
    title = "Report cannot be used"


class UrlRefused(ReportUnusable):
    """The reported URL may not be fetched (scheme, private address, too many redirects)."""

    slug = "url-refused"
    title = "URL may not be fetched"


class NoTextFound(ReportUnusable):
    """Neither the page's metadata nor the screenshots gave any text."""

    slug = "no-text"
    title = "No text found"


class UrlNotFetched(ProblemError):
    """The reported page did not answer usefully in time."""

    status = 502
    slug = "url-not-fetched"
    title = "Reported page could not be fetched"


class EvidenceNotFound(NotFound):
    """No evidence with this hash."""

    slug = "evidence-not-found"
    title = "Evidence not found"


class PostNotFound(NotFound):
    """The collector has never seen this post id."""

    slug = "post-not-found"
    title = "Post not found"


class ReportNotFound(NotFound):
    """No report with this id."""

    slug = "report-not-found"
    title = "Report not found"


class UnknownPartner(NotFound):
    """No webhook partner of that name is configured."""

    slug = "unknown-partner"
    title = "Unknown webhook partner"


class BadSignature(Unauthenticated):
    """The webhook call is not signed with the partner's secret (or is too old)."""

    slug = "bad-signature"
    title = "Webhook signature not valid"


class WebhookReplayed(ProblemError):
    """This exact signed call was accepted before."""

    status = 409
    slug = "webhook-replayed"
    title = "Webhook call already received"

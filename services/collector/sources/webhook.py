"""Partner webhook: partners push batches of posts, signed with a shared secret.

``POST /api/v1/webhooks/{partner}`` with the body of ``POST /api/v1/posts/batch`` and

* ``X-Doxwatch-Timestamp``: the send time, Unix seconds;
* ``X-Doxwatch-Signature``: ``sha256=`` + hex HMAC-SHA256 over ``<timestamp>.<body>``
  with the partner's secret (``[[webhook]]`` in the collector configuration).

No bearer token: the signature authenticates. A timestamp further than the partner's
``replay_window_s`` from now, or a signature already accepted within that window, is
refused, so a captured call cannot be sent again. A partner that retries after a
failure sends a new timestamp (and so a new signature); a repeated post is then a
duplicate, not a second post.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter
from pydantic import ValidationError

from services.collector import repository, service
from services.collector.errors import (
    BadSignature,
    NotStored,
    TooManyPosts,
    UnknownPartner,
    WebhookReplayed,
)
from services.collector.schemas import BatchAccepted, BatchIn
from services.db import transaction, utcnow
from services.runtime import Runtime
from services.web import PayloadTooLarge, get_runtime, responses

SIGNATURE_HEADER = "X-Doxwatch-Signature"
TIMESTAMP_HEADER = "X-Doxwatch-Timestamp"

WEBHOOK_ERRORS = Counter(
    "doxwatch_webhook_refused_total",
    "Webhook calls refused, by partner and reason",
    ["partner", "reason"],
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


@dataclass(frozen=True)
class Partner:
    """A partner allowed to push posts, with its shared secret."""

    name: str
    secret: bytes
    replay_window_s: float = 300.0


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(partner: Partner, timestamp: str | None, signature: str | None, body: bytes) -> str:
    """Check a call's signature and freshness; return the signature's hex digest."""
    if not timestamp or not signature:
        raise BadSignature(f"send {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    if not timestamp.isdigit():
        raise BadSignature(f"{TIMESTAMP_HEADER} must be Unix seconds")
    if abs(time.time() - int(timestamp)) > partner.replay_window_s:
        raise BadSignature(
            f"{TIMESTAMP_HEADER} is more than {partner.replay_window_s:g} s from now"
        )
    expected = sign(partner.secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise BadSignature("the signature does not match the body and timestamp")
    return expected.removeprefix("sha256=")


def _partners(request: Request) -> dict[str, Partner]:
    partners: dict[str, Partner] = getattr(request.app.state, "webhook_partners", {})
    return partners


async def receive(runtime: Runtime, partner: Partner, request: Request) -> BatchAccepted:
    """Verify, de-duplicate and accept a partner's batch."""
    body = await request.body()
    try:
        digest = verify(
            partner,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
        )
    except BadSignature:
        WEBHOOK_ERRORS.labels(partner.name, "bad_signature").inc()
        raise
    since = utcnow() - timedelta(seconds=2 * partner.replay_window_s)
    async with transaction(runtime.sessions) as session:
        if await repository.delivery_seen(session, digest, since):
            WEBHOOK_ERRORS.labels(partner.name, "replay").inc()
            raise WebhookReplayed("this signed call was already accepted")
    try:
        batch = BatchIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc
    limit = runtime.settings.batch_max_posts
    if len(batch.posts) > limit:
        raise TooManyPosts(f"{len(batch.posts)} posts given, at most {limit} per batch")
    outcomes = await service.accept_posts(
        runtime, batch.posts, channel=f"webhook:{partner.name}", seen_by=partner.name
    )
    # Recorded only once stored: a call that failed with 503 may be sent again as is.
    async with transaction(runtime.sessions) as session:
        await repository.remember_delivery(session, digest, partner.name, since)
    return service.batch_answer(outcomes)


@router.post(
    "/webhooks/{partner}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchAccepted,
    summary="Partner push: a signed batch of posts (HMAC-SHA256, no bearer token)",
    responses=responses(UnknownPartner, WebhookReplayed, PayloadTooLarge, TooManyPosts, NotStored),
)
async def partner_webhook(
    partner: str, request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]
) -> BatchAccepted:
    """Accept a partner's signed batch; the body is the same as /posts/batch."""
    known = _partners(request).get(partner)
    if known is None:
        raise UnknownPartner(f"no webhook partner {partner!r} is configured")
    return await receive(runtime, known, request)

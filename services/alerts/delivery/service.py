"""Delivery rules: what to enqueue for an incident change, subscriptions, retries.

Callers pass their own session: an outbox row commits (or rolls back) atomically with
the incident change that caused it, and nothing here commits. The worker
(:mod:`services.alerts.delivery.worker`) sends what is enqueued, at least once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.alerts.delivery import content, repository
from services.alerts.delivery.models import (
    SUBSCRIBABLE_EVENTS,
    Audience,
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    Subscription,
    new_id,
)
from services.alerts.delivery.signing import new_secret
from services.alerts.handling import BY_KIND
from services.alerts.models import AuditEntry, Incident, Officer, PostRecord, TaskStatus
from services.config import Settings
from services.db import utcnow
from services.security import Principal

log = structlog.get_logger("doxwatch.delivery")

# Delivery workers running in this process register an event here; a commit that
# enqueued something sets them, so a new alert leaves at once instead of at the next
# poll. Only a hint: the poll finds every due row anyway (and rows enqueued by other
# processes).
_wakers: weakref.WeakSet[asyncio.Event] = weakref.WeakSet()
_WAKE_FLAG = "doxwatch.delivery.wake"


def register_waker(wake: asyncio.Event) -> Callable[[], None]:
    """Have ``wake`` set whenever a session in this process commits new deliveries;
    returns the function that unregisters it."""
    _wakers.add(wake)
    return lambda: _wakers.discard(wake)


def _wake_on_commit(session: AsyncSession) -> None:
    sync = session.sync_session
    if sync.info.get(_WAKE_FLAG):
        return
    sync.info[_WAKE_FLAG] = True

    def _after_commit(committed: Session) -> None:
        committed.info.pop(_WAKE_FLAG, None)
        for wake in list(_wakers):
            wake.set()

    sa_event.listen(sync, "after_commit", _after_commit, once=True)


def _incident_url(settings: Settings, incident_id: str) -> str:
    return f"{settings.public_url}/incidents/{incident_id}"


async def _steps(
    session: AsyncSession, incident: Incident, post: PostRecord, language: str
) -> tuple[list[tuple[str, str]], str]:
    """The incident's stored handling-path tasks (or the path its labels call for)."""
    steps, summary = content.default_steps(
        threat=incident.threat,
        doxing_call=incident.doxing_call,
        personal_data=incident.personal_data,
        poster_known=post.author is not None,
        language=language,
    )
    tasks = [
        t
        for t in await repository.incident_tasks(session, incident.id)
        if t.status is not TaskStatus.SKIPPED
    ]
    if tasks:
        steps = []
        for task in tasks:
            template = BY_KIND.get(task.kind)
            if template is None:
                steps.append((task.kind, task.title))
            else:
                steps.append(
                    (task.kind, template.title_en if language == "en" else template.title_nl)
                )
    return steps, summary


async def enqueue_officer_alert(
    session: AsyncSession,
    settings: Settings,
    *,
    incident: Incident,
    officer: Officer,
    post: PostRecord,
    matched: Sequence[tuple[str, str]],
) -> list[Delivery]:
    """Queue an alert to ``officer`` about ``post`` in ``incident``: one delivery per
    channel the officer has (e-mail when SMTP is configured, a signed webhook when a
    URL and secret are registered). ``matched`` is (span type, *masked* value) pairs.
    Enqueueing the same alert again returns the existing rows."""
    if not officer.active:
        return []
    channels: list[Channel] = []
    if officer.email and settings.smtp_host:
        channels.append(Channel.EMAIL)
    if officer.webhook_url and officer.webhook_secret:
        channels.append(Channel.WEBHOOK)
    elif officer.webhook_url:
        log.warning("officer webhook has no secret, not used", officer_id=officer.id)
    if not channels:
        return []
    await session.flush()  # the incident, post and officer rows the outbox refers to
    language = content.language_of(officer.language)
    out: list[Delivery] = []
    steps: tuple[list[tuple[str, str]], str] | None = None
    for channel in channels:
        key = f"{Event.OFFICER_ALERT}:{incident.id}:{officer.id}:{post.id}:{channel}"
        existing = await repository.by_dedup_key(session, key)
        if existing is not None:
            out.append(existing)
            continue
        if steps is None:
            steps = await _steps(session, incident, post, language)
        delivery_id, now = new_id(), utcnow()
        facts = content.AlertFacts(
            delivery_id=delivery_id,
            language=language,
            created_at=now,
            incident_id=incident.id,
            incident_url=_incident_url(settings, incident.id),
            severity=incident.severity.value,
            threat=incident.threat,
            doxing_call=incident.doxing_call,
            personal_data=incident.personal_data,
            post_id=post.id,
            platform=post.platform,
            post_url=post.url,
            matched=list(matched),
            steps=steps[0],
            legal_summary=steps[1],
            support_contact=settings.support_contact,
        )
        payload = (
            content.render_email(facts)
            if channel is Channel.EMAIL
            else {"body": content.render_webhook(facts)}
        )
        row = await repository.insert_delivery(
            session,
            _row(
                delivery_id,
                channel=channel,
                audience=Audience.OFFICER,
                officer_id=officer.id,
                subscription_id=None,
                incident_id=incident.id,
                event=Event.OFFICER_ALERT,
                dedup_key=key,
                payload=payload,
            ),
        )
        log.info(
            "delivery enqueued",
            delivery_id=row.id,
            channel=channel.value,
            delivery_event=Event.OFFICER_ALERT.value,
            incident_id=incident.id,
            officer_id=officer.id,
        )
        out.append(row)
    _wake_on_commit(session)
    return out


def _row(delivery_id: str, **values: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": delivery_id,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "locked_until": None,
        "last_error": None,
        "created_at": now,
        "delivered_at": None,
        **values,
    }


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json.loads(json.dumps(value, default=str, sort_keys=True))
    return safe


async def enqueue_incident_event(
    session: AsyncSession, *, incident: Incident, event: str, changes: dict[str, Any]
) -> list[Delivery]:
    """Queue ``event`` (``incident.created`` or ``incident.updated``) for every active
    subscription that asked for it. The payload is the incident summary plus
    ``changes`` (which must hold no personal data); never a post's text."""
    kind = Event(event)
    if kind not in SUBSCRIBABLE_EVENTS:
        raise ValueError(f"subscriptions receive only {[e.value for e in SUBSCRIBABLE_EVENTS]}")
    await session.flush()
    subscriptions = [
        s for s in await repository.active_subscriptions(session) if kind.value in s.events
    ]
    if not subscriptions:
        return []
    safe_changes = _json_safe(changes)
    summary = {
        "id": incident.id,
        "title": incident.title,
        "status": incident.status.value,
        "severity": incident.severity.value,
        "labels": {
            "threat": incident.threat,
            "doxing_call": incident.doxing_call,
            "personal_data": incident.personal_data,
        },
        "post_count": incident.post_count,
        "officer_ids": await repository.incident_officer_ids(session, incident.id),
        "updated_at": incident.updated_at.isoformat(),
    }
    # One incident is created once, but updated many times: an update is the same
    # delivery only when it is the same change at the same moment.
    change_digest = hashlib.sha256(
        json.dumps([summary["updated_at"], safe_changes], sort_keys=True).encode()
    ).hexdigest()[:32]
    out: list[Delivery] = []
    for sub in subscriptions:
        key = f"{kind.value}:{incident.id}:{sub.id}"
        if kind is Event.INCIDENT_UPDATED:
            key += f":{change_digest}"
        existing = await repository.by_dedup_key(session, key)
        if existing is not None:
            out.append(existing)
            continue
        delivery_id = new_id()
        body = {
            "delivery_id": delivery_id,
            "event": kind.value,
            "created_at": utcnow().isoformat(),
            "incident": summary,
            "changes": safe_changes,
        }
        row = await repository.insert_delivery(
            session,
            _row(
                delivery_id,
                channel=Channel.WEBHOOK,
                audience=Audience.SUBSCRIPTION,
                officer_id=None,
                subscription_id=sub.id,
                incident_id=incident.id,
                event=kind.value,
                dedup_key=key,
                payload={"body": body},
            ),
        )
        log.info(
            "delivery enqueued",
            delivery_id=row.id,
            channel=Channel.WEBHOOK.value,
            delivery_event=kind.value,
            incident_id=incident.id,
            subscription_id=sub.id,
        )
        out.append(row)
    _wake_on_commit(session)
    return out


def backoff_delay(
    settings: Settings, attempts: int, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: doubling from
    ``delivery_backoff_s``, capped at ``delivery_backoff_max_s``, with jitter (50-100%)
    so that a receiver coming back is not hit by every retry at once."""
    exponent = min(max(attempts - 1, 0), 60)
    delay = min(settings.delivery_backoff_s * 2.0**exponent, settings.delivery_backoff_max_s)
    return delay * (0.5 + rand() / 2)


# Subscriptions and retries (admin API) ---------------------------------------------------


def _audit(
    session: AsyncSession,
    actor: Principal,
    action: str,
    target_type: str,
    target_id: str,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            actor=actor.name,
            role=actor.role.value,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
        )
    )


async def create_subscription(
    session: AsyncSession, actor: Principal, *, name: str, url: str, events: Sequence[str]
) -> tuple[Subscription, str]:
    """A new active subscription and its signing secret (to show once)."""
    secret = new_secret()
    wanted = [e.value for e in SUBSCRIBABLE_EVENTS if e.value in set(events)]
    sub = Subscription(
        id=new_id(),
        name=name,
        url=url,
        secret=secret,
        events=wanted,
        active=True,
        created_at=utcnow(),
        created_by=actor.name,
    )
    session.add(sub)
    _audit(session, actor, "subscription.create", "subscription", sub.id, name=name, events=wanted)
    await session.flush()
    return sub, secret


async def deactivate_subscription(
    session: AsyncSession, actor: Principal, subscription_id: str
) -> Subscription | None:
    """Stop a subscription: nothing new is queued for it and its queued deliveries fail.
    The row stays, so its past deliveries keep their reference."""
    sub = await repository.get_subscription(session, subscription_id)
    if sub is None:
        return None
    if sub.active:
        sub.active = False
        _audit(session, actor, "subscription.delete", "subscription", sub.id)
    return sub


class NotRetryable(Exception):
    """Only a failed delivery can be retried."""


async def retry_delivery(
    session: AsyncSession, actor: Principal, delivery_id: str
) -> Delivery | None:
    """Put a failed delivery back in the queue with a fresh set of attempts, due now."""
    row = await repository.get_delivery(session, delivery_id)
    if row is None:
        return None
    if row.status is not DeliveryStatus.FAILED:
        raise NotRetryable(f"delivery {delivery_id} is {row.status.value}, not failed")
    row.status = DeliveryStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.locked_until = None
    _audit(session, actor, "delivery.retry", "delivery", row.id)
    _wake_on_commit(session)
    return row

"""The outbox worker: claim due deliveries under a lease, send them, record the outcome.

At least once: a delivery is claimed (``sending``, ``locked_until`` = now + lease) in its
own committed transaction, then sent, then marked. If the process dies between the send
and the mark, the lease expires and the delivery is sent again with the same id;
receivers drop repeats by ``X-Doxwatch-Delivery`` / ``Message-ID``. Each claim counts
as an attempt, so a delivery whose sending keeps killing the process still ends
``failed`` after ``delivery_max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import httpx
import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.alerts.delivery import repository, senders, service
from services.alerts.delivery.models import (
    Audience,
    Channel,
    Delivery,
    DeliveryStatus,
    Subscription,
)
from services.alerts.delivery.senders import DeliveryFailed, Outgoing
from services.alerts.models import Officer
from services.config import Settings
from services.db import transaction, utcnow
from services.runtime import Runtime

log = structlog.get_logger("doxwatch.delivery")

SENT = Counter("doxwatch_deliveries_sent_total", "Deliveries sent", ["channel"])
ATTEMPTS_FAILED = Counter(
    "doxwatch_delivery_attempts_failed_total",
    "Delivery attempts that failed (retried later or given up)",
    ["channel"],
)
FAILED = Counter(
    "doxwatch_deliveries_failed_total", "Deliveries given up (status failed)", ["channel"]
)
PENDING = Gauge("doxwatch_delivery_outbox_pending", "Deliveries waiting to be sent")


def _recipient(
    row: Delivery, officers: dict[str, Officer], subs: dict[str, Subscription]
) -> tuple[str | None, str | None]:
    """Address (or URL) and secret, read at send time so that a corrected contact counts."""
    if row.audience is Audience.OFFICER:
        officer = officers.get(row.officer_id or "")
        if officer is None or not officer.active:
            return None, None
        if row.channel is Channel.EMAIL:
            return officer.email, None
        return officer.webhook_url, officer.webhook_secret
    sub = subs.get(row.subscription_id or "")
    if sub is None or not sub.active:
        return None, None
    return sub.url, sub.secret


async def claim(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> list[tuple[Outgoing, datetime]]:
    """Claim up to ``delivery_batch_size`` due deliveries (committed before anything is
    sent); returns each with its lease, which identifies this claim when marking."""
    async with transaction(sessions) as session:
        now = utcnow()
        lease = now + timedelta(seconds=settings.delivery_lease_s)
        rows = await repository.claim_candidates(session, now, settings.delivery_batch_size)
        officers = await repository.officers_by_id(
            session, sorted({r.officer_id for r in rows if r.officer_id})
        )
        subs = await repository.subscriptions_by_id(
            session, sorted({r.subscription_id for r in rows if r.subscription_id})
        )
        claimed: list[tuple[Outgoing, datetime]] = []
        for row in rows:
            if row.attempts >= settings.delivery_max_attempts:
                # Claimed before and never marked: the process died while sending the
                # last attempt. Give up rather than loop on it.
                _give_up(row, "lease expired on the last attempt (process stopped?)", now)
                continue
            row.status = DeliveryStatus.SENDING
            row.locked_until = lease
            row.attempts += 1
            recipient, secret = _recipient(row, officers, subs)
            claimed.append(
                (
                    Outgoing(
                        id=row.id,
                        channel=row.channel,
                        event=row.event,
                        payload=row.payload,
                        recipient=recipient,
                        secret=secret,
                        attempt=row.attempts,
                    ),
                    lease,
                )
            )
    return claimed


def _give_up(row: Delivery, error: str, now: datetime) -> None:
    row.status = DeliveryStatus.FAILED
    row.locked_until = None
    row.last_error = error[:500]
    FAILED.labels(row.channel.value).inc()
    log.error(
        "delivery failed",
        delivery_id=row.id,
        channel=row.channel.value,
        delivery_event=row.event,
        attempts=row.attempts,
        error=error,
        at=now.isoformat(),
    )


async def record(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    job: Outgoing,
    lease: datetime,
    error: DeliveryFailed | None,
) -> None:
    """Mark the outcome of one attempt: delivered, back to pending with backoff, or failed."""
    async with transaction(sessions) as session:
        row = await repository.get_delivery(session, job.id)
        if row is None or row.status is DeliveryStatus.DELIVERED:
            return
        now = utcnow()
        if error is None:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = now
            row.locked_until = None
            row.last_error = None
            SENT.labels(job.channel.value).inc()
            log.info(
                "delivery sent",
                delivery_id=job.id,
                channel=job.channel.value,
                delivery_event=job.event,
                attempt=job.attempt,
            )
            return
        if row.status is not DeliveryStatus.SENDING or row.locked_until != lease:
            return  # our lease ran out and another claim owns the row now
        ATTEMPTS_FAILED.labels(job.channel.value).inc()
        if error.permanent or row.attempts >= settings.delivery_max_attempts:
            _give_up(row, str(error), now)
            return
        delay = service.backoff_delay(settings, row.attempts)
        row.status = DeliveryStatus.PENDING
        row.locked_until = None
        row.last_error = str(error)[:500]
        row.next_attempt_at = now + timedelta(seconds=delay)
        log.warning(
            "delivery attempt failed",
            delivery_id=job.id,
            channel=job.channel.value,
            delivery_event=job.event,
            attempt=job.attempt,
            error=str(error),
            retry_in_s=round(delay, 3),
        )


async def _attempt(
    runtime: Runtime, client: httpx.AsyncClient, job: Outgoing, lease: datetime
) -> None:
    error: DeliveryFailed | None = None
    try:
        await senders.send(client, runtime.settings, job)
    except asyncio.CancelledError:
        raise
    except DeliveryFailed as exc:
        error = exc
    except Exception as exc:
        error = DeliveryFailed(senders.describe(exc))
    await record(runtime.sessions, runtime.settings, job, lease, error)


async def deliver_due(runtime: Runtime, client: httpx.AsyncClient) -> int:
    """One round: claim due deliveries, send them concurrently, record each outcome as it
    comes. Returns how many were claimed."""
    claimed = await claim(runtime.sessions, runtime.settings)
    if claimed:
        await asyncio.gather(*(_attempt(runtime, client, job, lease) for job, lease in claimed))
    return len(claimed)


async def _refresh_gauge(runtime: Runtime) -> None:
    async with runtime.sessions() as session:
        PENDING.set(await repository.count_open(session))


async def run(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Send due deliveries until ``stopping``: poll every ``delivery_poll_s``, sooner when
    this process enqueues something."""
    settings = runtime.settings
    wake = asyncio.Event()
    unregister = service.register_waker(wake)
    try:
        async with httpx.AsyncClient(
            follow_redirects=False,
            timeout=settings.webhook_timeout_s,
            headers={"User-Agent": senders.USER_AGENT},
        ) as client:
            while not stopping.is_set():
                wake.clear()
                claimed = await deliver_due(runtime, client)
                await _refresh_gauge(runtime)
                if claimed >= settings.delivery_batch_size:
                    continue  # more may be due right now
                waiters = [
                    asyncio.create_task(wake.wait()),
                    asyncio.create_task(stopping.wait()),
                ]
                try:
                    await asyncio.wait(
                        waiters,
                        timeout=settings.delivery_poll_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    for task in waiters:
                        task.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await task
    finally:
        unregister()

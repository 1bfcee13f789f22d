"""Sending deliveries to a real SMTP server and a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from services.alerts.delivery import repository, service, worker
from services.alerts.delivery.models import Delivery, DeliveryStatus
from services.alerts.delivery.signing import sign, verify_signature
from services.bus.tansu import free_port
from services.config import Settings, load_settings
from services.db import make_engine, session_factory, transaction, utcnow
from services.runtime import Runtime, open_runtime
from tests.alerts.delivery_support import (
    MASKED_ADDRESS,
    MATCHED,
    OFFICER_EMAIL,
    PLAINTEXT_FRAGMENTS,
    SECRET,
    Receiver,
    SmtpServer,
    enqueue_alert,
    seed,
    smtp_server,
)

__all__ = ["smtp_server"]  # the fixture, imported for the tests below

SUPPORT = "Steunpunt Testkorps (fictief), 0800-0000001"


def _settings(url: str, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": url,
        "_env_file": None,
        "public_url": "https://doxwatch.politie.example",
        "support_contact": SUPPORT,
        "delivery_poll_s": 0.05,
        "delivery_backoff_s": 0.05,
        "delivery_backoff_max_s": 1.0,
        "delivery_max_attempts": 3,
        "webhook_timeout_s": 5,
        "smtp_timeout_s": 5,
    }
    base.update(kw)
    return load_settings(**base)


async def _delivery(runtime: Runtime, delivery_id: str) -> Delivery:
    async with runtime.sessions() as session:
        row = await repository.get_delivery(session, delivery_id)
    assert row is not None
    return row


async def _run_until(
    runtime: Runtime, delivery_id: str, done: Callable[[Delivery], bool], within_s: float = 30
) -> Delivery:
    """Run the real worker loop until the delivery satisfies ``done``."""
    stopping = asyncio.Event()
    task = asyncio.create_task(worker.run(runtime, stopping))
    try:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            row = await _delivery(runtime, delivery_id)
            if done(row):
                return row
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        raise AssertionError(f"delivery not done in {within_s}s: {row.status} {row.last_error}")
    finally:
        stopping.set()
        await asyncio.wait_for(task, 20)


def _final(row: Delivery) -> bool:
    return row.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


def _counter(name: str, channel: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": channel}) or 0.0


# E-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
async def test_email_arrives_masked_with_link_and_support(
    sqlite_url: str, smtp_server: SmtpServer, language: str
) -> None:
    settings = _settings(sqlite_url, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    (delivery_id,) = await enqueue_alert(settings, language=language)
    async with open_runtime(settings) as runtime:
        row = await _run_until(runtime, delivery_id, _final)
    assert row.status is DeliveryStatus.DELIVERED, row.last_error
    assert row.attempts == 1 and row.delivered_at is not None
    (msg,) = smtp_server.inbox.messages
    assert msg["To"] == OFFICER_EMAIL
    assert msg["Message-ID"] == f"<{delivery_id}@doxwatch>"
    assert msg["X-Doxwatch-Delivery"] == delivery_id
    body = msg.get_content()
    assert isinstance(body, str)
    everything = str(msg["Subject"]) + body + smtp_server.inbox.raw[0].decode("utf-8", "replace")
    for fragment in PLAINTEXT_FRAGMENTS:
        assert fragment not in everything
    assert "https://x.example/someone/status/42" in body
    assert f"https://doxwatch.politie.example/incidents/{row.incident_id}" in body
    assert SUPPORT in body
    if language == "nl":
        assert "Beste collega" in body and f"uw huisadres ({MASKED_ADDRESS})" in body
        assert "WIE U KUNT BELLEN" in body and "bericht over u" in str(msg["Subject"])
    else:
        assert "Dear colleague" in body and f"your home address ({MASKED_ADDRESS})" in body
        assert "WHOM TO CALL" in body and "a post about you" in str(msg["Subject"])


async def test_unreachable_smtp_server_is_retried_then_failed(sqlite_url: str) -> None:
    settings = _settings(sqlite_url, smtp_host="127.0.0.1", smtp_port=free_port())
    (delivery_id,) = await enqueue_alert(settings)
    async with open_runtime(settings) as runtime:
        row = await _run_until(runtime, delivery_id, _final)
    assert row.status is DeliveryStatus.FAILED
    assert row.attempts == 3
    assert row.last_error is not None and "Connect" in row.last_error
    assert OFFICER_EMAIL not in row.last_error


# Webhooks -------------------------------------------------------------------------------


async def test_webhook_is_signed_retried_with_backoff_then_delivered(sqlite_url: str) -> None:
    settings = _settings(
        sqlite_url, delivery_backoff_s=0.3, delivery_max_attempts=5, delivery_poll_s=0.02
    )
    sent_before = _counter("doxwatch_deliveries_sent_total", "webhook")
    failed_before = _counter("doxwatch_delivery_attempts_failed_total", "webhook")
    with Receiver(statuses=[500, 500]) as receiver:
        (delivery_id,) = await enqueue_alert(settings, email=None, webhook_url=receiver.url)
        async with open_runtime(settings) as runtime:
            row = await _run_until(runtime, delivery_id, _final)
    assert row.status is DeliveryStatus.DELIVERED
    assert row.attempts == 3 and row.last_error is None
    assert len(receiver.requests) == 3
    for req in receiver.requests:
        assert req.headers["x-doxwatch-delivery"] == delivery_id
        assert req.headers["x-doxwatch-event"] == "officer.alert"
        assert req.headers["content-type"] == "application/json"
        assert verify_signature(
            SECRET,
            req.headers["x-doxwatch-timestamp"],
            req.body,
            req.headers["x-doxwatch-signature"],
        )
        assert not verify_signature(
            "whsec_wrong",
            req.headers["x-doxwatch-timestamp"],
            req.body,
            req.headers["x-doxwatch-signature"],
        )
        body = json.loads(req.body)
        assert body["delivery_id"] == delivery_id
        assert body["found"][0]["masked"] == MASKED_ADDRESS
        for fragment in PLAINTEXT_FRAGMENTS:
            assert fragment not in req.body.decode()
    # Backoff: first retry after 0.15-0.3 s, the second after 0.3-0.6 s (50-100% jitter).
    gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.3, gaps
    assert _counter("doxwatch_deliveries_sent_total", "webhook") == sent_before + 1
    assert _counter("doxwatch_delivery_attempts_failed_total", "webhook") == failed_before + 2


async def test_permanently_failing_receiver_ends_failed(sqlite_url: str) -> None:
    failed_before = _counter("doxwatch_deliveries_failed_total", "webhook")
    settings = _settings(sqlite_url, delivery_max_attempts=3)
    with Receiver(default=503) as receiver:
        (delivery_id,) = await enqueue_alert(settings, email=None, webhook_url=receiver.url)
        async with open_runtime(settings) as runtime:
            row = await _run_until(runtime, delivery_id, _final)
            pending = REGISTRY.get_sample_value("doxwatch_delivery_outbox_pending")
    assert row.status is DeliveryStatus.FAILED
    assert (row.attempts, row.last_error) == (3, "HTTP 503")
    assert len(receiver.requests) == 3
    assert {r.headers["x-doxwatch-delivery"] for r in receiver.requests} == {delivery_id}
    assert _counter("doxwatch_deliveries_failed_total", "webhook") == failed_before + 1
    assert pending == 0


async def test_redirect_is_not_followed(sqlite_url: str) -> None:
    settings = _settings(sqlite_url, delivery_max_attempts=1)
    with Receiver(default=307) as receiver:
        (delivery_id,) = await enqueue_alert(settings, email=None, webhook_url=receiver.url)
        async with open_runtime(settings) as runtime:
            row = await _run_until(runtime, delivery_id, _final)
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error == "HTTP 307 (redirect not followed)"
    assert [r.path for r in receiver.requests] == ["/hook"]


async def test_email_and_webhook_on_postgresql(
    pg_database: Callable[[], str], smtp_server: SmtpServer
) -> None:
    url = pg_database()
    settings = _settings(url, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    with Receiver() as receiver:
        ids = await enqueue_alert(settings, webhook_url=receiver.url)
        async with open_runtime(settings) as runtime:
            for delivery_id in ids:
                row = await _run_until(runtime, delivery_id, _final)
                assert row.status is DeliveryStatus.DELIVERED, row.last_error
    assert len(smtp_server.inbox.messages) == 1
    assert [r.headers["x-doxwatch-delivery"] for r in receiver.requests] == [
        d for d in ids if d != smtp_server.inbox.messages[0]["X-Doxwatch-Delivery"]
    ]


async def test_postgresql_claims_skip_rows_another_process_holds(
    pg_database: Callable[[], str],
) -> None:
    url = pg_database()
    settings = _settings(url, delivery_batch_size=50)
    ids: list[str] = []
    for _ in range(6):
        ids += await enqueue_alert(settings, email=None, webhook_url="https://hooks.example.org/a")
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as holder, holder.begin():
            # Another process is in the middle of claiming two rows (locks held).
            held = await repository.claim_candidates(holder, utcnow(), 2)
            assert len(held) == 2
            claimed = await asyncio.wait_for(worker.claim(sessions, settings), 10)
            got = {job.id for job, _ in claimed}
            assert got == set(ids) - {d.id for d in held}
            await holder.rollback()
        async with sessions() as s:
            rows = (await s.scalars(select(Delivery).where(Delivery.id.in_(got)))).all()
        assert {r.status for r in rows} == {DeliveryStatus.SENDING}
        assert all(r.attempts == 1 and r.locked_until is not None for r in rows)
    finally:
        await engine.dispose()


# Signatures -----------------------------------------------------------------------------


def test_verify_signature_rejects_tampering_staleness_and_garbage() -> None:
    body = b'{"delivery_id":"d"}'
    now = 1_800_000_000
    header = sign(SECRET, now, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature(SECRET, str(now), body, header, 300, now=now + 299)
    assert not verify_signature(SECRET, str(now), body + b" ", header, 300, now=now)
    assert not verify_signature(SECRET, str(now + 1), body, header, 300, now=now)
    assert not verify_signature(SECRET, str(now), body, header, 300, now=now + 301)
    assert not verify_signature(SECRET, "yesterday", body, header, 300, now=now)
    assert not verify_signature(SECRET, str(now), body, header.upper(), 300, now=now)
    assert not verify_signature(SECRET, str(now), body, "", 300, now=now)


async def test_receiver_that_never_answers_times_out(sqlite_url: str) -> None:
    settings = _settings(sqlite_url, delivery_max_attempts=1, webhook_timeout_s=0.5)
    with Receiver(hold_first=True) as receiver:
        (delivery_id,) = await enqueue_alert(settings, email=None, webhook_url=receiver.url)
        async with open_runtime(settings) as runtime:
            started = time.monotonic()
            row = await _run_until(runtime, delivery_id, _final)
    assert row.status is DeliveryStatus.FAILED
    assert row.last_error in {"ReadTimeout", "TimeoutError"}
    assert time.monotonic() - started < 5


async def test_enqueue_in_this_process_wakes_the_worker(sqlite_url: str) -> None:
    settings = _settings(sqlite_url, delivery_poll_s=60)
    with Receiver() as receiver:
        async with open_runtime(settings) as runtime:
            stopping = asyncio.Event()
            task = asyncio.create_task(worker.run(runtime, stopping))
            try:
                await asyncio.sleep(0.3)  # first poll done; next one only in a minute
                async with transaction(runtime.sessions) as session:
                    s = seed(session, email=None, webhook_url=receiver.url)
                    (row,) = await service.enqueue_officer_alert(
                        session,
                        settings,
                        incident=s.incident,
                        officer=s.officer,
                        post=s.post,
                        matched=MATCHED,
                    )
                for _ in range(100):
                    if receiver.requests:
                        break
                    await asyncio.sleep(0.05)
                assert [r.headers["x-doxwatch-delivery"] for r in receiver.requests] == [row.id]
            finally:
                stopping.set()
                await asyncio.wait_for(task, 20)

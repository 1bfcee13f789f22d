"""Enqueueing deliveries, on SQLite and PostgreSQL, each test in a rolled-back transaction."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.delivery import service
from services.alerts.delivery.models import (
    Audience,
    Channel,
    Delivery,
    DeliveryStatus,
    Subscription,
)
from services.alerts.models import Task, TaskStatus
from services.config import Settings, load_settings
from services.security import Principal, Role
from tests.alerts.delivery_support import (
    MASKED_ADDRESS,
    MATCHED,
    PLAINTEXT_FRAGMENTS,
    POST_TEXT,
    seed,
)

ADMIN = Principal(token_id=1, name="admin (test)", role=Role.ADMIN)


def _settings(**kw: object) -> Settings:
    base: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "public_url": "https://doxwatch.politie.example/",
        "_env_file": None,
    }
    base.update(kw)
    return load_settings(**base)


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Delivery)) or 0)


def _no_plaintext(payload: object) -> None:
    dumped = json.dumps(payload, ensure_ascii=False)
    for fragment in PLAINTEXT_FRAGMENTS:
        assert fragment not in dumped, fragment


async def test_one_delivery_per_channel_and_idempotent(db_session: AsyncSession) -> None:
    s = seed(db_session, webhook_url="https://hooks.example.org/officer")
    settings = _settings()
    first = await service.enqueue_officer_alert(
        db_session, settings, incident=s.incident, officer=s.officer, post=s.post, matched=MATCHED
    )
    assert sorted(d.channel for d in first) == [Channel.EMAIL, Channel.WEBHOOK]
    assert all(d.status is DeliveryStatus.PENDING and d.attempts == 0 for d in first)
    assert all(d.audience is Audience.OFFICER and d.officer_id == s.officer.id for d in first)
    again = await service.enqueue_officer_alert(
        db_session, settings, incident=s.incident, officer=s.officer, post=s.post, matched=MATCHED
    )
    assert {d.id for d in again} == {d.id for d in first}
    assert await _count(db_session) == 2
    key = first[0].dedup_key
    assert key.startswith(f"officer.alert:{s.incident.id}:{s.officer.id}:{s.post.id}:")


async def test_channels_follow_contact_data_and_smtp_setting(db_session: AsyncSession) -> None:
    no_smtp = _settings(smtp_host=None)
    s = seed(db_session, webhook_url=None)
    out = await service.enqueue_officer_alert(
        db_session, no_smtp, incident=s.incident, officer=s.officer, post=s.post, matched=MATCHED
    )
    assert out == []  # e-mail only, but no SMTP server configured
    unsigned = seed(db_session, email=None, webhook_url="https://hooks.example.org/x", secret=None)
    out = await service.enqueue_officer_alert(
        db_session,
        _settings(),
        incident=unsigned.incident,
        officer=unsigned.officer,
        post=unsigned.post,
        matched=MATCHED,
    )
    assert out == []  # a webhook without a secret cannot be signed: never sent unsigned
    assert await _count(db_session) == 0


async def test_payloads_hold_only_masked_values_dutch_by_default(
    db_session: AsyncSession,
) -> None:
    s = seed(db_session, webhook_url="https://hooks.example.org/officer")
    settings = _settings()
    rows = await service.enqueue_officer_alert(
        db_session, settings, incident=s.incident, officer=s.officer, post=s.post, matched=MATCHED
    )
    email = next(d for d in rows if d.channel is Channel.EMAIL).payload
    hook = next(d for d in rows if d.channel is Channel.WEBHOOK).payload["body"]
    for payload in (email, hook):
        _no_plaintext(payload)
    assert email["language"] == "nl"
    text = email["text"]
    assert f"uw huisadres ({MASKED_ADDRESS})" in text
    assert "https://x.example/someone/status/42" in text
    assert f"https://doxwatch.politie.example/incidents/{s.incident.id}" in text
    assert settings.support_contact in text
    # What happens next: the handling path for a threat with leaked data of an officer.
    assert "GTPA" in text
    assert "Platform verzoeken de inhoud vrijwillig te verwijderen" in text
    assert "Protocol bedreigde collega's" in text
    assert hook["delivery_id"] == next(d.id for d in rows if d.channel is Channel.WEBHOOK)
    assert hook["found"] == [
        {"type": "ADDRESS", "description": "uw huisadres", "masked": MASKED_ADDRESS}
    ]
    assert hook["post"]["url"] == "https://x.example/someone/status/42"
    assert [step["kind"] for step in hook["next_steps"]][:2] == ["aangifte", "removal_request"]
    assert settings.support_contact in hook["message"]


async def test_english_when_the_officer_asks(db_session: AsyncSession) -> None:
    s = seed(db_session, language="en")
    (row,) = await service.enqueue_officer_alert(
        db_session,
        _settings(),
        incident=s.incident,
        officer=s.officer,
        post=s.post,
        matched=MATCHED,
    )
    assert row.payload["language"] == "en"
    assert "Dear colleague" in row.payload["text"]
    assert f"your home address ({MASKED_ADDRESS})" in row.payload["text"]
    assert "Ask the platform to remove the content voluntarily" in row.payload["text"]


async def test_stored_tasks_are_the_next_steps(db_session: AsyncSession) -> None:
    s = seed(db_session)
    db_session.add(
        Task(
            incident_id=s.incident.id,
            kind="sommatie",
            route="civil",
            title="Sommatie",
            status=TaskStatus.OPEN,
        )
    )
    (row,) = await service.enqueue_officer_alert(
        db_session,
        _settings(),
        incident=s.incident,
        officer=s.officer,
        post=s.post,
        matched=MATCHED,
    )
    assert "Sommatie tot verwijdering aan plaatser en/of platform" in row.payload["text"]
    assert "Aangifte opnemen" not in row.payload["text"]


async def _subscribe(session: AsyncSession, name: str, events: list[str]) -> Subscription:
    sub, secret = await service.create_subscription(
        session, ADMIN, name=name, url=f"https://{name}.example.org/hook", events=events
    )
    assert secret.startswith("whsec_") and sub.secret == secret
    return sub


async def test_incident_events_go_to_matching_active_subscriptions(
    db_session: AsyncSession,
) -> None:
    s = seed(db_session)
    both = await _subscribe(db_session, "both", ["incident.created", "incident.updated"])
    created_only = await _subscribe(db_session, "created", ["incident.created"])
    stopped = await _subscribe(db_session, "stopped", ["incident.updated"])
    await service.deactivate_subscription(db_session, ADMIN, stopped.id)

    created = await service.enqueue_incident_event(
        db_session, incident=s.incident, event="incident.created", changes={}
    )
    assert {d.subscription_id for d in created} == {both.id, created_only.id}
    changes = {"status": {"from": "new", "to": "triage"}, "at": datetime(2026, 11, 30, 12)}
    updated = await service.enqueue_incident_event(
        db_session, incident=s.incident, event="incident.updated", changes=changes
    )
    assert [d.subscription_id for d in updated] == [both.id]
    assert all(d.audience is Audience.SUBSCRIPTION for d in created + updated)
    # The same change again is the same delivery; a different change is a new one.
    repeat = await service.enqueue_incident_event(
        db_session, incident=s.incident, event="incident.updated", changes=changes
    )
    assert [d.id for d in repeat] == [updated[0].id]
    other = await service.enqueue_incident_event(
        db_session,
        incident=s.incident,
        event="incident.updated",
        changes={"severity": {"from": "high", "to": "critical"}},
    )
    assert other[0].id != updated[0].id
    assert await _count(db_session) == 4

    body = updated[0].payload["body"]
    assert body["event"] == "incident.updated"
    assert body["delivery_id"] == updated[0].id
    assert body["incident"]["officer_ids"] == [s.officer.id]
    assert body["incident"]["labels"] == {
        "threat": True,
        "doxing_call": False,
        "personal_data": True,
    }
    assert body["changes"]["status"] == {"from": "new", "to": "triage"}
    assert POST_TEXT not in json.dumps(body)
    _no_plaintext(body)


async def test_officer_alerts_cannot_go_to_subscriptions(db_session: AsyncSession) -> None:
    s = seed(db_session)
    with pytest.raises(ValueError, match="subscriptions receive only"):
        await service.enqueue_incident_event(
            db_session, incident=s.incident, event="officer.alert", changes={}
        )


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    settings = _settings(delivery_backoff_s=10, delivery_backoff_max_s=60)
    assert service.backoff_delay(settings, 1, rand=lambda: 1.0) == 10
    assert service.backoff_delay(settings, 2, rand=lambda: 1.0) == 20
    assert service.backoff_delay(settings, 3, rand=lambda: 0.0) == 20  # 40 with 50% jitter
    assert service.backoff_delay(settings, 30, rand=lambda: 1.0) == 60

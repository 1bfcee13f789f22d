"""The subscriptions and deliveries API over real HTTP: admin only, no secrets or payloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.alerts.app import ROUTERS
from services.alerts.delivery import service
from services.alerts.delivery.models import DeliveryStatus
from services.alerts.models import AuditEntry
from services.config import load_settings
from services.db import make_engine, session_factory, transaction
from services.runtime import open_runtime
from services.web import create_app
from tests.alerts.delivery_support import MATCHED, seed
from tests.conftest import LiveServer

ADMIN = "admin-token-for-delivery-tests"


@pytest.fixture
async def server(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> AsyncIterator[LiveServer]:
    settings = load_settings(database_url=sqlite_url, admin_token=ADMIN, _env_file=None)
    # No workers: the outbox is inspected, not sent, here.
    app = create_app(lambda: open_runtime(settings), title="alerts (test)", routers=ROUTERS)
    async with live_server(app) as srv:
        yield srv


async def _seed_delivery(url: str, status: DeliveryStatus) -> str:
    settings = load_settings(database_url=url, smtp_host="127.0.0.1", _env_file=None)
    engine = make_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            s = seed(session)
            (row,) = await service.enqueue_officer_alert(
                session,
                settings,
                incident=s.incident,
                officer=s.officer,
                post=s.post,
                matched=MATCHED,
            )
            row.status = status
            row.attempts = 8 if status is DeliveryStatus.FAILED else 0
            row.last_error = "HTTP 503" if status is DeliveryStatus.FAILED else None
            return row.id
    finally:
        await engine.dispose()


SUB = {
    "name": "case system team-oost",
    "url": "https://cases.politie.example/hooks/doxwatch",
    "events": ["incident.created", "incident.updated"],
}


# Officer tokens need a registered officer; they are in tests/alerts/test_authz_matrix.py.
@pytest.mark.parametrize("role", ["analyst", "integration"])
async def test_only_admins_may_use_the_delivery_api(server: LiveServer, role: str) -> None:
    async with server.client(ADMIN) as admin:
        made = await admin.post("/api/v1/tokens", json={"name": f"{role} 1", "role": role})
        token = made.json()["token"]
    async with server.client(token) as c:
        calls = [
            c.post("/api/v1/subscriptions", json=SUB),
            c.get("/api/v1/subscriptions"),
            c.delete("/api/v1/subscriptions/x"),
            c.get("/api/v1/deliveries"),
            c.post("/api/v1/deliveries/x/retry"),
        ]
        for call in calls:
            r = await call
            assert r.status_code == 403, r.text
            assert r.json()["type"] == "urn:doxwatch:problem:forbidden"
    async with server.client() as anonymous:
        assert (await anonymous.get("/api/v1/deliveries")).status_code == 401


async def test_subscription_lifecycle_secret_shown_once(
    server: LiveServer, sqlite_url: str
) -> None:
    async with server.client(ADMIN) as c:
        made = await c.post("/api/v1/subscriptions", json=SUB)
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
        assert body["active"] is True and body["events"] == SUB["events"]
        listed = (await c.get("/api/v1/subscriptions")).json()
        assert [s["id"] for s in listed] == [body["id"]]
        assert all("secret" not in s for s in listed)
        assert body["secret"] not in (await c.get("/api/v1/subscriptions")).text
        gone = await c.delete(f"/api/v1/subscriptions/{body['id']}")
        assert gone.status_code == 200 and gone.json()["active"] is False
        missing = await c.delete("/api/v1/subscriptions/no-such-id")
        assert missing.status_code == 404
        assert missing.json()["type"] == "urn:doxwatch:problem:subscription-not-found"
    engine = make_engine(sqlite_url)
    async with session_factory(engine)() as s:
        actions = list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    await engine.dispose()
    assert actions == ["subscription.create", "subscription.delete"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"url": "ftp://cases.politie.example/x"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://user:pw@cases.politie.example/x"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"events": ["officer.alert"]}, "events"),
        ({"events": []}, "events"),
        ({"name": ""}, "name"),
    ],
)
async def test_bad_subscriptions_are_refused(
    server: LiveServer, change: dict[str, Any], where: str
) -> None:
    async with server.client(ADMIN) as c:
        r = await c.post("/api/v1/subscriptions", json={**SUB, **change})
    assert r.status_code == 422
    assert r.json()["type"] == "urn:doxwatch:problem:validation"
    assert where in r.json()["detail"]


async def test_deliveries_listed_without_payloads_and_failed_ones_retried(
    server: LiveServer, sqlite_url: str
) -> None:
    failed = await _seed_delivery(sqlite_url, DeliveryStatus.FAILED)
    pending = await _seed_delivery(sqlite_url, DeliveryStatus.PENDING)
    async with server.client(ADMIN) as c:
        every = await c.get("/api/v1/deliveries")
        assert every.status_code == 200
        assert {d["id"] for d in every.json()} == {failed, pending}
        assert "payload" not in every.text and "Beste collega" not in every.text
        only_failed = (await c.get("/api/v1/deliveries", params={"status": "failed"})).json()
        assert [(d["id"], d["last_error"], d["attempts"]) for d in only_failed] == [
            (failed, "HTTP 503", 8)
        ]
        assert only_failed[0]["channel"] == "email" and only_failed[0]["event"] == "officer.alert"
        retried = await c.post(f"/api/v1/deliveries/{failed}/retry")
        assert retried.status_code == 200
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        refused = await c.post(f"/api/v1/deliveries/{pending}/retry")
        assert refused.status_code == 409
        assert refused.json()["type"] == "urn:doxwatch:problem:delivery-not-retryable"
        unknown = await c.post("/api/v1/deliveries/nope/retry")
        assert unknown.status_code == 404
        assert unknown.json()["type"] == "urn:doxwatch:problem:delivery-not-found"
        bad = await c.get("/api/v1/deliveries", params={"status": "lost"})
        assert bad.status_code == 422


async def test_openapi_declares_delivery_problems(server: LiveServer) -> None:
    async with server.client() as c:
        spec = (await c.get("/openapi.json")).json()
    retry = spec["paths"]["/api/v1/deliveries/{delivery_id}/retry"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(retry)
    assert {"201", "401", "403", "422"} <= set(
        spec["paths"]["/api/v1/subscriptions"]["post"]["responses"]
    )

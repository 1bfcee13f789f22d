"""Incident events reach a subscribed integration: opened by ingestion, changed by analysts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from services.alerts.delivery.signing import verify_signature
from tests import factories
from tests.alerts.conftest import ADMIN, eventually, publish_verdicts
from tests.alerts.delivery_support import Receiver
from tests.conftest import LiveServer


async def test_subscription_gets_created_and_updated_events_signed(
    alerts: LiveServer, sqlite_url: str
) -> None:
    with Receiver() as receiver:
        async with alerts.client(ADMIN) as admin:
            r = await admin.post(
                "/api/v1/subscriptions",
                json={
                    "name": "zaaksysteem (test)",
                    "url": receiver.url,
                    "events": ["incident.created", "incident.updated"],
                },
            )
            assert r.status_code == 201, r.text
            secret = r.json()["secret"]
            verdict = factories.verdict(threat=True)
            await publish_verdicts(sqlite_url, [verdict])

            async def bodies(n: int) -> list[dict[str, Any]] | None:
                await asyncio.sleep(0)
                got = [json.loads(req.body) for req in receiver.requests]
                return got if len(got) >= n else None

            (created,) = await eventually(lambda: bodies(1), within=30)
            assert created["event"] == "incident.created"
            incident_id = created["incident"]["id"]
            assert created["incident"]["severity"] == "high"
            assert "text" not in json.dumps(created["incident"])  # no post text goes out
            r = await admin.post(
                f"/api/v1/incidents/{incident_id}/status", json={"status": "triage"}
            )
            assert r.status_code == 200
            _, updated = await eventually(lambda: bodies(2), within=30)
    assert updated["event"] == "incident.updated"
    assert updated["incident"]["status"] == "triage"
    assert updated["changes"]["status"] == {"from": "new", "to": "triage"}
    for req in receiver.requests:
        assert verify_signature(
            secret,
            req.headers["x-doxwatch-timestamp"],
            req.body,
            req.headers["x-doxwatch-signature"],
        )
    ids = {req.headers["x-doxwatch-delivery"] for req in receiver.requests}
    assert len(ids) == 2

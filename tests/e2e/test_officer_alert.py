"""End to end: a registered officer's address leaks with a threat, the officer is alerted.

`doxwatch up` runs as a real process on SQLite with a real SMTP server (aiosmtpd) and a
real HTTP webhook receiver on 127.0.0.1. The officer is registered through the API, a
post goes in through the intake API and is classified by the real detector; the test
sees one critical incident naming the officer, a signed webhook and an e-mail, both with
the address masked. The service is killed while the webhook is in flight and the alert
still arrives after the restart, with the same delivery id.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.alerts.delivery.signing import verify_signature
from services.bus.tansu import free_port
from services.personal_data import mask
from tests.alerts.delivery_support import Receiver, SmtpServer
from tests.alerts.delivery_support import smtp_server as smtp_server
from tests.e2e.processes import Proc, service_env

pytestmark = pytest.mark.e2e

ADMIN = "e2e-officer-alert-admin"
ADDRESS = "Kerkstraat 12, 1234 AB Utrecht"
POST = {
    "text": f"Die agent woont op {ADDRESS}. We wachten hem vanavond op met een knuppel.",
    "platform": "x",
    "url": "https://x.example/anoniem123/status/7781",
}


def _get(api: str, path: str, token: str = ADMIN) -> Any:
    r = httpx.get(f"{api}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def _wait(check: Any, what: str, log: Path, within: float = 90) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen:\n{log.read_text()[-3000:]}")


def test_leak_of_registered_address_alerts_the_officer_across_a_crash(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    log = tmp_path / "up.log"
    env = service_env(
        ADMIN,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'doxwatch.db'}",
        registry_key="e2e-registry-key-0123456789abcdefghij",
        smtp_host=smtp_server.host,
        smtp_port=str(smtp_server.port),
        public_url="https://doxwatch.politie.example",
        delivery_lease_s="2",
        delivery_poll_s="0.1",
        webhook_timeout_s="60",
    )
    masked = mask("ADDRESS", ADDRESS)
    with Receiver(hold_first=True) as receiver:
        up = Proc(["up", "--port", str(free_port())], env, log)
        try:
            up.start()
            headers = {"Authorization": f"Bearer {ADMIN}"}
            officer = httpx.post(
                f"{up.url}/api/v1/officers",
                headers=headers,
                json={
                    "display_name": "Brigadier E. Verbeek",
                    "email": "e.verbeek@politie.example",
                    "webhook_url": receiver.url,
                    "personal_data": [{"type": "ADDRESS", "value": ADDRESS}],
                },
                timeout=10,
            ).json()
            assert officer["personal_data"][0]["masked"] == masked
            r = httpx.post(f"{up.url}/api/v1/posts", headers=headers, json=POST, timeout=10)
            assert r.status_code == 202

            # The webhook is sent and held open by the receiver: kill Doxwatch mid-send.
            assert receiver.got_request.wait(90), log.read_text()[-3000:]
            up.kill()
            up.start()

            def delivered() -> list[dict[str, Any]] | None:
                items: list[dict[str, Any]] = _get(up.url, "/api/v1/deliveries")
                done = [d for d in items if d["status"] == "delivered"]
                return items if len(done) == 2 and len(items) == 2 else None

            deliveries = _wait(delivered, "both deliveries", log)
            incidents = _get(up.url, "/api/v1/incidents")["items"]
            assert len(incidents) == 1
            incident = _get(up.url, f"/api/v1/incidents/{incidents[0]['id']}")
            mine = _get(up.url, "/api/v1/incidents", token=officer["token"])["items"]
        finally:
            up.stop()

    # One critical incident that names the officer.
    assert incident["severity"] == "critical"
    assert [o["display_name"] for o in incident["officers"]] == ["Brigadier E. Verbeek"]
    assert [i["id"] for i in mine] == [incident["id"]]

    # The webhook: sent twice (before and after the kill) with one delivery id, signed.
    webhook = next(d for d in deliveries if d["channel"] == "webhook")
    assert len(receiver.requests) >= 2
    for req in receiver.requests:
        assert req.headers["x-doxwatch-delivery"] == webhook["id"]
        assert verify_signature(
            officer["webhook_secret"],
            req.headers["x-doxwatch-timestamp"],
            req.body,
            req.headers["x-doxwatch-signature"],
        )
        assert ADDRESS not in req.body.decode() and "Kerkstraat 12" not in req.body.decode()
    payload = json.loads(receiver.requests[-1].body)
    assert payload["event"] == "officer.alert" and payload["language"] == "nl"
    assert payload["incident"]["id"] == incident["id"]
    assert payload["incident"]["severity"] == "critical"
    assert [f["masked"] for f in payload["found"]] == [masked]
    assert payload["post"]["url"] == POST["url"]
    assert payload["next_steps"] and payload["support_contact"]

    # The e-mail: in Dutch, masked, with the link and the same id on a repeat.
    assert smtp_server.inbox.messages, log.read_text()[-3000:]
    email = next(d for d in deliveries if d["channel"] == "email")
    for message in smtp_server.inbox.messages:
        assert message["X-Doxwatch-Delivery"] == email["id"]
        assert message["To"] == "e.verbeek@politie.example"
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert masked in text
        assert ADDRESS not in text and "Kerkstraat 12" not in text
        assert incident["id"] in text
    # Nothing registered reached the logs.
    assert "Kerkstraat 12" not in log.read_text()

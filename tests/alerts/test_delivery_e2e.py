"""At-least-once delivery across a crash: the alert service is killed while a webhook is
in flight, restarted, and sends the same delivery id again."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.alerts.delivery.signing import verify_signature
from services.bus.tansu import free_port
from services.config import load_settings
from tests.alerts.delivery_support import SECRET, Receiver, enqueue_alert
from tests.conftest import run_sync
from tests.e2e.processes import Proc, service_env

pytestmark = pytest.mark.e2e

ADMIN = "e2e-delivery-admin-token"


def _deliveries(api: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{api}/api/v1/deliveries", headers={"Authorization": f"Bearer {ADMIN}"})
    r.raise_for_status()
    items: list[dict[str, Any]] = r.json()
    return items


def test_killed_while_sending_the_same_delivery_is_sent_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = load_settings(database_url=sqlite_url, _env_file=None)
    with Receiver(hold_first=True) as receiver:
        (delivery_id,) = run_sync(
            lambda: enqueue_alert(settings, email=None, webhook_url=receiver.url)
        )
        env = service_env(
            ADMIN,
            database_url=sqlite_url,
            bus="local",
            delivery_lease_s="2",
            delivery_poll_s="0.1",
            webhook_timeout_s="60",
        )
        proc = Proc(["alerts", "--port", str(free_port())], env, tmp_path / "alerts.log")
        try:
            proc.start()
            assert receiver.got_request.wait(60), proc.log.read_text()[-3000:]
            # The request is in flight and unanswered: kill the sender outright.
            proc.kill()
            proc.start()
            deadline = time.monotonic() + 60
            status = None
            while time.monotonic() < deadline:
                (item,) = _deliveries(proc.url)
                status = item["status"]
                if status == "delivered":
                    break
                time.sleep(0.2)
            assert status == "delivered", proc.log.read_text()[-3000:]
            assert item["id"] == delivery_id and item["attempts"] == 2
        finally:
            proc.stop()
    assert len(receiver.requests) == 2
    for req in receiver.requests:
        assert req.headers["x-doxwatch-delivery"] == delivery_id
        assert req.body and receiver.requests[0].body == req.body
        assert verify_signature(
            SECRET,
            req.headers["x-doxwatch-timestamp"],
            req.body,
            req.headers["x-doxwatch-signature"],
        )
    log = proc.log.read_text()
    assert '"event": "delivery sent"' in log
    assert "Kerkstraat" not in log and "a.de.vries" not in log

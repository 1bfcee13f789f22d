"""Whole-system tests: real processes, a real Kafka-protocol broker, PostgreSQL and SQLite."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.bus.tansu import TansuBroker, free_port
from services.events import DEADLETTER_TOPIC, POSTS_TOPIC
from tests.conftest import run_sync
from tests.e2e.processes import Proc, service_env

pytestmark = pytest.mark.e2e

ADMIN = "e2e-admin-token"
DOXING_POST = (
    "Wie kent deze agent? Hij woont volgens mij op Lindelaan 14, 3581 KR Utrecht. "
    "Naam en adres graag, deel dit tot we weten wie hij is"
)


@pytest.fixture
def fresh_broker() -> Iterator[str]:
    """A broker of the test's own (or DOXWATCH_KAFKA_BOOTSTRAP), so offsets start clean."""
    external = os.environ.get("DOXWATCH_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    with TansuBroker() as bootstrap:
        yield bootstrap


@pytest.fixture
def distributed(
    fresh_broker: str, pg_database: Callable[[], str], tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """Collector, classifier and alerts as three processes over Kafka and PostgreSQL."""
    db = pg_database()
    env = service_env(
        ADMIN,
        bus="kafka",
        kafka_bootstrap=fresh_broker,
        kafka_partitions="3",
        kafka_idempotent_producer="true" if os.environ.get("DOXWATCH_KAFKA_BOOTSTRAP") else "false",
        database_url=db,
        consumer_batch_size="16",
        consumer_retry_backoff_s="0.05",
    )
    procs = {
        "collector": Proc(
            ["collector", "--port", str(free_port())], env, tmp_path / "collector.log"
        ),
        "classifier": Proc(
            ["classifier", "--port", str(free_port())], env, tmp_path / "classifier.log"
        ),
        "alerts": Proc(["alerts", "--port", str(free_port())], env, tmp_path / "alerts.log"),
    }
    try:
        for p in procs.values():
            p.start()
        yield {"procs": procs, "db": db, "bootstrap": fresh_broker}
    finally:
        for p in procs.values():
            p.stop()


def _wait_incident_for(api: str, post_id: str, timeout: float = 90) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = httpx.get(f"{api}/api/v1/incidents", headers=headers, params={"limit": 200}).json()
        for item in page["items"]:
            detail = httpx.get(f"{api}/api/v1/incidents/{item['id']}", headers=headers).json()
            if any(p["id"] == post_id for p in detail["posts"]):
                return dict(detail)
        time.sleep(0.5)
    raise AssertionError(f"no incident for post {post_id} within {timeout}s")


def _submit(collector: str, body: dict[str, Any]) -> str:
    r = httpx.post(
        f"{collector}/api/v1/posts", json=body, headers={"Authorization": f"Bearer {ADMIN}"}
    )
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def test_doxing_post_flows_through_kafka_to_an_incident(distributed: dict[str, Any]) -> None:
    procs = distributed["procs"]
    url = f"https://x.example/status/{uuid.uuid4().hex[:10]}"
    post_id = _submit(procs["collector"].url, {"text": DOXING_POST, "platform": "x", "url": url})
    incident = _wait_incident_for(procs["alerts"].url, post_id)
    assert incident["labels"]["doxing_call"] is True
    assert incident["labels"]["personal_data"] is True
    post = incident["posts"][0]
    spans = {(s["label"], DOXING_POST[s["start"] : s["end"]]) for s in post["spans"]}
    assert ("ADDRESS", "Lindelaan 14, 3581 KR Utrecht") in spans
    for name in ("collector", "classifier", "alerts"):
        log = procs[name].log.read_text()
        assert '"event": "batch processed"' in log or name == "collector"


async def _produce_raw(bootstrap: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(POSTS_TOPIC, value, key=b"poison")
    finally:
        await producer.stop()


async def _read_deadletters(bootstrap: str, want: int) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(
        DEADLETTER_TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"e2e-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    out: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 60
        while len(out) < want and time.monotonic() < deadline:
            polled = await consumer.getmany(timeout_ms=500)
            out.extend(json.loads(m.value) for msgs in polled.values() for m in msgs)
    finally:
        await consumer.stop()
    return out


def test_poison_message_is_deadlettered_and_later_posts_still_flow(
    distributed: dict[str, Any],
) -> None:
    procs, bootstrap = distributed["procs"], distributed["bootstrap"]
    run_sync(lambda: _produce_raw(bootstrap, b'{"schema_version": 1, "id": "x"'))
    url = f"https://x.example/status/{uuid.uuid4().hex[:10]}"
    post_id = _submit(procs["collector"].url, {"text": DOXING_POST, "platform": "x", "url": url})
    _wait_incident_for(procs["alerts"].url, post_id)
    dead = run_sync(lambda: _read_deadletters(bootstrap, 1))
    poison = [d for d in dead if base64.b64decode(d["value_b64"]).startswith(b'{"schema_version"')]
    assert poison, dead
    assert poison[0]["group"] == "doxwatch-classifier"
    assert "not JSON" in poison[0]["error"]


def test_classifier_restart_mid_stream_loses_and_duplicates_nothing(
    distributed: dict[str, Any],
) -> None:
    procs, db = distributed["procs"], distributed["db"]
    n = 120
    body = {
        "posts": [
            {
                "text": f"{DOXING_POST} ({i})",
                "platform": "telegram",
                "url": f"https://t.example/c/{i}-{uuid.uuid4().hex[:6]}",
            }
            for i in range(n)
        ]
    }
    r = httpx.post(
        f"{procs['collector'].url}/api/v1/posts/batch",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=60,
    )
    assert r.status_code == 202
    ids = set(r.json()["ids"])
    dsn = db.replace("+asyncpg", "")

    async def counts() -> tuple[int, int, int]:
        conn = await asyncpg.connect(dsn)
        try:
            posts = await conn.fetchval("SELECT count(*) FROM posts")
            counted = await conn.fetchval("SELECT coalesce(sum(post_count), 0) FROM incidents")
            linked = await conn.fetchval("SELECT count(*) FROM posts WHERE incident_id IS NOT NULL")
            return int(posts), int(counted), int(linked)
        finally:
            await conn.close()

    # Kill the classifier as soon as the first verdicts are stored, mid-stream.
    deadline = time.monotonic() + 60
    while run_sync(counts)[0] == 0:
        assert time.monotonic() < deadline, "no verdict stored before the kill"
        time.sleep(0.05)
    procs["classifier"].kill()
    stored_at_kill = run_sync(counts)[0]
    procs["classifier"].start()
    deadline = time.monotonic() + 120
    while run_sync(counts)[0] < n:
        assert time.monotonic() < deadline, f"only {run_sync(counts)[0]} of {n} stored"
        time.sleep(0.3)
    time.sleep(2)  # let any redelivered verdicts arrive; they must change nothing
    posts, counted, linked = run_sync(counts)
    assert stored_at_kill < n, "the kill came too late to test anything"
    assert posts == n

    async def stored_ids() -> set[str]:
        conn = await asyncpg.connect(dsn)
        try:
            return {r["id"] for r in await conn.fetch("SELECT id FROM posts")}
        finally:
            await conn.close()

    assert run_sync(stored_ids) == ids
    # The 120 posts are reposts of one text, so they group into incidents (see the
    # grouping tests); every post is evidence exactly once, none counted twice.
    assert counted == linked == n


def test_up_runs_everything_in_one_process_on_sqlite(tmp_path: Path) -> None:
    env = service_env(ADMIN, database_url=f"sqlite+aiosqlite:///{tmp_path / 'up.db'}")
    up = Proc(["up", "--port", str(free_port())], env, tmp_path / "up.log")
    up.start()
    try:
        url = f"https://x.example/status/{uuid.uuid4().hex[:10]}"
        post_id = _submit(up.url, {"text": DOXING_POST, "platform": "x", "url": url})
        incident = _wait_incident_for(up.url, post_id, timeout=60)
        assert incident["labels"]["doxing_call"] is True
        assert incident["severity"] in ("high", "critical")
    finally:
        up.stop()
    assert (tmp_path / "up.db").exists()

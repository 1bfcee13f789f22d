"""The partner webhook over real HTTP: HMAC-SHA256 signatures, freshness, replays."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from services.collector.sources.config import load_config
from services.collector.sources.webhook import sign
from tests.collector.conftest import collector_app, count_published
from tests.conftest import LiveServer

SECRET = "partner-test-secret-0123456789"


@pytest.fixture
async def server(
    sqlite_url: str,
    live_server: Callable[[FastAPI], LiveServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[LiveServer]:
    monkeypatch.setenv("DOXWATCH_TEST_WEBHOOK_SECRET", SECRET)
    toml = tmp_path / "c.toml"
    toml.write_text(
        '[[webhook]]\npartner = "meldpunt"\nsecret_env = "DOXWATCH_TEST_WEBHOOK_SECRET"\n'
        "replay_window_s = 60\n"
    )
    async with live_server(collector_app(sqlite_url, load_config(toml))) as srv:
        yield srv


def body(*texts: str) -> bytes:
    posts = [
        {"text": t, "platform": "tiktok", "url": f"https://tiktok.example/v/{n}"}
        for n, t in enumerate(texts)
    ]
    return json.dumps({"posts": posts}).encode()


def headers(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    ts = str(at if at is not None else int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Doxwatch-Timestamp": ts,
        "X-Doxwatch-Signature": sign(secret.encode(), ts, payload),
    }


async def test_signed_batches_are_accepted_and_deduplicated(
    server: LiveServer, sqlite_url: str
) -> None:
    one = body("die agent woont hier om de hoek", "tweede melding")
    two = body("die agent woont hier om de hoek")
    async with server.client() as c:  # no bearer token: the signature authenticates
        r1 = await c.post("/api/v1/webhooks/meldpunt", content=one, headers=headers(one))
        r2 = await c.post(
            "/api/v1/webhooks/meldpunt", content=two, headers=headers(two, at=int(time.time()) - 1)
        )
    assert r1.status_code == 202 and r1.json()["accepted"] == 2
    assert r2.json()["statuses"] == ["duplicate"] and r2.json()["ids"][0] == r1.json()["ids"][0]
    assert await count_published(sqlite_url) == 2


async def test_unsigned_wrong_stale_and_replayed_calls_are_refused(
    server: LiveServer, sqlite_url: str
) -> None:
    payload = body("bericht")
    good = headers(payload)
    async with server.client() as c:
        unsigned = await c.post("/api/v1/webhooks/meldpunt", content=payload)
        wrong = await c.post(
            "/api/v1/webhooks/meldpunt", content=payload, headers=headers(payload, secret="x" * 30)
        )
        tampered = await c.post(
            "/api/v1/webhooks/meldpunt", content=body("ander bericht"), headers=good
        )
        stale = await c.post(
            "/api/v1/webhooks/meldpunt",
            content=payload,
            headers=headers(payload, at=int(time.time()) - 600),
        )
        unknown = await c.post("/api/v1/webhooks/niemand", content=payload, headers=good)
        ok = await c.post("/api/v1/webhooks/meldpunt", content=payload, headers=good)
        replay = await c.post("/api/v1/webhooks/meldpunt", content=payload, headers=good)
        invalid = body("")
        bad_body = await c.post(
            "/api/v1/webhooks/meldpunt", content=invalid, headers=headers(invalid)
        )
        metrics = (await c.get("/metrics")).text
    for r in (unsigned, wrong, tampered, stale):
        assert r.status_code == 401
        assert r.json()["type"] == "urn:doxwatch:problem:bad-signature"
    assert "more than 60 s from now" in stale.json()["detail"]
    assert unknown.status_code == 404
    assert ok.status_code == 202
    assert replay.status_code == 409
    assert replay.json()["type"] == "urn:doxwatch:problem:webhook-replayed"
    assert bad_body.status_code == 422 and bad_body.json()["errors"][0]["loc"][:3] == [
        "body",
        "posts",
        "0",
    ]
    assert 'doxwatch_webhook_refused_total{partner="meldpunt",reason="bad_signature"}' in metrics
    assert await count_published(sqlite_url) == 1

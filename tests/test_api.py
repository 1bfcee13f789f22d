"""The HTTP API over real HTTP on 127.0.0.1: auth, intake durability, incidents, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.bus import Record
from services.bus.local import BusLogRow
from services.config import load_settings
from services.db import make_engine, session_factory
from services.events import POSTS_TOPIC, VERDICTS_TOPIC, Post, decode, encode
from tests import factories
from tests.conftest import LiveServer, service_app

ADMIN = "admin-token-for-tests"


def _app(url: str, **overrides: Any) -> FastAPI:
    return service_app(load_settings(database_url=url, admin_token=ADMIN, **overrides))


@pytest.fixture
async def server(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> AsyncIterator[LiveServer]:
    async with live_server(_app(sqlite_url)) as srv:
        yield srv


POST = {"text": "wie kent deze wout? adres graag", "platform": "x", "url": "https://x.example/p/1"}


async def test_health_endpoints_are_open(server: LiveServer) -> None:
    async with server.client() as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        ready = await c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "bus": "ok"}
        metrics = await c.get("/metrics")
        assert "doxwatch_posts_accepted_total" in metrics.text


async def test_requests_without_valid_token_get_401(server: LiveServer) -> None:
    async with server.client() as anon, server.client("wrong") as bad:
        for c in (anon, bad):
            r = await c.get("/api/v1/incidents")
            assert r.status_code == 401
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert r.json()["type"] == "urn:doxwatch:problem:unauthenticated"


async def test_post_is_committed_before_202(server: LiveServer, sqlite_url: str) -> None:
    async with server.client(ADMIN) as c:
        r = await c.post("/api/v1/posts", json=POST)
    assert r.status_code == 202
    post_id = r.json()["id"]
    engine = make_engine(sqlite_url)
    async with session_factory(engine)() as s:
        rows = (await s.scalars(select(BusLogRow).where(BusLogRow.topic == POSTS_TOPIC))).all()
    await engine.dispose()
    assert [decode(Post, row.value).id for row in rows] == [post_id]
    assert decode(Post, rows[0].value).text == POST["text"]


async def test_batch_accepts_all_or_nothing(server: LiveServer) -> None:
    async with server.client(ADMIN) as c:
        # Three different posts (identical ones would be de-duplicated into one).
        posts = [
            {**POST, "text": f"{POST['text']} ({i})", "url": f"https://x.example/p/b{i}"}
            for i in range(3)
        ]
        ok = await c.post("/api/v1/posts/batch", json={"posts": posts})
        assert ok.status_code == 202
        assert ok.json()["accepted"] == 3 and len(set(ok.json()["ids"])) == 3
        bad = await c.post(
            "/api/v1/posts/batch", json={"posts": [POST, {**POST, "url": "ftp://x"}]}
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "posts", "1", "url"]


async def test_batch_over_limit_is_refused(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    async with live_server(_app(sqlite_url, batch_max_posts=2)) as srv, srv.client(ADMIN) as c:
        r = await c.post("/api/v1/posts/batch", json={"posts": [POST] * 3})
    assert r.status_code == 413
    assert r.json()["type"] == "urn:doxwatch:problem:too-many-posts"
    assert "at most 2" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({**POST, "text": ""}, "text"),
        ({**POST, "url": "javascript:alert(1)"}, "url"),
        ({**POST, "platform": "Not A Slug"}, "platform"),
        ({**POST, "posted_at": "2026-11-30T10:00:00"}, "posted_at"),
        ({**POST, "unknown": 1}, "unknown"),
        ({k: v for k, v in POST.items() if k != "url"}, "url"),
    ],
)
async def test_malformed_post_says_what_is_wrong(
    server: LiveServer, body: dict[str, Any], where: str
) -> None:
    async with server.client(ADMIN) as c:
        r = await c.post("/api/v1/posts", json=body)
    assert r.status_code == 422
    problem = r.json()
    assert problem["type"] == "urn:doxwatch:problem:validation"
    assert where in problem["detail"]


async def test_oversized_body_gets_413(server: LiveServer) -> None:
    async with server.client(ADMIN) as c:
        r = await c.post(
            "/api/v1/posts",
            content=b'{"text": "' + b"a" * 2_100_000 + b'"}',
            headers={"content-type": "application/json"},
        )
    assert r.status_code == 413
    assert r.json()["type"] == "urn:doxwatch:problem:payload-too-large"


async def test_invalid_json_gets_422(server: LiveServer) -> None:
    async with server.client(ADMIN) as c:
        r = await c.post(
            "/api/v1/posts", content=b"{nope", headers={"content-type": "application/json"}
        )
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


async def test_tokens_roles_and_revocation(server: LiveServer) -> None:
    async with server.client(ADMIN) as admin:
        # An officer token belongs to a registered officer (POST /api/v1/officers).
        orphan = await admin.post("/api/v1/tokens", json={"name": "officer-1", "role": "officer"})
        assert orphan.status_code == 422
        assert orphan.json()["type"] == "urn:doxwatch:problem:invalid-request"
        made = await admin.post("/api/v1/tokens", json={"name": "desk-2", "role": "analyst"})
        assert made.status_code == 201
        analyst_token = made.json()["token"]
        assert analyst_token.startswith("dxw_")
        listed = (await admin.get("/api/v1/tokens")).json()
        assert all("token" not in t for t in listed)
        async with server.client(analyst_token) as analyst:
            r = await analyst.get("/api/v1/tokens")
            assert r.status_code == 403
            assert r.json()["type"] == "urn:doxwatch:problem:forbidden"
            assert (await analyst.get("/api/v1/incidents")).status_code == 200
            revoked = await admin.delete(f"/api/v1/tokens/{made.json()['id']}")
            assert revoked.json()["revoked_at"] is not None
            assert (await analyst.get("/api/v1/incidents")).status_code == 401


async def _wait_for_incidents(c: Any, n: int) -> list[dict[str, Any]]:
    for _ in range(200):
        items: list[dict[str, Any]] = (await c.get("/api/v1/incidents")).json()["items"]
        if len(items) >= n:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {n} incidents")


async def test_incidents_paginate_newest_first(server: LiveServer, sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    from services.bus.local import LocalBus

    bus = LocalBus(engine)
    for i in range(5):
        v = factories.verdict(
            threat=True, text=factories.varied_text(f"ik wacht die agent op, nummer {i}")
        )
        await bus.publish(VERDICTS_TOPIC, [Record(key=v.post_id.encode(), value=encode(v))])
    await engine.dispose()
    async with server.client(ADMIN) as c:
        await _wait_for_incidents(c, 5)
        first = (await c.get("/api/v1/incidents", params={"limit": 2})).json()
        second = (
            await c.get("/api/v1/incidents", params={"limit": 2, "cursor": first["next_cursor"]})
        ).json()
        third = (
            await c.get("/api/v1/incidents", params={"limit": 2, "cursor": second["next_cursor"]})
        ).json()
        assert third["next_cursor"] is None
        items = first["items"] + second["items"] + third["items"]
        assert len({i["id"] for i in items}) == 5
        opened = [i["opened_at"] for i in items]
        assert opened == sorted(opened, reverse=True)
        detail = (await c.get(f"/api/v1/incidents/{items[0]['id']}")).json()
        assert detail["posts"][0]["labels"]["threat"] is True
        assert detail["timeline"][0]["kind"] == "opened"
        missing = await c.get("/api/v1/incidents/nope")
        assert missing.status_code == 404
        assert missing.json()["type"] == "urn:doxwatch:problem:incident-not-found"
        bad = await c.get("/api/v1/incidents", params={"cursor": "garbage!"})
        assert bad.status_code == 400


async def test_openapi_lists_endpoints_and_problems(server: LiveServer) -> None:
    async with server.client() as c:
        spec = (await c.get("/openapi.json")).json()
        assert (await c.get("/docs")).status_code == 200
    assert {"/api/v1/posts", "/api/v1/posts/batch", "/api/v1/incidents"} <= set(spec["paths"])
    responses = spec["paths"]["/api/v1/posts"]["post"]["responses"]
    assert {"202", "401", "403", "413", "422", "503"} <= set(responses)

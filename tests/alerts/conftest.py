"""Fixtures for the alert service over real HTTP: the full app on SQLite, seeded verdicts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from fastapi import FastAPI

from services.bus import Record
from services.bus.local import LocalBus
from services.config import Settings, load_settings
from services.db import make_engine
from services.events import VERDICTS_TOPIC, Verdict, encode
from tests.conftest import LiveServer
from tests.conftest import service_app as alerts_app

__all__ = [
    "ADMIN",
    "REGISTRY_KEY",
    "alerts_app",
    "alerts_settings",
    "eventually",
    "make_token",
    "publish_verdicts",
]

ADMIN = "admin-token-for-alert-tests"
REGISTRY_KEY = "registry-key-for-tests-0123456789abcdef"


def alerts_settings(url: str, **overrides: Any) -> Settings:
    """Settings of the app under test."""
    values: dict[str, Any] = {
        "database_url": url,
        "admin_token": ADMIN,
        "registry_key": REGISTRY_KEY,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
async def alerts(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> AsyncIterator[LiveServer]:
    """The full app on a fresh SQLite database, served on 127.0.0.1."""
    async with live_server(alerts_app(alerts_settings(sqlite_url))) as srv:
        yield srv


async def publish_verdicts(url: str, verdicts: list[Verdict]) -> None:
    """Put verdicts on the embedded bus, as the classifier would."""
    engine = make_engine(url)
    try:
        bus = LocalBus(engine)
        await bus.publish(
            VERDICTS_TOPIC, [Record(key=v.post_id.encode(), value=encode(v)) for v in verdicts]
        )
    finally:
        await engine.dispose()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 15) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def make_token(server: LiveServer, role: str, officer_id: str | None = None) -> str:
    """A fresh token of ``role`` (issued through the API by the admin)."""
    async with server.client(ADMIN) as admin:
        body: dict[str, Any] = {"name": f"{role} for tests", "role": role}
        if officer_id is not None:
            body["officer_id"] = officer_id
        r = await admin.post("/api/v1/tokens", json=body)
        assert r.status_code == 201, r.text
        token: str = r.json()["token"]
        return token

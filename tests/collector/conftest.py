"""Fixtures of the collector tests: a collector app on real HTTP over a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.bus.local import BusLogRow
from services.collector.app import create_collector_app
from services.collector.sources.config import CollectorConfig
from services.config import Settings, load_settings
from services.db import make_engine, session_factory, transaction
from services.events import POSTS_TOPIC, Post, decode
from services.runtime import Runtime, open_runtime
from services.security import Role, issue_token
from tests.conftest import LiveServer

ADMIN = "collector-admin-token"


def settings_for(url: str, **overrides: Any) -> Settings:
    """Settings of a test collector on ``url`` (the admin token is ADMIN)."""
    return load_settings(database_url=url, admin_token=ADMIN, _env_file=None, **overrides)


def collector_app(url: str, config: CollectorConfig | None = None, **overrides: Any) -> FastAPI:
    """The collector app as `doxwatch collector` builds it."""
    settings = settings_for(url, **overrides)
    return create_collector_app(lambda: open_runtime(settings), settings, config)


@pytest.fixture
async def collector(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> AsyncIterator[LiveServer]:
    """A collector on SQLite that may fetch from 127.0.0.1 (where the test servers run)."""
    app = collector_app(sqlite_url, fetch_allow_networks="127.0.0.0/8")
    async with live_server(app) as srv:
        yield srv


@pytest.fixture
async def runtime(sqlite_url: str) -> AsyncIterator[Runtime]:
    """A runtime on a fresh SQLite database."""
    async with open_runtime(settings_for(sqlite_url)) as rt:
        yield rt


async def published_posts(url: str) -> list[Post]:
    """Every Post event on the embedded bus of the database at ``url``."""
    engine = make_engine(url)
    try:
        async with session_factory(engine)() as s:
            rows = await s.scalars(
                select(BusLogRow).where(BusLogRow.topic == POSTS_TOPIC).order_by(BusLogRow.id)
            )
            return [decode(Post, r.value) for r in rows]
    finally:
        await engine.dispose()


async def count_published(url: str) -> int:
    """How many Post events the embedded bus holds."""
    engine = make_engine(url)
    try:
        async with session_factory(engine)() as s:
            n = await s.scalar(
                select(func.count()).select_from(BusLogRow).where(BusLogRow.topic == POSTS_TOPIC)
            )
            return int(n or 0)
    finally:
        await engine.dispose()


async def make_token(url: str, role: Role, name: str = "test token") -> str:
    """A fresh API token with ``role`` in the database at ``url``."""
    engine = make_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            _, token = await issue_token(session, name, role)
        return token
    finally:
        await engine.dispose()

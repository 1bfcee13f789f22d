"""Fixtures: real SQLite and PostgreSQL databases, a real Kafka-protocol broker, real HTTP."""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from services.bus.tansu import TansuBroker, free_port
from services.config import Settings
from services.db import make_engine, upgrade

ROOT = Path(__file__).resolve().parents[1]

PG_ADMIN_DSN = os.environ.get("DOXWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path = ROOT,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``doxwatch ARGS`` as a user runs it: a real process, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


# Databases ------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh, migrated SQLite database."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'doxwatch.db'}"
    upgrade(url)
    return url


async def _create_pg_database() -> str:
    name = f"doxwatch_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_sync(factory: Callable[[], Any]) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Callable[[], str]]:
    """Factory of fresh, migrated PostgreSQL databases, all dropped at the end."""
    made: list[str] = []

    def make() -> str:
        name = run_sync(_create_pg_database)
        made.append(name)
        url = _pg_url(name)
        upgrade(url)
        return url

    yield make
    for name in made:
        run_sync(functools.partial(_drop_pg_database, name))


@pytest.fixture(scope="session")
def pg_url(pg_database: Callable[[], str]) -> str:
    """One migrated PostgreSQL database shared by the session (tests roll back)."""
    return pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_session(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back after the test, on both backends."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'rollback.db'}"
        upgrade(url)
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    async with engine.connect() as conn:
        trans = await conn.begin()
        session = AsyncSession(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await trans.rollback()
    await engine.dispose()


# Kafka ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """DOXWATCH_KAFKA_BOOTSTRAP if set, else a Tansu broker (memory storage) started here."""
    external = os.environ.get("DOXWATCH_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    with TansuBroker() as bootstrap:
        yield bootstrap


@pytest.fixture
def kafka_idempotent() -> bool:
    """Tansu lacks InitProducerId; a real Kafka named in the environment supports it."""
    return bool(os.environ.get("DOXWATCH_KAFKA_BOOTSTRAP"))


# HTTP -----------------------------------------------------------------------------------


class LiveServer:
    """A uvicorn server on 127.0.0.1 running an app inside the test's event loop."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on")
        )
        self.task: asyncio.Task[Any] | None = None

    async def __aenter__(self) -> LiveServer:
        self.task = asyncio.create_task(self.server.serve())
        deadline = time.monotonic() + 20
        while not self.server.started:
            if self.task.done():
                self.task.result()
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start")
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await asyncio.wait_for(self.task, 20)

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        """An HTTP client for this server, sending ``token`` as a bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


def service_app(settings: Settings) -> FastAPI:
    """Collector and alert service in one app with the alert workers, as `doxwatch up`
    serves them (without the classifier: tests publish verdicts themselves)."""
    from services.alerts.app import ROUTERS as ALERT_ROUTERS
    from services.alerts.app import WORKERS as ALERT_WORKERS
    from services.collector.app import ROUTERS as COLLECTOR_ROUTERS
    from services.runtime import open_runtime
    from services.web import create_app

    return create_app(
        lambda: open_runtime(settings),
        title="Doxwatch (test)",
        routers=[*COLLECTOR_ROUTERS, *ALERT_ROUTERS],
        workers=ALERT_WORKERS,
        max_body_bytes=settings.max_body_bytes,
    )


@pytest.fixture
def live_server() -> Callable[[FastAPI], LiveServer]:
    """Factory: ``async with live_server(app) as srv:`` serves the app on a free port."""
    return LiveServer

"""Service plumbing: a failing background worker is restarted and shows on /readyz."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import FastAPI

from services.config import load_settings
from services.runtime import Runtime, open_runtime
from services.web import create_app
from tests.conftest import LiveServer


async def test_failed_worker_is_restarted_and_reported(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    runs = 0

    async def flaky(runtime: Runtime, stopping: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("broker went away")
        await stopping.wait()

    settings = load_settings(database_url=sqlite_url)
    app = create_app(lambda: open_runtime(settings), title="t", workers=[flaky])
    async with live_server(app) as srv, srv.client() as c:
        down = await c.get("/readyz")
        assert down.status_code == 503
        checks = down.json()["checks"]
        assert any("broker went away" in v for k, v in checks.items() if k.startswith("worker"))
        for _ in range(100):
            if (await c.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("worker was not restarted")
    assert runs == 2

"""The deadline watcher: notices past their deadline become no_answer and raise a task."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from services.alerts.notices import service
from services.db import transaction, utcnow
from services.runtime import Runtime

log = structlog.get_logger("doxwatch.notices")


async def check_deadlines(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Every DOXWATCH_NOTICE_CHECK_INTERVAL_S, run the overdue rule in one transaction."""
    interval = runtime.settings.notice_check_interval_s
    while not stopping.is_set():
        async with transaction(runtime.sessions) as session:
            moved = await service.mark_overdue(session, utcnow())
        if moved:
            log.info("notices overdue", moved=moved)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=interval)

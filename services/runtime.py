"""What a running service holds: settings, database engine and sessions, and its bus.

Built once by the command that starts a service (``cli.py``) and handed to the
service's app factory and workers; no module keeps global state of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.bus import Bus
from services.bus.consumer import RetryPolicy
from services.bus.kafka import KafkaBus
from services.bus.local import LocalBus
from services.config import BusKind, Settings
from services.db import make_engine, session_factory, transaction
from services.security import ensure_admin_token

log = structlog.get_logger("doxwatch.runtime")


@dataclass
class Runtime:
    """The shared resources of one service process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: Bus


def build_bus(settings: Settings, engine: AsyncEngine) -> Bus:
    """The bus the settings ask for."""
    retry = RetryPolicy(
        max_retries=settings.consumer_max_retries, backoff_s=settings.consumer_retry_backoff_s
    )
    if settings.bus is BusKind.KAFKA:
        return KafkaBus(
            settings.kafka_bootstrap,
            client_id=settings.kafka_client_id,
            partitions=settings.kafka_partitions,
            replication=settings.kafka_replication,
            idempotent=settings.kafka_idempotent_producer,
            batch_size=settings.consumer_batch_size,
            retry=retry,
        )
    return LocalBus(engine, batch_size=settings.consumer_batch_size, retry=retry)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Connect database and bus, seed the admin token; close both on exit."""
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    bus = build_bus(settings, engine)
    try:
        if settings.admin_token is not None:
            async with transaction(sessions) as session:
                await ensure_admin_token(session, settings.admin_token.get_secret_value())
        await bus.start()
        log.info("runtime started", bus=settings.bus.value, database=engine.url.render_as_string())
        yield Runtime(settings=settings, engine=engine, sessions=sessions, bus=bus)
    finally:
        await bus.stop()
        await engine.dispose()

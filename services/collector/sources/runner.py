"""Runs the pull connectors as service workers: poll, store, then checkpoint.

Order matters: the posts of a poll go through the shared intake (de-duplication,
durable publish) *before* the checkpoint is saved. A crash in between repeats that
poll after the restart, and de-duplication turns the repeat into sightings: nothing is
lost and nothing is published twice.

Metrics per connector: ``doxwatch_connector_lag_seconds`` (seconds since the connector
last caught up with its source; grows while it fails or is rate limited),
``doxwatch_connector_errors_total{kind}`` (``source``, ``rate_limited``, ``internal``),
``doxwatch_connector_items_total{status}`` (``accepted``, ``duplicate``) and
``doxwatch_connector_newest_item_timestamp_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog
from prometheus_client import Counter, Gauge

from services.collector import repository, service
from services.collector.sources import Connector, RateLimited, SourceError
from services.collector.sources.config import CollectorConfig
from services.db import transaction
from services.runtime import Runtime
from services.web import Worker

log = structlog.get_logger("doxwatch.collector.sources")

ERRORS = Counter(
    "doxwatch_connector_errors_total", "Connector poll failures", ["connector", "kind"]
)
ITEMS = Counter(
    "doxwatch_connector_items_total", "Posts found by connectors", ["connector", "status"]
)
POLLS = Counter("doxwatch_connector_polls_total", "Successful connector polls", ["connector"])
LAG = Gauge(
    "doxwatch_connector_lag_seconds",
    "Seconds since the connector last caught up with its source",
    ["connector"],
)
NEWEST = Gauge(
    "doxwatch_connector_newest_item_timestamp_seconds",
    "Posting time of the newest item a connector has found (Unix seconds)",
    ["connector"],
)

MAX_BACKOFF_S = 300.0
_caught_up: dict[str, float] = {}


def _track_lag(name: str) -> None:
    _caught_up.setdefault(name, time.time())
    LAG.labels(name).set_function(lambda: time.time() - _caught_up[name])


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=max(0.0, seconds))


async def run_connector(connector: Connector, runtime: Runtime, stopping: asyncio.Event) -> None:
    """Poll ``connector`` until ``stopping``; see the module docstring."""
    name = connector.name
    _track_lag(name)
    backoff = 0.0
    batch = runtime.settings.batch_max_posts
    try:
        while not stopping.is_set():
            async with transaction(runtime.sessions) as session:
                checkpoint = await repository.load_checkpoint(session, name)
            try:
                poll = await connector.poll(checkpoint)
            except RateLimited as exc:
                ERRORS.labels(name, "rate_limited").inc()
                log.warning("rate limited", connector=name, wait_s=exc.retry_after_s)
                await _pause(stopping, exc.retry_after_s)
                continue
            except SourceError as exc:
                ERRORS.labels(name, "source").inc()
                backoff = min(max(1.0, backoff * 2), MAX_BACKOFF_S)
                log.warning(
                    "source failed, backing off", connector=name, error=str(exc), retry_in_s=backoff
                )
                await _pause(stopping, backoff)
                continue
            for start in range(0, len(poll.candidates), batch):
                outcomes = await service.accept(
                    runtime,
                    poll.candidates[start : start + batch],
                    channel=f"connector:{name}",
                    seen_by=name,
                )
                for o in outcomes:
                    ITEMS.labels(name, o.status).inc()
            async with transaction(runtime.sessions) as session:
                await repository.save_checkpoint(session, name, poll.checkpoint)
            POLLS.labels(name).inc()
            backoff = 0.0
            if poll.newest is not None:
                NEWEST.labels(name).set(poll.newest.timestamp())
            if poll.candidates:
                log.info("polled", connector=name, found=len(poll.candidates))
            if poll.wait_s:
                ERRORS.labels(name, "rate_limited").inc()
                await _pause(stopping, poll.wait_s)
            elif not poll.more:
                _caught_up[name] = time.time()
                await _pause(stopping, connector.interval_s)
    except Exception:
        # The supervisor restarts this worker with the same connector: keep it open.
        ERRORS.labels(name, "internal").inc()
        raise
    await connector.aclose()


def connector_workers(config: CollectorConfig) -> list[Worker]:
    """One service worker per configured pull source."""
    workers: list[Worker] = []
    for connector in config.connectors():

        async def worker(
            runtime: Runtime, stopping: asyncio.Event, connector: Connector = connector
        ) -> None:
            await run_connector(connector, runtime, stopping)

        worker.__qualname__ = f"connector:{connector.name}"
        workers.append(worker)
    return workers

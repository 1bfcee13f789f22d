"""The alert service's consumer: verdicts in, incidents out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog

from services.alerts.incidents import service
from services.bus import Message
from services.bus.consumer import PoisonMessageError
from services.db import transaction
from services.events import VERDICTS_TOPIC, EventDecodeError, Verdict, decode
from services.runtime import Runtime

log = structlog.get_logger("doxwatch.alerts")

GROUP = "doxwatch-alerts"


def decode_verdicts(batch: Sequence[Message]) -> list[Verdict]:
    """Decode a batch; an undecodable message is poison (dead-lettered, never retried)."""
    out = []
    for message in batch:
        try:
            out.append(decode(Verdict, message.value))
        except EventDecodeError as exc:
            raise PoisonMessageError(message, str(exc)) from exc
    return out


async def run(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Consume verdicts until ``stopping``; each batch is stored in one transaction."""
    window = timedelta(hours=runtime.settings.incident_window_hours)

    async def handle(batch: Sequence[Message]) -> None:
        verdicts = decode_verdicts(batch)
        async with transaction(runtime.sessions) as session:
            result = await service.ingest(session, verdicts, window)
        log.info(
            "verdicts ingested",
            size=len(verdicts),
            stored=result.stored,
            duplicates=result.duplicates,
            incidents_opened=result.incidents_opened,
            incidents_joined=result.incidents_joined,
        )

    await runtime.bus.consume(VERDICTS_TOPIC, GROUP, handle, stopping)

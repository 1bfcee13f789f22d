"""The alert service's consumer: verdicts in, incidents out."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.alerts import notify
from services.alerts.incidents import service
from services.bus import Message
from services.bus.consumer import decode_batch
from services.db import transaction
from services.events import VERDICTS_TOPIC, Verdict
from services.runtime import Runtime

GROUP = "doxwatch-alerts"


async def run(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Consume verdicts until ``stopping``; each batch is stored in one transaction."""
    rules = service.Rules.from_settings(runtime.settings)

    async def handle(batch: Sequence[Message]) -> dict[str, int]:
        verdicts = decode_batch(Verdict, batch)
        async with transaction(runtime.sessions) as session:
            result = await service.ingest(session, verdicts, rules)
            queued = await notify.after_ingest(session, runtime.settings, result)
        return {
            "deliveries_queued": queued,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "incidents_opened": result.incidents_opened,
            "incidents_joined": result.incidents_joined,
        }

    await runtime.bus.consume(VERDICTS_TOPIC, GROUP, handle, stopping)

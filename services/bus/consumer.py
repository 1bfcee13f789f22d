"""The one consumer policy both buses use: retry, then dead-letter, then move on.

A batch is handed to the handler whole (cheap and fast when all is well). When it
fails, it is retried with exponential backoff; when it still fails, or when the
handler says a message is poison, the batch is split and each message gets its own
retries; what still fails goes to ``doxwatch.deadletter.v1`` with the error. The
caller commits the batch's offsets only after this returns, so nothing is skipped
without a trace and a poison message never blocks its partition.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from prometheus_client import Counter

from services.bus import BatchHandler, Message, Record
from services.events import DEADLETTER_TOPIC, E, EventDecodeError, decode

log = structlog.get_logger("doxwatch.bus")

DEADLETTERED = Counter(
    "doxwatch_deadlettered_total", "Messages sent to the dead-letter topic", ["topic", "group"]
)
RETRIES = Counter("doxwatch_handler_retries_total", "Handler retries", ["topic", "group"])


class PoisonMessageError(Exception):
    """A message that can never be processed (undecodable, wrong schema): no retry."""

    def __init__(self, message: Message, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing message is retried."""

    max_retries: int = 3
    backoff_s: float = 0.2


Publish = Callable[[str, Sequence[Record]], Awaitable[None]]


def decode_batch(kind: type[E], batch: Sequence[Message]) -> list[E]:
    """Decode every message as an event of ``kind``; an undecodable one is poison."""
    out = []
    for message in batch:
        try:
            out.append(decode(kind, message.value))
        except EventDecodeError as exc:
            raise PoisonMessageError(message, str(exc)) from exc
    return out


def deadletter_record(message: Message, group: str, error: str) -> Record:
    """The dead-letter record for ``message``: the original bytes plus why it failed."""
    body = {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "group": group,
        "error": error[:4000],
        "failed_at": datetime.now(UTC).isoformat(),
        "key_b64": base64.b64encode(message.key).decode() if message.key is not None else None,
        "value_b64": (
            base64.b64encode(message.value).decode() if message.value is not None else None
        ),
    }
    return Record(
        key=message.key,
        value=json.dumps(body).encode(),
        headers=(("doxwatch-error", error[:200].encode()),),
    )


Facts = dict[str, int]
"""Counts a handler reports about its batch (``{"flagged": 3}``), added to the batch's
one log line; when a batch is split, the counts of its parts are added up."""


async def _attempt(
    handler: BatchHandler, batch: Sequence[Message], policy: RetryPolicy, group: str, facts: Facts
) -> Exception | None:
    """Run the handler with retries; None on success (its counts added to ``facts``),
    else the last error."""
    delay = policy.backoff_s
    for attempt in range(policy.max_retries + 1):
        try:
            reported = await handler(batch)
            for key, value in (reported or {}).items():
                facts[key] = facts.get(key, 0) + value
            return None
        except PoisonMessageError as exc:
            return exc
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if attempt == policy.max_retries:
                return exc
            RETRIES.labels(batch[0].topic, group).inc()
            log.warning(
                "handler failed, retrying",
                topic=batch[0].topic,
                group=group,
                attempt=attempt + 1,
                size=len(batch),
                error=repr(exc),
            )
            await asyncio.sleep(delay)
            delay *= 2
    return None  # pragma: no cover - the loop always returns


async def process(
    batch: Sequence[Message],
    handler: BatchHandler,
    publish: Publish,
    group: str,
    policy: RetryPolicy,
) -> Facts:
    """Process a batch under the retry/dead-letter policy; return the handler's counts
    plus ``deadlettered``."""
    facts: Facts = {"deadlettered": 0}
    if not batch:
        return facts
    error = await _attempt(handler, batch, policy, group, facts)
    if error is None:
        return facts
    if len(batch) == 1:
        singles: Sequence[tuple[Message, Exception | None]] = [(batch[0], error)]
    else:
        singles = [(m, await _attempt(handler, [m], policy, group, facts)) for m in batch]
    for message, failure in singles:
        if failure is None:
            continue
        reason = failure.reason if isinstance(failure, PoisonMessageError) else repr(failure)
        await publish(DEADLETTER_TOPIC, [deadletter_record(message, group, reason)])
        DEADLETTERED.labels(message.topic, group).inc()
        log.error(
            "message dead-lettered",
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            group=group,
            error=reason,
        )
        facts["deadlettered"] += 1
    return facts

"""The bus the services meet on: a small protocol with two implementations.

* :class:`~services.bus.kafka.KafkaBus` — Apache Kafka (or any Kafka-protocol broker)
  through aiokafka, for the distributed mode.
* :class:`~services.bus.local.LocalBus` — an append-only log in the service's own SQL
  database, for the embedded mode (`doxwatch up`): a publish returns only after the
  row is committed, so an accepted post survives a crash.

Both deliver at least once, in key order within a partition, and share one consumer
loop (:mod:`services.bus.consumer`) that retries, dead-letters and commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Record:
    """A record to publish: key (keeps one post's events on one partition) and value."""

    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Message:
    """A record as consumed, with where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = field(default=())


BatchHandler = Callable[[Sequence[Message]], Awaitable[Mapping[str, int] | None]]
"""Processes a batch of messages; must be idempotent. Raise to have it retried. May
return counts (``{"flagged": 3}``) for the batch's one log line."""


class BusError(Exception):
    """The bus could not do what was asked (broker unreachable, publish not acknowledged)."""


class Bus(Protocol):
    """What a service needs from the bus."""

    async def start(self) -> None:
        """Connect, and create the topics if they do not exist."""

    async def stop(self) -> None:
        """Flush and disconnect."""

    async def publish(self, topic: str, records: Sequence[Record]) -> None:
        """Publish records; return only once they are durably stored (ack or commit)."""

    async def consume(
        self, topic: str, group: str, handler: BatchHandler, stopping: asyncio.Event
    ) -> None:
        """Run ``handler`` over the topic's messages as member of ``group`` until ``stopping``."""

    async def check(self) -> None:
        """Raise BusError when the bus is not usable (for /readyz)."""

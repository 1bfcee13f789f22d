"""Both buses: delivery, commit-after-work, retries, dead-lettering. Real SQLite/PG/Kafka."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from services.bus import Bus, Message, Record
from services.bus.consumer import PoisonMessageError, RetryPolicy
from services.bus.kafka import KafkaBus
from services.bus.local import LocalBus
from services.db import make_engine
from services.events import DEADLETTER_TOPIC

FAST_RETRY = RetryPolicy(max_retries=2, backoff_s=0.01)


@pytest.fixture(params=["local-sqlite", "local-postgresql", "kafka"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    """A started bus of each kind, on topics unique to the test."""
    if request.param == "kafka":
        topic_suffix = uuid.uuid4().hex[:8]
        request.node.topic = f"test.events.{topic_suffix}"
        b: Bus = KafkaBus(
            request.getfixturevalue("kafka_bootstrap"),
            partitions=1,
            idempotent=request.getfixturevalue("kafka_idempotent"),
            retry=FAST_RETRY,
            topics=[request.node.topic, DEADLETTER_TOPIC],
        )
        await b.start()
        try:
            yield b
        finally:
            await b.stop()
        return
    url = (
        request.getfixturevalue("sqlite_url")
        if request.param == "local-sqlite"
        else request.getfixturevalue("pg_database")()
    )
    request.node.topic = "test.events"
    engine = make_engine(url)
    b = LocalBus(engine, retry=FAST_RETRY, batch_size=50)
    await b.start()
    try:
        yield b
    finally:
        await b.stop()
        await engine.dispose()


async def _collect(
    bus: Bus,
    topic: str,
    group: str,
    want: int,
    handler: Callable[[Sequence[Message]], object] | None = None,
    wait_s: float = 30.0,
) -> list[Message]:
    """Consume until ``want`` messages were handled successfully (or time out)."""
    got: list[Message] = []
    stopping = asyncio.Event()

    async def handle(batch: Sequence[Message]) -> None:
        if handler is not None:
            result = handler(batch)
            if asyncio.iscoroutine(result):
                await result
        got.extend(batch)
        if len(got) >= want:
            stopping.set()

    task = asyncio.create_task(bus.consume(topic, group, handle, stopping))
    try:
        await asyncio.wait_for(stopping.wait(), wait_s)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 30)
    return got


async def _find_dead(bus: Bus, topic: str, value: bytes) -> dict[str, object]:
    """The dead-letter body for ``value`` from ``topic`` (the DLQ may hold older tests' too)."""
    found: dict[str, object] = {}
    stopping = asyncio.Event()

    async def handle(batch: Sequence[Message]) -> None:
        for m in batch:
            body = json.loads(m.value or b"{}")
            if body["topic"] == topic and base64.b64decode(body["value_b64"]) == value:
                found.update(body)
                stopping.set()

    group = f"g-dlq-{uuid.uuid4().hex[:6]}"
    task = asyncio.create_task(bus.consume(DEADLETTER_TOPIC, group, handle, stopping))
    try:
        await asyncio.wait_for(stopping.wait(), 30)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 30)
    return found


def _records(n: int, prefix: str = "m") -> list[Record]:
    return [Record(key=f"k{i}".encode(), value=f"{prefix}{i}".encode()) for i in range(n)]


async def test_publish_then_consume_in_order(bus: Bus, request: pytest.FixtureRequest) -> None:
    topic = request.node.topic
    await bus.publish(topic, _records(20))
    got = await _collect(bus, topic, "g-order", 20)
    assert [m.value for m in got] == [f"m{i}".encode() for i in range(20)]
    assert got[0].key == b"k0"


async def test_group_resumes_after_committed_offset(
    bus: Bus, request: pytest.FixtureRequest
) -> None:
    topic = request.node.topic
    await bus.publish(topic, _records(5, "first"))
    first = await _collect(bus, topic, "g-resume", 5)
    assert len(first) == 5
    await bus.publish(topic, _records(3, "second"))
    second = await _collect(bus, topic, "g-resume", 3)
    # Only what was published after the commit comes again: nothing lost, nothing repeated.
    assert [m.value for m in second] == [b"second0", b"second1", b"second2"]


async def test_failed_batch_is_not_committed(bus: Bus, request: pytest.FixtureRequest) -> None:
    """A handler that never stores its work leaves the offsets alone... until dead-lettered."""
    topic = request.node.topic
    await bus.publish(topic, [Record(key=b"k", value=b"good"), Record(key=b"k", value=b"bad")])
    attempts: dict[bytes, int] = {}

    def flaky(batch: Sequence[Message]) -> None:
        for m in batch:
            assert m.value is not None
            attempts[m.value] = attempts.get(m.value, 0) + 1
            if m.value == b"bad":
                raise RuntimeError("store failed")

    got = await _collect(bus, topic, "g-flaky", 1, flaky)
    assert [m.value for m in got] == [b"good"]
    # Whole batch tried 1 + 2 retries, then each message alone 1 + 2 times.
    assert attempts[b"bad"] == 6
    body = await _find_dead(bus, topic, b"bad")
    assert "store failed" in str(body["error"])
    assert body["group"] == "g-flaky"


async def test_poison_message_goes_to_deadletter_and_later_ones_flow(
    bus: Bus, request: pytest.FixtureRequest
) -> None:
    topic = request.node.topic
    await bus.publish(
        topic,
        [
            Record(key=b"a", value=b"ok-1"),
            Record(key=b"b", value=b"\xffpoison"),
            Record(key=b"c", value=b"ok-2"),
        ],
    )
    calls = 0

    def strict(batch: Sequence[Message]) -> None:
        nonlocal calls
        calls += 1
        for m in batch:
            if m.value == b"\xffpoison":
                raise PoisonMessageError(m, "Post: payload is not UTF-8")

    got = await _collect(bus, topic, "g-poison", 2, strict)
    assert [m.value for m in got] == [b"ok-1", b"ok-2"]
    assert calls == 4  # the batch once (poison: no retries), then each message once
    body = await _find_dead(bus, topic, b"\xffpoison")
    assert body["error"] == "Post: payload is not UTF-8"


async def test_check_passes_on_a_started_bus(bus: Bus) -> None:
    await bus.check()

"""Kafka bus (aiokafka): topics created at start, acks=all, commit after the work is stored."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError

from services.bus import BatchHandler, BusError, Message, Record
from services.bus.consumer import RetryPolicy, process
from services.events import ALL_TOPICS

log = structlog.get_logger("doxwatch.bus.kafka")

TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code


class KafkaBus:
    """A Bus over a Kafka-protocol broker."""

    def __init__(
        self,
        bootstrap: str,
        *,
        client_id: str = "doxwatch",
        partitions: int = 6,
        replication: int = 1,
        idempotent: bool = True,
        batch_size: int = 256,
        retry: RetryPolicy | None = None,
        topics: Sequence[str] = ALL_TOPICS,
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._partitions = partitions
        self._replication = replication
        self._idempotent = idempotent
        self._batch_size = batch_size
        self._retry = retry or RetryPolicy()
        self._topics = tuple(topics)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Create the topics (idempotently) and start the producer."""
        await self.ensure_topics()
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-producer",
            acks="all",
            enable_idempotence=self._idempotent,
            linger_ms=5,
        )
        try:
            await producer.start()
        except KafkaError as exc:
            await producer.stop()
            raise BusError(f"cannot start Kafka producer on {self._bootstrap}: {exc!r}") from exc
        self._producer = producer

    async def ensure_topics(self) -> None:
        """Create Doxwatch's topics; an existing topic is fine (Kafka error 36 or silence)."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-admin"
        )
        try:
            await admin.start()
            response: Any = await admin.create_topics(
                [NewTopic(t, self._partitions, self._replication) for t in self._topics]
            )
            for topic, code, message in response.topic_errors:
                if code not in (0, TOPIC_ALREADY_EXISTS):
                    raise BusError(f"cannot create topic {topic}: error {code} {message}")
        except KafkaError as exc:
            raise BusError(f"cannot reach Kafka at {self._bootstrap}: {exc!r}") from exc
        finally:
            await admin.close()

    async def stop(self) -> None:
        """Flush pending sends and close the producer."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, records: Sequence[Record]) -> None:
        """Send all records and wait until every one is acknowledged by all in-sync replicas."""
        if self._producer is None:
            raise BusError("bus not started")
        try:
            futures = [
                await self._producer.send(
                    topic, r.value, key=r.key, headers=list(r.headers) or None
                )
                for r in records
            ]
            await asyncio.gather(*futures)
        except KafkaError as exc:
            raise BusError(f"publish to {topic} failed: {exc!r}") from exc

    async def check(self) -> None:
        """Fail unless the broker answers a metadata request."""
        if self._producer is None:
            raise BusError("bus not started")
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)
        except (KafkaError, TimeoutError) as exc:
            raise BusError(f"Kafka at {self._bootstrap} not reachable: {exc!r}") from exc

    async def consume(
        self, topic: str, group: str, handler: BatchHandler, stopping: asyncio.Event
    ) -> None:
        """Consume ``topic`` in ``group``; commit each partition's batch after it is handled."""
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-{group}",
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._batch_size,
        )
        await consumer.start()
        try:
            while not stopping.is_set():
                polled = await consumer.getmany(timeout_ms=500, max_records=self._batch_size)
                for tp, raw in polled.items():
                    batch = [
                        Message(
                            topic=m.topic,
                            partition=m.partition,
                            offset=m.offset,
                            key=m.key,
                            value=m.value,
                            headers=tuple(m.headers or ()),
                        )
                        for m in raw
                    ]
                    started = time.perf_counter()
                    facts = await process(batch, handler, self.publish, group, self._retry)
                    try:
                        await consumer.commit(
                            {TopicPartition(tp.topic, tp.partition): raw[-1].offset + 1}
                        )
                    except CommitFailedError as exc:
                        # A rebalance took the partition away: its new owner redoes the
                        # batch, which the idempotent handler turns into a no-op.
                        log.warning("commit failed after rebalance", topic=topic, error=repr(exc))
                    log.info(
                        "batch processed",
                        topic=topic,
                        group=group,
                        partition=tp.partition,
                        first_offset=raw[0].offset,
                        size=len(batch),
                        **facts,
                        ms=round((time.perf_counter() - started) * 1000, 1),
                    )
        finally:
            await consumer.stop()

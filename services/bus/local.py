"""Embedded bus: an append-only log in the service database, for `doxwatch up`.

Every topic is one partition; a message's offset is its row id. ``publish`` returns
after the insert is committed, so a 202 from the collector means the post is on disk.
Consumers keep their position per (group, topic) in ``bus_offsets`` and move it in
the same way Kafka consumers commit: after the handler has stored its work. A
publish in this process wakes the consumers at once; otherwise they poll, so a second
process on the same database is seen too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from services.bus import BatchHandler, BusError, Message, Record
from services.bus.consumer import RetryPolicy, process
from services.db import Base, is_sqlite, session_factory, utcnow

log = structlog.get_logger("doxwatch.bus.local")

POLL_INTERVAL_S = 1.0


class BusLogRow(Base):
    """One message of the embedded log."""

    __tablename__ = "bus_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(255), index=True)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BusOffsetRow(Base):
    """A consumer group's committed position in a topic (last processed row id)."""

    __tablename__ = "bus_offsets"

    group_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)


def _headers_json(headers: Sequence[tuple[str, bytes]]) -> str:
    return json.dumps([[k, v.decode("latin-1")] for k, v in headers])


def _headers_tuple(raw: str) -> tuple[tuple[str, bytes], ...]:
    return tuple((k, v.encode("latin-1")) for k, v in json.loads(raw))


class LocalBus:
    """A Bus whose log lives in the SQL database the engine points at."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        batch_size: int = 256,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._engine = engine
        self._sessions = session_factory(engine)
        self._batch_size = batch_size
        self._retry = retry or RetryPolicy()
        self._wakeups: dict[str, asyncio.Event] = {}
        self._started = False

    def _wakeup(self, topic: str) -> asyncio.Event:
        return self._wakeups.setdefault(topic, asyncio.Event())

    async def start(self) -> None:
        """Check that the log tables exist (created by `doxwatch db upgrade`)."""
        await self.check()
        self._started = True

    async def stop(self) -> None:
        """Nothing is buffered: every publish is already committed."""
        self._started = False

    async def publish(self, topic: str, records: Sequence[Record]) -> None:
        """Append the records in one transaction; return after the commit."""
        if not records:
            return
        async with self._sessions() as session, session.begin():
            # Core executemany: ORM unit-of-work inserts cost ~1 ms a row here.
            await session.execute(
                insert(BusLogRow),
                [
                    {
                        "topic": topic,
                        "key": r.key,
                        "value": r.value,
                        "headers": _headers_json(r.headers),
                        "created_at": utcnow(),
                    }
                    for r in records
                ],
            )
        self._wakeup(topic).set()

    async def check(self) -> None:
        """Fail unless the log table can be read."""
        try:
            async with self._engine.connect() as conn:
                await conn.execute(text("SELECT 1 FROM bus_log WHERE 1 = 0"))
        except Exception as exc:
            raise BusError(
                f"embedded bus unusable (did `doxwatch db upgrade` run?): {exc!r}"
            ) from exc

    async def _position(self, group: str, topic: str) -> int:
        async with self._sessions() as session:
            row = await session.get(BusOffsetRow, (group, topic))
            return 0 if row is None else row.position

    async def _commit(self, group: str, topic: str, position: int) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(BusOffsetRow, (group, topic))
            if row is None:
                session.add(BusOffsetRow(group_name=group, topic=topic, position=position))
            else:
                row.position = position

    async def _fetch(self, topic: str, after: int) -> list[Message]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(BusLogRow)
                    .where(BusLogRow.topic == topic, BusLogRow.id > after)
                    .order_by(BusLogRow.id)
                    .limit(self._batch_size)
                )
            ).all()
        return [
            Message(
                topic=r.topic,
                partition=0,
                offset=r.id,
                key=r.key,
                value=r.value,
                headers=_headers_tuple(r.headers),
            )
            for r in rows
        ]

    async def consume(
        self, topic: str, group: str, handler: BatchHandler, stopping: asyncio.Event
    ) -> None:
        """Run ``handler`` over new messages; move the group's position after each batch."""
        position = await self._position(group, topic)
        wakeup = self._wakeup(topic)
        while not stopping.is_set():
            wakeup.clear()
            batch = await self._fetch(topic, position)
            if not batch:
                waiter = asyncio.ensure_future(wakeup.wait())
                stopper = asyncio.ensure_future(stopping.wait())
                await asyncio.wait(
                    {waiter, stopper}, timeout=POLL_INTERVAL_S, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                stopper.cancel()
                continue
            started = time.perf_counter()
            facts = await process(batch, handler, self.publish, group, self._retry)
            position = batch[-1].offset
            await self._commit(group, topic, position)
            log.info(
                "batch processed",
                topic=topic,
                group=group,
                first_offset=batch[0].offset,
                size=len(batch),
                **facts,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )


__all__ = ["BusLogRow", "BusOffsetRow", "LocalBus", "is_sqlite"]

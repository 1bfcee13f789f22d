"""The collector's queries (the only module that talks SQL to the collector's tables)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.collector.models import (
    Checkpoint,
    DedupKey,
    Evidence,
    EvidenceLink,
    PendingReport,
    Sighting,
    WebhookDelivery,
)
from services.db import utcnow

_IN_CHUNK = 500


async def known_keys(session: AsyncSession, keys: Iterable[str], since: datetime) -> dict[str, str]:
    """Map each of ``keys`` seen since ``since`` to the post first seen with it."""
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        rows = await session.execute(
            select(DedupKey.key, DedupKey.post_id)
            .where(DedupKey.key.in_(chunk), DedupKey.seen_at >= since)
            .order_by(DedupKey.seen_at.desc())
        )
        # Newest first, so the oldest row (the first post) wins.
        for key, post_id in rows:
            found[key] = post_id
    return found


async def add_keys(session: AsyncSession, rows: Sequence[tuple[str, str]], at: datetime) -> None:
    """Record (key, post_id) pairs."""
    # Core executemany: the ORM's per-row identity handling costs ~10x for big batches.
    if rows:
        await session.execute(
            insert(DedupKey), [{"key": k, "post_id": p, "seen_at": at} for k, p in rows]
        )


async def add_sightings(session: AsyncSession, sightings: Sequence[dict[str, Any]]) -> None:
    """Record sightings (dicts of :class:`Sighting` columns)."""
    if sightings:
        await session.execute(insert(Sighting), list(sightings))


async def sightings_of(session: AsyncSession, post_id: str) -> list[Sighting]:
    """Every sighting of a post, oldest first."""
    rows = await session.scalars(
        select(Sighting).where(Sighting.post_id == post_id).order_by(Sighting.id)
    )
    return list(rows)


async def store_evidence(
    session: AsyncSession, sha256: str, media_type: str, data: bytes, at: datetime
) -> None:
    """Keep the bytes once per SHA-256 (a second capture of the same bytes adds nothing)."""
    if await session.get(Evidence, sha256) is None:
        session.add(
            Evidence(
                sha256=sha256,
                media_type=media_type,
                size=len(data),
                data=data,
                first_captured_at=at,
            )
        )
        await session.flush()


async def link_evidence(session: AsyncSession, links: Sequence[dict[str, Any]]) -> None:
    """Tie evidence to posts (dicts of :class:`EvidenceLink` columns)."""
    if links:
        await session.execute(insert(EvidenceLink), list(links))


async def evidence(session: AsyncSession, sha256: str) -> Evidence | None:
    """The stored evidence with this hash."""
    return await session.get(Evidence, sha256)


async def evidence_links(session: AsyncSession, sha256: str) -> list[EvidenceLink]:
    """The posts a piece of evidence belongs to."""
    rows = await session.scalars(select(EvidenceLink).where(EvidenceLink.sha256 == sha256))
    return list(rows)


def add_pending(session: AsyncSession, report_id: str, payload: dict[str, Any]) -> None:
    """Park a report until OCR is available."""
    session.add(PendingReport(id=report_id, payload=payload, created_at=utcnow()))


async def pending_reports(session: AsyncSession, limit: int) -> list[PendingReport]:
    """Reports still waiting for OCR, oldest first."""
    rows = await session.scalars(
        select(PendingReport)
        .where(PendingReport.status == "waiting_for_ocr")
        .order_by(PendingReport.created_at)
        .limit(limit)
    )
    return list(rows)


async def pending_report(session: AsyncSession, report_id: str) -> PendingReport | None:
    """One parked report."""
    return await session.get(PendingReport, report_id)


async def load_checkpoint(session: AsyncSession, name: str) -> dict[str, Any] | None:
    """A connector's saved state, or None before its first poll."""
    row = await session.get(Checkpoint, name)
    return None if row is None else dict(row.state)


async def save_checkpoint(session: AsyncSession, name: str, state: dict[str, Any]) -> None:
    """Replace a connector's saved state."""
    row = await session.get(Checkpoint, name)
    if row is None:
        session.add(Checkpoint(name=name, state=state, updated_at=utcnow()))
    else:
        row.state = state
        row.updated_at = utcnow()


async def delivery_seen(session: AsyncSession, signature: str, since: datetime) -> bool:
    """True when a webhook call with this signature was accepted since ``since``."""
    row = await session.get(WebhookDelivery, signature)
    return row is not None and row.received_at >= since


async def remember_delivery(
    session: AsyncSession, signature: str, partner: str, older_than: datetime
) -> None:
    """Record an accepted webhook call's signature; forget those older than ``older_than``."""
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < older_than))
    if await session.get(WebhookDelivery, signature) is None:
        session.add(WebhookDelivery(signature=signature, partner=partner, received_at=utcnow()))

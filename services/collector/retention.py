"""Retention of the collector's own copies: they expire by age.

The collector does not know which posts became evidence of which incident (that is the
alert service's side of the bus), so its copies follow ``DOXWATCH_RETENTION_DAYS`` by
age alone: captures (the evidence links, and the captured bytes no remaining link
refers to), sightings, de-duplication keys, and reports that were processed. A case
that must keep its raw captures longer needs them exported before they expire.
``doxwatch purge`` runs this beside the alert service's purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.collector.models import DedupKey, Evidence, EvidenceLink, PendingReport, Sighting


@dataclass(frozen=True)
class CollectorPurge:
    """What the collector's purge deleted (or, in a dry run, would delete)."""

    captures: int
    sightings: int
    dedup_keys: int
    reports: int


async def purge(
    session: AsyncSession, cutoff: datetime, *, dry_run: bool = False
) -> CollectorPurge:
    """Delete the collector's rows older than ``cutoff``; in a dry run, only count."""
    links = select(EvidenceLink.id).where(EvidenceLink.captured_at < cutoff)
    sightings = select(Sighting.id).where(Sighting.seen_at < cutoff)
    keys = select(DedupKey.id).where(DedupKey.seen_at < cutoff)
    reports = select(PendingReport.id).where(
        PendingReport.done_at.is_not(None), PendingReport.created_at < cutoff
    )

    async def count(query: Select[Any]) -> int:
        return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    report = CollectorPurge(
        captures=await count(links),
        sightings=await count(sightings),
        dedup_keys=await count(keys),
        reports=await count(reports),
    )
    if dry_run:
        return report
    await session.execute(delete(EvidenceLink).where(EvidenceLink.id.in_(links)))
    await session.execute(delete(Sighting).where(Sighting.id.in_(sightings)))
    await session.execute(delete(DedupKey).where(DedupKey.id.in_(keys)))
    await session.execute(delete(PendingReport).where(PendingReport.id.in_(reports)))
    # Captured bytes are shared by content hash: delete only those nothing refers to now.
    await session.execute(
        delete(Evidence).where(Evidence.sha256.not_in(select(EvidenceLink.sha256)))
    )
    return report

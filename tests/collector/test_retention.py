"""The collector's copies expire by age; captured bytes go once nothing refers to them."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.collector.models import DedupKey, Evidence, EvidenceLink, PendingReport, Sighting
from services.collector.retention import purge
from services.db import utcnow
from tests.conftest import run_cli


def _evidence(data: bytes) -> Evidence:
    return Evidence(
        sha256=hashlib.sha256(data).hexdigest(), media_type="image/png", size=len(data), data=data
    )


async def test_old_rows_go_and_shared_captures_stay(db_session: AsyncSession) -> None:
    now = utcnow()
    old, new = now - timedelta(days=400), now - timedelta(days=1)
    only_old, shared = _evidence(b"old screenshot"), _evidence(b"shared page")
    db_session.add_all([only_old, shared])
    await db_session.flush()
    db_session.add_all(
        [
            EvidenceLink(
                post_id="p-old", sha256=only_old.sha256, kind="screenshot", captured_at=old
            ),
            EvidenceLink(post_id="p-old", sha256=shared.sha256, kind="page", captured_at=old),
            EvidenceLink(post_id="p-new", sha256=shared.sha256, kind="page", captured_at=new),
            Sighting(post_id="p-old", seen_at=old, channel="api", matched_on="new", platform="x"),
            Sighting(post_id="p-new", seen_at=new, channel="api", matched_on="new", platform="x"),
            DedupKey(key="text:aa", post_id="p-old", seen_at=old),
            DedupKey(key="text:bb", post_id="p-new", seen_at=new),
            PendingReport(id="r-done", payload={}, created_at=old, done_at=old, status="done"),
            PendingReport(id="r-waiting", payload={}, created_at=old, status="waiting_for_ocr"),
        ]
    )
    await db_session.flush()
    cutoff = now - timedelta(days=365)

    dry = await purge(db_session, cutoff, dry_run=True)
    assert (dry.captures, dry.sightings, dry.dedup_keys, dry.reports) == (2, 1, 1, 1)
    assert len(list(await db_session.scalars(select(EvidenceLink)))) == 3

    await purge(db_session, cutoff)
    assert [e.post_id for e in await db_session.scalars(select(EvidenceLink))] == ["p-new"]
    assert list(await db_session.scalars(select(Evidence.sha256))) == [shared.sha256]
    assert [s.post_id for s in await db_session.scalars(select(Sighting))] == ["p-new"]
    assert [k.key for k in await db_session.scalars(select(DedupKey))] == ["text:bb"]
    assert [r.id for r in await db_session.scalars(select(PendingReport))] == ["r-waiting"]


def test_doxwatch_purge_runs_both_sides(sqlite_url: str) -> None:
    done = run_cli(
        "purge", "--dry-run", env={"DOXWATCH_DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0, done.stderr
    assert "would delete the evidence of 0 closed incidents" in done.stdout
    assert "0 captures, 0 sightings, 0 de-duplication keys" in done.stdout

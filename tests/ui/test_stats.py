"""The dashboard's figures on SQLite and PostgreSQL (the charts draw these numbers)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.incidents import service
from services.alerts.models import PostRecord, Review
from services.alerts.ui import stats
from services.db import utcnow
from tests import factories


async def test_dashboard_counts_flags_incidents_reviews_and_platforms(
    db_session: AsyncSession,
) -> None:
    rules = service.Rules(window=timedelta(hours=72))
    verdicts = [
        factories.verdict(threat=True),
        factories.verdict(threat=True, doxing_call=True, platform="telegram"),
        factories.verdict(personal_data=True, platform="telegram"),
        factories.verdict(),
    ]
    await service.ingest(db_session, verdicts, rules)
    post = await db_session.get(PostRecord, verdicts[0].post_id)
    assert post is not None
    db_session.add(
        Review(
            post_id=post.id,
            decision="confirm",
            threat=True,
            doxing_call=False,
            personal_data=False,
            decided_by="tester",
            decided_at=post.received_at + timedelta(hours=2),
        )
    )
    await db_session.flush()

    figures = await stats.dashboard(db_session, utcnow())

    assert sum(figures.flags["threat"]) == 2
    assert sum(figures.flags["doxing_call"]) == 1
    assert sum(figures.flags["personal_data"]) == 1
    assert figures.by_status == {"new": 3}
    assert sum(figures.by_severity.values()) == 3
    assert figures.review_median_h is not None and 1.9 < figures.review_median_h < 2.1
    assert dict(figures.platforms) == {"telegram": 2, "x": 1}
    assert figures.notices_by_status == {}

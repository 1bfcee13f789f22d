"""The dashboard's queries (portable between SQLite and PostgreSQL)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.models import Incident, PostRecord, Review
from services.alerts.notices.models import Notice

LABELS = ("threat", "doxing_call", "personal_data")
REVIEW_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 h", 1),
    ("1–4 h", 4),
    ("4–24 h", 24),
    ("1–3 d", 72),
    ("> 3 d", float("inf")),
)


@dataclass
class Dashboard:
    """Every figure the dashboard draws."""

    days: list[date]
    flags: dict[str, list[int]]  # label -> count per day
    by_status: dict[str, int]
    by_severity: dict[str, int]
    review_buckets: list[tuple[str, int]]
    review_median_h: float | None
    review_mean_h: float | None
    platforms: list[tuple[str, int]]
    notices_by_status: dict[str, int]


async def dashboard(session: AsyncSession, now: datetime, days: int = 14) -> Dashboard:
    """Figures over the last ``days`` days (incident counts: all incidents)."""
    first = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    day_list = [first + timedelta(days=i) for i in range(days)]
    flagged = or_(
        PostRecord.threat.is_(True),
        PostRecord.doxing_call.is_(True),
        PostRecord.personal_data.is_(True),
    )

    day = func.date(PostRecord.received_at)
    rows = await session.execute(
        select(
            day,
            *(func.sum(cast(getattr(PostRecord, label), Integer)) for label in LABELS),
        )
        .where(PostRecord.received_at >= since, flagged)
        .group_by(day)
    )
    flags = {label: [0] * days for label in LABELS}
    index = {d.isoformat(): i for i, d in enumerate(day_list)}
    for raw_day, *counts in rows:
        i = index.get(str(raw_day)[:10])
        if i is None:
            continue
        for label, count in zip(LABELS, counts, strict=True):
            flags[label][i] = int(count or 0)

    by_status = {
        str(s.value if hasattr(s, "value") else s): int(n)
        for s, n in await session.execute(
            select(Incident.status, func.count()).group_by(Incident.status)
        )
    }
    by_severity = {
        str(s.value if hasattr(s, "value") else s): int(n)
        for s, n in await session.execute(
            select(Incident.severity, func.count()).group_by(Incident.severity)
        )
    }

    first_review = (
        select(Review.post_id, func.min(Review.decided_at).label("first"))
        .group_by(Review.post_id)
        .subquery()
    )
    waits = [
        (reviewed - received).total_seconds() / 3600
        for received, reviewed in await session.execute(
            select(PostRecord.received_at, first_review.c.first)
            .join(first_review, first_review.c.post_id == PostRecord.id)
            .where(PostRecord.received_at >= since)
        )
        if reviewed is not None
    ]
    buckets = []
    lower = 0.0
    for name, upper in REVIEW_BUCKETS:
        buckets.append((name, sum(1 for w in waits if lower <= w < upper)))
        lower = upper

    platform_rows = await session.execute(
        select(PostRecord.platform, func.count())
        .where(PostRecord.received_at >= since, flagged)
        .group_by(PostRecord.platform)
        .order_by(func.count().desc(), PostRecord.platform)
        .limit(8)
    )
    notice_rows = await session.execute(select(Notice.status, func.count()).group_by(Notice.status))
    notices_by_status = {str(getattr(st, "value", st)): int(n) for st, n in notice_rows}
    return Dashboard(
        days=day_list,
        flags=flags,
        by_status=by_status,
        by_severity=by_severity,
        review_buckets=buckets,
        review_median_h=statistics.median(waits) if waits else None,
        review_mean_h=statistics.fmean(waits) if waits else None,
        platforms=[(p, int(n)) for p, n in platform_rows],
        notices_by_status=notices_by_status,
    )

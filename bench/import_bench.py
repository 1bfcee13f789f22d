"""Import a generated JSON Lines file through `doxwatch import`'s code and print lines/s.

The server is a real `doxwatch up` process (embedded bus, SQLite in a temporary
directory; the classifier runs too and competes for the CPU, as it would), or with
``--mode collector`` the collector alone on the embedded bus. The file has N invented
posts, every one distinct, 1 % of them malformed (rejected locally) and 1 % repeats
of an earlier line (duplicates on the server).

    .venv/bin/python bench/import_bench.py --lines 100000
    .venv/bin/python bench/import_bench.py --lines 100000 --mode collector
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _support import TEXTS, wait_ready

from services.bus.tansu import free_port
from services.collector.importer import Importer, InputFormat

ADMIN = "bench-admin-token"


def generate(path: Path, lines: int, seed: int = 7) -> tuple[int, int]:
    """Write the input file; return (malformed, repeated) line counts."""
    rng = random.Random(seed)
    bad = repeated = 0
    with path.open("w", encoding="utf-8") as f:
        for n in range(lines):
            roll = rng.random()
            if roll < 0.01:
                bad += 1
                f.write('{"text": "kapotte regel", "platform": "x"\n')
                continue
            i = n
            if roll < 0.02 and n > 0:
                repeated += 1
                i = rng.randrange(n)
            post = {
                "text": rng.choice(TEXTS[:5]).format(n=i) + f" [{i}]",
                "platform": "x",
                "url": f"https://x.example/status/{i}",
                "external_id": str(i),
            }
            f.write(json.dumps(post) + "\n")
    return bad, repeated


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="posts per request")
    parser.add_argument("--mode", choices=["up", "collector"], default="up")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="doxwatch-import-bench-"))
    source = work / "posts.jsonl"
    started = time.perf_counter()
    bad, repeated = generate(source, args.lines)
    print(
        f"generated {args.lines:,} lines in {time.perf_counter() - started:.1f} s "
        f"({source.stat().st_size / 1e6:.1f} MB, {bad} malformed, {repeated} repeats)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOXWATCH_")}
    env.update(
        DOXWATCH_DATABASE_URL=f"sqlite+aiosqlite:///{work / 'bench.db'}",
        DOXWATCH_ADMIN_TOKEN=ADMIN,
        DOXWATCH_LOG_LEVEL="WARNING",
        DOXWATCH_LOG_JSON="true",
    )
    port = free_port()
    if args.mode == "collector":
        subprocess.run([sys.executable, "-m", "services.cli", "db", "upgrade"], env=env, check=True)
    log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "services.cli", args.mode, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, server)
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=120
        ) as client:
            importer = Importer(
                source,
                client=client,
                fmt=InputFormat.JSONL,
                mapping={},
                defaults={},
                batch_size=args.batch,
            )
            summary = importer.run()
    finally:
        server.terminate()
        server.wait(30)
    print(f"server                   doxwatch {args.mode} (SQLite, embedded bus)")
    print(f"batch size               {args.batch}")
    print(f"lines read               {summary.read:,}")
    print(f"accepted / duplicates    {summary.accepted:,} / {summary.duplicates:,}")
    print(f"rejected                 {summary.rejected:,}")
    print(f"time                     {summary.seconds:.1f} s")
    print(f"import rate              {summary.read / summary.seconds:,.0f} lines/s")
    print(f"work directory           {work}")


if __name__ == "__main__":
    main()

"""`doxwatch import` against a real collector: bad lines, CSV mapping, resuming."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.collector.importer import (
    Importer,
    ImportFailed,
    ImportState,
    InputFormat,
    _bad_positions,
    parse_mapping,
)
from tests.collector.conftest import ADMIN, count_published, published_posts
from tests.conftest import LiveServer


def post(i: int) -> dict[str, Any]:
    return {
        "text": f"geïmporteerde post nummer {i}: die agent moet oppassen",
        "platform": "x",
        "url": f"https://x.example/imported/{i}",
    }


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


async def run_cli(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        "import",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_bad_lines_are_reported_with_their_reasons(
    collector: LiveServer, sqlite_url: str, tmp_path: Path
) -> None:
    lines = [json.dumps(post(i)) for i in range(6)]
    lines[1] = "{not json"
    lines[3] = json.dumps({**post(3), "url": "ftp://x.example/3"})
    lines.insert(5, "")  # blank lines are skipped, not rejected
    lines.append("[1, 2]")
    lines.append(json.dumps({**post(0), "text": "  "}))
    lines.append(json.dumps(post(0)))  # a duplicate of line 1
    source = write_jsonl(tmp_path / "posts.jsonl", lines)
    code, out = await run_cli(
        str(source), "--url", collector.url, "--token", ADMIN, "--no-progress", "--batch-size", "2"
    )
    assert code == 1, out
    assert "9 records read: 4 accepted, 1 duplicates, 4 rejected" in out
    rejects = [
        json.loads(x) for x in (tmp_path / "posts.jsonl.rejects.jsonl").read_text().splitlines()
    ]
    assert [r["line"] for r in rejects] == [2, 4, 8, 9]
    assert "not JSON" in rejects[0]["reason"]
    assert rejects[1]["reason"].startswith("url: Value error, must be an absolute http(s) URL")
    assert "expected a JSON object" in rejects[2]["reason"]
    assert rejects[3]["reason"].startswith("text:")
    assert await count_published(sqlite_url) == 4


async def test_csv_with_column_mapping_and_defaults(
    collector: LiveServer, sqlite_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "export.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["bericht", "link", "wie", "tijd"])
        w.writerow(
            ["we weten waar je woont", "https://fb.example/p/1", "anon", "2026-11-30T08:00:00Z"]
        )
        w.writerow(["regel een\nregel twee", "https://fb.example/p/2", "", ""])
        w.writerow(["zonder link", "", "anon", ""])
        w.writerow(["te", "weinig"])
    code, out = await run_cli(
        str(source),
        "--url",
        collector.url,
        "--token",
        ADMIN,
        "--no-progress",
        "--map",
        "text=bericht",
        "--map",
        "url=link",
        "--map",
        "author=wie",
        "--map",
        "posted_at=tijd",
        "--platform",
        "facebook",
    )
    assert code == 1, out
    assert "4 records read: 2 accepted, 0 duplicates, 2 rejected" in out
    posts = await published_posts(sqlite_url)
    assert [(p.text, p.platform, p.author) for p in posts] == [
        ("we weten waar je woont", "facebook", "anon"),
        ("regel een\nregel twee", "facebook", None),
    ]
    assert posts[0].posted_at is not None and posts[0].posted_at.hour == 8
    rejects = (tmp_path / "export.csv.rejects.jsonl").read_text().splitlines()
    assert [json.loads(r)["line"] for r in rejects] == [5, 6]
    assert "url: Field required" in rejects[0]
    assert "2 columns, the header has 4" in rejects[1]


def test_bad_options_stop_before_anything_is_sent() -> None:
    with pytest.raises(ImportFailed, match="unknown field 'body'"):
        parse_mapping(["body=text"])
    with pytest.raises(ImportFailed, match="FIELD=COLUMN"):
        parse_mapping(["text"])


def test_server_422_positions_are_mapped_to_records() -> None:
    problem = {
        "errors": [
            {"loc": ["body", "posts", "2", "url"], "msg": "bad url"},
            {"loc": ["body", "posts", "0"], "msg": "bad"},
            {"loc": ["body"], "msg": "ignored"},
        ]
    }
    assert _bad_positions(problem, 3) == {2: "url: bad url", 0: "<record>: bad"}


class Interrupted(Exception):
    pass


async def test_an_interrupted_import_resumes_where_it_stopped(
    collector: LiveServer, sqlite_url: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "big.jsonl", [json.dumps(post(i)) for i in range(95)])
    batches = 0

    def stop_after_three(offset: int, state: ImportState) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise Interrupted  # like Ctrl-C after the third accepted batch

    def importer(**kw: Any) -> Importer:
        client = httpx.Client(base_url=collector.url, headers={"Authorization": f"Bearer {ADMIN}"})
        return Importer(
            source,
            client=client,
            fmt=InputFormat.JSONL,
            mapping={},
            defaults={},
            batch_size=10,
            **kw,
        )

    with pytest.raises(Interrupted):
        await asyncio.to_thread(importer(on_progress=stop_after_three).run)
    saved = ImportState.load(tmp_path / "big.jsonl.import-state.json")
    assert saved is not None and saved.line == 30 and saved.accepted == 30 and not saved.done
    summary = await asyncio.to_thread(importer().run)
    assert summary.resumed_at_line == 30
    assert (summary.read, summary.accepted, summary.duplicates) == (65, 65, 0)
    assert await count_published(sqlite_url) == 95  # every line once, none twice
    again = await asyncio.to_thread(importer().run)
    assert again.read == 0  # done: nothing more to send
    restarted = await asyncio.to_thread(lambda: importer().run(restart=True))
    assert (restarted.accepted, restarted.duplicates) == (0, 95)


async def test_a_wrong_token_stops_the_import(collector: LiveServer, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "p.jsonl", [json.dumps(post(1))])
    code, out = await run_cli(
        str(source), "--url", collector.url, "--token", "nope", "--no-progress"
    )
    assert code == 1
    assert "refuses the token (HTTP 401)" in out

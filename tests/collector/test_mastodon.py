"""The Mastodon connector against a local server speaking Mastodon's REST API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from services.collector.sources import SourceError
from services.collector.sources.config import load_config
from services.collector.sources.mastodon import (
    MastodonConnector,
    parse_link_header,
    status_to_candidate,
)
from tests.collector.conftest import collector_app, count_published, published_posts
from tests.collector.fakes import FakeMastodon, status
from tests.conftest import LiveServer


@pytest.fixture
async def mastodon(
    live_server: Callable[[FastAPI], LiveServer],
) -> AsyncIterator[tuple[FakeMastodon, LiveServer]]:
    fake = FakeMastodon()
    async with live_server(fake.app()) as srv:
        yield fake, srv


def connector(url: str, **kw: object) -> MastodonConnector:
    return MastodonConnector(
        name="masto",
        base_url=url,
        hashtags=["politie"],
        accounts=[],
        limit=4,
        **kw,  # type: ignore[arg-type]
    )


def sid(n: int) -> str:
    return str(109_000_000_000_000_000 + n)


async def test_first_poll_takes_the_newest_page_then_pages_forward_without_gaps(
    mastodon: tuple[FakeMastodon, LiveServer],
) -> None:
    fake, srv = mastodon
    fake.add("tag:politie", *(status(n, f"bericht {n}") for n in range(1, 11)))
    c = connector(srv.url)
    first = await c.poll(None)
    assert [p.external_id.rsplit("/", 1)[1] for p in first.candidates if p.external_id] == [
        sid(n) for n in (10, 9, 8, 7)
    ]
    assert first.checkpoint == {"since": {"/api/v1/timelines/tag/politie": sid(10)}}
    fake.add("tag:politie", *(status(n, f"bericht {n}") for n in range(11, 20)))
    second = await c.poll(first.checkpoint)
    texts = sorted(int(p.text.split()[1]) for p in second.candidates)
    assert texts == list(range(11, 20))  # all nine, over three pages
    assert second.checkpoint["since"]["/api/v1/timelines/tag/politie"] == sid(19)
    assert f"min_id={sid(10)}" in fake.requests[1]
    assert f"min_id={sid(14)}" in fake.requests[2]  # followed Link rel="prev"
    assert second.more is False
    third = await c.poll(second.checkpoint)
    assert third.candidates == []
    await c.aclose()


async def test_more_pages_than_allowed_per_poll_continue_next_poll(
    mastodon: tuple[FakeMastodon, LiveServer],
) -> None:
    fake, srv = mastodon
    fake.add("tag:politie", status(1, "oud"))
    c = connector(srv.url, max_pages=2)
    cp = (await c.poll(None)).checkpoint
    fake.add("tag:politie", *(status(n, f"bericht {n}") for n in range(2, 14)))
    poll = await c.poll(cp)
    assert len(poll.candidates) == 8 and poll.more is True
    rest = await c.poll(poll.checkpoint)
    assert len(rest.candidates) == 4 and rest.more is False
    await c.aclose()


async def test_rate_limit_headers_and_429_are_respected(
    mastodon: tuple[FakeMastodon, LiveServer],
) -> None:
    fake, srv = mastodon
    fake.add("tag:politie", *(status(n, f"bericht {n}") for n in range(1, 4)))
    fake.remaining = 1  # this request spends the last of the budget
    c = connector(srv.url)
    poll = await c.poll(None)
    assert len(poll.candidates) == 3
    assert 250 < poll.wait_s <= 300  # until X-RateLimit-Reset
    assert poll.more is True
    # Asked anyway: 429. The poll ends with what it has and says how long to wait.
    limited = await c.poll(poll.checkpoint)
    assert limited.candidates == [] and limited.checkpoint == poll.checkpoint
    assert 250 < limited.wait_s <= 300
    await c.aclose()


async def test_server_errors_raise_for_the_runner_to_back_off(
    mastodon: tuple[FakeMastodon, LiveServer],
) -> None:
    fake, srv = mastodon
    fake.fail_next = 1
    c = connector(srv.url)
    with pytest.raises(SourceError, match="HTTP 503"):
        await c.poll(None)
    await c.aclose()
    gone = connector("http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(SourceError):
        await gone.poll(None)
    await gone.aclose()


def test_status_shapes_become_candidates() -> None:
    plain = status(1, "we weten waar je woont & komen langs")
    c = status_to_candidate(plain, "mastodon")
    assert c is not None
    assert c.text == "we weten waar je woont & komen langs #politie"
    assert c.author == "anon_4471" and c.lang == "nl"
    assert c.external_id == plain["uri"] and c.url == plain["url"]
    assert c.posted_at is not None and c.posted_at.tzinfo is not None
    boost = {**status(2, "boost"), "content": "", "reblog": status(3, "origineel")}
    b = status_to_candidate(boost, "mastodon")
    assert (
        b is not None and b.text.startswith("origineel") and b.external_id == status(3, "")["uri"]
    )
    image_only = {**status(4, ""), "content": "", "media_attachments": []}
    assert status_to_candidate(image_only, "mastodon") is None
    assert parse_link_header('<https://m.example/a?max_id=1>; rel="next"') == {
        "next": "https://m.example/a?max_id=1"
    }


async def _wait_for(predicate: Callable[[], object], within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await predicate():  # type: ignore[misc]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def test_restart_neither_loses_nor_repeats_and_metrics_show(
    mastodon: tuple[FakeMastodon, LiveServer],
    sqlite_url: str,
    live_server: Callable[[FastAPI], LiveServer],
    tmp_path: Path,
) -> None:
    fake, srv = mastodon
    fake.add("tag:politie", *(status(n, f"tag bericht {n}") for n in range(1, 4)))
    fake.add("account:4471", *(status(n, f"account bericht {n}") for n in range(50, 52)))
    fake.fail_next = 1  # the first request fails: counted, backed off, retried
    toml = tmp_path / "collector.toml"
    toml.write_text(
        f"""
[[mastodon]]
name = "masto"
base_url = "{srv.url}"
hashtags = ["politie"]
accounts = ["4471"]
interval_s = 0.2
limit = 2
"""
    )
    config = load_config(toml)
    async with live_server(collector_app(sqlite_url, config)) as collector:
        await _wait_for(lambda: _has(sqlite_url, 4))  # newest page: 2 tag + 2 account
        async with collector.client() as c:
            metrics = (await c.get("/metrics")).text
    assert 'doxwatch_connector_errors_total{connector="masto",kind="source"} 1.0' in metrics
    assert 'doxwatch_connector_lag_seconds{connector="masto"}' in metrics
    assert 'doxwatch_connector_items_total{connector="masto",status="accepted"}' in metrics
    # While it is down, more is posted.
    fake.add("tag:politie", *(status(n, f"tag bericht {n}") for n in range(4, 9)))
    async with live_server(collector_app(sqlite_url, load_config(toml))):
        await _wait_for(lambda: _has(sqlite_url, 9))
        await asyncio.sleep(1)  # a few more polls: nothing may be repeated
    texts = sorted(p.text for p in await published_posts(sqlite_url))
    assert texts == sorted(
        [f"tag bericht {n} #politie" for n in range(2, 9)]
        + [f"account bericht {n} #politie" for n in (50, 51)]
    )


async def _has(url: str, n: int) -> bool:
    return await count_published(url) >= n

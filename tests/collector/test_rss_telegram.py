"""RSS feeds against a local feed server; Telegram Desktop exports in a watched directory."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from services.collector import repository
from services.collector.sources import RateLimited, SourceError
from services.collector.sources.config import ConfigError, load_config
from services.collector.sources.rss import RssConnector
from services.collector.sources.runner import run_connector
from services.collector.sources.telegram_export import TelegramExportConnector, message_text
from services.db import transaction
from services.runtime import Runtime
from tests.collector.conftest import published_posts
from tests.collector.fakes import FakeFeed
from tests.conftest import LiveServer


@pytest.fixture
async def feed(live_server: Callable[[FastAPI], LiveServer]) -> AsyncIterator[tuple[FakeFeed, str]]:
    fake = FakeFeed()
    async with live_server(fake.app()) as srv:
        yield fake, f"{srv.url}/feed.xml"


async def test_feed_entries_are_collected_once_with_conditional_get(
    feed: tuple[FakeFeed, str],
) -> None:
    fake, url = feed
    fake.items = [("a1", "Agent bedreigd", "<p>Een agent is <b>bedreigd</b> in Zwolle.</p>")]
    c = RssConnector(name="news", url=url)
    first = await c.poll(None)
    (entry,) = first.candidates
    assert entry.text == "Agent bedreigd\nEen agent is bedreigd in Zwolle."
    assert entry.url == "https://news.example/a1" and entry.external_id == "a1"
    assert entry.posted_at is not None and entry.posted_at.tzinfo is not None
    unchanged = await c.poll(first.checkpoint)
    assert unchanged.candidates == []
    assert fake.requests[-1]["if-none-match"] == first.checkpoint["etag"]
    fake.items += [("a2", "Tweede", "twee"), ("a3", "Derde", "drie")]
    more = await c.poll(unchanged.checkpoint)
    assert [x.external_id for x in more.candidates] == ["a2", "a3"]  # oldest first
    assert more.checkpoint["seen"] == ["a1", "a2", "a3"]
    await c.aclose()


async def test_feed_errors_back_off(feed: tuple[FakeFeed, str]) -> None:
    fake, url = feed
    c = RssConnector(name="news", url=url)
    fake.status, fake.headers = 429, {"Retry-After": "120"}
    with pytest.raises(RateLimited) as limited:
        await c.poll(None)
    assert limited.value.retry_after_s == 120
    fake.status, fake.headers = 503, {}
    with pytest.raises(SourceError, match="HTTP 503"):
        await c.poll(None)
    await c.aclose()


def export(chat_id: int, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A Telegram Desktop single-chat export (result.json)."""
    return {"name": "Kanaal West", "type": "public_channel", "id": chat_id, "messages": messages}


def message(n: int, text: Any) -> dict[str, Any]:
    return {
        "id": n,
        "type": "message",
        "date": f"2026-11-30T09:{n:02d}:00",
        "date_unixtime": str(1_796_029_200 + 60 * n),
        "from": "Kanaal West",
        "from_id": "channel1700000001",
        "text": text,
        "text_entities": [],
    }


def test_message_text_joins_entities() -> None:
    assert message_text({"text": "plat"}) == "plat"
    parts = [
        "wie kent ",
        {"type": "bold", "text": "deze agent"},
        "? ",
        {"type": "hashtag", "text": "#dox"},
    ]
    assert message_text({"text": parts}) == "wie kent deze agent? #dox"


async def test_telegram_exports_are_read_once_and_updates_add_only_new_messages(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ChatExport_2026-11-30"
    folder.mkdir()
    result = folder / "result.json"
    service_msg = {"id": 1, "type": "service", "action": "create_channel", "text": ""}
    result.write_text(
        json.dumps(
            export(
                1700000001,
                [
                    service_msg,
                    message(2, "eerste"),
                    message(3, ["naam ", {"type": "bold", "text": "graag"}]),
                ],
            )
        )
    )
    c = TelegramExportConnector(name="tg", directory=tmp_path)
    first = await c.poll(None)
    assert [(x.text, x.external_id, x.url) for x in first.candidates] == [
        ("eerste", "1700000001/2", "https://t.me/c/1700000001/2"),
        ("naam graag", "1700000001/3", "https://t.me/c/1700000001/3"),
    ]
    assert first.candidates[0].posted_at is not None
    assert first.checkpoint["channels"] == {"1700000001": 3}
    assert (await c.poll(first.checkpoint)).candidates == []  # unchanged file
    # A new export of the same channel repeats old messages and adds one.
    (tmp_path / "broken.json").write_text('{"messages": [')  # still being written
    result.write_text(
        json.dumps(export(1700000001, [message(2, "eerste"), message(3, "x"), message(4, "nieuw")]))
    )
    second = await c.poll(first.checkpoint)
    assert [x.text for x in second.candidates] == ["nieuw"]
    full = {"chats": {"list": [export(1700000002, [message(1, "ander kanaal")])]}}
    (tmp_path / "broken.json").write_text(json.dumps(full))
    third = await c.poll(second.checkpoint)
    assert [x.external_id for x in third.candidates] == ["1700000002/1"]


async def test_telegram_checkpoint_survives_a_restart(
    runtime: Runtime, tmp_path: Path, sqlite_url: str
) -> None:
    (tmp_path / "result.json").write_text(
        json.dumps(export(5, [message(1, "een"), message(2, "twee")]))
    )

    async def run_once() -> None:
        stopping = asyncio.Event()
        c = TelegramExportConnector(name="tg", directory=tmp_path, interval_s=0.05)
        task = asyncio.create_task(run_connector(c, runtime, stopping))
        await asyncio.sleep(0.5)
        stopping.set()
        await task

    await run_once()
    (tmp_path / "result.json").write_text(
        json.dumps(export(5, [message(1, "een"), message(2, "twee"), message(3, "drie")]))
    )
    await run_once()  # a new connector object: only the checkpoint remembers
    assert [p.text for p in await published_posts(sqlite_url)] == ["een", "twee", "drie"]
    async with transaction(runtime.sessions) as s:
        saved = await repository.load_checkpoint(s, "tg")
    assert saved is not None and saved["channels"] == {"5": 3}


def test_config_file_errors_name_the_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('[[rss]]\nname = "n"\nurl = "ftp://x"\n')
    with pytest.raises(ConfigError, match=r"rss\.0\.url"):
        load_config(bad)
    bad.write_text(
        '[[rss]]\nname = "n"\nurl = "https://a.example/f"\n'
        '[[telegram_export]]\nname = "n"\ndirectory = "/tmp"\n'
    )
    with pytest.raises(ConfigError, match="unique"):
        load_config(bad)
    bad.write_text('[[webhook]]\npartner = "p"\nsecret_env = "DOXWATCH_TEST_NO_SUCH_SECRET"\n')
    monkeypatch.delenv("DOXWATCH_TEST_NO_SUCH_SECRET", raising=False)
    with pytest.raises(ConfigError, match="DOXWATCH_TEST_NO_SUCH_SECRET"):
        load_config(bad)
    bad.write_text("[[rss]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)

"""De-duplication across every way in: same platform id, same URL, same normalised text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from services.collector import service
from services.collector.dedup import keys_for, normalise_text, normalise_url
from services.collector.models import DedupKey
from services.collector.service import Candidate
from services.db import transaction, utcnow
from services.runtime import Runtime, open_runtime
from services.security import Role
from tests.collector.conftest import (
    ADMIN,
    count_published,
    make_token,
    published_posts,
    settings_for,
)
from tests.conftest import LiveServer

BASE = {
    "text": "die wout van bureau Noord woont op Tulpstraat 9, zoek hem op",
    "platform": "x",
    "url": "https://x.example/anon/status/100",
}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://X.example/a/status/1", "https://x.example/a/status/1/"),
        ("http://www.x.example/a/status/1#reply", "https://x.example/a/status/1"),
        ("https://x.example:443/a/status/1?utm_source=tg&fbclid=9", "https://x.example/a/status/1"),
        ("https://x.example/a?b=2&a=1", "https://x.example/a?a=1&b=2"),
    ],
)
def test_urls_of_one_post_normalise_alike(a: str, b: str) -> None:
    assert normalise_url(a) == normalise_url(b)


def test_different_posts_keep_different_urls_and_texts() -> None:
    assert normalise_url("https://x.example/a/status/1") != normalise_url(
        "https://x.example/a/status/2"
    )
    assert normalise_url("https://x.example/p?id=1") != normalise_url("https://x.example/p?id=2")
    assert normalise_text("Hij woont op nr 9") != normalise_text("Hij woont op nr 8")


def test_text_normalisation_ignores_case_width_and_spacing() -> None:
    assert normalise_text("  WE  weten\twaar je\nwoont ") == normalise_text(
        "we weten waar je woont"
    )
    assert normalise_text("ｗｅ weten") == normalise_text("we weten")  # full-width letters


def test_keys_are_hashes_not_plaintext() -> None:
    keys = keys_for(platform="x", external_id="100", url=BASE["url"], text=BASE["text"])
    assert [k for k, _ in keys] == ["ext", "url", "text"]
    assert all("Tulpstraat" not in key and len(key.split(":")[1]) == 64 for _, key in keys)


async def test_same_post_three_ways_is_one_post_with_sightings(
    collector: LiveServer, sqlite_url: str
) -> None:
    async with collector.client(ADMIN) as c:
        first = (await c.post("/api/v1/posts", json={**BASE, "external_id": "100"})).json()
        by_ext = await c.post(
            "/api/v1/posts",
            json={
                **BASE,
                "external_id": "100",
                "text": "edited text",
                "url": "https://x.example/e",
            },
        )
        by_url = await c.post(
            "/api/v1/posts",
            json={**BASE, "text": "other words", "url": BASE["url"] + "/?utm_source=tg#x"},
        )
        by_text = await c.post(
            "/api/v1/posts",
            json={**BASE, "text": BASE["text"].upper() + "  ", "url": "https://y.example/p/7"},
        )
        other = await c.post(
            "/api/v1/posts",
            json={**BASE, "text": "iets heel anders", "url": "https://x.example/anon/status/101"},
        )
        assert first["status"] == "accepted"
        for r, how in ((by_ext, "ext"), (by_url, "url"), (by_text, "text")):
            assert r.status_code == 202
            assert r.json() == {"id": first["id"], "status": "duplicate", "matched_on": how}
        assert other.json()["status"] == "accepted" and other.json()["id"] != first["id"]
        seen = (await c.get(f"/api/v1/posts/{first['id']}/sightings")).json()
    assert [s["matched_on"] for s in seen["sightings"]] == ["new", "ext", "url", "text"]
    assert {s["channel"] for s in seen["sightings"]} == {"api"}
    assert seen["sightings"][3]["url"] == "https://y.example/p/7"
    # Only the two new posts went to the classifier.
    assert [p.id for p in await published_posts(sqlite_url)] == [first["id"], other.json()["id"]]


async def test_duplicates_within_and_across_batches(collector: LiveServer, sqlite_url: str) -> None:
    posts = [
        {**BASE, "text": f"post nummer {i}", "url": f"https://x.example/s/{i}"} for i in range(4)
    ]
    async with collector.client(ADMIN) as c:
        one = (await c.post("/api/v1/posts/batch", json={"posts": [*posts, posts[1]]})).json()
        two = (await c.post("/api/v1/posts/batch", json={"posts": posts[2:]})).json()
    assert one["accepted"] == 4 and one["duplicates"] == 1
    assert one["statuses"] == ["accepted"] * 4 + ["duplicate"]
    assert one["ids"][4] == one["ids"][1]
    assert two == {
        "ids": one["ids"][2:4],
        "accepted": 0,
        "duplicates": 2,
        "statuses": ["duplicate", "duplicate"],
    }
    assert await count_published(sqlite_url) == 4


async def test_a_copy_after_the_window_is_a_new_post(runtime: Runtime) -> None:
    candidate = Candidate(text="kenteken GZ-123-K van die agent", platform="x", url=None)
    (first,) = await service.accept(runtime, [candidate], channel="api", seen_by="t")
    (again,) = await service.accept(runtime, [candidate], channel="api", seen_by="t")
    assert again.id == first.id and again.status == "duplicate"
    async with transaction(runtime.sessions) as s:
        await s.execute(update(DedupKey).values(seen_at=utcnow() - timedelta(hours=169)))
    (later,) = await service.accept(runtime, [candidate], channel="api", seen_by="t")
    assert later.status == "accepted" and later.id != first.id


async def test_window_zero_turns_deduplication_off(sqlite_url: str) -> None:
    async with open_runtime(settings_for(sqlite_url, dedup_window_hours=0)) as rt:
        c = Candidate(text="zelfde tekst", platform="x")
        outcomes = await service.accept(rt, [c, c], channel="api", seen_by="t")
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
    assert outcomes[0].id != outcomes[1].id


async def test_deduplication_on_postgresql(pg_database: Callable[[], str]) -> None:
    async with open_runtime(settings_for(pg_database())) as rt:
        a = Candidate(text="a", platform="mastodon", external_id="https://m.example/s/1")
        b = Candidate(text="b", platform="mastodon", external_id="https://m.example/s/1")
        c = Candidate(text="b", platform="rss", url="https://news.example/1")
        outcomes = await service.accept(rt, [a], channel="connector:m", seen_by="m")
        outcomes += await service.accept(rt, [b, c], channel="connector:m", seen_by="m")
    assert [o.status for o in outcomes] == ["accepted", "duplicate", "duplicate"]
    assert [o.matched_on for o in outcomes] == [None, "ext", "text"]
    assert len({o.id for o in outcomes}) == 1


async def test_sightings_are_for_analysts_only(collector: LiveServer, sqlite_url: str) -> None:
    officer = await make_token(sqlite_url, Role.OFFICER)
    async with collector.client(ADMIN) as admin:
        post_id = (await admin.post("/api/v1/posts", json=BASE)).json()["id"]
        missing = await admin.get("/api/v1/posts/nope/sightings")
    async with collector.client(officer) as c:
        assert (await c.get(f"/api/v1/posts/{post_id}/sightings")).status_code == 403
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:doxwatch:problem:post-not-found"

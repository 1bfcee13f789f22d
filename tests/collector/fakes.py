"""Local servers that speak the real protocols of the sources (all accounts invented).

* :class:`FakeMastodon` — Mastodon's REST API for hashtag and account timelines:
  ``limit``/``max_id``/``since_id``/``min_id``, ``Link`` pagination headers, the
  ``X-RateLimit-*`` headers, 429 when the budget is spent, and injectable 503s.
* :class:`FakeFeed` — an RSS 2.0 feed with ``ETag`` / ``If-None-Match`` (304).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

BASE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def status(n: int, text: str, *, acct: str = "anon_4471", tag: str = "politie") -> dict[str, Any]:
    """A Mastodon status in the API's shape."""
    return {
        "id": str(109_000_000_000_000_000 + n),
        "created_at": (BASE + timedelta(minutes=n)).isoformat().replace("+00:00", ".000Z"),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": "nl",
        "uri": f"https://mastodon.example/users/{acct}/statuses/{109_000_000_000_000_000 + n}",
        "url": f"https://mastodon.example/@{acct}/{109_000_000_000_000_000 + n}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "content": f'<p>{escape(text)} <a href="https://mastodon.example/tags/{tag}" '
        f'class="mention hashtag" rel="tag">#<span>{tag}</span></a></p>',
        "reblog": None,
        "account": {
            "id": "4471",
            "username": acct,
            "acct": acct,
            "display_name": "Anoniem",
            "url": f"https://mastodon.example/@{acct}",
        },
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": tag, "url": f"https://mastodon.example/tags/{tag}"}],
        "emojis": [],
        "card": None,
        "poll": None,
    }


class FakeMastodon:
    """The timelines of one Mastodon server, held in memory."""

    def __init__(self, *, budget: int = 300, window_s: int = 300) -> None:
        self.timelines: dict[str, list[dict[str, Any]]] = {}
        self.budget = budget
        self.remaining = budget
        self.reset_at = datetime.now(UTC) + timedelta(seconds=window_s)
        self.fail_next = 0
        self.requests: list[str] = []

    def add(self, key: str, *statuses: dict[str, Any]) -> None:
        """Publish statuses on a timeline (``tag:politie`` or ``account:4471``)."""
        self.timelines.setdefault(key, []).extend(statuses)

    def _headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.budget),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": self.reset_at.isoformat().replace("+00:00", "Z"),
        }

    def page(self, key: str, request: Request) -> Response:
        """One page of a timeline, as Mastodon answers it."""
        self.requests.append(str(request.url))
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"error": "Service Unavailable"}, status_code=503)
        self.remaining -= 1
        if self.remaining < 0:
            return JSONResponse(
                {"error": "Too many requests"}, status_code=429, headers=self._headers()
            )
        q = request.query_params
        limit = min(int(q.get("limit", "20")), 40)
        items = sorted(self.timelines.get(key, []), key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in q:
            items = [s for s in items if int(s["id"]) < int(q["max_id"])]
        if "since_id" in q:
            items = [s for s in items if int(s["id"]) > int(q["since_id"])]
        if "min_id" in q:
            after = [s for s in reversed(items) if int(s["id"]) > int(q["min_id"])][:limit]
            items = list(reversed(after))
        else:
            items = items[:limit]
        headers = self._headers()
        if items:
            base = str(request.url.remove_query_params(["max_id", "min_id", "since_id"]))
            sep = "&" if "?" in base else "?"
            headers["Link"] = (
                f'<{base}{sep}max_id={items[-1]["id"]}>; rel="next", '
                f'<{base}{sep}min_id={items[0]["id"]}>; rel="prev"'
            )
        return JSONResponse(items, headers=headers)

    def app(self) -> FastAPI:
        """The server's API."""
        app = FastAPI()

        @app.get("/api/v1/timelines/tag/{tag}")
        async def tag_timeline(tag: str, request: Request) -> Response:
            return self.page(f"tag:{tag}", request)

        @app.get("/api/v1/accounts/{account_id}/statuses")
        async def account_statuses(account_id: str, request: Request) -> Response:
            return self.page(f"account:{account_id}", request)

        return app


class FakeFeed:
    """An RSS 2.0 feed of a news site."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []  # guid, title, description
        self.status = 200
        self.headers: dict[str, str] = {}
        self.requests: list[dict[str, str]] = []

    def xml(self) -> bytes:
        """The feed document, newest item first (as feeds list them)."""
        entries = "".join(
            f"<item><guid isPermaLink='false'>{guid}</guid><title>{escape(title)}</title>"
            f"<link>https://news.example/{guid}</link>"
            f"<description>{escape(description)}</description>"
            f"<pubDate>{format_datetime(BASE + timedelta(minutes=n))}</pubDate></item>"
            for n, (guid, title, description) in reversed(list(enumerate(self.items)))
        )
        return (
            "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
            f"<title>Nieuws</title><link>https://news.example/</link>{entries}</channel></rss>"
        ).encode()

    def app(self) -> FastAPI:
        """The feed's server."""
        app = FastAPI()

        @app.get("/feed.xml")
        async def feed(request: Request) -> Response:
            self.requests.append(dict(request.headers))
            if self.status != 200:
                return Response(status_code=self.status, headers=self.headers)
            body = self.xml()
            etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers={"ETag": etag})
            return Response(body, media_type="application/rss+xml", headers={"ETag": etag})

        return app

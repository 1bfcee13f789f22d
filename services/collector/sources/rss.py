"""RSS and Atom feeds (feedparser).

The feed is fetched with a conditional GET (``ETag`` / ``Last-Modified`` kept in the
checkpoint, so an unchanged feed costs a 304). Feeds have no monotonic id, so the
checkpoint remembers the ids (``<guid>``, ``<id>``, else the link) of the last
``remember`` entries; an entry is new when its id is not among them. 429 and 5xx
answers raise for the runner to back off (``Retry-After`` honoured).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx

from services.collector.pages import html_to_text
from services.collector.service import Candidate
from services.collector.sources import Checkpoint, Poll, RateLimited, SourceError, retry_after
from services.events import MAX_TEXT_CHARS


def _when(entry: Any) -> datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)


def entry_to_candidate(entry: Any, platform: str) -> Candidate | None:
    """A candidate from a feed entry; None when it has no text."""
    title = html_to_text(entry.get("title") or "")
    summary = html_to_text(entry.get("summary") or "")
    parts = [title, summary if summary != title else ""]
    text = "\n".join(p for p in parts if p)[:MAX_TEXT_CHARS]
    if not text.strip():
        return None
    link = entry.get("link")
    return Candidate(
        text=text,
        platform=platform,
        url=link if isinstance(link, str) and link.startswith(("http://", "https://")) else None,
        author=entry.get("author"),
        external_id=entry.get("id") or link,
        posted_at=_when(entry),
    )


class RssConnector:
    """Polls one RSS or Atom feed."""

    def __init__(
        self,
        *,
        name: str,
        url: str,
        interval_s: float = 300,
        platform: str = "rss",
        remember: int = 2000,
        timeout_s: float = 10,
    ) -> None:
        self.name = name
        self.url = url
        self.interval_s = interval_s
        self.platform = platform
        self.remember = remember
        self.client = httpx.AsyncClient(
            timeout=timeout_s,
            trust_env=False,
            follow_redirects=True,
            headers={"User-Agent": "Doxwatch/0.1 (police monitoring desk)"},
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    async def poll(self, checkpoint: Checkpoint | None) -> Poll:
        """Entries not seen before."""
        state = dict(checkpoint or {})
        headers: dict[str, str] = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        try:
            response = await self.client.get(self.url, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.url}: {type(exc).__name__}") from exc
        if response.status_code == 304:
            return Poll(candidates=[], checkpoint=state)
        if response.status_code == 429:
            delay = retry_after(response.headers.get("retry-after"), 60)
            raise RateLimited(f"{self.url}: 429 Too Many Requests", delay)
        if response.status_code >= 400:
            raise SourceError(f"{self.url}: HTTP {response.status_code}")
        feed = feedparser.parse(response.content)
        if feed.get("bozo") and not feed.get("entries"):
            raise SourceError(f"{self.url}: not a feed ({feed.get('bozo_exception')!r})")
        seen: list[str] = list(state.get("seen", []))
        known = set(seen)
        fresh: list[str] = []
        candidates: list[Candidate] = []
        newest: datetime | None = None
        # Oldest first, so that the posts keep the feed's order.
        for entry in reversed(feed.entries):
            entry_id = entry.get("id") or entry.get("link") or entry.get("title")
            if not entry_id or entry_id in known:
                continue
            known.add(entry_id)
            fresh.append(entry_id)
            candidate = entry_to_candidate(entry, self.platform)
            if candidate is not None:
                candidates.append(candidate)
                if candidate.posted_at and (newest is None or candidate.posted_at > newest):
                    newest = candidate.posted_at
        state["seen"] = [*seen, *fresh][-self.remember :]
        state["etag"] = response.headers.get("etag")
        state["modified"] = response.headers.get("last-modified")
        return Poll(candidates=candidates, checkpoint=state, newest=newest)

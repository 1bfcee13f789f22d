"""Mastodon: public hashtag and account timelines through the REST API.

* ``GET /api/v1/timelines/tag/:hashtag`` and ``GET /api/v1/accounts/:id/statuses``.
* The checkpoint is the newest status id per timeline. The next poll asks for
  ``min_id=<checkpoint>`` (the statuses right after it, without a gap, unlike
  ``since_id``) and follows the ``Link: <...>; rel="prev"`` header to newer pages, at
  most ``max_pages`` per poll; the rest is fetched by the next poll at once.
* The first poll of a timeline takes its newest page only (no back-fill of history).
* ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` are respected: when the budget is
  spent the poll stops and the runner waits until the reset. A 429 does the same (with
  ``Retry-After`` or the reset time); 5xx and connection errors raise SourceError (the
  runner backs off).
* A boost is collected as the status it boosts. Status ids are compared as integers
  (they are snowflakes in decimal strings); ``uri`` is the post's global id.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from services.collector.pages import html_to_text
from services.collector.service import Candidate
from services.collector.sources import Checkpoint, Poll, RateLimited, SourceError, retry_after
from services.events import MAX_TEXT_CHARS

log = structlog.get_logger("doxwatch.collector.mastodon")

_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def parse_link_header(value: str | None) -> dict[str, str]:
    """``{"next": url, "prev": url}`` from an RFC 8288 Link header."""
    return {rel: url for url, rel in _LINK.findall(value or "")}


def _reset_in(headers: httpx.Headers, now: datetime) -> float | None:
    reset = headers.get("x-ratelimit-reset")
    if not reset:
        return None
    try:
        at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now).total_seconds())


def status_to_candidate(status: dict[str, Any], platform: str) -> Candidate | None:
    """A candidate from a Mastodon status (its boosted status for a boost); None if no text."""
    original = status.get("reblog") or status
    parts = [
        original.get("spoiler_text") or "",
        html_to_text(original.get("content") or ""),
        *(m.get("description") or "" for m in original.get("media_attachments") or []),
    ]
    text = "\n".join(p for p in parts if p.strip())[:MAX_TEXT_CHARS]
    if not text:
        return None
    account = original.get("account") or {}
    created = original.get("created_at")
    lang = original.get("language")
    return Candidate(
        text=text,
        platform=platform,
        url=original.get("url") or original.get("uri"),
        author=account.get("acct"),
        external_id=original.get("uri") or str(original.get("id")),
        posted_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        lang=lang if lang in ("nl", "en") else None,
    )


class MastodonConnector:
    """Polls the configured hashtag and account timelines of one Mastodon server."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        hashtags: list[str],
        accounts: list[str],
        access_token_env: str | None = None,
        interval_s: float = 60,
        limit: int = 40,
        max_pages: int = 5,
        platform: str = "mastodon",
        timeout_s: float = 10,
    ) -> None:
        self.name = name
        self.interval_s = interval_s
        self.base_url = base_url.rstrip("/")
        self.timelines = [f"/api/v1/timelines/tag/{tag.lstrip('#')}" for tag in hashtags] + [
            f"/api/v1/accounts/{account}/statuses" for account in accounts
        ]
        self.limit = limit
        self.max_pages = max_pages
        self.platform = platform
        headers = {"User-Agent": "Doxwatch/0.1 (police monitoring desk)"}
        token = os.environ.get(access_token_env) if access_token_env else None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, timeout=timeout_s, trust_env=False
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    async def _get(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        try:
            response = await self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise SourceError(f"{self.base_url}: {type(exc).__name__}") from exc
        if response.status_code == 429:
            wait = _reset_in(response.headers, datetime.now(UTC))
            delay = retry_after(response.headers.get("retry-after"), wait or 60.0)
            raise RateLimited(f"{self.base_url}: 429 Too Many Requests", delay)
        if response.status_code >= 500:
            raise SourceError(f"{self.base_url}{url}: HTTP {response.status_code}")
        if response.status_code >= 400:
            # A wrong hashtag or account id will not heal by retrying soon: a source error
            # (counted, backed off) rather than a crash of the worker.
            raise SourceError(f"{self.base_url}{url}: HTTP {response.status_code}")
        return response

    async def poll(self, checkpoint: Checkpoint | None) -> Poll:
        """New statuses of every timeline since its checkpoint."""
        state: dict[str, str] = dict((checkpoint or {}).get("since", {}))
        candidates: list[Candidate] = []
        newest: datetime | None = None
        more = False
        wait_s = 0.0
        for timeline in self.timelines:
            since = state.get(timeline)
            first = since is None
            url: str = timeline
            params: dict[str, str] | None = {"limit": str(self.limit)}
            if since is not None and params is not None:
                params["min_id"] = since
            try:
                for page_number in range(self.max_pages):
                    response = await self._get(url, params)
                    statuses = response.json()
                    if not isinstance(statuses, list):
                        raise SourceError(f"{self.base_url}{url}: not a list of statuses")
                    for status in statuses:
                        candidate = status_to_candidate(status, self.platform)
                        if candidate is not None:
                            candidates.append(candidate)
                            if candidate.posted_at and (
                                newest is None or candidate.posted_at > newest
                            ):
                                newest = candidate.posted_at
                    if statuses:
                        top = max(int(s["id"]) for s in statuses)
                        if since is None or top > int(since):
                            since = str(top)
                            state[timeline] = since
                    remaining = response.headers.get("x-ratelimit-remaining", "")
                    if remaining.isdigit() and int(remaining) <= 0:
                        wait_s = max(wait_s, _reset_in(response.headers, datetime.now(UTC)) or 60)
                    prev = parse_link_header(response.headers.get("link")).get("prev")
                    if first or len(statuses) < self.limit or not prev:
                        break
                    if wait_s:
                        more = True
                        break
                    if page_number == self.max_pages - 1:
                        more = True
                        break
                    # The prev link carries min_id=<newest of this page>: newer statuses.
                    url, params = prev, None
            except RateLimited as exc:
                # Keep what this poll already has; the runner waits before the next one.
                log.warning("rate limited", connector=self.name, wait_s=exc.retry_after_s)
                return Poll(
                    candidates=candidates,
                    checkpoint={"since": state},
                    newest=newest,
                    more=True,
                    wait_s=exc.retry_after_s,
                )
            if wait_s:
                more = True
                break
        return Poll(
            candidates=candidates,
            checkpoint={"since": state},
            newest=newest,
            more=more,
            wait_s=wait_s,
        )

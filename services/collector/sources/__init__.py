"""Source connectors: public sources watched continuously, one module each.

Every pull connector implements :class:`Connector`: given its last checkpoint (its own
JSON, ``None`` before the first poll) it returns the new posts and the checkpoint that
follows them. The runner (:mod:`.runner`) stores the posts through the shared intake
path (de-duplication included) and only then saves the checkpoint, so a restart
repeats at most the last poll, which de-duplication absorbs: nothing lost, nothing
published twice.

* :mod:`.rss` — RSS/Atom feeds (feedparser), conditional GET.
* :mod:`.mastodon` — public hashtag and account timelines over Mastodon's REST API.
* :mod:`.telegram_export` — a directory of Telegram Desktop JSON exports.
* :mod:`.webhook` — partners push signed batches (HMAC-SHA256); no polling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.collector.service import Candidate

Checkpoint = dict[str, Any]


class SourceError(Exception):
    """A transient failure of the source (5xx, connection refused, unreadable answer)."""


class RateLimited(SourceError):
    """The source asked us to slow down; retry after ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class Poll:
    """What one poll found."""

    candidates: list[Candidate]
    checkpoint: Checkpoint
    newest: datetime | None = None
    """When the newest item found was posted (for the lag metric)."""
    more: bool = False
    """More items are waiting: poll again at once instead of after the interval."""
    wait_s: float = 0.0
    """The source's rate limit asks for this pause before the next request."""


class Connector(Protocol):
    """A pull source."""

    name: str
    interval_s: float

    async def poll(self, checkpoint: Checkpoint | None) -> Poll:
        """The posts after ``checkpoint`` and the checkpoint after them."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def retry_after(value: str | None, default: float) -> float:
    """Seconds from a Retry-After header (seconds form), else ``default``."""
    if value and value.strip().isdigit():
        return float(value.strip())
    return default

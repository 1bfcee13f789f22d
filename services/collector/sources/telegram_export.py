"""Telegram channel exports: a directory of Telegram Desktop JSON exports, watched.

Telegram Desktop's "Export chat history" (format: JSON) writes ``result.json``: one
chat (``{"name", "type", "id", "messages": [...]}``) or, for a full export, all of them
under ``chats.list``. A message's ``text`` is a string or a list of strings and
entity objects (``{"type": "bold", "text": "..."}``). Any ``*.json`` under the
directory is read when it is new or changed (size and modification time in the
checkpoint); the checkpoint keeps the last message id per chat, so a re-export that
repeats old messages adds only the new ones. A file that does not parse (still being
written) is retried on the next poll.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from services.collector.service import Candidate
from services.collector.sources import Checkpoint, Poll
from services.events import MAX_TEXT_CHARS

log = structlog.get_logger("doxwatch.collector.telegram")


def message_text(message: dict[str, Any]) -> str:
    """The plain text of an exported message (string or list of entities)."""
    text = message.get("text", "")
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in text
            if isinstance(part, str | dict)
        )
    return ""


def _posted_at(message: dict[str, Any]) -> datetime | None:
    unix = message.get("date_unixtime")
    if isinstance(unix, str) and unix.isdigit():
        return datetime.fromtimestamp(int(unix), tz=UTC)
    date = message.get("date")
    if isinstance(date, str):
        # Older exports write local time without a zone; read it as UTC (documented).
        try:
            parsed = datetime.fromisoformat(date)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def chats_of(export: dict[str, Any]) -> list[dict[str, Any]]:
    """The chats in an export (a single-chat export or a full one)."""
    if isinstance(export.get("messages"), list):
        return [export]
    listed = (export.get("chats") or {}).get("list") or []
    return [c for c in listed if isinstance(c, dict) and isinstance(c.get("messages"), list)]


class TelegramExportConnector:
    """Collects new messages from the Telegram Desktop exports in a directory."""

    def __init__(
        self, *, name: str, directory: Path, interval_s: float = 30, platform: str = "telegram"
    ) -> None:
        self.name = name
        self.directory = directory
        self.interval_s = interval_s
        self.platform = platform

    async def aclose(self) -> None:
        """Nothing to release."""

    def _scan(self, state: dict[str, Any]) -> tuple[list[Candidate], dict[str, Any]]:
        files: dict[str, str] = dict(state.get("files", {}))
        last: dict[str, int] = {k: int(v) for k, v in state.get("channels", {}).items()}
        candidates: list[Candidate] = []
        for path in sorted(self.directory.rglob("*.json")):
            stat = path.stat()
            stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
            key = str(path.relative_to(self.directory))
            if files.get(key) == stamp:
                continue
            try:
                export = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                log.warning("export not readable yet", file=key, error=str(exc))
                continue
            if not isinstance(export, dict):
                files[key] = stamp
                continue
            for chat in chats_of(export):
                chat_id = str(chat.get("id"))
                after = last.get(chat_id, 0)
                top = after
                for message in chat["messages"]:
                    if not isinstance(message, dict) or message.get("type") != "message":
                        continue
                    msg_id = message.get("id")
                    if not isinstance(msg_id, int) or msg_id <= after:
                        continue
                    top = max(top, msg_id)
                    text = message_text(message).strip()[:MAX_TEXT_CHARS]
                    if not text:
                        continue
                    candidates.append(
                        Candidate(
                            text=text,
                            platform=self.platform,
                            url=f"https://t.me/c/{chat_id}/{msg_id}",
                            author=message.get("from") or chat.get("name"),
                            external_id=f"{chat_id}/{msg_id}",
                            posted_at=_posted_at(message),
                        )
                    )
                last[chat_id] = top
            files[key] = stamp
        return candidates, {"files": files, "channels": last}

    async def poll(self, checkpoint: Checkpoint | None) -> Poll:
        """Messages newer than the checkpoint in new or changed export files."""
        candidates, state = await asyncio.to_thread(self._scan, dict(checkpoint or {}))
        newest = max((c.posted_at for c in candidates if c.posted_at), default=None)
        return Poll(candidates=candidates, checkpoint=state, newest=newest)

"""``doxwatch import``: bulk import of JSON Lines or CSV through the REST API.

A client of ``POST /api/v1/posts/batch``, so it works against the embedded and the
distributed mode alike. Records are read as a stream, checked locally with the API's
own schema (:class:`PostIn`), and sent in batches. It is resumable: after each batch
the server accepted, ``<input>.import-state.json`` records how far the file is done
(byte offset and record number), and a new run starts there. Every rejected record is
written to ``<input>.rejects.jsonl`` as ``{"line": n, "reason": "..."}`` — rejected
locally, or by the server's 422 (the batch is then re-sent without that record).
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import httpx
from pydantic import ValidationError

from services.collector.schemas import PostIn

POST_FIELDS = tuple(PostIn.model_fields)


class InputFormat(StrEnum):
    """Input file formats."""

    JSONL = "jsonl"
    CSV = "csv"


class ImportFailed(Exception):
    """The import cannot go on (bad options, server refuses the token, server down)."""


@dataclass
class Record:
    """One input record: its 1-based line number, the byte offset after it, its fields."""

    line: int
    end: int
    fields: dict[str, Any] | None
    error: str | None = None


@dataclass
class ImportState:
    """How far an import got (saved after every accepted batch)."""

    source: str
    size: int
    offset: int = 0
    line: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    done: bool = False

    def save(self, path: Path) -> None:
        """Write atomically (a crash leaves the old or the new state, never half)."""
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.__dict__))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> ImportState | None:
        """The saved state, or None."""
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


@dataclass
class Summary:
    """What an import run did."""

    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    seconds: float = 0.0
    resumed_at_line: int = 0
    rejected_lines: list[int] = field(default_factory=list)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["text=message", "url=link"]`` → ``{"text": "message", "url": "link"}`` (field=column)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        target, sep, source = pair.partition("=")
        target, source = target.strip(), source.strip()
        if not sep or not target or not source:
            raise ImportFailed(f"--map wants FIELD=COLUMN, got {pair!r}")
        if target not in POST_FIELDS:
            raise ImportFailed(
                f"--map: unknown field {target!r} (fields: {', '.join(POST_FIELDS)})"
            )
        mapping[target] = source
    return mapping


def _jsonl_records(stream: IO[bytes], start_line: int) -> Iterator[Record]:
    line = start_line
    while True:
        raw = stream.readline()
        if not raw:
            return
        line += 1
        end = stream.tell()
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield Record(line, end, None, f"not JSON: {getattr(exc, 'msg', exc)}")
            continue
        if not isinstance(value, dict):
            yield Record(line, end, None, f"expected a JSON object, got {type(value).__name__}")
            continue
        yield Record(line, end, value)


class _CountingReader(io.RawIOBase):
    """Tracks how many bytes the CSV reader has consumed, for the resume offset."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        line = self.stream.readline(len(buffer))
        buffer[: len(line)] = line
        return len(line)


def _csv_records(stream: IO[bytes], start_line: int, header: list[str] | None) -> Iterator[Record]:
    text = io.TextIOWrapper(
        io.BufferedReader(_CountingReader(stream), buffer_size=1), encoding="utf-8", newline=""
    )
    # The text layer may read ahead; lines are read one by one so that tell() is exact.
    reader = csv.reader(_lines(text))
    columns = header
    line = start_line
    for row in reader:
        line = start_line + reader.line_num
        if columns is None:
            columns = [c.strip() for c in row]
            continue
        end = stream.tell()
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield Record(line, end, None, f"{len(row)} columns, the header has {len(columns)}")
            continue
        yield Record(line, end, {c: v for c, v in zip(columns, row, strict=True) if v != ""})


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    while True:
        line = text.readline()
        if not line:
            return
        yield line


def read_header(path: Path) -> list[str]:
    """The CSV header row."""
    with path.open(encoding="utf-8", newline="") as f:
        return [c.strip() for c in next(csv.reader(f), [])]


def to_post(
    fields: dict[str, Any], mapping: dict[str, str], defaults: dict[str, str]
) -> dict[str, Any]:
    """The API post for an input record: mapped columns, defaults, nothing else."""
    post: dict[str, Any] = {}
    for name in POST_FIELDS:
        column = mapping.get(name, name)
        if column in fields and fields[column] not in (None, ""):
            post[name] = fields[column]
        elif name in defaults:
            post[name] = defaults[name]
    return post


def validate(post: dict[str, Any]) -> str | None:
    """Why the API would refuse ``post`` (None when it is valid)."""
    try:
        PostIn.model_validate(post)
    except ValidationError as exc:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<record>'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
    return None


class Importer:
    """Streams a file into the API in batches; see the module docstring."""

    def __init__(
        self,
        path: Path,
        *,
        client: httpx.Client,
        fmt: InputFormat,
        mapping: dict[str, str],
        defaults: dict[str, str],
        batch_size: int = 500,
        state_path: Path | None = None,
        rejects_path: Path | None = None,
        max_retries: int = 5,
        retry_backoff_s: float = 1.0,
        on_progress: Callable[[int, ImportState], None] | None = None,
    ) -> None:
        self.path = path
        self.client = client
        self.fmt = fmt
        self.mapping = mapping
        self.defaults = defaults
        self.batch_size = batch_size
        self.state_path = state_path or path.with_name(path.name + ".import-state.json")
        self.rejects_path = rejects_path or path.with_name(path.name + ".rejects.jsonl")
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.on_progress = on_progress

    def _state(self, restart: bool) -> ImportState:
        size = self.path.stat().st_size
        state = None if restart else ImportState.load(self.state_path)
        if state is not None and (state.source != str(self.path.resolve()) or size < state.offset):
            raise ImportFailed(
                f"{self.state_path} belongs to another file (or the file shrank); "
                "use --restart to import from the beginning"
            )
        if state is None:
            if self.rejects_path.exists():
                self.rejects_path.unlink()
            state = ImportState(source=str(self.path.resolve()), size=size)
        state.size = size
        return state

    def run(self, *, restart: bool = False) -> Summary:
        """Import what is left of the file; return the summary of this run."""
        state = self._state(restart)
        summary = Summary(resumed_at_line=state.line)
        if state.done and state.offset >= state.size:
            return summary
        state.done = False
        header = read_header(self.path) if self.fmt is InputFormat.CSV else None
        started = time.perf_counter()
        rejects: list[str] = []
        with self.path.open("rb") as stream:
            if state.offset:
                stream.seek(state.offset)
            if self.fmt is InputFormat.JSONL:
                records = _jsonl_records(stream, state.line)
            else:
                records = _csv_records(stream, state.line, header if state.offset else None)
            pending: list[tuple[Record, dict[str, Any]]] = []
            last: Record | None = None
            for record in records:
                summary.read += 1
                last = record
                post = None
                error = record.error
                if record.fields is not None:
                    post = to_post(record.fields, self.mapping, self.defaults)
                    error = validate(post)
                if error is not None or post is None:
                    self._reject(rejects, summary, state, record.line, error or "unreadable")
                else:
                    pending.append((record, post))
                if len(pending) >= self.batch_size:
                    self._send(pending, rejects, summary, state, record)
                    pending = []
            if last is not None:
                self._send(pending, rejects, summary, state, last)
        state.done = True
        state.save(self.state_path)
        summary.seconds = time.perf_counter() - started
        return summary

    def _reject(
        self, rejects: list[str], summary: Summary, state: ImportState, line: int, reason: str
    ) -> None:
        # Written with the batch they belong to, so a resumed run does not repeat them.
        rejects.append(json.dumps({"line": line, "reason": reason}, ensure_ascii=False) + "\n")
        summary.rejected += 1
        summary.rejected_lines.append(line)
        state.rejected += 1

    def _send(
        self,
        pending: list[tuple[Record, dict[str, Any]]],
        rejects: list[str],
        summary: Summary,
        state: ImportState,
        upto: Record,
    ) -> None:
        while pending:
            response = self._post({"posts": [post for _, post in pending]})
            if response.status_code == 202:
                body = response.json()
                summary.accepted += body["accepted"]
                summary.duplicates += body.get("duplicates", 0)
                state.accepted += body["accepted"]
                state.duplicates += body.get("duplicates", 0)
                break
            if response.status_code == 422:
                bad = _bad_positions(response.json(), len(pending))
                if not bad:
                    raise ImportFailed(f"server refused the batch: {response.text[:500]}")
                for position, reason in sorted(bad.items(), reverse=True):
                    record, _ = pending.pop(position)
                    self._reject(rejects, summary, state, record.line, f"server: {reason}")
                continue
            raise ImportFailed(
                f"server answered HTTP {response.status_code}: {response.text[:500]}"
            )
        with self.rejects_path.open("a", encoding="utf-8") as out:
            out.writelines(rejects)
        rejects.clear()
        state.offset, state.line = upto.end, upto.line
        state.save(self.state_path)
        if self.on_progress is not None:
            self.on_progress(upto.end, state)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        delay = self.retry_backoff_s
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.post("/api/v1/posts/batch", json=body)
            except httpx.HTTPError as exc:
                if attempt == self.max_retries:
                    raise ImportFailed(f"server unreachable: {exc!r}; run again to resume") from exc
            else:
                if response.status_code in (401, 403):
                    raise ImportFailed(
                        f"the server refuses the token (HTTP {response.status_code}): "
                        f"{response.json().get('detail', '')}"
                    )
                if response.status_code < 500 and response.status_code != 429:
                    return response
                if attempt == self.max_retries:
                    raise ImportFailed(
                        f"server answered HTTP {response.status_code} {self.max_retries + 1} "
                        "times; run again to resume"
                    )
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")


def _bad_positions(problem: dict[str, Any], size: int) -> dict[int, str]:
    """Batch positions the server's 422 names (``loc`` = body.posts.<i>...)."""
    bad: dict[int, str] = {}
    for error in problem.get("errors") or []:
        loc = [str(p) for p in error.get("loc", [])]
        if len(loc) >= 3 and loc[:2] == ["body", "posts"] and loc[2].isdigit():
            position = int(loc[2])
            if position < size:
                where = ".".join(loc[3:]) or "<record>"
                bad.setdefault(position, f"{where}: {error.get('msg', '')}")
    return bad

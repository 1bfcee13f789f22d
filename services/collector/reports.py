"""Report intake: a person reports a post by its text, its URL and/or screenshots.

The post's text is, in this order: what the reporter typed; for a URL without text,
the page's metadata (OpenGraph, then oEmbed); the text OCR reads in each screenshot.
Every fetched page and every screenshot is kept as evidence (SHA-256, capture time).
When OCR is unavailable the report is parked (``waiting_for_ocr``) and
:func:`ocr_worker` publishes it once Tesseract can read the screenshots.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import structlog
from sqlalchemy.exc import IntegrityError

from services.collector import repository, service
from services.collector.errors import (
    NoTextFound,
    ReportNotFound,
    UnsupportedAttachment,
    UrlNotFetched,
    UrlRefused,
)
from services.collector.fetcher import Capture, FetchError, FetchRefused, SafeFetcher
from services.collector.ocr import Ocr, OcrError, OcrUnavailable
from services.collector.pages import PageMeta, parse_html, parse_oembed
from services.collector.schemas import ReportAccepted, ReportIn, ReportStatus
from services.db import transaction, utcnow
from services.events import MAX_TEXT_CHARS, EvidenceKind, EvidenceRef, Post
from services.runtime import Runtime
from services.security import Principal

log = structlog.get_logger("doxwatch.collector.reports")

TextSource = Literal["reporter", "page", "oembed", "ocr"]
MAX_OCR_ATTEMPTS = 5

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(data: bytes) -> str | None:
    """The media type of an image, judged by its first bytes (never by the client's word)."""
    for magic, media_type in _IMAGE_MAGIC:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def platform_of(url: str | None) -> str:
    """A platform slug from a URL's host (``x.example``), or ``report`` without a URL."""
    if not url:
        return "report"
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host[:64] or "report"


async def keep_evidence(
    runtime: Runtime,
    data: bytes,
    media_type: str,
    kind: EvidenceKind,
    captured_at: datetime,
    source_url: str | None = None,
) -> EvidenceRef:
    """Store raw bytes as evidence (once per SHA-256) and return the reference to them."""
    sha = hashlib.sha256(data).hexdigest()
    # Two reports of the same screenshot at once: the second insert loses the race.
    with contextlib.suppress(IntegrityError):
        async with transaction(runtime.sessions) as session:
            await repository.store_evidence(session, sha, media_type, data, captured_at)
    return EvidenceRef(
        sha256=sha,
        kind=kind,
        media_type=media_type,
        size=len(data),
        captured_at=captured_at,
        source_url=source_url,
    )


@dataclass
class _Draft:
    parts: list[tuple[TextSource, str]] = field(default_factory=list)
    evidence: list[EvidenceRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    author: str | None = None
    lang: str | None = None

    def text(self) -> str:
        return "\n\n".join(t.strip() for _, t in self.parts if t.strip())[:MAX_TEXT_CHARS]

    def sources(self) -> list[TextSource]:
        return list(dict.fromkeys(s for s, t in self.parts if t.strip()))


def _decode_attachments(report: ReportIn) -> list[tuple[bytes, str]]:
    images: list[tuple[bytes, str]] = []
    for number, attachment in enumerate(report.attachments):
        try:
            data = base64.b64decode(attachment.data_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UnsupportedAttachment(f"attachments.{number}: not valid base64") from exc
        media_type = image_type(data)
        if media_type is None:
            raise UnsupportedAttachment(f"attachments.{number}: not a PNG, JPEG, GIF or WebP image")
        images.append((data, media_type))
    return images


async def _read_page(runtime: Runtime, url: str, draft: _Draft, required: bool) -> None:
    """Fetch the page, keep it as evidence, and take the post's text from its metadata."""
    fetcher = SafeFetcher.from_settings(runtime.settings)
    try:
        capture = await fetcher.fetch(url)
    except FetchRefused as exc:
        if required:
            raise UrlRefused(str(exc)) from exc
        draft.warnings.append(f"page not fetched: {exc}")
        return
    except FetchError as exc:
        if required:
            raise UrlNotFetched(str(exc)) from exc
        draft.warnings.append(f"page not fetched: {exc}")
        return
    draft.evidence.append(await _keep_capture(runtime, capture, EvidenceKind.PAGE_CAPTURE))
    meta = PageMeta()
    if capture.media_type in ("text/html", "application/xhtml+xml"):
        meta = parse_html(capture.body, capture.url)
    if meta.text:
        draft.parts.append(("page", meta.text))
    draft.author, draft.lang = meta.author, meta.lang
    if meta.oembed_url and not meta.description:
        try:
            embed_capture = await fetcher.fetch(meta.oembed_url, accept="application/json")
        except FetchError as exc:
            draft.warnings.append(f"oEmbed not fetched: {exc}")
            return
        draft.evidence.append(await _keep_capture(runtime, embed_capture, EvidenceKind.OEMBED))
        embed = parse_oembed(embed_capture.body)
        if embed.description:
            draft.parts = [p for p in draft.parts if p[0] != "page"]
            draft.parts.append(("oembed", embed.description))
        draft.author = draft.author or embed.author


async def _keep_capture(runtime: Runtime, capture: Capture, kind: EvidenceKind) -> EvidenceRef:
    return await keep_evidence(
        runtime, capture.body, capture.media_type, kind, capture.captured_at, capture.url
    )


async def submit(runtime: Runtime, report: ReportIn, principal: Principal) -> ReportAccepted:
    """Turn a report into a post (or park it for OCR); see the module docstring."""
    now = utcnow()
    images = _decode_attachments(report)
    draft = _Draft()
    if report.text:
        draft.parts.append(("reporter", report.text))
    shots = [
        await keep_evidence(runtime, data, media_type, EvidenceKind.SCREENSHOT, now)
        for data, media_type in images
    ]
    if report.url and not report.text:
        await _read_page(runtime, report.url, draft, required=not images)
    draft.evidence.extend(shots)
    fields: dict[str, Any] = {
        "platform": report.platform or platform_of(report.url),
        "url": report.url,
        "author": report.author or draft.author,
        "external_id": report.external_id,
        "posted_at": report.posted_at.isoformat() if report.posted_at else None,
        "lang": report.lang or draft.lang,
        "reported_by": report.reported_by or principal.name,
    }
    if images:
        ocr = Ocr.from_settings(runtime.settings)
        try:
            for data, _ in images:
                draft.parts.append(("ocr", await ocr.read(data)))
        except OcrUnavailable:
            return await _park(runtime, fields, draft, [s.sha256 for s in shots], principal)
        except OcrError as exc:
            draft.warnings.append(f"screenshot not read: {exc}")
    text = draft.text()
    if not text:
        raise NoTextFound(
            "no text in the page's metadata or the screenshots; send the post's text"
            + (f" ({'; '.join(draft.warnings)})" if draft.warnings else "")
        )
    outcome = await _publish(runtime, fields, text, draft.evidence, None, principal.name)
    return ReportAccepted(
        id=outcome.id,
        status=outcome.status,
        matched_on=outcome.matched_on,
        text_sources=draft.sources(),
        evidence=draft.evidence,
        warnings=draft.warnings,
    )


async def _publish(
    runtime: Runtime,
    fields: dict[str, Any],
    text: str,
    evidence: list[EvidenceRef],
    post_id: str | None,
    seen_by: str,
) -> service.Outcome:
    posted_at = fields.get("posted_at")
    candidate = service.Candidate(
        text=text,
        platform=fields["platform"],
        url=fields.get("url"),
        author=fields.get("author"),
        external_id=fields.get("external_id"),
        posted_at=datetime.fromisoformat(posted_at) if posted_at else None,
        reported_by=fields.get("reported_by"),
        lang=fields.get("lang"),
        evidence=tuple(evidence),
        post_id=post_id,
    )
    (outcome,) = await service.accept(runtime, [candidate], channel="report", seen_by=seen_by)
    return outcome


async def _park(
    runtime: Runtime,
    fields: dict[str, Any],
    draft: _Draft,
    screenshots: list[str],
    principal: Principal,
) -> ReportAccepted:
    report_id = Post.new_id()
    payload = {
        "fields": fields,
        "parts": [[source, text] for source, text in draft.parts],
        "evidence": [e.model_dump(mode="json") for e in draft.evidence],
        "screenshots": screenshots,
        "seen_by": principal.name,
        "warnings": draft.warnings,
    }
    async with transaction(runtime.sessions) as session:
        repository.add_pending(session, report_id, payload)
    log.warning("report parked until OCR is available", report=report_id)
    return ReportAccepted(
        id=report_id,
        status="waiting_for_ocr",
        text_sources=draft.sources(),
        evidence=draft.evidence,
        warnings=[*draft.warnings, "OCR is unavailable: the report waits for it"],
    )


async def status(runtime: Runtime, report_id: str) -> ReportStatus:
    """Where a parked report is."""
    async with transaction(runtime.sessions) as session:
        row = await repository.pending_report(session, report_id)
    if row is None:
        raise ReportNotFound(f"no report {report_id!r} was parked for OCR")
    return ReportStatus(
        id=row.id,
        status=row.status,
        post_id=row.post_id,
        attempts=row.attempts,
        last_error=row.last_error,
    )


async def process_pending(runtime: Runtime, ocr: Ocr, limit: int = 20) -> int:
    """Read and publish parked reports while OCR works; return how many were processed."""
    if not ocr.available():
        return 0
    async with transaction(runtime.sessions) as session:
        rows = await repository.pending_reports(session, limit)
    done = 0
    for row in rows:
        payload = row.payload
        parts: list[tuple[str, str]] = [(s, t) for s, t in payload["parts"]]
        error: str | None = None
        try:
            for sha in payload["screenshots"]:
                async with transaction(runtime.sessions) as session:
                    image = await repository.evidence(session, sha)
                if image is None:
                    raise OcrError(f"screenshot {sha} is missing from the evidence store")
                parts.append(("ocr", await ocr.read(image.data)))
        except OcrUnavailable:
            return done
        except OcrError as exc:
            error = str(exc)
        text = "\n\n".join(t.strip() for _, t in parts if t.strip())[:MAX_TEXT_CHARS]
        outcome: service.Outcome | None = None
        if error is None and text:
            evidence = [EvidenceRef.model_validate(e) for e in payload["evidence"]]
            outcome = await _publish(
                runtime, payload["fields"], text, evidence, row.id, payload["seen_by"]
            )
        elif error is None:
            error = "no text in the screenshots"
        async with transaction(runtime.sessions) as session:
            current = await repository.pending_report(session, row.id)
            assert current is not None
            current.attempts += 1
            if outcome is not None:
                current.status, current.post_id, current.done_at = "processed", outcome.id, utcnow()
                done += 1
            else:
                current.last_error = error
                if current.attempts >= MAX_OCR_ATTEMPTS or error == "no text in the screenshots":
                    current.status, current.done_at = "failed", utcnow()
        log.info("parked report processed", report=row.id, post=outcome and outcome.id, error=error)
    return done


async def ocr_worker(runtime: Runtime, stopping: asyncio.Event) -> None:
    """Say at start whether OCR works; then publish parked reports whenever it does."""
    ocr = Ocr.from_settings(runtime.settings)
    if not ocr.available():
        log.warning(
            "OCR unavailable: reports with screenshots will wait for it",
            tesseract_cmd=ocr.cmd,
        )
    else:
        missing = await ocr.languages_missing()
        if missing:
            log.warning("tesseract lacks language data", missing=missing)
    while not stopping.is_set():
        while await process_pending(runtime, ocr):
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=runtime.settings.ocr_retry_interval_s)

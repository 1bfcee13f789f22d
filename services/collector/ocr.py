"""Text from screenshots, with Tesseract (Debian: tesseract-ocr, -nld, -eng).

Tesseract runs as a subprocess (``tesseract stdin stdout -l nld+eng``): no Python
binding to build, and a crash or a hang of the engine cannot take the service down
(``DOXWATCH_OCR_TIMEOUT_S``). When the binary is missing Doxwatch still runs: reports
with screenshots are parked as ``waiting_for_ocr`` and read once it is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil

import structlog

from services.config import Settings

log = structlog.get_logger("doxwatch.collector.ocr")


class OcrError(Exception):
    """The screenshot could not be read."""


class OcrUnavailable(OcrError):
    """Tesseract is not installed (or not where DOXWATCH_TESSERACT_CMD says)."""


class Ocr:
    """Reads text from images with Tesseract."""

    def __init__(self, cmd: str = "tesseract", languages: str = "nld+eng", timeout_s: float = 30):
        self.cmd = cmd
        self.languages = languages
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> Ocr:
        """The OCR engine configured by DOXWATCH_TESSERACT_CMD and DOXWATCH_OCR_*."""
        return cls(settings.tesseract_cmd, settings.ocr_languages, settings.ocr_timeout_s)

    def binary(self) -> str | None:
        """The Tesseract executable, or None when it is missing."""
        return shutil.which(self.cmd)

    def available(self) -> bool:
        """True when screenshots can be read now."""
        return self.binary() is not None

    def check(self) -> str:
        """For /readyz: ``ok``, or ``degraded: ...`` (reports still accepted, OCR waits)."""
        if self.available():
            return "ok"
        return (
            f"degraded: OCR unavailable ({self.cmd!r} not found); "
            "reports with screenshots wait for OCR"
        )

    async def read(self, image: bytes) -> str:
        """The text in ``image`` (PNG, JPEG, ...), lines kept."""
        binary = self.binary()
        if binary is None:
            raise OcrUnavailable(f"{self.cmd!r} not found")
        try:
            proc = await asyncio.create_subprocess_exec(
                binary,
                "stdin",
                "stdout",
                "-l",
                self.languages,
                "--psm",
                "3",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise OcrUnavailable(f"{self.cmd!r} could not be started: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(image), timeout=self.timeout_s)
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise OcrError(f"OCR took longer than {self.timeout_s:g} s") from exc
        if proc.returncode != 0:
            message = err.decode("utf-8", "replace").strip().splitlines()
            raise OcrError(f"tesseract failed: {message[-1] if message else proc.returncode}")
        lines = (line.strip() for line in out.decode("utf-8", "replace").splitlines())
        return "\n".join(line for line in lines if line)

    async def languages_missing(self) -> list[str]:
        """Configured languages Tesseract has no data for (empty when all present)."""
        binary = self.binary()
        if binary is None:
            return self.languages.split("+")
        proc = await asyncio.create_subprocess_exec(
            binary,
            "--list-langs",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        have = {line.strip() for line in (out + err).decode("utf-8", "replace").splitlines()}
        return [lang for lang in self.languages.split("+") if lang not in have]

"""Report intake over real HTTP: URL-only reports, screenshots through Tesseract, evidence."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from PIL import Image, ImageDraw, ImageFont

from services.collector import reports
from services.collector.ocr import Ocr
from services.events import EvidenceKind
from services.runtime import open_runtime
from services.security import Role
from tests.collector.conftest import (
    ADMIN,
    collector_app,
    make_token,
    published_posts,
    settings_for,
)
from tests.conftest import LiveServer

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Invented: no such officer, and the address is made up.
SCREENSHOT_LINES = [
    "Die agent van bureau Oost",
    "woont op Kastanjelaan 27,",
    "3512 XZ Utrecht. Ga langs!",
]
OG_TEXT = "wie kent deze agent? naam en adres graag, dan gaan we langs"


def render_screenshot(lines: list[str]) -> bytes:
    """A PNG that looks like a screenshot of a post: dark text on a light card."""
    font = ImageFont.truetype(str(FONT), 36)
    image = Image.new("RGB", (900, 80 + 56 * len(lines)), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 890, image.height - 10), outline=(200, 200, 200), width=2)
    for number, line in enumerate(lines):
        draw.text((40, 40 + 56 * number), line, font=font, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def platform_site() -> FastAPI:
    """A fake social platform: post pages with OpenGraph, oEmbed, or nothing useful."""
    app = FastAPI()

    @app.get("/anon/status/{n}")
    async def status(n: int) -> Response:
        return HTMLResponse(
            f"""<!doctype html><html lang="nl"><head><title>Post {n}</title>
            <meta property="og:title" content="anon op Platform">
            <meta property="og:description" content="{OG_TEXT} ({n})">
            <meta name="twitter:creator" content="@anon"></head><body>…</body></html>"""
        )

    @app.get("/embed-only/{n}")
    async def embed_only(n: int) -> Response:
        return HTMLResponse(
            f"""<html><head><title>Platform</title>
            <link rel="alternate" type="application/json+oembed" href="/oembed?n={n}">
            </head></html>"""
        )

    @app.get("/oembed")
    async def oembed(n: int) -> Response:
        return JSONResponse(
            {
                "version": "1.0",
                "type": "rich",
                "author_name": "anon",
                "provider_name": "Platform",
                "html": f"<blockquote><p>we wachten die wout op na zijn dienst &amp; "
                f"dan zien we wel<br>#{n}</p></blockquote>",
            }
        )

    @app.get("/bare")
    async def bare() -> Response:
        return HTMLResponse("<html><body>nothing here</body></html>")

    return app


@pytest.fixture
async def site(live_server: Callable[[FastAPI], LiveServer]) -> AsyncIterator[LiveServer]:
    async with live_server(platform_site()) as srv:
        yield srv


async def test_url_only_report_takes_text_from_opengraph(
    collector: LiveServer, site: LiveServer, sqlite_url: str
) -> None:
    officer = await make_token(sqlite_url, Role.OFFICER, name="agent 4471")
    async with collector.client(officer) as c:
        r = await c.post("/api/v1/reports", json={"url": f"{site.url}/anon/status/1"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["text_sources"] == ["page"]
    (capture,) = body["evidence"]
    assert capture["kind"] == "page_capture" and capture["media_type"] == "text/html"
    assert capture["source_url"] == f"{site.url}/anon/status/1"
    (post,) = await published_posts(sqlite_url)
    assert post.id == body["id"]
    assert post.text == f"{OG_TEXT} (1)"
    assert post.platform == "127.0.0.1" and post.author == "@anon" and post.lang == "nl"
    assert post.reported_by == "agent 4471"
    assert [e.sha256 for e in post.evidence] == [capture["sha256"]]
    # The raw capture is kept and its hash proves it.
    async with collector.client(ADMIN) as admin:
        raw = await admin.get(f"/api/v1/evidence/{capture['sha256']}")
    assert raw.status_code == 200
    assert hashlib.sha256(raw.content).hexdigest() == capture["sha256"]
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in raw.headers["content-security-policy"]


async def test_officers_may_report_but_not_read_evidence(
    collector: LiveServer, site: LiveServer, sqlite_url: str
) -> None:
    officer = await make_token(sqlite_url, Role.OFFICER)
    async with collector.client(officer) as c:
        r = await c.post("/api/v1/reports", json={"url": f"{site.url}/anon/status/2"})
        sha = r.json()["evidence"][0]["sha256"]
        denied = await c.get(f"/api/v1/evidence/{sha}")
        posts = await c.post(
            "/api/v1/posts", json={"text": "x", "platform": "x", "url": "https://x.example/1"}
        )
    assert denied.status_code == 403 and posts.status_code == 403
    async with collector.client(ADMIN) as admin:
        missing = await admin.get("/api/v1/evidence/" + "0" * 64)
        malformed = await admin.get("/api/v1/evidence/not-a-hash")
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:doxwatch:problem:evidence-not-found"
    assert malformed.status_code == 422


async def test_oembed_is_used_when_the_page_has_no_description(
    collector: LiveServer, site: LiveServer, sqlite_url: str
) -> None:
    async with collector.client(ADMIN) as c:
        r = await c.post("/api/v1/reports", json={"url": f"{site.url}/embed-only/5"})
    body = r.json()
    assert body["text_sources"] == ["oembed"]
    assert [e["kind"] for e in body["evidence"]] == ["page_capture", "oembed"]
    (post,) = await published_posts(sqlite_url)
    assert post.text == "we wachten die wout op na zijn dienst & dan zien we wel\n#5"
    assert post.author == "anon"


async def test_reporting_the_same_url_twice_is_one_post(
    collector: LiveServer, site: LiveServer, sqlite_url: str
) -> None:
    async with collector.client(ADMIN) as c:
        first = (await c.post("/api/v1/reports", json={"url": f"{site.url}/anon/status/3"})).json()
        second = (
            await c.post(
                "/api/v1/reports",
                json={"url": f"{site.url}/anon/status/3", "reported_by": "team West"},
            )
        ).json()
        seen = (await c.get(f"/api/v1/posts/{first['id']}/sightings")).json()["sightings"]
    assert second["status"] == "duplicate" and second["id"] == first["id"]
    assert [(s["channel"], s["reported_by"]) for s in seen] == [
        ("report", "admin (DOXWATCH_ADMIN_TOKEN)"),
        ("report", "team West"),
    ]
    assert len(await published_posts(sqlite_url)) == 1


async def test_report_urls_are_refused_or_fail_with_reasons(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer], site: LiveServer
) -> None:
    # Default settings: the fetcher may not reach loopback, where the site runs.
    async with live_server(collector_app(sqlite_url)) as srv, srv.client(ADMIN) as c:
        refused = await c.post("/api/v1/reports", json={"url": f"{site.url}/anon/status/1"})
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:doxwatch:problem:url-refused"
    app = collector_app(sqlite_url, fetch_allow_networks="127.0.0.0/8")
    async with live_server(app) as srv, srv.client(ADMIN) as c:
        gone = await c.post("/api/v1/reports", json={"url": f"{site.url}/nope"})
        bare = await c.post("/api/v1/reports", json={"url": f"{site.url}/bare"})
        empty = await c.post("/api/v1/reports", json={"reported_by": "x"})
        not_image = await c.post(
            "/api/v1/reports",
            json={"attachments": [{"data_base64": base64.b64encode(b"%PDF-1.7").decode()}]},
        )
    assert gone.status_code == 502
    assert gone.json()["type"] == "urn:doxwatch:problem:url-not-fetched"
    assert "HTTP 404" in gone.json()["detail"]
    assert bare.status_code == 422 and bare.json()["type"] == "urn:doxwatch:problem:no-text"
    assert empty.status_code == 422 and "at least one of" in empty.json()["detail"]
    assert not_image.status_code == 415
    assert await published_posts(sqlite_url) == []


async def test_screenshot_is_read_by_ocr_and_kept_as_evidence(
    collector: LiveServer, sqlite_url: str
) -> None:
    png = render_screenshot(SCREENSHOT_LINES)
    async with collector.client(ADMIN) as c:
        r = await c.post(
            "/api/v1/reports",
            json={
                "platform": "instagram",
                "reported_by": "team Oost",
                "attachments": [
                    {"filename": "shot.png", "data_base64": base64.b64encode(png).decode()}
                ],
            },
        )
        assert r.status_code == 202, r.text
        body = r.json()
        shot = body["evidence"][0]
        raw = await c.get(f"/api/v1/evidence/{shot['sha256']}")
    assert body["status"] == "accepted" and body["text_sources"] == ["ocr"]
    assert shot["kind"] == EvidenceKind.SCREENSHOT.value and shot["media_type"] == "image/png"
    assert raw.content == png
    (post,) = await published_posts(sqlite_url)
    assert "Kastanjelaan 27" in post.text
    assert "3512 XZ Utrecht" in post.text
    assert "agent" in post.text


async def test_without_tesseract_reports_wait_for_ocr_and_are_not_lost(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer], tmp_path: Path
) -> None:
    png = render_screenshot(SCREENSHOT_LINES)
    missing = str(tmp_path / "no-tesseract-here")
    app = collector_app(sqlite_url, tesseract_cmd=missing)
    async with live_server(app) as srv, srv.client(ADMIN) as c:
        ready = await c.get("/readyz")
        r = await c.post(
            "/api/v1/reports",
            json={
                "text": "zie screenshot",
                "attachments": [{"data_base64": base64.b64encode(png).decode()}],
            },
        )
        parked = r.json()
        status = (await c.get(f"/api/v1/reports/{parked['id']}")).json()
    # Still ready (reports come in), but the check says OCR is missing.
    assert ready.status_code == 200
    assert ready.json()["checks"]["ocr"].startswith("degraded: OCR unavailable")
    assert r.status_code == 202 and parked["status"] == "waiting_for_ocr"
    assert status["status"] == "waiting_for_ocr" and status["post_id"] is None
    assert await published_posts(sqlite_url) == []
    # Tesseract appears (here: the real one): the parked report becomes a post, same id.
    async with open_runtime(settings_for(sqlite_url)) as rt:
        assert await reports.process_pending(rt, Ocr(missing)) == 0
        assert await reports.process_pending(rt, Ocr("tesseract")) == 1
        done = await reports.status(rt, parked["id"])
    assert done.status == "processed" and done.post_id == parked["id"]
    (post,) = await published_posts(sqlite_url)
    assert post.id == parked["id"]
    assert post.text.startswith("zie screenshot\n\n")
    assert "Kastanjelaan 27" in post.text
    assert post.evidence[0].kind is EvidenceKind.SCREENSHOT

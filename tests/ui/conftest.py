"""Console fixtures: a live alert service with invented data, and headless Chromium.

Every name, address, handle and URL here is invented. The browser is Debian's
``chromium`` driven by Playwright; when it is missing the tests fail (they never skip),
so CI cannot pass without them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from services.alerts.app import ROUTERS, WORKERS
from services.alerts.incidents import service as incidents
from services.alerts.models import PostRecord
from services.alerts.registry import service as registry
from services.alerts.registry.hashing import RegistryKey
from services.alerts.registry.schemas import OfficerIn, PersonalDataIn
from services.alerts.review import service as review
from services.alerts.review.schemas import ReviewIn
from services.bus import Bus, Record
from services.config import load_settings
from services.db import make_engine, session_factory, transaction, utcnow
from services.events import Decision, Span, SpanLabel
from services.runtime import open_runtime
from services.security import Principal, Role, issue_token
from services.web import create_app
from tests import factories
from tests.conftest import LiveServer

CHROMIUM = os.environ.get("DOXWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Looked up at import: the fixtures are async and should not touch the disk.
HAVE_CHROMIUM = Path(CHROMIUM).is_file()
AXE_SOURCE = AXE.read_text(encoding="utf-8") if AXE.is_file() else None
ADMIN = "admin-token-for-console-tests"
REGISTRY_KEY = "an-invented-registry-key-for-console-tests-0123456789"

ADDRESS_A = "Lindelaan 14, 3581 KR Utrecht"
ADDRESS_B = "Wilgenhof 7, 6811 AB Arnhem"
XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> woont op '


@dataclass
class Console:
    """The running console and the invented data in it."""

    url: str
    db_url: str
    tokens: dict[str, str]
    incidents: dict[str, str]
    posts: dict[str, str] = field(default_factory=dict)


class _NoBus:
    """Seeding publishes review feedback nowhere."""

    async def publish(self, topic: str, records: list[Record]) -> None:
        return None


def _span(text: str, value: str, label: SpanLabel) -> Span:
    start = text.index(value)
    return Span(start=start, end=start + len(value), label=label, normalized=value.lower())


async def seed(db_url: str) -> Console:
    """Officers, tokens, posts and incidents for the console tests (all invented)."""
    engine = make_engine(db_url)
    key = RegistryKey(REGISTRY_KEY)
    rules = incidents.Rules(window=timedelta(hours=72), registry=key)
    now = utcnow()
    tokens: dict[str, str] = {"admin": ADMIN}
    found: dict[str, str] = {}
    posts: dict[str, str] = {}
    async with transaction(session_factory(engine)) as s:
        _, tokens["officer_a"] = await registry.register(
            s,
            key,
            OfficerIn(
                display_name="Agent Jansen (fictief)",
                personal_data=[PersonalDataIn(type=SpanLabel.ADDRESS, value=ADDRESS_A)],
            ),
            "seed",
        )
        _, tokens["officer_b"] = await registry.register(
            s,
            key,
            OfficerIn(
                display_name="Agent de Vries (fictief)",
                personal_data=[PersonalDataIn(type=SpanLabel.ADDRESS, value=ADDRESS_B)],
            ),
            "seed",
        )
        _, tokens["analyst"] = await issue_token(s, "analist Bakker", Role.ANALYST)
        _, tokens["integration"] = await issue_token(s, "koppeling", Role.INTEGRATION)

        text_a = f"die wout woont op {ADDRESS_A}. we wachten hem vanavond op"
        text_b = f"wie kent deze agent? ze woont op {ADDRESS_B}, deel dit"
        text_x = XSS + "Dorpsstraat 3, 9999 ZZ Nergenshuizen https://evil.example.org/x"
        verdicts = [
            factories.verdict(
                threat=True,
                personal_data=True,
                text=text_a,
                platform="x",
                url="https://x.example.org/u/status/101",
                author="@anoniem_01",
                spans=[_span(text_a, ADDRESS_A, SpanLabel.ADDRESS)],
                received_at=now - timedelta(hours=5),
            ),
            factories.verdict(
                doxing_call=True,
                personal_data=True,
                text=text_b,
                platform="telegram",
                url="https://t.example.org/kanaal/202",
                spans=[_span(text_b, ADDRESS_B, SpanLabel.ADDRESS)],
                received_at=now - timedelta(hours=30),
            ),
            factories.verdict(
                doxing_call=True,
                text=text_x,
                platform="forum",
                url="https://forum.example.org/t/303",
                received_at=now - timedelta(hours=2),
            ),
        ]
        for day in range(1, 10):
            verdicts.append(
                factories.verdict(
                    threat=day % 2 == 0,
                    doxing_call=day % 3 == 0,
                    personal_data=day % 2 == 1,
                    platform=("x", "tiktok", "forum")[day % 3],
                    url=f"https://x.example.org/u/status/{900 + day}",
                    received_at=now - timedelta(days=day, hours=1),
                )
            )
        result = await incidents.ingest(s, verdicts, rules)
        await s.flush()
        by_post = {v.post_id: v for v in verdicts}
        posts = {"a": verdicts[0].post_id, "b": verdicts[1].post_id, "xss": verdicts[2].post_id}
        for incident in result.opened:
            await s.refresh(incident, ["posts"])
            ids = {p.id for p in incident.posts}
            for name, pid in posts.items():
                if pid in ids:
                    found[name] = incident.id
        # Older flags were reviewed, so the dashboard has review times to draw.
        analyst = Principal(token_id=0, name="analist Bakker", role=Role.ANALYST)
        for pid in list(by_post)[3:8]:
            record = await s.get(PostRecord, pid)
            assert record is not None
            await review.review(
                s, cast(Bus, _NoBus()), record, ReviewIn(decision=Decision.CONFIRM), analyst
            )
    await engine.dispose()
    return Console(url="", db_url=db_url, tokens=tokens, incidents=found, posts=posts)


def console_app(db_url: str, **overrides: Any) -> FastAPI:
    """The alert service app as `doxwatch alerts` builds it, on the test database."""
    settings = load_settings(
        database_url=db_url, admin_token=ADMIN, registry_key=REGISTRY_KEY, **overrides
    )
    return create_app(
        lambda: open_runtime(settings),
        title="Doxwatch (console test)",
        routers=ROUTERS,
        workers=WORKERS,
        max_body_bytes=settings.max_body_bytes,
    )


@pytest.fixture
async def console(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> AsyncIterator[Console]:
    """A live console on 127.0.0.1 over a seeded database."""
    data = await seed(sqlite_url)
    async with live_server(console_app(sqlite_url)) as srv:
        data.url = srv.url
        yield data


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium; fails (never skips) when it is not installed."""
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            await b.close()


async def sign_in(page: Page, base: str, token: str) -> None:
    """Sign in through the form, as a person would."""
    await page.goto(base + "/login")
    await page.fill("#token", token)
    await page.click("form.login button[type=submit]")
    await page.wait_for_load_state("domcontentloaded")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page."""
    if AXE_SOURCE is None:
        pytest.fail(f"{AXE} is missing: run `npm ci` (.ci/run does)")
    # Evaluated over the DevTools protocol: the page's CSP (rightly) refuses script tags.
    await page.evaluate(AXE_SOURCE)
    result: dict[str, Any] = await page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]

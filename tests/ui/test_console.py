"""The analyst console in headless Chromium against a live alert service (invented data)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy import select

from services.alerts.models import PostRecord, Review, ReviewStatus
from services.alerts.ui.models import ConsoleSession
from services.db import make_engine, session_factory
from tests.ui.conftest import Console, axe_violations, sign_in

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


async def _review_rows(db_url: str, post_id: str) -> tuple[ReviewStatus | None, list[str]]:
    engine = make_engine(db_url)
    async with session_factory(engine)() as s:
        post = await s.get(PostRecord, post_id)
        decisions = list(await s.scalars(select(Review.decision).where(Review.post_id == post_id)))
    await engine.dispose()
    assert post is not None
    return post.review_status, decisions


async def test_analyst_reviews_with_keyboard_opens_incident_and_signs_out(
    console: Console, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await sign_in(page, console.url, console.tokens["analyst"])
    await expect(page).to_have_url(console.url + "/queue")
    assert await page.evaluate("typeof window.htmx") == "object", "htmx not served (npm ci?)"

    cookie = next(c for c in await context.cookies() if c["name"] == "dxw_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # Most severe, then oldest first: both registry matches are critical; B's is older.
    first = page.locator("#queue .post-card").first
    await expect(first.locator("mark.span-ADDRESS")).to_have_text("Wilgenhof 7, 6811 AB Arnhem")
    await expect(first).to_contain_text("t.example.org/kanaal/202")
    await expect(first).to_contain_text("W*******f")  # the registry match, masked
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(DOCS_IMG / "queue.png"), full_page=False)

    # j focuses the first post, c confirms it; htmx swaps it out of the pending queue.
    before = await page.locator("#queue .post-card").count()
    await page.keyboard.press("j")
    await expect(first).to_be_focused()
    target = console.posts["b"]
    await page.keyboard.press("c")
    await expect(page.locator(f"#post-{target}.reviewed-note")).to_be_visible()
    await expect(page.locator("#queue .post-card")).to_have_count(before - 1)
    assert await _review_rows(console.db_url, target) == (ReviewStatus.CONFIRMED, ["confirm"])
    await page.reload()
    await expect(page.locator(f"#post-{target}")).to_have_count(0)

    # d asks a reason: the field gets focus, Enter dismisses.
    second = page.locator("#queue .post-card").first
    second_id = (await second.get_attribute("id") or "").removeprefix("post-")
    await page.keyboard.press("j")
    await page.keyboard.press("d")
    reason = second.locator("input[name=reason]")
    await expect(reason).to_be_focused()
    await reason.fill("nieuwsbericht, geen oproep")
    await reason.press("Enter")
    await expect(page.locator(f"#post-{second_id}.reviewed-note")).to_be_visible()
    assert await _review_rows(console.db_url, second_id) == (ReviewStatus.DISMISSED, ["dismiss"])

    # o opens the incident of the focused post.
    await page.keyboard.press("j")
    await page.keyboard.press("o")
    await page.wait_for_url(console.url + "/incidents/*")
    await expect(page.locator("h1")).to_be_visible()

    # The incident of officer A: tasks, officer, status change, timeline, audit trail.
    await page.goto(console.url + "/incidents/" + console.incidents["a"])
    await expect(page.locator("#officer-h + ul")).to_contain_text("Agent Jansen (fictief)")
    await expect(page.locator("#notices")).to_be_visible()
    await page.select_option("#to-status", "triage")
    await page.click(".status-form button[type=submit]")
    await expect(page.locator("#incident-status")).to_contain_text("triage")
    await page.fill("#edit-assignee", "analist.oost")
    await page.fill("#edit-tags", "gtpa, oost, gtpa")
    await page.select_option("#edit-severity", "high")
    await page.click(".edit-form button[type=submit]")
    await expect(page.locator("#edit-assignee")).to_have_value("analist.oost")
    await expect(page.locator("#edit-tags")).to_have_value("gtpa, oost")
    await expect(page.locator(".timeline")).to_contain_text("updated")
    await page.locator(".tasks form.inline button").first.click()
    await expect(page.locator(".tasks .task-done").first).to_be_visible()
    await expect(page.locator(".trail")).to_contain_text("incident.status")
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(DOCS_IMG / "incident.png"), full_page=False)

    # Draft a DSA notice, edit it (a new revision), export it, mark it sent.
    await page.select_option("#notice-kind", "dsa_notice")
    await page.select_option("#notice-lang", "nl")
    await page.click(".notice-form button[type=submit]")
    await page.wait_for_url(console.url + "/notices/*")
    preview = page.locator("#notice-preview")
    await expect(preview).to_contain_text("art. 6:196c BW")
    await expect(preview).not_to_contain_text("Wilgenhof 7")  # the leaked address, never
    text = await page.locator("#notice-text").input_value()
    await page.fill("#notice-text", text + "\n\nMet vriendelijke groet, team Oost (fictief)")
    await page.click(".notice-editor button[type=submit]")
    await expect(preview).to_contain_text("team Oost (fictief)")
    async with page.expect_download() as download_info:
        await page.click("#export-pdf")
    download = await download_info.value
    pdf = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert pdf.startswith(b"%PDF") and download.suggested_filename.endswith(".pdf")
    await page.select_option("#notice-to", "sent")
    await page.click(".notice-status button[type=submit]")
    await expect(page.locator("#notice-status")).to_contain_text("sent")
    await expect(page.locator("#notice-text")).to_have_count(0)  # sent: no longer editable

    # Dashboard: pictures (SVG bars) with hover titles and the numbers beside them.
    await page.goto(console.url + "/dashboard")
    charts = page.locator("figure.chart svg")
    assert await charts.count() >= 5
    assert await page.locator("figure.chart-flags rect title").count() > 0
    await expect(page.locator("figure.chart-review figcaption")).to_contain_text("mediaan")
    await page.screenshot(path=str(DOCS_IMG / "dashboard.png"), full_page=True)

    # Sign out: the cookie goes, the session row goes, pages send us to /login.
    await page.click("#signout")
    await expect(page).to_have_url(console.url + "/login")
    assert not [c for c in await context.cookies() if c["name"] == "dxw_session"]
    await page.goto(console.url + "/queue")
    await expect(page).to_have_url(console.url + "/login")
    engine = make_engine(console.db_url)
    async with session_factory(engine)() as s:
        assert list(await s.scalars(select(ConsoleSession))) == []
    await engine.dispose()
    await context.close()


async def test_officer_sees_only_own_incidents_masked(console: Console, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, console.url, console.tokens["officer_a"])
    await expect(page).to_have_url(console.url + "/my")
    links = page.locator(".incident-list a")
    await expect(links).to_have_count(1)
    await expect(page.locator(".support")).to_contain_text("fictief")
    await links.first.click()
    await expect(page).to_have_url(console.url + "/incidents/" + console.incidents["a"])
    text = page.locator(".post-text").first
    await expect(text).not_to_contain_text("Lindelaan 14")  # masked for the officer
    await expect(page.locator("body")).not_to_contain_text("Agent de Vries")
    await expect(page.locator("#notices")).to_have_count(0)

    # Another officer's incident does not exist for this officer.
    resp = await page.goto(console.url + "/incidents/" + console.incidents["b"])
    assert resp is not None and resp.status == 404
    await expect(page.locator("body")).not_to_contain_text("Wilgenhof")
    # Staff pages are refused.
    for path in ("/queue", "/dashboard", "/registry", "/audit"):
        resp = await page.goto(console.url + path)
        assert resp is not None and resp.status == 403, path
    await context.close()


async def test_hostile_post_renders_as_text(console: Console, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, console.url, console.tokens["analyst"])
    resp = await page.goto(console.url + "/incidents/" + console.incidents["xss"])
    assert resp is not None
    headers = resp.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    post = page.locator(f"#post-{console.posts['xss']} .post-text")
    await expect(post).to_contain_text("<script>window.pwned=1</script>")
    await expect(post).to_contain_text('<img src=x onerror="window.pwned=2">')
    assert await post.locator("img, script, a").count() == 0
    assert await page.evaluate("typeof window.pwned") == "undefined"
    # The post's link is text; the anchor exists only inside the closed "show link" control.
    card = page.locator(f"#post-{console.posts['xss']}")
    await expect(card.locator("code.url")).to_have_text("https://forum.example.org/t/303")
    anchor = card.locator("details.open-link a")
    await expect(anchor).to_be_hidden()
    assert await anchor.get_attribute("rel") == "noopener noreferrer nofollow"
    assert await page.locator("img").count() == 0
    await context.close()


async def test_csrf_roles_and_revocation(console: Console, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, console.url, console.tokens["analyst"])
    session = next(c for c in await context.cookies() if c["name"] == "dxw_session")
    cookies = {"dxw_session": session["value"]}
    async with httpx.AsyncClient(base_url=console.url, cookies=cookies) as c:
        target = f"/queue/{console.posts['a']}/review"
        refused = await c.post(target, data={"decision": "confirm"})
        assert refused.status_code == 403
        wrong = await c.post(target, data={"decision": "confirm", "csrf": "guess"})
        assert wrong.status_code == 403
        assert (await _review_rows(console.db_url, console.posts["a"]))[1] == []
        assert (await c.post("/logout")).status_code == 403
    # Integration tokens may not sign in; unknown tokens get the form again with 401.
    other = await browser.new_page()
    await other.goto(console.url + "/login")
    await other.fill("#token", console.tokens["integration"])
    async with other.expect_response(console.url + "/login") as info:
        await other.click("form.login button[type=submit]")
    assert (await info.value).status == 403
    # Revoking the token ends the console session.
    async with httpx.AsyncClient(base_url=console.url) as api:
        listed = await api.get(
            "/api/v1/tokens", headers={"Authorization": f"Bearer {console.tokens['admin']}"}
        )
        body = listed.json()
        items = body if isinstance(body, list) else body["items"]
        analyst = next(t for t in items if t["name"] == "analist Bakker")
        gone = await api.delete(
            f"/api/v1/tokens/{analyst['id']}",
            headers={"Authorization": f"Bearer {console.tokens['admin']}"},
        )
        assert gone.status_code in (200, 204)
    await page.goto(console.url + "/queue")
    await expect(page).to_have_url(console.url + "/login")
    await context.close()


async def test_english_and_registry_write_only(console: Console, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, console.url, console.tokens["admin"])
    await page.goto(console.url + "/registry?lang=en")
    await expect(page.locator("h1")).to_have_text("Registry")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await page.fill("#r-name", "Agent Visser (fictief)")
    await page.select_option("#r-type", "PHONE")
    await page.fill("#r-value", "06 12345678")
    await page.click("form.stack button[type=submit]")
    await expect(page.locator("#new-token")).to_be_visible()
    body = page.locator("body")
    await expect(body).to_contain_text("Agent Visser (fictief)")
    await expect(body).not_to_contain_text("06 12345678")
    await expect(body).not_to_contain_text("0612345678")
    await expect(body).not_to_contain_text("Lindelaan 14")
    # The language sticks (cookie) on the next page.
    await page.goto(console.url + "/dashboard")
    await expect(page.locator("h1")).to_have_text("Dashboard")
    await context.close()


async def test_accessibility_and_keyboard_reach(console: Console, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(console.url + "/login")
    assert await axe_violations(page) == []
    await sign_in(page, console.url, console.tokens["admin"])
    for path in (
        "/queue",
        "/incidents/" + console.incidents["a"],
        "/incidents",
        "/dashboard",
        "/registry",
        "/audit",
    ):
        await page.goto(console.url + path)
        assert await axe_violations(page) == [], path

    # Every visible control on the queue is reachable with Tab.
    await page.goto(console.url + "/queue")
    controls = 'a[href], button, input:not([type=hidden]), select, summary, [tabindex="0"]'
    wanted = await page.evaluate(
        f"() => Array.from(document.querySelectorAll('{controls}'))"
        ".filter(e => e.checkVisibility()).length"
    )
    for _ in range(wanted * 2 + 5):
        await page.keyboard.press("Tab")
        await page.evaluate("() => { document.activeElement.dataset.reached = '1'; }")
    missed = await page.evaluate(
        f"() => Array.from(document.querySelectorAll('{controls}'))"
        ".filter(e => e.checkVisibility() && !e.dataset.reached)"
        ".map(e => e.outerHTML.slice(0, 120))"
    )
    assert wanted > 20
    assert missed == []
    await context.close()

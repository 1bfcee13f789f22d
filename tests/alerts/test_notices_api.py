"""The notices and platforms API over real HTTP, with a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from pypdf import PdfReader

from services.alerts.app import ROUTERS, WORKERS
from services.bus.tansu import free_port
from services.config import load_settings
from services.db import make_engine, session_factory, transaction, utcnow
from services.runtime import open_runtime
from services.web import create_app
from tests.alerts.notice_data import FORBIDDEN, URL_1, URL_2, stored_incident
from tests.conftest import LiveServer

ADMIN = "admin-token-for-notices-tests"


class _Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _app(url: str, **overrides: Any) -> FastAPI:
    settings = load_settings(
        database_url=url,
        admin_token=ADMIN,
        registry_key="registry-key-for-notices-tests-0123456789",
        **overrides,
    )
    return create_app(
        lambda: open_runtime(settings),
        title="Doxwatch (notices test)",
        routers=ROUTERS,
        workers=WORKERS,
        max_body_bytes=settings.max_body_bytes,
    )


async def _seed(url: str) -> str:
    engine = make_engine(url)
    async with transaction(session_factory(engine)) as session:
        incident = await stored_incident(session)
        incident_id = incident.id
    await engine.dispose()
    return incident_id


@pytest.fixture
async def seeded(sqlite_url: str) -> AsyncIterator[tuple[str, str]]:
    yield sqlite_url, await _seed(sqlite_url)


async def _token(server: LiveServer, role: str) -> str:
    async with server.client(ADMIN) as admin:
        if role == "officer":  # an officer token belongs to a registered officer
            officer = await admin.post("/api/v1/officers", json={"display_name": "Agent Test"})
            assert officer.status_code == 201, officer.text
            officer_token: str = officer.json()["token"]
            return officer_token
        made = await admin.post("/api/v1/tokens", json={"name": f"{role}-1", "role": role})
        assert made.status_code == 201
        token: str = made.json()["token"]
        return token


def _problem(response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:doxwatch:problem:{slug}"


async def test_roles(seeded: tuple[str, str], live_server: Callable[[FastAPI], LiveServer]) -> None:
    url, incident_id = seeded
    async with live_server(_app(url)) as srv:
        officer = await _token(srv, "officer")
        integration = await _token(srv, "integration")
        analyst = await _token(srv, "analyst")
        path = f"/api/v1/incidents/{incident_id}/notices"
        async with srv.client(officer) as c:
            _problem(await c.post(path, json={"kind": "dsa_notice"}), 403, "forbidden")
            _problem(await c.get(path), 403, "forbidden")
            _problem(await c.get("/api/v1/platforms"), 403, "forbidden")
        async with srv.client(integration) as c:
            assert (await c.get(path)).status_code == 200
            _problem(await c.post(path, json={"kind": "dsa_notice"}), 403, "forbidden")
        async with srv.client(analyst) as c:
            assert len((await c.get("/api/v1/platforms")).json()) >= 10
            new = {"id": "bluesky", "name": "Bluesky"}
            _problem(await c.post("/api/v1/platforms", json=new), 403, "forbidden")
            _problem(await c.patch("/api/v1/platforms/x", json={"notes": "n"}), 403, "forbidden")
        async with srv.client() as anonymous:
            _problem(await anonymous.get(path), 401, "unauthenticated")


async def test_platform_directory_is_edited_by_admins(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    async with live_server(_app(sqlite_url)) as srv, srv.client(ADMIN) as c:
        made = await c.post(
            "/api/v1/platforms",
            json={
                "id": "bluesky",
                "name": "Bluesky",
                "dsa_contact_url": "https://example.invalid/dsa-form",
                "language": "en",
            },
        )
        assert made.status_code == 201 and made.json()["updated_by"].startswith("admin")
        _problem(
            await c.post("/api/v1/platforms", json={"id": "bluesky", "name": "B"}),
            409,
            "platform-exists",
        )
        patched = await c.patch(
            "/api/v1/platforms/x",
            json={"dsa_contact_email": "dsa@x.example", "contact_verified": True, "name": None},
        )
        assert patched.status_code == 200
        body = patched.json()
        assert body["dsa_contact_email"] == "dsa@x.example" and body["contact_verified"] is True
        assert body["name"] == "X (Twitter)"  # a required field sent as null is left alone
        assert (await c.get("/api/v1/platforms/x")).json()["dsa_contact_email"] == "dsa@x.example"
        _problem(await c.get("/api/v1/platforms/nope"), 404, "platform-not-found")
        bad = await c.post("/api/v1/platforms", json={"id": "Not A Slug", "name": "x"})
        _problem(bad, 422, "validation")


async def test_notice_life_over_http_with_smtp(
    seeded: tuple[str, str],
    live_server: Callable[[FastAPI], LiveServer],
    smtp: tuple[int, _Inbox],
) -> None:
    url, incident_id = seeded
    port, inbox = smtp
    app = _app(url, smtp_host="127.0.0.1", smtp_port=port, smtp_from="doxwatch@politie.example")
    async with live_server(app) as srv:
        analyst = await _token(srv, "analyst")
        async with srv.client(analyst) as c:
            created = await c.post(
                f"/api/v1/incidents/{incident_id}/notices",
                json={"kind": "dsa_notice", "language": "en", "recipient": "dsa@x.example"},
            )
            assert created.status_code == 201, created.text
            notice = created.json()
            nid = notice["id"]
            assert notice["status"] == "draft" and notice["created_by"] == "analyst-1"
            assert URL_1 in notice["body"] and URL_2 in notice["body"]
            assert notice["reference"].startswith("DXW-")
            assert [r["number"] for r in notice["revisions"]] == [1]
            for value in FORBIDDEN:
                assert value.casefold() not in notice["body"].casefold()

            listed = (await c.get(f"/api/v1/incidents/{incident_id}/notices")).json()
            assert [n["id"] for n in listed] == [nid]

            edited = await c.patch(
                f"/api/v1/notices/{nid}",
                json={"body": notice["body"].replace("Dear Sir or Madam", "Dear DSA team")},
            )
            assert edited.status_code == 200
            assert [r["reason"] for r in edited.json()["revisions"]] == ["drafted", "edited"]
            leak = await c.patch(
                f"/api/v1/notices/{nid}", json={"body": notice["body"] + "\nGH-123-K\n"}
            )
            _problem(leak, 422, "notice-contains-personal-data")
            assert "GH-123-K" not in leak.json()["detail"]

            for fmt, media in (
                ("md", "text/markdown"),
                ("txt", "text/plain"),
                ("pdf", "application/pdf"),
                ("eml", "message/rfc822"),
            ):
                r = await c.get(f"/api/v1/notices/{nid}/export", params={"format": fmt})
                assert r.status_code == 200, r.text
                assert r.headers["content-type"].startswith(media)
                assert f".{fmt}" in r.headers["content-disposition"]
                if fmt == "pdf":
                    pages = PdfReader(io.BytesIO(r.content)).pages
                    text = " ".join(" ".join(p.extract_text() for p in pages).split())
                    assert URL_1 in text and "art. 285 Sr" in text
            _problem(
                await c.get(f"/api/v1/notices/{nid}/export", params={"format": "docx"}),
                422,
                "validation",
            )

            sent = await c.post(f"/api/v1/notices/{nid}/send")
            assert sent.status_code == 200, sent.text
            body = sent.json()
            assert body["status"] == "sent" and body["sent_via"] == "smtp"
            assert len(body["evidence"]) == 1
            evidence = body["evidence"][0]
            assert evidence["media_type"] == "message/rfc822" and len(evidence["sha256"]) == 64

            assert len(inbox.messages) == 1
            mail_from, rcpts, raw = inbox.messages[0]
            assert mail_from == "doxwatch@politie.example" and rcpts == ["dsa@x.example"]
            received = email.message_from_bytes(raw, policy=email.policy.default)
            assert received["Message-ID"].strip() == evidence["message_id"]
            assert received["X-Unsent"] is None
            assert received["Subject"].startswith("Notice of illegal content (Art. 16 DSA)")
            part = received.get_body(preferencelist=("plain",))
            assert part is not None and "Dear DSA team" in part.get_content()

            _problem(await c.post(f"/api/v1/notices/{nid}/send"), 409, "invalid-notice-transition")
            _problem(
                await c.patch(f"/api/v1/notices/{nid}", json={"body": "x"}),
                409,
                "notice-not-editable",
            )
            ack = await c.post(f"/api/v1/notices/{nid}/status", json={"status": "acknowledged"})
            assert ack.json()["status"] == "acknowledged"
            removed = await c.post(
                f"/api/v1/notices/{nid}/status",
                json={
                    "status": "content_removed",
                    "answer": "We removed the post.",
                    "statement_of_reasons_ref": "SOR-2026-000123",
                },
            )
            assert removed.json()["status"] == "content_removed"
            assert removed.json()["statement_of_reasons_ref"] == "SOR-2026-000123"
            assert removed.json()["events"][-1]["answer"] == "We removed the post."
            _problem(
                await c.post(f"/api/v1/notices/{nid}/status", json={"status": "no_answer"}),
                422,
                "validation",
            )

            order = (
                await c.post(
                    f"/api/v1/incidents/{incident_id}/notices", json={"kind": "order_125p"}
                )
            ).json()
            blocked = await c.post(f"/api/v1/notices/{order['id']}/status", json={"status": "sent"})
            _problem(blocked, 409, "judge-authorisation-missing")
            _problem(
                await c.post(f"/api/v1/notices/{order['id']}/send"),
                409,
                "notice-not-sendable-by-email",
            )

            timeline = (await c.get(f"/api/v1/incidents/{incident_id}")).json()["timeline"]
            kinds = [e["kind"] for e in timeline]
            for kind in (
                "notice_created",
                "notice_edited",
                "notice_sent",
                "notice_content_removed",
            ):
                assert kind in kinds
            assert {e["actor"] for e in timeline if e["kind"].startswith("notice_")} == {
                "analyst-1"
            }
            _problem(await c.get("/api/v1/notices/nope"), 404, "notice-not-found")
            _problem(
                await c.post("/api/v1/incidents/nope/notices", json={"kind": "aangifte"}),
                404,
                "incident-not-found",
            )


async def test_closing_as_content_removed_needs_a_recorded_removal(
    seeded: tuple[str, str], live_server: Callable[[FastAPI], LiveServer]
) -> None:
    url, incident_id = seeded
    close = {"status": "closed", "resolution": "content_removed"}
    async with live_server(_app(url)) as srv, srv.client(ADMIN) as c:
        refused = await c.post(f"/api/v1/incidents/{incident_id}/status", json=close)
        _problem(refused, 409, "invalid-transition")
        assert "recorded removal" in refused.json()["detail"]
        nid = (
            await c.post(f"/api/v1/incidents/{incident_id}/notices", json={"kind": "sommatie"})
        ).json()["id"]
        for status in ("sent", "content_removed"):
            r = await c.post(f"/api/v1/notices/{nid}/status", json={"status": status})
            assert r.status_code == 200, r.text
        closed = await c.post(f"/api/v1/incidents/{incident_id}/status", json=close)
        assert closed.status_code == 200, closed.text
        assert (closed.json()["status"], closed.json()["resolution"]) == (
            "closed",
            "content_removed",
        )


async def test_send_without_smtp_is_refused(
    seeded: tuple[str, str], live_server: Callable[[FastAPI], LiveServer]
) -> None:
    url, incident_id = seeded
    async with live_server(_app(url)) as srv, srv.client(ADMIN) as c:
        notice = (
            await c.post(
                f"/api/v1/incidents/{incident_id}/notices",
                json={"kind": "sommatie", "recipient": "dsa@x.example"},
            )
        ).json()
        _problem(await c.post(f"/api/v1/notices/{notice['id']}/send"), 409, "email-not-configured")


async def test_worker_moves_overdue_notices(
    seeded: tuple[str, str], live_server: Callable[[FastAPI], LiveServer]
) -> None:
    url, incident_id = seeded
    async with live_server(_app(url, notice_check_interval_s=0.2)) as srv, srv.client(ADMIN) as c:
        deadline = (utcnow() + timedelta(seconds=2)).isoformat()
        notice = (
            await c.post(
                f"/api/v1/incidents/{incident_id}/notices",
                json={"kind": "removal_request", "deadline": deadline},
            )
        ).json()
        sent = await c.post(f"/api/v1/notices/{notice['id']}/status", json={"status": "sent"})
        assert sent.json()["status"] == "sent"
        for _ in range(100):
            status = (await c.get(f"/api/v1/notices/{notice['id']}")).json()["status"]
            if status == "no_answer":
                break
            await asyncio.sleep(0.1)
        assert status == "no_answer"
        timeline = (await c.get(f"/api/v1/incidents/{incident_id}")).json()["timeline"]
        assert [e["kind"] for e in timeline].count("notice_overdue") == 1


async def test_openapi_declares_the_notice_problems(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    async with live_server(_app(sqlite_url)) as srv, srv.client() as c:
        spec = (await c.get("/openapi.json")).json()
    send = spec["paths"]["/api/v1/notices/{notice_id}/send"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "422", "502"} <= set(send)
    assert "/api/v1/platforms/{platform_id}" in spec["paths"]

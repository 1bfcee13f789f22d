"""Real receivers for delivery tests (an SMTP server, an HTTP endpoint) and seed data.

Every personal detail here is invented (example.org / politie.example, fictional
address and names).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.delivery import service
from services.alerts.models import Incident, IncidentOfficer, Officer, PostRecord, Severity
from services.bus.tansu import free_port
from services.config import Settings
from services.db import make_engine, session_factory, transaction, utcnow
from services.personal_data import mask

ADDRESS = "Kerkstraat 12, 1234 AB Utrecht"
MASKED_ADDRESS = mask("ADDRESS", ADDRESS)
POST_TEXT = f"die wout woont op {ADDRESS}. we wachten hem vanavond op"
PLAINTEXT_FRAGMENTS = ("Kerkstraat", "1234 AB", "1234AB", "Utrecht", "wachten hem")
OFFICER_EMAIL = "a.de.vries@politie.example"
SECRET = "whsec_test-secret-of-an-invented-officer"


# SMTP -----------------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message."""
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        self.raw.append(raw)
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.arrived.set()
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running SMTP server on 127.0.0.1."""

    host: str
    port: int
    inbox: Inbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) in its own thread, capturing messages."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


# HTTP -----------------------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A real HTTP server (stdlib, own threads) that records POSTs and answers with the
    scripted statuses in order, then ``default``. ``hold_first`` keeps the first request
    open without an answer until :meth:`stop`."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    hold_first: bool = False
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    got_request: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    first = not receiver.requests
                    receiver.requests.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                receiver.got_request.set()
                if first and receiver.hold_first:
                    receiver.release.wait(120)
                    return  # never answered: the connection just closes
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Release held requests and shut down."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


# Seed data ------------------------------------------------------------------------------


@dataclass
class Seeded:
    """An officer linked to an incident with one flagged post leaking their address."""

    officer: Officer
    incident: Incident
    post: PostRecord


def seed(
    session: AsyncSession,
    *,
    email: str | None = OFFICER_EMAIL,
    webhook_url: str | None = None,
    secret: str | None = SECRET,
    language: str = "nl",
    author: str | None = None,
) -> Seeded:
    """Add the rows (not flushed)."""
    now = utcnow()
    officer = Officer(
        id=str(uuid.uuid4()),
        display_name="A. de Vries (fictief)",
        email=email,
        webhook_url=webhook_url,
        webhook_secret=secret if webhook_url else None,
        language=language,
        active=True,
    )
    incident = Incident(
        id=str(uuid.uuid4()),
        title="Threat + personal data on x",
        severity=Severity.CRITICAL,
        threat=True,
        doxing_call=False,
        personal_data=True,
        group_url="https://x.example/someone/status/42",
        post_count=1,
        tags=[],
    )
    post = PostRecord(
        id=str(uuid.uuid4()),
        text=POST_TEXT,
        platform="x",
        url="https://x.example/someone/status/42",
        author=author,
        received_at=now - timedelta(minutes=2),
        classified_at=now - timedelta(minutes=1),
        threat=True,
        doxing_call=False,
        personal_data=True,
        score_threat=0.93,
        score_doxing_call=0.1,
        score_personal_data=0.88,
        spans=[{"start": 18, "end": 18 + len(ADDRESS), "label": "ADDRESS"}],
        officer_mentions=["wout"],
        explanation={},
        model_version="test-fixture",
        incident_id=incident.id,
    )
    session.add_all([officer, incident])
    session.add(post)
    session.add(
        IncidentOfficer(incident_id=incident.id, officer_id=officer.id, matched_types=["ADDRESS"])
    )
    return Seeded(officer, incident, post)


MATCHED = [("ADDRESS", MASKED_ADDRESS)]


async def enqueue_alert(settings: Settings, **seed_kw: Any) -> list[str]:
    """Seed an officer, incident and post in a committed transaction and enqueue an alert
    about it; the delivery ids."""
    engine = make_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            s = seed(session, **seed_kw)
            rows = await service.enqueue_officer_alert(
                session,
                settings,
                incident=s.incident,
                officer=s.officer,
                post=s.post,
                matched=MATCHED,
            )
            return [r.id for r in rows]
    finally:
        await engine.dispose()

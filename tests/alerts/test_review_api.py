"""Analyst review over real HTTP: the queue, decisions, Feedback events, export-feedback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from services.bus.local import BusLogRow
from services.classifier.corpus import CorpusRecord
from services.db import make_engine, session_factory
from services.events import FEEDBACK_TOPIC, Feedback, decode
from tests import factories
from tests.alerts.conftest import ADMIN, eventually, make_token, publish_verdicts
from tests.conftest import LiveServer, run_cli


async def _feedback(url: str) -> list[Feedback]:
    engine = make_engine(url)
    async with session_factory(engine)() as s:
        rows = (await s.scalars(select(BusLogRow).where(BusLogRow.topic == FEEDBACK_TOPIC))).all()
    await engine.dispose()
    return [decode(Feedback, r.value) for r in rows]


async def _queue(c: Any, **params: Any) -> list[dict[str, Any]]:
    r = await c.get("/api/v1/review/queue", params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_queue_orders_most_severe_then_oldest_and_filters(
    alerts: LiveServer, sqlite_url: str
) -> None:
    leak = "Lindelaan 14, 3581 KR Utrecht"
    text = f"die agent woont op {leak}, we wachten hem op"
    critical = factories.verdict(
        threat=True, personal_data=True, text=text, spans=[factories.address_span(text, leak)]
    )
    medium_old = factories.verdict(doxing_call=True, platform="telegram")
    medium_new = factories.verdict(doxing_call=True)
    unflagged = factories.verdict()
    await publish_verdicts(sqlite_url, [medium_old, medium_new, critical, unflagged])
    token = await make_token(alerts, "analyst")
    async with alerts.client(token) as c:

        async def three() -> list[dict[str, Any]] | None:
            items = await _queue(c)
            return items if len(items) == 3 else None

        items = await eventually(three)
        assert [i["post"]["id"] for i in items] == [
            critical.post_id,
            medium_old.post_id,
            medium_new.post_id,
        ]
        assert items[0]["incident_severity"] == "critical"
        assert items[0]["post"]["spans"][0]["label"] == "ADDRESS"
        assert [i["post"]["id"] for i in await _queue(c, platform="telegram")] == [
            medium_old.post_id
        ]
        assert [i["post"]["id"] for i in await _queue(c, label="threat")] == [critical.post_id]
        assert await _queue(c, status="confirmed") == []
        bad = await c.get("/api/v1/review/queue", params={"label": "nonsense"})
        assert bad.status_code == 422


async def test_decisions_are_stored_published_and_exported(
    alerts: LiveServer, sqlite_url: str, tmp_path: Path
) -> None:
    text = "ik weet waar die diender woont: Esdoornstraat 7 in Zwolle, kom maar op"
    confirm = factories.verdict(threat=True, text=text)
    dismiss = factories.verdict(doxing_call=True)
    correct = factories.verdict(threat=True)
    await publish_verdicts(sqlite_url, [confirm, dismiss, correct])
    token = await make_token(alerts, "analyst")
    async with alerts.client(token) as c:

        async def all_queued() -> bool:
            return len(await _queue(c)) == 3

        await eventually(all_queued)
        start = text.index("Esdoornstraat")
        r = await c.post(
            f"/api/v1/posts/{confirm.post_id}/review",
            json={
                "decision": "confirm",
                "spans": [
                    {"start": start, "end": start + len("Esdoornstraat 7"), "label": "ADDRESS"}
                ],
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["labels"] == {"threat": True, "doxing_call": False, "personal_data": False}
        no_reason = await c.post(
            f"/api/v1/posts/{dismiss.post_id}/review", json={"decision": "dismiss"}
        )
        assert no_reason.status_code == 422
        r = await c.post(
            f"/api/v1/posts/{dismiss.post_id}/review",
            json={"decision": "dismiss", "reason": "vraagt naar het bureau, niet naar een agent"},
        )
        assert r.json()["labels"] == {"threat": False, "doxing_call": False, "personal_data": False}
        need_labels = await c.post(
            f"/api/v1/posts/{correct.post_id}/review", json={"decision": "correct"}
        )
        assert need_labels.status_code == 422
        r = await c.post(
            f"/api/v1/posts/{correct.post_id}/review",
            json={
                "decision": "correct",
                "labels": {"doxing_call": True},
                "reason": "geen dreiging",
            },
        )
        assert r.status_code == 201
        outside = await c.post(
            f"/api/v1/posts/{correct.post_id}/review",
            json={"decision": "confirm", "spans": [{"start": 0, "end": 100_000, "label": "PHONE"}]},
        )
        assert outside.status_code == 422
        assert outside.json()["type"] == "urn:doxwatch:problem:invalid-request"
        assert (
            await c.post("/api/v1/posts/nope/review", json={"decision": "confirm"})
        ).status_code == 404
        assert await _queue(c) == []
        assert len(await _queue(c, status="confirmed")) == 2
        assert [i["post"]["id"] for i in await _queue(c, status="dismissed")] == [dismiss.post_id]
        post = (await c.get(f"/api/v1/posts/{correct.post_id}")).json()
        assert [x["decision"] for x in post["reviews"]] == ["correct"]
        incident = (await c.get(f"/api/v1/incidents/{post['incident_id']}")).json()
        assert "post_reviewed" in [e["kind"] for e in incident["timeline"]]

    feedback = await _feedback(sqlite_url)
    assert [(f.post_id, f.decision.value) for f in feedback] == [
        (confirm.post_id, "confirm"),
        (dismiss.post_id, "dismiss"),
        (correct.post_id, "correct"),
    ]
    assert feedback[0].spans[0].normalized.startswith("esdoornstraat 7")
    assert feedback[2].labels.doxing_call and not feedback[2].labels.threat

    out = tmp_path / "feedback.jsonl"
    done = await asyncio.to_thread(
        lambda: run_cli(
            "export-feedback",
            "-o",
            str(out),
            env={"DOXWATCH_DATABASE_URL": sqlite_url, "PATH": "/usr/bin:/bin"},
        )
    )
    assert done.returncode == 0, done.stderr
    assert "3 decisions exported" in done.stderr
    records = [
        CorpusRecord.model_validate(json.loads(line)) for line in out.read_text().splitlines()
    ]
    by_text = {r.text: r for r in records}
    exported = by_text[text]
    assert exported.labels.threat and [s.label for s in exported.spans] == ["ADDRESS"]
    assert text[exported.spans[0].start : exported.spans[0].end] == "Esdoornstraat 7"
    assert all(r.provenance["source"] == "review" for r in records)


async def test_integration_and_officer_tokens_cannot_review(alerts: LiveServer) -> None:
    token = await make_token(alerts, "integration")
    async with alerts.client(token) as c:
        assert (await c.get("/api/v1/review/queue")).status_code == 403
        r = await c.post("/api/v1/posts/x/review", json={"decision": "confirm"})
        assert r.status_code == 403
    async with alerts.client(ADMIN) as c:
        assert (await c.get("/api/v1/review/queue")).status_code == 200

"""Working an incident over real HTTP: every status transition, resolutions, fields, tasks."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select, update

from services.alerts.incidents.workflow import TRANSITIONS
from services.alerts.models import AuditEntry, Incident, IncidentStatus
from services.db import make_engine, session_factory
from tests import factories
from tests.alerts.conftest import ADMIN, eventually, make_token, publish_verdicts
from tests.conftest import LiveServer

STATUSES = [s.value for s in IncidentStatus]


async def _incident(server: LiveServer, url: str, **labels: Any) -> dict[str, Any]:
    verdict = factories.verdict(**labels)
    await publish_verdicts(url, [verdict])
    async with server.client(ADMIN) as c:

        async def find() -> dict[str, Any] | None:
            for item in (await c.get("/api/v1/incidents")).json()["items"]:
                detail = (await c.get(f"/api/v1/incidents/{item['id']}")).json()
                if any(p["id"] == verdict.post_id for p in detail["posts"]):
                    return dict(detail)
            return None

        found: dict[str, Any] = await eventually(find)
        return found


async def _set_status(url: str, incident_id: str, status: str) -> None:
    engine = make_engine(url)
    async with session_factory(engine)() as s, s.begin():
        await s.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(status=IncidentStatus(status), resolution=None, duplicate_of=None)
        )
    await engine.dispose()


def _body(to: str) -> dict[str, Any]:
    return {"status": to, "resolution": "no_action"} if to == "closed" else {"status": to}


async def test_every_transition_is_allowed_or_refused_as_the_handling_path_says(
    alerts: LiveServer, sqlite_url: str
) -> None:
    incident = await _incident(alerts, sqlite_url, threat=True)
    iid = incident["id"]
    checked = 0
    async with alerts.client(ADMIN) as c:
        for frm, to in itertools.product(STATUSES, STATUSES):
            await _set_status(sqlite_url, iid, frm)
            r = await c.post(f"/api/v1/incidents/{iid}/status", json=_body(to))
            allowed = IncidentStatus(to) in TRANSITIONS[IncidentStatus(frm)]
            if allowed:
                assert r.status_code == 200, (frm, to, r.text)
                assert r.json()["status"] == to
            else:
                assert r.status_code == 409, (frm, to, r.text)
                assert r.json()["type"] == "urn:doxwatch:problem:invalid-transition"
            checked += 1
    assert checked == 36
    # The forward path, spelled out.
    pairs = {(f.value, t.value) for f, targets in TRANSITIONS.items() for t in targets}
    assert pairs == {
        ("new", "triage"), ("triage", "confirmed"), ("confirmed", "in_action"),
        ("in_action", "monitoring"), ("monitoring", "in_action"), ("closed", "triage"),
        ("new", "closed"), ("triage", "closed"), ("confirmed", "closed"),
        ("in_action", "closed"), ("monitoring", "closed"),
    }  # fmt: skip


async def test_walk_the_path_close_and_reopen_with_timeline_and_audit(
    alerts: LiveServer, sqlite_url: str
) -> None:
    iid = (await _incident(alerts, sqlite_url, threat=True))["id"]
    async with alerts.client(ADMIN) as c:
        for to in ("triage", "confirmed", "in_action", "monitoring"):
            r = await c.post(f"/api/v1/incidents/{iid}/status", json={"status": to})
            assert r.status_code == 200 and r.json()["status"] == to
        no_resolution = await c.post(f"/api/v1/incidents/{iid}/status", json={"status": "closed"})
        assert no_resolution.status_code == 409
        assert "resolution" in no_resolution.json()["detail"]
        early = await c.post(
            f"/api/v1/incidents/{iid}/status",
            json={"status": "in_action", "resolution": "no_action"},
        )
        assert early.status_code == 409
        closed = await c.post(
            f"/api/v1/incidents/{iid}/status",
            json={"status": "closed", "resolution": "report_filed", "reason": "aangifte gedaan"},
        )
        assert closed.status_code == 200
        body = closed.json()
        assert (body["status"], body["resolution"]) == ("closed", "report_filed")
        assert body["closed_at"] is not None
        reopened = (
            await c.post(f"/api/v1/incidents/{iid}/status", json={"status": "triage"})
        ).json()
        assert (reopened["status"], reopened["resolution"], reopened["closed_at"]) == (
            "triage",
            None,
            None,
        )
        changes = [e for e in reopened["timeline"] if e["kind"] == "status_changed"]
        assert [(e["detail"]["from"], e["detail"]["to"]) for e in changes] == [
            ("new", "triage"),
            ("triage", "confirmed"),
            ("confirmed", "in_action"),
            ("in_action", "monitoring"),
            ("monitoring", "closed"),
            ("closed", "triage"),
        ]
        assert changes[4]["detail"]["resolution"] == "report_filed"
        assert all(e["actor"] == "admin (DOXWATCH_ADMIN_TOKEN)" for e in changes)
    engine = make_engine(sqlite_url)
    async with session_factory(engine)() as s:
        actions = list(
            await s.scalars(select(AuditEntry.action).where(AuditEntry.target_id == iid))
        )
    await engine.dispose()
    assert actions.count("incident.status") == 6


async def test_duplicate_resolution_needs_another_incident(
    alerts: LiveServer, sqlite_url: str
) -> None:
    first = (await _incident(alerts, sqlite_url, threat=True))["id"]
    second = (await _incident(alerts, sqlite_url, doxing_call=True))["id"]
    async with alerts.client(ADMIN) as c:
        url = f"/api/v1/incidents/{second}/status"
        missing = await c.post(url, json={"status": "closed", "resolution": "duplicate"})
        assert missing.status_code == 409 and "duplicate_of" in missing.json()["detail"]
        unknown = await c.post(
            url, json={"status": "closed", "resolution": "duplicate", "duplicate_of": "nope"}
        )
        assert unknown.status_code == 409
        itself = await c.post(
            url, json={"status": "closed", "resolution": "duplicate", "duplicate_of": second}
        )
        assert itself.status_code == 409
        ok = await c.post(
            url, json={"status": "closed", "resolution": "duplicate", "duplicate_of": first}
        )
        assert ok.status_code == 200
        assert ok.json()["duplicate_of"] == first


async def test_patch_assigns_tags_and_rerates_with_earlier_due_time(
    alerts: LiveServer, sqlite_url: str
) -> None:
    incident = await _incident(alerts, sqlite_url, doxing_call=True)
    iid = incident["id"]
    assert incident["severity"] == "medium" and incident["due_at"] is not None
    async with alerts.client(ADMIN) as c:
        r = await c.patch(
            f"/api/v1/incidents/{iid}",
            json={
                "assignee": "analist.oost",
                "tags": ["gtpa", "oost", "gtpa"],
                "severity": "critical",
            },
        )
        assert r.status_code == 200
        body = r.json()
        assert body["assignee"] == "analist.oost"
        assert body["tags"] == ["gtpa", "oost"]
        assert body["severity"] == "critical"
        assert body["due_at"] < incident["due_at"]
        updated = [e for e in body["timeline"] if e["kind"] == "updated"]
        assert set(updated[0]["detail"]["changes"]) == {"assignee", "tags", "severity", "due_at"}
        unassigned = (await c.patch(f"/api/v1/incidents/{iid}", json={"assignee": None})).json()
        assert unassigned["assignee"] is None
        bad = await c.patch(f"/api/v1/incidents/{iid}", json={"status": "closed"})
        assert bad.status_code == 422
        missing = await c.patch("/api/v1/incidents/nope", json={"assignee": "x"})
        assert missing.status_code == 404


async def test_tasks_follow_the_handling_path_and_can_be_worked(
    alerts: LiveServer, sqlite_url: str
) -> None:
    incident = await _incident(alerts, sqlite_url, threat=True)
    iid = incident["id"]
    kinds = [t["kind"] for t in incident["tasks"]]
    assert kinds == ["aangifte", "removal_request", "order_125p"]  # criminal, no leak
    assert incident["qualification"]["registration_code"] == "GTPA"
    assert [p["code"] for p in incident["qualification"]["provisions"]] == ["art. 285 Sr"]
    aangifte = incident["tasks"][0]
    assert "GTPA" in aangifte["title"] and aangifte["status"] == "open"
    async with alerts.client(ADMIN) as c:
        base = f"/api/v1/incidents/{iid}/tasks/{aangifte['id']}"
        done = (await c.patch(base, json={"status": "done", "assignee": "rechercheur.west"})).json()
        assert done["status"] == "done" and done["completed_by"] and done["assignee"]
        commented = await c.post(f"{base}/comments", json={"text": "aangifte 2026-123 opgenomen"})
        assert commented.status_code == 201
        assert [x["text"] for x in commented.json()["comments"]] == ["aangifte 2026-123 opgenomen"]
        reopened = (await c.patch(base, json={"status": "open"})).json()
        assert reopened["completed_at"] is None
        assert (await c.patch(f"/api/v1/incidents/{iid}/tasks/99999", json={})).status_code == 404
        empty = await c.post(f"{base}/comments", json={"text": "   "})
        assert empty.status_code == 422
        timeline = (await c.get(f"/api/v1/incidents/{iid}")).json()["timeline"]
    kinds_seen = [e["kind"] for e in timeline]
    assert kinds_seen.count("task_updated") == 2 and "task_commented" in kinds_seen


@pytest.mark.parametrize(
    ("labels", "tasks"),
    [
        ({"personal_data": True}, ["sommatie"]),
        ({"doxing_call": True}, ["aangifte", "removal_request", "order_125p", "sommatie"]),
    ],
)
async def test_checklist_per_route(
    alerts: LiveServer, sqlite_url: str, labels: dict[str, bool], tasks: list[str]
) -> None:
    incident = await _incident(alerts, sqlite_url, **labels)
    assert [t["kind"] for t in incident["tasks"]] == tasks


async def test_alternative_intervention_only_when_the_poster_is_known(
    alerts: LiveServer, sqlite_url: str
) -> None:
    verdict = factories.verdict(personal_data=True, author="@bekende_plaatser")
    await publish_verdicts(sqlite_url, [verdict])
    token = await make_token(alerts, "analyst")
    async with alerts.client(token) as c:

        async def tasks() -> list[str] | None:
            for item in (await c.get("/api/v1/incidents")).json()["items"]:
                d = (await c.get(f"/api/v1/incidents/{item['id']}")).json()
                if d["posts"][0]["author"] == "@bekende_plaatser":
                    return [t["kind"] for t in d["tasks"]]
            return None

        assert await eventually(tasks) == ["intervention", "sommatie"]

"""The protected-officer registry over real HTTP: write-only values, matching, scoping,
and no registered value in plaintext in the database, the logs or the bus."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

import services.alerts.models  # noqa: F401 - the tables checked below
from services.db import Base, make_engine
from services.events import Span, SpanLabel
from services.personal_data import normalize
from tests import factories
from tests.alerts.conftest import (
    ADMIN,
    REGISTRY_KEY,
    alerts_app,
    alerts_settings,
    eventually,
    publish_verdicts,
)
from tests.conftest import LiveServer

ADDRESS = "Meidoornlaan 31, 7522 JK Enschede"
PHONE = "06-29384756"
PLATE = "87-ZXN-4"
EMAIL = "t.vanderhoeven@privemail.example"
NAME = "Tessa van der Hoeven"
HANDLE = "@tessa_hvn_private"
PARTNER_NAME = "Joris Klaassen"

REGISTRATION: dict[str, Any] = {
    "display_name": "Brigadier T. v.d. H.",
    "email": "brigadier.oost@politie.example",
    "webhook_url": "https://alerts.politie.example/hook",
    "personal_data": [
        {"type": "ADDRESS", "value": ADDRESS},
        {"type": "PHONE", "value": PHONE},
        {"type": "LICENSE_PLATE", "value": PLATE},
        {"type": "EMAIL", "value": EMAIL},
        {"type": "PERSON", "value": NAME},
        {"type": "SOCIAL_HANDLE", "value": HANDLE},
        {"type": "PERSON", "value": PARTNER_NAME, "subject": "partner"},
    ],
}


async def _register(server: LiveServer, body: dict[str, Any] | None = None) -> dict[str, Any]:
    async with server.client(ADMIN) as c:
        r = await c.post("/api/v1/officers", json=body or REGISTRATION)
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


def _leak(value: str, label: SpanLabel, lead: str = "die agent woont op ") -> Any:
    text = f"{lead}{value}, zoek hem op en laat hem weten dat we komen"
    start = text.index(value)
    span = Span(
        start=start, end=start + len(value), label=label, normalized=normalize(label, value)
    )
    return factories.verdict(threat=True, personal_data=True, text=text, spans=[span])


async def test_registration_answers_masked_values_and_secrets_once(alerts: LiveServer) -> None:
    body = await _register(alerts)
    assert body["token"].startswith("dxw_") and body["webhook_secret"]
    shown = [p["masked"] for p in body["personal_data"]]
    assert len(shown) == 7
    for value in (ADDRESS, PHONE, PLATE, EMAIL, NAME, HANDLE, PARTNER_NAME):
        assert value not in str(body)
    assert [p["subject"] for p in body["personal_data"]][-1] == "partner"
    async with alerts.client(ADMIN) as c:
        again = (await c.get(f"/api/v1/officers/{body['id']}")).json()
        assert "token" not in again and "webhook_secret" not in again
        assert [p["masked"] for p in again["personal_data"]] == shown
    async with alerts.client(body["token"]) as officer:
        me = await officer.get("/api/v1/officers/me")
        assert me.status_code == 200 and me.json()["id"] == body["id"]
        assert (await officer.get("/api/v1/officers")).status_code == 403


async def test_invalid_values_are_refused_without_echoing_them(alerts: LiveServer) -> None:
    async with alerts.client(ADMIN) as c:
        r = await c.post(
            "/api/v1/officers",
            json={
                "display_name": "Agent X",
                "personal_data": [
                    {"type": "PHONE", "value": PHONE},
                    {"type": "PHONE", "value": "06-1234"},
                ],
            },
        )
        assert r.status_code == 422
        problem = r.json()
        assert problem["type"] == "urn:doxwatch:problem:invalid-personal-data"
        assert "personal_data[1]" in problem["detail"] and "06-1234" not in r.text
        unknown_type = await c.post(
            "/api/v1/officers",
            json={
                "display_name": "Agent X",
                "personal_data": [{"type": "SHOE_SIZE", "value": "44"}],
            },
        )
        assert unknown_type.status_code == 422
        assert (await c.get("/api/v1/officers")).json()["items"] == []


async def test_registry_off_without_key(
    sqlite_url: str, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    app = alerts_app(alerts_settings(sqlite_url, registry_key=None))
    async with live_server(app) as srv, srv.client(ADMIN) as c:
        r = await c.post("/api/v1/officers", json=REGISTRATION)
        assert r.status_code == 503
        assert r.json()["type"] == "urn:doxwatch:problem:registry-unavailable"
        assert "DOXWATCH_REGISTRY_KEY" in r.json()["detail"]


async def test_leak_names_the_officer_and_officers_see_only_their_own(
    alerts: LiveServer, sqlite_url: str
) -> None:
    mine = await _register(alerts)
    other = await _register(
        alerts,
        {
            "display_name": "Hoofdagent B.",
            "personal_data": [{"type": "LICENSE_PLATE", "value": "S-123-KL"}],
        },
    )
    mine_v = _leak(ADDRESS, SpanLabel.ADDRESS)
    other_v = _leak("S-123-KL", SpanLabel.LICENSE_PLATE, lead="zijn auto met kenteken ")
    await publish_verdicts(sqlite_url, [mine_v, other_v, factories.verdict(threat=True)])

    async with alerts.client(ADMIN) as admin:

        async def three() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = (await admin.get("/api/v1/incidents")).json()["items"]
            return items if len(items) == 3 else None

        await eventually(three)
        details = [
            (await admin.get(f"/api/v1/incidents/{i['id']}")).json()
            for i in (await admin.get("/api/v1/incidents")).json()["items"]
        ]
    by_officer = {d["officers"][0]["officer_id"]: d for d in details if d["officers"]}
    my_incident = by_officer[mine["id"]]
    assert my_incident["severity"] == "critical"
    assert my_incident["officers"][0]["display_name"] == "Brigadier T. v.d. H."
    assert my_incident["officers"][0]["matched_types"] == ["ADDRESS"]
    assert "protocol" in my_incident["qualification"]["routes"]
    assert {"protocol_contact", "protocol_support", "protocol_safety"} <= {
        t["kind"] for t in my_incident["tasks"]
    }
    assert my_incident["posts"][0]["registry_matches"][0]["masked"] != ADDRESS

    async with alerts.client(mine["token"]) as officer:
        listed = (await officer.get("/api/v1/incidents")).json()["items"]
        assert [i["id"] for i in listed] == [my_incident["id"]]
        seen = (await officer.get(f"/api/v1/incidents/{my_incident['id']}")).json()
        assert ADDRESS not in seen["posts"][0]["text"]  # masked for the officer
        assert "M**********n **, 75** ** E******e" in seen["posts"][0]["text"]
        assert [o["officer_id"] for o in seen["officers"]] == [mine["id"]]
        others = by_officer[other["id"]]["id"]
        hidden = await officer.get(f"/api/v1/incidents/{others}")
        assert hidden.status_code == 404
        assert hidden.json()["type"] == "urn:doxwatch:problem:incident-not-found"
        assert (await officer.patch(f"/api/v1/incidents/{others}", json={})).status_code == 403


async def test_removed_values_and_inactive_officers_match_nothing(
    alerts: LiveServer, sqlite_url: str
) -> None:
    body = await _register(
        alerts,
        {"display_name": "Agent Y", "personal_data": [{"type": "PHONE", "value": PHONE}]},
    )
    async with alerts.client(ADMIN) as c:
        item = body["personal_data"][0]["id"]
        r = await c.delete(f"/api/v1/officers/{body['id']}/personal-data/{item}")
        assert r.status_code == 200 and r.json()["personal_data"] == []
        added = await c.post(
            f"/api/v1/officers/{body['id']}/personal-data",
            json=[{"type": "LICENSE_PLATE", "value": PLATE}],
        )
        assert added.status_code == 201 and len(added.json()["personal_data"]) == 1
        assert (await c.patch(f"/api/v1/officers/{body['id']}", json={"active": False})).json()[
            "active"
        ] is False
    await publish_verdicts(
        sqlite_url,
        [_leak(PHONE, SpanLabel.PHONE, "bel hem op "), _leak(PLATE, SpanLabel.LICENSE_PLATE)],
    )
    async with alerts.client(ADMIN) as c:

        async def two() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = (await c.get("/api/v1/incidents")).json()["items"]
            return items if len(items) == 2 else None

        for item in await eventually(two):
            assert (await c.get(f"/api/v1/incidents/{item['id']}")).json()["officers"] == []
        gone = await c.delete(f"/api/v1/officers/{body['id']}")
        assert gone.status_code == 204
    async with alerts.client(body["token"]) as revoked:
        assert (await revoked.get("/api/v1/incidents")).status_code == 401


def _forms(value: str, label: SpanLabel) -> set[str]:
    """The plaintext forms a registered value could leave behind."""
    forms = {value, normalize(label, value), value.lower(), value.upper()}
    if label is SpanLabel.ADDRESS:
        forms |= {"meidoornlaan 31", "7522jk 31", "meidoornlaan"}
    return {f for f in forms if len(f) >= 4}


@pytest.mark.parametrize("_", [0])
async def test_no_registered_value_in_plaintext_in_database_logs_or_bus(
    _: int,
    sqlite_url: str,
    live_server: Callable[[FastAPI], LiveServer],
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = alerts_settings(sqlite_url, log_level="DEBUG", log_json=True)
    async with live_server(alerts_app(settings)) as srv:
        mine = await _register(srv)
        # A post leaks the address only: the post itself is evidence and holds that text;
        # every other registered value must appear nowhere.
        await publish_verdicts(sqlite_url, [_leak(ADDRESS, SpanLabel.ADDRESS)])
        async with srv.client(ADMIN) as c:

            async def linked() -> bool:
                items = (await c.get("/api/v1/incidents")).json()["items"]
                if not items:
                    return False
                d = (await c.get(f"/api/v1/incidents/{items[0]['id']}")).json()
                return bool(d["officers"])

            await eventually(linked)
            await c.get(f"/api/v1/officers/{mine['id']}")
            await c.get("/api/v1/audit")
    logs = capfd.readouterr()
    db_path = Path(sqlite_url.removeprefix("sqlite+aiosqlite:///"))
    stored = b"".join(
        p.read_bytes() for p in db_path.parent.glob(db_path.name + "*") if p.is_file()
    )
    stored_text = stored.decode("latin-1").lower()
    log_text = (logs.out + logs.err).lower()
    assert "incidents_opened" in log_text  # the logs were captured
    values = {
        SpanLabel.PHONE: PHONE,
        SpanLabel.LICENSE_PLATE: PLATE,
        SpanLabel.EMAIL: EMAIL,
        SpanLabel.PERSON: NAME,
        SpanLabel.SOCIAL_HANDLE: HANDLE,
    }
    for label, value in values.items():
        for form in _forms(value, label):
            assert form.lower() not in stored_text, (label, form)
            assert form.lower() not in log_text, (label, form)
    assert PARTNER_NAME.lower() not in stored_text and PARTNER_NAME.lower() not in log_text
    # The leaked address is in the evidence post (and the bus copy of it), nowhere else:
    # not in the registry tables, the audit log, the timeline or the logs.
    for form in _forms(ADDRESS, SpanLabel.ADDRESS):
        assert form.lower() not in log_text, form
    engine = make_engine(sqlite_url)
    async with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in ("posts", "bus_log"):
                continue
            rows = (await conn.execute(select(table))).all()
            dump = repr(rows).lower()
            for form in _forms(ADDRESS, SpanLabel.ADDRESS):
                assert form.lower() not in dump, (table.name, form)
    await engine.dispose()
    assert REGISTRY_KEY.lower() not in log_text and REGISTRY_KEY.lower() not in stored_text
    assert re.search(r"[0-9a-f]{64}", stored_text)  # the digests are there instead

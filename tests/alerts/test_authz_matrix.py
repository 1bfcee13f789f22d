"""Every role against every endpoint: a role outside an endpoint's list gets 403, a role
inside it never gets 401/403. The table must name every endpoint the app serves."""

from __future__ import annotations

import re
from typing import Any

from tests.alerts.conftest import ADMIN, alerts_app, alerts_settings, make_token
from tests.conftest import LiveServer

A, N, O, I = "admin", "analyst", "officer", "integration"  # noqa: E741

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/posts"): {A, N, I},
    ("POST", "/api/v1/posts/batch"): {A, N, I},
    ("POST", "/api/v1/reports"): {A, N, I, O},
    ("GET", "/api/v1/reports/{report_id}"): {A, N, I, O},
    ("GET", "/api/v1/posts/{post_id}/sightings"): {A, N},
    ("GET", "/api/v1/evidence/{sha256}"): {A, N},
    ("GET", "/api/v1/incidents"): {A, N, I, O},
    ("GET", "/api/v1/incidents/{incident_id}"): {A, N, I, O},
    ("PATCH", "/api/v1/incidents/{incident_id}"): {A, N},
    ("POST", "/api/v1/incidents/{incident_id}/status"): {A, N},
    ("PATCH", "/api/v1/incidents/{incident_id}/tasks/{task_id}"): {A, N},
    ("POST", "/api/v1/incidents/{incident_id}/tasks/{task_id}/comments"): {A, N},
    ("POST", "/api/v1/incidents/{incident_id}/notices"): {A, N},
    ("GET", "/api/v1/incidents/{incident_id}/notices"): {A, N, I},
    ("GET", "/api/v1/notices/{notice_id}"): {A, N, I},
    ("PATCH", "/api/v1/notices/{notice_id}"): {A, N},
    ("GET", "/api/v1/notices/{notice_id}/export"): {A, N, I},
    ("POST", "/api/v1/notices/{notice_id}/status"): {A, N},
    ("POST", "/api/v1/notices/{notice_id}/send"): {A, N},
    ("GET", "/api/v1/platforms"): {A, N, I},
    ("POST", "/api/v1/platforms"): {A},
    ("GET", "/api/v1/platforms/{platform_id}"): {A, N, I},
    ("PATCH", "/api/v1/platforms/{platform_id}"): {A},
    ("GET", "/api/v1/review/queue"): {A, N},
    ("GET", "/api/v1/posts/{post_id}"): {A, N},
    ("POST", "/api/v1/posts/{post_id}/review"): {A, N},
    ("POST", "/api/v1/officers"): {A},
    ("GET", "/api/v1/officers"): {A, N},
    ("GET", "/api/v1/officers/me"): {O},
    ("GET", "/api/v1/officers/{officer_id}"): {A, N},
    ("PATCH", "/api/v1/officers/{officer_id}"): {A},
    ("DELETE", "/api/v1/officers/{officer_id}"): {A},
    ("POST", "/api/v1/officers/{officer_id}/personal-data"): {A},
    ("DELETE", "/api/v1/officers/{officer_id}/personal-data/{item_id}"): {A},
    ("POST", "/api/v1/officers/{officer_id}/tokens"): {A},
    ("GET", "/api/v1/audit"): {A},
    ("POST", "/api/v1/subscriptions"): {A},
    ("GET", "/api/v1/subscriptions"): {A},
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): {A},
    ("GET", "/api/v1/deliveries"): {A},
    ("POST", "/api/v1/deliveries/{delivery_id}/retry"): {A},
    ("POST", "/api/v1/tokens"): {A},
    ("GET", "/api/v1/tokens"): {A},
    ("DELETE", "/api/v1/tokens/{token_id}"): {A},
}
# Authenticated by the partner's HMAC signature, not by a token (tests/collector).
SIGNED = {"/api/v1/webhooks/{partner}"}
OPEN = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/docs/oauth2-redirect",
    "/openapi.json",
    "/redoc",
}


def _api_routes() -> set[tuple[str, str]]:
    app = alerts_app(alerts_settings("sqlite+aiosqlite:///:memory:"))
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path not in OPEN and path not in SIGNED
        for method in operations
    }


def test_table_covers_every_endpoint() -> None:
    served = _api_routes()
    assert served - set(EXPECTED) == set(), "endpoints without an authorisation rule"
    assert set(EXPECTED) - served == set(), "rules for endpoints that do not exist"


def _concrete(path: str) -> str:
    # Ids that exist nowhere: allowed roles get 404/422, never a change.
    return re.sub(r"\{(\w+)\}", lambda m: "999999" if m.group(1).endswith("id") else "x", path)


def _body(method: str, path: str) -> Any:
    if path.endswith("/personal-data"):
        return []
    return {} if method in ("POST", "PATCH") else None


async def test_every_role_against_every_endpoint(alerts: LiveServer) -> None:
    async with alerts.client(ADMIN) as admin:
        officer = await admin.post("/api/v1/officers", json={"display_name": "Agent Matrix"})
        assert officer.status_code == 201
    tokens = {
        A: ADMIN,
        N: await make_token(alerts, N),
        I: await make_token(alerts, I),
        O: officer.json()["token"],
    }
    checked = 0
    for (method, path), allowed in sorted(EXPECTED.items()):
        url = _concrete(path)
        for role, token in tokens.items():
            async with alerts.client(token) as c:
                body = _body(method, path)
                r = (
                    await c.request(method, url, json=body)
                    if body is not None
                    else await c.request(method, url)
                )
            if role in allowed:
                assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text)
            else:
                assert r.status_code == 403, (role, method, path, r.status_code, r.text)
                assert r.json()["type"] == "urn:doxwatch:problem:forbidden"
            checked += 1
        async with alerts.client() as anonymous:
            r = await anonymous.request(method, url)
            assert r.status_code == 401, (method, path)
    assert checked == 4 * len(EXPECTED)

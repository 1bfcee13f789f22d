"""Console pages: thin handlers over the same service layer as the JSON API.

Each handler checks the session (and, for a POST, its CSRF token), calls the rules in
incidents/, review/ and registry/, and renders a template. What the API audits, the
console audits the same way (viewing evidence included).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy import select

from services.alerts import audit, notify
from services.alerts.errors import InvalidTransition
from services.alerts.incidents import repository, workflow
from services.alerts.incidents.routes import detail, masked_text, post_out
from services.alerts.models import (
    AuditEntry,
    Incident,
    IncidentStatus,
    PostRecord,
    Resolution,
    ReviewStatus,
    Severity,
    TaskStatus,
)
from services.alerts.notices import service as notice_service
from services.alerts.notices.models import NoticeKind, NoticeLanguage, NoticeStatus
from services.alerts.registry import service as registry
from services.alerts.registry.routes import officer_out
from services.alerts.registry.schemas import OfficerIn, PersonalDataIn
from services.alerts.review import service as review_service
from services.alerts.review.schemas import ReviewIn
from services.alerts.ui import render, sessions, stats
from services.alerts.ui.i18n import LANGS, Lang, translate
from services.bus import BusError
from services.db import utcnow
from services.events import Decision, Labels, SpanLabel
from services.runtime import Runtime
from services.security import Principal, Role, authenticate
from services.web import DbSession, ProblemError, get_runtime

log = structlog.get_logger("doxwatch.console")

HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
STAFF = (Role.ADMIN, Role.ANALYST)
LABELS = ("threat", "doxing_call", "personal_data")

router = APIRouter(include_in_schema=False)
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# Plumbing -------------------------------------------------------------------------------


def _lang(request: Request) -> Lang:
    asked = request.query_params.get("lang") or request.cookies.get("lang") or "nl"
    return "en" if asked == "en" else "nl"


def _secure(response: Response, request: Request) -> Response:
    response.headers.update(SECURITY_HEADERS)
    asked = request.query_params.get("lang")
    if asked in LANGS:
        response.set_cookie(
            "lang", asked, max_age=365 * 86400, httponly=True, samesite="strict", path="/"
        )
    return response


def _redirect(request: Request, to: str) -> Response:
    return _secure(RedirectResponse(to, status_code=303), request)


@dataclass
class Page:
    """What every template gets besides its own data."""

    request: Request
    lang: Lang
    signed: sessions.SignedIn | None

    def t(self, key: str) -> str:
        """A UI string in the page's language."""
        return translate(self.lang, key)


def _page(page: Page, template: str, status: int = 200, **data: Any) -> Response:
    who = page.signed.principal if page.signed else None
    html = ENV.get_template(template).render(
        t=page.t,
        lang=page.lang,
        who=who,
        staff=who is not None and who.role in STAFF,
        admin=who is not None and who.role is Role.ADMIN,
        csrf=page.signed.csrf if page.signed else "",
        path=page.request.url.path,
        **data,
    )
    return _secure(HTMLResponse(html, status_code=status), page.request)


def _error(page: Page, status: int, title: str, text: str) -> Response:
    return _page(page, "error.html", status=status, title=title, text=text)


async def _form(request: Request) -> dict[str, list[str]]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qs(body, keep_blank_values=True)


def _one(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


async def _guard(
    request: Request, session: DbSession, roles: Sequence[Role] = ()
) -> Page | Response:
    """The signed-in page context, or the response to send instead (sign in, 403)."""
    lang = _lang(request)
    signed = await sessions.current(session, request.cookies.get(sessions.COOKIE), utcnow())
    if signed is None:
        return _redirect(request, "/login")
    page = Page(request, lang, signed)
    if roles and signed.principal.role not in roles:
        return _error(page, 403, page.t("forbidden"), page.t("forbidden_text"))
    return page


async def _guard_post(
    request: Request, session: DbSession, roles: Sequence[Role] = ()
) -> tuple[Page, dict[str, list[str]]] | Response:
    """Like :func:`_guard`, and the form, after checking its CSRF token."""
    page = await _guard(request, session, roles)
    if isinstance(page, Response):
        return page
    form = await _form(request)
    given = request.headers.get("x-csrf-token") or _one(form, "csrf")
    assert page.signed is not None
    if not sessions.csrf_ok(page.signed.csrf, given):
        return _error(page, 403, page.t("forbidden"), page.t("csrf"))
    return page, form


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _explain(explanation: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Per fired label, its rules, evidence and top features as short lines."""

    def line(item: Any) -> str:
        if isinstance(item, dict):
            return ", ".join(f"{k}: {v}" for k, v in item.items())[:200]
        if isinstance(item, list | tuple):
            return " ".join(str(v) for v in item)[:200]
        return str(item)[:200]

    out = []
    for label in LABELS:
        part = explanation.get(label)
        if not isinstance(part, dict):
            continue
        lines: list[str] = []
        for key in ("rules", "evidence", "top_features"):
            items = part.get(key) or []
            if isinstance(items, list):
                lines.extend(line(i) for i in items[:6])
        out.append((label, lines))
    return out


def _card(post: PostRecord, incident: Incident | None) -> dict[str, Any]:
    """What the template needs to show one post as evidence (analyst view)."""
    out = post_out(post)
    return {
        "post": out,
        "segments": render.segments(post.text, post.spans),
        "link": render.safe_link(post.url),
        "explain": _explain(post.explanation or {}),
        "incident": incident,
    }


# Static files ---------------------------------------------------------------------------


def _vendor_dir(runtime: Runtime) -> Path:
    configured = runtime.settings.console_vendor_dir
    return configured if configured is not None else HERE.parents[2] / "node_modules"


STATIC = {"console.css": "text/css", "console.js": "text/javascript"}


@router.get("/static/{name}")
async def static(name: str, request: Request, runtime: RuntimeDep) -> Response:
    """The console's own CSS/JS and htmx (from npm); nothing else is served."""
    if name in STATIC:
        path = HERE / "static" / name
        media = STATIC[name]
    elif name == "htmx.min.js":
        path = _vendor_dir(runtime) / "htmx.org" / "dist" / "htmx.min.js"
        media = "text/javascript"
    else:
        return _secure(Response(status_code=404), request)
    if not path.is_file():
        log.warning("console asset missing (run `npm ci`)", asset=name, path=str(path))
        return _secure(Response(status_code=404), request)
    resp = FileResponse(path, media_type=media)
    _secure(resp, request)
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


# Sign-in --------------------------------------------------------------------------------


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    page = Page(request, _lang(request), None)
    value = sessions.new_login_csrf()
    resp = _page(page, "login.html", status=status, error=error, login_csrf=value)
    resp.set_cookie(
        sessions.LOGIN_COOKIE,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return resp


@router.get("/login")
async def login_form(request: Request, session: DbSession) -> Response:
    """The sign-in form (already signed in: straight to the start page)."""
    if await sessions.current(session, request.cookies.get(sessions.COOKIE), utcnow()):
        return _redirect(request, "/")
    return _login_page(request)


@router.post("/login")
async def login(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """Exchange an API token for a session cookie."""
    form = await _form(request)
    page = Page(request, _lang(request), None)
    cookie_csrf = request.cookies.get(sessions.LOGIN_COOKIE, "")
    if not cookie_csrf or not sessions.csrf_ok(cookie_csrf, _one(form, "csrf")):
        return _error(page, 403, page.t("forbidden"), page.t("csrf"))
    token = (_one(form, "token") or "").strip()
    principal = await authenticate(session, token) if token else None
    if principal is None:
        return _login_page(request, 401, page.t("bad_token"))
    if principal.role is Role.INTEGRATION:
        return _error(page, 403, page.t("forbidden"), page.t("integration_refused"))
    opened = await sessions.sign_in(session, token, runtime.settings.console_session_hours)
    assert opened is not None
    _, cookie = opened
    audit.record(session, principal, "console.sign_in", "token", principal.token_id)
    resp = _redirect(request, "/")
    resp.set_cookie(
        sessions.COOKIE,
        cookie,
        max_age=int(runtime.settings.console_session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    resp.delete_cookie(sessions.LOGIN_COOKIE, path="/login")
    return resp


@router.post("/logout")
async def logout(request: Request, session: DbSession) -> Response:
    """End the session: its row is deleted and the cookie cleared."""
    got = await _guard_post(request, session)
    if isinstance(got, Response):
        return got
    page, _ = got
    assert page.signed is not None
    await sessions.sign_out(session, page.signed.id_hash)
    audit.record(session, page.signed.principal, "console.sign_out", "token", None)
    resp = _redirect(request, "/login")
    resp.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
    return resp


@router.get("/")
async def home(request: Request, session: DbSession) -> Response:
    """Staff start at the review queue, officers at their own alerts."""
    page = await _guard(request, session)
    if isinstance(page, Response):
        return page
    assert page.signed is not None
    role = page.signed.principal.role
    return _redirect(request, "/queue" if role in STAFF else "/my")


# Review queue ---------------------------------------------------------------------------


@router.get("/queue")
async def queue(request: Request, session: DbSession) -> Response:
    """Flagged posts, most severe and oldest first, with filters."""
    page = await _guard(request, session, STAFF)
    if isinstance(page, Response):
        return page
    assert page.signed is not None
    q = request.query_params
    label = q.get("label") if q.get("label") in LABELS else None
    status_value = q.get("status") or "pending"
    review_status = (
        ReviewStatus(status_value)
        if status_value in {s.value for s in ReviewStatus}
        else ReviewStatus.PENDING
    )
    platform = (q.get("platform") or "").strip()[:64] or None
    since, until = _when(q.get("since")), _when(q.get("until"))
    if until is not None and len(q.get("until") or "") <= 10:
        until += timedelta(days=1)  # a date means "up to and including that day"
    rows, total = await review_service.queue(
        session,
        status=review_status,
        label=label,
        platform=platform,
        since=since,
        until=until,
        limit=50,
        offset=0,
    )
    audit.record(
        session,
        page.signed.principal,
        "queue.view",
        "post",
        None,
        status=review_status.value,
        shown=len(rows),
        via="console",
    )
    platforms = sorted(
        set(await session.scalars(select(PostRecord.platform).distinct().limit(100)))
    )
    filters = {
        "label": label or "",
        "status": review_status.value,
        "platform": platform or "",
        "since": q.get("since") or "",
        "until": q.get("until") or "",
    }
    return _page(
        page,
        "queue.html",
        cards=[_card(p, i) for p, i in rows],
        total=total,
        filters=filters,
        platforms=platforms,
        back="/queue?" + urlencode({k: v for k, v in filters.items() if v}),
        labels=LABELS,
        statuses=[s.value for s in ReviewStatus],
    )


@router.post("/queue/{post_id}/review")
async def review_post(
    post_id: str, request: Request, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Confirm, dismiss (with a reason) or correct the labels of a post."""
    got = await _guard_post(request, session, STAFF)
    if isinstance(got, Response):
        return got
    page, form = got
    assert page.signed is not None
    post = await session.get(PostRecord, post_id)
    if post is None:
        return _error(page, 404, page.t("not_found"), page.t("not_found_text"))
    decision = _one(form, "decision") or ""
    labels = None
    if decision == Decision.CORRECT.value:
        chosen = set(form.get("labels", []))
        labels = Labels(**{name: name in chosen for name in LABELS})
    try:
        body = ReviewIn.model_validate(
            {
                "decision": decision,
                "reason": (_one(form, "reason") or "").strip() or None,
                "labels": labels,
            }
        )
    except ValidationError as exc:
        return _error(page, 422, page.t("invalid"), str(exc.errors()[0]["msg"]))
    try:
        await review_service.review(session, runtime.bus, post, body, page.signed.principal)
    except BusError as exc:
        return _error(page, 503, "503", f"the decision was not stored: {exc}")
    back = _one(form, "back") or "/queue"
    if not back.startswith("/queue"):
        back = "/queue"
    if request.headers.get("hx-request") == "true":
        return _page(page, "reviewed.html", post_id=post.id, decision=body.decision.value)
    return _redirect(request, back)


# Incidents ------------------------------------------------------------------------------


@router.get("/incidents")
async def incidents(request: Request, session: DbSession) -> Response:
    """Incidents, newest first, filtered by status and severity."""
    page = await _guard(request, session, STAFF)
    if isinstance(page, Response):
        return page
    q = request.query_params
    status = q.get("status")
    severity = q.get("severity")
    rows = await repository.list_incidents(
        session,
        limit=200,
        after=None,
        status=IncidentStatus(status) if status in {s.value for s in IncidentStatus} else None,
        severity=Severity(severity) if severity in {s.value for s in Severity} else None,
    )
    return _page(
        page,
        "incidents.html",
        incidents=rows,
        statuses=[s.value for s in IncidentStatus],
        severities=[s.value for s in Severity],
        filters={"status": status or "", "severity": severity or ""},
    )


@router.get("/my")
async def my_incidents(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """An officer's own incidents, with who to contact."""
    page = await _guard(request, session, (Role.OFFICER,))
    if isinstance(page, Response):
        return page
    assert page.signed is not None
    rows = await repository.list_incidents(
        session,
        limit=200,
        after=None,
        status=None,
        severity=None,
        officer_id=page.signed.principal.officer_id or "-",
    )
    return _page(page, "my.html", incidents=rows, support=runtime.settings.support_contact)


async def _visible(session: DbSession, incident_id: str, who: Principal) -> Incident | None:
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        return None
    if who.role is Role.OFFICER and (
        who.officer_id is None or all(o.officer_id != who.officer_id for o in incident.officers)
    ):
        return None
    return incident


@router.get("/incidents/{incident_id}")
async def incident_page(
    incident_id: str, request: Request, session: DbSession, runtime: RuntimeDep
) -> Response:
    """One incident: posts, tasks, officer, status, timeline, audit trail (audited)."""
    page = await _guard(request, session, (Role.ADMIN, Role.ANALYST, Role.OFFICER))
    if isinstance(page, Response):
        return page
    assert page.signed is not None
    who = page.signed.principal
    incident = await _visible(session, incident_id, who)
    if incident is None:
        return _error(page, 404, page.t("not_found"), page.t("not_found_text"))
    audit.record(session, who, "incident.view", "incident", incident.id, via="console")
    officer = who.role is Role.OFFICER
    view = detail(incident, for_officer=who.officer_id if officer else None)
    posts = {p.id: p for p in incident.posts}
    cards = []
    for out in view.posts:
        record = posts[out.id]
        if officer:
            text = masked_text(record.text, record.spans)
            segs = [render.Segment(text)]
        else:
            segs = render.segments(record.text, record.spans)
        cards.append(
            {
                "post": out,
                "segments": segs,
                "link": None if officer else render.safe_link(record.url),
                "explain": [] if officer else _explain(record.explanation or {}),
                "incident": None,
            }
        )
    trail: list[AuditEntry] = []
    if not officer:
        trail = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.target_id == incident.id)
                .order_by(AuditEntry.id.desc())
                .limit(100)
            )
        )
    transitions = sorted(s.value for s in workflow.TRANSITIONS[incident.status])
    notices = [] if officer else await notice_service.list_for_incident(session, incident.id)
    return _page(
        page,
        "incident.html",
        incident=view,
        cards=cards,
        officer_view=officer,
        trail=trail,
        transitions=transitions,
        resolutions=[r.value for r in Resolution],
        severities=[s.value for s in Severity],
        notices=notices,
        notice_kinds=[k.value for k in NoticeKind],
        support=runtime.settings.support_contact,
        message=request.query_params.get("msg"),
    )


async def _for_change(
    request: Request, session: DbSession, incident_id: str
) -> tuple[Page, dict[str, list[str]], Incident] | Response:
    got = await _guard_post(request, session, STAFF)
    if isinstance(got, Response):
        return got
    page, form = got
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        return _error(page, 404, page.t("not_found"), page.t("not_found_text"))
    return page, form, incident


@router.post("/incidents/{incident_id}/status")
async def incident_status(incident_id: str, request: Request, session: DbSession) -> Response:
    """Move the incident along the handling path."""
    got = await _for_change(request, session, incident_id)
    if isinstance(got, Response):
        return got
    page, form, incident = got
    assert page.signed is not None
    to = _one(form, "status") or ""
    resolution = _one(form, "resolution") or ""
    target = f"/incidents/{incident.id}"
    if to not in {s.value for s in IncidentStatus}:
        return _redirect(request, target)
    try:
        change = await workflow.change_status(
            session,
            incident,
            page.signed.principal,
            IncidentStatus(to),
            resolution=Resolution(resolution)
            if resolution in {r.value for r in Resolution}
            else None,
            reason=(_one(form, "reason") or "").strip()[:2000] or None,
        )
    except InvalidTransition as exc:
        return _redirect(request, target + "?" + urlencode({"msg": exc.detail}))
    await notify.after_change(session, incident, change)
    return _redirect(request, target)


@router.post("/incidents/{incident_id}/edit")
async def incident_edit(
    incident_id: str, request: Request, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Assign, tag and re-rate the incident (as PATCH /api/v1/incidents/{id} does)."""
    got = await _for_change(request, session, incident_id)
    if isinstance(got, Response):
        return got
    page, form, incident = got
    assert page.signed is not None
    fields: dict[str, Any] = {}
    assignee = (_one(form, "assignee") or "").strip()[:128]
    fields["assignee"] = assignee or None
    tags = [t.strip()[:64] for t in (_one(form, "tags") or "").split(",") if t.strip()]
    fields["tags"] = list(dict.fromkeys(tags))[:20]
    severity = _one(form, "severity") or ""
    if severity in {s.value for s in Severity}:
        fields["severity"] = Severity(severity)
    change = await workflow.update(
        session,
        incident,
        page.signed.principal,
        fields=fields,
        due_hours=dict(runtime.settings.due_hours),
    )
    await notify.after_change(session, incident, change)
    return _redirect(request, f"/incidents/{incident.id}")


@router.post("/incidents/{incident_id}/tasks/{task_id}")
async def task_status(
    incident_id: str, task_id: int, request: Request, session: DbSession
) -> Response:
    """Complete, skip or reopen a checklist task."""
    got = await _for_change(request, session, incident_id)
    if isinstance(got, Response):
        return got
    page, form, incident = got
    assert page.signed is not None
    task = next((t for t in incident.tasks if t.id == task_id), None)
    status = _one(form, "status") or ""
    if task is not None and status in {s.value for s in TaskStatus}:
        await workflow.update_task(
            session,
            incident,
            task,
            page.signed.principal,
            status=TaskStatus(status),
            assignee=None,
            assignee_given=False,
        )
    return _redirect(request, f"/incidents/{incident.id}#task-{task_id}")


@router.post("/incidents/{incident_id}/tasks/{task_id}/comments")
async def task_comment(
    incident_id: str, task_id: int, request: Request, session: DbSession
) -> Response:
    """Comment on a checklist task."""
    got = await _for_change(request, session, incident_id)
    if isinstance(got, Response):
        return got
    page, form, incident = got
    assert page.signed is not None
    task = next((t for t in incident.tasks if t.id == task_id), None)
    text = (_one(form, "text") or "").strip()[:5000]
    if task is not None and text:
        workflow.comment(session, incident, task, page.signed.principal, text)
    return _redirect(request, f"/incidents/{incident.id}#task-{task_id}")


# Dashboard ------------------------------------------------------------------------------

SEVERITY_ORDER = [
    s.value for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
]


@router.get("/dashboard")
async def dashboard(request: Request, session: DbSession) -> Response:
    """Charts: flags per day and label, incidents by status and severity, review time,
    top platforms, notices by outcome."""
    page = await _guard(request, session, STAFF)
    if isinstance(page, Response):
        return page
    t = page.t
    figures = await stats.dashboard(session, utcnow())
    charts = [
        render.grouped_chart(
            "flags",
            t("flags_per_day"),
            [d.strftime("%d-%m") for d in figures.days],
            [(label, t(label)) for label in LABELS],
            {label: [float(v) for v in figures.flags[label]] for label in LABELS},
        ),
        render.hbar_chart(
            "status",
            t("by_status"),
            [(s.value, float(figures.by_status.get(s.value, 0)), "st") for s in IncidentStatus],
        ),
        render.hbar_chart(
            "severity",
            t("by_severity"),
            [(s, float(figures.by_severity.get(s, 0)), f"sev-{s}") for s in SEVERITY_ORDER],
        ),
        render.hbar_chart(
            "review",
            t("review_time"),
            [(name, float(n), "rv") for name, n in figures.review_buckets],
            note=(
                f"{t('median')} {figures.review_median_h:.1f} {t('hours')}, "
                f"{t('mean')} {figures.review_mean_h:.1f} {t('hours')}"
                if figures.review_median_h is not None and figures.review_mean_h is not None
                else ""
            ),
        ),
        render.hbar_chart(
            "platforms",
            t("top_platforms"),
            [(p, float(n), "pf") for p, n in figures.platforms],
        ),
        render.hbar_chart(
            "notices",
            t("notices_by_outcome"),
            [
                (s.value, float(figures.notices_by_status.get(s.value, 0)), "nt")
                for s in NoticeStatus
            ],
        ),
    ]
    return _page(page, "dashboard.html", charts=charts)


# Registry and audit (admins) ------------------------------------------------------------


@router.get("/registry")
async def registry_page(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """Registered officers with masked values only; forms to register and add values."""
    page = await _guard(request, session, (Role.ADMIN,))
    if isinstance(page, Response):
        return page
    return await _registry(page, session, runtime)


async def _registry(
    page: Page,
    session: DbSession,
    runtime: Runtime,
    *,
    status: int = 200,
    error: str | None = None,
    new_token: str | None = None,
) -> Response:
    assert page.signed is not None
    audit.record(session, page.signed.principal, "officer.list", "officer", None, via="console")
    officers = [officer_out(o) for o in await registry.list_all(session)]
    return _page(
        page,
        "registry.html",
        status=status,
        officers=officers,
        types=[s.value for s in SpanLabel],
        enabled=registry.registry_key(runtime.settings) is not None,
        error=error,
        new_token=new_token,
    )


def _values(form: dict[str, list[str]]) -> list[PersonalDataIn]:
    value = (_one(form, "value") or "").strip()
    if not value:
        return []
    return [
        PersonalDataIn.model_validate(
            {
                "type": _one(form, "type") or "",
                "value": value,
                "subject": (_one(form, "subject") or "self").strip() or "self",
            }
        )
    ]


@router.post("/registry")
async def registry_register(request: Request, session: DbSession, runtime: RuntimeDep) -> Response:
    """Register an officer (optionally with a first value); shows their token once."""
    got = await _guard_post(request, session, (Role.ADMIN,))
    if isinstance(got, Response):
        return got
    page, form = got
    assert page.signed is not None
    key = registry.registry_key(runtime.settings)
    if key is None:
        return await _registry(page, session, runtime, status=409, error=page.t("registry_off"))
    try:
        body = OfficerIn.model_validate(
            {
                "display_name": (_one(form, "display_name") or "").strip(),
                "email": (_one(form, "email") or "").strip() or None,
                "personal_data": [v.model_dump() for v in _values(form)],
            }
        )
        officer, token = await registry.register(session, key, body, page.signed.principal.name)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return await _registry(
            page, session, runtime, status=422, error=f"{page.t('invalid_value')}: {where}"
        )
    except registry.InvalidValue as exc:
        return await _registry(page, session, runtime, status=422, error=str(exc))
    audit.record(
        session,
        page.signed.principal,
        "officer.create",
        "officer",
        officer.id,
        values=len(body.personal_data),
        via="console",
    )
    return await _registry(page, session, runtime, new_token=token)


@router.post("/registry/{officer_id}/values")
async def registry_add(
    officer_id: str, request: Request, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Add a value (write-only: the page shows only its masked form afterwards)."""
    got = await _guard_post(request, session, (Role.ADMIN,))
    if isinstance(got, Response):
        return got
    page, form = got
    assert page.signed is not None
    key = registry.registry_key(runtime.settings)
    if key is None:
        return await _registry(page, session, runtime, status=409, error=page.t("registry_off"))
    officer = await registry.get(session, officer_id)
    if officer is None:
        return _error(page, 404, page.t("not_found"), page.t("not_found_text"))
    try:
        items = _values(form)
        if items:
            await registry.add_values(session, key, officer, items)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        return await _registry(
            page, session, runtime, status=422, error=f"{page.t('invalid_value')}: {where}"
        )
    except registry.InvalidValue as exc:
        return await _registry(page, session, runtime, status=422, error=str(exc))
    audit.record(
        session,
        page.signed.principal,
        "officer.add_values",
        "officer",
        officer.id,
        values=len(items),
        via="console",
    )
    return _redirect(request, "/registry")


@router.get("/audit")
async def audit_page(request: Request, session: DbSession) -> Response:
    """The latest audit entries (admins)."""
    page = await _guard(request, session, (Role.ADMIN,))
    if isinstance(page, Response):
        return page
    rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)))
    return _page(page, "audit.html", entries=rows, dumps=json.dumps)


# Notices -------------------------------------------------------------------------------


@router.post("/incidents/{incident_id}/notices")
async def notice_create(
    incident_id: str, request: Request, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Draft a notice from the incident (as POST /api/v1/incidents/{id}/notices)."""
    got = await _for_change(request, session, incident_id)
    if isinstance(got, Response):
        return got
    page, form, incident = got
    assert page.signed is not None
    kind, language = _one(form, "kind") or "", _one(form, "language") or ""
    target = f"/incidents/{incident.id}"
    if kind not in {k.value for k in NoticeKind} or language not in {"nl", "en"}:
        return _redirect(request, target)
    try:
        notice = await notice_service.create(
            session,
            runtime.settings,
            incident_id=incident.id,
            kind=NoticeKind(kind),
            language=NoticeLanguage(language),
            actor=page.signed.principal.name,
        )
    except ProblemError as exc:
        return _redirect(request, target + "?" + urlencode({"msg": exc.detail}))
    audit.record(
        session, page.signed.principal, "notice.create", "notice", notice.id,
        incident_id=incident.id, kind=kind, language=language, via="console",
    )  # fmt: skip
    return _redirect(request, f"/notices/{notice.id}")


async def _notice_page(request: Request, session: DbSession) -> Page | Response:
    return await _guard(request, session, STAFF)


@router.get("/notices/{notice_id}")
async def notice_page(notice_id: str, request: Request, session: DbSession) -> Response:
    """A notice: preview, editor (drafts), export buttons and status tracking."""
    page = await _notice_page(request, session)
    if isinstance(page, Response):
        return page
    assert page.signed is not None
    try:
        notice = await notice_service.get(session, notice_id)
    except ProblemError:
        return _error(page, 404, page.t("not_found"), page.t("not_found_text"))
    audit.record(session, page.signed.principal, "notice.view", "notice", notice.id, via="console")
    allowed = notice_service.TRANSITIONS[notice.status] & notice_service.MANUAL_STATUSES
    return _page(
        page,
        "notice.html",
        notice=notice,
        warnings=notice_service.warnings(notice),
        next_statuses=sorted(s.value for s in allowed),
        message=request.query_params.get("msg"),
    )


@router.post("/notices/{notice_id}/edit")
async def notice_edit(notice_id: str, request: Request, session: DbSession) -> Response:
    """Save a new revision of a draft (the analyst's edit)."""
    got = await _guard_post(request, session, STAFF)
    if isinstance(got, Response):
        return got
    page, form = got
    assert page.signed is not None
    target = f"/notices/{notice_id}"
    body = (_one(form, "body") or "").replace("\r\n", "\n")
    try:
        await notice_service.edit(
            session,
            notice_id,
            actor=page.signed.principal.name,
            body=body or None,
            recipient=(_one(form, "recipient") or "").strip() or None,
            judge_authorisation=(_one(form, "judge_authorisation") or "").strip() or None,
        )
    except ProblemError as exc:
        return _redirect(request, target + "?" + urlencode({"msg": exc.detail}))
    audit.record(session, page.signed.principal, "notice.edit", "notice", notice_id, via="console")
    return _redirect(request, target)


@router.post("/notices/{notice_id}/status")
async def notice_status(notice_id: str, request: Request, session: DbSession) -> Response:
    """Record that a notice was sent, acknowledged, or what came of it."""
    got = await _guard_post(request, session, STAFF)
    if isinstance(got, Response):
        return got
    page, form = got
    assert page.signed is not None
    target = f"/notices/{notice_id}"
    to = _one(form, "status") or ""
    if to not in {s.value for s in notice_service.MANUAL_STATUSES}:
        return _redirect(request, target)
    try:
        await notice_service.change_status(
            session,
            notice_id,
            to=NoticeStatus(to),
            actor=page.signed.principal.name,
            answer=(_one(form, "answer") or "").strip()[:5000] or None,
            statement_of_reasons_ref=(_one(form, "statement_of_reasons_ref") or "").strip()[:300]
            or None,
        )
    except ProblemError as exc:
        return _redirect(request, target + "?" + urlencode({"msg": exc.detail}))
    audit.record(
        session, page.signed.principal, "notice.status", "notice", notice_id, to=to, via="console"
    )
    return _redirect(request, target)


@router.get("/notices/{notice_id}/export")
async def notice_export(
    notice_id: str, request: Request, session: DbSession, runtime: RuntimeDep
) -> Response:
    """Download the notice as md, txt, pdf or eml (audited)."""
    page = await _notice_page(request, session)
    if isinstance(page, Response):
        return page
    assert page.signed is not None
    fmt = request.query_params.get("format", "md")
    if fmt not in {"md", "txt", "pdf", "eml"}:
        return _error(page, 404, page.t("not_found"), page.t("not_found_text"))
    try:
        result = await notice_service.export_notice(session, runtime.settings, notice_id, fmt)
    except ProblemError as exc:
        return _redirect(request, f"/notices/{notice_id}?" + urlencode({"msg": exc.detail}))
    audit.record(
        session, page.signed.principal, "notice.export", "notice", notice_id, format=fmt,
        via="console",
    )  # fmt: skip
    return _secure(
        Response(
            content=result.content,
            media_type=result.media_type,
            headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
        ),
        request,
    )

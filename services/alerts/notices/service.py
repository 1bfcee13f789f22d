"""Notice rules: draft from an incident, edit drafts, send, track answers, chase deadlines.

The path of a notice::

    draft ──► sent ──► acknowledged ──► content_removed | refused
                │            │
                └────────────┴──(deadline passes)──► no_answer ──► (late answer)

* Only drafts are edited; every edit is a new revision, none is overwritten.
* No body (drafted or edited) may repeat personal data the incident's posts leaked:
  such a text is refused (422), and exports and sending re-check against the posts
  the incident has by then.
* An art. 125p Sv order is not sent before the examining judge's authorisation is
  recorded (``judge_authorisation``), which also replaces the placeholder in the text.
* An aangifte is filed (``sent``) and may be acknowledged; it has no deadline and no
  removal outcome.
* ``mark_overdue`` moves sent/acknowledged notices past their deadline to
  ``no_answer`` and gives the incident a follow-up task, once.
* Every change is also an entry on the incident's timeline.
* Closing rule: an incident is closed with resolution ``content_removed`` only when
  :func:`removal_recorded`; this module registers that check in
  ``services.alerts.incidents.workflow.CLOSING_CHECKS`` when it is imported (the app
  imports it through the notices routes).
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.errors import (
    EmailFailed,
    EmailNotConfigured,
    IncidentNotFound,
    InvalidNoticeTransition,
    JudgeAuthorisationMissing,
    NoticeContainsPersonalData,
    NoticeDeadlinePassed,
    NoticeNotEditable,
    NoticeNotFound,
    NotSendableByEmail,
    PlatformExists,
    PlatformNotFound,
)
from services.alerts.incidents import workflow
from services.alerts.models import Incident, IncidentEvent, Resolution, Task
from services.alerts.notices import export, render, repository
from services.alerts.notices.models import (
    Notice,
    NoticeEvent,
    NoticeEvidence,
    NoticeKind,
    NoticeLanguage,
    NoticeRevision,
    NoticeStatus,
    Platform,
)
from services.config import Settings
from services.db import utcnow

TRANSITIONS: dict[NoticeStatus, frozenset[NoticeStatus]] = {
    NoticeStatus.DRAFT: frozenset({NoticeStatus.SENT}),
    NoticeStatus.SENT: frozenset(
        {
            NoticeStatus.ACKNOWLEDGED,
            NoticeStatus.CONTENT_REMOVED,
            NoticeStatus.REFUSED,
            NoticeStatus.NO_ANSWER,
        }
    ),
    NoticeStatus.ACKNOWLEDGED: frozenset(
        {NoticeStatus.CONTENT_REMOVED, NoticeStatus.REFUSED, NoticeStatus.NO_ANSWER}
    ),
    # An answer that comes after the deadline is still recorded.
    NoticeStatus.NO_ANSWER: frozenset(
        {NoticeStatus.ACKNOWLEDGED, NoticeStatus.CONTENT_REMOVED, NoticeStatus.REFUSED}
    ),
    NoticeStatus.CONTENT_REMOVED: frozenset(),
    NoticeStatus.REFUSED: frozenset(),
}
# What a person may set through the API; no_answer is the deadline's verdict alone.
MANUAL_STATUSES = frozenset(
    {
        NoticeStatus.SENT,
        NoticeStatus.ACKNOWLEDGED,
        NoticeStatus.CONTENT_REMOVED,
        NoticeStatus.REFUSED,
    }
)
ANSWERS = frozenset({NoticeStatus.ACKNOWLEDGED, NoticeStatus.CONTENT_REMOVED, NoticeStatus.REFUSED})
OVERDUE_TASK_PREFIX = "notice_overdue:"
FOLLOW_UP_ROUTE = "follow_up"


def has_deadline(kind: NoticeKind) -> bool:
    """Whether an addressee is expected to answer this kind by a deadline."""
    return kind is not NoticeKind.AANGIFTE


def _event(notice: Notice, kind: str, actor: str, **detail: object) -> IncidentEvent:
    return IncidentEvent(
        incident_id=notice.incident_id,
        kind=kind,
        actor=actor,
        detail={
            "notice_id": notice.id,
            "notice_kind": notice.kind.value,
            "reference": render.reference(notice.id),
            **detail,
        },
    )


async def _incident(session: AsyncSession, incident_id: str) -> Incident:
    incident = await repository.get_incident(session, incident_id)
    if incident is None:
        raise IncidentNotFound(f"no incident with id {incident_id!r}")
    return incident


async def get(session: AsyncSession, notice_id: str) -> Notice:
    """A notice with its revisions, events and evidence; NoticeNotFound otherwise."""
    notice = await repository.get_notice(session, notice_id)
    if notice is None:
        raise NoticeNotFound(f"no notice with id {notice_id!r}")
    return notice


async def list_for_incident(session: AsyncSession, incident_id: str) -> list[Notice]:
    """An incident's notices, oldest first; IncidentNotFound if there is no such incident."""
    await _incident(session, incident_id)
    return await repository.list_notices(session, incident_id)


def _check_leaks(incident: Incident, *texts: str | None) -> None:
    values = render.leaked_values(incident.posts)
    urls = [p.url for p in incident.posts if p.url]
    problems: list[str] = []
    for text in texts:
        if text:
            problems += render.find_leaks(text, values, allowed=urls)
    if problems:
        raise NoticeContainsPersonalData(
            "the text repeats personal data that the posts leaked; refer to it by type "
            "and URL instead ('the officer's home address, see <URL>'): "
            + "; ".join(dict.fromkeys(problems))
        )


async def _platform(session: AsyncSession, platform_id: str) -> Platform:
    platform = await repository.get_platform(session, platform_id)
    if platform is None:
        raise PlatformNotFound(f"no platform {platform_id!r} in the directory")
    return platform


async def create(
    session: AsyncSession,
    settings: Settings,
    *,
    incident_id: str,
    kind: NoticeKind,
    language: NoticeLanguage,
    actor: str,
    platform_id: str | None = None,
    recipient: str | None = None,
    deadline: datetime | None = None,
    now: datetime | None = None,
) -> Notice:
    """Draft a notice of ``kind`` from the incident's evidence (status ``draft``)."""
    now = now or utcnow()
    incident = await _incident(session, incident_id)
    platform: Platform | None = None
    if platform_id is not None:
        platform = await _platform(session, platform_id)
    elif kind is not NoticeKind.AANGIFTE and incident.posts:
        platform = await repository.get_platform(session, incident.posts[0].platform)
    if recipient is None and platform is not None and kind is not NoticeKind.AANGIFTE:
        recipient = platform.dsa_contact_email or platform.dsa_contact_url
    if deadline is not None and deadline <= now:
        raise NoticeDeadlinePassed("the deadline must be in the future")
    if deadline is None and has_deadline(kind):
        deadline = now + timedelta(hours=settings.notice_deadline_hours[kind.value])
    if not has_deadline(kind):
        deadline = None
    others = await repository.list_notices(session, incident_id)
    related = (
        [(n.kind, render.reference(n.id)) for n in others if n.kind is NoticeKind.DSA_NOTICE]
        if kind is NoticeKind.REMOVAL_REQUEST
        else []
    )
    notice = Notice(
        id=str(uuid.uuid4()),
        incident_id=incident.id,
        kind=kind,
        language=language,
        template_version=render.template_version(kind, language),
        platform_id=platform.id if platform else None,
        recipient=recipient,
        status=NoticeStatus.DRAFT,
        deadline=deadline,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    notice.body = render.render(
        render.RenderInput(
            notice_id=notice.id,
            kind=kind,
            language=language,
            incident=incident,
            posts=incident.posts,
            officer_identified=await repository.officer_count(session, incident.id) > 0,
            created_at=now,
            deadline=deadline,
            recipient=recipient,
            platform_name=platform.name if platform else None,
            notifier_name=settings.notifier_name,
            notifier_email=settings.notifier_email,
            issuing_authority=settings.issuing_authority,
            related=related,
        )
    )
    _check_leaks(incident, notice.body, recipient)
    session.add(notice)
    session.add_all(
        [
            NoticeRevision(
                notice_id=notice.id, number=1, body=notice.body, reason="drafted", author=actor
            ),
            NoticeEvent(notice_id=notice.id, actor=actor, to_status=NoticeStatus.DRAFT.value),
            _event(notice, "notice_created", actor, language=language.value),
        ]
    )
    incident.updated_at = now
    await session.flush()
    return await get(session, notice.id)


async def edit(
    session: AsyncSession,
    notice_id: str,
    *,
    actor: str,
    body: str | None = None,
    recipient: str | None = None,
    platform_id: str | None = None,
    deadline: datetime | None = None,
    judge_authorisation: str | None = None,
    now: datetime | None = None,
) -> Notice:
    """Change a draft: a new body (kept as a revision), addressee, deadline, authorisation.

    Recording the examining judge's authorisation of an art. 125p order also writes it
    in place of the placeholder in the text (another revision).
    """
    now = now or utcnow()
    notice = await get(session, notice_id)
    if notice.status is not NoticeStatus.DRAFT:
        raise NoticeNotEditable(
            f"notice is {notice.status.value}; only drafts are edited (a sent notice stays "
            "as it was sent: draft a new one instead)"
        )
    incident = await _incident(session, notice.incident_id)
    if judge_authorisation is not None and notice.kind is not NoticeKind.ORDER_125P:
        raise InvalidNoticeTransition("judge_authorisation only applies to an order_125p")
    if deadline is not None:
        if not has_deadline(notice.kind):
            raise InvalidNoticeTransition("an aangifte has no deadline")
        if deadline <= now:
            raise NoticeDeadlinePassed("the deadline must be in the future")
    new_body = body if body is not None else notice.body
    changes: list[str] = []
    if judge_authorisation is not None:
        authorisation = judge_authorisation.strip()
        placeholder = render.JUDGE_PLACEHOLDER[notice.language]
        new_body = new_body.replace(placeholder, authorisation)
        notice.judge_authorisation = authorisation
        changes.append("judge_authorisation")
    _check_leaks(incident, new_body, recipient)
    if platform_id is not None:
        notice.platform_id = (await _platform(session, platform_id)).id
        changes.append("platform_id")
    if recipient is not None:
        notice.recipient = recipient.strip() or None
        changes.append("recipient")
    if deadline is not None:
        notice.deadline = deadline
        changes.append("deadline")
    if new_body != notice.body:
        number = max((r.number for r in notice.revisions), default=0) + 1
        reason = "edited" if body is not None else "authorisation"
        session.add(
            NoticeRevision(
                notice_id=notice.id, number=number, body=new_body, reason=reason, author=actor
            )
        )
        notice.body = new_body
        changes.append("body")
    if changes:
        notice.updated_at = now
        session.add(_event(notice, "notice_edited", actor, changed=changes))
    await session.flush()
    return await get(session, notice.id)


def _check_sendable(notice: Notice, incident: Incident, now: datetime) -> None:
    if notice.kind is NoticeKind.ORDER_125P and (
        not notice.judge_authorisation or render.JUDGE_PLACEHOLDER[notice.language] in notice.body
    ):
        raise JudgeAuthorisationMissing(
            "an art. 125p Sv order needs the examining judge's written authorisation: record "
            "its reference with PATCH judge_authorisation before marking the order sent"
        )
    if notice.deadline is not None and notice.deadline <= now:
        raise NoticeDeadlinePassed(
            "the deadline in this notice is over: set a new deadline (PATCH deadline) and "
            "correct the date in the text before sending"
        )
    _check_leaks(incident, notice.body)


async def change_status(
    session: AsyncSession,
    notice_id: str,
    *,
    to: NoticeStatus,
    actor: str,
    answer: str | None = None,
    statement_of_reasons_ref: str | None = None,
    via: str = "manual",
    now: datetime | None = None,
) -> Notice:
    """Move a notice along its path, recording the answer that came with the change."""
    now = now or utcnow()
    notice = await get(session, notice_id)
    await _transition(
        session,
        notice,
        to=to,
        actor=actor,
        answer=answer,
        statement_of_reasons_ref=statement_of_reasons_ref,
        via=via,
        now=now,
    )
    await session.flush()
    return await get(session, notice.id)


async def _transition(
    session: AsyncSession,
    notice: Notice,
    *,
    to: NoticeStatus,
    actor: str,
    now: datetime,
    answer: str | None = None,
    statement_of_reasons_ref: str | None = None,
    via: str = "manual",
) -> None:
    current = notice.status
    if to not in TRANSITIONS[current]:
        raise InvalidNoticeTransition(
            f"a {current.value} notice cannot become {to.value} (allowed: "
            f"{', '.join(sorted(s.value for s in TRANSITIONS[current])) or 'none, it is final'})"
        )
    if notice.kind is NoticeKind.AANGIFTE and to in {
        NoticeStatus.CONTENT_REMOVED,
        NoticeStatus.REFUSED,
        NoticeStatus.NO_ANSWER,
    }:
        raise InvalidNoticeTransition(
            "an aangifte is filed (sent) and may be acknowledged; removal is tracked on the "
            "notices to the platform or poster"
        )
    if to is NoticeStatus.SENT:
        incident = await _incident(session, notice.incident_id)
        _check_sendable(notice, incident, now)
        notice.sent_at = now
        notice.sent_via = via
    if to in ANSWERS:
        notice.answered_at = now
    if statement_of_reasons_ref:
        notice.statement_of_reasons_ref = statement_of_reasons_ref.strip()
    notice.status = to
    notice.updated_at = now
    session.add(
        NoticeEvent(
            notice_id=notice.id,
            at=now,
            actor=actor,
            from_status=current.value,
            to_status=to.value,
            answer=answer,
            statement_of_reasons_ref=statement_of_reasons_ref,
        )
    )
    detail: dict[str, object] = {"from": current.value, "to": to.value}
    if statement_of_reasons_ref:
        detail["statement_of_reasons_ref"] = statement_of_reasons_ref
    session.add(_event(notice, f"notice_{to.value}", actor, **detail))


# Sending -------------------------------------------------------------------------------


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message, from_addr=settings.smtp_from)


def email_recipient(notice: Notice) -> str | None:
    """The address the notice would be e-mailed to, if it has one."""
    recipient = (notice.recipient or "").strip()
    if "@" in recipient and " " not in recipient and not recipient.startswith("http"):
        return recipient
    return None


async def send(session: AsyncSession, settings: Settings, notice_id: str, *, actor: str) -> Notice:
    """E-mail a draft to its recipient, keep the message as evidence, mark it sent."""
    now = utcnow()
    notice = await get(session, notice_id)
    if notice.kind not in render.EMAIL_KINDS:
        raise NotSendableByEmail(
            f"a {notice.kind.value} does not go by e-mail; export it and mark it sent"
        )
    to = email_recipient(notice)
    if to is None:
        raise NotSendableByEmail(
            "the notice has no e-mail recipient (a web form or nothing): set recipient, or "
            "submit it through the platform's form and mark it sent"
        )
    if settings.smtp_host is None:
        raise EmailNotConfigured("set DOXWATCH_SMTP_HOST to send notices by e-mail")
    if notice.status is not NoticeStatus.DRAFT:
        raise InvalidNoticeTransition(f"notice is already {notice.status.value}")
    incident = await _incident(session, notice.incident_id)
    _check_sendable(notice, incident, now)
    message = build_eml(notice, settings, draft=False)
    try:
        await asyncio.to_thread(_smtp_send, settings, message)
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailFailed(f"the SMTP server did not take the message: {exc}") from exc
    raw = message.as_bytes()
    session.add(
        NoticeEvidence(
            notice_id=notice.id,
            at=now,
            kind="sent_email",
            media_type="message/rfc822",
            sha256=hashlib.sha256(raw).hexdigest(),
            message_id=str(message["Message-ID"]),
            content=raw,
            actor=actor,
        )
    )
    await _transition(session, notice, to=NoticeStatus.SENT, actor=actor, via="smtp", now=now)
    await session.flush()
    return await get(session, notice.id)


# Export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """A rendered file."""

    content: bytes
    media_type: str
    filename: str


def _pdf(notice: Notice, settings: Settings) -> bytes:
    return export.to_pdf(
        notice.body,
        title=render.subject_of(notice.body, notice.kind.value),
        reference=render.reference(notice.id),
        author=settings.notifier_name,
    )


def build_eml(notice: Notice, settings: Settings, *, draft: bool) -> EmailMessage:
    """The notice as an e-mail with its PDF attached."""
    ref = render.reference(notice.id)
    return export.to_eml(
        text=render.markdown_to_text(notice.body),
        subject=render.subject_of(notice.body, ref),
        sender_name=settings.notifier_name,
        sender_email=settings.notifier_email,
        recipient=email_recipient(notice),
        notice_id=notice.id,
        template_version=notice.template_version,
        pdf=_pdf(notice, settings),
        pdf_name=f"{ref}.pdf",
        draft=draft,
    )


async def export_notice(
    session: AsyncSession, settings: Settings, notice_id: str, fmt: str
) -> Export:
    """The notice as ``md``, ``txt``, ``pdf`` or ``eml`` (re-checked for leaked data)."""
    notice = await get(session, notice_id)
    incident = await _incident(session, notice.incident_id)
    _check_leaks(incident, notice.body)
    stem = f"{render.reference(notice.id)}-{notice.kind.value}-{notice.language.value}"
    if fmt == "md":
        return Export(notice.body.encode(), "text/markdown; charset=utf-8", f"{stem}.md")
    if fmt == "txt":
        text = render.markdown_to_text(notice.body)
        return Export(text.encode(), "text/plain; charset=utf-8", f"{stem}.txt")
    if fmt == "pdf":
        return Export(_pdf(notice, settings), "application/pdf", f"{stem}.pdf")
    if fmt == "eml":
        eml = build_eml(notice, settings, draft=True).as_bytes()
        return Export(eml, "message/rfc822", f"{stem}.eml")
    raise ValueError(f"unknown export format {fmt!r}")


# Deadlines and the closing rule --------------------------------------------------------


async def mark_overdue(session: AsyncSession, now: datetime) -> int:
    """Sent/acknowledged notices past their deadline become no_answer, with a follow-up task.

    Idempotent: a notice is moved once, and the task (kind ``notice_overdue:<id>``) is
    added only when the incident does not have it yet. Returns how many notices moved.
    """
    moved = 0
    for notice in await repository.overdue(session, now):
        await _transition(session, notice, to=NoticeStatus.NO_ANSWER, actor="system", now=now)
        kind = f"{OVERDUE_TASK_PREFIX}{notice.id}"
        if not await repository.task_exists(session, notice.incident_id, kind):
            title = render.KIND_TITLES[NoticeLanguage.NL][notice.kind]
            session.add(
                Task(
                    incident_id=notice.incident_id,
                    kind=kind,
                    route=FOLLOW_UP_ROUTE,
                    title=(
                        f"Geen antwoord op {title.lower()} {render.reference(notice.id)} "
                        "binnen de termijn: opvolgen (herinnering, bevel art. 125p Sv of "
                        "kort geding)"
                    ),
                    created_at=now,
                    detail={
                        "notice_id": notice.id,
                        "deadline": notice.deadline.isoformat() if notice.deadline else None,
                    },
                )
            )
        session.add(
            _event(
                notice,
                "notice_overdue",
                "system",
                deadline=notice.deadline.isoformat() if notice.deadline else None,
            )
        )
        moved += 1
    await session.flush()
    return moved


async def removal_recorded(session: AsyncSession, incident_id: str) -> bool:
    """True when a notice of the incident reached content_removed (closing rule)."""
    return await repository.removal_count(session, incident_id) > 0


async def removal_closing_check(
    session: AsyncSession, incident: Incident, resolution: Resolution
) -> str | None:
    """Refuse closing as content_removed while no notice records the removal."""
    if resolution is Resolution.CONTENT_REMOVED and not await removal_recorded(
        session, incident.id
    ):
        return (
            "closing as content_removed needs a recorded removal: record the answer on a "
            "notice of this incident first (POST /api/v1/notices/{id}/status "
            "content_removed), or close with another resolution"
        )
    return None


def register_closing_check() -> None:
    """Add the removal rule to the incident workflow's closing checks (once)."""
    if removal_closing_check not in workflow.CLOSING_CHECKS:
        workflow.CLOSING_CHECKS.append(removal_closing_check)


register_closing_check()


# Warnings shown with a notice ----------------------------------------------------------


def warnings(notice: Notice) -> list[str]:
    """What still needs a person before the notice can go out as it should."""
    out: list[str] = []
    if notice.kind is NoticeKind.ORDER_125P and (
        not notice.judge_authorisation or render.JUDGE_PLACEHOLDER[notice.language] in notice.body
    ):
        out.append(
            "the examining judge's authorisation is still to be recorded "
            "(PATCH judge_authorisation); the order cannot be marked sent before"
        )
    if render.STATEMENT_PLACEHOLDER[notice.language] in notice.body:
        out.append("the reporting officer's statement is still a placeholder")
    if notice.deadline is not None and notice.status is NoticeStatus.DRAFT:
        stated = render.format_time(notice.deadline, notice.language)
        if stated not in notice.body:
            out.append(f"the text does not state the deadline ({stated}); correct it")
    if (
        notice.kind in render.EMAIL_KINDS
        and notice.status is NoticeStatus.DRAFT
        and email_recipient(notice) is None
    ):
        out.append("no e-mail recipient: send it through the platform's form, then mark it sent")
    return out


# Platform directory --------------------------------------------------------------------


async def add_platform(session: AsyncSession, values: dict[str, object], *, actor: str) -> Platform:
    """Add a platform to the directory; PlatformExists if the id is taken."""
    platform_id = str(values["id"])
    if await repository.get_platform(session, platform_id) is not None:
        raise PlatformExists(f"the directory already has a platform {platform_id!r}")
    platform = Platform(**values, updated_at=utcnow(), updated_by=actor)
    session.add(platform)
    await session.flush()
    return platform


async def edit_platform(
    session: AsyncSession, platform_id: str, changes: dict[str, object], *, actor: str
) -> Platform:
    """Change fields of a directory entry."""
    platform = await _platform(session, platform_id)
    for name, value in changes.items():
        setattr(platform, name, value)
    platform.updated_at = utcnow()
    platform.updated_by = actor
    await session.flush()
    return platform

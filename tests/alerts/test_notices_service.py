"""Notice rules on SQLite and PostgreSQL: drafting, revisions, status path, deadlines."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.errors import (
    InvalidNoticeTransition,
    InvalidTransition,
    JudgeAuthorisationMissing,
    NoticeContainsPersonalData,
    NoticeDeadlinePassed,
    NoticeNotEditable,
    NotSendableByEmail,
    PlatformExists,
)
from services.alerts.incidents import workflow
from services.alerts.models import (
    Incident,
    IncidentEvent,
    IncidentStatus,
    Resolution,
    Task,
)
from services.alerts.notices import render, service
from services.alerts.notices.models import (
    Notice,
    NoticeKind,
    NoticeLanguage,
    NoticeStatus,
    Platform,
)
from services.config import Settings, load_settings
from services.db import utcnow
from services.security import Principal, Role
from tests.alerts.notice_data import FORBIDDEN, URL_1, URL_2, stored_incident

S = NoticeStatus


@pytest.fixture
def settings() -> Settings:
    return load_settings(notifier_name="Monitoringsteam (test)")


async def _draft(
    session: AsyncSession,
    settings: Settings,
    kind: NoticeKind = NoticeKind.DSA_NOTICE,
    language: NoticeLanguage = NoticeLanguage.NL,
    **kw: object,
) -> tuple[Incident, Notice]:
    incident = await stored_incident(session)
    notice = await service.create(
        session,
        settings,
        incident_id=incident.id,
        kind=kind,
        language=language,
        actor="analyst-anna",
        **kw,  # type: ignore[arg-type]
    )
    return incident, notice


async def _events(session: AsyncSession, incident_id: str) -> list[IncidentEvent]:
    rows = await session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.id)
    )
    return list(rows)


async def test_platform_directory_is_seeded(db_session: AsyncSession) -> None:
    ids = set(await db_session.scalars(select(Platform.id)))
    assert {
        "x", "facebook", "instagram", "tiktok", "youtube", "telegram", "reddit",
        "snapchat", "linkedin", "mastodon",
    } <= ids  # fmt: skip
    x = await db_session.get(Platform, "x")
    assert x is not None and x.contact_verified is False and x.dsa_contact_email is None


async def test_platform_ids_are_unique(db_session: AsyncSession) -> None:
    with pytest.raises(PlatformExists):
        await service.add_platform(db_session, {"id": "x", "name": "X again"}, actor="admin")


async def test_draft_is_rendered_stored_and_on_the_timeline(
    db_session: AsyncSession, settings: Settings
) -> None:
    before = utcnow()
    incident, notice = await _draft(db_session, settings)
    assert notice.status is S.DRAFT
    assert notice.platform_id == "x"  # from the posts' platform
    assert notice.template_version == "dsa_notice.nl.v1+blocks.v1"
    assert URL_1 in notice.body and URL_2 in notice.body
    assert "Monitoringsteam (test)" in notice.body
    assert notice.deadline is not None
    assert timedelta(hours=47.9) < notice.deadline - before < timedelta(hours=48.1)
    assert [(r.number, r.reason, r.author) for r in notice.revisions] == [
        (1, "drafted", "analyst-anna")
    ]
    events = await _events(db_session, incident.id)
    created = [e for e in events if e.kind == "notice_created"]
    assert len(created) == 1 and created[0].actor == "analyst-anna"
    assert created[0].detail["notice_id"] == notice.id
    # The seeded platform has no verified contact yet: the analyst is told.
    assert any("no e-mail recipient" in w for w in service.warnings(notice))
    for value in FORBIDDEN:
        assert value.casefold() not in notice.body.casefold()


async def test_every_edit_is_kept_as_a_revision(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, notice = await _draft(db_session, settings)
    first = notice.body
    second = first.replace("Geachte heer, mevrouw,", "Geachte DSA-contactpersoon,")
    notice = await service.edit(db_session, notice.id, actor="analyst-bram", body=second)
    third = second + "\nPS: zie ook de eerdere melding.\n"
    notice = await service.edit(db_session, notice.id, actor="analyst-anna", body=third)
    assert notice.body == third
    assert [(r.number, r.reason, r.author) for r in notice.revisions] == [
        (1, "drafted", "analyst-anna"),
        (2, "edited", "analyst-bram"),
        (3, "edited", "analyst-anna"),
    ]
    assert [r.body for r in notice.revisions] == [first, second, third]


@pytest.mark.parametrize(
    "addition",
    ["Hij woont op Lindelaan 14.", "bel 06 1234 5678", "kenteken gh123k", "+31612345678"],
)
async def test_an_edit_repeating_leaked_data_is_refused(
    db_session: AsyncSession, settings: Settings, addition: str
) -> None:
    _, notice = await _draft(db_session, settings)
    with pytest.raises(NoticeContainsPersonalData) as err:
        await service.edit(db_session, notice.id, actor="a", body=notice.body + addition)
    assert "leaked" in err.value.detail
    assert addition not in err.value.detail  # the message names the type, not the value
    refreshed = await service.get(db_session, notice.id)
    assert len(refreshed.revisions) == 1


async def test_a_recipient_that_is_leaked_data_is_refused(
    db_session: AsyncSession, settings: Settings
) -> None:
    with pytest.raises(NoticeContainsPersonalData):
        await _draft(db_session, settings, kind=NoticeKind.SOMMATIE, recipient="06-12345678")


async def test_status_path_records_answers(db_session: AsyncSession, settings: Settings) -> None:
    incident, notice = await _draft(db_session, settings)
    notice = await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")
    assert notice.sent_at is not None and notice.sent_via == "manual"
    notice = await service.change_status(
        db_session, notice.id, to=S.ACKNOWLEDGED, actor="anna", answer="Ontvangen, in behandeling."
    )
    notice = await service.change_status(
        db_session,
        notice.id,
        to=S.CONTENT_REMOVED,
        actor="anna",
        answer="Content removed for violating our rules.",
        statement_of_reasons_ref="SOR-2026-000123",
    )
    assert notice.status is S.CONTENT_REMOVED
    assert notice.statement_of_reasons_ref == "SOR-2026-000123"
    assert notice.answered_at is not None
    assert [(e.from_status, e.to_status) for e in notice.events] == [
        (None, "draft"),
        ("draft", "sent"),
        ("sent", "acknowledged"),
        ("acknowledged", "content_removed"),
    ]
    assert notice.events[-1].answer == "Content removed for violating our rules."
    kinds = [e.kind for e in await _events(db_session, incident.id)]
    assert kinds[-3:] == ["notice_sent", "notice_acknowledged", "notice_content_removed"]
    with pytest.raises(InvalidNoticeTransition):
        await service.change_status(db_session, notice.id, to=S.REFUSED, actor="anna")
    with pytest.raises(NoticeNotEditable):
        await service.edit(db_session, notice.id, actor="anna", body="anders")


async def test_a_draft_cannot_be_answered(db_session: AsyncSession, settings: Settings) -> None:
    _, notice = await _draft(db_session, settings)
    with pytest.raises(InvalidNoticeTransition):
        await service.change_status(db_session, notice.id, to=S.CONTENT_REMOVED, actor="a")


async def test_order_125p_is_not_sent_without_the_judges_authorisation(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, notice = await _draft(db_session, settings, kind=NoticeKind.ORDER_125P)
    placeholder = render.JUDGE_PLACEHOLDER[NoticeLanguage.NL]
    assert placeholder in notice.body
    assert any("authorisation" in w for w in service.warnings(notice))
    with pytest.raises(JudgeAuthorisationMissing) as err:
        await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")
    assert "PATCH judge_authorisation" in err.value.detail
    notice = await service.edit(
        db_session, notice.id, actor="anna", judge_authorisation="RC 26/4711, machtiging 1-12-2026"
    )
    assert placeholder not in notice.body
    assert "RC 26/4711, machtiging 1-12-2026" in notice.body
    assert notice.revisions[-1].reason == "authorisation"
    notice = await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")
    assert notice.status is S.SENT


async def test_order_125p_with_the_placeholder_edited_back_is_not_sent(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, notice = await _draft(db_session, settings, kind=NoticeKind.ORDER_125P)
    body = notice.body
    notice = await service.edit(db_session, notice.id, actor="a", judge_authorisation="RC 26/1")
    await service.edit(db_session, notice.id, actor="a", body=body)  # placeholder is back
    with pytest.raises(JudgeAuthorisationMissing):
        await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")


async def test_aangifte_is_filed_without_deadline_or_removal(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, notice = await _draft(db_session, settings, kind=NoticeKind.AANGIFTE)
    assert notice.deadline is None and notice.platform_id is None
    notice = await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")
    with pytest.raises(InvalidNoticeTransition):
        await service.change_status(db_session, notice.id, to=S.CONTENT_REMOVED, actor="anna")
    with pytest.raises(NotSendableByEmail):
        await service.send(db_session, settings, notice.id, actor="anna")


async def test_a_letter_whose_deadline_is_over_is_not_sent(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, notice = await _draft(db_session, settings, kind=NoticeKind.SOMMATIE)
    assert notice.deadline is not None
    late = notice.deadline + timedelta(minutes=1)
    with pytest.raises(NoticeDeadlinePassed):
        await service.change_status(db_session, notice.id, to=S.SENT, actor="a", now=late)


async def test_overdue_notice_becomes_no_answer_with_one_task(
    db_session: AsyncSession, settings: Settings
) -> None:
    incident, notice = await _draft(db_session, settings)
    await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")
    assert notice.deadline is not None
    assert await service.mark_overdue(db_session, notice.deadline - timedelta(seconds=1)) == 0
    after = notice.deadline + timedelta(seconds=1)
    assert await service.mark_overdue(db_session, after) == 1
    assert await service.mark_overdue(db_session, after + timedelta(hours=1)) == 0
    notice = await service.get(db_session, notice.id)
    assert notice.status is S.NO_ANSWER
    assert notice.events[-1].actor == "system"
    tasks = list(await db_session.scalars(select(Task).where(Task.incident_id == incident.id)))
    overdue = [t for t in tasks if t.kind == f"notice_overdue:{notice.id}"]
    assert len(overdue) == 1
    assert overdue[0].route == "follow_up"
    assert overdue[0].title.startswith("Geen antwoord op melding illegale inhoud")
    kinds = [e.kind for e in await _events(db_session, incident.id)]
    assert kinds.count("notice_overdue") == 1 and kinds.count("notice_no_answer") == 1
    # An answer after the deadline is still recorded.
    notice = await service.change_status(db_session, notice.id, to=S.CONTENT_REMOVED, actor="a")
    assert notice.status is S.CONTENT_REMOVED


async def test_acknowledged_notice_also_runs_out(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, notice = await _draft(db_session, settings, kind=NoticeKind.REMOVAL_REQUEST)
    await service.change_status(db_session, notice.id, to=S.SENT, actor="a")
    await service.change_status(db_session, notice.id, to=S.ACKNOWLEDGED, actor="a")
    assert notice.deadline is not None
    assert await service.mark_overdue(db_session, notice.deadline + timedelta(hours=1)) == 1
    assert (await service.get(db_session, notice.id)).status is S.NO_ANSWER


async def test_removal_recorded_only_after_content_removed(
    db_session: AsyncSession, settings: Settings
) -> None:
    incident, refused = await _draft(db_session, settings)
    assert await service.removal_recorded(db_session, incident.id) is False
    await service.change_status(db_session, refused.id, to=S.SENT, actor="a")
    await service.change_status(db_session, refused.id, to=S.REFUSED, actor="a")
    assert await service.removal_recorded(db_session, incident.id) is False
    other = await service.create(
        db_session,
        settings,
        incident_id=incident.id,
        kind=NoticeKind.SOMMATIE,
        language=NoticeLanguage.EN,
        actor="a",
    )
    await service.change_status(db_session, other.id, to=S.SENT, actor="a")
    await service.change_status(db_session, other.id, to=S.CONTENT_REMOVED, actor="a")
    assert await service.removal_recorded(db_session, incident.id) is True
    assert await service.removal_recorded(db_session, "no-such-incident") is False


async def test_removal_request_refers_to_the_dsa_notice(
    db_session: AsyncSession, settings: Settings
) -> None:
    incident, dsa = await _draft(db_session, settings)
    request = await service.create(
        db_session,
        settings,
        incident_id=incident.id,
        kind=NoticeKind.REMOVAL_REQUEST,
        language=NoticeLanguage.NL,
        actor="a",
    )
    assert render.reference(dsa.id) in request.body
    assert "sluit aan bij onze melding illegale inhoud (art. 16 DSA)" in request.body


async def test_exports_are_real_files(db_session: AsyncSession, settings: Settings) -> None:
    _, notice = await _draft(db_session, settings, recipient="dsa@x.example")
    md = await service.export_notice(db_session, settings, notice.id, "md")
    assert md.content.decode() == notice.body and md.filename.endswith(".md")
    txt = (await service.export_notice(db_session, settings, notice.id, "txt")).content.decode()
    assert txt.startswith("Melding illegale inhoud") and "**" not in txt.splitlines()[3]
    pdf = await service.export_notice(db_session, settings, notice.id, "pdf")
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    assert URL_1 in text and "art. 285d Sr" in text and "art. 6:196c BW" in text
    eml = await service.export_notice(db_session, settings, notice.id, "eml")
    parsed = email.message_from_bytes(eml.content, policy=email.policy.default)
    assert parsed["To"] == "dsa@x.example" and parsed["X-Unsent"] == "1"
    for value in FORBIDDEN:
        for content in (txt, text):
            assert value.casefold() not in content.casefold()


async def test_incident_closes_as_content_removed_only_after_a_removal(
    db_session: AsyncSession, settings: Settings
) -> None:
    incident, notice = await _draft(db_session, settings)
    who = Principal(token_id=1, name="analyst-anna", role=Role.ANALYST)
    row = await db_session.get(Incident, incident.id)
    assert row is not None
    with pytest.raises(InvalidTransition) as err:
        await workflow.change_status(
            db_session, row, who, IncidentStatus.CLOSED, resolution=Resolution.CONTENT_REMOVED
        )
    assert "recorded removal" in err.value.detail
    assert row.status is not IncidentStatus.CLOSED
    await service.change_status(db_session, notice.id, to=S.SENT, actor="anna")
    await service.change_status(db_session, notice.id, to=S.CONTENT_REMOVED, actor="anna")
    await workflow.change_status(
        db_session, row, who, IncidentStatus.CLOSED, resolution=Resolution.CONTENT_REMOVED
    )
    assert (row.status, row.resolution) == (IncidentStatus.CLOSED, Resolution.CONTENT_REMOVED)


async def test_other_resolutions_do_not_need_a_removal(
    db_session: AsyncSession, settings: Settings
) -> None:
    incident = await stored_incident(db_session)
    row = await db_session.get(Incident, incident.id)
    assert row is not None
    who = Principal(token_id=1, name="analyst-anna", role=Role.ANALYST)
    await workflow.change_status(
        db_session, row, who, IncidentStatus.CLOSED, resolution=Resolution.REPORT_FILED
    )
    assert row.status is IncidentStatus.CLOSED

"""Notices and platform directory endpoints (thin: rules in service.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response

from services.alerts import audit
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
from services.alerts.notices import repository, service
from services.alerts.notices.models import Notice, NoticeStatus
from services.alerts.notices.render import reference
from services.alerts.notices.schemas import (
    EvidenceOut,
    NoticeDetail,
    NoticeEdit,
    NoticeEventOut,
    NoticeIn,
    NoticeOut,
    PlatformEdit,
    PlatformIn,
    PlatformOut,
    RevisionOut,
    StatusIn,
)
from services.runtime import Runtime
from services.security import Principal, Role
from services.web import DbSession, Forbidden, get_runtime, require, responses

router = APIRouter(prefix="/api/v1", tags=["notices"])

Reader = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST, Role.INTEGRATION))]
Writer = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Rt = Annotated[Runtime, Depends(get_runtime)]


def notice_out(notice: Notice) -> NoticeOut:
    """A notice as listed (with its current body)."""
    return NoticeOut(
        id=notice.id,
        reference=reference(notice.id),
        incident_id=notice.incident_id,
        kind=notice.kind,
        language=notice.language,
        template_version=notice.template_version,
        platform_id=notice.platform_id,
        recipient=notice.recipient,
        status=notice.status,
        deadline=notice.deadline,
        sent_at=notice.sent_at,
        sent_via=notice.sent_via,
        answered_at=notice.answered_at,
        statement_of_reasons_ref=notice.statement_of_reasons_ref,
        judge_authorisation=notice.judge_authorisation,
        created_by=notice.created_by,
        created_at=notice.created_at,
        updated_at=notice.updated_at,
        body=notice.body,
        warnings=service.warnings(notice),
    )


def notice_detail(notice: Notice) -> NoticeDetail:
    """A notice with revisions, events and evidence."""
    return NoticeDetail(
        **notice_out(notice).model_dump(),
        revisions=[RevisionOut.model_validate(r) for r in notice.revisions],
        events=[NoticeEventOut.model_validate(e) for e in notice.events],
        evidence=[EvidenceOut.model_validate(e) for e in notice.evidence],
    )


@router.post(
    "/incidents/{incident_id}/notices",
    status_code=status.HTTP_201_CREATED,
    response_model=NoticeDetail,
    summary="Draft a notice from the incident's evidence",
    responses=responses(
        Forbidden,
        IncidentNotFound,
        PlatformNotFound,
        NoticeDeadlinePassed,
        NoticeContainsPersonalData,
    ),
)
async def create_notice(
    incident_id: str, body: NoticeIn, who: Writer, session: DbSession, runtime: Rt
) -> NoticeDetail:
    """Render the kind's template in the language from the incident; status ``draft``."""
    notice = await service.create(
        session,
        runtime.settings,
        incident_id=incident_id,
        kind=body.kind,
        language=body.language,
        actor=who.name,
        platform_id=body.platform_id,
        recipient=body.recipient,
        deadline=body.deadline,
    )
    audit.record(
        session, who, "notice.create", "notice", notice.id,
        incident_id=incident_id, kind=notice.kind.value, language=notice.language.value,
    )  # fmt: skip
    return notice_detail(notice)


@router.get(
    "/incidents/{incident_id}/notices",
    response_model=list[NoticeOut],
    summary="The incident's notices, oldest first",
    responses=responses(Forbidden, IncidentNotFound),
)
async def list_notices(incident_id: str, who: Reader, session: DbSession) -> list[NoticeOut]:
    """Every notice of the incident with its current body and status."""
    notices = await service.list_for_incident(session, incident_id)
    audit.record(session, who, "notice.list", "incident", incident_id)
    return [notice_out(n) for n in notices]


@router.get(
    "/notices/{notice_id}",
    response_model=NoticeDetail,
    summary="One notice with its revisions, status events and sent messages",
    responses=responses(Forbidden, NoticeNotFound),
)
async def get_notice(notice_id: str, who: Reader, session: DbSession) -> NoticeDetail:
    """The notice and its history."""
    notice = await service.get(session, notice_id)
    audit.record(session, who, "notice.view", "notice", notice.id)
    return notice_detail(notice)


@router.patch(
    "/notices/{notice_id}",
    response_model=NoticeDetail,
    summary="Edit a draft (each new body is kept as a revision)",
    responses=responses(
        Forbidden,
        NoticeNotFound,
        PlatformNotFound,
        NoticeNotEditable,
        NoticeContainsPersonalData,
    ),
)
async def edit_notice(
    notice_id: str, body: NoticeEdit, who: Writer, session: DbSession
) -> NoticeDetail:
    """Change body, recipient, platform, deadline or (order_125p) the judge's authorisation."""
    notice = await service.edit(
        session,
        notice_id,
        actor=who.name,
        body=body.body,
        recipient=body.recipient,
        platform_id=body.platform_id,
        deadline=body.deadline,
        judge_authorisation=body.judge_authorisation,
    )
    fields = sorted(body.model_dump(exclude_unset=True))
    audit.record(session, who, "notice.edit", "notice", notice.id, fields=fields)
    return notice_detail(notice)


@router.get(
    "/notices/{notice_id}/export",
    response_class=Response,
    summary="The notice as Markdown, plain text, PDF or an .eml ready to send",
    responses={
        **responses(Forbidden, NoticeNotFound, NoticeContainsPersonalData),
        200: {
            "content": {
                "text/markdown": {},
                "text/plain": {},
                "application/pdf": {},
                "message/rfc822": {},
            },
            "description": "The file, with a Content-Disposition file name.",
        },
    },
)
async def export_notice(
    notice_id: str,
    who: Reader,
    session: DbSession,
    runtime: Rt,
    format: Annotated[Literal["md", "txt", "pdf", "eml"], Query(description="File format.")] = "md",
) -> Response:
    """Download the current body in a format."""
    result = await service.export_notice(session, runtime.settings, notice_id, format)
    audit.record(session, who, "notice.export", "notice", notice_id, format=format)
    return Response(
        content=result.content,
        media_type=result.media_type,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
    )


@router.post(
    "/notices/{notice_id}/status",
    response_model=NoticeDetail,
    summary="Record that the notice was sent, or the answer to it",
    responses=responses(
        Forbidden,
        NoticeNotFound,
        InvalidNoticeTransition,
        JudgeAuthorisationMissing,
        NoticeContainsPersonalData,
    ),
)
async def change_status(
    notice_id: str, body: StatusIn, who: Writer, session: DbSession
) -> NoticeDetail:
    """sent, acknowledged, content_removed or refused, with the answer and SoR reference."""
    notice = await service.change_status(
        session,
        notice_id,
        to=NoticeStatus(body.status.value),
        actor=who.name,
        answer=body.answer,
        statement_of_reasons_ref=body.statement_of_reasons_ref,
    )
    audit.record(session, who, "notice.status", "notice", notice.id, to=body.status.value)
    return notice_detail(notice)


@router.post(
    "/notices/{notice_id}/send",
    response_model=NoticeDetail,
    summary="E-mail a draft notice and mark it sent (kept as evidence)",
    responses=responses(
        Forbidden,
        NoticeNotFound,
        NotSendableByEmail,
        EmailNotConfigured,
        NoticeContainsPersonalData,
        EmailFailed,
    ),
)
async def send_notice(notice_id: str, who: Writer, session: DbSession, runtime: Rt) -> NoticeDetail:
    """Send by SMTP to the recipient; the sent .eml and its SHA-256 are stored."""
    notice = await service.send(session, runtime.settings, notice_id, actor=who.name)
    audit.record(session, who, "notice.send", "notice", notice.id)
    return notice_detail(notice)


@router.get(
    "/platforms",
    response_model=list[PlatformOut],
    summary="The platform directory",
    tags=["platforms"],
    responses=responses(Forbidden),
)
async def list_platforms(_: Reader, session: DbSession) -> list[PlatformOut]:
    """Every platform, by name."""
    return [PlatformOut.model_validate(p) for p in await repository.list_platforms(session)]


@router.get(
    "/platforms/{platform_id}",
    response_model=PlatformOut,
    summary="One platform of the directory",
    tags=["platforms"],
    responses=responses(Forbidden, PlatformNotFound),
)
async def get_platform(platform_id: str, _: Reader, session: DbSession) -> PlatformOut:
    """A directory entry."""
    platform = await repository.get_platform(session, platform_id)
    if platform is None:
        raise PlatformNotFound(f"no platform {platform_id!r} in the directory")
    return PlatformOut.model_validate(platform)


@router.post(
    "/platforms",
    status_code=status.HTTP_201_CREATED,
    response_model=PlatformOut,
    summary="Add a platform to the directory (admin)",
    tags=["platforms"],
    responses=responses(Forbidden, PlatformExists),
)
async def add_platform(body: PlatformIn, who: Admin, session: DbSession) -> PlatformOut:
    """A new directory entry."""
    values = body.model_dump(mode="json")
    platform = await service.add_platform(session, values, actor=who.name)
    audit.record(session, who, "platform.create", "platform", platform.id)
    return PlatformOut.model_validate(platform)


@router.patch(
    "/platforms/{platform_id}",
    response_model=PlatformOut,
    summary="Change a directory entry (admin)",
    tags=["platforms"],
    responses=responses(Forbidden, PlatformNotFound),
)
async def edit_platform(
    platform_id: str, body: PlatformEdit, who: Admin, session: DbSession
) -> PlatformOut:
    """Fields sent replace the stored ones (send null to clear a contact)."""
    required = {"name", "language", "contact_verified"}
    changes = {
        k: v
        for k, v in body.model_dump(mode="json", exclude_unset=True).items()
        if v is not None or k not in required
    }
    platform = await service.edit_platform(session, platform_id, changes, actor=who.name)
    audit.record(session, who, "platform.update", "platform", platform.id, fields=sorted(changes))
    return PlatformOut.model_validate(platform)

"""The audit log, read-only, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from services.alerts.models import AuditEntry
from services.security import Principal, Role
from services.web import DbSession, Forbidden, require, responses

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class AuditOut(BaseModel):
    """One audit entry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str
    action: str = Field(examples=["incident.view"])
    target_type: str
    target_id: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    """Audit entries, newest first; pass ``next_before`` as ``?before=`` for older ones."""

    items: list[AuditOut]
    next_before: int | None


@router.get("", response_model=AuditPage, summary="The audit log", responses=responses(Forbidden))
async def list_audit(
    _: Admin,
    session: DbSession,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    before: Annotated[int | None, Query(ge=1, description="Entries with a lower id.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Every view of evidence and every change, newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    rows = list(await session.scalars(query.limit(limit + 1)))
    page = rows[:limit]
    return AuditPage(
        items=[AuditOut.model_validate(r) for r in page],
        next_before=page[-1].id if len(rows) > limit and page else None,
    )

"""The append-only audit log: every view of evidence and every change, with who did it.

Rows are only ever inserted (the database refuses UPDATE and DELETE on ``audit_log``,
see migration 0002). Details name ids and fields, never personal data or post text.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.alerts.models import AuditEntry
from services.security import Principal


def record(
    session: AsyncSession,
    actor: Principal | str,
    action: str,
    target_type: str,
    target_id: str | int | None = None,
    **detail: Any,
) -> None:
    """Add one audit entry to the session (committed with the change it describes)."""
    if isinstance(actor, Principal):
        name, role = actor.name, actor.role.value
    else:
        name, role = actor, "system"
    session.add(
        AuditEntry(
            actor=name[:128],
            role=role,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            detail=detail,
        )
    )

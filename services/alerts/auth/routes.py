"""Token management (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.alerts import audit
from services.alerts.auth import repository
from services.alerts.auth.schemas import TokenCreated, TokenIn, TokenOut
from services.alerts.errors import InvalidRequest, OfficerNotFound, TokenNotFound
from services.alerts.models import Officer
from services.db import utcnow
from services.security import Principal, Role, issue_token
from services.web import DbSession, Forbidden, require, responses

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    summary="Create an API token (its value is shown once)",
    responses=responses(Forbidden, InvalidRequest, OfficerNotFound),
)
async def create_token(body: TokenIn, who: Admin, session: DbSession) -> TokenCreated:
    """Issue a token with a role (an officer token belongs to a registered officer)."""
    if (body.role is Role.OFFICER) != (body.officer_id is not None):
        raise InvalidRequest("officer_id is required for role 'officer' and only allowed there")
    if body.officer_id is not None and await session.get(Officer, body.officer_id) is None:
        raise OfficerNotFound(f"no officer with id {body.officer_id!r}")
    row, token = await issue_token(session, body.name, body.role, body.officer_id)
    audit.record(session, who, "token.create", "token", row.id, role=body.role.value)
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=token)


@router.get(
    "", response_model=list[TokenOut], summary="List API tokens", responses=responses(Forbidden)
)
async def list_tokens(_: Admin, session: DbSession) -> list[TokenOut]:
    """Every token, without values."""
    return [TokenOut.model_validate(t) for t in await repository.list_tokens(session)]


@router.delete(
    "/{token_id}",
    response_model=TokenOut,
    summary="Revoke an API token",
    responses=responses(Forbidden, TokenNotFound),
)
async def revoke_token(token_id: int, who: Admin, session: DbSession) -> TokenOut:
    """Revoke; the token stops working at once."""
    row = await repository.get_token(session, token_id)
    if row is None:
        raise TokenNotFound(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, who, "token.revoke", "token", row.id)
    return TokenOut.model_validate(row)

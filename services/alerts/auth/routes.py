"""Token management (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.alerts.auth import repository
from services.alerts.auth.schemas import TokenCreated, TokenIn, TokenOut
from services.alerts.errors import TokenNotFound
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
    responses=responses(Forbidden),
)
async def create_token(body: TokenIn, _: Admin, session: DbSession) -> TokenCreated:
    """Issue a token with a role."""
    row, token = await issue_token(session, body.name, body.role)
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
async def revoke_token(token_id: int, _: Admin, session: DbSession) -> TokenOut:
    """Revoke; the token stops working at once."""
    row = await repository.get_token(session, token_id)
    if row is None:
        raise TokenNotFound(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return TokenOut.model_validate(row)

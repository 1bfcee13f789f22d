"""Officer registry endpoints. Values are write-only: answers show masked forms only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import Field

from services.alerts import audit
from services.alerts.errors import (
    InvalidPersonalDataValue,
    OfficerNotFound,
    PersonalDataNotFound,
    RegistryUnavailable,
)
from services.alerts.models import Officer
from services.alerts.registry import service
from services.alerts.registry.hashing import RegistryKey
from services.alerts.registry.schemas import (
    OfficerCreated,
    OfficerIn,
    OfficerOut,
    OfficerPage,
    OfficerPatch,
    OfficerToken,
    PersonalDataIn,
    PersonalDataOut,
)
from services.runtime import Runtime
from services.security import Principal, Role, issue_token
from services.web import DbSession, Forbidden, get_runtime, require, responses

router = APIRouter(prefix="/api/v1/officers", tags=["officers"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Staff = Annotated[Principal, Depends(require(Role.ADMIN, Role.ANALYST))]
Self = Annotated[Principal, Depends(require(Role.OFFICER))]


def _key(runtime: Annotated[Runtime, Depends(get_runtime)]) -> RegistryKey:
    try:
        return service.require_key(runtime.settings)
    except service.RegistryDisabled as exc:
        raise RegistryUnavailable(str(exc)) from exc


Key = Annotated[RegistryKey, Depends(_key)]


def officer_out(officer: Officer) -> OfficerOut:
    """An officer with masked values."""
    return OfficerOut(
        id=officer.id,
        display_name=officer.display_name,
        email=officer.email,
        webhook_url=officer.webhook_url,
        language=officer.language,
        active=officer.active,
        created_at=officer.created_at,
        personal_data=[
            PersonalDataOut(
                id=i.id, type=i.type, subject=i.subject, masked=i.masked, created_at=i.created_at
            )
            for i in officer.identifiers
        ],
    )


async def _officer(session: DbSession, officer_id: str) -> Officer:
    officer = await service.get(session, officer_id)
    if officer is None:
        raise OfficerNotFound(f"no officer with id {officer_id!r}")
    return officer


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OfficerCreated,
    summary="Register a protected officer (values stored only as keyed hashes)",
    responses=responses(Forbidden, InvalidPersonalDataValue, RegistryUnavailable),
)
async def register(body: OfficerIn, who: Admin, key: Key, session: DbSession) -> OfficerCreated:
    """Answers masked values, the officer's token and webhook secret (shown once)."""
    try:
        officer, token = await service.register(session, key, body, who.name)
    except service.InvalidValue as exc:
        raise InvalidPersonalDataValue(str(exc)) from exc
    audit.record(
        session, who, "officer.create", "officer", officer.id, values=len(body.personal_data)
    )
    officer = await _officer(session, officer.id)
    return OfficerCreated(
        **officer_out(officer).model_dump(), token=token, webhook_secret=officer.webhook_secret
    )


@router.get(
    "", response_model=OfficerPage, summary="Registered officers", responses=responses(Forbidden)
)
async def list_officers(who: Staff, session: DbSession) -> OfficerPage:
    """Every officer with masked values."""
    audit.record(session, who, "officer.list", "officer", None)
    return OfficerPage(items=[officer_out(o) for o in await service.list_all(session)])


@router.get(
    "/me",
    response_model=OfficerOut,
    summary="The calling officer's own registration",
    responses=responses(Forbidden, OfficerNotFound),
)
async def me(who: Self, session: DbSession) -> OfficerOut:
    """For officer tokens: what is registered (masked)."""
    if who.officer_id is None:
        raise OfficerNotFound("this officer token is not linked to a registered officer")
    return officer_out(await _officer(session, who.officer_id))


@router.get(
    "/{officer_id}",
    response_model=OfficerOut,
    summary="One officer (masked values)",
    responses=responses(Forbidden, OfficerNotFound),
)
async def get_officer(officer_id: str, who: Staff, session: DbSession) -> OfficerOut:
    """The officer's contact details and masked values."""
    officer = await _officer(session, officer_id)
    audit.record(session, who, "officer.view", "officer", officer.id)
    return officer_out(officer)


@router.patch(
    "/{officer_id}",
    response_model=OfficerOut,
    summary="Change an officer's contact details or deactivate them",
    responses=responses(Forbidden, OfficerNotFound),
)
async def patch_officer(
    officer_id: str, body: OfficerPatch, who: Admin, session: DbSession
) -> OfficerOut:
    """Inactive officers' values match nothing."""
    officer = await _officer(session, officer_id)
    fields = body.model_dump(exclude_unset=True)
    for name, value in fields.items():
        if name in ("display_name", "language", "active") and value is None:
            continue
        setattr(officer, name, str(value) if name in ("email", "webhook_url") and value else value)
    audit.record(session, who, "officer.update", "officer", officer.id, fields=sorted(fields))
    return officer_out(officer)


@router.delete(
    "/{officer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an officer, their hashed values and their tokens",
    responses=responses(Forbidden, OfficerNotFound),
)
async def delete_officer(officer_id: str, who: Admin, session: DbSession) -> None:
    """Incidents keep their evidence; the link to the officer goes."""
    officer = await _officer(session, officer_id)
    await service.revoke_tokens(session, officer.id)
    await session.delete(officer)
    audit.record(session, who, "officer.delete", "officer", officer_id)


@router.post(
    "/{officer_id}/personal-data",
    status_code=status.HTTP_201_CREATED,
    response_model=OfficerOut,
    summary="Register more values for an officer or relative",
    responses=responses(Forbidden, OfficerNotFound, InvalidPersonalDataValue, RegistryUnavailable),
)
async def add_personal_data(
    officer_id: str,
    items: Annotated[list[PersonalDataIn], Field(min_length=1, max_length=100)],
    who: Admin,
    key: Key,
    session: DbSession,
) -> OfficerOut:
    """Answers the officer with all values masked."""
    officer = await _officer(session, officer_id)
    try:
        await service.add_values(session, key, officer, items)
    except service.InvalidValue as exc:
        raise InvalidPersonalDataValue(str(exc)) from exc
    audit.record(session, who, "officer.add_values", "officer", officer.id, values=len(items))
    return officer_out(await _officer(session, officer_id))


@router.delete(
    "/{officer_id}/personal-data/{item_id}",
    response_model=OfficerOut,
    summary="Remove one registered value",
    responses=responses(Forbidden, OfficerNotFound, PersonalDataNotFound),
)
async def remove_personal_data(
    officer_id: str, item_id: int, who: Admin, session: DbSession
) -> OfficerOut:
    """The value stops matching at once."""
    officer = await _officer(session, officer_id)
    item = next((i for i in officer.identifiers if i.id == item_id), None)
    if item is None:
        raise PersonalDataNotFound(f"officer {officer_id!r} has no registered value {item_id}")
    officer.identifiers.remove(item)
    audit.record(session, who, "officer.remove_value", "officer", officer.id, item_id=item_id)
    await session.flush()
    return officer_out(await _officer(session, officer_id))


@router.post(
    "/{officer_id}/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=OfficerToken,
    summary="Issue a new token for an officer (shown once)",
    responses=responses(Forbidden, OfficerNotFound),
)
async def officer_token(officer_id: str, who: Admin, session: DbSession) -> OfficerToken:
    """Officer tokens see only that officer's incidents."""
    officer = await _officer(session, officer_id)
    _, token = await issue_token(session, f"officer {officer.id}", Role.OFFICER, officer.id)
    audit.record(session, who, "officer.token", "officer", officer.id)
    return OfficerToken(token=token)

"""Officer registry rules: register, add and remove values, match a post's spans.

Plaintext values exist only in the request being handled: they are validated,
normalised, hashed and masked here, and nothing else keeps them (no log line, no
error message, no event carries them).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.alerts.models import Officer, OfficerDigest, OfficerIdentifier
from services.alerts.registry.hashing import RegistryKey, digests, span_digests
from services.alerts.registry.schemas import OfficerIn, PersonalDataIn
from services.config import Settings
from services.events import SpanLabel
from services.personal_data import InvalidPersonalData, mask
from services.security import ApiToken, Role, issue_token


class RegistryDisabled(Exception):
    """DOXWATCH_REGISTRY_KEY is not set."""


class InvalidValue(ValueError):
    """A registered value is not valid for its type; says which item, never the value."""


def registry_key(settings: Settings) -> RegistryKey | None:
    """The configured key, or None when the registry is off."""
    if settings.registry_key is None:
        return None
    return RegistryKey(settings.registry_key.get_secret_value())


def require_key(settings: Settings) -> RegistryKey:
    """The key, or RegistryDisabled."""
    key = registry_key(settings)
    if key is None:
        raise RegistryDisabled("the officer registry needs DOXWATCH_REGISTRY_KEY to be set")
    return key


def _identifiers(key: RegistryKey, items: Sequence[PersonalDataIn]) -> list[OfficerIdentifier]:
    out = []
    for index, item in enumerate(items):
        try:
            hashed = digests(key, item.type, item.value)
        except InvalidPersonalData as exc:
            raise InvalidValue(f"personal_data[{index}] ({item.type.value}): {exc}") from None
        out.append(
            OfficerIdentifier(
                type=item.type.value,
                subject=item.subject,
                masked=mask(item.type, item.value),
                digests=[OfficerDigest(digest=d) for d in dict.fromkeys(hashed)],
            )
        )
    return out


async def register(
    session: AsyncSession, key: RegistryKey, body: OfficerIn, created_by: str
) -> tuple[Officer, str]:
    """Create the officer with their values and an officer token; return both."""
    officer = Officer(
        display_name=body.display_name,
        email=str(body.email) if body.email else None,
        webhook_url=str(body.webhook_url) if body.webhook_url else None,
        webhook_secret=secrets.token_urlsafe(32) if body.webhook_url else None,
        language=body.language,
        created_by=created_by,
        identifiers=_identifiers(key, body.personal_data),
    )
    session.add(officer)
    await session.flush()
    _, token = await issue_token(
        session, f"officer {officer.id}", Role.OFFICER, officer_id=officer.id
    )
    return officer, token


async def add_values(
    session: AsyncSession, key: RegistryKey, officer: Officer, items: Sequence[PersonalDataIn]
) -> list[OfficerIdentifier]:
    """Register more values for an officer."""
    new = _identifiers(key, items)
    officer.identifiers.extend(new)
    await session.flush()
    return new


async def get(session: AsyncSession, officer_id: str) -> Officer | None:
    """One officer with their (masked) identifiers."""
    return await session.scalar(
        select(Officer)
        .where(Officer.id == officer_id)
        .options(selectinload(Officer.identifiers))
        .execution_options(populate_existing=True)
    )


async def list_all(session: AsyncSession) -> Sequence[Officer]:
    """Every officer, by name."""
    rows = await session.scalars(
        select(Officer).options(selectinload(Officer.identifiers)).order_by(Officer.display_name)
    )
    return rows.all()


async def revoke_tokens(session: AsyncSession, officer_id: str) -> None:
    """Revoke every token of an officer (on removal)."""
    from services.db import utcnow

    rows = await session.scalars(
        select(ApiToken).where(ApiToken.officer_id == officer_id, ApiToken.revoked_at.is_(None))
    )
    for row in rows:
        row.revoked_at = utcnow()


@dataclass(frozen=True)
class Match:
    """A span of a post that equals a registered value."""

    officer_id: str
    identifier_id: int
    type: str
    registered_type: str
    subject: str
    masked: str


async def match_many(
    session: AsyncSession,
    key: RegistryKey,
    spans_by_post: Mapping[str, Sequence[tuple[SpanLabel, str]]],
) -> dict[str, list[Match]]:
    """Per post, the registered values (of active officers) among its spans, in one query."""
    wanted_by_post = {pid: span_digests(key, spans) for pid, spans in spans_by_post.items()}
    every = {d for wanted in wanted_by_post.values() for d in wanted}
    if not every:
        return {}
    rows = await session.execute(
        select(OfficerDigest.digest, OfficerIdentifier)
        .join(OfficerIdentifier, OfficerDigest.identifier_id == OfficerIdentifier.id)
        .join(Officer, OfficerIdentifier.officer_id == Officer.id)
        .where(OfficerDigest.digest.in_(sorted(every)), Officer.active.is_(True))
    )
    hits: dict[str, list[OfficerIdentifier]] = {}
    for digest, ident in rows:
        hits.setdefault(digest, []).append(ident)
    out: dict[str, list[Match]] = {}
    for post_id, wanted in wanted_by_post.items():
        found: dict[int, Match] = {}
        for digest, kind in wanted.items():
            for ident in hits.get(digest, ()):
                # An address registered with its postcode also matches a bare postcode
                # leak: that match is reported as POSTCODE, not as the whole address.
                # When several keys of one value match, its own type wins.
                previous = found.get(ident.id)
                if previous is not None and previous.type == ident.type:
                    continue
                found[ident.id] = Match(
                    officer_id=ident.officer_id,
                    identifier_id=ident.id,
                    type=kind.value,
                    registered_type=ident.type,
                    subject=ident.subject,
                    masked=ident.masked,
                )
        if found:
            out[post_id] = sorted(found.values(), key=lambda m: (m.officer_id, m.identifier_id))
    return out


async def match(
    session: AsyncSession, key: RegistryKey, spans: Sequence[tuple[SpanLabel, str]]
) -> list[Match]:
    """The registered values (of active officers) among ``spans`` (label, span text)."""
    return (await match_many(session, key, {"": spans})).get("", [])

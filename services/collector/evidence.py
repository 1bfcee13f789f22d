"""Reading what the collector keeps: raw evidence and the sightings of a post.

Evidence is the most sensitive thing Doxwatch holds (a screenshot may show an
officer's home), so every read is logged with who read it.
"""

from __future__ import annotations

import base64
import hashlib

import structlog

from services.collector import repository
from services.collector.errors import EvidenceNotFound, PostNotFound
from services.collector.models import Evidence
from services.collector.schemas import SightingOut, Sightings
from services.db import transaction
from services.runtime import Runtime
from services.security import Principal

log = structlog.get_logger("doxwatch.collector.evidence")


def b64_digest(data: bytes) -> str:
    """The SHA-256 of ``data`` in the base64 form of the ``Digest`` header (RFC 3230)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


async def read(runtime: Runtime, sha256: str, reader: Principal) -> Evidence:
    """The evidence with this hash; the read is logged with the reader."""
    async with transaction(runtime.sessions) as session:
        row = await repository.evidence(session, sha256)
        posts = [link.post_id for link in await repository.evidence_links(session, sha256)]
    if row is None:
        raise EvidenceNotFound(f"no evidence with SHA-256 {sha256}")
    log.info(
        "evidence read", sha256=sha256, reader=reader.name, role=reader.role.value, posts=posts
    )
    return row


async def sightings(runtime: Runtime, post_id: str) -> Sightings:
    """Every arrival of a post, oldest first."""
    async with transaction(runtime.sessions) as session:
        rows = await repository.sightings_of(session, post_id)
    if not rows:
        raise PostNotFound(f"the collector has no post {post_id!r}")
    return Sightings(
        post_id=post_id,
        sightings=[
            SightingOut(
                seen_at=r.seen_at,
                channel=r.channel,
                seen_by=r.seen_by,
                matched_on=r.matched_on,
                platform=r.platform,
                url=r.url,
                external_id=r.external_id,
                reported_by=r.reported_by,
            )
            for r in rows
        ],
    )

"""De-duplication keys: what makes two arrivals the same post.

A post is recognised again by any of three keys, each stored as ``kind:sha256-hex``:

* ``ext`` — the platform and the platform's own id of the post;
* ``url`` — the normalised URL (scheme and host lower-cased, default port, fragment,
  trailing slash and tracking parameters dropped);
* ``text`` — the normalised text (Unicode NFKC, case-folded, whitespace collapsed).

Only hashes are stored, so the key table does not hold a second copy of the text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

KEY_PRIORITY = ("ext", "url", "text")
"""Order in which keys are tried; the first match names how a duplicate was recognised."""

_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|igshid|mc_cid|mc_eid|si|ref_src)$")
_SPACE = re.compile(r"\s+")


def normalise_url(url: str) -> str:
    """The form of ``url`` under which two links to the same post compare equal."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port
    netloc = (
        host
        if port is None or (scheme, port) in (("http", 80), ("https", 443))
        else (f"{host}:{port}")
    )
    query = urlencode(
        sorted(
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING.match(k.lower())
        )
    )
    path = parts.path.rstrip("/") or "/"
    # http and https copies of one page are the same post.
    return urlunsplit(("https" if scheme == "http" else scheme, netloc, path, query, ""))


def normalise_text(text: str) -> str:
    """The form of ``text`` under which two copies of one post compare equal."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def keys_for(
    *, platform: str, external_id: str | None, url: str | None, text: str
) -> list[tuple[str, str]]:
    """The (kind, key) pairs a post is recognised by, in :data:`KEY_PRIORITY` order."""
    keys: list[tuple[str, str]] = []
    if external_id:
        keys.append(("ext", "ext:" + _digest(platform, external_id)))
    if url:
        keys.append(("url", "url:" + _digest(normalise_url(url))))
    normalised = normalise_text(text)
    if normalised:
        keys.append(("text", "text:" + _digest(normalised)))
    return keys

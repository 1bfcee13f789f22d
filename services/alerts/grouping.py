"""Keys that group flagged posts into one incident: thread and near-identical text.

- Thread: the post's URL without query, fragment and trailing slash, with the host
  lower-cased and ``www.`` dropped; for Reddit-style URLs the ``/comments/<id>`` part
  (every comment of a thread shares it). Two comments on one page are one thread.
- Near-identical text (reposts, copy-paste campaigns): a 64-bit SimHash over word
  trigrams of the folded text, without links, @mentions and #hashtags. Texts whose hashes differ in
  at most ``near_duplicate_bits`` bits are reposts. The hash is stored in four 16-bit
  bands: two hashes within 3 bits share at least one band exactly, so candidates are
  found with indexed equality lookups and then checked bit by bit.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

import numpy as np

from services.personal_data import fold_text

_REDDIT_THREAD = re.compile(r"^(/r/[^/]+/comments/[^/]+)")
_LINK = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_WORD = re.compile(r"\w+")

MIN_WORDS = 5
"""Shorter texts get no SimHash: "wie kent hem?" is not a repost of every other one."""

BANDS = 4
MASK64 = (1 << 64) - 1


def thread_key(url: str | None) -> str | None:
    """The thread a URL belongs to, or None when there is no usable URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    reddit = _REDDIT_THREAD.match(path)
    if reddit:
        path = reddit.group(1)
    return f"{host}{path}"


def _words(text: str) -> list[str]:
    cleaned = _MENTION.sub(" ", _LINK.sub(" ", fold_text(text)))
    return _WORD.findall(cleaned)


def simhash(text: str) -> int | None:
    """The text's 64-bit SimHash as a signed integer (fits BIGINT), or None if too short."""
    words = _words(text)
    if len(words) < MIN_WORDS:
        return None
    digests = b"".join(
        hashlib.blake2b(" ".join(words[i : i + 3]).encode(), digest_size=8).digest()
        for i in range(len(words) - 2)
    )
    # One row of 64 bits per shingle (bit j of the little-endian 64-bit hash in column j);
    # a bit of the SimHash is set when more shingles have it set than not.
    bits = np.unpackbits(
        np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1, bitorder="little"
    )
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > bits.shape[0]
    value = int(np.packbits(majority, bitorder="little").view("<u8")[0])
    return value - (1 << 64) if value >= 1 << 63 else value


def bands(value: int) -> tuple[int, int, int, int]:
    """The four 16-bit bands of a SimHash."""
    unsigned = value & MASK64
    b0, b1, b2, b3 = ((unsigned >> (16 * i)) & 0xFFFF for i in range(BANDS))
    return b0, b1, b2, b3


def distance(a: int, b: int) -> int:
    """Number of differing bits between two SimHashes."""
    return ((a ^ b) & MASK64).bit_count()

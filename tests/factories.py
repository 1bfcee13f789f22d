"""Test data factories (every personal detail here is invented)."""

from __future__ import annotations

import random
from typing import Any

from services.events import Classification, Labels, Post, Scores, Span, SpanLabel, Verdict

FILLER_WORDS = [
    # Everyday words to make invented posts differ (no personal data).
    "agent",
    "diender",
    "politie",
    "bureau",
    "wijk",
    "straat",
    "avond",
    "morgen",
    "vanavond",
    "gisteren",
    "auto",
    "fiets",
    "school",
    "huis",
    "adres",
    "foto",
    "team",
    "dienst",
    "controle",
    "boete",
    "demonstratie",
    "stad",
    "dorp",
    "markt",
    "haven",
    "station",
    "brug",
    "plein",
    "park",
    "kerk",
    "winkel",
    "buurt",
    "overal",
    "niemand",
    "iedereen",
    "jongens",
]


def varied_text(prefix: str = "wie kent deze agent? adres graag") -> str:
    """A text unlike any other this returns (so near-duplicate grouping leaves it alone)."""
    picks = random.sample(FILLER_WORDS, 10)
    return f"{prefix} {' '.join(picks)}"


def post(**kw: Any) -> Post:
    """A Post event with sensible defaults (a varied text, a fresh URL)."""
    base: dict[str, Any] = {
        "id": Post.new_id(),
        "text": varied_text(),
        "platform": "x",
        "url": f"https://x.example/u/status/{Post.new_id()[:8]}",
    }
    base.update(kw)
    return Post.model_validate(base)


def verdict(
    *,
    threat: bool = False,
    doxing_call: bool = False,
    personal_data: bool = False,
    spans: list[Span] | None = None,
    **post_kw: Any,
) -> Verdict:
    """A Verdict on a fresh post with the given labels."""
    labels = Labels(threat=threat, doxing_call=doxing_call, personal_data=personal_data)
    scores = Scores(
        threat=0.9 if threat else 0.05,
        doxing_call=0.85 if doxing_call else 0.05,
        personal_data=0.8 if personal_data else 0.05,
    )
    return Verdict(
        post=post(**post_kw),
        classification=Classification(
            labels=labels, scores=scores, spans=spans or [], model_version="test-fixture"
        ),
    )


def address_span(text: str, value: str) -> Span:
    """An ADDRESS span over ``value`` inside ``text``."""
    start = text.index(value)
    return Span(
        start=start, end=start + len(value), label=SpanLabel.ADDRESS, normalized=value.lower()
    )

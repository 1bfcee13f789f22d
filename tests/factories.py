"""Test data factories (every personal detail here is invented)."""

from __future__ import annotations

from typing import Any

from services.events import Classification, Labels, Post, Scores, Span, SpanLabel, Verdict


def post(**kw: Any) -> Post:
    """A Post event with sensible defaults."""
    base: dict[str, Any] = {
        "id": Post.new_id(),
        "text": "wie kent deze agent? adres graag",
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

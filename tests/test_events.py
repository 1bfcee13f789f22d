"""Event contracts: round trips, and clear errors for malformed payloads."""

from __future__ import annotations

import json

import pytest

from services.events import (
    Classification,
    EventDecodeError,
    Labels,
    Post,
    Scores,
    Span,
    SpanLabel,
    Verdict,
    decode,
    encode,
)


def _post(**kw: object) -> Post:
    base: dict[str, object] = {
        "id": Post.new_id(),
        "text": "wie kent deze agent?",
        "platform": "x",
        "url": "https://x.example/a/1",
    }
    base.update(kw)
    return Post.model_validate(base)


def test_post_round_trip() -> None:
    post = _post(author="@iemand")
    assert decode(Post, encode(post)) == post


def test_verdict_round_trip_keeps_spans() -> None:
    post = _post(text="hij woont op Kerkstraat 12")
    verdict = Verdict(
        post=post,
        classification=Classification(
            labels=Labels(personal_data=True),
            scores=Scores(personal_data=0.93),
            spans=[Span(start=13, end=26, label=SpanLabel.ADDRESS, normalized="kerkstraat 12")],
            model_version="test",
        ),
    )
    again = decode(Verdict, encode(verdict))
    assert again == verdict
    span = again.classification.spans[0]
    assert post.text[span.start : span.end] == "Kerkstraat 12"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (None, "empty message"),
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (json.dumps({"schema_version": 99}).encode(), "unsupported schema_version 99"),
        (json.dumps({"text": "x"}).encode(), "unsupported schema_version None"),
        (
            json.dumps({"schema_version": 1, "id": "a", "platform": "x", "text": ""}).encode(),
            "text: String should have at least 1 character",
        ),
        (
            json.dumps(
                {"schema_version": 1, "id": "a", "platform": "x", "text": "t", "extra": 1}
            ).encode(),
            "extra: Extra inputs are not permitted",
        ),
    ],
)
def test_decode_rejects_malformed(payload: bytes | None, fragment: str) -> None:
    with pytest.raises(EventDecodeError) as err:
        decode(Post, payload)
    assert fragment in str(err.value)
    assert str(err.value).startswith("Post:")


def test_span_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="must be after start"):
        Span(start=5, end=5, label=SpanLabel.PHONE, normalized="+31612345678")


def test_labels_any() -> None:
    assert not Labels().any()
    assert Labels(doxing_call=True).any()

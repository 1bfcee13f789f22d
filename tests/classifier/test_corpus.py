"""The corpus: format, size, provenance, split independence, reproducible augmentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.classifier import corpus

HANDWRITTEN = corpus.CORPUS_DIR / "handwritten"


@pytest.fixture(scope="module")
def handwritten() -> list[corpus.CorpusRecord]:
    return corpus.load([HANDWRITTEN])


def test_sizes_meet_the_issue(handwritten: list[corpus.CorpusRecord]) -> None:
    assert len({r.text for r in handwritten}) >= 1500
    assert len(corpus.training_records()) >= 5000
    langs = {r.lang for r in handwritten}
    assert langs == {"nl", "en"}


def test_every_record_has_provenance() -> None:
    for record in [*corpus.training_records(), *corpus.test_records()]:
        assert record.provenance.get("source") in {"handwritten", "augmented"}, record.id
        if record.provenance["source"] == "augmented":
            assert record.provenance.get("from"), record.id


def test_test_split_is_separate_from_training() -> None:
    train = corpus.training_records()
    test = corpus.test_records()
    assert all(r.provenance.get("batch") == "test" for r in test)
    assert not {r.text.lower() for r in train} & {r.text.lower() for r in test}
    assert not {r.id for r in train} & {r.id for r in test}
    # Augmentation never starts from a test post.
    test_ids = {r.id for r in test}
    assert not {r.source_id for r in train} & test_ids


def test_augmented_file_is_what_the_command_makes(
    handwritten: list[corpus.CorpusRecord], tmp_path: Path
) -> None:
    remade = tmp_path / "augmented.jsonl"
    corpus.write_jsonl(remade, corpus.augment(handwritten))
    assert remade.read_text() == (corpus.CORPUS_DIR / "augmented.jsonl").read_text(), (
        "models/corpus/augmented.jsonl is stale: run `doxwatch corpus augment`"
    )


def test_substitution_keeps_labels_and_moves_spans(handwritten: list[corpus.CorpusRecord]) -> None:
    source = next(r for r in handwritten if len(r.spans) >= 2)
    faker = corpus._Faker(1)
    variant = corpus.substitute(source, faker, "x~aug1")
    assert variant.labels == source.labels
    assert [s.label for s in variant.spans] == [
        s.label for s in sorted(source.spans, key=lambda s: s.start)
    ]
    original_values = {source.text[s.start : s.end] for s in source.spans}
    new_values = {variant.text[s.start : s.end] for s in variant.spans}
    assert new_values.isdisjoint(original_values)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {
                "id": "a",
                "lang": "nl",
                "text": "hoi",
                "labels": {},
                "spans": [{"start": 0, "end": 9, "label": "PERSON"}],
            },
            "outside the text",
        ),
        ({"id": "a", "lang": "de", "text": "hallo", "labels": {}}, "lang"),
        (
            {
                "id": "a",
                "lang": "nl",
                "text": "Jan Jansen",
                "labels": {},
                "spans": [
                    {"start": 0, "end": 5, "label": "PERSON"},
                    {"start": 4, "end": 10, "label": "PERSON"},
                ],
            },
            "overlaps",
        ),
        ({"id": "a", "lang": "nl", "text": "x", "labels": {"threat": "maybe"}}, "threat"),
    ],
)
def test_bad_records_are_refused_with_file_and_line(
    tmp_path: Path, record: dict[str, object], message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    good = {"id": "ok", "lang": "nl", "text": "prima", "labels": {}}
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(corpus.CorpusError) as err:
        corpus.load([path])
    assert f"{path}:2" in str(err.value)
    assert message in str(err.value)

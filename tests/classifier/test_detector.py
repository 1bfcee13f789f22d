"""Detector API: batching, order, languages, persistence and the feature vector."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from services.classifier.detector import MODEL_VERSION, Detector, PostText, guess_lang, rules
from services.classifier.detector.pipeline import build_pipeline
from services.events import Classification
from services.personal_data import normalize

TEXTS = [
    "ik steek die agent neer",
    "lekker weer vandaag",
    "who knows where this cop lives?",
    "Die agent woont op de Kerkstraat 12, 1234 AB Utrecht",
    "nice weather today, going to the beach",
]


def test_one_result_per_post_in_order(detector: Detector) -> None:
    posts = [PostText(id=str(i), text=t) for i, t in enumerate(TEXTS * 3)]
    results = detector.classify(posts)
    assert len(results) == len(posts)
    one_by_one = [detector.classify([p])[0] for p in posts]
    assert results == one_by_one  # batching and language grouping keep the order
    assert [r.labels.threat for r in results[:5]] == [True, False, False, False, False]
    assert results[3].labels.personal_data and not results[4].labels.any()


def test_empty_batch(detector: Detector) -> None:
    assert detector.classify([]) == []


def test_classification_contract(detector: Detector) -> None:
    [result] = detector.classify([PostText("p", TEXTS[3])])
    assert isinstance(result, Classification)
    assert result.model_version == MODEL_VERSION == "rules-1"
    assert result.officer_mentions == ["agent"]
    [span] = result.spans
    assert (span.label.value, span.normalized) == ("ADDRESS", "kerkstraat 12 1234ab utrecht")
    assert Classification.model_validate_json(result.model_dump_json()) == result


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ik weet niet wat ik moet doen", "nl"),
        ("I do not know what to do with this", "en"),
        ("😡😡", "nl"),
        ("die agent is een smeris", "nl"),
        ("the cop is here and he is mad", "en"),
    ],
)
def test_language_guess(text: str, lang: str) -> None:
    assert guess_lang(text) == lang


def test_given_language_wins_and_unknown_ones_are_guessed(detector: Detector) -> None:
    assert detector.lang_of(PostText("a", "the cop is here", "nl")) == "nl"
    assert detector.lang_of(PostText("a", "the cop is here and he is mad", "de")) == "en"
    assert detector.lang_of(PostText("a", "de agent", "NL-be")) == "nl"


def test_save_and_load_round_trip(detector: Detector, tmp_path: Path) -> None:
    detector.save(tmp_path)
    loaded = Detector.load(tmp_path)
    assert loaded.info()["pipelines"] == detector.info()["pipelines"]
    posts = [PostText(str(i), t) for i, t in enumerate(TEXTS)]
    assert loaded.classify(posts) == detector.classify(posts)
    assert (tmp_path / "nl" / "pii" / "gazetteer.json").is_file()
    assert (tmp_path / "en" / "cues" / "cues.json").is_file()


def test_pipelines_load_with_spacy_load(tmp_path: Path) -> None:
    build_pipeline("nl").to_disk(tmp_path / "nl")
    nlp = spacy.load(tmp_path / "nl")
    assert nlp.pipe_names == ["normalizer", "pii", "officers", "cues"]
    assert nlp("bel 06-28374619")._.pii[0].normalized == "+31628374619"


def test_unsupported_language_pipeline() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        build_pipeline("de")
    with pytest.raises(ValueError, match="missing"):
        Detector({})


def test_features_have_a_stable_key_set(detector: Detector) -> None:
    docs = detector.docs([PostText(str(i), t) for i, t in enumerate(TEXTS)])
    vectors = [Detector.features(doc) for doc in docs]
    for vector in vectors:
        assert tuple(vector) == rules.FEATURE_NAMES
        assert all(isinstance(v, float) for v in vector.values())
    threat, calm = vectors[0], vectors[1]
    assert threat["cue.violence"] >= 1 and threat["officer.formal"] == 1
    assert threat["rule.threat.harm_police_stance"] == 1.0
    assert threat["score.threat"] == 0.9 and calm["score.threat"] == rules.NO_EVIDENCE
    assert vectors[3]["pii.ADDRESS"] == 1 and vectors[3]["pii.private"] == 1
    assert detector.featurize([PostText("x", TEXTS[0])]) == [threat]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "agent",
                "smeris",
                "ik",
                "steek",
                "neer",
                "wie",
                "kent",
                "deze",
                "?",
                "Kerkstraat 12",
                "06-12345678",
                "GH-123-K",
                "h.b [at] kpn [punt] nl",
                "we",
                "weten",
                "waar",
                "je",
                "woont",
                "deel",
                "dit",
                "kill",
                "the",
                "cops",
                "😡",
                "#politie",
                "Jan de Vries",
                "\n",
            ]
        ),
        min_size=1,
        max_size=20,
    )
)
def test_any_post_gives_a_valid_classification(detector: Detector, words: list[str]) -> None:
    text = " ".join(words)
    [result] = detector.classify([PostText("h", text)])
    for span in result.spans:
        assert normalize(span.label, text[span.start : span.end]) == span.normalized
    for score in result.scores.model_dump().values():
        assert 0.0 <= score <= 1.0
    for label, value in result.labels.model_dump().items():
        assert value == (label in result.explanation)

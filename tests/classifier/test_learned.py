"""The trained stage: reproducible training, recorded metrics, the verdict contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from services.classifier import corpus, training
from services.classifier.detector import Detector, PostText
from services.classifier.model import DEFAULT_MODEL_DIR, Model
from services.events import LABEL_NAMES

TEST_METRICS = DEFAULT_MODEL_DIR / "test_metrics.json"


@pytest.fixture(scope="module")
def learned() -> Detector:
    """The detector with the committed trained model."""
    detector = Detector.load()
    assert detector.model is not None, "models/detector holds no trained model"
    return detector


@pytest.fixture(scope="module")
def test_split() -> list[corpus.CorpusRecord]:
    return corpus.test_records()


def test_training_reproduces_the_committed_model(tmp_path: Path) -> None:
    """Same corpus and seed give the committed weights (stored as float16)."""
    committed = Model.load(DEFAULT_MODEL_DIR)
    trained = training.train(Detector.load(learned=False), out_dir=tmp_path, seed=0)
    again = Model.load(tmp_path)
    assert again.meta["corpus_sha256"] == committed.meta["corpus_sha256"], (
        "the corpus changed since the model was trained: run `doxwatch train`"
    )
    assert trained.version == committed.version
    for name in LABEL_NAMES:
        a, b = committed.labels[name], again.labels[name]
        np.testing.assert_allclose(a.coef, b.coef, atol=1e-3)
        assert a.threshold == pytest.approx(b.threshold, abs=1e-6)
        assert a.platt_a == pytest.approx(b.platt_a, rel=1e-6)


def test_committed_model_reproduces_its_recorded_test_metrics(
    learned: Detector, test_split: list[corpus.CorpusRecord]
) -> None:
    recorded = json.loads(TEST_METRICS.read_text())
    assert recorded["model_version"] == learned.model_version
    verdicts = learned.classify([PostText(r.id, r.text, r.lang) for r in test_split])
    report = training.evaluate(verdicts, test_split)
    for name in LABEL_NAMES:
        assert report["labels"][name]["f1"] == pytest.approx(
            recorded["labels"][name]["f1"], abs=0.005
        )
    assert report["spans"]["ALL"]["f1"] == pytest.approx(recorded["spans"]["ALL"]["f1"], abs=0.005)


def test_labels_follow_scores_and_thresholds(learned: Detector) -> None:
    assert learned.model is not None
    texts = [
        "die smeris woont op Lindelaan 14 in Utrecht, we wachten hem vanavond op",
        "Mooi weer vandaag, even de hond uitlaten langs de IJssel",
        "who knows this cop? need his name and address asap, share this",
    ]
    results = learned.classify([PostText(str(i), t) for i, t in enumerate(texts)])
    for result in results:
        assert result.model_version == learned.model_version
        assert result.model_version.startswith("lr-")
        for name in LABEL_NAMES:
            score = getattr(result.scores, name)
            threshold = learned.model.labels[name].threshold
            assert getattr(result.labels, name) == (score >= threshold)
            assert (name in result.explanation) == getattr(result.labels, name)
    threat = results[0]
    assert threat.labels.threat and threat.labels.personal_data
    assert threat.explanation["threat"]["top_features"], "a flag must say what drove it"
    assert not results[1].labels.any()
    assert results[2].labels.doxing_call


def test_block_scoring_equals_the_stacked_model(learned: Detector) -> None:
    """predict() scores block by block; it must equal the plain linear model."""
    model = learned.model
    assert model is not None
    posts = [PostText(str(i), r.text, r.lang) for i, r in enumerate(corpus.test_records()[:40])]
    docs = learned.docs(posts)
    texts = [learned.model_text(d) for d in docs]
    dense = [learned.features(d) for d in docs]
    _, probs = model.predict(texts, dense)
    x = model.features(texts, dense)
    for name, m in model.labels.items():
        np.testing.assert_allclose(probs[name], m.probability(m.decision(x)), rtol=1e-5)


def test_model_text_hides_values_and_undoes_obfuscation(learned: Detector) -> None:
    [doc] = learned.docs(
        [PostText("m", "Bel hem: 06-48213975 of mail k.dekker [at] ziggo [punt] nl, sm3ris")]
    )
    text = learned.model_text(doc)
    assert "48213975" not in text and "dekker" not in text
    assert "<phone>" in text and "<email>" in text
    assert text == text.lower()


def test_unknown_model_format_is_refused(tmp_path: Path) -> None:
    Model.load(DEFAULT_MODEL_DIR).save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="model format 99"):
        Model.load(tmp_path)


def test_missing_model_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Detector.load(tmp_path / "nope")

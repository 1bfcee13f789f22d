"""The fast n-gram counting must give exactly what scikit-learn's hashers give."""

from __future__ import annotations

import gc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.classifier import corpus
from services.classifier.detector import Detector, PostText
from services.classifier.model import TextFeatures

EDGE_CASES = [
    "",
    " ",
    "a",
    "<address> woont op <address>",
    "ag3nt   s m e r i s!!! 🔥🔥",
    "één twee drie — quotes ‘x’ “y”",
    "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    "a b a b a b a b",
]


def _assert_same(texts: list[str]) -> None:
    features = TextFeatures()
    char, word = features.counts(texts)
    for fast, reference in (
        (char, features.char.transform(texts)),
        (word, features.word.transform(texts)),
    ):
        reference = reference.tocsr()
        reference.sort_indices()
        assert fast.shape == reference.shape
        np.testing.assert_array_equal(fast.indptr, reference.indptr)
        np.testing.assert_array_equal(fast.indices, reference.indices)
        np.testing.assert_allclose(fast.data, reference.data)


def test_counts_equal_sklearn_on_the_corpus_and_edge_cases() -> None:
    texts = [r.text.lower() for r in corpus.load([corpus.CORPUS_DIR / "handwritten"])]
    _assert_same(texts[:1500] + EDGE_CASES)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_counts_equal_sklearn_on_any_text(texts: list[str]) -> None:
    _assert_same(texts)


def test_classify_leaves_no_cycles_and_restores_gc() -> None:
    """classify() pauses the cyclic collector; it must create no cycles and turn it back on."""
    detector = Detector.load()
    posts = [PostText(str(i), r.text, r.lang) for i, r in enumerate(corpus.test_records()[:200])]
    gc.collect()
    assert gc.isenabled()
    detector.classify(posts)
    assert gc.isenabled()
    assert gc.collect() == 0

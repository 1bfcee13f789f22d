"""The learned part of the detector: one calibrated linear model per label.

Features per post are (1) hashed, sublinear-tf, idf-weighted, l2-normalised character
n-grams (3-4, within word boundaries) and word 1-2-grams of the *normalised* text (the
pipeline's de-obfuscated text with every personal-data span replaced by a type
placeholder such as ``<ADDRESS>``, so the models learn "an address was leaked", not
particular addresses), and (2) the pipeline's dense features (officer mentions,
personal-data types, cues), scaled by their training maximum.

Each label has a logistic regression over those features, Platt-calibrated on
out-of-fold scores, with a decision threshold chosen on the same out-of-fold scores.
Everything is stored as plain arrays (``.npz``) and JSON: loading runs no pickle, and
scoring needs only numpy and scipy, so it is fast and auditable. Hashing keeps the
model's size fixed however large the corpus grows.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from services.events import LABEL_NAMES

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "detector"
"""Where ``doxwatch train`` writes, and ``Detector.load()`` reads, the trained model."""

CHAR_FEATURES = 2**18
WORD_FEATURES = 2**17
FORMAT_VERSION = 1

FloatArray = npt.NDArray[np.float32]


def _char_hasher() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char_wb",
        # 3-4-grams score as well as 2-5-grams on the validation folds and hash 2x faster.
        ngram_range=(3, 4),
        n_features=CHAR_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
    )


def _word_hasher() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=r"(?u)<\w+>|\b\w+\b",  # noqa: S106 - a regex, not a password
        n_features=WORD_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
    )


def word_column(term: str) -> int:
    """The hashed column of a word n-gram (the same hash HashingVectorizer uses)."""
    h = int(murmurhash3_32(term, seed=0))
    return abs(h) % WORD_FEATURES


class TextFeatures:
    """Hashed n-gram features with idf weights learnt from the training corpus."""

    def __init__(
        self, idf_char: FloatArray | None = None, idf_word: FloatArray | None = None
    ) -> None:
        self.char = _char_hasher()
        self.word = _word_hasher()
        self.idf_char = idf_char
        self.idf_word = idf_word

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        """Learn smoothed idf weights (as scikit-learn's TfidfTransformer does)."""
        n = len(texts)
        self.idf_char = self._idf(self.char.transform(texts).tocsr(), n)
        self.idf_word = self._idf(self.word.transform(texts).tocsr(), n)
        return self

    @staticmethod
    def _idf(matrix: sp.csr_matrix, n: int) -> FloatArray:
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
        return (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)

    def blocks(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The char and word blocks: sublinear tf x idf, each row l2-normalised."""
        if self.idf_char is None or self.idf_word is None:
            raise RuntimeError("TextFeatures used before fit()")
        return (
            _weigh(self.char.transform(texts).tocsr(), self.idf_char),
            _weigh(self.word.transform(texts).tocsr(), self.idf_word),
        )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Features of each text: [char block | word block]."""
        return sp.hstack(self.blocks(texts), format="csr")

    def term_names(self, texts: Sequence[str]) -> dict[int, str]:
        """Word-block column -> the most frequent word n-gram of ``texts`` hashed there."""
        counts: dict[int, Counter[str]] = {}
        analyzer = self.word.build_analyzer()
        for text in texts:
            for term in analyzer(text):
                counts.setdefault(word_column(term), Counter())[term] += 1
        return {col: c.most_common(1)[0][0] for col, c in counts.items()}


def _weigh(matrix: sp.csr_matrix, idf: FloatArray) -> sp.csr_matrix:
    """In place: log1p(tf) * idf, then each row scaled to unit l2 norm."""
    data = np.log1p(matrix.data) * idf[matrix.indices]
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=matrix.shape[0]))
    norms[norms == 0] = 1.0
    matrix.data = (data / norms[rows]).astype(np.float32)
    return matrix


@dataclass(frozen=True)
class Blocks:
    """A batch's features: char and word n-gram blocks and the dense pipeline block."""

    char: sp.csr_matrix
    word: sp.csr_matrix
    dense: sp.csr_matrix


@dataclass
class LabelModel:
    """One label's weights, calibration and threshold."""

    name: str
    coef: FloatArray
    intercept: float
    platt_a: float
    platt_b: float
    threshold: float

    def decision(self, x: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Raw linear scores."""
        return np.asarray(x @ self.coef, dtype=np.float64).ravel() + self.intercept

    def probability(self, decision: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Platt-calibrated probabilities."""
        z = np.clip(self.platt_a * decision + self.platt_b, -35, 35)
        return 1.0 / (1.0 + np.exp(-z))


class Model:
    """The three label models over shared features."""

    def __init__(
        self,
        text: TextFeatures,
        dense_names: Sequence[str],
        dense_scale: FloatArray,
        labels: Mapping[str, LabelModel],
        meta: dict[str, Any],
        terms: Mapping[int, str] | None = None,
    ) -> None:
        self.text = text
        self.terms = dict(terms or {})
        self.dense_names = list(dense_names)
        self.dense_scale = dense_scale
        self.labels = dict(labels)
        self.meta = meta

    @property
    def version(self) -> str:
        """The model's version string (recorded in every verdict)."""
        return str(self.meta.get("version", "unversioned"))

    def dense_matrix(self, rows: Sequence[Mapping[str, float]]) -> sp.csr_matrix:
        """Dense pipeline features in the model's column order, scaled."""
        index = {n: i for i, n in enumerate(self.dense_names)}
        data, ri, ci = [], [], []
        for r, row in enumerate(rows):
            for name, value in row.items():
                col = index.get(name)
                if col is not None and value:
                    data.append(float(value) / float(self.dense_scale[col]))
                    ri.append(r)
                    ci.append(col)
        return sp.csr_matrix(
            (np.asarray(data, dtype=np.float32), (ri, ci)),
            shape=(len(rows), len(self.dense_names)),
        )

    def features(self, texts: Sequence[str], dense: Sequence[Mapping[str, float]]) -> sp.csr_matrix:
        """The full feature matrix."""
        return sp.hstack([self.text.transform(texts), self.dense_matrix(dense)], format="csr")

    def predict(
        self, texts: Sequence[str], dense: Sequence[Mapping[str, float]]
    ) -> tuple[Blocks, dict[str, npt.NDArray[np.float64]]]:
        """Feature blocks and the calibrated probability of each label for each post.

        Scores block by block: stacking the blocks into one matrix costs more than the
        three products together.
        """
        char, word = self.text.blocks(texts)
        blocks = Blocks(char, word, self.dense_matrix(dense))
        w0, d0 = CHAR_FEATURES, CHAR_FEATURES + WORD_FEATURES
        probs = {}
        for name, m in self.labels.items():
            decision = (
                np.asarray(char @ m.coef[:w0], dtype=np.float64)
                + np.asarray(word @ m.coef[w0:d0], dtype=np.float64)
                + np.asarray(blocks.dense @ m.coef[d0:], dtype=np.float64)
                + m.intercept
            )
            probs[name] = m.probability(decision)
        return blocks, probs

    def explain(
        self, blocks: Blocks, i: int, text: str, labels: Sequence[str], k: int = 5
    ) -> dict[str, list[dict[str, Any]]]:
        """Per label, the k named features (word n-grams of post ``i``, pipeline features)
        that pushed its score up most. Character n-grams count in the score but are not
        listed: "ag3n" means little to an analyst. Word columns are named from the
        training vocabulary (``terms.json``), so no text is re-analysed here."""
        word, dense = blocks.word, blocks.dense
        w_idx = word.indices[word.indptr[i] : word.indptr[i + 1]]
        w_val = word.data[word.indptr[i] : word.indptr[i + 1]]
        d_idx = dense.indices[dense.indptr[i] : dense.indptr[i + 1]]
        d_val = dense.data[dense.indptr[i] : dense.indptr[i + 1]]
        words = self.terms
        w0, d0 = CHAR_FEATURES, CHAR_FEATURES + WORD_FEATURES
        out: dict[str, list[dict[str, Any]]] = {}
        for label in labels:
            coef = self.labels[label].coef
            # A column is named only when its training term is in this post (a hash
            # collision with an unseen term must not put words in the post's mouth).
            named = [
                (float(v), f"words:{words[c]}")
                for c, v in zip(w_idx, w_val * coef[w0 + w_idx], strict=True)
                if v > 0 and c in words and words[c] in text
            ]
            named += [
                (float(v), f"feature:{self.dense_names[c]}")
                for c, v in zip(d_idx, d_val * coef[d0 + d_idx], strict=True)
                if v > 0
            ]
            named.sort(reverse=True)
            out[label] = [{"feature": n, "weight": round(v, 4)} for v, n in named[:k]]
        return out

    # Persistence --------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write ``weights.npz`` and ``model.json`` into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        assert self.text.idf_char is not None and self.text.idf_word is not None
        arrays: dict[str, Any] = {
            "idf_char": self.text.idf_char.astype(np.float16),
            "idf_word": self.text.idf_word.astype(np.float16),
            "dense_scale": self.dense_scale,
        }
        for name, m in self.labels.items():
            arrays[f"coef_{name}"] = m.coef.astype(np.float16)
        np.savez_compressed(directory / "weights.npz", **arrays)
        (directory / "terms.json").write_text(
            json.dumps(sorted(self.terms.items()), ensure_ascii=False, separators=(",", ":")) + "\n"
        )
        meta = {
            **self.meta,
            "format_version": FORMAT_VERSION,
            "dense_names": self.dense_names,
            "labels": {
                name: {
                    "intercept": m.intercept,
                    "platt_a": m.platt_a,
                    "platt_b": m.platt_b,
                    "threshold": m.threshold,
                }
                for name, m in self.labels.items()
            },
        }
        (directory / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> Model:
        """Read a model written by :meth:`save`."""
        meta = json.loads((directory / "model.json").read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{directory}: model format {meta.get('format_version')} "
                f"(this build reads {FORMAT_VERSION}); retrain with `doxwatch train`"
            )
        with np.load(directory / "weights.npz", allow_pickle=False) as z:
            text = TextFeatures(z["idf_char"].astype(np.float32), z["idf_word"].astype(np.float32))
            scale = z["dense_scale"].astype(np.float32)
            labels = {
                name: LabelModel(
                    name=name,
                    coef=z[f"coef_{name}"].astype(np.float32),
                    intercept=float(p["intercept"]),
                    platt_a=float(p["platt_a"]),
                    platt_b=float(p["platt_b"]),
                    threshold=float(p["threshold"]),
                )
                for name, p in meta["labels"].items()
            }
        missing = set(LABEL_NAMES) - set(labels)
        if missing:
            raise ValueError(f"{directory}: model lacks labels {sorted(missing)}")
        extra = {k: v for k, v in meta.items() if k not in ("labels", "dense_names")}
        terms_file = directory / "terms.json"
        terms = (
            {int(col): str(term) for col, term in json.loads(terms_file.read_text())}
            if terms_file.is_file()
            else {}
        )
        return cls(text, meta["dense_names"], scale, labels, extra, terms)


def best_threshold(y: npt.NDArray[np.int_], p: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The probability threshold with the best F1 on (y, p), and that F1."""
    best_t, best_f1 = 0.5, -1.0
    for t in np.unique(np.round(p, 4)):
        pred = p >= t
        tp = int(np.sum(pred & (y == 1)))
        fp = int(np.sum(pred & (y == 0)))
        fn = int(np.sum(~pred & (y == 1)))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        # Prefer the middle of a plateau over its edge: ties go to the value nearer 0.5.
        if f1 > best_f1 + 1e-12 or (
            abs(f1 - best_f1) <= 1e-12 and abs(t - 0.5) < abs(best_t - 0.5)
        ):
            best_t, best_f1 = float(t), f1
    return best_t, best_f1


def logit(p: float) -> float:
    """Inverse of the logistic function."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))

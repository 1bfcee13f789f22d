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

import itertools
import json
import math
import operator
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
CHAR_NGRAMS = (3, 4)
WORD_PATTERN = r"(?u)<\w+>|\b\w+\b"  # the word block's token_pattern
# Words (and word n-grams) whose hashed columns are kept; the cache is emptied when
# it is full, so a long-running service never grows past this.
_COLUMN_CACHE_LIMIT = 50_000

FloatArray = npt.NDArray[np.float32]


def _char_hasher() -> HashingVectorizer:
    return HashingVectorizer(
        analyzer="char_wb",
        # 3-4-grams score as well as 2-5-grams on the validation folds and hash 2x faster.
        ngram_range=CHAR_NGRAMS,
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
        token_pattern=WORD_PATTERN,
        n_features=WORD_FEATURES,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
    )


def _column(term: str, n_features: int) -> int:
    """HashingVectorizer's column of a term: murmurhash3 (seed 0) of its UTF-8 bytes, made
    non-negative, modulo the number of features."""
    return abs(int(murmurhash3_32(term, seed=0))) % n_features


def word_column(term: str) -> int:
    """The hashed column of a word n-gram (the same hash HashingVectorizer uses)."""
    return _column(term, WORD_FEATURES)


def char_wb_ngrams(word: str) -> list[str]:
    """The ``char_wb`` n-grams HashingVectorizer makes of one word, in its order: padded
    with a space on both sides; a word shorter than n yields its padded self once."""
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(CHAR_NGRAMS[0], CHAR_NGRAMS[1] + 1):
        grams += [padded[i : i + n] for i in range(max(1, size - n + 1))]
        if size <= n:  # scikit-learn counts a short word once, not once per n
            break
    return grams


class _Columns(dict[str, int]):
    """Term -> hashed column, filled on first use (a dict lookup is far cheaper than a hash).

    Emptied when it reaches ``_COLUMN_CACHE_LIMIT`` terms, so it stays bounded however
    long the service runs.
    """

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.n_features = n_features

    def __missing__(self, term: str) -> int:
        if len(self) >= _COLUMN_CACHE_LIMIT:
            self.clear()
        column = self[term] = _column(term, self.n_features)
        return column


class _Bigrams(dict[tuple[str, str], int]):
    """(token, next token) -> column of the bigram "token next": keyed by the pair, so no
    bigram string is built unless the bigram is new. Bounded too."""

    def __missing__(self, pair: tuple[str, str]) -> int:
        if len(self) >= _COLUMN_CACHE_LIMIT:
            self.clear()
        column = self[pair] = _column(f"{pair[0]} {pair[1]}", WORD_FEATURES)
        return column


class _Chunks(dict[str, tuple[bytes, tuple[str, ...]]]):
    """Whitespace-separated chunk of a lower-cased post -> what both blocks need of it:
    the columns of its char_wb n-grams (int32 bytes) and its word tokens. Bounded too.

    A chunk is analysed on its own because neither kind of n-gram crosses whitespace:
    char_wb n-grams stay inside a word, and the token pattern matches no whitespace
    (``\\w`` and ``str.isspace`` have no character in common).
    """

    def __init__(self, tokens: re.Pattern[str]) -> None:
        super().__init__()
        self.grams = _Columns(CHAR_FEATURES)
        self.tokens = tokens

    def __missing__(self, chunk: str) -> tuple[bytes, tuple[str, ...]]:
        if len(self) >= _COLUMN_CACHE_LIMIT:
            self.clear()
        grams = self.grams
        char = np.array([grams[g] for g in char_wb_ngrams(chunk)], dtype=np.int32).tobytes()
        entry = self[chunk] = (char, tuple(self.tokens.findall(chunk)))
        return entry


class _HashedCounts:
    """Exactly the count matrices of the two HashingVectorizers, made faster.

    scikit-learn builds every n-gram of every post in Python and hashes each one, and
    that was most of the time spent scoring. But words, their n-grams and word bigrams
    come back all the time, so their hashed columns are cached and only looked up, and
    the counts are summed with one sort of (row, column) keys. Same columns, same
    counts, same order (each row's columns sorted, as ``sum_duplicates`` leaves them in
    HashingVectorizer): the matrices are identical to scikit-learn's, array for array
    (``self.char.transform(texts)`` and ``self.word.transform(texts)`` are the reference).
    """

    def __init__(self) -> None:
        self._chunks = _Chunks(re.compile(WORD_PATTERN))
        self._terms = _Columns(WORD_FEATURES)
        self._bigrams = _Bigrams()

    def counts(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The char_wb 3-4-gram counts and the word 1-2-gram counts of each text."""
        chunks, terms, bigrams = self._chunks, self._terms, self._bigrams
        char_rows: list[bytes] = []
        word_columns: list[int] = []
        word_lengths: list[int] = []
        for text in texts:
            entries = [chunks[c] for c in text.lower().split()]
            char_rows.append(b"".join([char for char, _ in entries]))
            tokens = [t for _, tokens in entries for t in tokens]
            word_columns += [terms[t] for t in tokens]
            word_columns += [bigrams[p] for p in itertools.pairwise(tokens)]
            word_lengths.append(2 * len(tokens) - 1 if tokens else 0)
        char = np.frombuffer(b"".join(char_rows), dtype=np.int32)
        char_lengths = [len(row) // 4 for row in char_rows]
        return (
            _count_matrix(char, char_lengths, CHAR_FEATURES),
            _count_matrix(np.array(word_columns, dtype=np.int32), word_lengths, WORD_FEATURES),
        )


def _count_matrix(
    columns: npt.NDArray[np.int32], lengths: Sequence[int], n_features: int
) -> sp.csr_matrix:
    """Rows of hashed columns -> a CSR matrix of counts, columns sorted within each row
    and repeats added up: the canonical form HashingVectorizer returns. One sort of
    (row, column) keys does it for the whole batch (faster than scipy's row-by-row
    ``sum_duplicates`` on these short rows)."""
    n_rows = len(lengths)
    keys = np.repeat(np.arange(n_rows, dtype=np.int64) * n_features, lengths)
    keys += columns
    keys.sort()
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    unique = keys[starts]
    counts = np.diff(starts, append=len(keys)).astype(np.float32)
    row_starts = np.arange(n_rows + 1, dtype=np.int64) * n_features
    indptr = np.searchsorted(unique, row_starts).astype(np.int32)
    return sp.csr_matrix(
        (counts, (unique % n_features).astype(np.int32), indptr), shape=(n_rows, n_features)
    )


class TextFeatures:
    """Hashed n-gram features with idf weights learnt from the training corpus."""

    def __init__(
        self, idf_char: FloatArray | None = None, idf_word: FloatArray | None = None
    ) -> None:
        self.char = _char_hasher()
        self.word = _word_hasher()
        self.idf_char = idf_char
        self.idf_word = idf_word
        self._counts = _HashedCounts()

    def counts(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Raw n-gram counts of the char and word blocks: what ``self.char.transform`` and
        ``self.word.transform`` return, computed without re-hashing known words."""
        return self._counts.counts(texts)

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        """Learn smoothed idf weights (as scikit-learn's TfidfTransformer does)."""
        char, word = self.counts(texts)
        self.idf_char = self._idf(char, len(texts))
        self.idf_word = self._idf(word, len(texts))
        return self

    @staticmethod
    def _idf(matrix: sp.csr_matrix, n: int) -> FloatArray:
        df = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float64)
        return (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)

    def blocks(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The char and word blocks: sublinear tf x idf, each row l2-normalised."""
        if self.idf_char is None or self.idf_word is None:
            raise RuntimeError("TextFeatures used before fit()")
        char, word = self.counts(texts)
        return _weigh(char, self.idf_char), _weigh(word, self.idf_word)

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
class Pushes:
    """For one label and a whole batch, the features that push the decision up (value x
    weight > 0), as plain lists: those of row ``i`` of the word block are
    ``word_columns[word_bounds[i]:word_bounds[i + 1]]``, with ``word_push`` alongside,
    and likewise for the dense block."""

    word_bounds: list[int]
    word_columns: list[int]
    word_push: list[float]
    dense_bounds: list[int]
    dense_columns: list[int]
    dense_push: list[float]


def _upward(
    block: sp.csr_matrix, coef: FloatArray, offset: int
) -> tuple[list[int], list[int], list[float]]:
    """Row bounds, columns and pushes of the entries of ``block`` that push up."""
    push = block.data * coef[offset + block.indices]
    up = np.flatnonzero(push > 0)
    bounds = np.searchsorted(up, block.indptr).tolist()
    return bounds, block.indices[up].tolist(), push[up].tolist()


@dataclass(frozen=True)
class Blocks:
    """A batch's features: char and word n-gram blocks and the dense pipeline block."""

    char: sp.csr_matrix
    word: sp.csr_matrix
    dense: sp.csr_matrix
    # Filled by pushes() (the dataclass is frozen, its cache is not).
    _pushes: dict[str, Pushes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def pushes(self, label: str, coef: FloatArray) -> Pushes:
        """The upward pushes of ``label`` (weights ``coef``) for the whole batch, computed
        on first use: a few numpy operations per batch and label instead of several
        small ones, and a Python loop over every feature, for each explained post."""
        found = self._pushes.get(label)
        if found is None:
            found = self._pushes[label] = Pushes(
                *_upward(self.word, coef, CHAR_FEATURES),
                *_upward(self.dense, coef, CHAR_FEATURES + WORD_FEATURES),
            )
        return found


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
        """Dense pipeline features in the model's column order, scaled (zeros left out)."""
        names = self.dense_names
        if not names:
            return sp.csr_matrix((len(rows), 0), dtype=np.float32)
        # One C-level lookup of all columns per row: rows are normally the full feature
        # dicts of rules.features; a row lacking some takes the general path.
        pick = operator.itemgetter(*names)
        try:
            values = [pick(row) for row in rows]
        except KeyError:
            values = [[row.get(n, 0.0) for n in names] for row in rows]
        table = np.array(values, dtype=np.float64).reshape(len(rows), len(names))
        ri, ci = np.nonzero(table)  # row by row, columns in order: the canonical layout
        scaled = table[ri, ci] / self.dense_scale.astype(np.float64)[ci]
        return sp.csr_matrix((scaled.astype(np.float32), (ri, ci)), shape=(len(rows), len(names)))

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
        words = self.terms
        out: dict[str, list[dict[str, Any]]] = {}
        for label in labels:
            p = blocks.pushes(label, self.labels[label].coef)
            w_lo, w_hi = p.word_bounds[i], p.word_bounds[i + 1]
            d_lo, d_hi = p.dense_bounds[i], p.dense_bounds[i + 1]
            # (push, kind, name) sorts exactly as (push, "kind:name"): "feature" < "words".
            ranked = [
                (v, 1, words[c])
                for c, v in zip(p.word_columns[w_lo:w_hi], p.word_push[w_lo:w_hi], strict=True)
                if c in words
            ]
            ranked += [
                (v, 0, self.dense_names[c])
                for c, v in zip(p.dense_columns[d_lo:d_hi], p.dense_push[d_lo:d_hi], strict=True)
            ]
            ranked.sort(reverse=True)
            top: list[dict[str, Any]] = []
            for v, kind, name in ranked:
                if len(top) >= k:
                    break
                if kind == 0:
                    top.append({"feature": f"feature:{name}", "weight": round(v, 4)})
                # A column is named only when its training term is in this post (a hash
                # collision with an unseen term must not put words in the post's mouth);
                # tested only for the strongest candidates, best first.
                elif name in text:
                    top.append({"feature": f"words:{name}", "weight": round(v, 4)})
            out[label] = top
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

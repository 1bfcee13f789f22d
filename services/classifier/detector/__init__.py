"""The detector: pure, batch-oriented classification of posts (no I/O at classify time).

``Detector.load()`` builds one spaCy pipeline per language (see :mod:`.pipeline`) and
reads the trained label models from ``models/detector`` (see
:mod:`services.classifier.model`). ``Detector.classify(posts)`` runs the pipelines over
the posts, grouped per language; the personal-data spans always come from the
recognisers, the three labels from the trained models over the text and
:meth:`Detector.features` (every cue, officer mention, span type and rule outcome as a
named float). Without a trained model (``learned=False``, or none on disk) the rules of
:mod:`.rules` decide the labels (``model_version`` ``rules-1``).

    detector = Detector.load()
    [verdict] = detector.classify([PostText(id="p-1", text="wie kent deze agent?")])
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from services.classifier.detector import pipeline, rules
from services.classifier.detector.extensions import DEOBFUSCATIONS, PII, doc_text
from services.classifier.detector.lexicons import EN_STOPWORDS, NL_STOPWORDS
from services.classifier.model import DEFAULT_MODEL_DIR, Model
from services.events import LABEL_NAMES, Classification, Labels, Scores, Span

__all__ = ["MODEL_VERSION", "Detector", "PostText", "guess_lang"]

MODEL_VERSION = "rules-1"
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class PostText:
    """The part of a post the detector needs."""

    id: str
    text: str
    lang: str | None = None  # "nl"/"en"; guessed when None


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch (restored after, if it was on).

    A batch allocates tens of thousands of objects but creates no reference cycles
    (reference counting frees all of it: ``gc.collect()`` after classifying finds
    nothing), yet those allocations set off collections that walk every object of
    spaCy, scikit-learn and the models, some 170,000, several times per 10,000 posts:
    a tenth of the time, for nothing to collect.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def guess_lang(text: str) -> str:
    """ "nl" or "en" by counting stop words (ties, and text without any, are Dutch)."""
    nl = en = 0
    for word in _WORDS.findall(text.lower()):
        if word in NL_STOPWORDS:
            nl += 1
        elif word in EN_STOPWORDS:
            en += 1
    return "en" if en > nl else "nl"


class Detector:
    """The Doxwatch detector: spaCy pipelines, recognisers, rules and trained label models."""

    def __init__(self, pipelines: dict[str, Language], model: Model | None = None) -> None:
        """Wrap ready pipelines, one per supported language, and an optional trained model."""
        missing = set(pipeline.LANGUAGES) - set(pipelines)
        if missing:
            raise ValueError(f"missing pipelines for {sorted(missing)}")
        self.pipelines = pipelines
        self.model = model

    @property
    def model_version(self) -> str:
        """The version recorded in every verdict: the trained model's, or ``rules-1``."""
        return self.model.version if self.model is not None else MODEL_VERSION

    @classmethod
    def load(cls, model_dir: Path | None = None, *, learned: bool = True) -> Detector:
        """Build both pipelines (or load them from ``model_dir/<lang>`` when saved there) and
        read the trained model from ``model_dir`` (default ``models/detector``).

        An explicit ``model_dir`` that does not exist is an error, not a silent fallback.
        """
        if model_dir is not None and not model_dir.is_dir():
            raise FileNotFoundError(f"model directory {model_dir} does not exist")
        directory = model_dir if model_dir is not None else DEFAULT_MODEL_DIR
        pipelines: dict[str, Language] = {}
        for lang in pipeline.LANGUAGES:
            saved = directory / lang
            if (saved / "config.cfg").is_file():
                pipelines[lang] = spacy.load(saved)
            else:
                pipelines[lang] = pipeline.build_pipeline(lang)
        model = None
        if learned and (directory / "model.json").is_file():
            model = Model.load(directory)
        return cls(pipelines, model)

    def save(self, model_dir: Path) -> None:
        """Write both pipelines to ``model_dir/<lang>`` (readable by :meth:`load`)."""
        for lang, nlp in self.pipelines.items():
            nlp.to_disk(model_dir / lang)

    def lang_of(self, post: PostText) -> str:
        """The pipeline language for a post: its own when supported, else a guess."""
        if post.lang:
            lang = post.lang.lower()[:2]
            if lang in self.pipelines:
                return lang
        return guess_lang(post.text)

    def _processed(self, posts: Sequence[PostText]) -> Iterator[tuple[int, Doc]]:
        """(index in ``posts``, processed doc) as the pipelines finish them, batched per
        language (so not in input order)."""
        by_lang: dict[str, list[int]] = {}
        for i, post in enumerate(posts):
            by_lang.setdefault(self.lang_of(post), []).append(i)
        for lang, indices in by_lang.items():
            nlp = self.pipelines[lang]
            # What nlp(text) and nlp.pipe do for components that work doc by doc, as all
            # of ours do, without their per-doc and per-component generator and
            # error-handler layers (which cost more than some of the components).
            components = [proc for _, proc in nlp.pipeline]
            for i in indices:
                doc = nlp.make_doc(posts[i].text)
                for proc in components:
                    doc = proc(doc)
                yield i, doc

    def docs(self, posts: Sequence[PostText]) -> list[Doc]:
        """Processed docs, one per post, in order (batched per language)."""
        out: list[Doc | None] = [None] * len(posts)
        for i, doc in self._processed(posts):
            out[i] = doc
        return [d for d in out if d is not None]

    def classify(self, posts: Sequence[PostText]) -> list[Classification]:
        """One Classification per post, in input order. Pure: no I/O, no state change."""
        with _cyclic_gc_paused():
            return self._classify(posts)

    def _classify(self, posts: Sequence[PostText]) -> list[Classification]:
        if self.model is None:
            return [self.classify_doc(doc) for doc in self.docs(posts)]
        if not posts:
            return []
        # Each doc is reduced to what the model and the verdict need as soon as the
        # pipeline hands it over, so a batch never holds all its docs at once.
        rows: dict[int, tuple[rules.RuleResult, str, dict[str, float]]] = {}
        for i, doc in self._processed(posts):
            result = rules.evaluate(doc)
            rows[i] = (result, self.model_text(doc), rules.features(doc, result))
        results, texts, dense = zip(*(rows[i] for i in range(len(posts))), strict=True)
        x, probs = self.model.predict(texts, dense)
        return [self._learned(i, x, texts[i], probs, result) for i, result in enumerate(results)]

    def _learned(
        self,
        i: int,
        x: Any,
        text: str,
        probs: dict[str, Any],
        result: rules.RuleResult,
    ) -> Classification:
        assert self.model is not None
        scores = {name: float(probs[name][i]) for name in LABEL_NAMES}
        labels = {name: scores[name] >= self.model.labels[name].threshold for name in LABEL_NAMES}
        explanation: dict[str, Any] = {
            "scoring": "calibrated probabilities of logistic-regression models; a label is "
            "set when its score reaches the threshold chosen on validation data"
        }
        fired = [name for name in LABEL_NAMES if labels[name]]
        top = self.model.explain(x, i, text, fired) if fired else {}
        for name in fired:
            explanation[name] = {
                "score": round(scores[name], 4),
                "threshold": self.model.labels[name].threshold,
                "top_features": top[name],
                "rules": result.fired.get(name, []),
                "evidence": result.evidence.get(name, []),
            }
        explanation["spans"] = [
            {"start": s.start, "end": s.end, "label": s.label.value, "text": s.text}
            for s in result.spans
        ]
        # One validation of plain data: pydantic builds the nested models in a single
        # pass, which is cheaper than constructing (and re-checking) each one here.
        return Classification.model_validate(
            {
                "labels": labels,
                "scores": scores,
                "spans": [
                    {"start": s.start, "end": s.end, "label": s.label, "normalized": s.normalized}
                    for s in result.spans
                ],
                "officer_mentions": [m.text for m in result.officer_mentions],
                "explanation": explanation,
                "model_version": self.model_version,
            }
        )

    @staticmethod
    def model_text(doc: Doc) -> str:
        """The text the trained models read: lower-case, de-obfuscated, and every
        personal-data span replaced by its type (``<address>``), so that the models
        learn that an address was leaked rather than which address.

        Built from character offsets (a few edits per post at most), not token by token:
        this runs for every post and must cost next to nothing.
        """
        text = doc_text(doc)
        edits = [(s.start, s.end, f" <{s.label.value.lower()}> ") for s in PII.get(doc) or ()]
        edits += [(d.start, d.end, d.value) for d in DEOBFUSCATIONS.get(doc) or ()]
        if not edits:
            return text.lower()
        edits.sort(key=lambda e: (e[0], -e[1]))
        pieces, pos = [], 0
        for start, end, replacement in edits:
            if start < pos:  # overlaps an earlier edit (a PII span wins: it sorts first)
                continue
            pieces.append(text[pos:start])
            pieces.append(replacement)
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces).lower()

    @staticmethod
    def feature_names() -> list[str]:
        """Names of the dense features, in a stable order."""
        return list(rules.FEATURE_NAMES)

    def classify_doc(self, doc: Doc) -> Classification:
        """Classify one processed doc with the rules alone."""
        result = rules.evaluate(doc)
        return Classification(
            labels=Labels(**result.labels),
            scores=Scores(**result.scores),
            spans=[
                Span(start=s.start, end=s.end, label=s.label, normalized=s.normalized)
                for s in result.spans
            ],
            officer_mentions=[m.text for m in result.officer_mentions],
            explanation=result.explanation(),
            model_version=MODEL_VERSION,
        )

    @staticmethod
    def features(doc: Doc) -> dict[str, float]:
        """Named features of a processed doc (keys: :data:`rules.FEATURE_NAMES`)."""
        return rules.features(doc)

    def featurize(self, posts: Sequence[PostText]) -> list[dict[str, float]]:
        """Features for each post, in order (for training the later model stage)."""
        return [rules.features(doc) for doc in self.docs(posts)]

    def info(self) -> dict[str, Any]:
        """Pipeline names and components, for logs and the model card."""
        return {
            "model_version": self.model_version,
            "pipelines": {lang: list(nlp.pipe_names) for lang, nlp in self.pipelines.items()},
        }

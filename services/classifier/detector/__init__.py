"""The detector: pure, batch-oriented classification of posts (no I/O at classify time).

``Detector.load()`` builds one spaCy pipeline per language (see :mod:`.pipeline`);
``Detector.classify(posts)`` runs them with ``nlp.pipe`` and applies the rules of
:mod:`.rules`. This is the rule-based stage (``model_version`` ``rules-1``); a trained
stage can be put on top of :meth:`Detector.features`, which exposes every cue, officer
mention, personal-data span and rule outcome as a named float.

    detector = Detector.load()
    [verdict] = detector.classify([PostText(id="p-1", text="wie kent deze agent?")])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from services.classifier.detector import pipeline, rules
from services.classifier.detector.lexicons import EN_STOPWORDS, NL_STOPWORDS
from services.events import Classification, Labels, Scores, Span

__all__ = ["MODEL_VERSION", "Detector", "PostText", "guess_lang"]

MODEL_VERSION = "rules-1"
_BATCH_SIZE = 256
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class PostText:
    """The part of a post the detector needs."""

    id: str
    text: str
    lang: str | None = None  # "nl"/"en"; guessed when None


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
    """Rule-based detector over the Doxwatch spaCy pipelines."""

    model_version = MODEL_VERSION

    def __init__(self, pipelines: dict[str, Language]) -> None:
        """Wrap ready pipelines, one per supported language."""
        missing = set(pipeline.LANGUAGES) - set(pipelines)
        if missing:
            raise ValueError(f"missing pipelines for {sorted(missing)}")
        self.pipelines = pipelines

    @classmethod
    def load(cls, model_dir: Path | None = None) -> Detector:
        """Build both pipelines, or load them from ``model_dir/<lang>`` when saved there."""
        pipelines: dict[str, Language] = {}
        for lang in pipeline.LANGUAGES:
            saved = model_dir / lang if model_dir is not None else None
            if saved is not None and (saved / "config.cfg").is_file():
                pipelines[lang] = spacy.load(saved)
            else:
                pipelines[lang] = pipeline.build_pipeline(lang)
        return cls(pipelines)

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

    def docs(self, posts: Sequence[PostText]) -> list[Doc]:
        """Processed docs, one per post, in order (batched per language)."""
        by_lang: dict[str, list[int]] = {}
        for i, post in enumerate(posts):
            by_lang.setdefault(self.lang_of(post), []).append(i)
        out: list[Doc | None] = [None] * len(posts)
        for lang, indices in by_lang.items():
            texts = (posts[i].text for i in indices)
            for i, doc in zip(
                indices, self.pipelines[lang].pipe(texts, batch_size=_BATCH_SIZE), strict=True
            ):
                out[i] = doc
        return [d for d in out if d is not None]

    def classify(self, posts: Sequence[PostText]) -> list[Classification]:
        """One Classification per post, in input order. Pure: no I/O, no state change."""
        return [self.classify_doc(doc) for doc in self.docs(posts)]

    def classify_doc(self, doc: Doc) -> Classification:
        """Classify one processed doc."""
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
            model_version=self.model_version,
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

"""``doxwatch_cue_tagger_v1``: cue phrases as features (violence, doxing requests...).

Cue categories are listed in :data:`lexicons.CUE_CATEGORIES`; matches are stored in
``doc._.cues`` (category -> list of :class:`CueMatch`) and read per token through
``token._.cues``. Phrases are matched on ``token.norm_`` with a PhraseMatcher (so
de-obfuscated spellings match too), plus Dutch separable verbs whose particle closes
the clause ("ik steek die agent neer", "zoek uit waar ze woont").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.util import ensure_path

from services.classifier.detector import lexicons
from services.classifier.detector.extensions import (
    CUES,
    CueMatch,
    doc_text,
    register_extensions,
)

FACTORY_NAME = "doxwatch_cue_tagger_v1"
_SEPARABLE_KEY = "__separable_verb__"


def default_cues(lang: str) -> dict[str, list[str]]:
    """The cue lexicon of ``lang``: common entries plus the language's own."""
    merged: dict[str, list[str]] = {}
    for part in ("common", lang):
        for category, phrases in lexicons.CUES.get(part, {}).items():
            merged.setdefault(category, []).extend(phrases)
    return {k: sorted(set(v)) for k, v in merged.items()}


def default_separable(lang: str) -> list[dict[str, Any]]:
    """Separable verbs (Dutch only) as serialisable records."""
    if lang != "nl":
        return []
    return [
        {"verbs": list(verbs), "particles": dict(particles)}
        for verbs, particles in lexicons.SEPARABLE_VERBS.items()
    ]


class CueTagger(Pipe):
    """Tags cue phrases; sets ``doc._.cues``."""

    def __init__(
        self,
        nlp: Language,
        name: str = FACTORY_NAME,
        *,
        lang: str,
        cues: dict[str, list[str]] | None = None,
        separable: list[dict[str, Any]] | None = None,
    ) -> None:
        """Build the phrase matcher once; lexicons default to those of ``lang``."""
        register_extensions()
        self.name = name
        self.lang = lang
        self._nlp = nlp
        self._setup(
            cues if cues is not None else default_cues(lang),
            separable if separable is not None else default_separable(lang),
        )

    def _setup(self, cues: dict[str, list[str]], separable: list[dict[str, Any]]) -> None:
        self.cues = {k: list(v) for k, v in cues.items()}
        self.separable = [dict(s) for s in separable]
        self.matcher = PhraseMatcher(self._nlp.vocab, attr="NORM")
        for category, phrases in self.cues.items():
            self.matcher.add(category, [self._nlp.make_doc(p) for p in phrases])
        self._category_of = {self._nlp.vocab.strings[c]: c for c in self.cues}
        # verb form -> list of (particle tokens, category)
        self._verbs: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for record in self.separable:
            particles = [(tuple(p.split()), str(cat)) for p, cat in record["particles"].items()]
            particles.sort(key=lambda pc: -len(pc[0]))  # longest particle first
            for verb in record["verbs"]:
                self._verbs[str(verb)] = particles
        if self._verbs:
            self.matcher.add(_SEPARABLE_KEY, [self._nlp.make_doc(v) for v in self._verbs])
        self._category_of[self._nlp.vocab.strings[_SEPARABLE_KEY]] = _SEPARABLE_KEY

    # ---------------------------------------------------------------- component
    def __call__(self, doc: Doc) -> Doc:
        """Tag cue phrases in ``doc``."""
        found: dict[str, list[CueMatch]] = {}
        verbs: list[int] = []
        matches = self.matcher(doc)
        if not matches:
            CUES.set(doc, found)
            return doc
        text = doc_text(doc)
        for match_id, start, end in matches:
            category = self._category_of[match_id]
            if category == _SEPARABLE_KEY:
                verbs.append(start)
                continue
            # Offsets from the two end tokens: cheaper than a Span per match, and than
            # an array of the offsets of every token for a handful of matches.
            last = doc[end - 1]
            start_char, end_char = doc[start].idx, last.idx + len(last)
            found.setdefault(category, []).append(
                CueMatch(category, start_char, end_char, text[start_char:end_char], start, end)
            )
        for match in self._separable(doc, verbs):
            found.setdefault(match.category, []).append(match)
        CUES.set(doc, found)
        return doc

    def _separable(self, doc: Doc, verbs: list[int]) -> list[CueMatch]:
        out: list[CueMatch] = []
        n = len(doc)
        for i in verbs:
            token = doc[i]
            particles = self._verbs.get(token.norm_)
            if particles is None:
                continue
            stop = min(n, token.i + 1 + lexicons.SEPARABLE_WINDOW)
            for j in range(token.i + 1, stop):
                if doc[j].is_punct:
                    break
                hit = self._particle_at(doc, j, particles, adjacent=j == token.i + 1)
                if hit is not None:
                    end, category = hit
                    span = doc[token.i : end]
                    out.append(
                        CueMatch(category, span.start_char, span.end_char, span.text, token.i, end)
                    )
                    break
        return out

    @staticmethod
    def _particle_at(
        doc: Doc, j: int, particles: list[tuple[tuple[str, ...], str]], *, adjacent: bool
    ) -> tuple[int, str] | None:
        n = len(doc)
        for words, category in particles:
            end = j + len(words)
            if end > n or any(doc[j + k].norm_ != w for k, w in enumerate(words)):
                continue
            # A one-word particle must close the clause: "wacht hem op." is an ambush,
            # "wacht op de bus" is not. Right after the verb it counts only for the
            # search verbs ("zoek uit waar ze woont").
            if adjacent and category == "doxing_request":
                return end, category
            if len(words) == 1 and end < n:
                nxt = doc[end]
                if not (
                    nxt.is_punct
                    or nxt.norm_ in lexicons.SEPARABLE_CLAUSE_END
                    or nxt.like_url
                    or nxt.text.startswith(("#", "@"))
                ):
                    continue
            return end, category
        return None

    # ------------------------------------------------------------ serialisation
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the cue lexicon to ``path/cues.json``."""
        directory = ensure_path(path)
        directory.mkdir(parents=True, exist_ok=True)
        data = {"cues": self.cues, "separable": self.separable}
        (directory / "cues.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> CueTagger:
        """Read a cue lexicon written by :meth:`to_disk`."""
        data = json.loads((ensure_path(path) / "cues.json").read_text(encoding="utf-8"))
        self._setup(data["cues"], data["separable"])
        return self


@Language.factory(FACTORY_NAME, default_config={"lang": None, "cues": None, "separable": None})
def make_cue_tagger(
    nlp: Language,
    name: str,
    *,
    lang: str | None,
    cues: dict[str, list[str]] | None,
    separable: list[dict[str, Any]] | None,
) -> CueTagger:
    """spaCy factory for :class:`CueTagger`."""
    return CueTagger(nlp, name, lang=lang or str(nlp.lang), cues=cues, separable=separable)

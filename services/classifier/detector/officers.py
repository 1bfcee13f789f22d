"""``doxwatch_officer_mentions_v1``: words and phrases that refer to police officers.

Formal terms, slang, plurals, common misspellings, hashtags (the normaliser turns
"#politie" into "politie"), English terms, and ``politie*`` / ``*agent`` compounds.
Ambiguous words ("kit", "wout", "blauwe", "ME", "agent", "officer", "pigs",
"bureau") are resolved by the context rules documented in
:mod:`services.classifier.detector.lexicons`. Anti-police slogans (ACAB, 1312, FTP)
go to ``doc._.police_slogans``, not to the officer mentions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Pipe
from spacy.tokens import Doc
from spacy.util import ensure_path

from services.classifier.detector import lexicons
from services.classifier.detector.extensions import (
    OFFICER_MENTIONS,
    POLICE_SLOGANS,
    CueMatch,
    OfficerMention,
    doc_text,
    register_extensions,
)

FACTORY_NAME = "doxwatch_officer_mentions_v1"

_SLOGAN_KEY = "slogan"
_AMBIGUOUS_KEY = "ambiguous"
_COMPOUND_HINT = re.compile(
    r"(?<![^\W\d_])[^\W\d_]*(?:politie|smeris|agent)[^\W\d_]*", re.IGNORECASE
)
# The stems alone, and one letter as _COMPOUND_HINT sees letters: see _compound_hints.
_STEM = re.compile(r"politie|smeris|agent", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]", re.IGNORECASE)
_CLAUSE_VERBS = frozenset(
    [
        "is",
        "zijn",
        "was",
        "waren",
        "komt",
        "komen",
        "kwam",
        "kwamen",
        "staat",
        "staan",
        "stond",
        "stonden",
        "rijdt",
        "rijden",
        "heeft",
        "hebben",
        "gaat",
        "gaan",
        "doet",
        "doen",
        "pakt",
        "pakken",
        "zit",
        "zitten",
        "en",
        "of",
        "weer",
        "al",
        "nu",
        "hier",
        "daar",
        "er",
        "ook",
    ]
)


def _compound_hints(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_COMPOUND_HINT.finditer(text)``, found from the stems.

    A match is a whole run of letters with a stem in it. Scanning for that pattern tries
    every position and backtracks through every word; the stems are found with a
    plain alternation instead, and the pattern is matched once, at the start of the run
    around each stem.
    """
    end = 0
    for stem in _STEM.finditer(text):
        start = stem.start()
        if start < end:
            continue  # in the run already matched
        while start > 0 and _LETTER.match(text, start - 1):
            start -= 1
        m = _COMPOUND_HINT.match(text, start)
        if m is not None:
            end = m.end()
            yield m


def _char_offsets(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Character offsets of tokens ``start:end`` (``span.start_char``, ``span.end_char``)."""
    last = doc[end - 1]
    return doc[start].idx, last.idx + len(last)


def _filter_spans(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``spacy.util.filter_spans`` for (start, end, kind) tuples: of overlapping spans the
    longest wins (on a tie the earliest, then the first given); sorted by start."""
    ranked = sorted(spans, key=lambda s: (s[1] - s[0], -s[0]), reverse=True)
    kept: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    for span in ranked:
        start, end, _ = span
        if start not in seen and end - 1 not in seen:
            kept.append(span)
            seen.update(range(start, end))
    return sorted(kept, key=lambda s: s[0])


def _lexicon(lang: str, table: dict[str, dict[str, str]]) -> dict[str, str]:
    return {**table.get("common", {}), **table.get(lang, {})}


class OfficerMentionRecognizer(Pipe):
    """Sets ``doc._.officer_mentions`` and ``doc._.police_slogans``."""

    def __init__(
        self,
        nlp: Language,
        name: str = FACTORY_NAME,
        *,
        lang: str,
        terms: dict[str, str] | None = None,
        ambiguous: dict[str, str] | None = None,
        slogans: list[str] | None = None,
    ) -> None:
        """Build the phrase matchers once; lexicons default to those of ``lang``."""
        register_extensions()
        self.name = name
        self.lang = lang
        self._nlp = nlp
        default_ambiguous = _lexicon(lang, lexicons.AMBIGUOUS_OFFICER_TERMS)
        self._setup(
            terms if terms is not None else _lexicon(lang, lexicons.OFFICER_TERMS),
            ambiguous if ambiguous is not None else default_ambiguous,
            slogans if slogans is not None else list(lexicons.POLICE_SLOGANS),
        )

    def _setup(self, terms: dict[str, str], ambiguous: dict[str, str], slogans: list[str]) -> None:
        self.terms = dict(terms)
        self.ambiguous = dict(ambiguous)
        self.slogans = list(slogans)
        self.matcher = PhraseMatcher(self._nlp.vocab, attr="NORM")
        by_kind: dict[str, list[Doc]] = {}
        for term, kind in self.terms.items():
            by_kind.setdefault(kind, []).append(self._nlp.make_doc(term))
        for kind, docs in by_kind.items():
            self.matcher.add(kind, docs)
        self.matcher.add(_SLOGAN_KEY, [self._nlp.make_doc(s) for s in self.slogans])
        self.matcher.add(_AMBIGUOUS_KEY, [self._nlp.make_doc(t) for t in self.ambiguous])
        self._kind_keys = {
            self._nlp.vocab.strings[k]: k for k in [*by_kind, _SLOGAN_KEY, _AMBIGUOUS_KEY]
        }

    # ---------------------------------------------------------------- component
    def __call__(self, doc: Doc) -> Doc:
        """Find officer mentions and police slogans in ``doc``."""
        # Candidate mentions as (token start, token end, kind); spaCy Span objects cost
        # more to make and to read than everything else done with them here.
        spans: list[tuple[int, int, str]] = []
        slogans: list[CueMatch] = []
        deferred: list[tuple[int, int, str]] = []
        text = doc_text(doc)
        for match_id, start, end in self.matcher(doc):
            kind = self._kind_keys.get(match_id, "formal")
            if kind == _SLOGAN_KEY:
                start_char, end_char = _char_offsets(doc, start, end)
                slogans.append(
                    CueMatch("slogan", start_char, end_char, text[start_char:end_char], start, end)
                )
            elif kind == _AMBIGUOUS_KEY:
                token = doc[start]
                term_kind = self.ambiguous.get(token.norm_) or self.ambiguous.get(token.lower_)
                decision = self._ambiguous(doc, start, token.norm_)
                if term_kind and decision == "yes":
                    spans.append((start, end, term_kind))
                elif term_kind and decision == "if_other":
                    deferred.append((start, end, term_kind))
            elif end - start > 1 or self._keep_single(doc, start):
                spans.append((start, end, kind))
        lower = text.lower()
        # Compounds ("kutpolitie", "motoragent") are looked for only where the text
        # contains the stem, not by walking every token.
        stems = "politie" in lower or "smeris" in lower or "agent" in lower
        for m in _compound_hints(text) if stems else ():
            hit = doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if hit is None or len(hit) != 1:
                continue
            compound = self._compound(hit[0].norm_)
            if compound:
                spans.append((hit.start, hit.end, compound))
        if deferred and (spans or slogans):
            spans += deferred
        if slogans:
            # "fuck the police" is a slogan, not a mention of officers.
            in_slogan = {i for s in slogans for i in range(s.token_start, s.token_end)}
            spans = [s for s in spans if not in_slogan.intersection(range(s[0], s[1]))]
        mentions = []
        for start, end, kind in _filter_spans(spans):
            start_char, end_char = _char_offsets(doc, start, end)
            mention = text[start_char:end_char]
            mentions.append(
                OfficerMention(start_char, end_char, mention, kind, mention.lower(), start, end)
            )
        OFFICER_MENTIONS.set(doc, mentions)
        POLICE_SLOGANS.set(doc, slogans)
        return doc

    # ------------------------------------------------------------------ rules
    def _keep_single(self, doc: Doc, i: int) -> bool:
        """Context exclusions for unambiguous-looking single words."""
        norm = doc[i].norm_
        prev = doc[i - 1].norm_ if i > 0 else ""
        if norm in ("agent", "agente", "agenten", "agend"):
            return prev not in lexicons.AGENT_NOT_POLICE and prev != "free"
        if norm in ("officer", "officers"):
            return prev not in lexicons.OFFICER_NOT_POLICE
        if norm in ("detective", "detectives"):
            return prev != "private"
        if norm == "sergeant":
            return prev not in ("drill", "army", "staff")
        if norm == "boa":
            nxt = doc[i + 1].norm_ if i + 1 < len(doc) else ""
            return nxt != "constrictor"
        return True

    def _ambiguous(self, doc: Doc, i: int, norm: str) -> str:
        """ "yes", "no", or "if_other" (counts only next to another police mention)."""
        token = doc[i]
        prev = doc[i - 1].norm_ if i > 0 else ""
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if norm == "kit":
            if prev not in lexicons.DETERMINERS_FOR_SLANG:
                return "no"
            if any(t.norm_ in lexicons.KIT_DIY_CONTEXT for t in doc):  # rare: only after "kit"
                return "no"
            return "yes"
        if norm == "wout":
            if prev not in lexicons.DETERMINERS_FOR_SLANG:
                return "no"
            if nxt is not None and (
                nxt.text[:1].isupper() or nxt.lower_ in lexicons.TUSSENVOEGSELS
            ):
                return "no"  # "Wout van Aert", "Wout Weghorst"
            return "yes"
        if norm == "blauwe":
            if prev != "de":
                return "no"
            if nxt is None or nxt.is_punct or nxt.norm_ in _CLAUSE_VERBS:
                return "yes"
            return "no"
        if norm in ("me", "m.e."):
            if token.text not in ("ME", "M.E."):
                return "no"
            letters = [ch for ch in doc_text(doc) if ch.isalpha()]
            upper = sum(ch.isupper() for ch in letters)
            return "no" if letters and upper / len(letters) > 0.6 else "yes"
        if norm in ("5-0", "5.0"):
            # "5-0" is also a football score: not when the post talks about a match.
            if any(t.norm_ in lexicons.SCORE_CONTEXT for t in doc):
                return "no"
            return "yes"
        if norm in ("bureau", "pig", "pigs", "varken", "varkens"):
            return "if_other"
        return "no"

    def _compound(self, norm: str) -> str | None:
        """Kind of a compound like "kutpolitie", "politiegeweld", "motoragent"."""
        if len(norm) < 7 or not norm.isalpha():
            return None
        if "politie" in norm and "politiek" not in norm:
            return "formal"
        if "smeris" in norm:
            return "slang"
        for ending in ("agenten", "agente", "agent"):
            if norm.endswith(ending):
                head = norm[: -len(ending)]
                if (
                    len(head) >= 3
                    and head.rstrip("s") not in lexicons.AGENT_NOT_POLICE
                    and (head not in lexicons.AGENT_NOT_POLICE)
                ):
                    return "formal"
                return None
        return None

    # ------------------------------------------------------------ serialisation
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the lexicons to ``path/officer_terms.json``."""
        directory = ensure_path(path)
        directory.mkdir(parents=True, exist_ok=True)
        data = {"terms": self.terms, "ambiguous": self.ambiguous, "slogans": self.slogans}
        (directory / "officer_terms.json").write_text(
            json.dumps(data, ensure_ascii=False), encoding="utf-8"
        )

    def from_disk(
        self, path: str | Path, *, exclude: Iterable[str] = ()
    ) -> OfficerMentionRecognizer:
        """Read lexicons written by :meth:`to_disk`."""
        raw = (ensure_path(path) / "officer_terms.json").read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(raw)
        self._setup(data["terms"], data["ambiguous"], data["slogans"])
        return self


@Language.factory(
    FACTORY_NAME, default_config={"lang": None, "terms": None, "ambiguous": None, "slogans": None}
)
def make_officer_mentions(
    nlp: Language,
    name: str,
    *,
    lang: str | None,
    terms: dict[str, str] | None,
    ambiguous: dict[str, str] | None,
    slogans: list[str] | None,
) -> OfficerMentionRecognizer:
    """spaCy factory for :class:`OfficerMentionRecognizer`."""
    return OfficerMentionRecognizer(
        nlp, name, lang=lang or str(nlp.lang), terms=terms, ambiguous=ambiguous, slogans=slogans
    )

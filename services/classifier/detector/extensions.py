"""Custom spaCy extension attributes set by the Doxwatch components.

They are the detector's feature surface: the rules read them, and a later
machine-learning stage can read the same attributes. All character offsets are
Python string indices into the ORIGINAL ``doc.text``.

Doc attributes (filled by the components named in brackets):

* ``doc._.deobfuscations``   list[Deobfuscation]  [doxwatch_social_normalizer_v1]
* ``doc._.quotes``           list[tuple[int, int]], ranges inside quotation marks [same]
* ``doc._.norm_text``        str, the de-obfuscated lower-case text (getter)
* ``doc._.pii``              list[PiiSpan]  [doxwatch_pii_recognizer_v1]
* ``doc._.officer_mentions`` list[OfficerMention]  [doxwatch_officer_mentions_v1]
* ``doc._.police_slogans``   list[CueMatch] (ACAB, 1312...)  [same]
* ``doc._.cues``             dict[category, list[CueMatch]]  [doxwatch_cue_tagger_v1]

The values are Python objects: a ``DocBin(store_user_data=True)`` cannot serialise
them; re-run the pipeline instead of storing processed docs. The components and rules
read and write them through :class:`DocAttr` (``PII.get(doc)``, ``PII.set(doc, spans)``),
which is the same value as ``doc._.pii`` without spaCy's per-access overhead.

Token attributes (getters over the doc attributes, so they cost nothing unless read):

* ``token._.norm_text``       de-obfuscated lower-case form (same as ``token.norm_``)
* ``token._.is_obfuscated``   True when the normaliser changed the token
* ``token._.pii_label``       SpanLabel value of the PII span covering it, or None
* ``token._.officer_kind``    kind of officer term it is part of, or None
* ``token._.cues``            tuple of cue categories it is part of
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

from services.events import SpanLabel


@dataclass(frozen=True, slots=True)
class Deobfuscation:
    """One obfuscated stretch of text and what it means (``kind``: email, spaced, leet)."""

    start: int
    end: int
    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A recognised piece of personal data; ``normalized`` comes from personal_data."""

    start: int
    end: int
    label: SpanLabel
    normalized: str
    text: str
    source: str
    meta: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class OfficerMention:
    """A word or phrase referring to police officers (``kind``: formal, slang...)."""

    start: int
    end: int
    text: str
    kind: str
    term: str
    token_start: int
    token_end: int


@dataclass(frozen=True, slots=True)
class CueMatch:
    """A cue phrase: its category, text and token span."""

    category: str
    start: int
    end: int
    text: str
    token_start: int
    token_end: int


def _token_index(doc: Doc, key: str) -> dict[int, Any]:
    """Per-doc token index built lazily from a doc attribute, cached in user_data."""
    cache_key = f"doxwatch.index.{key}"
    index: dict[int, Any] | None = doc.user_data.get(cache_key)
    if index is None:
        index = {}
        if key == "cues":
            for matches in (doc._.cues or {}).values():
                for m in matches:
                    for i in range(m.token_start, m.token_end):
                        index[i] = (*index.get(i, ()), m.category)
        elif key == "officer":
            for om in doc._.officer_mentions or ():
                for i in range(om.token_start, om.token_end):
                    index[i] = om.kind
        elif key == "pii":
            for span in doc._.pii or ():
                for tok in doc.char_span(span.start, span.end, alignment_mode="expand") or ():
                    index[tok.i] = span.label.value
        elif key == "obfuscated":
            for d in doc._.deobfuscations or ():
                for tok in doc.char_span(d.start, d.end, alignment_mode="expand") or ():
                    index[tok.i] = True
        doc.user_data[cache_key] = index
    return index


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once per doc (spaCy rebuilds it from the tokens on every access)."""
    text: str | None = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.text
        doc.user_data[TEXT_KEY] = text
    return text


TEXT_KEY = "doxwatch.text"
"""``doc.user_data`` key of the original text (set by the social tokenizer)."""


def _doc_norm_text(doc: Doc) -> str:
    return " ".join(t.norm_ for t in doc)


def register_extensions() -> None:
    """Register every Doxwatch extension attribute (idempotent)."""
    doc_defaults: dict[str, Any] = {
        "deobfuscations": None,
        "quotes": None,
        "pii": None,
        "officer_mentions": None,
        "police_slogans": None,
        "cues": None,
    }
    for name, default in doc_defaults.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)
    if not Doc.has_extension("norm_text"):
        Doc.set_extension("norm_text", getter=_doc_norm_text)
    token_getters: dict[str, Any] = {
        "norm_text": lambda t: t.norm_,
        "is_obfuscated": lambda t: bool(_token_index(t.doc, "obfuscated").get(t.i)),
        "pii_label": lambda t: _token_index(t.doc, "pii").get(t.i),
        "officer_kind": lambda t: _token_index(t.doc, "officer").get(t.i),
        "cues": lambda t: _token_index(t.doc, "cues").get(t.i, ()),
    }
    for name, getter in token_getters.items():
        if not Token.has_extension(name):
            Token.set_extension(name, getter=getter)


register_extensions()


_T = TypeVar("_T")


def _user_data_key(name: str) -> Any:
    """The ``doc.user_data`` key under which spaCy keeps the doc extension ``name``.

    Found by setting a marker through ``doc._`` on a probe doc, so it is spaCy's own
    key, whatever its format; an import error if spaCy ever stops storing it there.
    """
    probe = Doc(Vocab(), words=["probe"])
    if getattr(probe._, name) is not None:
        raise RuntimeError(f"doc._.{name} must default to None")
    marker = object()
    setattr(probe._, name, marker)
    keys = [key for key, value in probe.user_data.items() if value is marker]
    if len(keys) != 1:
        raise RuntimeError(f"cannot find where spaCy stores doc._.{name}")
    return keys[0]


class DocAttr(Generic[_T]):
    """Fast access to one of the doc attributes above: ``ATTR.get(doc)`` is
    ``doc._.<name>`` and ``ATTR.set(doc, value)`` is ``doc._.<name> = value``.

    Every ``doc._`` builds a new accessor object (over a microsecond per read or write)
    and the pipeline reads and writes these attributes some twenty times per post; this
    goes straight to the ``doc.user_data`` entry behind the attribute, so both ways of
    access always see the same value.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = _user_data_key(name)

    def get(self, doc: Doc) -> _T | None:
        """The value, or None when no component has set it."""
        return cast("_T | None", doc.user_data.get(self.key))

    def set(self, doc: Doc, value: _T) -> None:
        """Set the value."""
        doc.user_data[self.key] = value


DEOBFUSCATIONS: DocAttr[list[Deobfuscation]] = DocAttr("deobfuscations")
QUOTES: DocAttr[list[tuple[int, int]]] = DocAttr("quotes")
PII: DocAttr[list[PiiSpan]] = DocAttr("pii")
OFFICER_MENTIONS: DocAttr[list[OfficerMention]] = DocAttr("officer_mentions")
POLICE_SLOGANS: DocAttr[list[CueMatch]] = DocAttr("police_slogans")
CUES: DocAttr[dict[str, list[CueMatch]]] = DocAttr("cues")

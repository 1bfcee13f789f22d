"""``doxwatch_social_normalizer_v1``: de-obfuscation without touching the text.

People who post threats and doxing write around filters: "h.boersma [at] kpnmail
[punt] nl", "k i l l", "k.i.l.l", "m00rd", "#politie". This component writes the
readable form into ``token.norm_`` (exposed as ``token._.norm_text``), merging the
tokens of a spaced-out word or an obfuscated e-mail address into one token, and
records every change in ``doc._.deobfuscations``. ``doc.text`` never changes, so
every character offset still refers to the original post.

Leet and spacing are undone only when the result is a known term (an officer word
or a cue): "d00d" -> "dood", but "GH-123-K" stays a plate and "1234AB" a postcode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Token
from spacy.util import ensure_path

from services.classifier.detector import lexicons
from services.classifier.detector.extensions import (
    DEOBFUSCATIONS,
    QUOTES,
    Deobfuscation,
    doc_text,
    register_extensions,
)
from services.personal_data import deobfuscate_email

FACTORY_NAME = "doxwatch_social_normalizer_v1"

_BR_AT = r"\s*[\[({<]\s*(?:at|@|apenstaartje)\s*[\])}>]\s*"
_BR_DOT = r"\s*[\[({<]\s*(?:dot|punt|\.)\s*[\])}>]\s*"
_WORD_AT = r"\s+(?:at|apenstaartje)\s+"
_WORD_DOT = r"\s+(?:dot|punt)\s+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.@])(?P<local>[A-Za-z0-9](?:[\w.+\-]*[\w])?)"
    rf"(?P<at>{_BR_AT}|{_WORD_AT}|@)"
    rf"(?P<domain>{_LABEL}(?:(?:{_BR_DOT}|{_WORD_DOT}|\.){_LABEL})*?)"
    rf"(?P<dot>{_BR_DOT}|{_WORD_DOT}|\.)"
    r"(?P<tld>[A-Za-z]{2,6})(?![\w])",
    re.IGNORECASE,
)
_OBFUSCATION_HINT = re.compile(
    r"[\[({<]\s*(?:at|@|dot|punt|apenstaartje)\s*[\])}>]|\s(?:at|dot|punt|apenstaartje)\s",
    re.IGNORECASE,
)
# Plain-word forms ("jan at kpn dot nl") read like English prose ("look at this dot
# com"), so they need a known TLD and either an e-mail-ish local part or a mail cue.
_KNOWN_TLDS = frozenset(
    [
        "nl",
        "be",
        "com",
        "net",
        "org",
        "eu",
        "de",
        "fr",
        "uk",
        "io",
        "me",
        "info",
        "nu",
        "co",
        "biz",
        "online",
        "live",
        "email",
    ]
)
_MAIL_CUE = re.compile(r"(?:e-?mail|mailadres|mail|contact|bereikbaar)", re.IGNORECASE)

# Three or more single characters separated by spaces, dots, dashes, stars or
# underscores: "k i l l", "k.i.l.l", "p-o-l-i-t-i-e".
_SPACED = re.compile(r"(?<![\w.\-*])(?:[^\W_](?:[ .\-_*]|\s){1,2}){2,}[^\W_](?![\w])")
_SEPARATORS = re.compile(r"[\s.\-_*]+")
_REPEATS = re.compile(r"(.)\1{2,}")
# A token worth a closer look: digits/symbols inside letters, runs of three equal
# characters, or separators inside a word.
_SUSPICIOUS = re.compile(r"[0-9@$€!|]|(.)\1\1|[^\W_][.\-_*][^\W_]")
_EMOJI_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff]")
# ASCII classes on purpose: Python's re is several times slower on Unicode classes,
# and leet and spacing are ASCII tricks.
_SUSPICIOUS_CHAR = re.compile(
    r"[#@$€!|\ufe0f\U0001f3fb-\U0001f3ff]|[a-zA-Z](?:[0-9]|[.\-_*][a-zA-Z])|[0-9][a-zA-Z]"
)
_ELONGATED = re.compile(r"([a-zA-Z])\1\1")
# Every alternative opens with its quote character, so the regex engine jumps from
# quote to quote (the look-behind of the last one is written after its quote for that).
_QUOTES = re.compile(
    r"\"[^\"\n]{3,}\"|“[^”\n]{3,}”|„[^”“\n]{3,}[”“]|«[^»\n]{3,}»|‘[^’\n]{3,}’"
    r"|'(?<![\w']')[^'\n]{6,}?'(?![\w'])"
)
_CACHE_LIMIT = 50_000


def known_terms(lang: str) -> set[str]:
    """Every single word of the officer and cue lexicons of ``lang`` (lower case)."""
    words: set[str] = set()
    for part in ("common", lang):
        for term in lexicons.OFFICER_TERMS.get(part, {}):
            words.update(term.split())
        for term in lexicons.AMBIGUOUS_OFFICER_TERMS.get(part, {}):
            words.update(term.split())
        for phrases in lexicons.CUES.get(part, {}).values():
            for phrase in phrases:
                words.update(phrase.split())
    for slogan in lexicons.POLICE_SLOGANS:
        words.update(slogan.split())
    for verbs in lexicons.SEPARABLE_VERBS:
        words.update(verbs)
    # Very short words are too easy to produce by accident ("1s" -> "is").
    return {w for w in words if len(w) >= 3 and w.isalpha()}


def _may_hide_email(text: str, lower: str) -> bool:
    """Cheap substring test before the obfuscated-e-mail regexes."""
    return (
        "[" in text
        or "(" in text
        or "{" in text
        or "<" in text
        or " at " in lower
        or " apenstaartje " in lower
        or "@" in text
    )


def _deleet(text: str) -> str:
    return "".join(lexicons.LEET.get(ch, ch) for ch in text)


class SocialNormalizer(Pipe):
    """Writes de-obfuscated forms to ``token.norm_`` and ``doc._.deobfuscations``."""

    def __init__(self, nlp: Language, name: str = FACTORY_NAME, *, lang: str) -> None:
        """Create the component; ``lang`` selects the lexicons whose words are known."""
        register_extensions()
        self.name = name
        self.lang = lang
        self.terms: frozenset[str] = frozenset(known_terms(lang))
        self._cache: dict[str, str | None] = {}

    # -- the component
    def __call__(self, doc: Doc) -> Doc:
        """De-obfuscate ``doc`` in place (token norms and merges; text unchanged)."""
        text = doc_text(doc)
        found: list[Deobfuscation] = []
        merges: list[tuple[int, int, str]] = []
        lower = text.lower()
        if _may_hide_email(text, lower) and _OBFUSCATION_HINT.search(text):
            for m in _OBFUSCATED_EMAIL.finditer(text):
                email = self._email(m, text)
                if email:
                    found.append(Deobfuscation(m.start(), m.end(), "email", email))
                    merges.append((m.start(), m.end(), email))
        for m in _SPACED.finditer(text):
            word = _deleet(_SEPARATORS.sub("", m.group(0)).lower())
            if word in self.terms:
                found.append(Deobfuscation(m.start(), m.end(), "spaced", word))
                merges.append((m.start(), m.end(), word))
        if merges:
            self._merge(doc, merges)
        covered = {(d.start, d.end) for d in found}
        # Only tokens with a suspicious character are looked at: iterating every token
        # of every post is what makes spaCy pipelines slow.
        done_until = -1
        hits = list(_SUSPICIOUS_CHAR.finditer(text)) + list(_ELONGATED.finditer(text))
        for hit in sorted(hits, key=lambda h: h.start()) if len(hits) > 1 else hits:
            if hit.start() < done_until:
                continue  # already handled with the token containing an earlier hit
            span = doc.char_span(hit.start(), hit.end(), alignment_mode="expand")
            if span is None:
                continue
            for token in span:
                self._token(token, covered, found)
            done_until = span.end_char
        found.sort(key=lambda d: d.start)
        DEOBFUSCATIONS.set(doc, found)
        has_quote = '"' in text or "'" in text or "“" in text or "„" in text or "«" in text
        QUOTES.set(
            doc,
            [(m.start(), m.end()) for m in _QUOTES.finditer(text)]
            if has_quote or "‘" in text
            else [],
        )
        return doc

    # -- helpers
    def _token(
        self, token: Token, covered: set[tuple[int, int]], found: list[Deobfuscation]
    ) -> None:
        token_text = token.text
        if token_text[0] == "#" and len(token_text) > 1:
            tag = token_text[1:].lower()
            token.norm_ = self._word(tag) or tag
            return
        if _EMOJI_MODIFIERS.search(token_text):
            token.norm_ = _EMOJI_MODIFIERS.sub("", token_text)
            return
        if len(token_text) < 3 or not _SUSPICIOUS.search(token_text):
            return
        start = token.idx
        if (start, start + len(token_text)) in covered:
            return
        known = self._word(token_text.lower())
        if known is not None:
            token.norm_ = known
            found.append(Deobfuscation(start, start + len(token_text), "leet", known))

    def _email(self, m: re.Match[str], text: str) -> str | None:
        at, dot = m["at"], m["dot"]
        if at == "@" and dot == "." and "[" not in m["domain"] and "(" not in m["domain"]:
            return None  # a plain address, not obfuscated: the recogniser handles it
        plain_words = not any(ch in at + dot for ch in "[({<@.")
        if plain_words:
            local = m["local"]
            cue = _MAIL_CUE.search(text, max(0, m.start() - 40), m.start())
            if m["tld"].lower() not in _KNOWN_TLDS or not (
                cue or any(ch in local for ch in "._") or any(ch.isdigit() for ch in local)
            ):
                return None
        email = deobfuscate_email(m.group(0)).lower()
        return email if "@" in email and " " not in email else None

    def _word(self, lower: str) -> str | None:
        """The known term behind an obfuscated word, or None."""
        if lower in self._cache:
            return self._cache[lower]
        result: str | None = None
        if lower not in self.terms:
            joined = _SEPARATORS.sub("", lower)
            for candidate in (
                joined,
                _deleet(joined),
                _REPEATS.sub(r"\1\1", _deleet(joined)),
                _REPEATS.sub(r"\1", _deleet(joined)),
            ):
                if candidate in self.terms:
                    result = candidate
                    break
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[lower] = result
        return result

    @staticmethod
    def _merge(doc: Doc, merges: list[tuple[int, int, str]]) -> None:
        spans = []
        taken: set[int] = set()
        for start, end, norm in sorted(merges):
            span = doc.char_span(start, end)
            if span is None:
                continue
            if any(i in taken for i in range(span.start, span.end)):
                continue
            taken.update(range(span.start, span.end))
            spans.append((span, norm))
        with doc.retokenize() as retokenizer:
            for span, norm in spans:
                if len(span) > 1:
                    retokenizer.merge(span, attrs={"NORM": norm})
                else:
                    span[0].norm_ = norm

    # -- serialisation (the known-term list is data, so it travels with the model)
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the known-term list to ``path/terms.json``."""
        directory = ensure_path(path)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "terms.json").write_text(
            json.dumps(sorted(self.terms), ensure_ascii=False), encoding="utf-8"
        )

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> SocialNormalizer:
        """Read the known-term list written by :meth:`to_disk`."""
        data = json.loads((ensure_path(path) / "terms.json").read_text(encoding="utf-8"))
        self.terms = frozenset(str(w) for w in data)
        self._cache.clear()
        return self


@Language.factory(FACTORY_NAME, default_config={"lang": None})
def make_social_normalizer(nlp: Language, name: str, *, lang: str | None) -> SocialNormalizer:
    """spaCy factory for :class:`SocialNormalizer` (``lang`` defaults to the pipeline's)."""
    return SocialNormalizer(nlp, name, lang=lang or str(nlp.lang))


__all__ = ["FACTORY_NAME", "SocialNormalizer", "known_terms"]

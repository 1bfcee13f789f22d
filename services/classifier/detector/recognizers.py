"""``doxwatch_pii_recognizer_v1``: personal-data spans, validated and normalised.

Precision first: every candidate is validated (python-stdnum checksums, phonenumbers,
the RDW side codes, real calendar dates) and normalised with
:func:`services.personal_data.normalize`; anything that does not normalise is dropped.
Ambiguous shapes need a cue: a nine-digit number is a BSN only after "BSN",
"sofinummer"...; a date is a date of birth only after "geboren", "DOB", "*"... or
right after a name; a plate without dashes only after "kenteken", "plate"...

Overlapping candidates resolve to the longest; on equal length the more specific
type wins, and a name never beats a validated number ("Johan de Wittlaan 5" is an
address, not a person). A postcode inside an address is part of the ADDRESS span.

Recognition of names uses a gazetteer (``data/gazetteer.json``, written for this
project from common-knowledge name frequencies) plus context: a title or relation
cue ("agent", "rechercheur", "mevrouw", "zijn vrouw", "dochter") followed by a
capitalised word, a known first name followed by a surname, or initials followed by
a surname ("J. de Vries"), with tussenvoegsels ("van der", "van 't") kept inside.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Token
from spacy.util import ensure_path

from services.classifier.detector import lexicons
from services.classifier.detector.extensions import PiiSpan, doc_text, register_extensions
from services.events import SpanLabel
from services.personal_data import (
    MONTH_PATTERN,
    InvalidPersonalData,
    fold_text,
    is_service_phone,
    normalize,
)

FACTORY_NAME = "doxwatch_pii_recognizer_v1"

# ------------------------------------------------------------------ patterns
# All compiled once at import; the component only runs finditer/match.

_HAS_DIGIT = re.compile(r"\d")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w\-]+(?:\.[\w\-]+)*\.(?:com|nl|be|org|net|eu|io|me|tv|app)/\S*",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9](?:[\w.+\-%]*[\w\-])?@[A-Za-z0-9](?:[\w\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[\w\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w\-@])"
)
_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])")
_PLATFORM_HANDLE = re.compile(
    r"(?<![\w@])(?P<platform>instagram|insta|ig|tiktok|tik tok|snapchat|snap|sc|twitter"
    r"|telegram|tg|facebook|fb|threads)(?P<sep>\s*[:=\-]\s*|\s+)(?P<at>@)?"
    r"(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])",
    re.IGNORECASE,
)
_PLATFORM_WORDS = (
    "insta", "tiktok", "tik tok", "snap", "twitter", "telegram", "facebook", "threads", " ig",
    " sc", " tg", " fb",
)  # fmt: skip
_PROFILE_URL = re.compile(
    r"(?:instagram\.com|tiktok\.com|twitter\.com|x\.com|facebook\.com|snapchat\.com/add"
    r"|threads\.net|t\.me)/@?(?P<handle>[A-Za-z0-9_.]{2,30})",
    re.IGNORECASE,
)
_RESERVED_PATHS = frozenset(
    [
        "p",
        "reel",
        "reels",
        "explore",
        "stories",
        "watch",
        "share",
        "status",
        "hashtag",
        "i",
        "intent",
        "home",
        "search",
        "tv",
        "video",
        "videos",
        "photo",
        "photos",
        "events",
        "groups",
        "pages",
        "login",
        "about",
    ]
)
# Platforms where a plain word after the name is a handle; "snap je" is Dutch for
# "do you get it", so for the others the handle must look like one (digit, _ or .)
# or be introduced by a colon.
_STRONG_PLATFORMS = frozenset({"instagram", "insta", "ig", "tiktok", "tik tok", "snapchat"})
_PHONE = re.compile(
    r"(?<![\w+/=.\-])(?:(?:\+|00)\s?[1-9]\d{0,2}(?:\s?\(0\))?(?:\s?[.\-/]\s?|\s)?\(?\d{1,4}\)?"
    r"|\(?0\d{1,4}\)?)(?:(?:\s?[.\-/]\s?|\s)?\d{1,4}){1,5}(?![\w])"
)
_DIGIT_GROUP = re.compile(r"\d+")
_IBAN = re.compile(
    r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?(?![\w])"
)
_BSN = re.compile(
    r"(?<![\w.\-/+])(?:\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3}|\d{9})(?![\w]|[.\-/]\d)"
)
_BSN_DOTTED = re.compile(r"^\d{4}\.\d{2}\.\d{3}$")
_BSN_CUE = re.compile(
    r"(?:bsn|burgerservice\s?nummer|sofi\s?-?nummer|sofi|citizen service number)", re.IGNORECASE
)
_POSTCODE = re.compile(r"(?<![\w\-/.])[1-9]\d{3}(?: ?[A-Z]{2}|[a-z]{2})(?![\w])")
_POSTCODE_CUED = re.compile(
    r"(?:postcode|pc)\s*[:=]?\s*([1-9]\d{3} ?[A-Za-z]{2})(?![\w])", re.IGNORECASE
)
_PLATE_DASHED = re.compile(
    r"(?<![\w\-])[A-Za-z0-9]{1,3}-[A-Za-z0-9]{1,3}-[A-Za-z0-9]{1,3}(?![\w\-])"
)
_PLATE_CUE = re.compile(
    r"(?:kenteken(?:plaat)?|nummerplaat|nummerbord|license plate|licence plate|plate|reg)"
    r"\s*(?:nummer|number|nr\.?)?\s*(?:is|:|=)?\s*",
    re.IGNORECASE,
)
_PLATE_BARE = re.compile(
    r"(?<![\w\-])(?:[A-Za-z0-9]{6}|[A-Za-z0-9]{1,3}[ \-][A-Za-z0-9]{1,3}[ \-][A-Za-z0-9]{1,3})"
    r"(?![\w\-])"
)
_ORDINAL = r"(?:st|nd|rd|th|e|ste|de)?"
_DATE = re.compile(
    rf"(?<![\w/.\-])(?:\d{{1,2}}[-/.]\d{{1,2}}[-/.](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}"
    rf"|\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?(?:{MONTH_PATTERN})\.?,?\s+'?\d{{4}}"
    rf"|(?:{MONTH_PATTERN})\.?\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}})(?![\w/]|[.\-]\d)",
    re.IGNORECASE,
)
# Every date of birth has a year; most posts have none, so the date regex (a long
# alternation of month names) runs only when one is there.
_YEAR_HINT = re.compile(r"(?<!\d)(?:1[89]\d\d|20\d\d)(?!\d)|\d[-/.]\d{1,2}[-/.]\d\d(?!\d)")
_DOB_CUE = re.compile(
    r"(?:geboren|geb\.|\bgeb\b|geboortedatum|geboortedag|verjaardag|jarig|\bborn\b|\bdob\b"
    r"|d\.o\.b|date of birth|birthday|\bbday|b-day)",
    re.IGNORECASE,
)
_DOB_MARK = re.compile(r"[*°]\s*$")
_NAME_TO_DATE = re.compile(r"^\s*[,(]?\s*(?:[*°]\s*)?$")

# Addresses: found from the house number leftwards (a street word ending in a street
# suffix), which is much cheaper than one big regex over every position of the text.
_HOUSE_NUMBER = re.compile(r"(?<![\w\-/.,:+€$#@])[1-9]\d{0,4}(?!\d)(?![.,:]\d)")
_HOUSE_SUFFIX = re.compile(
    r"(?:\s?[-/]\s?(?:[A-Za-z]{1,2}|[IVXivx]{1,4}|\d{1,3})(?![\w])|[A-Za-z](?![\w])"
    r"|\s(?:bis|hs|huis|bg|boven|zw|[A-Z]|I{1,3}|IV)(?![\w]))"
)
_AFTER_POSTCODE = re.compile(r"\s*,?\s*([1-9]\d{3}(?: ?[A-Z]{2}|[a-z]{2}|\s[a-z]{2}))(?![\w])")
_AFTER_TOWN = re.compile(
    r"(?P<sep>\s*,\s*|\s+(?:in|te)\s+|\s+)"
    r"(?P<town>(?:'s-|'s\s)?[A-Za-z][\w'\-]*(?:[ \-](?:aan|op|den|de|der|bij|[A-Z][\w'\-]*)){0,3})"
)
_AFTER_UNIT = re.compile(
    r"\s*(?:km|kilometer|m|meter|min|minuten|minuut|uur|jaar|keer|euro|procent|%|x|man|"
    r"agenten|mensen|personen|kg|cm|mm|graden|seconden|sec|dagen|weken|maanden)(?![\w])",
    re.IGNORECASE,
)
_WORDS_BACK = re.compile(r"[^\s,;:!?()\"“”]+")
_EN_STREET_AFTER = re.compile(
    r"(?P<suffix>[A-Za-z])?\s+(?P<street>(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.?|Road|Rd\.?"
    r"|Avenue|Ave\.?|Lane|Ln\.?|Drive|Close|Court|Way|Place|Crescent|Boulevard|Square|Terrace"
    r"|Gardens|Grove|Row|Mews))(?![\w])"
)
STREET_SUFFIXES: tuple[str, ...] = (
    "straat", "straatje", "straatweg", "weg", "laan", "laantje", "plein", "pleintje",
    "gracht", "kade", "singel", "dijk", "dijkje", "hof", "hofje", "pad", "steeg", "steegje",
    "dreef", "markt", "plantsoen", "park", "baan", "ring", "dam", "wal", "burgwal", "veld",
    "erf", "haven", "kanaal", "vliet", "allee", "boulevard", "promenade", "kwartier",
    "kaai", "wetering", "vaart", "brink", "hoek", "poort", "oever", "zijde", "akker",
    "weide", "horst", "donk", "heuvel", "rade", "passage", "str.", "str",
)  # fmt: skip
# Written in lower case, a word is a street only with a common suffix and not one of
# the ordinary words that happen to end like one ("onderweg 2 uur").
_LOWER_SUFFIXES: tuple[str, ...] = (
    "straat", "weg", "laan", "plein", "gracht", "kade", "singel", "dijk", "steeg", "dreef",
    "hof", "pad", "markt", "plantsoen", "allee", "str.",
)  # fmt: skip
_NOT_STREETS = frozenset(
    [
        "onderweg",
        "snelweg",
        "halfweg",
        "zijweg",
        "uitweg",
        "omweg",
        "spoorweg",
        "autoweg",
        "rijksweg",
        "fietspad",
        "voetpad",
        "wandelpad",
        "zandpad",
        "gerechtshof",
        "kerkhof",
        "binnenhof",
        "schoolplein",
        "speelplein",
        "zeeweg",
        "waterweg",
        "bospad",
        "jaagpad",
    ]
)
_STREET_LEADS = frozenset(
    [
        "oude",
        "nieuwe",
        "korte",
        "lange",
        "hoge",
        "lage",
        "grote",
        "kleine",
        "oost",
        "west",
        "noord",
        "zuid",
        "oostelijke",
        "westelijke",
        "verlengde",
        "eerste",
        "tweede",
        "derde",
        "1e",
        "2e",
        "3e",
        "sint",
        "st.",
        "burgemeester",
        "burg.",
        "prins",
        "prinses",
        "koning",
        "koningin",
        "keizer",
        "graaf",
        "gravin",
        "hertog",
        "generaal",
        "admiraal",
        "kapitein",
        "pastoor",
        "dokter",
        "dr.",
        "prof.",
        "professor",
        "mr.",
        "meester",
        "jonkheer",
        "jhr.",
        "van",
        "de",
        "den",
        "het",
        "'t",
        "ter",
        "ten",
    ]
)
_STREET_PARTICLES = frozenset(
    [
        "van",
        "de",
        "der",
        "den",
        "het",
        "'t",
        "ter",
        "ten",
        "la",
        "le",
        "op",
        "aan",
        "in",
    ]
)
_PREFIX_STREETS = frozenset(
    [
        "laan",
        "plein",
        "kade",
        "weg",
        "park",
        "hof",
        "dijk",
        "singel",
        "straat",
    ]
)
_ARTICLES = frozenset({"de", "het", "'t", "den"})
_NAME_NOT_SUFFIXES = (
    "straat",
    "weg",
    "laan",
    "plein",
    "gracht",
    "kade",
    "singel",
    "steeg",
    "dreef",
    "markt",
    "plantsoen",
)
# Relation words that are ordinary nouns ("de man", "een vriend") mark a name only
# after a possessive ("zijn vrouw Sandra"); the others always do ("dochter Emma").
_WEAK_RELATIONS = frozenset(
    [
        "vrouw",
        "man",
        "vriend",
        "vriendin",
        "partner",
        "kind",
        "kid",
        "broer",
        "zus",
    ]
)
_POSSESSIVES = frozenset(
    [
        "zijn",
        "haar",
        "z'n",
        "d'r",
        "hun",
        "his",
        "her",
        "their",
        "mijn",
        "m'n",
        "my",
    ]
)

_OFFICIAL_HANDLE_PARTS = ("politie", "police", "polizei", "marechaussee", "kmar")
_STATION_WINDOW = 60
_STATION_WORDS = re.compile(
    r"(?:politiebureau|hoofdbureau|politiepost|\bbureau\b|police station|\bstation\b|precinct"
    r"|commissariaat)"
)
_PERSON_ADDRESS_CUE = re.compile(r"(?:woont|wonen|lives|living|thuis|home|huis)")

_PRIORITY = {
    SpanLabel.IBAN: 0, SpanLabel.EMAIL: 1, SpanLabel.ADDRESS: 2, SpanLabel.PHONE: 3,
    SpanLabel.BSN: 4, SpanLabel.LICENSE_PLATE: 5, SpanLabel.DATE_OF_BIRTH: 6,
    SpanLabel.POSTCODE: 7, SpanLabel.SOCIAL_HANDLE: 8, SpanLabel.PERSON: 9,
}  # fmt: skip
_INITIALS = re.compile(r"^(?:[A-Z]\.){1,4}$|^(?:[A-Z]\.)+[A-Z]$")
_INITIALS_IN_TEXT = re.compile(r"(?<![\w.])(?:[A-Z]\.){1,4}(?=\s)")


def _default_gazetteer() -> dict[str, Any]:
    text = resources.files("services.classifier.detector").joinpath("data/gazetteer.json")
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


def _is_name_word(text: str) -> bool:
    """Capitalised word made of letters (hyphens and apostrophes allowed)."""
    if len(text) < 2 or not text[0].isupper():
        return False
    core = text.replace("-", "").replace("'", "").replace("’", "")
    return core.isalpha() and any(ch.islower() for ch in core)


class PiiRecognizer(Pipe):
    """Finds personal-data spans and stores them in ``doc._.pii``."""

    def __init__(
        self, nlp: Language, name: str = FACTORY_NAME, *, gazetteer: dict[str, Any] | None = None
    ) -> None:
        """Create the recogniser; the gazetteer defaults to the packaged one."""
        register_extensions()
        self.name = name
        self._nlp = nlp
        self._load(gazetteer or _default_gazetteer())

    def _load(self, gazetteer: dict[str, Any]) -> None:
        self.gazetteer = gazetteer
        firsts = {n for names in gazetteer["first_names"].values() for n in names}
        surnames = {n for names in gazetteer["surnames"].values() for n in names}
        self.first_names = frozenset(firsts)
        self.first_names_folded = frozenset(fold_text(n) for n in firsts)
        self.surname_cores = frozenset(fold_text(n.split()[-1]) for n in surnames)
        self.name_words_folded = self.first_names_folded | self.surname_cores
        self.towns = frozenset(fold_text(t) for t in gazetteer["towns"])
        # Name triggers are found by a PhraseMatcher (C speed) instead of a Python
        # loop over every token; the code then only looks around the triggers.
        make = self._nlp.make_doc
        self._triggers = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._triggers.add("title", [make(w) for w in sorted(lexicons.PERSON_TITLE_CUES)])
        self._triggers.add("relation", [make(w) for w in sorted(lexicons.PERSON_RELATION_CUES)])
        lowered = {n.lower() for n in firsts} | set(self.first_names_folded)
        self._triggers.add("first", [make(w) for w in sorted(lowered)])
        self._trigger_kinds = {
            self._nlp.vocab.strings[k]: k
            for k in (
                "title",
                "relation",
                "first",
            )
        }

    # ---------------------------------------------------------------- component
    def __call__(self, doc: Doc) -> Doc:
        """Recognise personal data in ``doc`` and set ``doc._.pii``."""
        text = doc_text(doc)
        candidates: list[PiiSpan] = []
        lower = text.lower()
        urls = (
            [(m.start(), m.end()) for m in _URL.finditer(text)]
            if "/" in text or "www." in lower
            else []
        )
        if "@" in text:
            candidates += self._emails(text)
            candidates += self._handles(text)
        if urls:
            candidates += self._profile_handles(text, urls)
        for d in doc._.deobfuscations or ():
            if d.kind == "email":
                candidates += self._make(
                    SpanLabel.EMAIL, text, d.start, d.end, "deobfuscated", value=d.value
                )
        if _mentions_platform(lower):
            candidates += self._platform_handles(text)
        persons = self._persons(doc, text)
        candidates += persons
        if _HAS_DIGIT.search(text):
            candidates += self._ibans(text)
            candidates += self._phones(text)
            candidates += self._bsns(text)
            candidates += self._postcodes(text)
            candidates += self._plates(text, lower)
            if _YEAR_HINT.search(text):
                candidates += self._dates(text, persons)
            candidates += self._addresses(text)
        if urls:
            # Digits and words inside a URL are not personal data, except profile handles.
            candidates = [
                c
                for c in candidates
                if c.source == "profile_url" or not any(c.start < e and s < c.end for s, e in urls)
            ]
        doc._.pii = [c for c in _resolve(candidates) if not _organisational(c, text, lower)]
        return doc

    # ------------------------------------------------------------- recognisers
    @staticmethod
    def _make(
        label: SpanLabel,
        text: str,
        start: int,
        end: int,
        source: str,
        *,
        value: str | None = None,
        meta: dict[str, str] | None = None,
    ) -> list[PiiSpan]:
        """One validated span, or nothing when the value does not normalise."""
        raw = text[start:end]
        try:
            normalized = normalize(label, value if value is not None else raw)
        except InvalidPersonalData:
            return []
        return [PiiSpan(start, end, label, normalized, raw, source, meta or {})]

    def _emails(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _EMAIL.finditer(text):
            out += self._make(SpanLabel.EMAIL, text, m.start(), m.end(), "email")
        return out

    def _handles(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _HANDLE.finditer(text):
            out += self._make(SpanLabel.SOCIAL_HANDLE, text, m.start(), m.end(), "handle")
        return out

    def _profile_handles(self, text: str, urls: list[tuple[int, int]]) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for s, e in urls:
            for m in _PROFILE_URL.finditer(text, s, e):
                if m["handle"].lower().strip(".") in _RESERVED_PATHS:
                    continue
                out += self._make(
                    SpanLabel.SOCIAL_HANDLE, text, m.start("handle"), m.end("handle"), "profile_url"
                )
        return out

    def _platform_handles(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _PLATFORM_HANDLE.finditer(text):
            if m["at"]:
                continue  # "@handle" itself is found by _handles
            platform = m["platform"].lower()
            handle = m["handle"]
            low = handle.lower()
            handle_like = any(ch in handle for ch in "._") or any(ch.isdigit() for ch in handle)
            colon = ":" in m["sep"] or "=" in m["sep"]
            if (
                low in lexicons.NOT_A_NAME
                or low in lexicons.NL_STOPWORDS
                or (low in lexicons.EN_STOPWORDS)
            ):
                continue
            if handle.isdigit():
                continue
            if not (handle_like or colon or platform in _STRONG_PLATFORMS):
                continue
            out += self._make(
                SpanLabel.SOCIAL_HANDLE, text, m.start("handle"), m.end("handle"), "platform_cue"
            )
        return out

    def _ibans(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _IBAN.finditer(text):
            start, raw = m.start(), m.group(0)
            # The pattern may have swallowed a following word; shorten until valid.
            end = len(raw)
            while end >= 15:
                found = self._make(SpanLabel.IBAN, text, start, start + end, "iban")
                if found:
                    out += found
                    break
                cut = raw.rfind(" ", 0, end)
                end = cut if cut > 0 else 0
        return out

    def _phones(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _PHONE.finditer(text):
            start = m.start()
            raw = m.group(0)
            groups = list(_DIGIT_GROUP.finditer(raw))
            # Trailing digit groups may belong to the next number ("bel 0612345678 12x").
            while groups and sum(len(g.group(0)) for g in groups) >= 8:
                end = start + groups[-1].end()
                phone = self._make(SpanLabel.PHONE, text, start, end, "phone")
                if phone:
                    if is_service_phone(phone[0].text):
                        phone = [_with_meta(phone[0], phone_type="service")]
                    out += phone
                    break
                groups.pop()
        return out

    def _bsns(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _BSN.finditer(text):
            raw = m.group(0)
            dotted = _BSN_DOTTED.match(raw) is not None
            if not dotted and not _BSN_CUE.search(text, max(0, m.start() - 40), m.start()):
                continue
            out += self._make(SpanLabel.BSN, text, m.start(), m.end(), "bsn")
        return out

    def _postcodes(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _POSTCODE.finditer(text):
            out += self._make(SpanLabel.POSTCODE, text, m.start(), m.end(), "postcode")
        for m in _POSTCODE_CUED.finditer(text):
            out += self._make(SpanLabel.POSTCODE, text, m.start(1), m.end(1), "postcode_cue")
        return out

    def _plates(self, text: str, lower: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _PLATE_DASHED.finditer(text):
            raw = m.group(0)
            if raw != raw.upper() and not _PLATE_CUE.search(
                text, max(0, m.start() - 30), m.start()
            ):
                continue  # "ik-12-ab" in lower case needs a cue
            out += self._make(SpanLabel.LICENSE_PLATE, text, m.start(), m.end(), "plate")
        if not ("kenteken" in lower or "nummer" in lower or "plate" in lower or "reg" in lower):
            return out
        for cue in _PLATE_CUE.finditer(text):
            bare = _PLATE_BARE.match(text, cue.end())
            if bare is None:
                continue
            raw = bare.group(0)
            if not (any(ch.isdigit() for ch in raw) and any(ch.isalpha() for ch in raw)):
                continue
            out += self._make(SpanLabel.LICENSE_PLATE, text, bare.start(), bare.end(), "plate_cue")
        return out

    def _dates(self, text: str, persons: list[PiiSpan]) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _DATE.finditer(text):
            start = m.start()
            before = text[max(0, start - 40) : start]
            cued = bool(_DOB_CUE.search(before)) or bool(_DOB_MARK.search(before))
            if not cued:
                # "Jan de Vries (12-03-1985)": a date right after a name is a birth date.
                cued = any(
                    p.end <= start
                    and start - p.end <= 4
                    and _NAME_TO_DATE.match(text[p.end : start])
                    for p in persons
                )
            if cued:
                out += self._make(SpanLabel.DATE_OF_BIRTH, text, start, m.end(), "dob")
        return out

    # ------------------------------------------------------------- addresses
    def _addresses(self, text: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        for m in _HOUSE_NUMBER.finditer(text):
            found = self._dutch_address(text, m) or self._english_address(text, m)
            if found:
                out += found
        return out

    def _dutch_address(self, text: str, number: re.Match[str]) -> list[PiiSpan]:
        pos = number.start()
        before = text[max(0, pos - 40) : pos]
        head = before.rstrip()
        if len(head) == len(before) or not head:
            return []  # the number must follow the street after whitespace
        last = head.rsplit(None, 1)[-1].lower()
        # Cheap test first: a street word, or a name ending "Laan van Meerdervoort".
        if not (last.endswith(STREET_SUFFIXES) or last.isalpha()):
            return []
        # finditer(text, start, end) reports offsets in ``text`` itself.
        words = [
            (w.start(), w.end(), w.group(0))
            for w in _WORDS_BACK.finditer(text, max(0, pos - 100), pos)
        ]
        if not words or words[-1][1] == pos:
            return []  # the number must follow the street after whitespace
        if text[words[-1][1] : pos].strip():
            return []
        street_start = self._street_start(text, words)
        if street_start is None:
            return []
        end = number.end()
        suffix = _HOUSE_SUFFIX.match(text, end)
        if suffix:
            end = suffix.end()
        elif _AFTER_UNIT.match(text, end):
            return []  # "snelweg 12 km", "Dorpsstraat 3 keer"
        postcode = _AFTER_POSTCODE.match(text, end)
        if postcode and self._valid_postcode(postcode.group(1)):
            end = postcode.end()
        else:
            postcode = None
        end = self._town_end(text, end, has_postcode=postcode is not None)
        return self._make(SpanLabel.ADDRESS, text, street_start, end, "address_nl")

    def _street_start(self, text: str, words: list[tuple[int, int, str]]) -> int | None:
        """Start offset of the street name that ends with ``words[-1]``, or None."""
        start, _, last = words[-1]
        low = last.lower()
        lower_case = not last[0].isupper()
        suffix = next((s for s in STREET_SUFFIXES if low.endswith(s)), None)
        i = len(words) - 1
        if suffix is not None and low not in _NOT_STREETS and "@" not in last and "#" not in last:
            is_bare_suffix = len(low) - len(suffix) < 2
            if lower_case and (not low.endswith(_LOWER_SUFFIXES) or len(low) - len(suffix) < 3):
                return None
            if lower_case or not last.replace("-", "").replace("'", "").replace(".", "").isalpha():
                return start if not is_bare_suffix and last.replace(".", "").isalpha() else None
            # Capitalised: walk left over leads ("Oude", "Burgemeester"), particles and
            # first names ("Johan de Wittlaan").
            j = i - 1
            leading = start
            while j >= 0 and i - j <= 4:
                w_start, _, word = words[j]
                wl = word.lower()
                if wl in _STREET_LEADS and word[0].isupper() and wl not in _ARTICLES:
                    leading = w_start
                    j -= 1
                    continue
                if j == i - 1 and word in self.first_names and _is_name_word(word):
                    leading = w_start  # "Gerard Doustraat", "Ferdinand Bolstraat"
                    j -= 1
                    continue
                if wl in _STREET_PARTICLES and j > 0:
                    prev = words[j - 1][2]
                    if prev.lower() in _STREET_LEADS or (
                        _is_name_word(prev) and prev.lower() not in lexicons.NOT_A_NAME
                    ):
                        leading = words[j - 1][0]
                        j -= 2
                        continue
                    break
                if wl in _STREET_LEADS and word[0].isupper():
                    leading = w_start
                    j -= 1
                    continue
                break
            if is_bare_suffix and leading == start:
                return None  # "Gracht 5" alone is not enough
            return self._drop_sentence_article(text, leading, start)
        # "Laan van Meerdervoort 12": a street word, particles, then a capitalised name.
        if _is_name_word(last) and i >= 2:
            j = i - 1
            while j >= 1 and words[j][2].lower() in _STREET_PARTICLES and i - j <= 3:
                j -= 1
            if j < i - 1 and words[j][2].lower() in _PREFIX_STREETS and words[j][2][0].isupper():
                return words[j][0]
        return None

    @staticmethod
    def _drop_sentence_article(text: str, leading: int, street_word: int) -> int:
        """Drop "De"/"Het" that starts a sentence: "De Kerkstraat 5 is..." -> "Kerkstraat 5"."""
        if leading == street_word:
            return leading
        first = text[leading:].split(maxsplit=1)[0]
        if first.lower() in _ARTICLES:
            before = text[:leading].rstrip()
            if not before or before[-1] in ".!?\n:":
                nxt = text.find(" ", leading)
                while nxt < street_word and text[nxt] == " ":
                    nxt += 1
                return nxt
        return leading

    def _valid_postcode(self, raw: str) -> bool:
        try:
            normalize(SpanLabel.POSTCODE, raw)
        except InvalidPersonalData:
            return False
        return True

    def _town_end(self, text: str, end: int, *, has_postcode: bool) -> int:
        """End of the address once a town is added: "..., Bunnik", "... in Zoetermeer"."""
        m = _AFTER_TOWN.match(text, end)
        if not m:
            return end
        town, sep = m.group("town"), m.group("sep").strip()
        words = list(re.finditer(r"[^\s]+", town))
        # The longest run of words that is a known town.
        for k in range(len(words), 0, -1):
            candidate = town[: words[k - 1].end()]
            if fold_text(candidate) in self.towns:
                return m.start("town") + len(candidate)
        first = words[0].group(0) if words else ""
        if not _is_name_word(first) or first.lower() in lexicons.NOT_A_NAME:
            return end
        after = text[m.start("town") + len(first) : m.start("town") + len(first) + 2]
        closes = not after.strip() or after[:1] in ",.;!?)" or not after[:1].isalnum()
        # With a postcode any capitalised word is the town; after a comma or "in" it
        # must close the address ("Dorpsstraat 3, Bunnik. he parks...").
        if has_postcode or (sep in (",", "in", "te") and closes):
            return m.start("town") + len(first)
        return end

    def _english_address(self, text: str, number: re.Match[str]) -> list[PiiSpan]:
        m = _EN_STREET_AFTER.match(text, number.end())
        if m is None:
            return []
        end = self._town_end(text, m.end(), has_postcode=False)
        return self._make(SpanLabel.ADDRESS, text, number.start(), end, "address_en")

    # ---------------------------------------------------------------- persons
    def _persons(self, doc: Doc, text: str) -> list[PiiSpan]:
        triggers: list[tuple[int, int, str]] = [
            (start, end, self._trigger_kinds[match_id])
            for match_id, start, end in self._triggers(doc)
        ]
        if "." in text:
            for m in _INITIALS_IN_TEXT.finditer(text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None:
                    triggers.append((span.start, span.end, "initials"))
        out: list[PiiSpan] = []
        done = 0
        for start, end, kind in sorted(triggers):
            if start < done:
                continue
            name_start, name_end = self._person_at(doc, start, end, kind)
            if name_end > name_start:
                first, last = doc[name_start], doc[name_end - 1]
                out += self._make(
                    SpanLabel.PERSON, text, first.idx, last.idx + len(last.text), "person"
                )
                done = name_end
        return out

    def _person_at(self, doc: Doc, start: int, end: int, kind: str) -> tuple[int, int]:
        """(start, end) token indices of the name a trigger points at; empty if none."""
        n = len(doc)
        if kind in ("title", "relation"):
            low = doc[start].lower_
            if (
                kind == "relation"
                and low in _WEAK_RELATIONS
                and not (start > 0 and doc[start - 1].lower_ in _POSSESSIVES)
            ):
                return 0, 0
            j = end
            if j < n and doc[j].text in (":", ","):
                j += 1
            return j, self._name_end(doc, j, cued=True, lower_ok=kind == "title")
        tok = doc[start]
        if kind == "initials":
            return start, self._name_end(doc, start, cued=False)
        if _is_name_word(tok.text) and tok.text in self.first_names:
            end = self._name_end(doc, start, cued=False)
            if end > start:
                return start, end
            return start, start + 1 if self._standalone_first_name(doc, start) else start
        if tok.is_lower and fold_text(tok.text) in self.first_names_folded:
            return start, self._lower_name_end(doc, start)
        return 0, 0

    @staticmethod
    def _standalone_first_name(doc: Doc, i: int) -> bool:
        """A known first name on its own ("his wife is Lotte", "bel Femke 06-...")."""
        tok = doc[i]
        low = tok.lower_
        if low in lexicons.NOT_A_NAME:
            return False
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is not None and _is_name_word(nxt.text):
            return False  # "Albert Heijn": a capitalised word follows that is no surname
        sentence_start = (
            i == 0 or doc[i - 1].text in (".", "!", "?", ":", "\n") or (doc[i - 1].is_space)
        )
        return not (sentence_start and low in lexicons.COMMON_WORD_NAMES)

    def _is_name_token(self, tok: Token) -> bool:
        t = tok.text
        if not _is_name_word(t) or t.lower() in lexicons.NOT_A_NAME:
            return False
        low = t.lower()
        # A word ending like a street is a street ("Jan Kerkstraat 12" has no surname).
        return not (len(low) > 5 and low.endswith(_NAME_NOT_SUFFIXES))

    def _name_end(self, doc: Doc, j: int, *, cued: bool, lower_ok: bool = False) -> int:
        """End token index of the name starting at ``j`` (``j`` when there is none)."""
        n = len(doc)
        k, end, parts = j, j, 0
        has_initials = False
        while k < n and k - j < 7:
            tok = doc[k]
            if _INITIALS.match(tok.text):
                has_initials = True
                k += 1
                end = k
                parts += 1
            elif self._is_name_token(tok):
                k += 1
                end = k
                parts += 1
            elif tok.lower_ in lexicons.NAME_PARTICLES and k + 1 < n:
                k += 1  # kept only if a name word follows
            elif (
                lower_ok
                and tok.is_lower
                and tok.is_alpha
                and (fold_text(tok.text) in self.name_words_folded)
                and tok.lower_ not in lexicons.NOT_A_NAME
            ):
                # "agent jan de vries": lower case, but every part is a known name.
                k += 1
                end = k
                parts += 1
            else:
                break
        if end == j:
            return j
        last = doc[end - 1]
        if _INITIALS.match(last.text) and not _is_name_word(doc[j].text):
            return j  # initials without a surname ("Stefan K." is fine, "J." alone is not)
        if not cued and parts < 2:
            return j  # a first name alone is too ambiguous without context
        if not cued and has_initials and parts < 2:
            return j
        return end

    def _lower_name_end(self, doc: Doc, i: int) -> int:
        """ "jan de vries" in lower case: known first name + tussenvoegsels + known surname."""
        n = len(doc)
        k = i + 1
        while k < n and doc[k].lower_ in lexicons.NAME_PARTICLES:
            k += 1
        if k < n and k > i and fold_text(doc[k].text) in self.surname_cores and doc[k].is_alpha:
            return k + 1
        return 0

    # ------------------------------------------------------------ serialisation
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write the gazetteer to ``path/gazetteer.json``."""
        directory = ensure_path(path)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "gazetteer.json").write_text(
            json.dumps(self.gazetteer, ensure_ascii=False), encoding="utf-8"
        )

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> PiiRecognizer:
        """Read a gazetteer written by :meth:`to_disk`."""
        self._load(json.loads((ensure_path(path) / "gazetteer.json").read_text(encoding="utf-8")))
        return self


def _organisational(span: PiiSpan, text: str, lower: str) -> bool:
    """Public contact data of the police is not personal data (no span).

    Service numbers (0800, 0900...), official accounts (@politie_utrecht) and the
    address of a police station ("bureau ... zit aan de Kerkstraat 12").
    """
    if span.label is SpanLabel.PHONE:
        return span.meta.get("phone_type") == "service"
    if span.label is SpanLabel.SOCIAL_HANDLE:
        return any(part in span.normalized for part in _OFFICIAL_HANDLE_PARTS)
    if span.label is SpanLabel.ADDRESS:
        before = lower[max(0, span.start - _STATION_WINDOW) : span.start]
        station = _STATION_WORDS.search(before)
        if station is None:
            return False
        return not _PERSON_ADDRESS_CUE.search(before, station.end())
    return False


def _mentions_platform(lower: str) -> bool:
    """Cheap substring test before the platform-handle regex."""
    for word in _PLATFORM_WORDS:
        if word in lower:
            return True
    return lower.startswith(("ig", "sc", "tg", "fb"))


def _with_meta(span: PiiSpan, **meta: str) -> PiiSpan:
    return PiiSpan(
        span.start,
        span.end,
        span.label,
        span.normalized,
        span.text,
        span.source,
        {**span.meta, **meta},
    )


def _resolve(candidates: list[PiiSpan]) -> list[PiiSpan]:
    """Non-overlapping spans: longest first, then the most specific type; names last."""
    ranked = sorted(
        candidates,
        key=lambda c: (c.label is SpanLabel.PERSON, c.start - c.end, _PRIORITY[c.label], c.start),
    )
    chosen: list[PiiSpan] = []
    for cand in ranked:
        if all(cand.end <= c.start or c.end <= cand.start for c in chosen):
            chosen.append(cand)
    return sorted(chosen, key=lambda c: c.start)


@Language.factory(FACTORY_NAME, default_config={"gazetteer": None})
def make_pii_recognizer(
    nlp: Language, name: str, *, gazetteer: dict[str, Any] | None
) -> PiiRecognizer:
    """spaCy factory for :class:`PiiRecognizer`."""
    return PiiRecognizer(nlp, name, gazetteer=gazetteer)

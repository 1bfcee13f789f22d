"""``doxwatch_pii_recognizer_v1``: personal-data spans, validated and normalised.

Precision first: every candidate is validated (python-stdnum checksums, phonenumbers,
the RDW side codes, real calendar dates) and normalised with
:func:`services.personal_data.normalize`; anything that does not normalise is dropped,
and so is obvious placeholder data ("06-12345678", "Sesamstraat 1", "123 Fake Street",
see :func:`services.personal_data.is_placeholder`). Ambiguous shapes need a cue: a
nine-digit number is a BSN only after "BSN", "sofinummer"...; a date is a date of birth
only after "geboren", "DOB", "*"..., right after a name or in a birthday post
("Gefeliciteerd ... 🎂"); a plate without dashes only after "kenteken", "plate"...

Overlapping candidates resolve to the longest; on equal length the more specific
type wins, and a name never beats a validated number ("Johan de Wittlaan 5" is an
address, not a person). A postcode inside an address is part of the ADDRESS span, and
so is the town right after it (", Bunnik", " in Zoetermeer", " te Krommenie").

Addresses are found from the house number leftwards: a street word with a street
suffix, with its leads ("Burgemeester", "Oude", "2e", "Hooglandse"), first names and
particles ("Jan van Galenstraat"); "Laan van X"; a Dutch street after the number
("lives at 27 Beukenlaan"). A street without a street word ("Zuiderhout 7", "Het Want
8") needs evidence: a residence cue before it ("woont op", "lives at", "adres:"), a
postcode after it, a known town after a comma, or a residence cue after it.

Recognition of names uses a gazetteer (``data/gazetteer.json``, written for this
project from common-knowledge name frequencies) plus context: a title, relation or
naming cue ("agent", "rechter", "buurvrouw", "zijn vrouw", "voornaam", "heet")
followed by a name (lower case too: "agent jan de vries"), a known first name followed
by a surname, initials followed by a surname ("J. de Vries"), an unknown capitalised
word before a known surname ("Dewi Hendriks") or a known surname on its own
mid-sentence, with tussenvoegsels ("van der", "van 't") kept inside. Businesses and
places with a name in them ("Rijwielhandel Jansen", "Johan Cruijff ArenA", "boa
Dordrecht") are no persons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Token
from spacy.util import ensure_path

from services.classifier.detector import lexicons
from services.classifier.detector.extensions import (
    DEOBFUSCATIONS,
    PII,
    PiiSpan,
    doc_text,
    register_extensions,
)
from services.events import SpanLabel
from services.personal_data import (
    MONTH_PATTERN,
    InvalidPersonalData,
    fold_text,
    is_placeholder,
    normalize,
    phone_facts,
)

FACTORY_NAME = "doxwatch_pii_recognizer_v1"

# ------------------------------------------------------------------ patterns
# All compiled once at import; the component only runs finditer/match.

# Most posts have few digits or none, and the number patterns are the costly ones: each
# runs only when the post has enough digits for it to find anything (see __call__).
_DIGIT_RUN = re.compile(r"\d+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w\-]+(?:\.[\w\-]+)*\.(?:com|nl|be|org|net|eu|io|me|tv|app)/\S*",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9](?:[\w.+\-%]*[\w\-])?@[A-Za-z0-9](?:[\w\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[\w\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w\-@])"
)
_SPACED_EMAIL = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9][\w.+\-]*\s*@\s*[A-Za-z0-9][\w\-]*(?:\s*\.\s*[A-Za-z0-9][\w\-]*)*?"
    r"\s*\.\s*(?:com|nl|be|net|org|eu|de|uk|io|me|info|nu)(?![\w])",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@])")
_PLATFORM_HANDLE = re.compile(
    r"(?<![\w@])(?P<platform>instagram|insta|ig|tiktok|tik tok|snapchat|snap|sc|twitter"
    r"|telegram|tg|facebook|fb|threads)(?P<sep>\s*[:=\-]\s*|\s+is\s+|\s+)(?P<at>@)?"
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
# What every IBAN has: two letters, then two digits. Written digit first, so that the
# regex engine skips straight from digit to digit instead of trying every position.
_IBAN_HINT = re.compile(r"\d(?<=[A-Za-z]{2}\d)\d")
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
# A birthday post ("Gefeliciteerd ...", "🎂"): a full date anywhere after it is the
# date of birth, however far back the greeting is.
_BIRTHDAY_POST = re.compile(
    r"(?:gefeliciteerd|hieperdepiep|hiep hiep|happy birthday|\bhbd\b|verjaardag|jarig"
    r"|birthday|\bbday\b|op de wereld|🎂|🥳)",
    re.IGNORECASE,
)
# "verjaardag op 11 april", "jarig op 3 mei", "birthday is June 5": no year needed.
_DOB_NO_YEAR = re.compile(
    rf"(?:verjaardag|jarig|birthday|bday|geboren)\s+(?:is\s+)?(?:op|on|is)?\s*"
    rf"(?P<date>\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?(?:{MONTH_PATTERN})"
    rf"|(?:{MONTH_PATTERN})\s+\d{{1,2}}{_ORDINAL})(?![\w]|\s*,?\s*'?\d)",
    re.IGNORECASE,
)
_DOB_CUE_AFTER = re.compile(
    r"\s*[,)]?\s*(?:jarig|geboren|verjaardag|born|birthday)\b", re.IGNORECASE
)
_DOB_MARK = re.compile(r"[*°]\s*$")
_NAME_TO_DATE = re.compile(r"^\s*[,(]?\s*(?:[*°]\s*)?$")

# Addresses: found from the house number leftwards (a street word ending in a street
# suffix), which is much cheaper than one big regex over every position of the text.
_HOUSE_NUMBER = re.compile(r"(?<![\w\-/.,:+€$#@])[1-9]\d{0,4}(?!\d)(?![.,:]\d)")
_HOUSE_SUFFIX = re.compile(
    r"(?:\s?[-/]\s?(?:bis|huis|boven|beneden|[A-Za-z]{1,2}|[IVXivx]{1,4}|\d{1,3})(?![\w])"
    r"|[A-Za-z](?![\w])|\s(?:bis|hs|huis|bg|boven|beneden|zw|[A-Z]|I{1,3}|IV)(?![\w]))"
)
_AFTER_POSTCODE = re.compile(r"\s*,?\s*([1-9]\d{3}(?: ?[A-Z]{2}|[a-z]{2}|\s[a-z]{2}))(?![\w])")
_AFTER_TOWN = re.compile(
    r"(?P<sep>\s*,\s*|\s+(?:in|te)\s+|\s+)"
    r"(?P<town>(?:'s-|'s\s)?[A-Za-z][\w'\-]*"
    r"(?:[ \-](?:aan|op|den|de|der|bij|en|a/d|[A-Z][\w'\-]*)){0,3})"
)
_AFTER_UNIT = re.compile(
    r"\s*(?:km|kilometer|m|meter|min|minuten|minuut|uur|jaar|keer|euro|procent|%|x|man|"
    r"agenten|mensen|personen|kg|cm|mm|graden|seconden|sec|dagen|weken|maanden|punten|"
    r"goals|doelpunten|miles?|months?|weeks?|days?|years?|hours?|minutes?|times|people|"
    r"officers|cops|points|pounds|quid|dollars?|euros?|stuks?|pieces)(?![\w])",
    re.IGNORECASE,
)
# "90 hoog", "12-2 hoog", "3hg": the floor after a house number.
_HOUSE_FLOOR = re.compile(r"\s?(?:hoog|hg)(?![\w])")
# Before a street that has no street word ("woont op Zuiderhout 7", "lives at Bosrand 3",
# "adres: Spui 21"): residence and pick-up cues, then "op/aan/at/on", then an article.
_ADDRESS_CUE_BEFORE = re.compile(
    r"(?:\b(?:woont|wonen|woonde|woonden|woon|wonend|woonachtig|verhuisd|verhuist|lives?"
    r"|living|lived|moved|stays?|staying|resides?|residing)\b[^.!?\n]{0,30}?"
    r"\b(?:op|aan|at|on|in|naar|to)"
    r"|\b(?:adres|address|addy|huisadres|woonadres|thuisadres|postadres)\b"
    r"(?:\s+(?:is|was|=))?(?:\s+(?:gewoon|echt|dus|just))?"
    r"|\b(?:ophalen|afhalen|ophaaladres|pick\s?up|pickup|collection|collect)\b"
    r"(?:\s+(?:op|aan|bij|at|from|in))?"
    r"|\b(?:woont|woon|wonen|lives|live)\s*[:,\-–—]"
    r")\s*[:=\-]?\s*(?:(?:de|het|'t|the)\s+)?$",
    re.IGNORECASE,
)
# "Kerkstraat 5 woont die juut", "Bachlaan 20: hier woont..." (cue after the address).
_ADDRESS_CUE_AFTER = re.compile(
    r"\s*[,:\-]?\s*(?:(?:daar|hier|there)\s+)?(?:woont|wonen|woonde|lives|live|is\s+waar)\b",
    re.IGNORECASE,
)
# "27 Beukenlaan", "12 Van Ostadestraat": a Dutch street written the English way round.
_NL_STREET_AFTER_NUMBER = re.compile(
    r"(?P<suffix>[A-DF-Za-df-z])?\s+(?P<street>(?:[A-Z][\w'\-]*\s+(?:(?:[A-Z][\w'\-]*|van|de"
    r"|der|den)\s+){0,2})?[A-Z][\w'\-]*?(?:straat|laan|weg|gracht|kade|plein|singel|dreef|dijk"
    r"|steeg|schans))"
    r"(?![\w\-])"
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
    "weide", "horst", "donk", "heuvel", "rade", "passage", "schans", "str.", "str",
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
        "pr.",
        "gen.",
        "kon.",
        "ds.",
        "pater",
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

# Types with well-known made-up examples ("06-12345678", "Sesamstraat 1"): no span.
_PLACEHOLDER_TYPES = frozenset(
    [SpanLabel.PHONE, SpanLabel.ADDRESS, SpanLabel.EMAIL, SpanLabel.POSTCODE, SpanLabel.PERSON]
)
_PRIORITY = {
    SpanLabel.IBAN: 0, SpanLabel.EMAIL: 1, SpanLabel.ADDRESS: 2, SpanLabel.PHONE: 3,
    SpanLabel.BSN: 4, SpanLabel.LICENSE_PLATE: 5, SpanLabel.DATE_OF_BIRTH: 6,
    SpanLabel.POSTCODE: 7, SpanLabel.SOCIAL_HANDLE: 8, SpanLabel.PERSON: 9,
}  # fmt: skip
_INITIALS = re.compile(r"^(?:[A-Z]\.){1,4}$|^(?:[A-Z]\.)+[A-Z]$")
# "J. de Vries": up to four initials. The look-behind comes after the first capital (the
# same test, one character later) so that the regex engine only stops at capitals.
_INITIALS_IN_TEXT = re.compile(r"[A-Z](?<![\w.][A-Z])\.(?:[A-Z]\.){0,3}(?=\s)")
# "Gert-Jan", "Anne-Marie": double first names written with a hyphen (look-behind placed
# as above).
_HYPHEN_NAME = re.compile(r"[A-Z](?<![\w\-][A-Z])[^\W\d_]+(?:-[A-Z][^\W\d_]+)+(?![\w\-])")
# What a name with a non-ASCII character has: a non-ASCII letter or "’" ("D’Souza").
# Posts whose only non-ASCII characters are emoji or quotes skip the token loop.
_NON_ASCII_NAME_CHAR = re.compile(r"[^\W\d_\x00-\x7f]|’")
# Adverb and adjective endings: "Eindelijk Jansen gesproken" has no first name.
_NOT_FIRST_NAME_ENDINGS = ("lijk", "baar", "loos", "isch", "heid", "tig", "ste", "ly")
_SENTENCE_END = frozenset([".", "!", "?", ":", "\n", "…", "//", "|", "-", "—", "–"])
# After a cue: "naam is Julia", "voornaam: Jesper", "heet - Sanne".
_NAME_CUE_FILLERS = frozenset([":", ",", "=", "-", "is", "was"])
# Particle runs that only occur inside surnames ("agent van der Plas"); "van" and
# "van de" also mean "of (the)" ("de wijkagent van de Vogelbuurt").
_SURNAME_ONLY_PARTICLES = frozenset(
    ["van der", "van den", "ter", "ten", "van 't", "in 't", "op 't"]
)
_STOPWORDS = lexicons.NL_STOPWORDS | lexicons.EN_STOPWORDS
_PERSON_CUES = (
    lexicons.PERSON_TITLE_CUES | lexicons.PERSON_RELATION_CUES | lexicons.PERSON_NAMING_CUES
)
# Group mentions of chat platforms, no personal account.
_MENTION_WORDS = frozenset(["everyone", "here", "channel", "all", "iedereen", "allemaal"])
# Cue words that start a sentence capitalised ("Ophalen Koekoeksbloem 12"): no street.
_ADDRESS_CUE_WORDS = frozenset(
    ["ophalen", "afhalen", "adres", "address", "woont", "wonen", "lives", "pickup", "bezorgen"]
)
# Capitalised words before a number that are no street: platforms ("woont op Instagram
# 24/7"), post boxes (organisational), events and products.
_NOT_STREET_NAMES = frozenset(
    [
        "instagram", "insta", "tiktok", "snapchat", "snap", "twitter", "facebook", "youtube",
        "whatsapp", "telegram", "discord", "reddit", "linkedin", "netflix", "spotify", "x",
        "postbus", "antwoordnummer", "po", "box", "formule", "formula", "euro", "windows",
        "iphone", "ios", "android", "playstation", "fifa", "covid", "corona", "groep",
        "klas", "bus", "lijn", "tram", "perron", "platform", "gate", "terminal", "kamer",
        "room", "hoofdstuk", "chapter", "artikel", "article", "seizoen", "season", "aflevering",
        "episode", "level", "fase", "stap", "week", "dag", "jaar", "nummer", "number", "nr",
        "top", "pagina", "page", "versie", "version", "model", "type", "serie", "series",
        "team", "ronde", "round", "uur", "minuut",
    ]
)  # fmt: skip
# Towns that are also everyday words: a town after an address only when capitalised.
_WORD_TOWNS = frozenset(
    ["best", "beek", "stein", "horst", "doorn", "sluis", "lier", "essen", "mook", "haren",
     "bergen", "berkel", "epe", "elst", "hulst", "goor", "urk", "leek", "velp", "olst"]
)  # fmt: skip
_NUMBER_WORDS = frozenset(["nr", "no", "nummer", "huisnummer", "number"])
_YEAR = re.compile(r"\s*(?:19|20)\d\d")
_POSTBOX_BEFORE = re.compile(
    r"(?:postbus|antwoordnummer|p\.?o\.? box)\s*\d+\s*,?\s*$", re.IGNORECASE
)


# Folding is called for every candidate word; the same words come back all the time.
_fold = lru_cache(maxsize=1 << 16)(fold_text)


def _default_gazetteer() -> dict[str, Any]:
    text = resources.files("services.classifier.detector").joinpath("data/gazetteer.json")
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


def _after_person_cue(text: str, words: list[tuple[int, int, str]], k: int) -> bool:
    """Whether ``words[k]`` directly follows a title, relation or naming cue: then it is a
    person's name before a street ("buurman Gijs van Kwakelweg 14"), not part of it."""
    return (
        k > 0
        and words[k - 1][2].lower() in _PERSON_CUES
        and not text[words[k - 1][1] : words[k][0]].strip()
    )


def _letters(word: str) -> str:
    """``word`` without hyphens, apostrophes and dots ("Oost-Indië" -> "OostIndië")."""
    return word.replace("-", "").replace("'", "").replace(".", "")


def _is_name_word(text: str) -> bool:
    """Capitalised word made of letters (hyphens and apostrophes allowed)."""
    if len(text) < 2 or not text[0].isupper():
        return False
    head, apostrophe, _ = text.partition("'")
    if apostrophe and len(head) > 1 and head.isupper():
        return False  # "ME'er", "BOA's": an abbreviation with an ending
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
        self.first_names_folded = frozenset(_fold(n) for n in firsts)
        self.surname_cores = frozenset(_fold(n.split()[-1]) for n in surnames)
        self.full_surnames = frozenset(_fold(n) for n in surnames)
        self.towns = frozenset(_fold(t) for t in gazetteer["towns"])
        # Surnames without particles that are no everyday word or place: a name even
        # after an unknown first name or on their own ("Dewi Hendriks", "..., Bosman.").
        self.bare_surnames = frozenset(
            f
            for f in self.full_surnames
            if " " not in f
            and f not in lexicons.COMMON_WORD_SURNAMES
            and f not in _STOPWORDS
            and f not in self.towns
            and f not in self.first_names_folded
        )
        self.name_words_folded = self.first_names_folded | self.surname_cores
        # Name triggers are found by a PhraseMatcher (C speed) instead of a Python
        # loop over every token; the code then only looks around the triggers.
        make = self._nlp.make_doc
        self._triggers = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._triggers.add("title", [make(w) for w in sorted(lexicons.PERSON_TITLE_CUES)])
        self._triggers.add("relation", [make(w) for w in sorted(lexicons.PERSON_RELATION_CUES)])
        self._triggers.add("naming", [make(w) for w in sorted(lexicons.PERSON_NAMING_CUES)])
        lowered = {n.lower() for n in firsts} | set(self.first_names_folded)
        self._triggers.add("first", [make(w) for w in sorted(lowered)])
        self._triggers.add("surname", [make(w) for w in sorted({n.lower() for n in surnames})])
        self._trigger_kinds = {
            self._nlp.vocab.strings[k]: k
            for k in ("title", "relation", "naming", "first", "surname")
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
            if " @" in text or "@ " in text:
                candidates += self._spaced_emails(text)
        if urls:
            candidates += self._profile_handles(text, urls)
        for d in DEOBFUSCATIONS.get(doc) or ():
            if d.kind == "email":
                candidates += self._make(
                    SpanLabel.EMAIL, text, d.start, d.end, "deobfuscated", value=d.value
                )
        if _mentions_platform(lower):
            candidates += self._platform_handles(text)
        persons = self._persons(doc, text)
        candidates += persons
        digit_runs = [len(run) for run in _DIGIT_RUN.findall(text)]
        if digit_runs:
            # Pre-checks: what a pattern needs to find anything. A phone number has at
            # least 8 digits, a BSN 9, a postcode a run of 4, a year a run of 4 and a
            # numeric date three runs.
            digits, longest = sum(digit_runs), max(digit_runs)
            if _IBAN_HINT.search(text):
                candidates += self._ibans(text)
            if digits >= 8:
                candidates += self._phones(text)
            if digits >= 9:
                candidates += self._bsns(text)
            if longest >= 4:
                candidates += self._postcodes(text)
            candidates += self._plates(text, lower)
            if (longest >= 4 or len(digit_runs) >= 3) and _YEAR_HINT.search(text):
                candidates += self._dates(text, persons)
            if "verjaardag" in lower or "jarig" in lower or "birthday" in lower or "bday" in lower:
                candidates += self._dates_without_year(text)
            candidates += self._addresses(text)
        if urls:
            # Digits and words inside a URL are not personal data, except profile handles.
            candidates = [
                c
                for c in candidates
                if c.source == "profile_url" or not any(c.start < e and s < c.end for s, e in urls)
            ]
        PII.set(
            doc,
            [
                c
                for c in _resolve(candidates)
                if not _organisational(c, text, lower)
                and not (c.label in _PLACEHOLDER_TYPES and is_placeholder(c.label, c.normalized))
            ],
        )
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
            low = m.group(1).lower()
            if low in _STOPWORDS or low in _MENTION_WORDS:
                continue  # "@everyone", "@die agent uit het filmpje": no account
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
            # A plain word after the platform name is mostly Dutch or English ("insta
            # vinden", "TikTok zegt", "Instagram videos"); it is a handle only when it
            # opens with a known first name ("insta sannevdberg").
            named = platform in _STRONG_PLATFORMS and self._starts_with_first_name(low)
            if not (handle_like or colon or named):
                continue
            out += self._make(
                SpanLabel.SOCIAL_HANDLE, text, m.start("handle"), m.end("handle"), "platform_cue"
            )
        return out

    def _starts_with_first_name(self, word: str) -> bool:
        """ "sannevdberg", "kevinbakker": a first name of three letters or more, then more.

        Words with the endings of Dutch verbs and English -ing/-ed forms are left out
        ("zoeken" opens with "Zoe").
        """
        folded = _fold(word)
        if len(folded) < 7 or folded.endswith(("en", "ing", "ed")):
            return False
        return any(
            folded[:k] in self.first_names_folded for k in range(3, min(len(folded) - 1, 12))
        )

    def _spaced_emails(self, text: str) -> list[PiiSpan]:
        """ "m.kuipers.1986 @ hotmail . com": an address with spaces around "@" and "."."""
        out: list[PiiSpan] = []
        for m in _SPACED_EMAIL.finditer(text):
            value = re.sub(r"\s+", "", m.group(0))
            out += self._make(SpanLabel.EMAIL, text, m.start(), m.end(), "email", value=value)
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
                number = text[start:end]
                try:
                    # One parse gives both the normalised form and the service check.
                    normalized, service = phone_facts(number)
                except InvalidPersonalData:
                    groups.pop()
                    continue
                meta = {"phone_type": "service"} if service else {}
                out.append(PiiSpan(start, end, SpanLabel.PHONE, normalized, number, "phone", meta))
                break
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
            if _POSTBOX_BEFORE.search(text, max(0, m.start() - 30), m.start()):
                continue  # "Postbus 9001, 3500 GA Utrecht": an organisation's post box
            out += self._make(SpanLabel.POSTCODE, text, m.start(), m.end(), "postcode")
        for m in _POSTCODE_CUED.finditer(text):
            out += self._make(SpanLabel.POSTCODE, text, m.start(1), m.end(1), "postcode_cue")
        return out

    def _plates(self, text: str, lower: str) -> list[PiiSpan]:
        out: list[PiiSpan] = []
        # A dashed plate has two dashes; most posts have none.
        for m in _PLATE_DASHED.finditer(text) if text.count("-") >= 2 else ():
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
        birthday = _BIRTHDAY_POST.search(text)
        for m in _DATE.finditer(text):
            start = m.start()
            before = text[max(0, start - 40) : start]
            cued = bool(_DOB_CUE.search(before)) or bool(_DOB_MARK.search(before))
            # "Gefeliciteerd Joris ... 17-08-1991": a full date in a birthday post.
            cued = cued or (birthday is not None and birthday.start() < start)
            # "ze is op 30-11-1995 jarig", "12-03-1985 geboren"
            cued = cued or bool(_DOB_CUE_AFTER.match(text, m.end()))
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

    def _dates_without_year(self, text: str) -> list[PiiSpan]:
        """ "jarig op 11 april", "birthday is June 5": a birthday needs no year."""
        out: list[PiiSpan] = []
        for m in _DOB_NO_YEAR.finditer(text):
            out += self._make(SpanLabel.DATE_OF_BIRTH, text, m.start("date"), m.end("date"), "dob")
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
        # Cheap test first: a street word, or a name ("Laan van Meerdervoort", "Spui").
        if not (last.endswith(STREET_SUFFIXES) or _letters(last).isalpha()):
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
        if len(words) > 1 and words[-1][2].lower().rstrip(".") in _NUMBER_WORDS:
            words = words[:-1]  # "Kerkstraat nr. 12", "Kerkstraat nummer 12"
        street_word = words[-1][2]
        if not (street_word.lower().endswith(STREET_SUFFIXES) or _is_name_word(street_word)):
            # "om 12 uur", "met 3 agenten": every street (with a street word, "Laan van
            # ...", or found on evidence) ends in a street word or a capitalised name.
            return []
        end = self._house_end(text, number.end())
        if end is None:
            return []  # "snelweg 12 km", "Dorpsstraat 3 keer"
        postcode = _AFTER_POSTCODE.match(text, end)
        if postcode and not self._valid_postcode(postcode.group(1)):
            postcode = None
        street_start = self._street_start(text, words)
        if street_start is None:
            street_start = self._cued_street_start(text, words, end, postcode is not None)
            if street_start is None:
                return []
        if postcode:
            end = postcode.end()
        end, _ = self._town_end(text, end, has_postcode=postcode is not None)
        return self._make(SpanLabel.ADDRESS, text, street_start, end, "address_nl")

    @staticmethod
    def _house_end(text: str, end: int) -> int | None:
        """End of the house number with its suffix and floor; None before a unit ("3 keer")."""
        suffix = _HOUSE_SUFFIX.match(text, end)
        if suffix:
            end = suffix.end()
        elif _AFTER_UNIT.match(text, end):
            return None
        floor = _HOUSE_FLOOR.match(text, end)
        return floor.end() if floor else end

    def _street_start(self, text: str, words: list[tuple[int, int, str]]) -> int | None:
        """Start offset of the street name that ends with ``words[-1]``, or None."""
        start, _, last = words[-1]
        low = last.lower()
        lower_case = not last[0].isupper()
        suffix = (
            next(s for s in STREET_SUFFIXES if low.endswith(s))
            if low.endswith(STREET_SUFFIXES)  # one C-level test before looking for which
            else None
        )
        if suffix is not None and low not in _NOT_STREETS and "@" not in last and "#" not in last:
            is_bare_suffix = len(low) - len(suffix) < 2
            if lower_case and (not low.endswith(_LOWER_SUFFIXES) or len(low) - len(suffix) < 3):
                return None
            if lower_case or not last.replace("-", "").replace("'", "").replace(".", "").isalpha():
                return start if not is_bare_suffix and last.replace(".", "").isalpha() else None
            leading = self._street_leading(text, words)
            if leading == start and (is_bare_suffix or _fold(last) in self.towns):
                return None  # "Gracht 5" alone is not enough; "Rotterdam 6" is a town
            return self._drop_sentence_article(text, leading, start)
        return self._prefix_street_start(text, words)

    def _street_leading(self, text: str, words: list[tuple[int, int, str]]) -> int:
        """Walk left from a capitalised street word over what belongs to its name.

        Leads ("Oude", "Burgemeester", "2e"), an adjective of place ("Hooglandse
        Kerkgracht"), first names ("Gerard Doustraat", "Jan Pieter Heijestraat") and a
        name with particles ("Pieter de Hoochstraat", "Jan van Galenstraat"). Stops at
        punctuation ("Marloes, Kievitlaan 12") and at a surname before particles
        ("M. Jonker van Esdoornlaan 31" is a person and a street).
        """
        i = len(words) - 1
        leading = words[i][0]
        j = i - 1
        first_names = 0  # first names right before the street word ("Jan Pieter Heijestraat")
        names_allowed = True
        while j >= 0 and i - j <= 5:
            w_start, w_end, word = words[j]
            if text[w_end : words[j + 1][0]].strip():
                break  # punctuation between the words
            wl = word.lower()
            capital = word[0].isupper() or word[0].isdigit()
            if wl in _STREET_LEADS and capital and wl not in _ARTICLES:
                leading, j = w_start, j - 1
                continue
            if (
                j == i - 1
                and word[0].isupper()
                and wl.endswith(("se", "sche"))
                and len(wl) > 5
                and word not in self.first_names
                and _is_name_word(word)
            ):
                leading, j = w_start, j - 1  # "Hooglandse Kerkgracht", "Utrechtse Straatweg"
                continue
            if (
                names_allowed
                and j == i - 1 - first_names
                and first_names < 2
                and word in self.first_names
                and _is_name_word(word)
                and not _after_person_cue(text, words, j)
            ):
                leading, j = w_start, j - 1
                first_names += 1
                continue
            if wl in lexicons.NAME_PARTICLES and not word[0].isupper():
                k = j
                while (
                    k >= 0
                    and j - k < 3
                    and words[k][2].lower() in lexicons.NAME_PARTICLES
                    and not words[k][2][0].isupper()
                    and not text[words[k][1] : words[k + 1][0]].strip()
                ):
                    k -= 1
                if k < 0 or text[words[k][1] : words[k + 1][0]].strip():
                    break
                prev = words[k][2]
                pl = prev.lower()
                # A name before the particles belongs to the street ("Pieter de
                # Hoochstraat"), unless it is a known surname ("M. Jonker van
                # Esdoornlaan") or follows a person cue ("buurman Gijs van Kwakelweg").
                if (pl in _STREET_LEADS and prev[0].isupper()) or (
                    _is_name_word(prev)
                    and pl not in lexicons.NOT_A_NAME
                    and pl not in _STOPWORDS
                    and (prev in self.first_names or _fold(prev) not in self.surname_cores)
                    and not _after_person_cue(text, words, k)
                ):
                    leading, j = words[k][0], k - 1
                    names_allowed = False
                    continue
                break
            if wl in _STREET_LEADS and word[0].isupper():
                leading, j = w_start, j - 1  # "De Ruyterkade" (dropped again at sentence start)
                continue
            break
        return leading

    def _prefix_street_start(self, text: str, words: list[tuple[int, int, str]]) -> int | None:
        """A street word, particles and a name: "Laan van Meerdervoort", "Laan der Naties"."""
        i = len(words) - 1
        if i < 2 or not _is_name_word(words[i][2]):
            return None

        def joined(k: int) -> bool:
            return not text[words[k][1] : words[k + 1][0]].strip()

        j = i
        while j > 0 and i - j < 3 and _is_name_word(words[j - 1][2]) and joined(j - 1):
            j -= 1
        particles = 0
        while j > 0 and particles < 3 and words[j - 1][2].lower() in _STREET_PARTICLES:
            if not joined(j - 1):
                return None
            j -= 1
            particles += 1
        if not particles or j == 0 or not joined(j - 1):
            return None
        head = words[j - 1][2]
        if head.lower() in _PREFIX_STREETS and head[0].isupper():
            return words[j - 1][0]
        return None

    def _cued_street_start(
        self, text: str, words: list[tuple[int, int, str]], end: int, has_postcode: bool
    ) -> int | None:
        """A street without a street word ("Zuiderhout 7", "Het Want 8", "Spui 21").

        One to three capitalised words count as a street only with evidence that this
        is an address: a residence cue before it ("woont op", "lives at", "adres:"),
        a postcode after it, a known town after a comma (", Drachten") or a residence
        cue after it ("Bosrand 3 woont die juut"). Never a platform, product or event
        ("woont op Instagram 24/7", "Koningsdag 2025 in Emmen") or a known town.
        """
        i = len(words) - 1
        start: int | None = None
        k = i
        while k >= 0 and i - k < 3:
            w_start, w_end, word = words[k]
            if k < i and text[w_end : words[k + 1][0]].strip():
                break
            low = word.lower()
            after_article = (
                k > 0
                and words[k - 1][2] in ("De", "Het", "'t", "Den")
                and not text[words[k - 1][1] : w_start].strip()
            )
            if (
                not _is_name_word(word)
                or ((low in lexicons.NOT_A_NAME or low in _STOPWORDS) and not after_article)
                or _fold(word) in self.towns
                or low in _ADDRESS_CUE_WORDS
            ):
                break
            start, k = w_start, k - 1
            if after_article:
                break
        if start is None or words[i][2].lower() in _NOT_STREET_NAMES:
            return None
        if (
            k >= 0
            and words[k][2] in ("De", "Het", "'t", "Den")
            and not text[words[k][1] : words[k + 1][0]].strip()
        ):
            start = words[k][0]  # "Het Want 8", "De Dreef 6"
        if _fold(text[start : words[i][1]]) in self.towns:
            return None
        if has_postcode or _ADDRESS_CUE_BEFORE.search(text, max(0, start - 60), start):
            return start
        if _YEAR.fullmatch(text, words[i][1], end):
            return None  # "Koningsdag 2025 in Emmen", "Euro 2024, Duitsland"
        town_end, known = self._town_end(text, end, has_postcode=False)
        comma = text[end:town_end].lstrip().startswith(",")
        if (known and comma) or _ADDRESS_CUE_AFTER.match(text, town_end):
            return start
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

    def _town_end(self, text: str, end: int, *, has_postcode: bool) -> tuple[int, bool]:
        """End of the address once a town is added, and whether that town is a known one.

        ", Bunnik", " in Zoetermeer", " te Krommenie", " Oss" (known towns only).
        """
        m = _AFTER_TOWN.match(text, end)
        if not m:
            return end, False
        town, sep = m.group("town"), m.group("sep").strip().lower()
        words = list(re.finditer(r"[^\s]+", town))
        # The longest run of words that is a known town.
        for k in range(len(words), 0, -1):
            candidate = town[: words[k - 1].end()]
            folded = _fold(candidate)
            if folded in self.towns:
                capital = candidate.removeprefix("'s-").removeprefix("'s ")[:1].isupper()
                if not capital and (folded in _STOPWORDS or folded in _WORD_TOWNS):
                    break  # "Kerkstraat 5 best wel": no town in lower case that is a word
                return m.start("town") + len(candidate), True
        first = words[0].group(0).rstrip("'") if words else ""
        if (
            not _is_name_word(first)
            or first.lower() in lexicons.NOT_A_NAME
            or first.lower() in _STOPWORDS
        ):
            return end, False
        after = text[m.start("town") + len(first) : m.start("town") + len(first) + 2]
        closes = not after.strip() or after[:1] in ",.;!?)" or not after[:1].isalnum()
        # With a postcode any capitalised word is the town, and so after "in"/"te"; after
        # a comma it must close the address ("Dorpsstraat 3, Bunnik. he parks...").
        if has_postcode or sep in ("in", "te") or (sep == "," and closes):
            return m.start("town") + len(first), False
        return end, False

    def _english_address(self, text: str, number: re.Match[str]) -> list[PiiSpan]:
        m = _EN_STREET_AFTER.match(text, number.end())
        source = "address_en"
        if m is None:
            # "lives at 27 Beukenlaan": a Dutch street after the number.
            m = _NL_STREET_AFTER_NUMBER.match(text, number.end())
            if m is None or _fold(m["street"]) in self.towns:
                return []
            source = "address_nl_en"
        end, _ = self._town_end(text, m.end(), has_postcode=False)
        return self._make(SpanLabel.ADDRESS, text, number.start(), end, source)

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
        if not text.isascii() and _NON_ASCII_NAME_CHAR.search(text):
            # "Chloë", "Noël": the PhraseMatcher matches the spelling, not the folded form.
            for tok in doc:
                if (
                    not tok.is_ascii
                    and _is_name_word(tok.text)
                    and tok.text not in self.first_names
                    and _fold(tok.text) in self.first_names_folded
                ):
                    triggers.append((tok.i, tok.i + 1, "first"))
        if "-" in text:
            for m in _HYPHEN_NAME.finditer(text):
                if self._is_first_name(m.group(0)):
                    span = doc.char_span(m.start(), m.end())
                    if span is not None:
                        triggers.append((span.start, span.end, "first"))
        out: list[PiiSpan] = []
        done = 0
        for start, end, kind in sorted(triggers):
            if start < done:
                continue
            name_start, name_end = self._person_at(doc, start, end, kind)
            if name_end <= name_start or name_start < done:
                continue
            done = name_end
            if self._is_place_name(doc, name_start, name_end):
                continue
            first, last = doc[name_start], doc[name_end - 1]
            out += self._make(
                SpanLabel.PERSON, text, first.idx, last.idx + len(last.text), "person"
            )
        return out

    def _is_first_name(self, text: str) -> bool:
        """A known first name, or a double one with a hyphen ("Gert-Jan", "Anne-Marie")."""
        if text in self.first_names:
            return True
        if not text.isascii() and _fold(text) in self.first_names_folded:
            return True  # "Chloë"
        parts = text.split("-")
        return len(parts) > 1 and all(p in self.first_names for p in parts)

    def _is_place_name(self, doc: Doc, start: int, end: int) -> bool:
        """ "Johan Cruijff ArenA", "Anne Frank Huis", "boa Dordrecht": a place, not a person."""
        if end < len(doc) and not doc[end].is_lower:
            after = doc[end].lower_
            if after in lexicons.NAME_INSTITUTION_WORDS or (
                len(after) > 5 and after.endswith(lexicons.BUSINESS_WORD_ENDINGS)
            ):
                return True  # "Johan Cruijff ArenA", "Sanne Wielstra Fotografie"
        if end - start == 1:
            name = _fold(doc[start].text)
            return name in self.towns and name not in self.surname_cores
        for t in doc[start + 1 : end]:
            low = t.lower_
            if low in lexicons.NAME_INSTITUTION_WORDS or (
                len(low) > 5 and low.endswith(lexicons.BUSINESS_WORD_ENDINGS)
            ):
                return True
        name = _fold(doc[start:end].text)
        return name in self.towns and name.split()[-1] not in self.surname_cores

    def _person_at(self, doc: Doc, start: int, end: int, kind: str) -> tuple[int, int]:
        """(start, end) token indices of the name a trigger points at; empty if none."""
        n = len(doc)
        if kind in ("title", "relation", "naming"):
            low = doc[start].lower_
            if (
                kind == "relation"
                and low in lexicons.WEAK_RELATION_CUES
                and not (start > 0 and doc[start - 1].lower_ in _POSSESSIVES)
            ):
                return 0, 0
            j = end
            while j < n and j - end < 2 and doc[j].lower_ in _NAME_CUE_FILLERS:
                if doc[j].is_alpha and kind != "naming":
                    break  # "is" only after "naam", "heet"...
                j += 1
            while j < n and j - end < 3 and doc[j].lower_ in lexicons.PERSON_TITLE_CUES:
                j += 1  # "Detective Inspector Jane Walsh", "hoofdagent brigadier Kok"
            j = self._skip_particles(doc, j)
            if j < 0:
                return 0, 0
            return j, self._name_end(doc, j, cued=True, lower_ok=kind in ("title", "naming"))
        tok = doc[start]
        if kind == "initials":
            return start, self._name_end(doc, start, cued=False)
        if kind == "surname":
            return self._surname_at(doc, start, end)
        if _is_name_word(tok.text) and self._is_first_name(tok.text):
            end = self._name_end(doc, start, cued=False)
            if end > start:
                return start, end
            return start, start + 1 if self._standalone_first_name(doc, start) else start
        if tok.is_lower and _fold(tok.text) in self.first_names_folded:
            return start, self._lower_name_end(doc, start)
        return 0, 0

    def _skip_particles(self, doc: Doc, j: int) -> int:
        """Where the name after a cue starts, or -1 when particles lead to no name.

        "de moeder van Noor" -> "Noor"; "agent van Dijk" and "agent van der Plas" keep
        their particles; "de wijkagent van de Vogelbuurt" and "van Oosterpark" are places.
        """
        n = len(doc)
        k = j
        while k < n and k - j < 3 and doc[k].is_lower and doc[k].lower_ in lexicons.NAME_PARTICLES:
            k += 1
        if k == j:
            return j
        if k >= n or not _is_name_word(doc[k].text):
            return -1
        if self._is_first_name(doc[k].text) and _fold(doc[k].text) not in self.surname_cores:
            return k
        chain = " ".join(t.lower_ for t in doc[j:k])
        if chain in _SURNAME_ONLY_PARTICLES or _fold(doc[j : k + 1].text) in self.full_surnames:
            return j
        if _fold(doc[k].text) in self.bare_surnames:
            return k  # "de zoon van Bosman"
        return -1

    def _surname_at(self, doc: Doc, start: int, end: int) -> tuple[int, int]:
        """A known surname with an unknown first name before it ("Dewi Hendriks"), or alone
        mid-sentence ("while he can, Bosman.")."""
        last = doc[end - 1]
        if not _is_name_word(last.text):
            return 0, 0
        core = _fold(last.text)
        if core in lexicons.COMMON_WORD_SURNAMES or core in _STOPWORDS or core in self.towns:
            return 0, 0
        greeting = False  # "Beste Jansen", "Eindelijk Jansen gesproken"
        if start > 0 and not doc[start].is_lower:
            prev = doc[start - 1]
            pl = prev.lower_
            if _is_name_word(prev.text):
                greeting = (
                    pl in lexicons.NOT_A_NAME
                    or pl in lexicons.NOT_A_FIRST_NAME
                    or pl in _STOPWORDS
                    or pl.endswith(_NOT_FIRST_NAME_ENDINGS)
                )
                if greeting:
                    greeting = start == 1 or doc[start - 2].text in _SENTENCE_END
                elif (
                    pl not in lexicons.PERSON_TITLE_CUES
                    and pl not in lexicons.PERSON_RELATION_CUES
                    and _fold(prev.text) not in self.towns
                    and not (len(pl) > 5 and pl.endswith(_NAME_NOT_SUFFIXES))
                    and not pl.endswith(lexicons.BUSINESS_WORD_ENDINGS)
                ):
                    return start - 1, self._name_end(doc, start - 1, cued=False)
        # On its own: mid-sentence, between words that are no names.
        if end - start != 1 or core not in self.bare_surnames:
            return 0, 0
        if start == 0 or doc[start - 1].text in _SENTENCE_END or doc[start - 1].is_space:
            return 0, 0
        before = doc[start - 1]
        if (
            _is_name_word(before.text) and not greeting
        ) or before.lower_ in lexicons.NAME_PARTICLES:
            return 0, 0
        if before.text.isupper() or before.lower_.endswith(lexicons.BUSINESS_WORD_ENDINGS):
            return 0, 0  # "VV Hoogland", "rijschool Visser": a club or a business
        if before.lower_ in ("the", "a", "an", "het", "een"):
            return 0, 0
        if end < len(doc) and (_is_name_word(doc[end].text) or doc[end].text in ("&", "+")):
            return 0, 0
        return start, end

    def _standalone_first_name(self, doc: Doc, i: int) -> bool:
        """A known first name on its own ("his wife is Lotte", "bel Femke 06-...")."""
        tok = doc[i]
        low = tok.lower_
        if low in lexicons.NOT_A_NAME:
            return False
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        if nxt is not None and _is_name_word(nxt.text):
            return False  # "Albert Heijn": a capitalised word follows that is no surname
        sentence_start = i == 0 or doc[i - 1].text in _SENTENCE_END or doc[i - 1].is_space
        return not (sentence_start and low in lexicons.COMMON_WORD_NAMES)

    def _is_name_token(self, tok: Token) -> bool:
        t = tok.text
        if not _is_name_word(t) or t.lower() in lexicons.NOT_A_NAME:
            return False
        low = t.lower()
        # A word ending like a street is a street ("Jan Kerkstraat 12" has no surname).
        return not (len(low) > 5 and low.endswith(_NAME_NOT_SUFFIXES))

    def _lower_name_word(self, tok: Token) -> bool:
        """ "agent jan de vries": a lower-case word that is a known name and no common word."""
        folded = _fold(tok.text)
        return (
            tok.is_alpha
            and len(folded) > 2
            and folded in self.name_words_folded
            and folded not in lexicons.NOT_A_NAME
            and folded not in _STOPWORDS
            and folded not in lexicons.COMMON_WORD_NAMES
            and folded not in lexicons.COMMON_WORD_SURNAMES
        )

    def _name_end(self, doc: Doc, j: int, *, cued: bool, lower_ok: bool = False) -> int:
        """End token index of the name starting at ``j`` (``j`` when there is none)."""
        n = len(doc)
        k, end, parts = j, j, 0
        has_initials = False
        has_surname = False  # a part that is no first name: the name may end here
        lower_parts: list[Token] = []
        while k < n and k - j < 7:
            tok = doc[k]
            if _INITIALS.match(tok.text):
                has_initials = True
                k += 1
                end = k
                parts += 1
            elif self._is_name_token(tok):
                first = self._is_first_name(tok.text)
                if (
                    has_surname
                    and first
                    and _fold(tok.text) not in self.surname_cores
                    and not (parts and doc[k - 1].lower_ in lexicons.NAME_PARTICLES)
                ):
                    break  # "agent Mo Bouzid Sara heet...": a second person starts
                folded = _fold(tok.text)
                if (
                    has_surname
                    and not first
                    and folded in self.towns
                    and folded not in self.surname_cores
                ):
                    break  # "Chantal Groen Dordrecht"
                has_surname = has_surname or not first or parts > 0
                k += 1
                end = k
                parts += 1
            elif tok.lower_ in lexicons.NAME_PARTICLES and k + 1 < n:
                k += 1  # kept only if a name word follows
            elif (
                lower_ok
                and tok.is_lower
                and tok.is_alpha
                and (
                    self._lower_name_word(tok)
                    # "sanne de boer": after a particle the whole surname is known
                    or (
                        lower_parts
                        and doc[k - 1].lower_ in lexicons.NAME_PARTICLES
                        and _fold(doc[k - 1].text + " " + tok.text) in self.full_surnames
                    )
                )
            ):
                # "agent jan de vries": lower case, but every part is a known name.
                lower_parts.append(tok)
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
        # Only lower-case words: the name must open with a known first name.
        if (
            lower_parts
            and len(lower_parts) == parts
            and _fold(lower_parts[0].text) not in self.first_names_folded
        ):
            return j
        return end

    def _lower_name_end(self, doc: Doc, i: int) -> int:
        """ "jan de vries" in lower case: known first name + tussenvoegsels + known surname."""
        n = len(doc)
        k = i + 1
        while k < n and doc[k].lower_ in lexicons.NAME_PARTICLES:
            k += 1
        if k >= n or not doc[k].is_alpha:
            return 0
        if k == i + 1:  # no particles: "wout laat" is no "Wout de Laat"
            return k + 1 if _fold(doc[k].text) in self.bare_surnames else 0
        return k + 1 if _fold(doc[i + 1 : k + 1].text) in self.full_surnames else 0

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
        # "@politie_utrecht", "@wijkagenten_politiezuid" are official; "@sandra.k.politie"
        # (a name with dots) is somebody's own account.
        handle = span.normalized
        if handle.startswith(_OFFICIAL_HANDLE_PARTS):
            return True
        return "." not in handle and any(part in handle for part in _OFFICIAL_HANDLE_PARTS)
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

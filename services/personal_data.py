"""Personal-data types, their validation, normalisation, match keys and masking.

This is shared kernel code: the detector writes :func:`normalize` output into every
span's ``normalized`` field and the officer registry stores keyed hashes of the very
same strings, so a leak is matched only if both sides normalise identically. Nothing
here imports a service, and nothing here does I/O.

Canonical forms (see :func:`normalize`):

=================  ===========================================================
PHONE              E.164 (``+31612345678``), default region NL, then BE
POSTCODE           ``1234AB`` (no leading zero; SA, SD and SS are never issued)
LICENSE_PLATE      upper case without separators (``GH123K``), RDW side codes 1-14
IBAN               compact upper case, mod-97 checked
BSN                nine digits, 11-proef checked
EMAIL              lower case, de-obfuscated (``[at]``, ``(punt)``, ``dot`` ...)
SOCIAL_HANDLE      lower case, without the leading ``@``
DATE_OF_BIRTH      ISO ``YYYY-MM-DD``; a birthday without a year ``--MM-DD``
PERSON             case-folded, accents stripped, whitespace collapsed
ADDRESS            ``street number[suffix] [postcode] [town]``, lower case
=================  ===========================================================
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import iban as _iban
from stdnum.exceptions import ValidationError as _StdnumError
from stdnum.nl import bsn as _bsn
from stdnum.nl import postcode as _postcode

from services.events import SpanLabel

__all__ = [
    "Address",
    "InvalidPersonalData",
    "LicensePlate",
    "address_keys",
    "deobfuscate_email",
    "fold_text",
    "is_placeholder",
    "is_service_phone",
    "mask",
    "normalize",
    "parse_address",
    "parse_date",
    "parse_license_plate",
    "parse_phone",
    "phone_facts",
]


class InvalidPersonalData(ValueError):
    """A value is not a valid instance of the personal-data type it was given as."""


# --------------------------------------------------------------------------- text


# Letters that NFKD does not decompose but that people type without the accent.
_FOLD_EXTRA = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"}
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_SPACES = re.compile(r"\s+")


def fold_text(value: str) -> str:
    """Case-fold, strip accents and unify apostrophes (no other change)."""
    if value.isascii():
        # Most text: nothing to decompose or strip, and ASCII case-folds as lower() does.
        return value.translate(_APOSTROPHES).lower()
    decomposed = unicodedata.normalize("NFKD", value.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_FOLD_EXTRA)


def _collapse(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


# -------------------------------------------------------------------------- phone

# Tried in this order for numbers written without a country code: a Dutch service
# sees mostly Dutch numbers, then Belgian ones ("0470 12 34 56" is not a Dutch number).
_PHONE_REGIONS = ("NL", "BE")
_PHONE_CHARS = re.compile(r"^[\d\s()+./\-]+$")
_SERVICE_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.SHARED_COST,
        phonenumbers.PhoneNumberType.UAN,
        phonenumbers.PhoneNumberType.VOICEMAIL,
    }
)


def parse_phone(value: str) -> phonenumbers.PhoneNumber:
    """Parse a phone number written in any common style; raise InvalidPersonalData."""
    raw = value.strip()
    if not raw or not _PHONE_CHARS.match(raw):
        raise InvalidPersonalData(f"not a phone number: {value!r}")
    digits = sum(ch.isdigit() for ch in raw)
    if digits < 8 or digits > 15:
        raise InvalidPersonalData(f"phone number has {digits} digits: {value!r}")
    international = raw.startswith(("+", "00"))
    possible: phonenumbers.PhoneNumber | None = None
    for region in _PHONE_REGIONS:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
        if possible is None and _plausible(number, international):
            possible = number
        if international:
            # The country code is written out; other regions cannot change the answer.
            break
    if possible is not None:
        return possible
    raise InvalidPersonalData(f"not a valid NL/BE/international phone number: {value!r}")


def _plausible(number: phonenumbers.PhoneNumber, international: bool) -> bool:
    """Not in a range the numbering plan has allocated yet, but shaped like a real number.

    Number plans change faster than the metadata, and posters write numbers in ranges
    that are not (yet) allocated: a Dutch mobile (06 + 8 digits) or a number written
    with its country code and the right length is still treated as a phone number.
    """
    if not phonenumbers.is_possible_number(number):
        return False
    national = str(number.national_number)
    dutch_mobile = number.country_code == 31 and len(national) == 9 and national[0] == "6"
    return dutch_mobile or international


def is_service_phone(value: str) -> bool:
    """True for public service numbers (0800, 0900, 0906...): not personal data."""
    try:
        number = parse_phone(value)
    except InvalidPersonalData:
        return False
    return phonenumbers.number_type(number) in _SERVICE_TYPES


def _normalize_phone(value: str) -> str:
    return phonenumbers.format_number(parse_phone(value), phonenumbers.PhoneNumberFormat.E164)


def phone_facts(value: str) -> tuple[str, bool]:
    """``(normalize(PHONE, value), is_service_phone(value))`` from a single parse.

    Parsing and validating a number is the costly part of both; the recogniser needs
    both answers for every phone number it finds. Raises InvalidPersonalData.
    """
    number = parse_phone(value)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.number_type(number) in _SERVICE_TYPES


# ----------------------------------------------------------------------- postcode


def _normalize_postcode(value: str) -> str:
    try:
        return str(_postcode.compact(_postcode.validate(value.strip())))
    except _StdnumError as exc:
        raise InvalidPersonalData(
            f"not a Dutch postcode (four digits, no leading zero, two letters, "
            f"not SA/SD/SS): {value!r}"
        ) from exc


# ------------------------------------------------------------------ licence plate

# Side codes as published by the RDW: "L" a letter, "D" a digit. Every shape is unique,
# so a plate written without dashes still has exactly one possible side code.
_SIDECODES: dict[int, tuple[str, str, str]] = {
    1: ("LL", "DD", "DD"),
    2: ("DD", "DD", "LL"),
    3: ("DD", "LL", "DD"),
    4: ("LL", "DD", "LL"),
    5: ("LL", "LL", "DD"),
    6: ("DD", "LL", "LL"),
    7: ("DD", "LLL", "D"),
    8: ("D", "LLL", "DD"),
    9: ("LL", "DDD", "L"),
    10: ("L", "DDD", "LL"),
    11: ("LLL", "DD", "L"),
    12: ("L", "DD", "LLL"),
    13: ("D", "LL", "DDD"),
    14: ("DDD", "LL", "D"),
}
_SHAPE_TO_SIDECODE = {"".join(groups): code for code, groups in _SIDECODES.items()}
# Since side code 4 (1978) the RDW issues no vowels, and never C or Q (they read as G
# and O) nor Y. For the three pre-1978 side codes the exact series are not documented
# well enough to be strict, so only C and Q are refused there.
_MODERN_LETTERS = frozenset("BDFGHJKLMNPRSTVWXZ")
_OLD_LETTERS = frozenset("ABDEFGHIJKLMNOPRSTUVWXYZ")
# Combinations the RDW does not issue (political parties, offensive abbreviations).
_FORBIDDEN_LETTER_RUNS = (
    "SS", "SD", "SA", "GVD", "KKK", "KVT", "LPF", "NSB", "PKK", "PSV", "TBS", "PVV",
    "SGP", "VVD",
)  # fmt: skip
_PLATE_SEPARATORS = re.compile(r"[\s\-.]+")


@dataclass(frozen=True)
class LicensePlate:
    """A Dutch licence plate: its compact form and RDW side code."""

    compact: str
    sidecode: int

    def formatted(self) -> str:
        """The plate as printed on the plate, e.g. ``GH-123-K``."""
        groups = _SIDECODES[self.sidecode]
        parts, pos = [], 0
        for group in groups:
            parts.append(self.compact[pos : pos + len(group)])
            pos += len(group)
        return "-".join(parts)


def _shape(text: str) -> str:
    return "".join("D" if ch.isdigit() else "L" for ch in text)


def parse_license_plate(value: str) -> LicensePlate:
    """Parse a Dutch licence plate against the RDW side codes 1-14."""
    raw = value.strip().upper()
    groups = [g for g in _PLATE_SEPARATORS.split(raw) if g]
    compact = "".join(groups)
    if len(compact) != 6 or not compact.isascii() or not compact.isalnum():
        raise InvalidPersonalData(f"a Dutch plate has six letters and digits: {value!r}")
    sidecode = _SHAPE_TO_SIDECODE.get(_shape(compact))
    if sidecode is None:
        raise InvalidPersonalData(f"no RDW side code has this shape: {value!r}")
    expected = _SIDECODES[sidecode]
    if len(groups) > 1 and tuple(_shape(g) for g in groups) != expected:
        raise InvalidPersonalData(
            f"dashes of {value!r} do not match side code {sidecode} ({'-'.join(expected)})"
        )
    allowed = _MODERN_LETTERS if sidecode >= 4 else _OLD_LETTERS
    letters = [ch for ch in compact if ch.isalpha()]
    bad = sorted({ch for ch in letters if ch not in allowed})
    if bad:
        raise InvalidPersonalData(
            f"letter(s) {''.join(bad)} are not issued in side code {sidecode}: {value!r}"
        )
    formatted = LicensePlate(compact, sidecode).formatted()
    for run in (g for g in formatted.split("-") if g.isalpha()):
        for forbidden in _FORBIDDEN_LETTER_RUNS:
            if forbidden in run:
                raise InvalidPersonalData(f"combination {forbidden} is never issued: {value!r}")
    return LicensePlate(compact, sidecode)


def _normalize_plate(value: str) -> str:
    return parse_license_plate(value).compact


# --------------------------------------------------------------------- IBAN / BSN


def _normalize_iban(value: str) -> str:
    try:
        return str(_iban.validate(value.strip()))
    except _StdnumError as exc:
        raise InvalidPersonalData(f"not a valid IBAN (format or mod-97): {value!r}") from exc


def _normalize_bsn(value: str) -> str:
    raw = value.strip()
    if sum(ch.isdigit() for ch in raw) != 9:
        # stdnum pads eight-digit numbers; a BSN written in a post always has nine.
        raise InvalidPersonalData(f"a BSN has nine digits: {value!r}")
    try:
        return str(_bsn.validate(raw))
    except _StdnumError as exc:
        raise InvalidPersonalData(f"not a valid BSN (11-proef): {value!r}") from exc


# -------------------------------------------------------------------------- email

_EMAIL_AT = re.compile(
    r"\s*(?:\[\s*(?:at|@|apenstaartje)\s*\]|\(\s*(?:at|@|apenstaartje)\s*\)"
    r"|\{\s*(?:at|@)\s*\}|<\s*(?:at|@)\s*>|\s(?:at|apenstaartje)\s|＠|@)\s*",
    re.IGNORECASE,
)
_EMAIL_DOT = re.compile(
    r"\s*(?:\[\s*(?:dot|punt|\.)\s*\]|\(\s*(?:dot|punt|\.)\s*\)|\{\s*(?:dot|punt)\s*\}"
    r"|<\s*(?:dot|punt)\s*>|\s(?:dot|punt)\s)\s*",
    re.IGNORECASE,
)
_EMAIL_VALID = re.compile(
    r"^[a-z0-9](?:[a-z0-9._%+\-]{0,62}[a-z0-9_\-])?@"
    r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$"
)


def deobfuscate_email(value: str) -> str:
    """Undo common e-mail obfuscation: ``h.boersma [at] kpnmail [punt] nl``."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = _EMAIL_AT.sub("@", text, count=1)
    return _EMAIL_DOT.sub(".", text).strip()


def _normalize_email(value: str) -> str:
    email = deobfuscate_email(value).lower()
    if not _EMAIL_VALID.match(email) or ".." in email:
        raise InvalidPersonalData(f"not an e-mail address: {value!r}")
    return email


# ------------------------------------------------------------------ social handle

_HANDLE_VALID = re.compile(r"^[a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])?$")
_PROFILE_URL = re.compile(
    r"^(?:https?://)?(?:www\.|m\.)?[a-z.]+\.(?:com|net|me)/(?:add/)?@?([^/?#\s]+)",
    re.IGNORECASE,
)


def _normalize_handle(value: str) -> str:
    raw = value.strip()
    url = _PROFILE_URL.match(raw)
    if url:
        raw = url.group(1)
    handle = raw.lstrip("@").lower()
    if not _HANDLE_VALID.match(handle):
        raise InvalidPersonalData(f"not a social-media handle: {value!r}")
    return handle


# ------------------------------------------------------------------ date of birth

MONTHS: dict[str, int] = {
    # Dutch
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "febr": 2, "maart": 3, "mrt": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "augustus": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    # English (abbreviations shared with Dutch are above)
    "january": 1, "february": 2, "march": 3, "mar": 3, "may": 5, "june": 6,
    "july": 7, "august": 8, "october": 10, "oct": 10,
}  # fmt: skip
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|e|ste|de)?"
_DATE_NUMERIC = re.compile(r"^(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_DAY_MONTH = re.compile(
    rf"^(\d{{1,2}}){_ORDINAL}\s*(?:of\s+)?({MONTH_PATTERN})\.?,?\s*('?\d{{4}}|'\d{{2}})$",
    re.IGNORECASE,
)
_DATE_MONTH_DAY = re.compile(
    rf"^({MONTH_PATTERN})\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})$", re.IGNORECASE
)
_EARLIEST_BIRTH_YEAR = 1900


def _year(text: str, today: date) -> int:
    text = text.lstrip("'")
    year = int(text)
    if len(text) == 2:
        # Two-digit years belong to the most recent century that is not in the future.
        year += 2000 if year <= today.year % 100 else 1900
    return year


def _make_date(year: int, month: int, day: int, value: str, today: date) -> date:
    try:
        result = date(year, month, day)
    except ValueError as exc:
        raise InvalidPersonalData(f"no such date: {value!r}") from exc
    if not result.year >= _EARLIEST_BIRTH_YEAR or result > today:
        raise InvalidPersonalData(f"not a plausible date of birth: {value!r}")
    return result


def parse_date(value: str, *, today: date | None = None) -> date:
    """Parse a Dutch or English date (``12-03-1985``, ``12 maart 1985``, ``March 12, 1985``).

    Numeric dates are day-first (Dutch and British usage); only when that is
    impossible (``03/25/1985``) is the American month-first order tried.
    """
    now = today or date.today()
    raw = _collapse(value.strip().rstrip(".,"))
    if m := _DATE_ISO.match(raw):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), value, now)
    if m := _DATE_NUMERIC.match(raw):
        first, second, year = int(m[1]), int(m[3]), _year(m[4], now)
        if second > 12 >= first:
            first, second = second, first
        return _make_date(year, second, first, value, now)
    if m := _DATE_DAY_MONTH.match(raw):
        return _make_date(_year(m[3], now), MONTHS[m[2].lower()], int(m[1]), value, now)
    if m := _DATE_MONTH_DAY.match(raw):
        return _make_date(_year(m[3], now), MONTHS[m[1].lower()], int(m[2]), value, now)
    raise InvalidPersonalData(f"not a recognised date: {value!r}")


_DAY_MONTH_NO_YEAR = re.compile(
    rf"^(?:(\d{{1,2}}){_ORDINAL}\s*(?:of\s+)?({MONTH_PATTERN})|({MONTH_PATTERN})\s+(\d{{1,2}}){_ORDINAL})$",
    re.IGNORECASE,
)


def _normalize_dob(value: str) -> str:
    """ISO ``YYYY-MM-DD``; a birthday without a year ("11 april") is ``--MM-DD`` (ISO 8601)."""
    try:
        return parse_date(value).isoformat()
    except InvalidPersonalData:
        m = _DAY_MONTH_NO_YEAR.match(_collapse(value.strip().rstrip(".,")))
        if m is None:
            raise
    day, month = (m[1], m[2]) if m[1] else (m[4], m[3])
    try:
        found = date(2000, MONTHS[month.lower()], int(day))  # a leap year: 29 February exists
    except ValueError as exc:
        raise InvalidPersonalData(f"no such date: {value!r}") from exc
    return f"--{found.month:02d}-{found.day:02d}"


# ------------------------------------------------------------------------- person

_NAME_PUNCT = re.compile(r"[^\w'\-\s]|_")


def _normalize_person(value: str) -> str:
    folded = _NAME_PUNCT.sub(" ", fold_text(value))
    # Initials and tussenvoegsels stay: "J. van 't Hof" -> "j van 't hof".
    name = _collapse(folded).strip("- ")
    if not any(ch.isalpha() for ch in name):
        raise InvalidPersonalData(f"not a name: {value!r}")
    return name


# ------------------------------------------------------------------------ address

_NL_POSTCODE_IN_TEXT = re.compile(r"(?<![\w])([1-9]\d{3})\s?([A-Za-z]{2})(?![\w])")
# House-number suffixes: a letter ("12a", "12 A"), Roman floor numbers ("12-II"),
# a second number ("12-2", "12/3"), or the usual words ("bis", "hs", "bg").
_SUFFIX_WORDS = "bis|hs|huis|bg|boven|beneden|hoog|hg|zw|rd|ad"
_HOUSE = re.compile(
    r"(?P<num>[1-9]\d{0,4})"
    r"(?P<suffix>"
    rf"(?:\s*[-/]\s*|\s+)?(?:{_SUFFIX_WORDS})(?![a-z])"
    r"|\s*[-/]\s*(?:[a-z]{1,2}|[ivx]{1,4})(?![a-z])"
    r"|(?:[a-z]|[ivx]{2,4}|bis|hs|bg)(?![a-z])"
    r"|\s+(?:[a-z]|[ivx]{2,4})(?![a-z'\-])"
    r"|\s*[-/]\s*\d{1,3}(?:\s?(?:hg|hoog))?(?![\w])"
    r")?"
    r"(?![\w])"
)
_NL_FORM = re.compile(
    rf"^(?P<street>(?:[1-9]\d?e\s+)?[^\d]*?[a-z][^\d]*?)\s+{_HOUSE.pattern}\s*(?P<rest>.*)$"
)
_EN_FORM = re.compile(r"^(?P<num>[1-9]\d{0,4})(?P<suffix>[a-z])?\s+(?P<street>[a-z][^\d]*)$")
# An English address needs its street type ("12 Baker Street"); "1234 ab" is none.
_STREET_ABBREVIATIONS_START = {"burg": "burgemeester", "st": "sint", "pr": "prins"}
_STREET_ABBREVIATIONS_END = {
    "str": "straat", "street": "street", "st": "street", "rd": "road", "ave": "avenue",
    "av": "avenue", "ln": "lane", "dr": "drive", "sq": "square", "pl": "place",
    "blvd": "boulevard", "ct": "court",
}  # fmt: skip
_ENGLISH_STREET_TYPES = frozenset(
    [
        "street",
        "st",
        "road",
        "rd",
        "avenue",
        "ave",
        "av",
        "lane",
        "ln",
        "drive",
        "dr",
        "close",
        "court",
        "ct",
        "way",
        "place",
        "pl",
        "crescent",
        "boulevard",
        "blvd",
        "square",
        "sq",
        "terrace",
        "gardens",
        "grove",
        "row",
        "mews",
    ]
)

# Endings of Dutch street names (a word of its own: "27 Beukenlaan" written the English way).
_DUTCH_STREET_ENDINGS = (
    "straat", "weg", "laan", "plein", "gracht", "kade", "singel", "dijk", "hof", "pad",
    "steeg", "dreef", "markt", "plantsoen", "park", "baan", "ring", "dam", "wal", "veld",
    "haven", "vliet", "allee", "boulevard", "schans", "str",
)  # fmt: skip


@dataclass(frozen=True)
class Address:
    """A parsed address; every part lower case, accents stripped."""

    street: str
    number: str
    suffix: str = ""
    postcode: str = ""
    town: str = ""

    @property
    def house(self) -> str:
        """House number with its suffix (``12a``, ``12ii``, ``12-2``)."""
        if not self.suffix:
            return self.number
        return (
            f"{self.number}-{self.suffix}"
            if self.suffix[0].isdigit()
            else (f"{self.number}{self.suffix}")
        )

    def canonical(self) -> str:
        """``street number[suffix] [postcode] [town]``."""
        return " ".join(p for p in (self.street, self.house, self.postcode, self.town) if p)

    def keys(self) -> list[str]:
        """Match keys, strongest first (see :func:`address_keys`)."""
        # Leading articles are dropped: "De Ruyterkade" is often written "Ruyterkade".
        words = self.street.split()
        while len(words) > 1 and words[0] in ("de", "het", "'t", "den"):
            words = words[1:]
        street = re.sub(r"[\s'\-.]", "", " ".join(words))
        keys = []
        if self.postcode:
            keys += [
                f"{self.postcode.lower()} {self.house}",
                f"{self.postcode.lower()} {self.number}",
            ]
        keys += [f"{street} {self.house}", f"{street} {self.number}"]
        return list(dict.fromkeys(keys))


def _clean_suffix(raw: str) -> str:
    return re.sub(r"[\s\-/]", "", raw).replace("hoog", "hg")


def _canonical_street(words: list[str]) -> str:
    words = [w.strip(".") for w in words if w.strip(".")]
    if len(words) > 1 and words[-1] in ("nr", "no", "nummer", "huisnummer", "number"):
        words = words[:-1]  # "Kerkstraat nr. 12" is "Kerkstraat 12"
    if not words:
        return ""
    if len(words) > 1 and words[0] in _STREET_ABBREVIATIONS_START:
        words[0] = _STREET_ABBREVIATIONS_START[words[0]]
    last = words[-1]
    if last in _STREET_ABBREVIATIONS_END and (len(words) > 1 or last == "str"):
        words[-1] = _STREET_ABBREVIATIONS_END[last]
    elif last.endswith("str") and len(last) > 4:
        words[-1] = last + "aat"  # "Kerkstr." is the usual abbreviation of "Kerkstraat"
    return " ".join(words)


def parse_address(value: str) -> Address:
    """Parse a Dutch (``Kerkstraat 12a, 1234 AB Utrecht``) or English (``12 Baker St``) address."""
    # Find the postcode before case-folding (which may change lengths: "ß" -> "ss").
    # Only a postcode after the house number, or opening the address, counts: "Plein
    # 1944 3" has none.
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch)
    )
    postcode = ""
    for pc in _NL_POSTCODE_IN_TEXT.finditer(text):
        letters = pc[2].upper()
        after_number = any(ch.isdigit() for ch in text[: pc.start()])
        leading = not text[: pc.start()].strip()  # "1234 AB Utrecht, Kerkstraat 12"
        if letters not in ("SA", "SD", "SS") and (after_number or leading):
            postcode = f"{pc[1]}{letters}"
            after = text[pc.end() :]
            text = f"{text[: pc.start()]} , {after}" if after.strip(" ,") else text[: pc.start()]
            break
    text = fold_text(text)
    text = _collapse(re.sub(r"[,;]", " , ", text)).strip(" ,")
    if m := _NL_FORM.match(text):
        street_words = m["street"].replace(",", " ").split()
        rest = m["rest"]
        number, suffix = m["num"], _clean_suffix(m["suffix"] or "")
    elif m := _EN_FORM.match(text.split(" , ")[0]):
        street_words = m["street"].split()
        # "12 baker street london": the street ends at its type word.
        ends = [i for i, w in enumerate(street_words) if w.strip(".") in _ENGLISH_STREET_TYPES]
        if not ends or ends[0] == 0:
            # "27 Beukenlaan, Utrecht": a Dutch street written the English way round.
            ends = [i for i, w in enumerate(street_words) if w.endswith(_DUTCH_STREET_ENDINGS)]
        if not ends or (ends[0] == 0 and not street_words[0].endswith(_DUTCH_STREET_ENDINGS)):
            raise InvalidPersonalData(f"not an address (street and house number): {value!r}")
        cut = ends[0] + 1
        rest = " ".join(street_words[cut:]) + text[len(m.group(0)) :]
        street_words = street_words[:cut]
        number, suffix = m["num"], m["suffix"] or ""
    else:
        raise InvalidPersonalData(f"not an address (street and house number): {value!r}")
    street = _canonical_street(street_words)
    if not any(ch.isalpha() for ch in street):
        raise InvalidPersonalData(f"address without a street name: {value!r}")
    town = _collapse(re.sub(r"[^\w'\- ]", " ", rest))
    town = re.sub(r"^(?:in|te) ", "", town)  # "Meidoornstraat 18 in Zoetermeer"
    if any(ch.isdigit() for ch in town):
        raise InvalidPersonalData(f"unexpected numbers after the house number: {value!r}")
    return Address(street, number, suffix, postcode.lower(), town)


def _normalize_address(value: str) -> str:
    return parse_address(value).canonical()


def address_keys(value: str) -> list[str]:
    """Keys under which a registry stores (and a leak looks up) one address.

    ``Kerkstraat 12a, 1234 AB Utrecht`` gives ``["1234ab 12a", "1234ab 12",
    "kerkstraat 12a", "kerkstraat 12"]``: postcode plus house number identifies a
    Dutch address on its own, and the street key still matches a leak without the
    postcode. Street names are compared without spaces and punctuation ("Oude
    Gracht" = "Oudegracht"); the number-only keys deliberately also match other
    suffixes in the same building, which an analyst then reviews. A leading article
    is dropped from the street key ("De Ruyterkade" = "Ruyterkade").
    """
    return parse_address(value).keys()


# ---------------------------------------------------------------------- dispatch

_NORMALIZERS: dict[SpanLabel, Callable[[str], str]] = {
    SpanLabel.PHONE: _normalize_phone,
    SpanLabel.POSTCODE: _normalize_postcode,
    SpanLabel.LICENSE_PLATE: _normalize_plate,
    SpanLabel.IBAN: _normalize_iban,
    SpanLabel.BSN: _normalize_bsn,
    SpanLabel.EMAIL: _normalize_email,
    SpanLabel.SOCIAL_HANDLE: _normalize_handle,
    SpanLabel.DATE_OF_BIRTH: _normalize_dob,
    SpanLabel.PERSON: _normalize_person,
    SpanLabel.ADDRESS: _normalize_address,
}


def _label(label: SpanLabel | str) -> SpanLabel:
    try:
        return SpanLabel(label)
    except ValueError:
        raise InvalidPersonalData(f"unknown personal-data type {label!r}") from None


def normalize(label: SpanLabel | str, value: str) -> str:
    """The canonical form of ``value`` as personal data of type ``label``.

    Raises :class:`InvalidPersonalData` (a ``ValueError``) saying why when the value
    is not valid for the type (bad checksum, impossible plate, no such date...).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidPersonalData(f"empty {label} value")
    return _NORMALIZERS[_label(label)](value)


# ------------------------------------------------------------------- placeholders

# Data everybody recognises as made up: the examples of forms and jokes. Matched on
# the normalised value, so "06-12345678" and "+31 6 1234 5678" are the same.
_PLACEHOLDER_STREETS = frozenset(
    [
        "sesamstraat", "nepstraat", "teststraat", "voorbeeldstraat", "voorbeeldlaan",
        "voorbeeldweg", "fakestraat", "neplaan", "nepweg", "straatnaam", "nergensstraat",
        "fake street", "example street", "test street", "fake road", "fake lane",
        "nowhere street", "evergreen terrace", "privet drive",
    ]
)  # fmt: skip
_PLACEHOLDER_TOWNS = frozenset(
    ["nergenshuizen", "ergenshuizen", "ergens", "fantasiastad", "verweggistan", "anytown"]
)
# The Dutch and English "John Doe" of forms and examples.
_PLACEHOLDER_NAMES = frozenset(
    ["jan jansen", "piet jansen", "jan modaal", "john doe", "jane doe", "joe bloggs", "john smith"]
)
_PLACEHOLDER_STREET_PREFIXES = tuple(f"{street} " for street in sorted(_PLACEHOLDER_STREETS))
_PLACEHOLDER_TOWN_SUFFIXES = tuple(f" {town}" for town in sorted(_PLACEHOLDER_TOWNS))
_PLACEHOLDER_LETTERS = frozenset(["AA", "XX", "XY", "YY", "ZZ"])
_PLACEHOLDER_DIGITS = ("12345678", "87654321", "01234567", "23456789", "98765432")
_PLACEHOLDER_DOMAINS = ("@example.com", "@example.org", "@example.net", "@example.nl")


def is_placeholder(label: SpanLabel | str, normalized: str) -> bool:
    """Whether a normalised value is an obvious placeholder ("06-12345678", "Jan Jansen").

    Placeholders are valid values, so :func:`normalize` accepts them; the detector
    uses this to give made-up example data no span.
    """
    kind = _label(label)
    if kind is SpanLabel.PHONE:
        digits = normalized.lstrip("+")[-8:]
        return digits.endswith(_PLACEHOLDER_DIGITS) or len(set(digits)) == 1
    if kind is SpanLabel.ADDRESS:
        # The canonical form is "street number[suffix] [postcode] [town]".
        return normalized.startswith(_PLACEHOLDER_STREET_PREFIXES) or normalized.endswith(
            _PLACEHOLDER_TOWN_SUFFIXES
        )
    if kind is SpanLabel.EMAIL:
        return normalized.endswith(_PLACEHOLDER_DOMAINS)
    if kind is SpanLabel.PERSON:
        return normalized in _PLACEHOLDER_NAMES
    if kind is SpanLabel.POSTCODE:
        # "1111 AA", "9999 ZZ", "1234 XX" ("1234 AB" is a real postcode that forms use).
        digits, letters = normalized[:4], normalized[4:]
        if len(set(digits)) == 1:
            return letters in _PLACEHOLDER_LETTERS or letters in ("AB",)
        return digits == "1234" and letters in _PLACEHOLDER_LETTERS
    return False


# ------------------------------------------------------------------------ masking

_WORD_OR_NUMBER = re.compile(r"[^\W\d_]+|\d+")
_POSTCODE_IN_VALUE = re.compile(r"(?<![\w])([1-9]\d)(\d{2})(\s?)([A-Za-z]{2})(?![\w])")


def _star_word(word: str, keep_last: bool = True) -> str:
    if word.isdigit():
        return "*" * len(word)
    if len(word) <= 2:
        return "*" * len(word)
    if keep_last:
        return word[0] + "*" * (len(word) - 2) + word[-1]
    return word[0] + "*" * (len(word) - 1)


def _mask_words(value: str, keep_last: bool = True) -> str:
    return _WORD_OR_NUMBER.sub(lambda m: _star_word(m.group(0), keep_last), value)


def _mask_keep(value: str, head: int, tail: int) -> str:
    """Star every letter/digit except the first ``head`` and last ``tail`` ones."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(positions[head : len(positions) - tail if tail else None])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def _mask_address(value: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _POSTCODE_IN_VALUE.finditer(value):
        out.append(_mask_words(value[pos : m.start()]))
        out.append(f"{m[1]}**{m[3]}**")
        pos = m.end()
    out.append(_mask_words(value[pos:]))
    return "".join(out)


def _mask_phone(value: str) -> str:
    try:
        number = parse_phone(value)
    except InvalidPersonalData:
        return _mask_keep(value, 2, 2)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    head = 1 + len(str(number.country_code)) + 1
    return e164[:head] + "*" * (len(e164) - head - 2) + e164[-2:]


def _mask_email(value: str) -> str:
    local, _, domain = value.rpartition("@")
    if not local:
        return _mask_words(value)
    host, dot, tld = domain.rpartition(".")
    return f"{_star_word(local)}@{_mask_words(host)}{dot}{tld}"


def _mask_date(value: str) -> str:
    year = re.search(r"(?<!\d)\d{4}(?!\d)", value)
    keep = range(year.start(), year.end()) if year else range(0)
    return "".join("*" if ch.isalnum() and i not in keep else ch for i, ch in enumerate(value))


def _mask_handle(value: str) -> str:
    at = "@" if value.startswith("@") else ""
    return at + _star_word(value[len(at) :])


_MASKERS: dict[SpanLabel, Callable[[str], str]] = {
    SpanLabel.ADDRESS: _mask_address,
    SpanLabel.POSTCODE: _mask_address,
    SpanLabel.PHONE: _mask_phone,
    SpanLabel.EMAIL: _mask_email,
    SpanLabel.LICENSE_PLATE: lambda v: _mask_keep(v, 1, 1),
    SpanLabel.IBAN: lambda v: _mask_keep(v, 4, 4),
    SpanLabel.BSN: lambda v: _mask_keep(v, 0, 2),
    SpanLabel.DATE_OF_BIRTH: _mask_date,
    SpanLabel.PERSON: lambda v: _mask_words(v, keep_last=False),
    SpanLabel.SOCIAL_HANDLE: _mask_handle,
}


def mask(label: SpanLabel | str, value: str) -> str:
    """A masked rendering of ``value`` for alerts and exports (layout kept, data hidden).

    ``Kerkstraat 12, 1234 AB Utrecht`` -> ``K********t **, 12** ** U*****t``;
    phone ``+31612345678`` -> ``+316******78``. Works on raw and normalised values
    and never raises for malformed input: it then hides more, not less.
    """
    return _MASKERS[_label(label)](value)

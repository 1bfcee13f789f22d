"""The labelled corpus (LABELS.md JSON Lines): loading, validation, augmentation.

Layout under ``models/corpus/``:

* ``handwritten/*.jsonl`` — posts written by people for training and validation;
* ``augmented.jsonl`` — made from the hand-written posts by :func:`augment` (invented
  personal data from Faker's nl_NL provider in place of every span, and obfuscated
  spellings); regenerate with ``doxwatch corpus augment``;
* ``test/*.jsonl`` — the held-out test split, written separately from the training
  material; never used for training, validation or augmentation.

Every record carries ``provenance``; an augmented record names the hand-written record
it came from, so splits keep a source and its variants on the same side.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.events import LABEL_NAMES, Labels, SpanLabel
from services.personal_data import InvalidPersonalData, normalize

CORPUS_DIR = Path(__file__).resolve().parents[2] / "models" / "corpus"


class CorpusSpan(BaseModel):
    """A gold span: ``text[start:end]`` is personal data of type ``label``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    label: SpanLabel


class CorpusRecord(BaseModel):
    """One labelled post (LABELS.md record format plus provenance)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    lang: str = Field(pattern=r"^(nl|en)$")
    text: str = Field(min_length=1)
    labels: Labels
    spans: list[CorpusSpan] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _spans_fit(self) -> CorpusRecord:
        last_end = -1
        for span in sorted(self.spans, key=lambda s: s.start):
            if span.end > len(self.text) or span.start >= span.end:
                raise ValueError(f"span {span.start}-{span.end} outside the text")
            if span.start < last_end:
                raise ValueError(f"span {span.start}-{span.end} overlaps the one before")
            if not self.text[span.start : span.end].strip():
                raise ValueError(f"span {span.start}-{span.end} is blank")
            last_end = span.end
        return self

    @property
    def source_id(self) -> str:
        """The hand-written record this one is (or came from)."""
        origin = self.provenance.get("from")
        return str(origin) if origin else self.id

    def label_vector(self) -> list[int]:
        """The three labels as 0/1 in LABEL_NAMES order."""
        return [int(getattr(self.labels, name)) for name in LABEL_NAMES]


class CorpusError(ValueError):
    """A corpus file has a bad record; the message names file and line."""


def read_jsonl(path: Path) -> Iterator[CorpusRecord]:
    """Records of one JSON Lines file, validated."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield CorpusRecord.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise CorpusError(f"{path}:{number}: {exc}") from exc


def load(paths: Iterable[Path]) -> list[CorpusRecord]:
    """All records of the given files (or of every *.jsonl under given folders), checked."""
    records: list[CorpusRecord] = []
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            records.extend(read_jsonl(file))
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise CorpusError(f"duplicate record id {record.id!r}")
        seen.add(record.id)
    return records


def training_records(corpus_dir: Path = CORPUS_DIR) -> list[CorpusRecord]:
    """Hand-written plus augmented records (never the test split)."""
    paths = [corpus_dir / "handwritten"]
    if (corpus_dir / "augmented.jsonl").exists():
        paths.append(corpus_dir / "augmented.jsonl")
    return load(paths)


def test_records(corpus_dir: Path = CORPUS_DIR) -> list[CorpusRecord]:
    """The held-out test split."""
    return load([corpus_dir / "test"])


def write_jsonl(path: Path, records: Sequence[CorpusRecord]) -> None:
    """Write records as JSON Lines (UTF-8, one per line, stable key order)."""
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record.model_dump(mode="json"), ensure_ascii=False) + "\n")


# Augmentation ---------------------------------------------------------------------------

_POSTCODE = re.compile(r"\b([1-9]\d{3})(\s?)([A-Za-z]{2})\b")
_MONTHS_NL = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip
_MONTHS_EN = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_MAIL_DOMAINS = ["gmail.com", "hotmail.com", "ziggo.nl", "kpnmail.nl", "outlook.com", "live.nl"]
_PLATE_LETTERS = "BDFGHJKLNPRSTVXZ"  # no vowels, no C/Q/W/M/Y: what the RDW issues now

# Obfuscations people use to slip past keyword filters: (pattern, replacements).
_OBFUSCATIONS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"\bagent\b", re.I), ["ag3nt", "a g e n t", "agnt"]),
    (re.compile(r"\bsmeris\b", re.I), ["sm3ris", "smer1s", "s m e r i s"]),
    (re.compile(r"\bpolitie\b", re.I), ["p0litie", "polit1e", "pol1tie"]),
    (re.compile(r"\bdood\b", re.I), ["d00d", "d o o d"]),
    (re.compile(r"\bkill\b", re.I), ["k1ll", "k i l l", "ki11"]),
    (re.compile(r"\bcops?\b", re.I), ["c0p", "c o p"]),
    (re.compile(r"\badres\b", re.I), ["adr3s", "addres", "a d r e s"]),
    (re.compile(r"\baddress\b", re.I), ["addy", "adress", "4ddress"]),
    (re.compile(r"\bsteek\b", re.I), ["st33k", "s t e e k"]),
    (re.compile(r"\bschiet\b", re.I), ["sch1et", "s c h i e t"]),
]


class _Faker:
    """Invented personal data in the shape of the value it replaces."""

    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.nl = Faker("nl_NL")
        self.en = Faker("en_GB")
        self.nl.seed_instance(seed)
        self.en.seed_instance(seed + 1)
        self.rng = random.Random(seed)

    def digits_like(self, value: str, keep_prefix: int) -> str:
        """Replace digits after the first ``keep_prefix`` digits, keeping separators."""
        out, seen = [], 0
        for ch in value:
            if ch.isdigit():
                seen += 1
                out.append(ch if seen <= keep_prefix else str(self.rng.randrange(10)))
            else:
                out.append(ch)
        return "".join(out)

    def person(self, value: str) -> str:
        parts = value.split()
        if len(parts) == 1:
            return str(self.nl.first_name())
        if re.fullmatch(r"[A-Z]\.", parts[0]):
            return f"{self.nl.first_name()[0]}. {self.nl.last_name()}"
        return f"{self.nl.first_name()} {self.nl.last_name()}"

    def postcode(self, value: str) -> str:
        code = str(self.nl.postcode()).replace(" ", "")
        m = _POSTCODE.fullmatch(value.strip())
        sep = m.group(2) if m else " "
        letters = code[4:] if m is None or m.group(3).isupper() else code[4:].lower()
        return f"{code[:4]}{sep}{letters}"

    def address(self, value: str) -> str:
        number = str(self.rng.randrange(1, 240))
        if self.rng.random() < 0.15:
            number += self.rng.choice("abc")
        if value[:1].isdigit():  # English style: "12 Mill Lane"
            return f"{number} {self.en.street_name()}"
        out = f"{self.nl.street_name()} {number}"
        m = _POSTCODE.search(value)
        if m:
            out += ("," if "," in value[: m.start()] else "") + " " + self.postcode(m.group(0))
        tail = value[m.end() :] if m else value.split(",", 1)[1] if "," in value else ""
        if tail.strip():
            out += (" " if m else ", ") + str(self.nl.city())
        return out

    def plate(self, value: str) -> str:
        for _ in range(50):
            candidate = "".join(
                self.rng.choice(_PLATE_LETTERS)
                if ch.isalpha()
                else str(self.rng.randrange(10))
                if ch.isdigit()
                else ch
                for ch in value.upper()
            )
            try:
                normalize(SpanLabel.LICENSE_PLATE, candidate)
                return candidate if value.isupper() or not value.isalpha() else candidate.lower()
            except InvalidPersonalData:
                continue
        return value

    def phone(self, value: str) -> str:
        digits = re.sub(r"\D", "", value)
        keep = 4 if digits.startswith("00") else 3 if digits.startswith(("31", "32", "44")) else 2
        for _ in range(50):
            candidate = self.digits_like(value, keep)
            try:
                normalize(SpanLabel.PHONE, candidate)
                return candidate
            except InvalidPersonalData:
                continue
        return value

    def email(self, value: str) -> str:
        user = re.sub(r"[^a-z0-9.]", "", str(self.nl.user_name()).lower()) or "iemand"
        domain = self.rng.choice(_MAIL_DOMAINS)
        lowered = value.lower()
        for marker_at, marker_dot in (("[at]", "[punt]"), ("(at)", "(dot)"), ("[at]", "[dot]")):
            if marker_at in lowered:
                dot = marker_dot if marker_dot in lowered else "."
                host, _, tld = domain.rpartition(".")
                return f"{user} {marker_at} {host} {dot} {tld}"
        if " at " in lowered:
            host, _, tld = domain.rpartition(".")
            return f"{user} at {host} dot {tld}"
        return f"{user}@{domain}"

    def iban(self, value: str) -> str:
        from stdnum import iban

        bank = self.rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB"])
        account = "".join(str(self.rng.randrange(10)) for _ in range(10))
        check = iban.calc_check_digits(f"NL00{bank}{account}")
        compact = f"NL{check}{bank}{account}"
        if " " in value:
            return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return compact

    def bsn(self, value: str) -> str:
        while True:
            head = [self.rng.randrange(10) for _ in range(8)]
            if head[0] == 0:
                continue
            total = sum(d * w for d, w in zip(head, range(9, 1, -1), strict=True))
            last = total % 11
            if last < 10:
                number = "".join(map(str, head)) + str(last)
                if "." in value:
                    return f"{number[:4]}.{number[4:6]}.{number[6:]}"
                return number

    def date_of_birth(self, value: str) -> str:
        born = date(1960, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 45))
        low = value.lower()
        if any(month in low for month in _MONTHS_NL):
            return f"{born.day} {_MONTHS_NL[born.month - 1]} {born.year}"
        for month in _MONTHS_EN:
            if month.lower() in low:
                if re.match(r"\d", value):
                    return f"{born.day} {_MONTHS_EN[born.month - 1]} {born.year}"
                return f"{_MONTHS_EN[born.month - 1]} {born.day}, {born.year}"
        sep = "/" if "/" in value else "." if "." in value else "-"
        if re.match(r"\d{4}", value):
            return born.strftime(f"%Y{sep}%m{sep}%d")
        return born.strftime(f"%d{sep}%m{sep}%Y")

    def handle(self, value: str) -> str:
        name = re.sub(r"[^a-z0-9_.]", "", str(self.nl.user_name()).lower()) or "account"
        suffix = str(self.rng.randrange(10, 99)) if self.rng.random() < 0.5 else ""
        return ("@" if value.startswith("@") else "") + name + suffix

    def replace(self, label: SpanLabel, value: str) -> str:
        """A new invented value of the same type and shape."""
        makers = {
            SpanLabel.PERSON: self.person,
            SpanLabel.ADDRESS: self.address,
            SpanLabel.POSTCODE: self.postcode,
            SpanLabel.PHONE: self.phone,
            SpanLabel.EMAIL: self.email,
            SpanLabel.LICENSE_PLATE: self.plate,
            SpanLabel.IBAN: self.iban,
            SpanLabel.BSN: self.bsn,
            SpanLabel.DATE_OF_BIRTH: self.date_of_birth,
            SpanLabel.SOCIAL_HANDLE: self.handle,
        }
        return makers[label](value)


def _rebuild(
    record: CorpusRecord, pieces: list[tuple[str, SpanLabel | None]], new_id: str, method: str
) -> CorpusRecord:
    text, spans = "", []
    for piece, label in pieces:
        if label is not None:
            spans.append(CorpusSpan(start=len(text), end=len(text) + len(piece), label=label))
        text += piece
    return CorpusRecord(
        id=new_id,
        lang=record.lang,
        text=text,
        labels=record.labels,
        spans=spans,
        provenance={"source": "augmented", "from": record.id, "method": method},
    )


def _pieces(record: CorpusRecord) -> list[tuple[str, SpanLabel | None]]:
    """The text cut into plain stretches and spans."""
    pieces: list[tuple[str, SpanLabel | None]] = []
    pos = 0
    for span in sorted(record.spans, key=lambda s: s.start):
        pieces.append((record.text[pos : span.start], None))
        pieces.append((record.text[span.start : span.end], span.label))
        pos = span.end
    pieces.append((record.text[pos:], None))
    return pieces


def substitute(record: CorpusRecord, faker: _Faker, new_id: str) -> CorpusRecord:
    """The record with every span replaced by invented data of the same type."""
    pieces = [
        (faker.replace(label, text) if label is not None else text, label)
        for text, label in _pieces(record)
    ]
    return _rebuild(record, pieces, new_id, "faker-nl_NL substitution")


def obfuscate(record: CorpusRecord, rng: random.Random, new_id: str) -> CorpusRecord | None:
    """The record with cue words spelled the way people dodge filters (outside spans)."""
    changed = False
    pieces: list[tuple[str, SpanLabel | None]] = []
    for text, label in _pieces(record):
        if label is None:
            for pattern, options in _OBFUSCATIONS:
                if pattern.search(text) and rng.random() < 0.7:
                    text = pattern.sub(rng.choice(options).replace("\\", "\\\\"), text, count=1)
                    changed = True
        pieces.append((text, label))
    if not changed:
        return None
    return _rebuild(record, pieces, new_id, "obfuscated spelling")


_EMOJI = ["😡", "🤬", "👀", "🔥", "😂", "💯", "🙏", "👮", "🐷", "🤡", "‼️"]
_PUNCT = re.compile(r"[.,!?;:]+")


def restyle(record: CorpusRecord, rng: random.Random, new_id: str) -> CorpusRecord:
    """The record typed the way many people post: lower case, no punctuation, emoji."""
    pieces = []
    for text, label in _pieces(record):
        lowered = text.lower() if len(text.lower()) == len(text) else text
        if label is None:
            lowered = _PUNCT.sub("", lowered) if rng.random() < 0.6 else lowered
        pieces.append((lowered, label))
    if rng.random() < 0.6:
        pieces.append((" " + "".join(rng.choices(_EMOJI, k=rng.randrange(1, 4))), None))
    return _rebuild(record, pieces, new_id, "restyled (case, punctuation, emoji)")


def _variants(record: CorpusRecord, faker: _Faker, rng: random.Random) -> list[CorpusRecord]:
    made: list[CorpusRecord] = []
    texts = {record.text}

    def keep(variant: CorpusRecord | None) -> None:
        # A variant that came out identical to one already made adds nothing.
        if variant is not None and variant.text not in texts:
            texts.add(variant.text)
            made.append(variant)

    def next_id() -> str:
        return f"{record.id}~aug{len(made) + 1}"

    if record.spans:
        for _ in range(3):
            keep(substitute(record, faker, next_id()))
    keep(restyle(made[-1] if made else record, rng, next_id()))
    keep(obfuscate(made[0] if made else record, rng, next_id()))
    keep(obfuscate(restyle(record, rng, "tmp"), rng, next_id()))
    return [m.model_copy(update={"provenance": {**m.provenance, "from": record.id}}) for m in made]


def augment(records: Sequence[CorpusRecord], seed: int = 20261130) -> list[CorpusRecord]:
    """Variants of the hand-written records, reproducible for a seed.

    Each record gets a restyled copy and, where its cue words allow, obfuscated ones;
    a record with spans also gets three copies with every span replaced by invented
    data (Faker nl_NL), so the recognisers and models do not learn the particular
    values the writers happened to invent.
    """
    faker = _Faker(seed)
    rng = random.Random(seed)
    out: list[CorpusRecord] = []
    for record in records:
        if record.provenance.get("source") == "handwritten":
            out.extend(_variants(record, faker, rng))
    return out

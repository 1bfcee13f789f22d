"""The rule-based decision on LABELS.md's three labels, and the feature vector.

This runs until a trained model exists; the scikit-learn stage that follows will
consume :func:`features` (a fixed set of named floats) and can keep the rule
outcomes as features of its own.

Scores are RULE scores, not calibrated probabilities: a rule that fires gives its
fixed strength (0.6-0.9, stronger evidence = higher), partial evidence that was
blocked or incomplete gives 0.2-0.45, no evidence gives 0.05. A label is set when
its score is at least :data:`THRESHOLD`.

threat
    A harm cue (violence or weapon word, Dutch separable verb "steek ... neer", not
    negated) plus a police target (officer mention, anti-police slogan or station),
    stronger with a stance (first-person intent, call, wish, conditional, addressed
    to "je/you"); or a veiled intimidation ("we weten waar je woont", "mooie fiets
    heeft je dochter"). Blocked by: news/reporting style without an unquoted stance,
    condemnation, quoting, game context.
doxing_call
    A request to find/identify ("wie kent deze agent", "zoek uit waar ze woont"), a
    request for personal data about an officer ("naam en adres van deze smeris
    graag"), spreading until identified ("deel dit tot we weten wie hij is"), or an
    offer ("ik heb zijn adres, stuur me een DM"). Blocked by: warnings against doxing,
    official channels and spokespeople, questions about a station, reporting.
personal_data
    A personal-data span (address, postcode, phone, e-mail, plate, date of birth,
    IBAN, BSN, private handle) in a post with police context, or a name tied to an
    officer (relative "zijn vrouw Sandra", "heet ...", "agent Bakker"). Service
    numbers, politie.nl addresses and official handles, station addresses, and
    names in news or from spokespeople do not count.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc

from services.classifier.detector.extensions import (
    CUES,
    DEOBFUSCATIONS,
    OFFICER_MENTIONS,
    PII,
    POLICE_SLOGANS,
    QUOTES,
    CueMatch,
    OfficerMention,
    PiiSpan,
    doc_text,
)
from services.classifier.detector.lexicons import CUE_CATEGORIES
from services.events import LABEL_NAMES, SpanLabel

THRESHOLD = 0.5
NO_EVIDENCE = 0.05

# Officer terms that name the institution rather than a person: "de politie" can be
# asked for its phone number, "die agent" cannot.
_INSTITUTION_TERMS = frozenset(
    {"politie", "#politie", "de politie", "police", "polizei", "the police", "recherche"}
)
# Weak request phrases ("wie weet", "dm me") need a data object or identity goal.
_WEAK_REQUESTS = frozenset(
    [
        "wie weet",
        "weet iemand",
        "who knows",
        "iemand een idee",
        "stuur me",
        "stuur maar",
        "dm mij",
        "pm mij",
        "dm me",
        "pm me",
        "inbox me",
        "stuur door",
        "info over",
        "look up",
        "vind uit",
    ]
)
_OFFICIAL_HANDLE_PARTS = ("politie", "police", "polizei", "marechaussee", "kmar")
_STATION_WINDOW = 60


@dataclass
class RuleResult:
    """Outcome of the rules on one doc."""

    labels: dict[str, bool]
    scores: dict[str, float]
    fired: dict[str, list[str]]
    blocked: dict[str, list[str]]
    evidence: dict[str, list[dict[str, Any]]]
    spans: list[PiiSpan] = field(default_factory=list)
    officer_mentions: list[OfficerMention] = field(default_factory=list)

    def explanation(self) -> dict[str, Any]:
        """The ``Classification.explanation`` dict: per fired label its rules and cues."""
        out: dict[str, Any] = {"scoring": "rules: fixed rule strengths, not probabilities"}
        for label in LABEL_NAMES:
            if self.labels[label]:
                out[label] = {
                    "score": self.scores[label],
                    "rules": self.fired[label],
                    "evidence": self.evidence[label],
                }
        blocked = {k: v for k, v in self.blocked.items() if v}
        if blocked:
            out["blocked"] = blocked
        out["spans"] = [
            {"start": s.start, "end": s.end, "label": s.label.value} for s in self.spans
        ]
        out["officer_mentions"] = [
            {"text": m.text, "kind": m.kind, "start": m.start, "end": m.end}
            for m in self.officer_mentions
        ]
        return out


def _cue_dict(m: CueMatch) -> dict[str, Any]:
    return {"cue": m.category, "text": m.text, "start": m.start, "end": m.end}


def _span_dict(s: PiiSpan) -> dict[str, Any]:
    return {"span": s.label.value, "start": s.start, "end": s.end}


def _mention_dict(m: OfficerMention) -> dict[str, Any]:
    return {"officer": m.kind, "text": m.text, "start": m.start, "end": m.end}


class _Context:
    """Everything the rules look at, computed once per doc."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc_text(doc)
        self.cues: dict[str, list[CueMatch]] = CUES.get(doc) or {}
        self.quotes: list[tuple[int, int]] = QUOTES.get(doc) or []
        self.mentions: list[OfficerMention] = OFFICER_MENTIONS.get(doc) or []
        self.slogans: list[CueMatch] = POLICE_SLOGANS.get(doc) or []
        self.pii: list[PiiSpan] = PII.get(doc) or []
        self.stations = [m for m in self.mentions if m.kind == "station"] + self.get("station")
        self.people = [
            m
            for m in self.mentions
            if m.kind != "station" and m.term.lstrip("#") not in _INSTITUTION_TERMS
        ]
        self.institution = [m for m in self.mentions if m.term.lstrip("#") in _INSTITUTION_TERMS]
        self.police = bool(self.people or self.institution or self.slogans)
        self.question = "?" in self.text
        self._negation_tokens = {
            i for m in self.get("negation") for i in range(m.token_start, m.token_end)
        }

    def get(self, category: str) -> list[CueMatch]:
        return self.cues.get(category, [])

    def has(self, *categories: str) -> bool:
        return any(self.cues.get(c) for c in categories)

    def quoted(self, start: int, end: int) -> bool:
        return any(qs <= start and end <= qe for qs, qe in self.quotes)

    def negated(self, m: CueMatch) -> bool:
        """A negation within the four tokens before the cue, in the same clause."""
        if not self._negation_tokens:
            return False
        for i in range(m.token_start - 1, max(-1, m.token_start - 5), -1):
            if self.doc[i].is_punct:
                return False
            if i in self._negation_tokens:
                return True
        return False

    def unquoted(self, *categories: str) -> list[CueMatch]:
        return [m for c in categories for m in self.get(c) if not self.quoted(m.start, m.end)]


def _threat(ctx: _Context, res: RuleResult) -> None:
    idioms = ctx.get("idiom")
    harm = [
        m
        for m in ctx.get("violence") + ctx.get("weapon")
        if not ctx.negated(m) and not any(i.start <= m.start and m.end <= i.end for i in idioms)
    ]
    violence = [m for m in harm if m.category == "violence"]
    intimidation = [m for m in ctx.get("intimidation") if not ctx.negated(m)]
    # A plain "station" is a railway station unless the post is about the police.
    police_stations = [m for m in ctx.mentions if m.kind == "station"]
    target = ctx.police or bool(police_stations)
    stance_cats = ("intent", "call", "wish", "conditional", "second_person")
    stance = [m for c in stance_cats for m in ctx.get(c)]
    hits: list[tuple[str, float]] = []
    if harm and target and stance:
        hits.append(("harm_police_stance", 0.9))
    elif violence and target:
        hits.append(("harm_police", 0.65))
    if intimidation:
        if target:
            hits.append(("intimidation_police", 0.85))
        elif ctx.has("family", "second_person", "routine"):
            # Veiled threats ("we weten waar je woont") are listed by LABELS.md as
            # threats; reported posts rarely name the officer they reply to.
            hits.append(("intimidation", 0.65))

    def evidence() -> list[dict[str, Any]]:
        found = [_cue_dict(m) for m in harm + intimidation + stance[:5]]
        found += [_mention_dict(m) for m in ctx.mentions]
        return found + [_cue_dict(m) for m in ctx.slogans]

    blockers: list[str] = []
    if hits:
        if any(not ctx.negated(m) for m in ctx.get("game")):
            blockers.append("game")  # "geen fortnite dit keer" is no game context
        if ctx.has("condemnation"):
            blockers.append("condemnation")
        live = [m for m in harm + intimidation if not ctx.quoted(m.start, m.end)]
        if not live:
            blockers.append("quoted")
        if _reported(ctx) and not ctx.unquoted("intent", "call", "wish", "intimidation"):
            blockers.append("reporting")
        if ctx.has("lawful") and not ctx.has("intent", "call", "wish") and not intimidation:
            blockers.append("lawful")
    _decide(res, "threat", hits, blockers, evidence, partial=bool(harm or intimidation))


def _doxing(ctx: _Context, res: RuleResult) -> None:
    idioms = ctx.get("idiom")
    requests = [
        m
        for m in ctx.get("doxing_request")
        if not ctx.negated(m) and not any(i.start <= m.start < i.end for i in idioms)
    ]
    locate = ctx.get("locate")
    strong = [m for m in requests if m.text.lower() not in _WEAK_REQUESTS]
    offers = ctx.get("doxing_offer")
    objects = ctx.get("pii_object")
    identity = ctx.get("identity_goal")
    spread = ctx.get("spread")
    people = bool(ctx.people or ctx.slogans)
    third = ctx.has("third_person")
    marker = ctx.has("request_marker")  # "?", "graag", "pls"...
    hits: list[tuple[str, float]] = []
    if strong and people:
        hits.append(("request_about_officer", 0.9))
    targets = (
        objects
        or identity
        or ctx.has("family", "routine", "possession", "photo", "whereabouts", "address_to_person")
    )
    if requests and targets and ctx.police:
        hits.append(("request_personal_data", 0.9 if people else 0.75))
    elif locate and third:
        # "zoek uit waar ze woont": a request to locate someone, officer or not.
        hits.append(("request_location", 0.7))
    if objects and people and marker and not ctx.stations:
        hits.append(("ask_officer_data", 0.85))
    if spread and identity:
        hits.append(("spread_until_identified", 0.9 if people else 0.8))
    if offers and (people or objects or third):
        hits.append(("offer_personal_data", 0.85))
    shared = [s for s in ctx.pii if _is_private(s)]
    if spread and shared and ctx.police:
        hits.append(("spread_officer_data", 0.85))

    def evidence() -> list[dict[str, Any]]:
        found = [_cue_dict(m) for m in requests + offers + objects + identity + spread]
        return found + [_mention_dict(m) for m in ctx.people]

    blockers: list[str] = []
    if hits:
        if ctx.has("warning"):
            blockers.append("warning")
        if ctx.has("official"):
            blockers.append("official_channel")
        if ctx.stations and not ctx.people and not identity and not offers:
            blockers.append("station")
        if (
            hits
            and _reported(ctx)
            and not (
                ctx.unquoted("request_marker")
                or ctx.unquoted("doxing_offer")
                or ctx.unquoted("spread")
            )
        ):
            blockers.append("reporting")
    _decide(
        res,
        "doxing_call",
        hits,
        blockers,
        evidence,
        partial=bool(requests or offers or (spread and identity)),
    )


def _personal(ctx: _Context, res: RuleResult) -> None:
    spans = [s for s in ctx.pii if s.label is not SpanLabel.PERSON and _is_private(s)]
    station_spans = [s for s in spans if _near_station(ctx, s)]
    if not ctx.has("address_to_person"):
        spans = [s for s in spans if s not in station_spans]
    persons = [s for s in ctx.pii if s.label is SpanLabel.PERSON]
    police = ctx.police
    hits: list[tuple[str, float]] = []
    used: list[PiiSpan] = []
    if spans and police:
        hits.append(("officer_personal_data", 0.9 if (ctx.people or ctx.slogans) else 0.75))
        used += spans
    related = [s for s in persons if _after_cue(ctx, s, "family")]
    if related and police:
        hits.append(("officer_relative_named", 0.85))
        used += related
    if persons and police and ctx.has("name_reveal"):
        hits.append(("officer_name_revealed", 0.8))
        used += persons
    titled = [s for s in persons if _after_officer_title(ctx, s)]
    if titled:
        hits.append(("officer_named", 0.6))
        used += titled
    if spans and not police and (res.labels["threat"] or res.labels["doxing_call"]):
        hits.append(("personal_data_in_threat_or_doxing", 0.75))
        used += spans
    blockers: list[str] = []
    name_rules = {"officer_relative_named", "officer_name_revealed", "officer_named"}
    if hits and ctx.has("official"):
        blockers.append("official_channel")
    if hits and _reported(ctx) and all(name in name_rules for name, _ in hits):
        blockers.append("reporting")  # names in news reports and court rulings are public
    if hits and spans == [] and station_spans and not persons:
        blockers.append("station")

    def evidence() -> list[dict[str, Any]]:
        found = [_span_dict(s) for s in dict.fromkeys(used)]
        found += [_mention_dict(m) for m in ctx.mentions]
        if ctx.has("address_to_person"):
            found += [_cue_dict(m) for m in ctx.get("address_to_person")]
        return found

    _decide(
        res,
        "personal_data",
        hits,
        blockers,
        evidence,
        partial=bool(spans or station_spans or persons),
    )


def _decide(
    res: RuleResult,
    label: str,
    hits: Sequence[tuple[str, float]],
    blockers: list[str],
    evidence: Callable[[], list[dict[str, Any]]],
    *,
    partial: bool,
) -> None:
    res.blocked[label] = sorted(set(blockers))
    if hits and not blockers:
        res.fired[label] = [name for name, _ in hits]
        res.scores[label] = max(score for _, score in hits)
        res.labels[label] = res.scores[label] >= THRESHOLD
        res.evidence[label] = evidence()  # built only for a label that is set
    else:
        res.fired[label] = []
        res.scores[label] = 0.3 if hits else (0.2 if partial else NO_EVIDENCE)
        res.labels[label] = False
        res.evidence[label] = []


def _reported(ctx: _Context) -> bool:
    """News or court style: a news marker, or reporting words with no first person.

    "Agent bedreigd in Rotterdam" is a report; "die agent die mijn broer heeft
    opgepakt gaat het voelen" uses a reporting word but is a first-person threat.
    """
    if ctx.has("news"):
        return True
    return ctx.has("reporting") and not ctx.has("first_person")


def _is_private(span: PiiSpan) -> bool:
    """False for public work data: service numbers, politie.nl mail, official handles."""
    if span.meta.get("phone_type") == "service":
        return False
    if span.label is SpanLabel.EMAIL and span.normalized.endswith(
        ("@politie.nl", "@kmar.nl", "@minjenv.nl")
    ):
        return False
    return not (
        span.label is SpanLabel.SOCIAL_HANDLE
        and any(p in span.normalized for p in _OFFICIAL_HANDLE_PARTS)
    )


def _near_station(ctx: _Context, span: PiiSpan) -> bool:
    return any(
        abs(m.start - span.start) <= _STATION_WINDOW or abs(span.end - m.end) <= _STATION_WINDOW
        for m in ctx.stations
    )


def _after_cue(ctx: _Context, span: PiiSpan, category: str) -> bool:
    """A cue of ``category`` ends right before the span ("dochter Emma")."""
    return any(0 <= span.start - m.end <= 3 for m in ctx.get(category))


def _after_officer_title(ctx: _Context, span: PiiSpan) -> bool:
    return any(0 <= span.start - m.end <= 2 for m in ctx.people)


def evaluate(doc: Doc) -> RuleResult:
    """Apply the rules to a doc processed by the Doxwatch pipeline."""
    ctx = _Context(doc)
    res = RuleResult(
        labels={k: False for k in LABEL_NAMES},
        scores={k: NO_EVIDENCE for k in LABEL_NAMES},
        fired={},
        blocked={},
        evidence={},
        spans=list(ctx.pii),
        officer_mentions=list(ctx.mentions),
    )
    _threat(ctx, res)
    _doxing(ctx, res)
    _personal(ctx, res)  # last: it looks at the other two labels
    return res


# --------------------------------------------------------------------- features

OFFICER_KINDS: tuple[str, ...] = ("formal", "slang", "english", "station", "vehicle", "unit")
RULE_NAMES: dict[str, tuple[str, ...]] = {
    "threat": ("harm_police_stance", "harm_police", "intimidation_police", "intimidation"),
    "doxing_call": (
        "request_about_officer", "request_personal_data", "ask_officer_data",
        "spread_until_identified", "offer_personal_data", "spread_officer_data",
        "request_location",
    ),
    "personal_data": (
        "officer_personal_data", "officer_relative_named", "officer_name_revealed",
        "officer_named", "personal_data_in_threat_or_doxing",
    ),
}  # fmt: skip
BLOCKER_NAMES: tuple[str, ...] = (
    "game", "condemnation", "quoted", "reporting", "lawful", "warning", "official_channel",
    "station",
)  # fmt: skip
OBFUSCATION_KINDS: tuple[str, ...] = ("email", "spaced", "leet")


def feature_names() -> list[str]:
    """Every key :func:`features` returns, in a stable order."""
    names = [
        "len.tokens",
        "len.chars",
        "text.question",
        "text.exclamation",
        "text.quoted",
        "text.caps_ratio",
        "text.url",
        "text.handle",
        "text.hashtag",
    ]
    names += [f"cue.{c}" for c in CUE_CATEGORIES]
    names += ["officer.count", "officer.people", "officer.institution", "officer.slogan"]
    names += [f"officer.{k}" for k in OFFICER_KINDS]
    names += [f"pii.{label.value}" for label in SpanLabel]
    names += ["pii.private"]
    names += [f"obf.{k}" for k in OBFUSCATION_KINDS]
    names += [f"rule.{label}.{rule}" for label, rules in RULE_NAMES.items() for rule in rules]
    names += [f"block.{label}.{b}" for label in LABEL_NAMES for b in BLOCKER_NAMES]
    names += [f"score.{label}" for label in LABEL_NAMES]
    return names


FEATURE_NAMES: tuple[str, ...] = tuple(feature_names())
# Copied for every doc: copying a dict is much cheaper than building it key by key.
_NO_FEATURES: dict[str, float] = dict.fromkeys(FEATURE_NAMES, 0.0)


_ASCII_LETTERS = string.ascii_letters.encode()
_ASCII_UPPER = string.ascii_uppercase.encode()
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _letter_counts(text: str) -> tuple[int, int]:
    """(letters, upper-case letters) of ``text``, as ``str.isalpha``/``str.isupper`` count.

    The ASCII part is counted by bytes.translate (C speed, no loop over characters):
    there only A-Z and a-z are letters. The few other characters are tested one by one.
    """
    raw = text.encode("ascii", "ignore")
    letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
    upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
    if not text.isascii():
        for ch in _NON_ASCII.findall(text):
            if ch.isalpha():
                letters += 1
                upper += ch.isupper()
    return letters, upper


def features(doc: Doc, result: RuleResult | None = None) -> dict[str, float]:
    """Named numeric features of a processed doc (always the keys of FEATURE_NAMES)."""
    res = result or evaluate(doc)
    text = doc_text(doc)
    f = _NO_FEATURES.copy()
    letters, upper = _letter_counts(text)
    f["len.tokens"] = float(len(doc))
    f["len.chars"] = float(len(text))
    f["text.question"] = float(text.count("?"))
    f["text.exclamation"] = float(text.count("!"))
    f["text.quoted"] = float(len(QUOTES.get(doc) or ()))
    f["text.caps_ratio"] = upper / letters if letters else 0.0
    f["text.url"] = float(text.count("http") + text.count("www."))
    f["text.handle"] = float(text.count("@"))
    f["text.hashtag"] = float(text.count("#"))
    for category, matches in (CUES.get(doc) or {}).items():
        key = f"cue.{category}"
        if key in f:
            f[key] = float(len(matches))
    mentions: list[OfficerMention] = OFFICER_MENTIONS.get(doc) or []
    f["officer.count"] = float(len(mentions))
    for m in mentions:
        key = f"officer.{m.kind}"
        if key in f:
            f[key] += 1.0
        if m.term.lstrip("#") in _INSTITUTION_TERMS:
            f["officer.institution"] += 1.0
        elif m.kind != "station":
            f["officer.people"] += 1.0
    f["officer.slogan"] = float(len(POLICE_SLOGANS.get(doc) or ()))
    for span in PII.get(doc) or ():
        f[f"pii.{span.label.value}"] += 1.0
        if span.label is not SpanLabel.PERSON and _is_private(span):
            f["pii.private"] += 1.0
    for d in DEOBFUSCATIONS.get(doc) or ():
        key = f"obf.{d.kind}"
        if key in f:
            f[key] += 1.0
    for label, rules in res.fired.items():
        for rule in rules:
            f[f"rule.{label}.{rule}"] = 1.0
    for label, blockers in res.blocked.items():
        for b in blockers:
            f[f"block.{label}.{b}"] = 1.0
    for label in LABEL_NAMES:
        f[f"score.{label}"] = res.scores[label]
    return f

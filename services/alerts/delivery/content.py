"""What an officer's alert says, in Dutch (default) or English, rendered from Jinja2 templates.

Pure: no I/O. The input holds only masked values (``matched`` comes from
:func:`services.personal_data.mask`) and the post's platform and URL, never its text,
so neither the stored payload nor the message can carry registered personal data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.alerts import handling
from services.alerts.legal import qualify

LANGUAGES = ("nl", "en")

_env = Environment(
    loader=PackageLoader("services.alerts.delivery", "templates"),
    # Plain text and JSON string fields, not HTML: nothing to escape.
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

LABEL_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "threat": "een bedreiging",
        "doxing_call": "een oproep om uw persoonsgegevens te zoeken of te verspreiden (doxing)",
        "personal_data": "persoonsgegevens van u die niet openbaar zijn",
    },
    "en": {
        "threat": "a threat",
        "doxing_call": "a call to find or spread your personal data (doxing)",
        "personal_data": "personal data of yours that is not public",
    },
}

TYPE_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "ADDRESS": "uw huisadres",
        "POSTCODE": "uw postcode",
        "PHONE": "uw telefoonnummer",
        "EMAIL": "uw e-mailadres",
        "LICENSE_PLATE": "uw kenteken",
        "IBAN": "uw bankrekeningnummer",
        "BSN": "uw burgerservicenummer",
        "DATE_OF_BIRTH": "uw geboortedatum",
        "PERSON": "uw naam",
        "SOCIAL_HANDLE": "uw account op sociale media",
    },
    "en": {
        "ADDRESS": "your home address",
        "POSTCODE": "your postcode",
        "PHONE": "your phone number",
        "EMAIL": "your e-mail address",
        "LICENSE_PLATE": "your licence plate",
        "IBAN": "your bank account number",
        "BSN": "your citizen service number (BSN)",
        "DATE_OF_BIRTH": "your date of birth",
        "PERSON": "your name",
        "SOCIAL_HANDLE": "your social-media account",
    },
}

SEVERITY_WORDS: dict[str, dict[str, str]] = {
    "nl": {"critical": "zeer hoog", "high": "hoog", "medium": "gemiddeld", "low": "laag"},
    "en": {"critical": "very high", "high": "high", "medium": "medium", "low": "low"},
}

_AND = {"nl": "en", "en": "and"}
_NONE = {"nl": "een verdacht bericht", "en": "a suspicious post"}


def language_of(value: str | None) -> str:
    """The alert language for an officer's preference (Dutch unless English is asked)."""
    return value if value in LANGUAGES else "nl"


@dataclass(frozen=True)
class AlertFacts:
    """Everything an officer's alert says; every personal value in it is already masked."""

    delivery_id: str
    language: str
    created_at: datetime
    incident_id: str
    incident_url: str
    severity: str
    threat: bool
    doxing_call: bool
    personal_data: bool
    post_id: str
    platform: str
    post_url: str | None
    matched: Sequence[tuple[str, str]]
    steps: Sequence[tuple[str, str]]
    """(task kind, title in ``language``) of the incident's handling path."""
    legal_summary: str
    support_contact: str


def _join_words(items: list[str], lang: str) -> str:
    if not items:
        return _NONE[lang]
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {_AND[lang]} {items[-1]}"


def _context(facts: AlertFacts) -> dict[str, Any]:
    lang = facts.language
    labels = [
        LABEL_WORDS[lang][name]
        for name, on in (
            ("threat", facts.threat),
            ("doxing_call", facts.doxing_call),
            ("personal_data", facts.personal_data),
        )
        if on
    ]
    found = [
        {
            "type": kind,
            "masked": masked,
            "description": TYPE_WORDS[lang].get(kind, kind.lower()),
            "text": f"{TYPE_WORDS[lang].get(kind, kind.lower())} ({masked})",
        }
        for kind, masked in facts.matched
    ]
    return {
        "delivery_id": facts.delivery_id,
        "labels_text": _join_words(labels, lang),
        "found": found,
        "platform": facts.platform,
        "post_url": facts.post_url,
        "severity_word": SEVERITY_WORDS[lang].get(facts.severity, facts.severity),
        "legal_summary": facts.legal_summary,
        "steps": [{"kind": kind, "title": title} for kind, title in facts.steps],
        "support_contact": facts.support_contact,
        "incident_url": facts.incident_url,
    }


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_email(facts: AlertFacts) -> dict[str, Any]:
    """The e-mail payload: ``subject``, ``text`` and ``language``."""
    ctx = _context(facts)
    lang = facts.language
    return {
        "language": lang,
        "subject": _one_line(_env.get_template(f"officer_alert.{lang}.subject.j2").render(ctx)),
        "text": _env.get_template(f"officer_alert.{lang}.txt.j2").render(ctx),
    }


def render_webhook(facts: AlertFacts) -> dict[str, Any]:
    """The JSON body of an ``officer.alert`` webhook (text fields from the templates)."""
    ctx = _context(facts)
    lang = facts.language
    return {
        "delivery_id": facts.delivery_id,
        "event": "officer.alert",
        "created_at": facts.created_at.isoformat(),
        "language": lang,
        "title": _one_line(_env.get_template(f"officer_alert.{lang}.subject.j2").render(ctx)),
        "message": _one_line(_env.get_template(f"officer_alert.{lang}.summary.j2").render(ctx)),
        "incident": {
            "id": facts.incident_id,
            "url": facts.incident_url,
            "severity": facts.severity,
            "labels": {
                "threat": facts.threat,
                "doxing_call": facts.doxing_call,
                "personal_data": facts.personal_data,
            },
        },
        "post": {"id": facts.post_id, "platform": facts.platform, "url": facts.post_url},
        "found": [
            {"type": f["type"], "description": f["description"], "masked": f["masked"]}
            for f in ctx["found"]
        ],
        "next_steps": ctx["steps"],
        "legal_summary": facts.legal_summary,
        "support_contact": facts.support_contact,
    }


def default_steps(
    *, threat: bool, doxing_call: bool, personal_data: bool, poster_known: bool, language: str
) -> tuple[list[tuple[str, str]], str]:
    """The handling path and legal summary for these labels (an alerted officer is always
    an identified officer), for when the incident has no tasks stored yet."""
    q = qualify(
        threat=threat,
        doxing_call=doxing_call,
        personal_data=personal_data,
        officer_identified=True,
    )
    tasks = handling.checklist(q, poster_known=poster_known)
    steps = [(t.kind, t.title_en if language == "en" else t.title_nl) for t in tasks]
    return steps, q.summary_en if language == "en" else q.summary_nl

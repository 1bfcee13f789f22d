"""Drafting notices: the context taken from an incident, the Jinja2 templates, plain text.

Templates are ``templates/{kind}.{language}.md.j2`` and render Markdown; each starts
with ``{#- version: N -#}`` and uses the shared blocks of ``_blocks.{language}.md.j2``
(versioned the same way), so a stored notice names exactly which text it came from
(``dsa_notice.nl.v1+blocks.v1``). Plain text is derived from the Markdown.

Leaked personal data (the posts' spans) never reaches a template: a post's text is
quoted with every span, and every other occurrence of a span's value, replaced by its
type and :func:`services.personal_data.mask` form; the leaked items are listed by
type with the URL where they were published.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.alerts.legal import ART_6_196C, GTPA, Provision, qualify
from services.alerts.models import Incident, PostRecord
from services.alerts.notices.models import NoticeKind, NoticeLanguage
from services.personal_data import InvalidPersonalData, mask, parse_address

TEMPLATES = Path(__file__).parent / "templates"
_VERSION = re.compile(r"^\{#-?\s*version:\s*(\d+)\s*-?#\}")

# Kinds that go to their addressee by e-mail; an art. 125p order is issued and signed by
# the prosecutor, an aangifte is filed in the police systems.
EMAIL_KINDS = frozenset({NoticeKind.DSA_NOTICE, NoticeKind.REMOVAL_REQUEST, NoticeKind.SOMMATIE})

# Placeholders a person must fill in; the 125p one blocks sending while it is there.
JUDGE_PLACEHOLDER = {
    NoticeLanguage.NL: "[MACHTIGING RECHTER-COMMISSARIS: IN TE VULLEN]",
    NoticeLanguage.EN: "[EXAMINING JUDGE'S AUTHORISATION: TO BE FILLED IN]",
}
STATEMENT_PLACEHOLDER = {
    NoticeLanguage.NL: "[VERKLARING VAN DE AANGEVER: IN TE VULLEN]",
    NoticeLanguage.EN: "[STATEMENT OF THE REPORTING OFFICER: TO BE FILLED IN]",
}

KIND_TITLES = {
    NoticeLanguage.NL: {
        NoticeKind.DSA_NOTICE: "Melding illegale inhoud (art. 16 DSA)",
        NoticeKind.REMOVAL_REQUEST: "Verzoek tot vrijwillige verwijdering",
        NoticeKind.ORDER_125P: "Concept-bevel ontoegankelijkmaking (art. 125p Sv)",
        NoticeKind.SOMMATIE: "Sommatie tot verwijdering",
        NoticeKind.AANGIFTE: "Samenvatting voor aangifte",
    },
    NoticeLanguage.EN: {
        NoticeKind.DSA_NOTICE: "Notice of illegal content (Art. 16 DSA)",
        NoticeKind.REMOVAL_REQUEST: "Request for voluntary removal",
        NoticeKind.ORDER_125P: "Draft order to make data inaccessible (art. 125p Sv)",
        NoticeKind.SOMMATIE: "Demand to remove (sommatie)",
        NoticeKind.AANGIFTE: "Summary for the criminal report (aangifte)",
    },
}

# How leaked data is referred to: (short type for quotes, phrase for the list).
_LEAK_NAMES: dict[NoticeLanguage, dict[str, tuple[str, str]]] = {
    NoticeLanguage.NL: {
        "PERSON": ("naam", "de naam"),
        "ADDRESS": ("huisadres", "het huisadres"),
        "POSTCODE": ("postcode", "de postcode van het woonadres"),
        "PHONE": ("telefoonnummer", "het privételefoonnummer"),
        "EMAIL": ("e-mailadres", "het privé-e-mailadres"),
        "LICENSE_PLATE": ("kenteken", "het kenteken"),
        "IBAN": ("IBAN", "het bankrekeningnummer (IBAN)"),
        "BSN": ("BSN", "het burgerservicenummer"),
        "DATE_OF_BIRTH": ("geboortedatum", "de geboortedatum"),
        "SOCIAL_HANDLE": ("account", "het privéaccount op sociale media"),
    },
    NoticeLanguage.EN: {
        "PERSON": ("name", "the name"),
        "ADDRESS": ("home address", "the home address"),
        "POSTCODE": ("postcode", "the postcode of the home"),
        "PHONE": ("phone number", "the private phone number"),
        "EMAIL": ("e-mail address", "the private e-mail address"),
        "LICENSE_PLATE": ("licence plate", "the licence plate"),
        "IBAN": ("IBAN", "the bank account number (IBAN)"),
        "BSN": ("BSN", "the citizen service number (BSN)"),
        "DATE_OF_BIRTH": ("date of birth", "the date of birth"),
        "SOCIAL_HANDLE": ("account", "the private social-media account"),
    },
}
_OF_OFFICER = {NoticeLanguage.NL: "van de betrokken ambtenaar", NoticeLanguage.EN: "of the officer"}
_LABEL_NAMES = {
    NoticeLanguage.NL: {
        "threat": "bedreiging",
        "doxing_call": "oproep tot doxing",
        "personal_data": "openbaarmaking van persoonsgegevens",
    },
    NoticeLanguage.EN: {
        "threat": "threat",
        "doxing_call": "call to dox",
        "personal_data": "disclosure of personal data",
    },
}
_MONTHS_NL = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
    "september", "oktober", "november", "december",
)  # fmt: skip


@cache
def _zone() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # no tz database: dates are then written in UTC
        return None


def format_time(at: datetime | None, language: NoticeLanguage) -> str:
    """A date and time as a letter writes it, in Dutch local time."""
    if at is None:
        return "-"
    zone = _zone()
    local = at.astimezone(zone) if zone else at
    tz = local.tzname() or "UTC"
    if language is NoticeLanguage.NL:
        return f"{local.day} {_MONTHS_NL[local.month - 1]} {local.year}, {local:%H:%M} uur ({tz})"
    return f"{local.day} {local:%B %Y}, {local:%H:%M} ({tz})"


# Leaked values -------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakedValue:
    """One span of a post: the values (raw and normalised) that must never be repeated."""

    post_id: str
    label: str
    raw: str
    normalized: str
    parts: tuple[str, ...] = ()

    def forms(self) -> tuple[str, ...]:
        """The non-empty forms to look for (parts too: a street and number alone leak)."""
        found = dict.fromkeys(f.strip() for f in (self.raw, self.normalized, *self.parts))
        return tuple(f for f in found if f)


def _address_parts(value: str) -> tuple[str, ...]:
    try:
        address = parse_address(value)
        return (*address.keys(), address.postcode)
    except (InvalidPersonalData, ValueError):
        return ()


def leaked_values(posts: Iterable[PostRecord]) -> list[LeakedValue]:
    """Every span of the posts, as values that notices must not contain."""
    out = []
    for post in posts:
        for span in post.spans:
            raw = post.text[int(span["start"]) : int(span["end"])]
            label = str(span["label"])
            parts = _address_parts(raw) if label == "ADDRESS" else ()
            out.append(LeakedValue(post.id, label, raw, str(span["normalized"]), parts))
    return out


_HEX_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
_NON_WORD = re.compile(r"[\W_]+")
_MIN_COMPACT = 6


def _compact(value: str) -> str:
    return _NON_WORD.sub("", value.casefold())


def find_leaks(
    text: str, values: Sequence[LeakedValue], *, allowed: Iterable[str] = ()
) -> list[str]:
    """What leaked data ``text`` repeats, as messages naming type and post (never the value).

    The posts' own URLs (``allowed``) and SHA-256 digests are ignored: a URL may hold
    the poster's handle, and hex digits may spell anything. Besides exact (case-folded)
    matches, values of six or more letters and digits are also found written with other
    spacing or punctuation (``06-1234 5678`` for ``0612345678``).
    """
    haystack = text
    for url in sorted(set(allowed), key=len, reverse=True):
        haystack = haystack.replace(url, " ")
    haystack = _HEX_DIGEST.sub(" ", haystack.lower())
    folded = haystack.casefold()
    compact = _compact(haystack)
    found: list[str] = []
    for value in values:
        hit = False
        for form in value.forms():
            c = _compact(form)
            if form.casefold() in folded or (len(c) >= _MIN_COMPACT and c in compact):
                hit = True
                break
        message = f"contains a leaked {value.label} of post {value.post_id}"
        if hit and message not in found:
            found.append(message)
    return found


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: value


def masked_excerpt(
    post: PostRecord, values: Sequence[LeakedValue], language: NoticeLanguage
) -> str:
    """The post's text with every span, and any other occurrence of a leaked value, masked."""
    names = _LEAK_NAMES[language]
    pieces: list[str] = []
    pos = 0
    for span in sorted(post.spans, key=lambda s: (int(s["start"]), -int(s["end"]))):
        start, end = int(span["start"]), int(span["end"])
        if start < pos:  # overlapping span: already covered by the previous one
            continue
        label = str(span["label"])
        short = names.get(label, (label.lower(), label.lower()))[0]
        pieces += [post.text[pos:start], f"[{short}: {mask(label, post.text[start:end])}]"]
        pos = end
    pieces.append(post.text[pos:])
    text = "".join(pieces)
    # The same value written a second time, or in another post, is not always a span.
    for value in sorted(values, key=lambda v: len(v.raw), reverse=True):
        short = names.get(value.label, (value.label.lower(), ""))[0]
        for form in value.forms():
            if len(form) >= 3:
                replacement = f"[{short}: {mask(value.label, form)}]"
                text = re.sub(re.escape(form), _constant(replacement), text, flags=re.I)
    return " ".join(text.split())


# Context -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderInput:
    """Everything a notice is drafted from (loaded by the service)."""

    notice_id: str
    kind: NoticeKind
    language: NoticeLanguage
    incident: Incident
    posts: Sequence[PostRecord]
    officer_identified: bool
    created_at: datetime
    deadline: datetime | None
    recipient: str | None
    platform_name: str | None
    notifier_name: str
    notifier_email: str
    issuing_authority: str
    related: Sequence[tuple[NoticeKind, str]] = field(default=())


def reference(notice_id: str) -> str:
    """The human reference of a notice (kenmerk), quoted in letters and answers."""
    return f"DXW-{notice_id.replace('-', '')[:8].upper()}"


def sha256_text(text: str) -> str:
    """SHA-256 (hex) of a post's text as UTF-8: the digest the evidence list shows."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _provision(p: Provision, language: NoticeLanguage) -> dict[str, str]:
    nl = language is NoticeLanguage.NL
    return {
        "code": p.code,
        "title": p.title_nl if nl else p.title_en,
        "note": p.note_nl if nl else p.note_en,
    }


def context(inp: RenderInput) -> dict[str, Any]:
    """The template variables for one notice."""
    lang = inp.language
    values = leaked_values(inp.posts)
    qualification = qualify(
        threat=inp.incident.threat,
        doxing_call=inp.incident.doxing_call,
        personal_data=inp.incident.personal_data,
        officer_identified=inp.officer_identified,
    )
    posts: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    urls: list[str] = []
    for post in inp.posts:
        if post.url and post.url not in urls:
            urls.append(post.url)
        leaks = []
        for span in post.spans:
            label = str(span["label"])
            phrase = _LEAK_NAMES[lang].get(label, (label, label))[1]
            raw = post.text[int(span["start"]) : int(span["end"])]
            leaks.append(
                {
                    "what": f"{phrase} {_OF_OFFICER[lang]}",
                    "masked": md_escape(mask(label, raw)),
                    "url": post.url,
                }
            )
        author = post.author
        if author and find_leaks(author, values):
            author = None  # the poster's name is the officer's data: never repeat it
        digest = sha256_text(post.text)
        posts.append(
            {
                "id": post.id,
                "url": post.url,
                "platform": post.platform,
                "author": author,
                "posted_at": format_time(post.posted_at, lang) if post.posted_at else None,
                "captured_at": format_time(post.received_at, lang),
                "excerpt": md_escape(masked_excerpt(post, values, lang)),
                "leaks": leaks,
                "sha256": digest,
            }
        )
        evidence.append(
            {
                "what": "tekst van het bericht"
                if lang is NoticeLanguage.NL
                else "text of the post",
                "source_url": post.url,
                "captured_at": format_time(post.received_at, lang),
                "sha256": digest,
            }
        )
        for item in post.evidence:
            captured = item.get("captured_at")
            evidence.append(
                {
                    "what": str(item.get("kind", "evidence")),
                    "source_url": item.get("source_url") or post.url,
                    "captured_at": (
                        format_time(datetime.fromisoformat(captured), lang)
                        if isinstance(captured, str)
                        else "-"
                    ),
                    "sha256": str(item.get("sha256", "-")),
                }
            )
    incident = inp.incident
    labels = [
        _LABEL_NAMES[lang][name]
        for name in ("threat", "doxing_call", "personal_data")
        if getattr(incident, name)
    ]
    offences = [_provision(p, lang) for p in qualification.provisions if p is not ART_6_196C]
    return {
        "lang": lang.value,
        "notice": {
            "id": inp.notice_id,
            "reference": reference(inp.notice_id),
            "title": KIND_TITLES[lang][inp.kind],
            "date": format_time(inp.created_at, lang),
            "deadline": format_time(inp.deadline, lang) if inp.deadline else None,
        },
        "incident": {"id": incident.id, "labels": labels},
        "posts": posts,
        "urls": urls,
        "evidence": evidence,
        "leaks": [leak for p in posts for leak in p["leaks"]],
        "qualification": {
            "offences": offences,
            "criminal": qualification.criminal,
            "gtpa": qualification.gtpa,
            "code": GTPA,
            "summary": qualification.summary_nl
            if lang is NoticeLanguage.NL
            else qualification.summary_en,
        },
        "platform_duty": _provision(ART_6_196C, lang),
        "platform": inp.platform_name,
        "recipient": inp.recipient,
        "notifier": {"name": inp.notifier_name, "email": inp.notifier_email},
        "authority": inp.issuing_authority,
        "judge_placeholder": JUDGE_PLACEHOLDER[lang],
        "statement_placeholder": STATEMENT_PLACEHOLDER[lang],
        "related": [
            {"name": _lower_first(KIND_TITLES[lang][kind]), "reference": ref}
            for kind, ref in inp.related
        ],
    }


# Templates ---------------------------------------------------------------------------


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _version_of(name: str) -> int:
    first = (TEMPLATES / name).read_text(encoding="utf-8").splitlines()[0]
    match = _VERSION.match(first)
    if match is None:
        raise ValueError(f"template {name} does not start with a version header")
    return int(match.group(1))


def template_name(kind: NoticeKind, language: NoticeLanguage) -> str:
    """The file of a kind's template in a language."""
    return f"{kind.value}.{language.value}.md.j2"


def template_version(kind: NoticeKind, language: NoticeLanguage) -> str:
    """``{kind}.{lang}.v{N}+blocks.v{M}``: which text a notice was drafted from."""
    main = _version_of(template_name(kind, language))
    blocks = _version_of(f"_blocks.{language.value}.md.j2")
    return f"{kind.value}.{language.value}.v{main}+blocks.v{blocks}"


def render(inp: RenderInput) -> str:
    """The notice's Markdown body."""
    template = _environment().get_template(template_name(inp.kind, inp.language))
    body = template.render(**context(inp))
    return re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


# Markdown to plain text --------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ESCAPED = re.compile(r"\\([\\*])")


def md_escape(text: str) -> str:
    """Text safe inside the templates' Markdown: masks' stars are not emphasis."""
    return text.replace("\\", "\\\\").replace("*", "\\*")


def inline_text(line: str) -> str:
    """A Markdown line without inline markup (the templates use only bold and escapes)."""
    return _ESCAPED.sub(r"\1", _BOLD.sub(r"\1", line))


def markdown_to_text(markdown: str) -> str:
    """Plain text for e-mail and .txt: headings underlined, bold markers dropped."""
    out: list[str] = []
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            title = inline_text(match.group(2)).strip()
            out += [title, ("=" if len(match.group(1)) == 1 else "-") * len(title)]
        else:
            out.append(inline_text(line))
    return "\n".join(out).strip() + "\n"


def subject_of(markdown: str, fallback: str) -> str:
    """The first heading of a body: the e-mail subject."""
    for line in markdown.splitlines():
        match = _HEADING.match(line)
        if match:
            return inline_text(match.group(2)).strip()[:250]
    return fallback

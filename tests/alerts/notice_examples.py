"""The rendered examples in docs/notices.md, made from invented data.

``python -m tests.alerts.notice_examples`` rewrites the examples in the doc;
``test_docs_examples_are_current`` fails when the templates changed and it was not run.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.alerts.notices import render
from services.alerts.notices.models import NoticeKind, NoticeLanguage
from tests.alerts.notice_data import transient_incident

DOC = Path(__file__).resolve().parents[2] / "docs" / "notices.md"
EXAMPLES: tuple[tuple[NoticeKind, NoticeLanguage], ...] = (
    (NoticeKind.DSA_NOTICE, NoticeLanguage.NL),
    (NoticeKind.DSA_NOTICE, NoticeLanguage.EN),
    (NoticeKind.REMOVAL_REQUEST, NoticeLanguage.NL),
    (NoticeKind.ORDER_125P, NoticeLanguage.NL),
    (NoticeKind.SOMMATIE, NoticeLanguage.NL),
    (NoticeKind.AANGIFTE, NoticeLanguage.NL),
)
_BLOCK = re.compile(
    r"(<!-- example: (?P<name>[a-z0-9_]+\.[a-z]{2}) -->\n)````markdown\n(?:(?!````).*\n)*````\n"
)


def example(kind: NoticeKind, language: NoticeLanguage) -> str:
    """One notice rendered from the invented incident of the tests."""
    incident, posts = transient_incident()
    created = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    related = (
        [(NoticeKind.DSA_NOTICE, "DXW-5E6F7A8B")] if kind is NoticeKind.REMOVAL_REQUEST else []
    )
    return render.render(
        render.RenderInput(
            notice_id="1a2b3c4d-0000-4000-8000-00000000abcd",
            kind=kind,
            language=language,
            incident=incident,
            posts=posts,
            officer_identified=True,
            created_at=created,
            deadline=None if kind is NoticeKind.AANGIFTE else created + timedelta(hours=48),
            recipient=None if kind is NoticeKind.AANGIFTE else "dsa-contact@x.example",
            platform_name="X (Twitter)",
            notifier_name="Politie Nederland, monitoringsteam Doxwatch",
            notifier_email="meldingen@politie.example",
            issuing_authority="Officier van justitie, Arrondissementsparket Midden-Nederland",
            related=related,
        )
    )


def updated(doc: str) -> str:
    """The doc with every example block replaced by the current rendering."""
    wanted = {f"{k.value}.{lang.value}": example(k, lang) for k, lang in EXAMPLES}

    def fill(match: re.Match[str]) -> str:
        body = wanted[match["name"]]
        return f"{match.group(1)}````markdown\n{body.rstrip()}\n````\n"

    return _BLOCK.sub(fill, doc)


def names_in(doc: str) -> list[str]:
    """The example names the doc has blocks for."""
    return [m["name"] for m in _BLOCK.finditer(doc)]


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    DOC.write_text(updated(text), encoding="utf-8")
    sys.stdout.write(f"updated {len(names_in(text))} examples in {DOC}\n")

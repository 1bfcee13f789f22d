"""docs/notices.md shows real output of the templates, one example of every kind."""

from __future__ import annotations

from services.alerts.notices.models import NoticeKind
from tests.alerts.notice_data import FORBIDDEN
from tests.alerts.notice_examples import DOC, EXAMPLES, names_in, updated


def test_docs_examples_are_current() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert names_in(doc) == [f"{k.value}.{lang.value}" for k, lang in EXAMPLES]
    assert updated(doc) == doc, "run: python -m tests.alerts.notice_examples"


def test_docs_show_every_kind_without_leaked_data() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert {k for k, _ in EXAMPLES} == set(NoticeKind)
    examples = doc[doc.index("## Examples") :]
    for value in FORBIDDEN:
        assert value.casefold() not in examples.casefold()

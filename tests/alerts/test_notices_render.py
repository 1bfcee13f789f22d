"""Notice texts: every required element, per kind and language, and no leaked data.

The element lists follow issue #5 (DSA Art. 16(2) for the notice, DSA Art. 9(2) and
art. 125p Sv for the order, and so on); each element is its own test case.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from services.alerts.notices import export, render
from services.alerts.notices.models import NoticeKind, NoticeLanguage
from tests.alerts.notice_data import (
    CALL_TEXT,
    FORBIDDEN,
    SCREENSHOT_SHA,
    URL_1,
    URL_2,
    transient_incident,
)

NL, EN = NoticeLanguage.NL, NoticeLanguage.EN
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(hours=48)
NOTIFIER = "Monitoringsteam Doxwatch (test)"
NOTIFIER_EMAIL = "meldingen@politie.example"
AUTHORITY = "Officier van justitie, Arrondissementsparket Midden-Nederland"
RECIPIENT = "dsa-contact@x.example"
NOTICE_ID = "1a2b3c4d-0000-4000-8000-00000000abcd"


def _input(kind: NoticeKind, language: NoticeLanguage) -> render.RenderInput:
    incident, posts = transient_incident()
    return render.RenderInput(
        notice_id=NOTICE_ID,
        kind=kind,
        language=language,
        incident=incident,
        posts=posts,
        officer_identified=True,
        created_at=NOW,
        deadline=None if kind is NoticeKind.AANGIFTE else DEADLINE,
        recipient=RECIPIENT,
        platform_name="X (Twitter)",
        notifier_name=NOTIFIER,
        notifier_email=NOTIFIER_EMAIL,
        issuing_authority=AUTHORITY,
    )


def body_of(kind: NoticeKind, language: NoticeLanguage) -> str:
    """The rendered Markdown of a kind in a language."""
    return render.render(_input(kind, language))


Check = Callable[[str, NoticeLanguage], bool]


def _has(nl: str, en: str) -> Check:
    return lambda body, lang: (nl if lang is NL else en) in body


def _all(*checks: Check) -> Check:
    return lambda body, lang: all(c(body, lang) for c in checks)


def _contains(*needles: str) -> Check:
    return lambda body, _lang: all(n in body for n in needles)


def _deadline(body: str, lang: NoticeLanguage) -> bool:
    return render.format_time(DEADLINE, lang) in body


URLS = _contains(URL_1, URL_2)
THREAT = _contains("art. 285 Sr")
DOXING = _contains("art. 285d Sr")
PLATFORM_DUTY = _contains("art. 6:196c BW")
NOTIFIER_NAME = _contains(NOTIFIER)
NOTIFIER_MAIL = _contains(NOTIFIER_EMAIL)
# The threat itself is quoted (masked) so that the explanation is substantiated.
QUOTED_THREAT = _contains("we wachten hem vanavond op", CALL_TEXT)
LEAK_REFERRED = _all(
    _has("het huisadres van de betrokken ambtenaar", "the home address of the officer"),
    _has(f"zie {URL_1}", f"see {URL_1}"),
    # the mask, as a reader sees it (the Markdown escapes its stars)
    lambda body, _lang: (
        "(gemaskeerd: L*******n **, 35** ** U*****t)" in render.markdown_to_text(body)
        or "(masked: L*******n **, 35** ** U*****t)" in render.markdown_to_text(body)
    ),
)

ELEMENTS: dict[NoticeKind, dict[str, Check]] = {
    NoticeKind.DSA_NOTICE: {
        "exact_urls": URLS,
        "explanation_quotes_the_content": QUOTED_THREAT,
        "explanation_section_art_16_2_a": _has("art. 16 lid 2 onder a DSA", "Art. 16(2)(a) DSA"),
        "provision_art_285_threat": THREAT,
        "provision_art_285d_doxing": DOXING,
        "provision_art_6_196c_platform_duty": PLATFORM_DUTY,
        "notifier_name": NOTIFIER_NAME,
        "notifier_email": NOTIFIER_MAIL,
        "statement_of_good_faith": _has(
            "te goeder trouw menen dat de informatie en de beweringen in deze melding juist "
            "en volledig zijn",
            "bona fide belief that the information and allegations contained in this notice "
            "are accurate and complete",
        ),
        "leaked_data_referred_to_and_masked": LEAK_REFERRED,
        "answer_deadline": _deadline,
    },
    NoticeKind.REMOVAL_REQUEST: {
        "from_the_police": _has("De politie verzoekt", "The Dutch police ask"),
        "voluntary_removal": _has(
            "vrijwillig te verwijderen", "remove the content listed below voluntarily"
        ),
        "refers_to_dsa_notice_elements": _has(
            "melding in de zin van artikel 16 DSA", "notice within the meaning of Article 16 DSA"
        ),
        "exact_urls": URLS,
        "explanation_quotes_the_content": QUOTED_THREAT,
        "provision_art_285_threat": THREAT,
        "provision_art_285d_doxing": DOXING,
        "provision_art_6_196c_platform_duty": PLATFORM_DUTY,
        "not_an_order_but_125p_possible": _all(
            _has("Dit is een verzoek, geen bevel", "This is a request, not an order"),
            _contains("125p"),
        ),
        "preservation_request": _has("Bewaar de inhoud", "Preserve the content"),
        "notifier_name": NOTIFIER_NAME,
        "notifier_email": NOTIFIER_MAIL,
        "statement_of_good_faith": _has("te goeder trouw", "bona fide belief"),
        "leaked_data_referred_to_and_masked": LEAK_REFERRED,
        "deadline": _deadline,
    },
    NoticeKind.ORDER_125P: {
        "legal_basis_125p_and_dsa_art_9": _all(
            _contains("125p"),
            _has(
                "artikel 9 van de Verordening (EU) 2022/2065",
                "Article 9 of Regulation (EU) 2022/2065",
            ),
        ),
        "reasons_with_provisions": _all(THREAT, DOXING, QUOTED_THREAT),
        "issuing_authority": _all(
            _has("## 1. Uitvaardigende autoriteit", "## 1. Issuing authority"), _contains(AUTHORITY)
        ),
        "exact_urls": URLS,
        "territorial_scope_limited": _has(
            "Beperkt tot wat strikt noodzakelijk is: de inhoud moet ontoegankelijk zijn voor "
            "gebruikers in Nederland",
            "Limited to what is strictly necessary: the content must be inaccessible to users "
            "in the Netherlands",
        ),
        "redress_for_provider_and_poster": _all(
            _has(
                "De aanbieder en de plaatser van de inhoud kunnen",
                "The provider and the person who posted the content may",
            ),
            _contains("552a Sv"),
        ),
        "reports_back_to": _all(
            _has("## 8. Terugmelding", "## 8. Reporting back"),
            _has("9 lid 1 DSA", "Article 9(1) DSA"),
            _contains(NOTIFIER_EMAIL, AUTHORITY),
        ),
        "judge_authorisation_placeholder": lambda body, lang: (
            render.JUDGE_PLACEHOLDER[lang] in body
        ),
        "marked_as_draft": _has("CONCEPT", "DRAFT"),
        "leaked_data_referred_to_and_masked": LEAK_REFERRED,
    },
    NoticeKind.SOMMATIE: {
        "addressee": _contains(RECIPIENT),
        "exact_urls": URLS,
        "unlawfulness_6_162_bw": _contains("6:162 BW"),
        "criminal_provisions": _all(THREAT, DOXING),
        "platform_duty": PLATFORM_DUTY,
        "demand_to_remove": _has(
            "de inhoud op de genoemde URL's te verwijderen", "remove the content at the URLs above"
        ),
        "demand_to_keep_removed": _has("de inhoud verwijderd te houden", "keep it removed"),
        "deadline": _deadline,
        "consequence_legal_action": _contains("kort geding"),
        "sender": _all(NOTIFIER_NAME, NOTIFIER_MAIL),
        "leaked_data_referred_to_and_masked": LEAK_REFERRED,
    },
    NoticeKind.AANGIFTE: {
        "facts_quote_the_posts": QUOTED_THREAT,
        "facts_urls": URLS,
        "facts_capture_time": lambda body, lang: (
            render.format_time(transient_incident()[1][0].received_at, lang) in body
        ),
        "evidence_list_with_text_hashes": lambda body, _lang: all(
            render.sha256_text(p.text) in body for p in transient_incident()[1]
        ),
        "evidence_list_with_captured_files": _contains(SCREENSHOT_SHA, "screenshot"),
        "gtpa_code": _has("**Registratiecode:** GTPA", "**Registration code:** GTPA"),
        "provisions": _all(THREAT, DOXING),
        "officer_statement_placeholder": lambda body, lang: (
            render.STATEMENT_PLACEHOLDER[lang] in body
        ),
        "leaked_data_referred_to_and_masked": LEAK_REFERRED,
    },
}

CASES = [
    pytest.param(kind, lang, name, id=f"{kind.value}-{lang.value}-{name}")
    for kind, checks in ELEMENTS.items()
    for lang in (NL, EN)
    for name in checks
]


@pytest.mark.parametrize(("kind", "lang", "element"), CASES)
def test_notice_contains_required_element(
    kind: NoticeKind, lang: NoticeLanguage, element: str
) -> None:
    body = body_of(kind, lang)
    assert ELEMENTS[kind][element](body, lang), f"{element} missing from:\n{body}"


@pytest.mark.parametrize("lang", [NL, EN])
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_notice_repeats_no_leaked_personal_data(kind: NoticeKind, lang: NoticeLanguage) -> None:
    body = body_of(kind, lang)
    text = render.markdown_to_text(body)
    for rendered in (body, text):
        folded = rendered.casefold()
        for value in FORBIDDEN:
            assert value.casefold() not in folded, f"{value!r} leaked in {kind} {lang}"
    _, posts = transient_incident()
    assert render.find_leaks(body, render.leaked_values(posts), allowed=[URL_1, URL_2]) == []


@pytest.mark.parametrize("lang", [NL, EN])
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_template_is_versioned(kind: NoticeKind, lang: NoticeLanguage) -> None:
    assert render.template_version(kind, lang) == f"{kind.value}.{lang.value}.v1+blocks.v1"


def test_threat_only_incident_cites_no_doxing() -> None:
    inp = _input(NoticeKind.DSA_NOTICE, EN)
    inp.incident.doxing_call = False
    inp.incident.personal_data = False
    body = render.render(inp)
    assert "art. 285 Sr" in body and "art. 285d Sr" not in body
    assert "art. 6:196c BW" in body  # the platform's duty is cited in every DSA notice


def test_find_leaks_sees_values_written_differently() -> None:
    _, posts = transient_incident()
    values = render.leaked_values(posts)
    assert render.find_leaks("bel 06 1234 5678", values) == [
        "contains a leaked PHONE of post p-leak"
    ]
    assert render.find_leaks("kenteken gh123k", values) == [
        "contains a leaked LICENSE_PLATE of post p-leak"
    ]
    assert render.find_leaks(f"zie {URL_1}", values, allowed=[URL_1]) == []


def test_markdown_to_text_drops_markup() -> None:
    text = render.markdown_to_text("# Title\n\n**To:** X\n\n## Part\n- item\n")
    assert text == "Title\n=====\n\nTo: X\n\nPart\n----\n- item\n"


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.mark.parametrize("lang", [NL, EN])
@pytest.mark.parametrize("kind", list(NoticeKind))
def test_pdf_text_holds_urls_and_legal_grounds_and_no_leak(
    kind: NoticeKind, lang: NoticeLanguage
) -> None:
    body = body_of(kind, lang)
    pdf = export.to_pdf(body, title="t", reference=render.reference(NOTICE_ID), author=NOTIFIER)
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    assert URL_1 in text and URL_2 in text
    assert "art. 285 Sr" in text and "art. 285d Sr" in text
    if kind is not NoticeKind.AANGIFTE and kind is not NoticeKind.ORDER_125P:
        assert "art. 6:196c BW" in text
    assert render.reference(NOTICE_ID) in text
    assert "+316******78" in text  # masks survive typesetting (their stars are not markup)
    for value in FORBIDDEN:
        assert value.casefold() not in text.casefold()


def test_eml_has_headers_text_body_and_pdf() -> None:
    body = body_of(NoticeKind.DSA_NOTICE, NL)
    pdf = export.to_pdf(body, title="t", reference="DXW-1", author=NOTIFIER)
    msg = export.to_eml(
        text=render.markdown_to_text(body),
        subject=render.subject_of(body, "x"),
        sender_name=NOTIFIER,
        sender_email=NOTIFIER_EMAIL,
        recipient=RECIPIENT,
        notice_id=NOTICE_ID,
        template_version="dsa_notice.nl.v1+blocks.v1",
        pdf=pdf,
        pdf_name="DXW-1.pdf",
    )
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert parsed["To"] == RECIPIENT
    assert NOTIFIER_EMAIL in parsed["From"] and NOTIFIER in parsed["From"]
    assert parsed["Subject"].startswith("Melding illegale inhoud (art. 16 DSA)")
    assert parsed["X-Unsent"] == "1"
    assert parsed["X-Doxwatch-Notice"] == NOTICE_ID
    assert parsed["Message-ID"] and parsed["Date"]
    text_part = parsed.get_body(preferencelist=("plain",))
    assert text_part is not None
    text = text_part.get_content()
    assert URL_1 in text and "**Aan:**" not in text and "Aan: " in text
    assert "te goeder trouw" in text and "+316******78" in text
    attachments = list(parsed.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["DXW-1.pdf"]
    assert attachments[0].get_content().startswith(b"%PDF-")
    for value in FORBIDDEN:
        assert value.casefold() not in text.casefold()

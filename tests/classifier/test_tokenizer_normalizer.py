"""Social tokenizer and de-obfuscating normaliser: offsets always refer to the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language

SAMPLE = (
    "@jan_devries #politie, (#ACAB)! https://voorbeeld.nl/x?y=1 h.boersma@kpnmail.nl 😡 "
    "👮🏽‍♂️agent GH-123-K 06-12345678 12-03-1985 po-po 5-0 ME'ers 🇳🇱"
)
WHOLE = [
    "@jan_devries",
    "#politie",
    "#ACAB",
    "https://voorbeeld.nl/x?y=1",
    "h.boersma@kpnmail.nl",
    "😡",
    "👮🏽\u200d♂️",
    "GH-123-K",
    "06-12345678",
    "12-03-1985",
    "po-po",
    "5-0",
    "ME'ers",
    "🇳🇱",
]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_social_tokens_stay_whole(lang: str, nl: Language, en: Language) -> None:
    nlp = nl if lang == "nl" else en
    tokens = [t.text for t in nlp.make_doc(SAMPLE)]
    for whole in WHOLE:
        assert whole in tokens, (whole, tokens)


def test_hashtag_norm_drops_the_hash(nl: Language) -> None:
    doc = nl("#Politie en #p0litie")
    assert [t.norm_ for t in doc] == ["politie", "en", "politie"]
    assert doc[0]._.norm_text == "politie"


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        ("h.boersma [at] kpnmail [punt] nl", "h.boersma@kpnmail.nl"),
        ("h.boersma (at) kpnmail (dot) nl", "h.boersma@kpnmail.nl"),
        ("mail me: h.boersma at kpnmail dot nl", "h.boersma@kpnmail.nl"),
        ("jan88 {at} voorbeeld [.] com", "jan88@voorbeeld.com"),
    ],
)
def test_obfuscated_emails_become_one_token(nl: Language, text: str, norm: str) -> None:
    doc = nl(text)
    assert doc.text == text
    [email] = [d for d in doc._.deobfuscations if d.kind == "email"]
    assert email.value == norm
    assert norm in [t.norm_ for t in doc]
    merged = next(t for t in doc if t.norm_ == norm)
    assert text[merged.idx : merged.idx + len(merged.text)] == merged.text
    assert merged._.is_obfuscated


def test_plain_prose_with_at_and_dot_is_not_an_email(en: Language) -> None:
    doc = en("look at this dot com bubble, amazing")
    assert not [d for d in doc._.deobfuscations if d.kind == "email"]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("k i l l", "kill"),
        ("k.i.l.l", "kill"),
        ("d00d", "dood"),
        ("m00rd", "moord"),
        ("sm3ris", "smeris"),
        ("p o l i t i e", "politie"),
        ("k-i-l-l", "kill"),
        ("smerisss", "smeris"),
        ("k1ll", "kill"),
    ],
)
def test_spaced_and_leet_spellings(nl: Language, text: str, word: str) -> None:
    doc = nl(f"die {text} ja")
    assert word in [t.norm_ for t in doc]
    assert doc.text == f"die {text} ja"
    assert doc._.norm_text.split() == ["die", word, "ja"]


def test_plates_and_postcodes_are_not_de_leeted(nl: Language) -> None:
    doc = nl("GH-123-K en 1234AB en covid19")
    assert [t.norm_ for t in doc] == ["gh-123-k", "en", "1234ab", "en", "covid19"]
    assert doc._.deobfuscations == []


def test_quotes_are_found(nl: Language) -> None:
    text = 'hij schreef "ik steek je neer" en werd opgepakt'
    doc = nl(text)
    assert [text[s:e] for s, e in doc._.quotes] == ['"ik steek je neer"']


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "k i l l",
                "agent",
                "d00d",
                "[at]",
                "jan",
                "(punt)",
                "nl",
                "#politie",
                "😡",
                "06-12345678",
                " ",
                ",",
                "s m e r i s",
            ]
        ),
        max_size=12,
    )
)
def test_normaliser_never_changes_the_text(nl: Language, parts: list[str]) -> None:
    text = " ".join(parts) or "x"
    doc = nl(text)
    assert doc.text == text
    for d in doc._.deobfuscations:
        assert 0 <= d.start < d.end <= len(text)

"""doxwatch_officer_mentions_v1 and doxwatch_cue_tagger_v1."""

from __future__ import annotations

import pytest
from spacy.language import Language


def mentions(nlp: Language, text: str) -> list[str]:
    doc = nlp(text)
    for m in doc._.officer_mentions:
        assert text[m.start : m.end] == m.text
    return [m.text for m in doc._.officer_mentions]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("de politie kwam", "politie"),
        ("die agente weer", "agente"),
        ("twee agenten", "agenten"),
        ("de wijkagent", "wijkagent"),
        ("een rechercheur", "rechercheur"),
        ("hoofdagent X", "hoofdagent"),
        ("de brigadier", "brigadier"),
        ("inspecteur", "inspecteur"),
        ("de ME'ers", "ME'ers"),
        ("mobiele eenheid", "mobiele eenheid"),
        ("die boa", "boa"),
        ("handhavers overal", "handhavers"),
        ("de marechaussee", "marechaussee"),
        ("vieze smeris", "smeris"),
        ("die juten", "juten"),
        ("een diender", "diender"),
        ("klabakken", "klabakken"),
        ("de bromsnor", "bromsnor"),
        ("popo!", "popo"),
        ("5-0 komt eraan", "5-0"),
        ("the feds", "the feds"),
        ("#politie", "#politie"),
        ("kutpolitie", "kutpolitie"),
        ("politiegeweld", "politiegeweld"),
        ("motoragent", "motoragent"),
        ("polietie", "polietie"),
        ("agend", "agend"),
        ("pliesie", "pliesie"),
        ("sm3ris", "sm3ris"),
        ("blauw op straat", "blauw op straat"),
        ("die wouten", "wouten"),
        ("de kit staat op de hoek", "kit"),
        ("de blauwe is er", "blauwe"),
        ("ME ingezet bij de demo", "ME"),
        ("die wout weer", "wout"),
        ("a cop", "cop"),
    ],
)
def test_dutch_officer_terms(nl: Language, text: str, term: str) -> None:
    assert term in mentions(nl, text)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("the cops came", "cops"),
        ("police officer", "police officer"),
        ("po-po", "po-po"),
        ("a copper", "copper"),
        ("this officer again", "officer"),
        ("ACAB and the pigs", "pigs"),
        ("the feds are here", "the feds"),
    ],
)
def test_english_officer_terms(en: Language, text: str, term: str) -> None:
    assert term in mentions(en, text)


@pytest.mark.parametrize(
    "text",
    [
        "de politiek is rot",
        "kit in de badkamer",
        "de siliconen kit is op",
        "Wout van Aert wint",
        "Wout Weghorst scoort",
        "de blauwe auto",
        "geef me dat",
        "geheim agent 007",
        "we wonnen met 5-0 in de wedstrijd",
        "reisagent",
        "wat een agenda",
        "ACAB",
        "1312",
    ],
)
def test_not_officer_mentions_in_dutch(nl: Language, text: str) -> None:
    assert mentions(nl, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "our compliance officer",
        "the estate agent",
        "pigs on the farm",
        "give it to me",
        "data protection officer",
        "private detective",
    ],
)
def test_not_officer_mentions_in_english(en: Language, text: str) -> None:
    assert mentions(en, text) == []


def test_slogans_are_kept_apart(nl: Language) -> None:
    doc = nl("ACAB #1312 fuck the police")
    assert doc._.officer_mentions == []
    assert [s.text for s in doc._.police_slogans] == ["ACAB", "#1312", "fuck the police"]


def test_token_attributes(nl: Language) -> None:
    doc = nl("ik steek die smeris neer, Kerkstraat 12")
    smeris = next(t for t in doc if t.text == "smeris")
    assert smeris._.officer_kind == "slang"
    assert "violence" in doc[1]._.cues
    assert doc[-1]._.pii_label == "ADDRESS"
    assert not doc[0]._.is_obfuscated


# ------------------------------------------------------------------------ cues


def cues(nlp: Language, text: str) -> dict[str, list[str]]:
    doc = nlp(text)
    return {k: [m.text for m in v] for k, v in doc._.cues.items()}


@pytest.mark.parametrize(
    ("text", "category", "phrase"),
    [
        ("ik steek die agent neer", "violence", "steek die agent neer"),
        ("we maken hem af.", "violence", "maken hem af"),
        ("wacht hem op na zijn dienst", "violence", "wacht hem op"),
        ("zoek uit waar ze woont", "doxing_request", "zoek uit"),
        ("we weten waar je woont", "intimidation", "we weten waar je woont"),
        ("naam en adres graag", "pii_object", "adres"),
        ("deel dit tot we weten wie hij is", "identity_goal", "tot we weten wie"),
        ("ik heb zijn adres, stuur me een DM", "doxing_offer", "ik heb zijn adres"),
        ("hij woont daar", "address_to_person", "woont"),
        ("agent bedreigd in Rotterdam", "reporting", "bedreigd"),
        ("dit is walgelijk", "condemnation", "walgelijk"),
        ("doxen is strafbaar", "warning", "doxen is strafbaar"),
        ("ik maak je af in Fortnite", "game", "Fortnite"),
        ("ik ga een klacht indienen", "lawful", "klacht indienen"),
        ("m00rd op die smeris", "violence", "m00rd"),
    ],
)
def test_dutch_cues(nl: Language, text: str, category: str, phrase: str) -> None:
    assert phrase in cues(nl, text).get(category, [])


def test_separable_particle_must_close_the_clause(nl: Language) -> None:
    assert "violence" not in cues(nl, "ik wacht op de bus")


@pytest.mark.parametrize(
    ("text", "category", "phrase"),
    [
        ("i will kill that cop", "violence", "kill"),
        ("who knows his address", "doxing_request", "who knows"),
        ("dm me his address", "doxing_request", "dm me"),
        ("burn the station", "violence", "burn the station"),
        ("we know where you live", "intimidation", "we know where you live"),
        ("im gonna sh00t him", "violence", "sh00t"),
    ],
)
def test_english_cues(en: Language, text: str, category: str, phrase: str) -> None:
    assert phrase in cues(en, text).get(category, [])

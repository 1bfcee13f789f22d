"""The rule-based labels against LABELS.md: what counts and each "does not count" category."""

from __future__ import annotations

import pytest

from services.classifier.detector import Detector, PostText
from services.events import Classification


def classify(detector: Detector, text: str, lang: str | None = None) -> Classification:
    [result] = detector.classify([PostText(id="t", text=text, lang=lang)])
    return result


def fired(detector: Detector, text: str, lang: str | None = None) -> set[str]:
    labels = classify(detector, text, lang).labels
    return {name for name, value in labels.model_dump().items() if value}


# ------------------------------------------------------------------------ threat

THREATS = [
    "ik steek die agent neer",
    "als hij nog een keer langskomt ligt hij in het ziekenhuis, die smeris",
    "we weten waar je woont",
    "mooie fiets heeft je dochter",
    "iemand moet die diender eens opwachten",
    "burn the station down, fuck the police",
    "die sm3ris moet d00d",
    "k i l l all cops",
    "I know where you live, officer. Watch your back",
    "im gonna sh00t the next c0p that pulls me over",
    "geen fortnite dit keer, ik maak die agent echt af",
]


@pytest.mark.parametrize("text", THREATS)
def test_threats(detector: Detector, text: str) -> None:
    assert "threat" in fired(detector, text)


@pytest.mark.parametrize(
    ("category", "text"),
    [
        ("news", "Agent bedreigd in Rotterdam, verdachte (23) aangehouden"),
        ("news", "Man veroordeeld tot celstraf voor bedreigen agent, meldt het OM"),
        ("condemnation", "Walgelijk dat iemand zegt dat hij agenten wil afmaken"),
        ("quoting", 'Iemand schreef "ik steek die agent neer" onder mijn post. Gemeld.'),
        ("insult", "ACAB"),
        ("insult", "kutpolitie"),
        ("insult", "fuck the police"),
        ("not officers", "ik maak je af in Fortnite"),
        ("not officers", "if the NS cancels my train again i'm going to scream"),
        ("lawful", "ik ga een klacht indienen over die agent"),
        ("lawful", "ik zie je in de rechtszaal, agent"),
        ("negation", "ik zou nooit een agent steken"),
        ("idiom", "ik ga dood van het lachen om die agent"),
        ("idiom", "this exam is going to kill me before the cops do lol"),
    ],
)
def test_not_threats(detector: Detector, category: str, text: str) -> None:
    assert "threat" not in fired(detector, text), category


# ------------------------------------------------------------------ doxing_call

DOXING = [
    "wie kent deze agent?",
    "naam en adres van deze smeris graag",
    "deel dit tot we weten wie hij is",
    "ik heb zijn adres, stuur me een DM",
    "zoek uit waar ze woont",
    "anyone know where that cop lives? need the exact house number",
    "Femke Dekker, ME, Weteringschans 77, 06-19348825. deel dit overal",
]


@pytest.mark.parametrize("text", DOXING)
def test_doxing_calls(detector: Detector, text: str) -> None:
    assert "doxing_call" in fired(detector, text)


@pytest.mark.parametrize(
    ("category", "text"),
    [
        ("station address", "wat is het adres van het politiebureau in Utrecht?"),
        ("station phone", "wat is het telefoonnummer van het bureau in Zwolle?"),
        ("spokesperson", "wie is de woordvoerder van de politie Rotterdam? ik ben journalist"),
        ("official channel", "welk bureau behandelt mijn aangifte?"),
        ("warning", "Let op: doxen is strafbaar, deel geen adressen van agenten"),
        ("warning", "please do not share the address of that officer, report it"),
        ("not an officer", "Gevonden: bruine labrador. Wie kent het baasje? Bel 06-12345678"),
        ("idiom", "Wie kent het: je ziet een politieauto en gaat ineens keurig rijden"),
    ],
)
def test_not_doxing_calls(detector: Detector, category: str, text: str) -> None:
    assert "doxing_call" not in fired(detector, text), category


# ---------------------------------------------------------------- personal_data

PERSONAL = [
    "Die agent woont op de Kerkstraat 12, 1234 AB Utrecht",
    "De rechercheur rijdt in een auto met kenteken GH-123-K",
    "Zijn vrouw Sandra werkt bij de bakker, die agent is een klootzak",
    "mail die rechercheur: h.boersma [at] kpnmail [punt] nl",
    "die smeris heet eigenlijk Ruben Hoekstra",
    "privénummer van die wijkagent: 06-38174629",
    "de agent die mij aanhield woont in 1234 AB",
]


@pytest.mark.parametrize("text", PERSONAL)
def test_personal_data(detector: Detector, text: str) -> None:
    assert "personal_data" in fired(detector, text)


@pytest.mark.parametrize(
    ("category", "text"),
    [
        ("station address", "Het politiebureau zit aan de Kerkstraat 12 in Utrecht"),
        ("service number", "Bel de politie via 0900-8844 als het geen spoed is"),
        ("official account", "volg @politie_utrecht voor updates over de wijkagent"),
        ("news or court", "Agent Jansen verklaarde in de rechtbank dat hij werd bedreigd"),
        ("not an officer", "Te koop: fiets, ophalen Kerkstraat 12 Utrecht, bel 06-12345678"),
        ("incomplete", "die agent woont ergens in Zuid"),
        ("spokesperson", "woordvoerder Jan de Vries van de politie zegt dat het rustig was"),
    ],
)
def test_not_personal_data(detector: Detector, category: str, text: str) -> None:
    assert "personal_data" not in fired(detector, text), category


# ------------------------------------------------------------------ explanation


def test_explanation_names_the_rules_cues_and_spans(detector: Detector) -> None:
    result = classify(detector, "ik steek die agent neer, hij woont op de Kerkstraat 12")
    assert result.labels.threat and result.labels.personal_data
    threat = result.explanation["threat"]
    assert threat["rules"] == ["harm_police_stance"]
    assert {e.get("cue") for e in threat["evidence"]} >= {"violence", "intent"}
    assert any(e.get("officer") == "formal" for e in threat["evidence"])
    assert result.explanation["spans"] == [{"start": 41, "end": 54, "label": "ADDRESS"}]
    assert "rules" in result.explanation["scoring"]
    assert "doxing_call" not in result.explanation
    assert result.scores.threat == 0.9
    assert result.scores.doxing_call < 0.5


def test_blocked_rules_are_explained(detector: Detector) -> None:
    result = classify(detector, "Walgelijk dat iemand zegt dat hij agenten wil afmaken")
    assert result.explanation["blocked"]["threat"] == ["condemnation"]
    assert 0 < result.scores.threat < 0.5

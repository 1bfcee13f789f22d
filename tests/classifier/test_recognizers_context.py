"""Context rules of the personal-data recogniser: streets without a street word, towns
after an address, names after cue words, placeholders, business names.

Every name, street and number here is invented for the tests.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language

from services.personal_data import normalize

FAST = settings(max_examples=40, deadline=None)


def spans(nlp: Language, text: str) -> list[tuple[str, str]]:
    """(label, text slice) for every span; checks offsets and normalisation on the way."""
    out = []
    for s in nlp(text)._.pii:
        assert text[s.start : s.end] == s.text
        assert normalize(s.label, s.text) == s.normalized
        out.append((s.label.value, s.text))
    return out


def of_type(nlp: Language, text: str, label: str) -> list[str]:
    return [t for lab, t in spans(nlp, text) if lab == label]


# Invented street names without a street word, as Dutch new-build areas name them.
BARE_STREETS = ["Zuiderhout", "Bosrand", "Wielewaal", "Koolmees", "Akkerwinde", "Het Rond"]
HOUSE_NUMBERS = ["7", "14", "3a", "112", "21-2", "8 bis"]


# ------------------------------------------------- streets without a street word


@FAST
@given(
    st.sampled_from(BARE_STREETS),
    st.sampled_from(HOUSE_NUMBERS),
    st.sampled_from(
        [
            "die agent woont op {a} hoor",
            "ze woont aan de {a}, weet ik zeker",
            "that cop lives at {a} with his wife",
            "this officer lives on {a} now",
            "zijn adres is {a}. deel het",
            "adres: {a}",
            "ophalen op {a}, bellen graag",
            "ik weet waar je woont, {a}. tot snel",
            "{a} woont die juut",
        ]
    ),
)
def test_bare_street_after_a_residence_cue(
    nl: Language, street: str, number: str, template: str
) -> None:
    address = f"{street} {number}"
    assert of_type(nl, template.format(a=address), "ADDRESS") == [address]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("agent Bram Tuinstra, Bosrand 3, Drachten, 06-38174629", "Bosrand 3, Drachten"),
        ("Eetcafe De Rode Kater, Markt 3, Gouda. Vrijdag live muziek", "Markt 3, Gouda"),
        ("Spui 21, 2511 BL Den Haag is zijn huis", "Spui 21, 2511 BL Den Haag"),
        ("agente Ria Wolters, Het Want 8, Lelystad", "Het Want 8, Lelystad"),
    ],
)
def test_bare_street_before_a_known_town_or_postcode(nl: Language, text: str, address: str) -> None:
    assert of_type(nl, text, "ADDRESS") == [address]


@pytest.mark.parametrize(
    "text",
    [
        "Formule 1 in Zandvoort trok veel bezoekers",
        "Koningsdag 2025 in Emmen was gezellig",
        "hij woont op Instagram 24/7 lol",
        "she basically lives on TikTok 24/7",
        "I moved to Rotterdam 6 months ago",
        "moved to Amsterdam 2 weeks ago and already got a fine",
        "groep 7 van de basisschool gaat op kamp",
        "ik woon al 10 jaar in Utrecht",
        "Zuiderhout 7 keer per week gebeld",
        "Ajax 3, Feyenoord 1 vanavond",
    ],
)
def test_capitalised_word_and_number_without_evidence_is_no_address(
    nl: Language, text: str
) -> None:
    assert "ADDRESS" not in [label for label, _ in spans(nl, text)]


def test_postbox_is_organisational(nl: Language) -> None:
    assert spans(nl, "bezwaar naar Postbus 9001, 3500 GA Utrecht sturen") == []


# ------------------------------------------------------------ street name forms


@pytest.mark.parametrize(
    ("text", "address", "canonical"),
    [
        (
            "woont in Laan van Nieuw Oost-Indië 112, Den Haag",
            "Laan van Nieuw Oost-Indië 112, Den Haag",
            "laan van nieuw oost-indie 112 den haag",
        ),
        ("woont op Burg. Jansenlaan 18", "Burg. Jansenlaan 18", "burgemeester jansenlaan 18"),
        (
            "ze woont op de 2e Jan Steenstraat 14-II boven de kapper",
            "2e Jan Steenstraat 14-II",
            "2e jan steenstraat 14ii",
        ),
        (
            "woont op Hooglandse Kerkgracht 40. ze post alles",
            "Hooglandse Kerkgracht 40",
            "hooglandse kerkgracht 40",
        ),
        ("woont op Jan van Galenstraat 4", "Jan van Galenstraat 4", "jan van galenstraat 4"),
        ("het is Bloemgracht 90 hoog toch?", "Bloemgracht 90 hoog", "bloemgracht 90hg"),
        (
            "adres: Van Speijkstraat 31-huis, Amsterdam",
            "Van Speijkstraat 31-huis, Amsterdam",
            "van speijkstraat 31huis amsterdam",
        ),
        (
            "woont op Kerkstraat nr. 12 in Delft",
            "Kerkstraat nr. 12 in Delft",
            "kerkstraat 12 delft",
        ),
        ("woont op Weteringschans 77-2, bel", "Weteringschans 77-2", "weteringschans 77-2"),
        ("lives at 27 Beukenlaan, grey door", "27 Beukenlaan", "beukenlaan 27"),
        ("she lives at 12 Kerkstraat, Utrecht", "12 Kerkstraat, Utrecht", "kerkstraat 12 utrecht"),
    ],
)
def test_street_name_forms(nl: Language, text: str, address: str, canonical: str) -> None:
    found = [s for s in nl(text)._.pii if s.label.value == "ADDRESS"]
    assert [(s.text, s.normalized) for s in found] == [(address, canonical)]


@pytest.mark.parametrize(
    ("text", "person", "address"),
    [
        ("Pakketje voor M. Jonker van Esdoornlaan 31 is hier", "M. Jonker", "Esdoornlaan 31"),
        ("Pieter Smeets van de Merelstraat 3, ik weet het", "Pieter Smeets", "Merelstraat 3"),
        ("mijn buurvrouw Marloes, Kievitlaan 12 😂", "Marloes", "Kievitlaan 12"),
    ],
)
def test_a_name_before_a_street_stays_apart(
    nl: Language, text: str, person: str, address: str
) -> None:
    assert of_type(nl, text, "PERSON") == [person]
    assert of_type(nl, text, "ADDRESS") == [address]


# ------------------------------------------------------------ towns after it


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("woont op Molenweg 5 in Zevenhuizen denk ik", "Molenweg 5 in Zevenhuizen"),
        ("woont op Schoolstraat 12 te Krommenie", "Schoolstraat 12 te Krommenie"),
        ("woont op Oude Kerkstraat 2, Wijk bij Duurstede", "Oude Kerkstraat 2, Wijk bij Duurstede"),
        ("in De Dreef 6, Berkel en Rodenrijs", "De Dreef 6, Berkel en Rodenrijs"),
        (
            "Koningsweg 10, 5211 BL 's-Hertogenbosch, daar",
            "Koningsweg 10, 5211 BL 's-Hertogenbosch",
        ),
        ("ze woont aan de oudegracht 150 in utrecht", "oudegracht 150 in utrecht"),
        ("Kerkstraat 17 Oss", "Kerkstraat 17 Oss"),
        ("die agent woont op lindelaan 14 utrecht", "lindelaan 14 utrecht"),
        ("woont op Kerkstraat 5 best wel ver weg", "Kerkstraat 5"),
        ("woont op Kerkstraat 5 in December verhuisd", "Kerkstraat 5"),
    ],
)
def test_town_after_the_address(nl: Language, text: str, address: str) -> None:
    assert of_type(nl, text, "ADDRESS") == [address]


# ------------------------------------------------------------------ placeholders


@pytest.mark.parametrize(
    "text",
    [
        "geef zijn adres? ja hoor: Sesamstraat 1, Amsterdam 🤡",
        "bel maar naar 06-12345678 haha",
        "my address is 123 Fake Street lol",
        "mail naar jan@example.com",
        "postcode 9999 ZZ, succes ermee",
        "Nepstraat 0, 1234 ZZ Nergenshuizen 🤡",
    ],
)
def test_placeholders_get_no_span(nl: Language, text: str) -> None:
    assert spans(nl, text) == []


# ---------------------------------------------------------------------- persons


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("die agente is de moeder van Noor uit groep 7", ["Noor"]),
        ("ze is de dochter van Henk Bosman van de bakkerij", ["Henk Bosman"]),
        ("de zoon van Bosman zit bij mij in de klas", ["Bosman"]),
        ("agent van der Plas deed niks", ["van der Plas"]),
        ("agent van Dijk deed niks", ["van Dijk"]),
        ("Rechter Van Wijk vroeg waarom", ["Van Wijk"]),
        ("die scheidsrechter De Groot was slecht", ["De Groot"]),
        ("de wijkagent van de Vogelbuurt houdt spreekuur", []),
        ("de wijkagent van Oosterpark houdt spreekuur", []),
        ("de boa van de Grote Markt is streng", []),
        ("boa Dordrecht deelt weer boetes uit", []),
        ("Detective Inspector Jane Walsh lives in Leeds", ["Jane Walsh"]),
    ],
)
def test_names_after_cues(nl: Language, text: str, names: list[str]) -> None:
    assert of_type(nl, text, "PERSON") == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("de vriendin van agent Mo Bouzid Sara heet en", ["Mo Bouzid", "Sara"]),
        ("Chantal Groen boa Dordrecht // geboren 1986", ["Chantal Groen"]),
        ("Neem contact op met Marco Hulst, jeugdtrainer", ["Marco Hulst"]),
    ],
)
def test_name_boundaries(nl: Language, text: str, names: list[str]) -> None:
    assert of_type(nl, text, "PERSON") == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("agent jan de vries heeft mij beboet", ["jan de vries"]),
        ("die wijkagent, sanne de boer, woont hier", ["sanne de boer"]),
        ("die wijkagent henk weet alles", ["henk"]),
        ("die juut koen is mijn oude klasgenoot", ["koen"]),
        ("die smeris Kevin de Wit weer", ["Kevin de Wit"]),
        ("die wijkagent laat z'n hond uit", []),
        ("the cop said he would come back", []),
        ("boa dan trek ik het niet meer", []),
    ],
)
def test_lower_case_names_after_titles(nl: Language, text: str, names: list[str]) -> None:
    assert of_type(nl, text, "PERSON") == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("alleen voornaam Jesper bekend", ["Jesper"]),
        ("haar naam is Julia Kok", ["Julia Kok"]),
        ("die agent heet Ewout, meer weet ik niet", ["Ewout"]),
        ("mijn buurvrouw Anja is agente", ["Anja"]),
        ("tante Truus weet waar hij woont", ["Truus"]),
        ("die ME'er is mijn ex, Danny Peters", ["Danny Peters"]),
        ("Gert-Jan van de recherche is een eikel", ["Gert-Jan"]),
        ("Jasper de ME'er, ik weet waar je woont", ["Jasper"]),
    ],
)
def test_naming_and_relation_cues(nl: Language, text: str, names: list[str]) -> None:
    assert of_type(nl, text, "PERSON") == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Dewi Hendriks (27) uit Heerlen kreeg een taakstraf", ["Dewi Hendriks"]),
        ("tell your boy to enjoy practice while he can, Bosman.", ["Bosman"]),
        ("Eindelijk Jansen gesproken over de verbouwing", ["Jansen"]),
        ("Rijwielhandel Jansen: ma gesloten", []),
        ("t.n.v. Klusbedrijf Van Dijk. Bedankt", []),
        ("Beste Jansen, uw aanvraag is binnen", ["Jansen"]),
        ("Groen licht voor het nieuwe bureau", []),
        ("de Maas staat hoog vandaag", []),
        ("the White House issued a statement", []),
    ],
)
def test_known_surnames(nl: Language, text: str, names: list[str]) -> None:
    assert of_type(nl, text, "PERSON") == names


@pytest.mark.parametrize(
    "text",
    [
        "Johan Cruijff ArenA was uitverkocht",
        "Anne Frank Huis krijgt extra beveiliging",
        "Sanne Wielstra Fotografie zoekt modellen",
        "Ben je gek, die agent is aardig",
        "Ben gisteren aangehouden door een agent",
        "Dan gaan we morgen wel",
        "Lieve collega's van het basisteam, bedankt",
    ],
)
def test_not_person_names(nl: Language, text: str) -> None:
    assert of_type(nl, text, "PERSON") == []


@FAST
@given(
    st.sampled_from(["Femke", "Youssef", "Mehmet", "Gert-Jan", "Priya", "Kevin"]),
    st.sampled_from(["", "van ", "de ", "van der ", "El "]),
    st.sampled_from(["Zwanenburg", "Hoefnagel", "Bakker", "Ramlal", "Yilmaz"]),
    st.sampled_from(["agent {n} woont hier", "rechercheur {n}, bureau Zuid", "wijkagent: {n}"]),
)
def test_generated_names_after_titles(
    nl: Language, first: str, particle: str, last: str, template: str
) -> None:
    name = f"{first} {particle}{last}"
    assert of_type(nl, template.format(n=name), "PERSON") == [name]


# ------------------------------------------------------------------ other types


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("ik wil haar insta vinden", []),
        ("TikTok zegt dat het mag", []),
        ("Snapchat-account dat fotos deelde", []),
        ("in een string of Instagram videos", []),
        ("fb of insta zoeken", []),
        ("zijn insta is sannevdberg", ["sannevdberg"]),
        ("hey @sandra.k.politie leuke foto's", ["@sandra.k.politie"]),
        ("volg @politie_utrecht", []),
    ],
)
def test_platform_words_and_handles(nl: Language, text: str, handles: list[str]) -> None:
    assert of_type(nl, text, "SOCIAL_HANDLE") == handles


def test_spaced_email(nl: Language) -> None:
    text = "help me zoeken: m.kuipers.1986 @ hotmail . com is van hem"
    [email] = [s for s in nl(text)._.pii if s.label.value == "EMAIL"]
    assert (email.text, email.normalized) == (
        "m.kuipers.1986 @ hotmail . com",
        "m.kuipers.1986@hotmail.com",
    )


@pytest.mark.parametrize(
    ("text", "date", "normalized"),
    [
        (
            "Hieperdepiep voor Tim, die lieve agent van de flitser 😘 03-05-1988!",
            "03-05-1988",
            "1988-05-03",
        ),
        ("gefeliciteerd met je verjaardag op 11 april agent Koen", "11 april", "--04-11"),
        ("Gefeliciteerd lieve Lotte!! 🎂 op 3 maart 1999 kwam jij", "3 maart 1999", "1999-03-03"),
        ("his birthday is June 5, just saying", "June 5", "--06-05"),
    ],
)
def test_birthdays(nl: Language, text: str, date: str, normalized: str) -> None:
    found = [(s.text, s.normalized) for s in nl(text)._.pii if s.label.value == "DATE_OF_BIRTH"]
    assert found == [(date, normalized)]


def test_a_date_outside_a_birthday_post_is_no_birth_date(nl: Language) -> None:
    assert spans(nl, "de wedstrijd van 03-05-1988 was legendarisch") == []


# ------------------------------------------------- words that look like data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@everyone nieuwe missie: zoek die boa", []),
        ("@die agent uit het filmpje: bel me", []),
        ("het 4e van VV Hoogland, zag hem nog", []),
        ("Gert van rijschool Visser is gestopt", [("PERSON", "Gert")]),
        (
            "Ophalen Koekoeksbloem 12, 7908 ML Hoogeveen na 18u",
            [("ADDRESS", "Koekoeksbloem 12, 7908 ML Hoogeveen")],
        ),
        (
            "mijn buurman Gijs van Kwakelweg 14, nooit geweten",
            [("PERSON", "Gijs"), ("ADDRESS", "Kwakelweg 14")],
        ),
        (
            "hey agent, Johan de Wittlaan 5 heeft een mooie tuin",
            [("ADDRESS", "Johan de Wittlaan 5")],
        ),
        ("die wout laat z'n herder elke avond uit", []),
        ("voorbeeld: 'Jan Jansen, Dorpsstraat 1, 1234 AB Ergens'", []),
        ("de nieuwe vriendin heet Chloë, echt waar", [("PERSON", "Chloë")]),
    ],
)
def test_look_alikes(nl: Language, text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(nl, text) == expected


def test_birth_date_cue_after_the_date(nl: Language) -> None:
    assert spans(nl, "die agente is op 30-11-1995 jarig") == [("DATE_OF_BIRTH", "30-11-1995")]

"""doxwatch_pii_recognizer_v1: every personal-data type, valid and invalid, with offsets.

All data is invented: generated numbers that pass their checksums, made-up names.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from services.personal_data import is_placeholder, normalize
from tests.test_personal_data import bsns, ibans, mobiles, plates, postcodes

FAST = settings(max_examples=40, deadline=None)


def spans(nlp: Language, text: str) -> list[tuple[str, str, str]]:
    """(label, text slice, normalized) for every span; checks the offsets on the way."""
    doc = nlp(text)
    out = []
    for s in doc._.pii:
        assert text[s.start : s.end] == s.text
        assert normalize(s.label, s.text) == s.normalized
        out.append((s.label.value, s.text, s.normalized))
    return out


def labels(nlp: Language, text: str) -> list[str]:
    return [label for label, _, _ in spans(nlp, text)]


# ------------------------------------------------------------- generated values


@FAST
@given(plates())
def test_generated_plates_are_found(nl: Language, generated: tuple[str, int]) -> None:
    plate, _ = generated
    assert ("LICENSE_PLATE", plate, plate.replace("-", "")) in spans(
        nl, f"hij rijdt in een grijze auto, {plate}, elke dag"
    )


@FAST
@given(bsns())
def test_generated_bsns_need_a_cue(nl: Language, number: str) -> None:
    assert ("BSN", number, number) in spans(nl, f"zijn bsn is {number} toch")
    assert "BSN" not in labels(nl, f"bestelnummer {number} is verzonden")


@FAST
@given(ibans())
def test_generated_ibans_are_found(nl: Language, number: str) -> None:
    spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    assert ("IBAN", spaced, number) in spans(nl, f"maak het over naar {spaced} graag")
    assert ("IBAN", number, number) in spans(nl, f"rekening {number}.")


@FAST
@given(mobiles, st.sampled_from(["{a}-{b}", "{a} {b}", "+31 6 {b}", "0031 6 {b}"]))
def test_generated_phones_are_found(nl: Language, number: str, style: str) -> None:
    written = style.format(a=number[:2], b=number[2:])
    assume(not is_placeholder("PHONE", "+31" + number[1:]))  # "06-99999999" is made up
    assert ("PHONE", written, "+31" + number[1:]) in spans(nl, f"bel hem op {written} vanavond")


@FAST
@given(postcodes)
def test_generated_postcodes_are_found(nl: Language, code: str) -> None:
    written = f"{code[:4]} {code[4:]}"
    assume(not is_placeholder("POSTCODE", code))  # "9999 ZZ" is made up
    assert ("POSTCODE", written, code) in spans(nl, f"hij woont in {written}, echt waar")


# ------------------------------------------------------------ invalid values


@pytest.mark.parametrize(
    "text",
    [
        "zijn bsn is 111222334 toch",
        "rekening NL91ABNA0417164301",
        "postcode 1234 SS",
        "kenteken AE-123-K",
        "bel 06-1234",
        "geboren op 31-02-1985",
        "hij woont in 0123 AB",
        "12-34-56 is geen kenteken",
        "score was 3-1-0",
    ],
)
def test_invalid_values_are_not_spans(nl: Language, text: str) -> None:
    assert spans(nl, text) == []


# ------------------------------------------------------------------ addresses


@pytest.mark.parametrize(
    ("text", "address", "canonical"),
    [
        (
            "Die agent woont op de Kerkstraat 12a, 1234 AB Utrecht. Echt.",
            "Kerkstraat 12a, 1234 AB Utrecht",
            "kerkstraat 12a 1234ab utrecht",
        ),
        (
            "adres: Burgemeester de Withstraat 3 bis",
            "Burgemeester de Withstraat 3 bis",
            "burgemeester de withstraat 3bis",
        ),
        ("hij zit op de Johan de Wittlaan 5", "Johan de Wittlaan 5", "johan de wittlaan 5"),
        (
            "woont aan de Laan van Meerdervoort 12",
            "Laan van Meerdervoort 12",
            "laan van meerdervoort 12",
        ),
        ("kerkstraat 12-II", "kerkstraat 12-II", "kerkstraat 12ii"),
        (
            "Dorpsstraat 3, Bunnik. Hij parkeert daar",
            "Dorpsstraat 3, Bunnik",
            "dorpsstraat 3 bunnik",
        ),
        (
            "woont in de Meidoornstraat 18 in Zoetermeer, fiets",
            "Meidoornstraat 18 in Zoetermeer",
            "meidoornstraat 18 zoetermeer",
        ),
        (
            "he lives at 12 Baker Street, London now",
            "12 Baker Street, London",
            "baker street 12 london",
        ),
        ("De Kerkstraat 5 is afgesloten", "Kerkstraat 5", "kerkstraat 5"),
    ],
)
def test_addresses(nl: Language, text: str, address: str, canonical: str) -> None:
    assert ("ADDRESS", address, canonical) in spans(nl, text)


def test_postcode_inside_an_address_is_part_of_it(nl: Language) -> None:
    assert labels(nl, "Kerkstraat 12, 1234 AB Utrecht") == ["ADDRESS"]
    assert labels(nl, "postcode 1234 AB") == ["POSTCODE"]


@pytest.mark.parametrize(
    "text",
    [
        "we staan al 2 uur op de snelweg 12 km file",
        "onderweg 2 uur",
        "hij woont ergens in Zuid",
        "Het politiebureau zit aan de Kerkstraat 12 in Utrecht",
        "straat 5",
    ],
)
def test_not_addresses(nl: Language, text: str) -> None:
    assert "ADDRESS" not in labels(nl, text)


# ---------------------------------------------------------------- other types


def test_obfuscated_email_span_covers_the_original_spelling(nl: Language) -> None:
    text = "mail h.boersma [at] kpnmail [punt] nl of bel"
    assert spans(nl, text) == [
        ("EMAIL", "h.boersma [at] kpnmail [punt] nl", "h.boersma@kpnmail.nl")
    ]


def test_plain_email_and_handles(nl: Language) -> None:
    found = spans(nl, "jan.devries88@voorbeeld.nl en @jan_devries88, insta: sanne.x99")
    assert found == [
        ("EMAIL", "jan.devries88@voorbeeld.nl", "jan.devries88@voorbeeld.nl"),
        ("SOCIAL_HANDLE", "@jan_devries88", "jan_devries88"),
        ("SOCIAL_HANDLE", "sanne.x99", "sanne.x99"),
    ]


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("ig jantje_2009", "jantje_2009"),
        ("tiktok: lotte.dk", "lotte.dk"),
        ("snap: melvin_x", "melvin_x"),
        ("https://www.instagram.com/ruben.h.88/", "ruben.h.88"),
    ],
)
def test_platform_handles(nl: Language, text: str, handle: str) -> None:
    assert [n for label, _, n in spans(nl, text) if label == "SOCIAL_HANDLE"] == [handle]


def test_snap_je_is_dutch_not_a_handle(nl: Language) -> None:
    assert spans(nl, "snap je het nou of niet") == []


def test_organisational_contact_data_is_not_personal(nl: Language) -> None:
    assert spans(nl, "bel 0900-8844 of volg @politie_utrecht") == []


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("geboren op 12 maart 1985", "1985-03-12"),
        ("DOB: March 12, 1985", "1985-03-12"),
        ("geb. 12-03-1985", "1985-03-12"),
        ("Jan de Vries (12-03-1985)", "1985-03-12"),
        ("* 12.03.1985", "1985-03-12"),
        ("verjaardag 1985-03-12", "1985-03-12"),
    ],
)
def test_dates_of_birth_with_a_cue(nl: Language, text: str, iso: str) -> None:
    assert [n for label, _, n in spans(nl, text) if label == "DATE_OF_BIRTH"] == [iso]


def test_dates_without_a_birth_cue_are_not_spans(nl: Language) -> None:
    assert "DATE_OF_BIRTH" not in labels(nl, "de demo is op 12-03-2024 op de Dam")


def test_plate_without_dashes_needs_a_cue(nl: Language) -> None:
    assert labels(nl, "zijn kenteken is gh123k") == ["LICENSE_PLATE"]
    assert labels(nl, "code gh123k") == []
    assert labels(nl, "ik-12-ab") == []


# ---------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("agent Jan de Vries deed het", "Jan de Vries"),
        ("rechercheur Bakker weer", "Bakker"),
        ("wijkagent Yılmaz", "Yılmaz"),
        ("mevrouw Van der Berg belde", "Van der Berg"),
        ("zijn vrouw Sandra werkt daar", "Sandra"),
        ("dochter Emma zit op school", "Emma"),
        ("J. van 't Hof kwam langs", "J. van 't Hof"),
        ("Fatima El Amrani", "Fatima El Amrani"),
        ("officer Mark Jansen lives there", "Mark Jansen"),
        ("agent jan de vries", "jan de vries"),
        ("zijn kids heten Finn en Liv", "Finn"),
        ("Stefan K. (41) kreeg een taakstraf", "Stefan K."),
    ],
)
def test_person_names(nl: Language, text: str, name: str) -> None:
    assert name in [t for label, t, _ in spans(nl, text) if label == "PERSON"]


@pytest.mark.parametrize(
    "text",
    [
        "agent in Zwolle",
        "boodschappen bij de Albert Heijn",
        "een man Kwam binnen",
        "Mark my words",
        "J. kwam niet",
        "een vrouw Loopt",
    ],
)
def test_not_names(nl: Language, text: str) -> None:
    assert "PERSON" not in labels(nl, text)


def test_overlaps_resolve_to_the_longest_most_specific_span(nl: Language) -> None:
    found = spans(nl, "Johan de Wittlaan 5 en NL91 ABNA 0417 1643 00")
    assert [label for label, _, _ in found] == ["ADDRESS", "IBAN"]


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "agent",
                "Jan de Vries",
                "Kerkstraat 12",
                "1234 AB",
                "06-12345678",
                "GH-123-K",
                "geboren",
                "12-03-1985",
                "@x_1",
                "h.b [at] kpn [punt] nl",
                "NL91ABNA0417164300",
                "bsn",
                "111222333",
                "😡",
                "k i l l",
                ",",
                ".",
                "\n",
                "in",
                "Utrecht",
            ]
        ),
        max_size=14,
    )
)
def test_offsets_always_slice_the_original_text(nl: Language, parts: list[str]) -> None:
    text = " ".join(parts) or "leeg"
    doc = nl(text)
    last_end = -1
    for s in doc._.pii:
        assert text[s.start : s.end] == s.text
        assert s.start >= last_end  # sorted, never overlapping
        last_end = s.end

"""The suggested legal qualification of an incident and the handling path it opens.

This is a *suggestion* for the analyst and the public prosecutor, derived from the
labels (see LABELS.md) and from whether a registered officer is concerned; a person
decides. The provisions, in short:

- art. 285 Sr: threatening (bedreiging) with a violent crime against persons or property.
- art. 285d Sr (since 1 January 2024): doxing: obtaining, spreading or otherwise making
  available identifying personal data of another with the aim of frightening them,
  causing serious nuisance or seriously hindering them in their office or profession;
  the maximum penalty is raised when the victim is a public official, such as a police
  officer, in or because of the lawful exercise of their duties.
- GTPA: the registration code for violence and threats against police officers; an
  aangifte registered with it leads the public prosecutor to a higher sentencing demand.
- art. 125p Sv: the prosecutor's order to a provider to make data inaccessible.
- art. 6:196c BW and Art. 16 Digital Services Act: a host must act once it knows of
  unlawful content (notice and action); Art. 9 DSA covers orders from authorities.

Nothing here does I/O, so the notices, the API and the console use the same text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Route(StrEnum):
    """The branches of the handling path."""

    CRIMINAL = "criminal"
    NON_CRIMINAL = "non_criminal"
    CIVIL = "civil"
    PROTOCOL = "protocol"


@dataclass(frozen=True)
class Provision:
    """One legal provision the facts may fall under."""

    code: str
    title_nl: str
    title_en: str
    note_nl: str = ""
    note_en: str = ""


ART_285 = Provision(
    code="art. 285 Sr",
    title_nl="Bedreiging",
    title_en="Threat",
    note_nl="bedreiging met een misdrijf tegen het leven of de persoon gericht",
    note_en="threatening a violent crime against a person",
)
ART_285D = Provision(
    code="art. 285d Sr",
    title_nl="Doxing",
    title_en="Doxing",
    note_nl="verspreiden van identificerende persoonsgegevens om vrees aan te jagen, "
    "ernstige overlast te bezorgen of in de uitoefening van het beroep te hinderen",
    note_en="spreading identifying personal data to frighten, cause serious nuisance "
    "or hinder someone in their profession",
)
ART_285D_AGGRAVATED = Provision(
    code="art. 285d Sr (strafverzwarend: politieambtenaar)",
    title_nl="Doxing van een politieambtenaar",
    title_en="Doxing of a police officer",
    note_nl="strafverzwaring omdat het slachtoffer een ambtenaar is in of vanwege de "
    "rechtmatige uitoefening van de bediening",
    note_en="aggravated because the victim is a public official in or because of the "
    "lawful exercise of their duties",
)
ART_6_196C = Provision(
    code="art. 6:196c BW",
    title_nl="Verwijderplicht hostingdienst",
    title_en="Hosting provider's duty to remove",
    note_nl="een hostingdienst moet onrechtmatige informatie verwijderen zodra hij ervan weet",
    note_en="a host must remove unlawful information once it knows of it",
)

GTPA = "GTPA"


@dataclass(frozen=True)
class Qualification:
    """What the incident may be, legally, and which routes of the handling path apply."""

    provisions: tuple[Provision, ...]
    criminal: bool
    gtpa: bool
    routes: tuple[Route, ...]
    summary_nl: str
    summary_en: str
    codes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the API."""
        return {
            "provisions": [
                {"code": p.code, "title_nl": p.title_nl, "title_en": p.title_en}
                for p in self.provisions
            ],
            "criminal": self.criminal,
            "registration_code": GTPA if self.gtpa else None,
            "routes": [r.value for r in self.routes],
            "summary_nl": self.summary_nl,
            "summary_en": self.summary_en,
        }


def qualify(
    *,
    threat: bool,
    doxing_call: bool,
    personal_data: bool,
    officer_identified: bool,
) -> Qualification:
    """The suggested qualification for an incident with these labels.

    - a threat is art. 285 Sr;
    - a call to dox, or leaked data together with a threat, is art. 285d Sr, aggravated
      because the targets are police officers;
    - leaked data alone is a possible art. 285d Sr (the intent must still be shown) and
      in any case unlawful: the civil route (sommatie, art. 6:196c BW) applies;
    - every criminal qualification against police officers is registered as GTPA;
    - an identified (registered) officer always gets the 'protocol bedreigde collega's'.
    """
    provisions: list[Provision] = []
    if threat:
        provisions.append(ART_285)
    doxing = doxing_call or (personal_data and threat)
    if doxing:
        provisions.append(ART_285D)
        provisions.append(ART_285D_AGGRAVATED)
    criminal = threat or doxing
    routes: list[Route] = [Route.CRIMINAL if criminal else Route.NON_CRIMINAL]
    if personal_data or doxing_call:
        provisions.append(ART_6_196C)
        routes.append(Route.CIVIL)
    if officer_identified:
        routes.append(Route.PROTOCOL)
    codes = tuple(p.code for p in provisions)
    if criminal:
        offences = ", ".join(p.code for p in provisions if p is not ART_6_196C)
        summary_nl = (
            f"Vermoedelijk strafbaar: {offences}. "
            f"Aangifte registreren met code {GTPA} (hogere strafeis)."
        )
        summary_en = (
            f"Probably a criminal offence: {offences}. "
            f"Register the report with code {GTPA} (higher sentencing demand)."
        )
    elif personal_data:
        summary_nl = (
            "Geen strafbaar feit vastgesteld: mogelijk art. 285d Sr als het oogmerk blijkt. "
            "Onrechtmatige publicatie van persoonsgegevens: verwijdering via sommatie "
            "(art. 6:196c BW)."
        )
        summary_en = (
            "No criminal offence established: possibly art. 285d Sr if the intent is shown. "
            "Unlawful publication of personal data: removal through a demand "
            "(art. 6:196c BW)."
        )
    else:
        summary_nl = "Geen strafbaar feit vastgesteld; beoordeel een alternatieve interventie."
        summary_en = "No criminal offence established; consider an alternative intervention."
    return Qualification(
        provisions=tuple(provisions),
        criminal=criminal,
        gtpa=criminal,
        routes=tuple(routes),
        summary_nl=summary_nl,
        summary_en=summary_en,
        codes=codes,
    )

"""The handling path as a task checklist: which tasks an incident needs, by route.

Criminal offence: aangifte with code GTPA, a request to the platform for voluntary
removal, and a draft art. 125p Sv order for the public prosecutor. No criminal offence:
an alternative intervention (a talk with the poster), only when the poster is known.
Civil route: a sommatie to poster and/or platform. An identified officer: the steps of
the 'protocol bedreigde collega's'. Tasks are only ever added (a kind once per
incident), so a checklist grows as an incident's labels or officers grow and an
analyst's progress is never reset.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.alerts.legal import Qualification, Route


@dataclass(frozen=True)
class TaskTemplate:
    """One task of the handling path."""

    kind: str
    route: Route
    title_nl: str
    title_en: str


AANGIFTE = TaskTemplate(
    "aangifte",
    Route.CRIMINAL,
    "Aangifte opnemen en registreren met code GTPA",
    "Take the criminal report (aangifte) and register it with code GTPA",
)
REMOVAL_REQUEST = TaskTemplate(
    "removal_request",
    Route.CRIMINAL,
    "Platform verzoeken de inhoud vrijwillig te verwijderen",
    "Ask the platform to remove the content voluntarily",
)
ORDER_125P = TaskTemplate(
    "order_125p",
    Route.CRIMINAL,
    "Concept-bevel art. 125p Sv voorleggen aan de officier van justitie",
    "Submit a draft art. 125p Sv order to the public prosecutor",
)
INTERVENTION = TaskTemplate(
    "intervention",
    Route.NON_CRIMINAL,
    "Alternatieve interventie: gesprek met de plaatser",
    "Alternative intervention: a talk with the poster",
)
SOMMATIE = TaskTemplate(
    "sommatie",
    Route.CIVIL,
    "Sommatie tot verwijdering aan plaatser en/of platform",
    "Send a demand (sommatie) to remove the content to poster and/or platform",
)
PROTOCOL_CONTACT = TaskTemplate(
    "protocol_contact",
    Route.PROTOCOL,
    "Protocol bedreigde collega's: contact opnemen met de collega",
    "Threatened-colleague protocol: contact the officer",
)
PROTOCOL_SUPPORT = TaskTemplate(
    "protocol_support",
    Route.PROTOCOL,
    "Protocol bedreigde collega's: sociale, emotionele en juridische steun aanbieden",
    "Threatened-colleague protocol: offer social, emotional and legal support",
)
PROTOCOL_SAFETY = TaskTemplate(
    "protocol_safety",
    Route.PROTOCOL,
    "Protocol bedreigde collega's: veiligheidsmaatregelen voor collega en gezin",
    "Threatened-colleague protocol: safety measures for the officer and family",
)

ALL_TEMPLATES = (
    AANGIFTE,
    REMOVAL_REQUEST,
    ORDER_125P,
    INTERVENTION,
    SOMMATIE,
    PROTOCOL_CONTACT,
    PROTOCOL_SUPPORT,
    PROTOCOL_SAFETY,
)
BY_KIND = {t.kind: t for t in ALL_TEMPLATES}


def checklist(qualification: Qualification, *, poster_known: bool) -> list[TaskTemplate]:
    """The tasks the handling path asks for, in the order they are worked."""
    tasks: list[TaskTemplate] = []
    if Route.CRIMINAL in qualification.routes:
        tasks += [AANGIFTE, REMOVAL_REQUEST, ORDER_125P]
    elif poster_known:
        tasks.append(INTERVENTION)
    if Route.CIVIL in qualification.routes:
        tasks.append(SOMMATIE)
    if Route.PROTOCOL in qualification.routes:
        tasks += [PROTOCOL_CONTACT, PROTOCOL_SUPPORT, PROTOCOL_SAFETY]
    return tasks

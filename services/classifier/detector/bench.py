"""Throughput benchmark of the detector on synthetic ~30-word posts.

    .venv/bin/python -m services.classifier.detector.bench --posts 20000

Runs on one core (spaCy here is single-threaded); prints posts per second for
``Detector.classify`` including building the Classification objects. All posts
are invented; about a third carry personal data, officer terms or cues.
"""

from __future__ import annotations

import argparse
import random
import time

from services.classifier.detector import Detector, PostText

_TEMPLATES = (
    "Vandaag weer een mooie dag in {town}, lekker gefietst langs de gracht en daarna koffie "
    "gedronken met vrienden. Morgen weer naar het werk, helaas geen vrije dag meer voor mij.",
    "Ik weet waar die agent woont, hij heeft een vrouw en twee kinderen en rijdt in een blauwe "
    "auto. Wie kent hem? Deel dit bericht zodat we weten wie het is, iedereen delen!",
    "Die smeris moet eens opgewacht worden na zijn dienst, iemand moet hem afmaken. "
    "{street} {number} in {town} woont hij, bel {phone} als je meer wilt weten.",
    "Agent bedreigd in {town}: man van 23 aangehouden nadat hij dreigde de agent neer te "
    "steken. De politie doet onderzoek naar het incident en vraagt getuigen zich te melden.",
    "This cop pulled me over for nothing today, total waste of time. Anyone else had issues "
    "with the traffic police near {town} this morning? So annoying honestly, every week again.",
    "Wat een wedstrijd gisteren, {first} scoorde twee keer en het stadion ging helemaal los. "
    "Volgende week uit tegen de koploper, hopelijk kunnen we dan weer drie punten pakken.",
    "Heeft iemand tips voor een goede loodgieter in {town}? Onze badkamer lekt al weken en "
    "de verhuurder reageert niet op mails. Alvast bedankt voor jullie reacties en tips!",
    "rechercheur {first} {last} woont op {street} {number}, {postcode} {town}. zijn kenteken is "
    "{plate} en zijn vrouw heet {first2}. doe er iets mee, ze verdienen het allemaal.",
)
_FIRST = ("Jan", "Fatima", "Mehmet", "Sanne", "Ravi", "Emma", "Youssef", "Daan")
_LAST = ("de Vries", "Bakker", "El Amrani", "Yilmaz", "Ramdin", "van den Berg")
_STREETS = ("Kerkstraat", "Dorpsweg", "Stationslaan", "Molenplein", "Lindengracht")
_TOWNS = ("Utrecht", "Rotterdam", "Zwolle", "Gouda", "Tilburg", "Assen")


def synthetic_posts(count: int, seed: int = 7) -> list[PostText]:
    """``count`` invented posts of about 30 words."""
    rng = random.Random(seed)
    posts = []
    for i in range(count):
        text = rng.choice(_TEMPLATES).format(
            town=rng.choice(_TOWNS),
            street=rng.choice(_STREETS),
            number=rng.randint(1, 250),
            phone=f"06-{rng.randint(10_000_000, 99_999_999)}",
            first=rng.choice(_FIRST),
            first2=rng.choice(_FIRST),
            last=rng.choice(_LAST),
            postcode=f"{rng.randint(1000, 9999)} {rng.choice(('AB', 'KL', 'XZ', 'BR'))}",
            plate=rng.choice(("GH-123-K", "12-BDF-3", "X-999-ZZ", "4-TVB-56")),
        )
        posts.append(PostText(id=f"bench-{i}", text=f"{text} #{i}"))
    return posts


def main() -> None:
    """Run the benchmark and print posts/s."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=20_000)
    args = parser.parse_args()
    detector = Detector.load()
    posts = synthetic_posts(args.posts)
    detector.classify(posts[:500])  # warm caches
    words = sum(len(p.text.split()) for p in posts) / len(posts)
    started = time.perf_counter()
    results = detector.classify(posts)
    elapsed = time.perf_counter() - started
    flagged = sum(r.labels.any() for r in results)
    print(
        f"{len(posts)} posts, {words:.0f} words on average, {elapsed:.2f} s: "
        f"{len(posts) / elapsed:.0f} posts/s ({flagged} flagged)"
    )


if __name__ == "__main__":
    main()

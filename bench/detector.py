"""Detector speed: posts/s of ``Detector.classify`` on one core, load time, memory.

Posts are ~30 words, made by joining two corpus posts (hand-written and augmented,
shuffled with a fixed seed), so the text is as varied as real reports, not a few
templates that caches would flatter. Beside the detector it prints the rate of the bare
``spacy.blank`` tokenizer on the same posts, the floor any spaCy pipeline starts from.

    taskset -c 0 .venv/bin/python bench/detector.py --posts 20000
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import spacy

from services.classifier import corpus
from services.classifier.detector import Detector, PostText


def posts_of_about(words: int, count: int, seed: int = 11) -> list[PostText]:
    """``count`` posts of roughly ``words`` words, joined from corpus posts."""
    records = corpus.training_records()
    rng = random.Random(seed)
    out = []
    for i in range(count):
        parts, n = [], 0
        lang = rng.choice(("nl", "en"))
        pool = [r for r in rng.sample(records, 12) if r.lang == lang] or records[:2]
        for record in pool:
            parts.append(record.text)
            n += len(record.text.split())
            if n >= words:
                break
        text = " ".join(" ".join(parts).split()[:words])
        out.append(PostText(id=f"bench-{i}", text=text, lang=lang))
    return out


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--words", type=int, default=30)
    parser.add_argument("--batch", type=int, default=256, help="posts per classify() call")
    args = parser.parse_args()

    posts = posts_of_about(args.words, args.posts)
    avg_words = sum(len(p.text.split()) for p in posts) / len(posts)

    started = time.perf_counter()
    detector = Detector.load()
    load_s = time.perf_counter() - started

    detector.classify(posts[:256])  # warm-up: first-call allocations
    started = time.perf_counter()
    flagged = 0
    for i in range(0, len(posts), args.batch):
        flagged += sum(r.labels.any() for r in detector.classify(posts[i : i + args.batch]))
    classify_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    blank = {lang: spacy.blank(lang) for lang in ("nl", "en")}
    started = time.perf_counter()
    for p in posts:
        blank[p.lang or "nl"].tokenizer(p.text)
    blank_s = time.perf_counter() - started

    print(f"model                     {detector.model_version}")
    print(f"posts                     {len(posts)} (avg {avg_words:.1f} words), batch {args.batch}")
    print(f"model load                {load_s:.2f} s")
    print(f"Detector.classify         {len(posts) / classify_s:,.0f} posts/s ({flagged} flagged)")
    print(f"spacy.blank tokenizer     {len(posts) / blank_s:,.0f} posts/s")
    print(f"peak resident memory      {rss_mb:,.0f} MB")


if __name__ == "__main__":
    main()

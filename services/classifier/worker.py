"""The classifier's consumer: posts in, verdicts out, offsets committed after publishing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import structlog
from prometheus_client import Counter, Histogram

from services.bus import Message, Record
from services.bus.consumer import decode_batch
from services.classifier.detector import Detector, PostText
from services.events import (
    POSTS_TOPIC,
    VERDICTS_TOPIC,
    Post,
    Verdict,
    encode,
)
from services.runtime import Runtime

log = structlog.get_logger("doxwatch.classifier")

GROUP = "doxwatch-classifier"

CLASSIFIED = Counter("doxwatch_posts_classified_total", "Posts classified", ["flagged"])
BATCH_SECONDS = Histogram("doxwatch_classify_batch_seconds", "Detector time per batch")


class ClassifierWorker:
    """Classifies batches of posts with one loaded Detector."""

    def __init__(self, detector: Detector) -> None:
        self.detector = detector

    def verdicts(self, posts: Sequence[Post]) -> list[Verdict]:
        """Run the detector over the posts (CPU-bound, pure)."""
        results = self.detector.classify([PostText(p.id, p.text, p.lang) for p in posts])
        return [Verdict(post=p, classification=c) for p, c in zip(posts, results, strict=True)]

    async def run(self, runtime: Runtime, stopping: asyncio.Event) -> None:
        """Consume posts until ``stopping``."""
        log.info("classifier consuming", model_version=self.detector.model_version)

        async def handle(batch: Sequence[Message]) -> dict[str, int]:
            posts = decode_batch(Post, batch)
            started = time.perf_counter()
            # The detector is CPU-bound; a thread keeps health checks answering meanwhile.
            verdicts = await asyncio.to_thread(self.verdicts, posts)
            elapsed = time.perf_counter() - started
            BATCH_SECONDS.observe(elapsed)
            await runtime.bus.publish(
                VERDICTS_TOPIC, [Record(key=v.post_id.encode(), value=encode(v)) for v in verdicts]
            )
            flagged = sum(v.classification.labels.any() for v in verdicts)
            CLASSIFIED.labels("true").inc(flagged)
            CLASSIFIED.labels("false").inc(len(verdicts) - flagged)
            return {"flagged": flagged, "detector_ms": round(elapsed * 1000)}

        await runtime.bus.consume(POSTS_TOPIC, GROUP, handle, stopping)

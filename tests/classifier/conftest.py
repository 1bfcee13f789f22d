"""Fixtures for the detector tests: the pipelines are built once per test session."""

from __future__ import annotations

import pytest
from spacy.language import Language

from services.classifier.detector import Detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The rule-based detector with both pipelines (no trained model: the rules decide)."""
    return Detector.load(learned=False)


@pytest.fixture(scope="session")
def nl(detector: Detector) -> Language:
    """The Dutch pipeline."""
    return detector.pipelines["nl"]


@pytest.fixture(scope="session")
def en(detector: Detector) -> Language:
    """The English pipeline."""
    return detector.pipelines["en"]

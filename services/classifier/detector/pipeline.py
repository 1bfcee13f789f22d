"""Builds the Doxwatch spaCy pipelines (one per language) from ``spacy.blank``.

``build_pipeline("nl")`` gives::

    tokenizer   doxwatch.social_tokenizer.v1   handles, hashtags, URLs, e-mails, emoji
    normalizer  doxwatch_social_normalizer_v1  de-obfuscation into token.norm_
    pii         doxwatch_pii_recognizer_v1     personal-data spans -> doc._.pii
    officers    doxwatch_officer_mentions_v1   officer terms -> doc._.officer_mentions
    cues        doxwatch_cue_tagger_v1         cue phrases -> doc._.cues

spaCy forbids "." in component factory names (error E853), so the versioned factory
names use underscores; the tokenizer lives in the ``tokenizers`` registry, where
dotted names are the convention.

The pipeline saves with ``nlp.to_disk`` and loads with ``spacy.load`` once this module
is imported (importing it registers the factories).
"""

from __future__ import annotations

import spacy
from spacy.language import Language

from services.classifier.detector import cues, normalizer, officers, recognizers, tokenizer

LANGUAGES: tuple[str, ...] = ("nl", "en")

PIPE_NAMES: dict[str, str] = {
    "normalizer": normalizer.FACTORY_NAME,
    "pii": recognizers.FACTORY_NAME,
    "officers": officers.FACTORY_NAME,
    "cues": cues.FACTORY_NAME,
}


def build_pipeline(lang: str) -> Language:
    """A fresh Doxwatch pipeline for ``lang`` ("nl" or "en")."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r} (supported: {', '.join(LANGUAGES)})")
    nlp = spacy.blank(lang, config={"nlp": {"tokenizer": {"@tokenizers": tokenizer.FACTORY_NAME}}})
    for name, factory in PIPE_NAMES.items():
        nlp.add_pipe(factory, name=name, config={"lang": lang} if name != "pii" else {})
    return nlp

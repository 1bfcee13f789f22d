"""Social-media tokenizer: ``@handles``, ``#hashtags``, URLs, e-mails and emoji stay whole.

Registered as ``doxwatch.social_tokenizer.v1`` in spaCy's ``tokenizers`` registry (a
tokenizer is not a pipe in spaCy; the config names it under ``[nlp.tokenizer]``).
It extends the language's own rules rather than replacing them, so Dutch
abbreviations and English contractions behave as spaCy users expect, and it is
serialised by spaCy's own ``Tokenizer.to_disk``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

from services.classifier.detector.extensions import TEXT_KEY

FACTORY_NAME = "doxwatch.social_tokenizer.v1"

# Pictographs with optional skin tone / variation selector, joined by ZWJ into one
# emoji ("👮🏽‍♂️"), and flag pairs. Python's re has no \p{Extended_Pictographic}, so
# the blocks are spelled out.
_PICTO = r"[\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001F000-\U0001FAFF]"
_EMOJI_MOD = r"(?:[\U0001F3FB-\U0001F3FF]|\uFE0F)*"
EMOJI_SEQUENCE = (
    rf"(?:[\U0001F1E6-\U0001F1FF]{{2}}|{_PICTO}{_EMOJI_MOD}(?:\u200d{_PICTO}{_EMOJI_MOD})*)"
)

# Whole strings that must stay one token: handles, hashtags, e-mail addresses,
# Dutch plates / phones / dates written with dashes (English infix rules would split
# them), police slang with a hyphen, words mixing letters and digits ("sh00t", "12a",
# "1234AB": the English unit suffixes would cut "sh00t" into "sh00" + "t"), and emoji.
_TOKEN_MATCH = re.compile(
    r"(?:"
    r"@[\w.]*\w"
    r"|#\w+"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    r"|[A-Za-z0-9]{1,3}-[A-Za-z0-9]{1,3}-[A-Za-z0-9]{1,3}"
    r"|\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|0\d{1,3}-\d{6,8}"
    r"|(?i:po-po|5-0|five-o|me'ers?|me-ers?)"
    r"|(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{3,}"
    rf"|{EMOJI_SEQUENCE}"
    r")$"
)


class SocialTokenizer(Tokenizer):  # type: ignore[misc]  # spacy.tokenizer has no stubs
    """spaCy's Tokenizer that also remembers the input text on the doc.

    ``Doc.text`` is rebuilt from the tokens on every access, which costs more than
    some of the components; the components read this cached copy instead.
    """

    def __call__(self, text: str) -> Doc:
        """Tokenize ``text`` and keep it in ``doc.user_data`` for ``doc_text``."""
        doc: Doc = super().__call__(text)
        doc.user_data[TEXT_KEY] = text
        return doc


def _build(nlp: Language) -> SocialTokenizer:
    defaults = nlp.Defaults
    # "#" is a prefix in spaCy's defaults; keep it one only when no word follows, so
    # "#politie," is "#politie" + "," rather than "#" + "politie" + ",".
    prefixes = [EMOJI_SEQUENCE, *(r"#(?!\w)" if p == "#" else p for p in defaults.prefixes or ())]
    suffixes = [EMOJI_SEQUENCE, *(defaults.suffixes or ())]
    infixes = [EMOJI_SEQUENCE, *(defaults.infixes or ())]
    rules = dict(defaults.tokenizer_exceptions)
    # "'t" (het) is one token in Dutch names and streets ("van 't Hof") in both
    # pipelines; the English rules would split it.
    rules["'t"] = [{"ORTH": "'t"}]
    rules["'T"] = [{"ORTH": "'T"}]
    return SocialTokenizer(
        nlp.vocab,
        rules=rules,
        prefix_search=compile_prefix_regex(prefixes).search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=_TOKEN_MATCH.match,
        url_match=defaults.url_match,
    )


def create_social_tokenizer() -> Callable[[Language], SocialTokenizer]:
    """spaCy registry entry: a tokenizer factory for ``[nlp.tokenizer]``."""
    return _build


registry.tokenizers.register(FACTORY_NAME, func=create_social_tokenizer)

"""Keyed hashes of registered personal data: the only form the registry stores.

Every value is normalised exactly as the detector normalises a span
(:func:`services.personal_data.normalize`), then hashed with HMAC-SHA256 under
``DOXWATCH_REGISTRY_KEY``. Without the key a stolen database cannot be tested against
guesses (a plain hash of a postcode and house number falls to a dictionary of all Dutch
addresses in minutes). An address is stored under several match keys (postcode +
number, street + number), and its postcode on its own, so that a leak that gives only
part of it still matches.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from services.events import SpanLabel
from services.personal_data import InvalidPersonalData, normalize, parse_address


class RegistryKey:
    """The secret of the registry's digests (never logged, never in a repr)."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 32:
            raise ValueError("registry key must be at least 32 characters")
        self._secret = secret.encode("utf-8")

    def __repr__(self) -> str:
        return "RegistryKey(***)"

    def digest(self, label: SpanLabel, key: str) -> str:
        """HMAC-SHA256 of one match key, hex."""
        message = f"{label.value}:{key}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def match_keys(label: SpanLabel, value: str) -> list[tuple[SpanLabel, str]]:
    """The (type, key) pairs a value is stored and looked up under.

    Raises InvalidPersonalData when the value is not valid for its type; the message
    never repeats the value.
    """
    if label is SpanLabel.ADDRESS:
        try:
            address = parse_address(value)
        except InvalidPersonalData:
            raise InvalidPersonalData(
                "not an address with a street and house number (e.g. 'Kerkstraat 12, "
                "1234 AB Utrecht')"
            ) from None
        keys = [(SpanLabel.ADDRESS, k) for k in address.keys()]  # noqa: SIM118 - not a dict
        if address.postcode:
            keys.append((SpanLabel.POSTCODE, address.postcode.upper()))
        return keys
    try:
        return [(label, normalize(label, value))]
    except InvalidPersonalData as exc:
        raise InvalidPersonalData(_without_value(str(exc), value, label)) from None


def _without_value(message: str, value: str, label: SpanLabel) -> str:
    if value.strip() and value.strip() in message:
        return f"not a valid {label.value} value"
    return message


def digests(key: RegistryKey, label: SpanLabel, value: str) -> list[str]:
    """The digests of one registered value."""
    return [key.digest(kind, k) for kind, k in match_keys(label, value)]


def span_digests(key: RegistryKey, spans: Iterable[tuple[SpanLabel, str]]) -> dict[str, SpanLabel]:
    """Digests to look up for a post's spans (label, span text), mapped to the key's type.

    The key's type is what a match means: an ADDRESS span yields ADDRESS keys and a
    POSTCODE key, so a leaked address that shares only the postcode with a registered
    one matches as POSTCODE.

    A span that does not parse (the detector marks some loosely) is skipped: it cannot
    match a registered, validated value anyway.
    """
    out: dict[str, SpanLabel] = {}
    for label, text in spans:
        try:
            pairs = match_keys(label, text)
        except (InvalidPersonalData, ValueError):
            continue
        for kind, k in pairs:
            out[key.digest(kind, k)] = kind
    return out

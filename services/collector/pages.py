"""A post's text from a fetched page: OpenGraph / Twitter-card metadata, then oEmbed.

Platforms put the post's text in ``og:description`` (or ``twitter:description``) so that
link previews show it; where they offer oEmbed (``<link rel="alternate"
type="application/json+oembed">``) its ``html`` holds the post as a quote. The visible
page body is not scraped: it is full of navigation and other people's posts.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.I)
_SPACE = re.compile(r"[ \t\r\f\v]+")


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself."""

    title: str | None = None
    description: str | None = None
    author: str | None = None
    site_name: str | None = None
    lang: str | None = None
    oembed_url: str | None = None

    @property
    def text(self) -> str | None:
        """The post's text as the page presents it (description, else title)."""
        return self.description or self.title


class _MetaParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.oembed: str | None = None
        self.lang: str | None = None
        self._in_title = False
        self.title_parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "html" and a.get("lang"):
            self.lang = a["lang"][:2].lower()
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or "").strip().lower()
            if key and "content" in a and key not in self.meta:
                self.meta[key] = a["content"].strip()
        elif tag == "link":
            rel = a.get("rel", "").lower().split()
            if "alternate" in rel and a.get("type", "").lower() == "application/json+oembed":
                self.oembed = self.oembed or a.get("href") or None
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)


def _decode(body: bytes) -> str:
    head = body[:2048].decode("ascii", "ignore").lower()
    match = re.search(r"charset=[\"']?([a-z0-9_-]+)", head)
    encoding = match.group(1) if match else "utf-8"
    try:
        return body.decode(encoding, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def parse_html(body: bytes, base_url: str) -> PageMeta:
    """The metadata of an HTML page (relative oEmbed links made absolute)."""
    parser = _MetaParser()
    parser.feed(_decode(body))
    parser.close()
    m = parser.meta

    def first(*keys: str) -> str | None:
        return next((m[k] for k in keys if m.get(k)), None)

    title = first("og:title", "twitter:title") or ("".join(parser.title_parts).strip() or None)
    lang = parser.lang or (first("og:locale") or "")[:2].lower() or None
    return PageMeta(
        title=title,
        description=first("og:description", "twitter:description", "description"),
        author=first("article:author", "twitter:creator", "author"),
        site_name=first("og:site_name"),
        lang=lang if lang in ("nl", "en") else None,
        oembed_url=urljoin(base_url, parser.oembed) if parser.oembed else None,
    )


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (line breaks kept, tags dropped, entities decoded)."""
    text = _TAG.sub("", _BREAK.sub("\n", fragment))
    lines = (_SPACE.sub(" ", html.unescape(line)).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def parse_oembed(body: bytes) -> PageMeta:
    """The useful fields of an oEmbed JSON answer; empty when it is not one."""
    try:
        raw: Any = json.loads(body.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return PageMeta()
    if not isinstance(raw, dict):
        return PageMeta()

    def text_field(key: str) -> str | None:
        value = raw.get(key)
        return value.strip() or None if isinstance(value, str) else None

    fragment = text_field("html")
    return PageMeta(
        title=text_field("title"),
        description=html_to_text(fragment) or None if fragment else None,
        author=text_field("author_name"),
        site_name=text_field("provider_name"),
    )

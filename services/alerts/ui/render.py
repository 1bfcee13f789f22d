"""Turning evidence and numbers into what the templates draw.

Post text is attacker-controlled: it is split into plain segments here and every
segment is escaped by Jinja2's autoescape in the template; nothing here builds HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Segment:
    """A run of post text; ``label`` is the personal-data type when it is a span."""

    text: str
    label: str | None = None


def segments(text: str, spans: Sequence[dict[str, Any]]) -> list[Segment]:
    """The text cut at its spans (overlapping spans: the first one wins)."""
    out: list[Segment] = []
    last = 0
    for span in sorted(spans, key=lambda s: (int(s["start"]), -int(s["end"]))):
        start, end = int(span["start"]), int(span["end"])
        if start < last or start >= end or end > len(text):
            continue
        if start > last:
            out.append(Segment(text[last:start]))
        out.append(Segment(text[start:end], str(span["label"])))
        last = end
    if last < len(text):
        out.append(Segment(text[last:]))
    return out


def safe_link(url: str | None) -> str | None:
    """The URL when it is plain http(s) and may be offered behind an explicit click."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


# Charts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    series: str
    value: float
    tip: str
    label_x: float
    label_y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A bar chart ready to draw: bars, axis labels and a legend."""

    key: str
    title: str
    width: int
    height: int
    bars: list[Bar]
    axis: list[tuple[float, float, str]]  # x, y, text
    legend: list[tuple[str, str]]  # series, text
    empty: bool
    note: str = ""


def hbar_chart(
    key: str,
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    series: str = "s0",
    unit: str = "",
    note: str = "",
) -> Chart:
    """Horizontal bars, one per (label, value, series) row, the value written beside."""
    row_h, label_w, bar_w = 26, 150, 300
    width = label_w + bar_w + 70
    height = max(1, len(rows)) * row_h + 8
    top = max((v for _, v, _ in rows), default=0) or 1
    bars: list[Bar] = []
    axis: list[tuple[float, float, str]] = []
    for i, (label, value, kind) in enumerate(rows):
        y = 4 + i * row_h
        w = bar_w * value / top
        text = f"{value:g}{unit}"
        bars.append(
            Bar(
                x=label_w,
                y=y + 3,
                width=max(w, 1.0 if value else 0.0),
                height=row_h - 8,
                series=kind or series,
                value=value,
                tip=f"{label}: {text}",
                label_x=label_w + w + 6,
                label_y=y + row_h / 2 + 5,
                text=text,
            )
        )
        axis.append((label_w - 6, y + row_h / 2 + 5, label))
    return Chart(key, title, width, height, bars, axis, [], not any(v for _, v, _ in rows), note)


def grouped_chart(
    key: str,
    title: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, str]],
    values: dict[str, list[float]],
) -> Chart:
    """Vertical grouped bars: one group per x label, one bar per series; numbers on top."""
    group_w, bar_w, plot_h, base = 54, 14, 150, 176
    width = 20 + len(groups) * group_w
    height = base + 40
    top = max((v for vs in values.values() for v in vs), default=0) or 1
    bars: list[Bar] = []
    axis: list[tuple[float, float, str]] = []
    for g, name in enumerate(groups):
        x0 = 20 + g * group_w + 4
        for s, (kind, label) in enumerate(series):
            value = values[kind][g]
            h = plot_h * value / top
            x = x0 + s * (bar_w + 2)
            bars.append(
                Bar(
                    x=x,
                    y=base - h,
                    width=bar_w,
                    height=max(h, 1.0 if value else 0.0),
                    series=kind,
                    value=value,
                    tip=f"{name} – {label}: {value:g}",
                    label_x=x + bar_w / 2,
                    label_y=base - h - 4,
                    text=f"{value:g}" if value else "",
                )
            )
        axis.append((x0 + (len(series) * (bar_w + 2)) / 2, base + 16, name))
    empty = not any(v for vs in values.values() for v in vs)
    return Chart(key, title, width, height, bars, axis, list(series), empty)

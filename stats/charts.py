"""Charts drawn on the server as inline SVG: no JavaScript, no library.

Each function returns the markup of one ``<svg role="img">`` whose name is its
``<title>`` and whose description (``<desc>``) says what it shows in words; the
page puts the same numbers in a ``<table>`` beside it. Every label is escaped.
Sizes are in the ``viewBox``: the chart scales to the width of its column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours with at least 3:1 contrast on white (WCAG 1.4.11), told apart by
# position and by the legend too, not by colour alone.
COLOURS = ("#1a56a6", "#00703c", "#b71c1c", "#6f3f00", "#5a2d91", "#4b5563")
AXIS = "#4b5563"
TEXT = "#0b0c0c"
# The text's font and colour are set once on the chart (SVG presentation
# attributes are inherited): every <text> without its own fill is TEXT.
ROOT_TEXT = f'font-family="inherit" font-size="14" fill="{TEXT}"'


@dataclass(frozen=True)
class Series:
    """One series of a column chart: a label and one value per bucket."""

    label: str
    values: tuple[float, ...]
    colour: str = COLOURS[0]
    stack: str = ""  # series with the same non-empty stack are drawn on top of each other


def _num(value: float) -> str:
    """A coordinate: short and locale-free."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _percent(ratio: float) -> str:
    """A share as people read it in the page's language (rounded, not cut)."""
    return f"{number_format(round(ratio * 100, 1), 1)} %"


def _value(value: float) -> str:
    return number_format(round(value, 1), 0 if value == int(value) else 1)


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img"'
        f' aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet" {ROOT_TEXT}>',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]


def _close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def empty(chart_id: str, title: str, message: str) -> SafeString:
    """A chart with nothing to draw says so (the table says so too)."""
    parts = _open(chart_id, title, message, 400, 60)
    parts.append(f'<text x="0" y="34" fill="{AXIS}">{escape(message)}</text>')
    return _close(parts)


def bars(
    items: Sequence[tuple[str, float | None]],
    *,
    chart_id: str,
    title: str,
    description: str = "",
    maximum: float | None = None,
    percent: bool = True,
    empty_message: str = "",
    colour: str = COLOURS[0],
) -> SafeString:
    """Horizontal bars, one per item, each label above its bar and its value
    at the end (``percent``: values are ratios 0..1 shown as %). A value of
    ``None`` (nothing to count) is drawn as no bar and "–"."""
    if not items:
        return empty(chart_id, title, empty_message or description)
    width, label_h, bar_h, gap = 400, 18, 16, 12
    row_h = label_h + bar_h + gap
    height = row_h * len(items) + 4
    top = max([v for _, v in items if v is not None] or [0])
    scale_max = maximum if maximum is not None else (1.0 if percent else top)
    scale_max = scale_max or 1.0
    track = width - 60  # room for the value at the end
    parts = _open(chart_id, title, description or title, width, height)
    for i, (label, value) in enumerate(items):
        y = i * row_h
        shown = "–" if value is None else (_percent(value) if percent else _value(value))
        length = 0.0 if value is None else max(0.0, min(1.0, value / scale_max)) * track
        parts.append(f"<g><title>{escape(label)}: {escape(shown)}</title>")
        parts.append(f'<text x="0" y="{y + 14}">{escape(_short(label, 48))}</text>')
        parts.append(
            f'<rect x="0" y="{y + label_h}" width="{_num(track)}" height="{bar_h}"'
            f' fill="#f3f2f1" stroke="{AXIS}" stroke-width="0.5"/>'
        )
        if length:
            parts.append(
                f'<rect class="chart__bar" x="0" y="{y + label_h}" width="{_num(length)}"'
                f' height="{bar_h}" fill="{colour}"/>'
            )
        parts.append(f'<text x="{track + 6}" y="{y + label_h + 13}">{escape(shown)}</text></g>')
    return _close(parts)


def shares(
    items: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    description: str = "",
    empty_message: str = "",
) -> SafeString:
    """One bar split into each item's share of the whole, with a legend
    (label, count and share) below it."""
    total = sum(n for _, n in items)
    if not total:
        return empty(chart_id, title, empty_message or description)
    width, bar_h, line_h = 400, 32, 22
    height = bar_h + 12 + line_h * len(items)
    parts = _open(chart_id, title, description or title, width, height)
    x = 0.0
    for i, (label, n) in enumerate(items):
        colour = COLOURS[i % len(COLOURS)]
        w = width * n / total
        if w:
            parts.append(
                f'<rect class="chart__bar" x="{_num(x)}" y="0" width="{_num(w)}"'
                f' height="{bar_h}" fill="{colour}"><title>{escape(label)}: {n}</title></rect>'
            )
        x += w
    for i, (label, n) in enumerate(items):
        colour = COLOURS[i % len(COLOURS)]
        y = bar_h + 12 + i * line_h
        share = _percent(n / total)
        parts.append(f'<rect x="0" y="{y}" width="14" height="14" fill="{colour}"/>')
        parts.append(
            f'<text x="20" y="{y + 12}">{escape(_short(label, 34))}: {n} ({escape(share)})</text>'
        )
    return _close(parts)


def columns(
    buckets: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    description: str = "",
    empty_message: str = "",
) -> SafeString:
    """Columns per bucket (a month, a day…): one column per stack of series,
    side by side; series sharing a ``stack`` drawn on top of each other. A
    legend above, a few bucket labels below, a scale on the left."""
    if not buckets or not series:
        return empty(chart_id, title, empty_message or description)
    width, plot_h, axis_h, left = 400, 160, 26, 36
    # The legend flows onto as many lines as it needs (about 8 units a letter).
    legend: list[tuple[float, float, Series]] = []
    x, line = 0.0, 0
    for s in series:
        item_w = 28 + 8 * min(len(s.label), 40)
        if x and x + item_w > width:
            x, line = 0.0, line + 1
        legend.append((x, 4 + 22 * line, s))
        x += item_w
    legend_h = 22 * (line + 1) + 8
    height = legend_h + plot_h + axis_h
    stacks: list[list[Series]] = []
    for s in series:
        group = next((g for g in stacks if s.stack and g[0].stack == s.stack), None)
        if group is None:
            stacks.append([s])
        else:
            group.append(s)
    top = max(
        (sum(s.values[i] for s in group) for group in stacks for i in range(len(buckets))),
        default=0,
    )
    top = top or 1
    parts = _open(chart_id, title, description or title, width, height)
    for lx, ly, s in legend:
        parts.append(f'<rect x="{_num(lx)}" y="{ly}" width="14" height="14" fill="{s.colour}"/>')
        label = escape(_short(s.label, 40))
        parts.append(f'<text x="{_num(lx + 20)}" y="{ly + 12}">{label}</text>')
    # Scale: 0, half and the top.
    base = legend_h + plot_h
    for fraction in (0, 0.5, 1):
        y = base - plot_h * fraction
        shown = _value(top * fraction)
        parts.append(
            f'<line x1="{left}" x2="{width}" y1="{_num(y)}" y2="{_num(y)}"'
            f' stroke="{AXIS}" stroke-width="{1 if fraction == 0 else 0.3}"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{_num(y + 5)}" text-anchor="end" fill="{AXIS}">{shown}</text>'
        )
    slot = (width - left) / len(buckets)
    col_w = max(1.0, min(28.0, slot * 0.8 / len(stacks)))
    every = max(1, -(-len(buckets) // 5))  # at most five labels below
    for i, bucket in enumerate(buckets):
        x0 = left + i * slot + (slot - col_w * len(stacks)) / 2
        for j, group in enumerate(stacks):
            y = float(base)
            for s in group:
                h = plot_h * s.values[i] / top
                if h:
                    y -= h
                    parts.append(
                        f'<rect class="chart__bar" x="{_num(x0 + j * col_w)}" y="{_num(y)}"'
                        f' width="{_num(col_w)}" height="{_num(h)}" fill="{s.colour}">'
                        f"<title>{escape(bucket)}, {escape(s.label)}: {_value(s.values[i])}</title>"
                        "</rect>"
                    )
        if i % every == 0:
            parts.append(
                f'<text x="{_num(left + i * slot + slot / 2)}" y="{base + 18}"'
                f' text-anchor="middle" fill="{AXIS}">{escape(bucket)}</text>'
            )
    return _close(parts)

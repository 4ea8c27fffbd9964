"""Forest plots as SVG text: one row per result, whisker for the interval, the line of no effect.

Pure and deterministic: the same rows give the same bytes. No plotting library and no
JavaScript: the SVG is written inline into the page, so its text and lines take the page's
text colour (`currentColor`) and stay readable in light and dark mode. Record text in the
SVG is XML-escaped; nothing from a record becomes markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from generator.collate import RATIO_MEASURES, ResultGroup, ResultRow

WIDTH = 800
PLOT_X0, PLOT_X1 = 300, 620  # the axis; study and comparison labels sit to its left
VALUE_X = 636  # estimate and interval as text
ROW_H = 38  # two lines of label: the study, then the comparison
TOP = 34  # room for the column headings
AXIS_H = 58  # ticks, tick labels and axis label
LABEL_CHARS = 40  # longer labels are shortened in the plot (the table beside it has them whole)


def _x(value: float, lo: float, hi: float, log: bool) -> float:
    if log:
        value, lo, hi = math.log(value), math.log(lo), math.log(hi)
    return PLOT_X0 + (value - lo) / (hi - lo) * (PLOT_X1 - PLOT_X0)


def _fmt(value: float) -> str:
    """Coordinates with two decimals and no float noise, so output is byte-stable."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".")


def _num(value: float) -> str:
    shown = format(Decimal(repr(value)), "f") if isinstance(value, float) else str(value)
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def _nice_step(span: float) -> float:
    raw = span / 5
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)


def axis(rows: Sequence[ResultRow], log: bool) -> tuple[float, float, list[float]]:
    """Axis range and ticks covering every estimate, interval and the line of no effect."""
    null = 1.0 if log else 0.0
    points = [null]
    for row in rows:
        r = row.result
        points += [v for v in (r.value, *(r.ci or ())) if v is not None]
    if log:
        points = [p for p in points if p > 0]
        lo = 2 ** math.floor(math.log2(min(points)))
        hi = 2 ** math.ceil(math.log2(max(points)))
        if lo == hi:
            lo, hi = lo / 2, hi * 2
        ticks = [2.0**k for k in range(round(math.log2(lo)), round(math.log2(hi)) + 1)]
        return lo, hi, ticks
    lo, hi = min(points), max(points)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    count = round((hi - lo) / step)
    return lo, hi, [lo + i * step for i in range(count + 1)]


def row_label(row: ResultRow) -> str:
    """Study short name and, when given, the comparison."""
    shown = row.study.short_name
    if row.result.comparison:
        shown += f": {row.result.comparison}"
    return " ".join(shown.split())


def _short(value: str) -> str:
    return value if len(value) <= LABEL_CHARS else value[: LABEL_CHARS - 1].rstrip() + "…"


def interval_text(row: ResultRow) -> str:
    r = row.result
    assert r.value is not None
    shown = _num(r.value)
    if r.ci:
        shown += f" ({_num(r.ci[0])} to {_num(r.ci[1])})"
    return shown


def forest_svg(group: ResultGroup, ident: str, axis_label: str) -> str:
    """The forest plot of a group's plotted rows as one line of SVG markup.

    One line with no blank lines, so Markdown passes it through as a raw HTML block. Markers
    are squares with area proportional to N analysed; a hollow square marks a result whose
    record gives no N.
    """
    rows = group.plotted
    log = group.effect_measure in RATIO_MEASURES
    lo, hi, ticks = axis(rows, log)
    height = TOP + ROW_H * len(rows) + AXIS_H
    biggest = max((r.result.n_analysed or 0 for r in rows), default=0)
    title = f"Forest plot: {axis_label}"
    desc = "; ".join(f"{row_label(r)}: {interval_text(r)}" for r in rows)
    null_x = _x(1.0 if log else 0.0, lo, hi, log)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="forest" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        '<g fill="currentColor" font-size="13">',
        '<text x="0" y="18" font-weight="bold">Study and comparison</text>',
        f'<text x="{VALUE_X}" y="18" font-weight="bold">Estimate (95% CI)</text>',
    ]
    for i, row in enumerate(rows):
        y = TOP + ROW_H * i + ROW_H / 2
        r = row.result
        assert r.value is not None
        full = row_label(row)
        parts.append(
            f'<text x="0" y="{_fmt(y - 3)}"><title>{escape(full)}</title>'
            f"{escape(_short(row.study.short_name))}</text>"
        )
        if r.comparison:
            parts.append(
                f'<text x="0" y="{_fmt(y + 12)}" font-size="11">'
                f"{escape(_short(' '.join(r.comparison.split())))}</text>"
            )
        if r.ci:
            x0, x1 = _x(r.ci[0], lo, hi, log), _x(r.ci[1], lo, hi, log)
            parts.append(
                f'<line x1="{_fmt(x0)}" y1="{_fmt(y)}" x2="{_fmt(x1)}" y2="{_fmt(y)}" '
                'stroke="currentColor" stroke-width="1.5"/>'
            )
        n = r.n_analysed
        side = 6 + 10 * math.sqrt(n / biggest) if n and biggest else 9
        cx = _x(r.value, lo, hi, log)
        fill = (
            'fill="currentColor"' if n else 'fill="none" stroke="currentColor" stroke-width="1.5"'
        )
        parts.append(
            f'<rect x="{_fmt(cx - side / 2)}" y="{_fmt(y - side / 2)}" width="{_fmt(side)}" '
            f'height="{_fmt(side)}" {fill}/>'
        )
        parts.append(f'<text x="{VALUE_X}" y="{_fmt(y + 4)}">{escape(interval_text(row))}</text>')
    base = TOP + ROW_H * len(rows)
    parts.append(
        f'<line x1="{_fmt(null_x)}" y1="{TOP - 6}" x2="{_fmt(null_x)}" y2="{base}" '
        'stroke="currentColor" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<line x1="{PLOT_X0}" y1="{base}" x2="{PLOT_X1}" y2="{base}" stroke="currentColor"/>'
    )
    for tick in ticks:
        tx = _fmt(_x(tick, lo, hi, log))
        parts.append(
            f'<line x1="{tx}" y1="{base}" x2="{tx}" y2="{base + 5}" stroke="currentColor"/>'
        )
        parts.append(
            f'<text x="{tx}" y="{base + 19}" text-anchor="middle">{_num(round(tick, 6))}</text>'
        )
    centre = (PLOT_X0 + PLOT_X1) // 2
    parts.append(
        f'<text x="{centre}" y="{base + 40}" text-anchor="middle">{escape(axis_label)}</text>'
    )
    parts.append("</g></svg>")
    return "".join(parts)

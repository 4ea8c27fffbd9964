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

from generator.collate import BADGES, WARNING_BADGES, EffectGroup, EffectRow
from generator.numbers import interval_text, number

WIDTH = 800
PLOT_X0, PLOT_X1 = 300, 620  # the axis; study and comparison labels sit to its left
VALUE_X = 636  # estimate and interval as text
ROW_H = 38  # two lines of label: the study, then the comparison
TOP = 34  # room for the column headings
AXIS_H = 78  # ticks, tick labels, "favours" labels and axis label
LABEL_CHARS = 40  # longer labels are shortened in the plot (the table beside it has them whole)


def _x(value: float, lo: float, hi: float, log: bool) -> float:
    if log:
        value, lo, hi = math.log(value), math.log(lo), math.log(hi)
    return PLOT_X0 + (value - lo) / (hi - lo) * (PLOT_X1 - PLOT_X0)


def _fmt(value: float) -> str:
    """Coordinates with two decimals and no float noise, so output is byte-stable."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".")


def _tick(value: float) -> float | int:
    """A tick value without float noise (0.30000000000000004 -> 0.3, 5.0 -> 5)."""
    rounded = round(value, 6)
    return int(rounded) if rounded.is_integer() else rounded


def _nice_step(span: float) -> float:
    raw = span / 5
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)


def axis(rows: Sequence[EffectRow], log: bool, null: float) -> tuple[float, float, list[float]]:
    """Axis range and ticks covering every estimate, interval and the line of no effect."""
    points = [null]
    for row in rows:
        e = row.effect
        points += [float(v) for v in (e.value, *(e.ci or ())) if v is not None]
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


def comparison_label(row: EffectRow) -> str:
    """'Cells vs placebo (post hoc)': the arms compared, and any warning badge."""
    study, effect = row.study, row.effect
    shown = " and ".join(study.arm_label(a) for a in effect.experimental)
    shown += " vs " + " and ".join(study.arm_label(a) for a in effect.comparator)
    warnings = [BADGES[b].lower() for b in row.badges if b in WARNING_BADGES]
    if warnings:
        shown += f" ({', '.join(warnings)})"
    return " ".join(shown.split())


def _flat(value: str) -> str:
    """One line of text: the SVG is written on one line so Markdown passes it through whole."""
    return " ".join(value.split())


def _short(value: str) -> str:
    value = _flat(value)
    return value if len(value) <= LABEL_CHARS else value[: LABEL_CHARS - 1].rstrip() + "…"


def estimate_text(row: EffectRow, with_level: bool) -> str:
    """'1.36 (95% CI 0.41 to 2.32)': the level only where rows do not share one."""
    e = row.effect
    assert e.value is not None
    shown = number(e.value)
    if e.ci:
        shown += f" ({interval_text(e.ci[0], e.ci[1], e.ci_level if with_level else None)})"
    return shown


def forest_svg(
    group: EffectGroup,
    ident: str,
    axis_label: str,
    *,
    log: bool,
    null: float,
    favours: tuple[str, str] | None,
) -> str:
    """The forest plot of a group's plotted rows as one line of SVG markup.

    One line with no blank lines, so Markdown passes it through as a raw HTML block. Markers
    are squares with area proportional to N analysed; a hollow square marks a result whose
    record gives no N. The interval level comes from the data: one level for all rows goes in
    the column heading, mixed levels are given on each row. `favours` labels the two sides
    of the line of no effect (left, right).
    """
    rows = group.plotted
    lo, hi, ticks = axis(rows, log, null)
    height = TOP + ROW_H * len(rows) + AXIS_H
    biggest = max((r.effect.n or 0 for r in rows), default=0)
    levels = group.ci_levels
    shared = len(levels) == 1
    heading = f"Estimate ({number(levels[0])}% CI)" if shared else "Estimate (CI)"
    title = _flat(f"Forest plot: {axis_label}")
    desc = _flat(
        "; ".join(
            f"{r.study.short_name}, {comparison_label(r)}: {estimate_text(r, True)}" for r in rows
        )
    )
    null_x = _x(null, lo, hi, log)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="forest forest--wide" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        '<g fill="currentColor" font-size="13">',
        '<text x="0" y="18" font-weight="bold">Study and comparison</text>',
        f'<text x="{VALUE_X}" y="18" font-weight="bold">{escape(heading)}</text>',
    ]
    for i, row in enumerate(rows):
        y = TOP + ROW_H * i + ROW_H / 2
        e = row.effect
        assert e.value is not None
        label = comparison_label(row)
        parts.append(
            f'<text x="0" y="{_fmt(y - 3)}"><title>{escape(_flat(row.study.short_name))}: '
            f"{escape(label)}</title>{escape(_short(row.study.short_name))}</text>"
        )
        parts.append(
            f'<text x="0" y="{_fmt(y + 12)}" font-size="11">{escape(_short(label))}</text>'
        )
        if e.ci:
            x0, x1 = _x(float(e.ci[0]), lo, hi, log), _x(float(e.ci[1]), lo, hi, log)
            parts.append(
                f'<line x1="{_fmt(x0)}" y1="{_fmt(y)}" x2="{_fmt(x1)}" y2="{_fmt(y)}" '
                'stroke="currentColor" stroke-width="1.5"/>'
            )
        n = e.n
        side = 6 + 10 * math.sqrt(n / biggest) if n and biggest else 9
        cx = _x(float(e.value), lo, hi, log)
        fill = (
            'fill="currentColor"' if n else 'fill="none" stroke="currentColor" stroke-width="1.5"'
        )
        parts.append(
            f'<rect x="{_fmt(cx - side / 2)}" y="{_fmt(y - side / 2)}" width="{_fmt(side)}" '
            f'height="{_fmt(side)}" {fill}/>'
        )
        shown = estimate_text(row, not shared)
        parts.append(f'<text x="{VALUE_X}" y="{_fmt(y + 4)}">{escape(shown)}</text>')
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
            f'<text x="{tx}" y="{base + 19}" text-anchor="middle">{number(_tick(tick))}</text>'
        )
    if favours:
        left, right = favours
        parts.append(
            f'<text x="{_fmt(null_x - 6)}" y="{base + 38}" text-anchor="end" font-size="12">'
            f"← {escape(left)}</text>"
        )
        parts.append(
            f'<text x="{_fmt(null_x + 6)}" y="{base + 38}" font-size="12">{escape(right)} →</text>'
        )
    centre = (PLOT_X0 + PLOT_X1) // 2
    parts.append(
        f'<text x="{centre}" y="{base + 62}" text-anchor="middle">'
        f"{escape(_flat(axis_label))}</text>"
    )
    parts.append("</g></svg>")
    return "".join(parts)


NARROW_WIDTH = 340  # phones: ~358 CSS px of content at 390 px, so text is drawn at least 12 px
NARROW_X0, NARROW_X1 = 14, 326
NARROW_ROW_H = 76  # study, comparison, estimate, then the interval drawn across the width
NARROW_CHARS = 46


def _narrow_short(value: str) -> str:
    value = _flat(value)
    return value if len(value) <= NARROW_CHARS else value[: NARROW_CHARS - 1].rstrip() + "…"


def forest_svg_narrow(
    group: EffectGroup,
    ident: str,
    axis_label: str,
    *,
    log: bool,
    null: float,
    favours: tuple[str, str] | None,
) -> str:
    """The same forest plot stacked for narrow screens: each row's study, comparison and
    estimate as text lines above its interval, drawn across the whole width, so that nothing
    is cut off and no text is smaller than 12 px on a 390 px phone."""
    rows = group.plotted
    lo, hi, ticks = axis(rows, log, null)
    height = 8 + NARROW_ROW_H * len(rows) + 88
    levels = group.ci_levels
    shared = len(levels) == 1
    level_note = f"Estimates with {number(levels[0])}% CI" if shared else "Estimates with CI"
    title = _flat(f"Forest plot: {axis_label}")
    desc = _flat(
        "; ".join(
            f"{r.study.short_name}, {comparison_label(r)}: {estimate_text(r, True)}" for r in rows
        )
    )

    def x(value: float) -> float:
        if log:
            value, low, high = math.log(value), math.log(lo), math.log(hi)
        else:
            low, high = lo, hi
        return NARROW_X0 + (value - low) / (high - low) * (NARROW_X1 - NARROW_X0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="forest forest--narrow" '
        f'viewBox="0 0 {NARROW_WIDTH} {height}" width="{NARROW_WIDTH}" height="{height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
        '<g fill="currentColor" font-size="13">',
    ]
    biggest = max((r.effect.n or 0 for r in rows), default=0)
    null_x = x(null)
    for i, row in enumerate(rows):
        top = 8 + NARROW_ROW_H * i
        e = row.effect
        assert e.value is not None
        parts.append(
            f'<text x="0" y="{top + 13}" font-weight="bold">'
            f"{escape(_narrow_short(row.study.short_name))}</text>"
        )
        parts.append(
            f'<text x="0" y="{top + 29}" font-size="12">'
            f"{escape(_narrow_short(comparison_label(row)))}</text>"
        )
        parts.append(f'<text x="0" y="{top + 45}">{escape(estimate_text(row, not shared))}</text>')
        y = top + 60
        # The line of no effect is drawn beside each interval only, not through the text.
        parts.append(
            f'<line x1="{_fmt(null_x)}" y1="{y - 10}" x2="{_fmt(null_x)}" y2="{y + 10}" '
            'stroke="currentColor" stroke-dasharray="4 3"/>'
        )
        if e.ci:
            x0, x1 = x(float(e.ci[0])), x(float(e.ci[1]))
            parts.append(
                f'<line x1="{_fmt(x0)}" y1="{y}" x2="{_fmt(x1)}" y2="{y}" '
                'stroke="currentColor" stroke-width="1.5"/>'
            )
        n = e.n
        side = 6 + 8 * math.sqrt(n / biggest) if n and biggest else 9
        cx = x(float(e.value))
        fill = (
            'fill="currentColor"' if n else 'fill="none" stroke="currentColor" stroke-width="1.5"'
        )
        parts.append(
            f'<rect x="{_fmt(cx - side / 2)}" y="{_fmt(y - side / 2)}" width="{_fmt(side)}" '
            f'height="{_fmt(side)}" {fill}/>'
        )
    base = 8 + NARROW_ROW_H * len(rows)
    parts.append(
        f'<line x1="{NARROW_X0}" y1="{base}" x2="{NARROW_X1}" y2="{base}" stroke="currentColor"/>'
    )
    for tick in ticks:
        tx = _fmt(x(tick))
        parts.append(
            f'<line x1="{tx}" y1="{base}" x2="{tx}" y2="{base + 5}" stroke="currentColor"/>'
        )
        parts.append(
            f'<text x="{tx}" y="{base + 19}" text-anchor="middle" font-size="12">'
            f"{number(_tick(tick))}</text>"
        )
    if favours:
        left, right = favours
        parts.append(f'<text x="0" y="{base + 38}" font-size="12">← {escape(left)}</text>')
        parts.append(
            f'<text x="{NARROW_WIDTH}" y="{base + 38}" text-anchor="end" font-size="12">'
            f"{escape(right)} →</text>"
        )
    parts.append(
        f'<text x="0" y="{base + 58}" font-size="12">{escape(_narrow_short(axis_label))}</text>'
    )
    parts.append(f'<text x="0" y="{base + 76}" font-size="12">{escape(level_note)}</text>')
    parts.append("</g></svg>")
    return "".join(parts)

"""Numbers as readers see them, the same on every page, plot and download.

A number keeps the precision its source printed: the loader keeps the text of a number such
as 2.30, which the model holds as a `Decimal`, so it is shown as 2.30, not 2.3. Floats are
shown without binary noise; very large counts (doses) as powers of ten.
"""

from __future__ import annotations

from decimal import Decimal

Number = int | float | Decimal

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
MINUS = "−"
"""Typographic minus sign (U+2212), which screen readers and line breaking treat as a sign."""


def number(value: Number | None) -> str:
    """A number for display: as printed, no float noise, powers of ten from a million up.

    A float's shortest round-trip form is what YAML printed (4.0 stays 4.0); text whose
    form a float cannot keep (2.30) arrives as a Decimal."""
    if value is None:
        return "—"
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if abs(exact) < 1_000_000:
        shown = format(exact, "f")
        return MINUS + shown[1:] if shown.startswith("-") else shown
    sign, digits, exponent = exact.normalize().as_tuple()
    assert isinstance(exponent, int)
    power = len(digits) - 1 + exponent
    mantissa = str(digits[0]) + ("." + "".join(map(str, digits[1:])) if len(digits) > 1 else "")
    return f"{MINUS if sign else ''}{mantissa} × 10{str(power).translate(_SUPERSCRIPT)}"


def with_unit(value: Number, unit: str | None) -> str:
    """'1.36 points', '74%' (a percent sign follows the number directly)."""
    if not unit:
        return number(value)
    return number(value) + (unit if unit == "%" else f" {unit}")


def interval_text(low: Number, high: Number, level: Number | None = None) -> str:
    """'95% CI 0.41 to 2.32' (the level as given; none for a range or IQR)."""
    head = f"{number(level)}% CI " if level is not None else ""
    return f"{head}{number(low)} to {number(high)}"

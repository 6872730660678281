"""Number formats of the published report tables."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from reports.selectors import hms as _hms

register = template.Library()


@register.filter
def hms(seconds):
    return _hms(seconds) or "—"


@register.filter
def thousands(value):
    """22 038, as in the published tables (a narrow no-break space between groups)."""
    if value is None:
        return "—"
    return f"{int(value):,}".replace(",", "\u202f")


@register.filter
def days(value):
    return "—" if value is None else f"{Decimal(str(value)):.2f}".replace(".", ",")


@register.filter
def change(value, previous):
    """The change against the previous year in percent: «+4,2 %», or empty when not comparable."""
    if value is None or previous in (None, 0):
        return ""
    percent = (Decimal(str(value)) - Decimal(str(previous))) / Decimal(str(previous)) * 100
    sign = "+" if percent > 0 else "−" if percent < 0 else "±"
    return f"{sign}{abs(percent):.1f}\u00a0%".replace(".", ",")


@register.filter
def seconds(value):
    """Whole seconds as a plain number, «—» when absent (a real 0 stays 0, unlike ``default``)."""
    return "—" if value is None else str(value)


@register.filter
def share(value):
    """0.1234 as «12,3%», «—» when absent."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + "%"


@register.filter
def percent(value):
    """0.2567 → «25,7 %», as the XLSX's 0.0% format shows it."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"


@register.filter
def signed(value):
    """Whole seconds with their sign: «−340», «+12», «0»; «—» when absent."""
    if value is None:
        return "—"
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{abs(int(value)):,}".replace(",", "\u202f")


@register.filter
def minutes(seconds):
    """216 seconds as «3,6 мин» (one decimal, halves up); empty when absent."""
    if seconds is None:
        return ""
    value = (Decimal(int(seconds)) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + "\u00a0мин"

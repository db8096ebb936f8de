"""Template filters shared by every app."""

from django import template

from egov.text import money

register = template.Library()


@register.filter
def vnd(amount) -> str:
    """``50000|vnd`` → "50.000" (Vietnamese) or "50,000" (English)."""
    try:
        return money(int(amount))
    except (TypeError, ValueError):
        return ""

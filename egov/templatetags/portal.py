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


@register.filter
def anchor_id(field) -> str:
    """``field|anchor_id``: the id a link to the bound field goes to (its first
    part when it is a group of controls, e.g. an address or radio buttons)."""
    from egov.forms import anchor_id as widget_anchor_id

    return widget_anchor_id(field.field.widget, field.auto_id or "")

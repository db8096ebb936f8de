"""Whether the back office's menu offers the handoffs page to a staff member (templates/layouts/backoffice.html)."""

from django import template

from interconnect import selectors

register = template.Library()


@register.filter
def may_view_handoffs(user) -> bool:
    """Superusers and the heads of an agency see /back-office/handoffs/ (no query:
    the memberships are loaded once per request)."""
    return selectors.may_view_handoffs(user)

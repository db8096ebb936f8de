"""What the back office's menu offers a staff member (templates/layouts/backoffice.html)."""

from django import template

register = template.Library()


@register.filter
def may_view_handoffs(user) -> bool:
    """Superusers and the heads of an agency see /back-office/handoffs/ (no query:
    the memberships are loaded once per request)."""
    from interconnect.selectors import may_view_handoffs as allowed

    return allowed(user)

"""Whether the back office's menu offers the statistics (templates/layouts/backoffice.html)."""

from django import template

from stats.figures import STAFF_ROLES

register = template.Library()


@register.filter
def may_view_statistics(user) -> bool:
    """Superusers and staff of any agency (no query: the memberships are
    loaded once per request); each then sees their jurisdiction's figures."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(m.role in STAFF_ROLES for m in user.active_memberships)

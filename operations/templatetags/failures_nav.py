"""The back office's "Failures" menu item and its count of open failures
(templates/layouts/backoffice.html)."""

from django import template

from operations import failures

register = template.Library()


@register.filter
def may_view_failures(user) -> bool:
    """Superusers and agency heads (no query: the memberships are loaded once per request)."""
    return failures.may_view_failures(user)


@register.simple_tag
def open_failure_count(user) -> int | None:
    """Open failures the user may see (kept a few seconds per process); None,
    without a query, for anyone who may see none."""
    if not failures.may_view_failures(user):
        return None
    return failures.cached_open_count(user)

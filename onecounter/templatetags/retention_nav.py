"""Whether the back office's menu offers the destruction lists to a staff
member (templates/layouts/backoffice.html)."""

from django import template

from onecounter.retention import views

register = template.Library()


@register.filter
def may_view_retention(user) -> bool:
    """The heads of an agency see /back-office/retention/ (no query: the
    memberships are loaded once per request)."""
    return views.may_view_retention(user)

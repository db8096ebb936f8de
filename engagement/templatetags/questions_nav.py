"""Whether the back office's menu offers the questions and the feedback to a
staff member (templates/layouts/backoffice.html)."""

from django import template

from engagement import views_backoffice, views_feedback_backoffice

register = template.Library()


@register.filter
def may_view_questions(user) -> bool:
    """The officers and heads of an agency, catalog administrators and
    superusers see /back-office/questions/ (no query: the memberships are
    loaded once per request)."""
    return views_backoffice.may_view_questions(user)


@register.filter
def may_view_feedback(user) -> bool:
    """The clerks, officers and heads of an agency see /back-office/feedback/
    (no query)."""
    return views_feedback_backoffice.may_view_feedback(user)

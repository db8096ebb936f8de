"""The back office's "Failures" menu item and its count of open failures
(templates/layouts/backoffice.html)."""

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from citizens.models import PopulationImport
from interconnect.models import Handoff
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


# The names of a row's details (FailureRow.details keys) and the states of a
# notice's channels, as shown on the pages; the API gives the keys and values.
DETAIL_LABELS = {
    "step": _("Step"),
    "document": _("Document"),
    "key": _("Rendered for"),
    "subject": _("Subject"),
    "email": _("Email"),
    "sms": _("SMS"),
    "provider": _("Payment provider"),
    "reference": _("Payment reference"),
    "target": _("Handed on for"),
    "status": _("Status"),
    "receiver": _("Receiving agency"),
    "file": _("File"),
    "rows_read": _("Rows read"),
    "inserted": _("New records"),
    "updated": _("Records updated"),
    "unchanged": _("Records unchanged"),
    "rejected": _("Rows rejected"),
    "rejects_file": _("Rejected rows file"),
    "host": _("Server"),
    "pid": _("Process id"),
    "actor": _("Run by"),
}
CHANNEL_STATES = {
    "sent": pgettext_lazy("notice channel", "sent"),
    "pending": pgettext_lazy("notice channel", "not sent yet"),
    "failed": pgettext_lazy("notice channel", "failed"),
    "none": pgettext_lazy("notice channel", "no address"),
}


@register.filter
def detail_label(name: str) -> str:
    return str(DETAIL_LABELS.get(name, name))


@register.filter
def channel_state(value: str) -> str:
    return str(CHANNEL_STATES.get(value, value))


@register.filter
def detail_value(value: str, where: str) -> str:
    """A detail's value as shown (``where``: "<kind>:<name>"): a channel's or a
    status's label, else the value itself."""
    kind, _sep, name = where.partition(":")
    if name in ("email", "sms"):
        return channel_state(value)
    if name == "status":
        choices = PopulationImport.Status if kind == "import" else Handoff.Status
        return str(dict(choices.choices).get(value, value))
    return value

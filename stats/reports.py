"""Reports of an agency's figures: the monthly PDF and the weekly e-mail to
the agency heads who asked for it (``ReportSubscription``).

The monthly report is rendered synchronously, in the request: it reads one
agency and one month from the roll-ups (a dozen aggregate queries, whatever
the number of dossiers) and WeasyPrint lays out two pages in well under a
second. A background job would need a stored file, a status page and polling
for no gain; the slips of the one-stop are rendered the same way.

``send_weekly(today)`` is run every week by the task
``stats.send_weekly_reports``. It is safe to run twice or late: a
subscription is sent at most once in 7 days (``last_sent_on``), its row
locked while the e-mail goes, and only while its user still heads the agency.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from citizens.models import Agency, Role, StaffMembership, User
from onecounter.slips.pdf import render_pdf
from stats import figures, index766
from stats.figures import CITY, Durations, Filters, Measures, OpenNow, Row
from stats.index766 import Score
from stats.models import ReportSubscription

logger = logging.getLogger(__name__)

TOP_PROCEDURES = 10
RESEND_AFTER_DAYS = 6  # a subscription last sent 7 or more days ago is due


# --- The monthly report ------------------------------------------------------------------


@dataclass
class MonthlyReport:
    agency: Agency
    year: int
    month: int
    start: dt.date
    end: dt.date
    generated_on: dt.date
    measures: Measures
    durations: Durations
    open_now: OpenNow
    score: Score | None
    top_procedures: list[Row]

    @property
    def shown(self) -> dict[str, str]:
        """The rates and averages as printed (Vietnamese decimal comma)."""
        m = self.measures
        return {
            "on_time_rate": percent(m.on_time_rate),
            "online_share": percent(m.online_share),
            "paid_online_share": percent(m.paid_online_share),
            "satisfied_share": percent(m.satisfied_share),
            "average_days": decimal(m.average_days),
            "average_rating": decimal(m.average_rating),
            "p90": "—" if self.durations.p90 is None else str(self.durations.p90),
            "score": decimal(float(self.score.total) if self.score else None, 2),
        }

    @property
    def groups(self) -> list[tuple[str, int, str]]:
        """(group, its points, the agency's points) of the 766 index."""
        if self.score is None:
            return []
        return [
            (g.group.name, g.group.points, decimal(float(g.points), 2)) for g in self.score.groups
        ]

    @property
    def channels(self) -> list[tuple[str, int]]:
        m = self.measures
        return [
            ("Trực tuyến toàn trình", m.received_online_full),
            ("Trực tuyến một phần", m.received_online_partial),
            ("Trực tiếp tại Bộ phận Một cửa", m.received_counter),
            ("Qua dịch vụ bưu chính", m.received_post),
            ("Do cơ quan khác chuyển đến", m.received_linked),
        ]


def decimal(value: float | None, digits: int = 1) -> str:
    """``4,5``: a number the Vietnamese way, or a dash when there is none."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{decimal(value * 100)}%"


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def monthly(agency: Agency, year: int, month: int, today: dt.date | None = None) -> MonthlyReport:
    """The figures of one agency for one month (a fixed number of queries)."""
    today = today or timezone.localdate()
    start, end = month_bounds(year, month)
    filters = Filters(start=start, end=end, agency=agency.code)
    # The index ranks the agency among the city's: computed for every agency.
    scores = index766.scores(Filters(start=start, end=end), by="agency")
    rows = figures.breakdown(filters, CITY, "procedure")
    top = sorted(rows, key=lambda r: (-r.measures.received, r.label))[:TOP_PROCEDURES]
    return MonthlyReport(
        agency=agency,
        year=year,
        month=month,
        start=start,
        end=end,
        generated_on=today,
        measures=figures.summary(filters, CITY),
        durations=figures.durations(filters, CITY),
        open_now=figures.open_now(filters, CITY, today=today),
        score=next((s for s in scores if s.key == agency.pk), None),
        top_procedures=top,
    )


def monthly_pdf(agency: Agency, year: int, month: int, today: dt.date | None = None) -> bytes:
    """The monthly report as PDF bytes (A4, the bundled Vietnamese font)."""
    report = monthly(agency, year, month, today)
    return render_pdf("stats/report_monthly.html", {"report": report})


# --- Subscriptions ------------------------------------------------------------------------


def _is_head(user: User, agency: Agency) -> bool:
    return any(m.role == Role.HEAD and m.agency_id == agency.pk for m in user.active_memberships)


def subscribed_agency_ids(user: User) -> set[Any]:
    return set(ReportSubscription.objects.filter(user=user).values_list("agency_id", flat=True))


@transaction.atomic
def subscription_set(*, actor: User, agency: Agency, subscribed: bool) -> bool:
    """Turn the weekly e-mail of ``agency`` on or off for ``actor`` (its head).
    Returns whether it is now on."""
    if not _is_head(actor, agency):
        raise PermissionDenied
    if subscribed:
        ReportSubscription.objects.get_or_create(user=actor, agency=agency)
    else:
        ReportSubscription.objects.filter(user=actor, agency=agency).delete()
    return subscribed


@transaction.atomic
def subscription_toggle(*, actor: User, agency: Agency) -> bool:
    """Turn it on when off, off when on. Returns whether it is now on."""
    exists = (
        ReportSubscription.objects.select_for_update().filter(user=actor, agency=agency).exists()
    )
    return subscription_set(actor=actor, agency=agency, subscribed=not exists)


# --- The weekly e-mail --------------------------------------------------------------------


@dataclass
class Weekly:
    agency: Agency
    start: dt.date
    end: dt.date
    current: Measures
    previous: Measures
    overdue: int
    link: str
    manage_link: str

    @property
    def rows(self) -> list[tuple[str, Any, Any]]:
        """(label, this week, the week before) of the key figures."""
        c, p = self.current, self.previous
        return [
            (pgettext("statistics export", "Received"), c.received, p.received),
            (
                pgettext("statistics export", "Received online"),
                c.received_online,
                p.received_online,
            ),
            (pgettext("statistics export", "Resolved"), c.resolved, p.resolved),
            (
                pgettext("statistics export", "Resolved on time"),
                c.resolved_on_time,
                p.resolved_on_time,
            ),
            (pgettext("statistics export", "Resolved late"), c.resolved_late, p.resolved_late),
            (pgettext("statistics export", "Supplements requested"), c.supplements, p.supplements),
            (pgettext("statistics export", "Refused at intake"), c.refused, p.refused),
            (pgettext("statistics export", "Withdrawn"), c.withdrawn, p.withdrawn),
        ]


def dashboard_link(filters: Filters) -> str:
    """The dashboard filtered on the agency, as an absolute address (the
    portal's public address, as on the QR codes of result documents)."""
    try:
        path = reverse("stats:dashboard")
    except NoReverseMatch:  # the dashboard's URLs not (yet) included
        path = "/statistics/"
    return f"{settings.EGOV_PUBLIC_BASE_URL}{path}?{urlencode(filters.query())}"


def weekly(agency: Agency, today: dt.date) -> Weekly:
    """The 7 days ending yesterday against the 7 before (3 queries)."""
    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=6)
    current = Filters(start=start, end=end, grain="day", agency=agency.code)
    previous = Filters(
        start=start - dt.timedelta(days=7), end=end - dt.timedelta(days=7), agency=agency.code
    )
    return Weekly(
        agency=agency,
        start=start,
        end=end,
        current=figures.summary(current, CITY),
        previous=figures.summary(previous, CITY),
        overdue=figures.open_now(current, CITY, today=today).overdue,
        link=dashboard_link(current),
        manage_link=f"{settings.EGOV_PUBLIC_BASE_URL}{reverse('stats:subscription')}",
    )


def due_subscriptions(today: dt.date) -> Any:
    """Subscriptions due (never sent, or 7 days ago or more) whose user still
    heads the agency, and has an address."""
    head = StaffMembership.objects.filter(
        user=OuterRef("user"),
        agency=OuterRef("agency"),
        role=Role.HEAD,
        is_active=True,
    )
    return (
        ReportSubscription.objects.filter(
            Q(last_sent_on__isnull=True)
            | Q(last_sent_on__lt=today - dt.timedelta(days=RESEND_AFTER_DAYS)),
            Exists(head),
            user__is_active=True,
            agency__is_active=True,
        )
        .exclude(user__email="")
        .order_by("pk")
    )


def _message(report: Weekly, email: str) -> EmailMultiAlternatives:
    context = {"report": report}
    subject = _("Weekly figures of %(agency)s, %(start)s to %(end)s") % {
        "agency": report.agency.display_name,
        "start": f"{report.start:%d/%m}",
        "end": f"{report.end:%d/%m/%Y}",
    }
    body = render_to_string("stats/email_weekly.txt", context)
    html = render_to_string("stats/email_weekly.html", context)
    message = EmailMultiAlternatives(subject, body, None, [email])
    message.attach_alternative(html, "text/html")
    return message


@transaction.atomic
def _send_one(pk: Any, today: dt.date) -> int:
    subscription = (
        due_subscriptions(today)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "agency")
        .filter(pk=pk)
        .first()
    )
    if subscription is None:
        return 0  # sent meanwhile, or no longer due
    with translation.override(settings.LANGUAGE_CODE):
        report = weekly(subscription.agency, today)
        _message(report, subscription.user.email).send()
    subscription.last_sent_on = today
    subscription.save(update_fields=["last_sent_on"])
    return 1


def send_weekly(today: dt.date) -> int:
    """Send the weekly e-mail of each due subscription; returns how many were
    sent. Each one is locked (skipping those another run holds), checked
    again and marked sent in the same transaction as it is sent; one that
    fails is logged and left due for the next run."""
    sent = 0
    ids = list(due_subscriptions(today).values_list("pk", flat=True))
    for pk in ids:
        try:
            sent += _send_one(pk, today)
        except Exception:  # one failed delivery does not stop the others
            # No address in the log: the subscription's id is enough to find it.
            logger.exception("Weekly statistics e-mail of subscription %s failed", pk)
    return sent

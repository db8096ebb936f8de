"""The staff statistics pages: the dashboard, the Decision 766 index, and the
drill-downs listing the dossiers (or procedures) behind a figure.

Who: staff of any agency see their jurisdiction's figures, a statistician (or
a superuser) the city's; a signed-in user without a staff role is refused
(403), an anonymous visitor is sent to sign in, staff without a second factor
to enrol one (as on the back office).

Every page reads the roll-ups through ``figures.cached``: it costs the same
few queries whatever the number of dossiers. The drill-downs are one count and
one page of facts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from citizens.models import Agency, Role
from stats import charts, figures, index766, page_cache
from stats.figures import Filters, Measures, OpenNow, Scope
from stats.models import Channel

PAGE_SIZE = 50
EXPORT_FORMATS = ("csv", "xlsx")

View = Callable[..., HttpResponseBase]


# --- Access ------------------------------------------------------------------------------


def statistics_view(view: View) -> View:
    """Resolve the user's scope first: anonymous → sign in; no staff role → 403.
    (Staff without a second factor never get here: ``citizens.middleware``
    sends them to enrol one, as on every back-office page.)"""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = figures.scope_for(user)
        if scope is None:
            raise PermissionDenied
        return view(request, scope, *args, **kwargs)

    return wrapper


def link(name: str, *args: Any, query: Mapping[str, str] | None = None) -> str | None:
    """The URL of another statistics page, or None while that part is not
    there (exports, reports and subscriptions are built apart)."""
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(query)}" if query else url


def _with_query(url: str, query: Mapping[str, str]) -> str:
    return f"{url}?{urlencode(query)}" if query else url


# --- Filters -------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


ERRORS = {
    "from": gettext_lazy(
        "Enter the start date as a date (at most five years before the end): "
        "the first day of the year is used instead."
    ),
    "to": gettext_lazy(
        "Enter the end date as a date, not before the start date: a default is used instead."
    ),
    "grain": gettext_lazy("Choose day, month, quarter or year: month is used instead."),
    "agency": gettext_lazy("Choose an agency from the list: every agency is counted instead."),
    "unit": gettext_lazy("Choose a ward from the list: every ward is counted instead."),
    "procedure": gettext_lazy(
        "Choose a procedure from the list: every procedure is counted instead."
    ),
    "field": gettext_lazy("Choose a field from the list: every field is counted instead."),
}


class FilterForm(forms.Form):
    """The dashboard's filters as a GET form. Only displays what was typed and
    the errors the view found: ``Filters.from_query`` reads the values."""

    def __init__(
        self,
        data: Mapping[str, Any],
        options: Mapping[str, list[tuple[str, str]]],
        *,
        period_only: bool = False,
    ) -> None:
        super().__init__(data)
        self.options = options
        self.fields["from"] = forms.CharField(
            label=gettext_lazy("From"), required=False, widget=DateInput()
        )
        self.fields["to"] = forms.CharField(
            label=gettext_lazy("To"), required=False, widget=DateInput()
        )
        if period_only:
            return
        self.fields["grain"] = forms.CharField(
            label=gettext_lazy("Show the trend by"),
            required=False,
            widget=forms.Select(choices=list(figures.GRAINS.items())),
        )
        labels = {
            "agency": (gettext_lazy("Agency"), gettext_lazy("All agencies")),
            "unit": (gettext_lazy("Ward"), gettext_lazy("All wards")),
            "procedure": (gettext_lazy("Procedure"), gettext_lazy("All procedures")),
            "field": (gettext_lazy("Field"), gettext_lazy("All fields")),
        }
        for name, (label, everything) in labels.items():
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Select(choices=[("", everything), *options.get(name, [])]),
            )

    def show(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self.fields and name not in self.errors:
                self.add_error(name, str(ERRORS[name]))


def _filters(
    request: HttpRequest, scope: Scope, *, period_only: bool = False
) -> tuple[Filters, FilterForm]:
    """The filters of the query string, checked against what the user may
    choose; a bad value is shown as an error and replaced by its default."""
    options = figures.cached(
        "choices", [scope.key(), translation.get_language() or ""], lambda: figures.choices(scope)
    )
    filters = Filters.from_query(request.GET)
    errors = list(filters.errors)
    changes: dict[str, Any] = {}
    if period_only:
        filters = Filters(start=filters.start, end=filters.end, errors=filters.errors)
    else:
        for name in ("agency", "unit", "procedure", "field"):
            value = getattr(filters, name)
            if value and value not in {code for code, _label in options[name]}:
                errors.append(name)
                changes[name] = ""
    filters = dataclasses.replace(filters, **{**changes, "errors": tuple(errors)})
    # What was typed, and the values in force where nothing was.
    shown = {**filters.query(), **{k: v for k, v in request.GET.items() if v}}
    form = FilterForm(shown, options, period_only=period_only)
    form.show(errors)
    return filters, form


def _parts(filters: Filters, scope: Scope, today: dt.date) -> list[str]:
    return [scope.key(), filters.key(), translation.get_language() or "", today.isoformat()]


# --- Formatting --------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{formats.number_format(round(value * 100, 1), 1)} %"


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return formats.number_format(round(value, digits), digits, force_grouping=True)


def bucket_label(day: dt.date, grain: str) -> str:
    if grain == "day":
        return day.strftime("%d/%m")
    if grain == "month":
        return day.strftime("%m/%Y")
    if grain == "quarter":
        return _("Q%(quarter)s %(year)s") % {"quarter": (day.month - 1) // 3 + 1, "year": day.year}
    return str(day.year)


# --- The dashboard -----------------------------------------------------------------------------


def _dashboard_data(filters: Filters, scope: Scope, today: dt.date) -> dict[str, Any]:
    """Everything the dashboard shows (a fixed number of queries)."""
    return {
        "summary": figures.summary(filters, scope),
        "open": figures.open_now(filters, scope, today),
        "durations": figures.durations(filters, scope),
        "trend": figures.trend(filters, scope),
        "channel": figures.breakdown(filters, scope, "channel"),
        "agency": figures.breakdown(filters, scope, "agency"),
        "unit": figures.breakdown(filters, scope, "unit"),
        "procedure": figures.breakdown(filters, scope, "procedure"),
        "open_agency": figures.open_now_by(filters, scope, "agency", today),
        "open_unit": figures.open_now_by(filters, scope, "unit", today),
        "open_procedure": figures.open_now_by(filters, scope, "procedure", today),
    }


def _drill(filters: Filters, which: str, **extra: str) -> str:
    return _with_query(reverse("stats:drill", args=[which]), {**filters.query(), **extra})


def _cards(
    filters: Filters, m: Measures, now: OpenNow, durations: figures.Durations
) -> list[dict[str, Any]]:
    """The key figures, each with the drill-down of the dossiers behind it."""

    def card(
        key: str, label: str, value: str, which: str | None, note: str = "", **extra: str
    ) -> dict[str, Any]:
        return {
            "key": key,
            "label": label,
            "value": value,
            "note": note,
            "url": _drill(filters, which, **extra) if which else None,
        }

    p90 = durations.p90
    p90_text = number(p90) if p90 is not None else "–"
    if durations.capped and p90 is not None:
        p90_text = f"≥ {p90_text}"
    return [
        card("received", pgettext("statistics", "Received"), number(m.received), "received"),
        card(
            "online_full",
            _("Online, level 4"),
            number(m.received_online_full),
            "received",
            channel=Channel.ONLINE_FULL,
        ),
        card(
            "online_partial",
            _("Online, level 3"),
            number(m.received_online_partial),
            "received",
            channel=Channel.ONLINE_PARTIAL,
        ),
        card(
            "counter",
            _("At the counter"),
            number(m.received_counter),
            "received",
            channel=Channel.COUNTER,
        ),
        card("post", _("By post"), number(m.received_post), "received", channel=Channel.POST),
        card(
            "linked",
            _("Handed on by another agency"),
            number(m.received_linked),
            "received",
            channel=Channel.LINKED,
        ),
        card("resolved", _("Resolved"), number(m.resolved), "resolved"),
        card(
            "resolved_on_time",
            _("Resolved on time"),
            number(m.resolved_on_time),
            "resolved_on_time",
            percent(m.on_time_rate),
        ),
        card("resolved_late", _("Resolved late"), number(m.resolved_late), "resolved_late"),
        card("overdue", _("Overdue now"), number(now.overdue), "overdue", _("open today")),
        card(
            "within_time",
            _("In progress, within time"),
            number(now.within_time),
            "within_time",
            _("open today"),
        ),
        card("paused", _("Paused for a supplement"), number(now.paused), "paused", _("open today")),
        card("supplements", _("Supplements asked"), number(m.supplements), "supplements"),
        card("refused", _("Refused at intake"), number(m.refused), "refused"),
        card("rejected", _("Rejected"), number(m.rejected), "rejected"),
        card("withdrawn", _("Withdrawn"), number(m.withdrawn), "withdrawn"),
        card(
            "average_days",
            _("Average processing time"),
            number(m.average_days, 1),
            "resolved",
            _("working days"),
        ),
        card(
            "p90_days",
            _("Nine in ten resolved within"),
            p90_text,
            "resolved",
            _("working days"),
        ),
        card("online_share", _("Filed online"), percent(m.online_share), "received_online"),
        card(
            "paid_online_share",
            _("Fees paid online"),
            percent(m.paid_online_share),
            "received_unpaid_online",
            _("the link lists the fees not paid online"),
        ),
        card(
            "satisfaction",
            _("Satisfied applicants"),
            percent(m.satisfied_share),
            "unsatisfied",
            _("average %(average)s of 5, from %(count)s ratings; the link lists ratings below 4")
            % {"average": number(m.average_rating, 1), "count": number(m.ratings)},
        ),
    ]


def _table_rows(
    rows: list[figures.Row], open_by: Mapping[Any, OpenNow], filters: Filters, by: str
) -> list[dict[str, Any]]:
    result = []
    for row in rows:
        now = open_by.get(row.key, OpenNow())
        result.append(
            {
                "label": row.label,
                "code": row.code,
                "url": _with_query(reverse("stats:dashboard"), filters.query(**{by: row.code})),
                "received": row.measures.received,
                "resolved": row.measures.resolved,
                "on_time_rate": percent(row.measures.on_time_rate),
                "late": row.measures.resolved_late,
                "overdue": now.overdue,
                "online_share": percent(row.measures.online_share),
                "average_days": number(row.measures.average_days, 1),
            }
        )
    return result


def _charts(data: Mapping[str, Any], filters: Filters) -> dict[str, dict[str, Any]]:
    """The charts (SVG) and, for each, the table of its numbers."""
    nothing = _("Nothing to show for these filters.")
    buckets = [bucket_label(day, filters.grain) for day, _m in data["trend"]]
    received = tuple(float(m.received) for _d, m in data["trend"])
    on_time = tuple(float(m.resolved_on_time) for _d, m in data["trend"])
    late = tuple(float(m.resolved_late) for _d, m in data["trend"])
    trend_title = _("Received and resolved, by %(grain)s") % {
        "grain": figures.GRAINS[filters.grain]
    }
    trend = {
        "id": "chart-trend",
        "title": trend_title,
        "svg": charts.columns(
            buckets,
            [
                charts.Series(pgettext("statistics", "Received"), received, charts.COLOURS[0]),
                charts.Series(_("Resolved on time"), on_time, charts.COLOURS[1], "resolved"),
                charts.Series(_("Resolved late"), late, charts.COLOURS[2], "resolved"),
            ],
            chart_id="chart-trend",
            title=trend_title,
            description=_(
                "For each period, a column of dossiers received and a column of dossiers "
                "resolved, on time below and late above. The numbers are in the table."
            ),
            empty_message=nothing,
        ),
        "headers": [
            _("Period"),
            pgettext("statistics", "Received"),
            _("Resolved on time"),
            _("Resolved late"),
        ],
        "rows": [
            [b, number(r), number(o), number(la)]
            for b, r, o, la in zip(buckets, received, on_time, late, strict=True)
        ],
    }
    channel_rows = [(capfirst(row.label), row.measures.received) for row in data["channel"]]
    total = sum(n for _label, n in channel_rows)
    channel_title = _("How the dossiers were filed")
    channel = {
        "id": "chart-channel",
        "title": channel_title,
        "svg": charts.shares(
            channel_rows,
            chart_id="chart-channel",
            title=channel_title,
            description=_("The share of the dossiers received through each channel."),
            empty_message=nothing,
        ),
        "headers": [_("Channel"), pgettext("statistics", "Received"), _("Share")],
        "rows": [
            [label, number(n), percent(n / total if total else None)] for label, n in channel_rows
        ],
    }
    result = {"trend": trend, "channel": channel}
    for by, title in (
        ("unit", _("Resolved on time, by ward")),
        ("agency", _("Resolved on time, by agency")),
        ("procedure", _("Resolved on time, by procedure (the 12 most received)")),
    ):
        rows = [r for r in data[by] if r.measures.resolved]
        if by == "procedure":
            rows = sorted(rows, key=lambda r: -r.measures.received)[:12]
        result[by] = {
            "id": f"chart-on-time-{by}",
            "title": title,
            "svg": charts.bars(
                [(r.label, r.measures.on_time_rate) for r in rows],
                chart_id=f"chart-on-time-{by}",
                title=title,
                description=_(
                    "The share of the dossiers resolved in the period that were on time."
                ),
                empty_message=_("Nothing resolved in this period."),
                colour=charts.COLOURS[1],
            ),
            "headers": [
                pgettext("statistics", "Name"),
                _("Resolved"),
                _("On time"),
                _("Share on time"),
            ],
            "rows": [
                [
                    r.label,
                    number(r.measures.resolved),
                    number(r.measures.resolved_on_time),
                    percent(r.measures.on_time_rate),
                ]
                for r in rows
            ],
        }
    for chart in result.values():
        chart["cells"] = [list(zip(chart["headers"], row, strict=True)) for row in chart["rows"]]
    return result


def _export_links(filters: Filters, tables: Iterable[str], **extra: str) -> list[dict[str, str]]:
    names = {
        "summary": _("Key figures"),
        "agency": _("By agency"),
        "unit": _("By ward"),
        "procedure": _("By procedure"),
        "channel": _("By channel"),
        "trend": _("Trend"),
        "index": _("Decision 766 index"),
        "drill": _("This list"),
    }
    result = []
    for table in tables:
        for fmt in EXPORT_FORMATS:
            url = link("stats:export", table, fmt, query={**filters.query(), **extra})
            if url:
                result.append({"label": names[table], "format": fmt.upper(), "url": url})
    return result


def _report_links(
    request: HttpRequest, chosen: tuple[str, str] | None, month: dt.date
) -> list[dict[str, str]]:
    """The monthly report (PDF) of the agency chosen in the filters (``chosen``:
    its code and name) and of each agency the user heads or counts for, for
    ``month`` (the month of the period's end)."""
    agencies: dict[str, str] = {}
    if chosen:
        agencies[chosen[0]] = chosen[1]
    for membership in request.user.active_memberships:  # type: ignore[union-attr]
        if membership.role in (Role.HEAD, Role.STATISTICIAN):
            agencies.setdefault(membership.agency.code, membership.agency.display_name)
    result = []
    for code, name in list(agencies.items())[:5]:
        url = link("stats:report-monthly", code, month.year, month.month)
        if url:
            result.append({"label": name, "url": url, "month": month.strftime("%m/%Y")})
    return result


def _heads_an_agency(request: HttpRequest) -> bool:
    memberships = request.user.active_memberships  # type: ignore[union-attr]
    return any(m.role == Role.HEAD for m in memberships)


# The filters the dashboard's form shows: the body depends on what was typed in them.
FILTER_NAMES = ("from", "to", "grain", "agency", "unit", "procedure", "field")


def _dashboard_page(request: HttpRequest, scope: Scope, today: dt.date) -> dict[str, Any]:
    """The dashboard's body rendered to a string, and what the per-user part of
    the page needs. Depends only on the scope, the filters as typed, the
    language and today (the cache key): rendered without the request, so no
    user, CSRF token or message can get into it."""
    filters, form = _filters(request, scope)
    data = figures.cached(
        "dashboard", _parts(filters, scope, today), lambda: _dashboard_data(filters, scope, today)
    )
    context = {
        "scope": scope,
        "filters": filters,
        "form": form,
        "cards": _cards(filters, data["summary"], data["open"], data["durations"]),
        "charts": _charts(data, filters),
        "tables": [
            (
                "agency",
                _("By agency"),
                _table_rows(data["agency"], data["open_agency"], filters, "agency"),
            ),
            ("unit", _("By ward"), _table_rows(data["unit"], data["open_unit"], filters, "unit")),
            (
                "procedure",
                _("By procedure"),
                _table_rows(data["procedure"], data["open_procedure"], filters, "procedure"),
            ),
        ],
        "index_url": _with_query(
            reverse("stats:index766"),
            {"from": filters.start.isoformat(), "to": filters.end.isoformat()},
        ),
    }
    names = dict(form.options["agency"])
    return {
        "body": render_to_string("stats/_dashboard_body.html", context),
        "has_errors": bool(form.errors),
        "exports": _export_links(
            filters, ("summary", "agency", "unit", "procedure", "channel", "trend")
        ),
        "agency": (filters.agency, names.get(filters.agency, filters.agency))
        if filters.agency
        else None,
        "month": filters.end,
    }


def _account_key(request: HttpRequest) -> str:
    """What the per-user parts of a cached page depend on: the user, the
    address shown in the header and their roles (the back-office menu, the
    reports offered). Whatever else the page's header comes to show per user
    must be added here, or it is as old as the figures' version."""
    user = request.user
    assert user.is_authenticated  # statistics_view let only staff in
    roles = sorted(f"{m.agency.code}:{m.role}" for m in user.active_memberships)
    return f"{user.pk}:{user.email}:{int(user.is_superuser)}:{','.join(roles)}"


@statistics_view
def dashboard(request: HttpRequest, scope: Scope) -> HttpResponse:
    """The body comes from the cache (one per scope, filters as typed, language,
    today and version of the figures) and the whole page from this user's
    cache (``stats.page_cache``); their links are added when it is rendered."""
    today = timezone.localdate()
    typed = [f"{name}={request.GET.get(name, '')}" for name in FILTER_NAMES]
    parts = [scope.key(), translation.get_language() or "", today.isoformat(), *typed]

    def render_page(csrf_token: str | None) -> HttpResponse:
        page = figures.cached(
            "dashboard-page", parts, lambda: _dashboard_page(request, scope, today)
        )
        context = {
            "body": mark_safe(page["body"]),  # noqa: S308 - rendered by our template, escaped there
            "has_errors": page["has_errors"],
            "exports": page["exports"],
            "reports": _report_links(request, page["agency"], page["month"]),
            # The weekly e-mail is for the heads of agencies (its page lists theirs).
            "subscription_url": link("stats:subscription") if _heads_an_agency(request) else None,
        }
        if csrf_token is not None:
            context["csrf_token"] = csrf_token
        return render(request, "stats/dashboard.html", context)

    return page_cache.cached_page(
        request, "dashboard-whole", [_account_key(request), *parts], render_page
    )


# --- The Decision 766 index ---------------------------------------------------------------------


def _index_data(filters: Filters, scope: Scope) -> dict[str, Any]:
    units: set[Any] | None = None
    if scope.agency_ids is not None:
        units = set(
            Agency.objects.filter(pk__in=scope.agency_ids).values_list("unit_id", flat=True)
        )
    agencies = index766.scores(filters, by="agency")
    wards = index766.scores(filters, by="unit")
    if scope.agency_ids is not None:
        agencies = [s for s in agencies if s.key in scope.agency_ids]
        wards = [s for s in wards if units is not None and s.key in units]
    return {
        "agencies": agencies,
        "wards": wards,
        "city": index766.city_score(filters, scope),
    }


def _score_rows(scores: list[index766.Score], filters: Filters, by: str) -> list[dict[str, Any]]:
    period = {"from": filters.start.isoformat(), "to": filters.end.isoformat()}
    rows = []
    for s in scores:
        query = {**period, by: s.code}
        criteria = []
        for g in s.groups:
            for c in g.criteria:
                if c.drill == "procedures":
                    gap = index766.GAP_OF_METRIC.get(c.criterion.metric, "")
                    url = _with_query(reverse("stats:procedures-drill"), {**query, "gap": gap})
                elif c.drill in index766.FEEDBACK_DRILLS:
                    url = _with_query(reverse("stats:feedback-drill", args=[c.drill]), query)
                else:
                    url = _with_query(reverse("stats:drill", args=[c.drill]), query)
                criteria.append(
                    {
                        "group": g.group,
                        "score": c,
                        "ratio": percent(c.ratio),
                        "url": url if c.lost else None,
                    }
                )
        rows.append(
            {
                "score": s,
                "rank": f"{s.rank} / {s.peers}" if s.rank else "–",
                "criteria": criteria,
                "dashboard_url": _with_query(reverse("stats:dashboard"), query),
            }
        )
    return rows


@statistics_view
def index(request: HttpRequest, scope: Scope) -> HttpResponse:
    filters, form = _filters(request, scope, period_only=True)
    today = timezone.localdate()
    data = figures.cached(
        "index766", _parts(filters, scope, today), lambda: _index_data(filters, scope)
    )
    idx = index766.index()
    city_total = sum((g.points for g in data["city"]), start=Decimal("0"))
    context = {
        "scope": scope,
        "filters": filters,
        "form": form,
        "index": idx,
        "city": data["city"],
        "city_total": city_total,
        "agencies": _score_rows(data["agencies"], filters, "agency"),
        "wards": _score_rows(data["wards"], filters, "unit"),
        "groups": idx.groups,
        "open_agencies": len(data["agencies"]) <= 3,
        "open_wards": len(data["wards"]) <= 3,
        "exports": _export_links(filters, ("index",)),
        "dashboard_url": _with_query(reverse("stats:dashboard"), filters.query()),
    }
    return render(request, "stats/index766.html", context)


# --- Drill-downs ----------------------------------------------------------------------------------

DRILL_TITLES = {
    "received": gettext_lazy("Dossiers received"),
    "received_online": gettext_lazy("Dossiers received online"),
    "received_not_online": gettext_lazy("Dossiers received at the counter or by post"),
    "received_not_reused": gettext_lazy("Dossiers received without reused data"),
    "received_not_digitised": gettext_lazy("Dossiers received with paper documents"),
    "received_unpaid_online": gettext_lazy("Fee-bearing dossiers not paid online"),
    "resolved": gettext_lazy("Dossiers resolved"),
    "resolved_on_time": gettext_lazy("Dossiers resolved on time"),
    "resolved_late": gettext_lazy("Dossiers resolved late"),
    "resolved_late_unapologised": gettext_lazy("Dossiers resolved late without an apology"),
    "results_not_digital": gettext_lazy("Dossiers approved without a digital result"),
    "rejected": gettext_lazy("Dossiers rejected"),
    "refused": gettext_lazy("Dossiers refused at intake"),
    "withdrawn": gettext_lazy("Dossiers withdrawn"),
    "supplements": gettext_lazy("Dossiers asked for a supplement"),
    "unsatisfied": gettext_lazy("Dossiers rated below 4 of 5"),
    "overdue": gettext_lazy("Dossiers overdue now"),
    "overdue_unapologised": gettext_lazy("Dossiers overdue now without an apology"),
    "within_time": gettext_lazy("Dossiers in progress within their time"),
    "paused": gettext_lazy("Dossiers paused for a supplement now"),
}


def _staff_dossier_url(agency_code: str, dossier_id: Any) -> str | None:
    return link("dossiers:detail", agency_code, dossier_id)


@statistics_view
def drill(request: HttpRequest, scope: Scope, which: str) -> HttpResponse:
    if which not in figures.DRILLS:
        raise Http404
    filters, form = _filters(request, scope)
    channel = request.GET.get("channel", "")
    if channel not in Channel.values:
        channel = ""
    qs = figures.dossiers(filters, scope, which)
    if channel:
        qs = qs.filter(channel=channel)
    qs = qs.order_by(F("received_on").desc(nulls_last=True), "code")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "fact": fact,
            "url": _staff_dossier_url(fact.agency.code, fact.dossier_id),
            "result_day": fact.resolved_on or fact.closed_on,
        }
        for fact in page.object_list
    ]
    extra = {"channel": channel} if channel else {}
    context = {
        "filters": filters,
        "form": form,
        "which": which,
        "title": DRILL_TITLES.get(which, which),
        "channel": Channel(channel).label if channel else "",
        "page": page,
        "rows": rows,
        "exports": _export_links(filters, ("drill",), which=which, **extra),
        "dashboard_url": _with_query(reverse("stats:dashboard"), filters.query()),
        "open_now": which in ("overdue", "overdue_unapologised", "within_time", "paused"),
    }
    return render(request, "stats/drill.html", context)


GAP_TITLES = {
    "incomplete": gettext_lazy("Procedures not published in full"),
    "not_full_online": gettext_lazy("Procedures not offered fully online"),
    "fee_not_online": gettext_lazy("Fee-bearing procedures that cannot be paid online"),
}


@statistics_view
def procedures_drill(request: HttpRequest, scope: Scope) -> HttpResponse:
    filters, form = _filters(request, scope)
    gap = request.GET.get("gap", "")
    if gap not in index766.CATALOG_GAPS:
        gap = ""
    qs = index766.catalog_gaps(scope.agency_ids, gap=gap, agency=filters.agency, unit=filters.unit)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    english = translation.get_language() == "en"
    rows = [
        {
            "code": r["procedure__code"],
            "name": r["procedure__name_en"]
            if english and r["procedure__name_en"]
            else r["procedure__name"],
            "agency": r["agency__name"],
            "agency_code": r["agency__code"],
            "incomplete": r["gap_incomplete"],
            "not_full_online": r["gap_not_full_online"],
            "fee_not_online": r["gap_fee_not_online"],
        }
        for r in page.object_list
    ]
    context = {
        "filters": filters,
        "form": form,
        "gap": gap,
        "title": GAP_TITLES.get(gap, gettext_lazy("Procedures that cost catalog points")),
        "gaps": [
            {
                "key": key,
                "title": title,
                "url": _with_query(
                    reverse("stats:procedures-drill"), {**filters.query(), "gap": key}
                ),
            }
            for key, title in GAP_TITLES.items()
        ],
        "page": page,
        "rows": rows,
        "index_url": _with_query(
            reverse("stats:index766"),
            {"from": filters.start.isoformat(), "to": filters.end.isoformat()},
        ),
        "base_query": filters.query(),
    }
    return render(request, "stats/drill.html", {**context, "procedures": True})

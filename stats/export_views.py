"""The statistics' downloads: every table as CSV or Excel, the monthly report
of an agency as PDF, and the page where an agency head opts in to the weekly
e-mail.

Who: as the dashboard (``views.statistics_view``): an anonymous visitor is
sent to sign in, a signed-in user without a staff role is refused (403), staff
see their jurisdiction's figures only. Staff who have not enrolled their
second factor are sent to enrol it first (``citizens.middleware``), as on
every back-office page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from citizens.models import Agency, Role
from citizens.permissions import agencies_with_roles
from egov import tables
from stats import exports, reports
from stats.figures import Filters, Scope
from stats.views import statistics_view

FORMATS = ("csv", "xlsx")


# --- Exports ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@statistics_view
def export(request: HttpRequest, scope: Scope, table: str, fmt: str) -> HttpResponseBase:
    """``exports/<table>.<fmt>``: one table of the dashboard with its filters."""
    if fmt not in FORMATS or table not in exports.NAMES:
        raise Http404
    filters = Filters.from_query(request.GET)
    which = request.GET.get("which", "") if table == "drill" else ""
    try:
        data = exports.table(table, filters, scope, which)
    except KeyError:
        raise Http404 from None
    name = exports.file_name(table, filters, fmt, which)
    if fmt == "csv":
        return tables.csv_response(exports.csv_headers(data), exports.csv_rows(data), name)
    formats = {
        i: {exports.RATE: tables.PERCENT, exports.DATE: tables.DATE, exports.NUMBER: "0.0#"}[c.kind]
        for i, c in enumerate(data.columns)
        if c.kind in (exports.RATE, exports.DATE, exports.NUMBER)
    }
    content = tables.xlsx_bytes(
        sheet_title=data.title,
        titles=[
            tables.Title(data.title, bold=True, size=14),
            tables.Title(
                _("From %(start)s to %(end)s")
                % {"start": f"{filters.start:%d/%m/%Y}", "end": f"{filters.end:%d/%m/%Y}"}
            ),
        ],
        headers=data.headers,
        rows=data.rows,
        formats=formats,
        widths=[40 if c.kind == exports.TEXT and i else 14 for i, c in enumerate(data.columns)],
    )
    return tables.xlsx_response(content, name)


# --- The monthly report -------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@statistics_view
def report_monthly(
    request: HttpRequest, scope: Scope, agency_code: str, year: int, month: int
) -> HttpResponse:
    """The monthly report of one agency in the user's scope. An unknown agency
    and one outside the scope both answer 403, as in the back office
    (``permissions.agency_for``): nothing tells them apart."""
    agency = Agency.objects.filter(code=agency_code).select_related("unit").first()
    if agency is None or (scope.agency_ids is not None and agency.pk not in scope.agency_ids):
        raise PermissionDenied
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    content = reports.monthly_pdf(agency, year, month)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"bao-cao-thang-{agency.code}-{year:04d}-{month:02d}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- The weekly e-mail ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@statistics_view
def subscription(request: HttpRequest, scope: Scope) -> HttpResponse:
    """For each agency the user heads: whether the weekly e-mail is sent; a
    POST with ``agency`` (its code) turns it on or off."""
    user = request.user
    headed = agencies_with_roles(user, [Role.HEAD])  # type: ignore[arg-type]
    if request.method == "POST":
        agency = next((a for a in headed if a.code == request.POST.get("agency")), None)
        if agency is None:
            raise PermissionDenied
        now_on = reports.subscription_toggle(actor=user, agency=agency)  # type: ignore[arg-type]
        if now_on:
            text = _("You will receive the weekly e-mail of %(agency)s.")
        else:
            text = _("You will no longer receive the weekly e-mail of %(agency)s.")
        messages.success(request, text % {"agency": agency.display_name})
        return redirect("stats:subscription")
    subscribed = reports.subscribed_agency_ids(user)  # type: ignore[arg-type]
    return render(
        request,
        "stats/subscription.html",
        {
            "rows": [(a, a.pk in subscribed) for a in headed],
            "has_email": bool(user.email),  # type: ignore[union-attr]
        },
    )

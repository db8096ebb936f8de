"""The public statistics page (/statistics/public/): no sign-in, small cells
suppressed (``stats.public``), cached under the figures' version."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from stats import public

QUARTERS = (1, 2, 3, 4)
MONTHS = tuple(range(1, 13))


@require_GET
def public_statistics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    period, errors = public.parse_period(request.GET, today)
    data = public.published(period, today)
    if period.field and period.field not in dict(data.fields):
        errors = (*errors, "field")
        period = public.Period(period.year, period.quarter, period.month)
        data = public.published(period, today)
    context = {
        "period": period,
        "data": data,
        "errors": errors,
        "years": public.years(today),
        "quarters": QUARTERS,
        "months": MONTHS,
        "field_name": dict(data.fields).get(period.field, ""),
        "threshold": data.threshold,
    }
    return render(request, "stats/public.html", context)

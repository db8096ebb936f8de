"""The public statistics page (/statistics/public/): no sign-in, small cells
suppressed (``stats.public``), cached under the figures' version.

Two caches, both under the figures' version (any refresh makes new keys):

- the page's body (``stats/_public_body.html``) rendered once per period,
  errors, language, today and threshold, without the request: it holds no
  user, CSRF token or message. A signed-in visitor gets it inside a page
  rendered for them (their account in the header);
- for an anonymous visitor, the whole page (``stats.page_cache``), per
  language and full path (the language switch keeps the path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from stats import figures, page_cache, public

QUARTERS = (1, 2, 3, 4)
MONTHS = tuple(range(1, 13))


def _body(query: Mapping[str, str], today: dt.date) -> str:
    """The page's body for the period asked for (rendered without the request)."""
    period, errors = public.parse_period(query, today)
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
    return render_to_string("stats/_public_body.html", context)


def _cached_body(request: HttpRequest, today: dt.date) -> str:
    period, errors = public.parse_period(request.GET, today)
    parts = [
        period.key(),
        ",".join(errors),
        translation.get_language() or "",
        today.isoformat(),
        str(public.min_cell()),
    ]
    return figures.cached("public-body", parts, lambda: _body(request.GET, today))


def _page(request: HttpRequest, body: str, csrf_token: str | None = None) -> HttpResponse:
    context: dict[str, object] = {"body": mark_safe(body)}  # noqa: S308 - our template's output
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return render(request, "stats/public.html", context)


@require_GET
def public_statistics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    if request.user.is_authenticated:
        return _page(request, _cached_body(request, today))
    parts = [translation.get_language() or "", today.isoformat(), str(public.min_cell())]
    return page_cache.cached_page(
        request,
        "public-page",
        parts,
        lambda token: _page(request, _cached_body(request, today), token),
    )

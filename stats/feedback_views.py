"""The drill-down of the Decision 766 feedback criteria: the feedback that
cost an agency points (answered late, or whose answer was rated 1-3), for
the period and the user's jurisdiction. Codes, agencies, categories and
dates only: never the sender, their contacts or their words."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from stats import index766
from stats.figures import Scope
from stats.views import PAGE_SIZE, _filters, _with_query, statistics_view

TITLES = {
    "feedback_late": gettext_lazy("Feedback answered late"),
    "feedback_unsatisfied": gettext_lazy("Answers to feedback rated 1 to 3 of 5"),
}
WHICH = {
    "feedback_late": Q(answered_on_time=False),
    "feedback_unsatisfied": Q(rating__lte=3),
}


@statistics_view
def feedback_drill(request: HttpRequest, scope: Scope, which: str) -> HttpResponse:
    if which not in index766.FEEDBACK_DRILLS:
        raise Http404
    filters, form = _filters(request, scope)
    items = (
        index766.feedback_in(filters, scope.agency_ids)
        .filter(WHICH[which])
        .select_related("agency", "category")
        .only(
            "code",
            "kind",
            "received_at",
            "answered_at",
            "answered_on_time",
            "rating",
            "agency__code",
            "agency__name",
            "agency__name_en",
            "category__name",
            "category__name_en",
        )
        .order_by("-answered_at", "code")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "stats/feedback_drill.html",
        {
            "filters": filters,
            "form": form,
            "which": which,
            "title": TITLES[which],
            "page": page,
            "rows": list(page.object_list),
            "index_url": _with_query(reverse("stats:index766"), filters.query()),
        },
    )

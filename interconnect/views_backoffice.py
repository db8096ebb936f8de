"""Back-office pages for handoffs (namespace ``handoffs``, under /back-office/handoffs/).

Open to administrators (superusers: every handoff) and to the heads of the
agencies that sent them (their own dossiers' handoffs); anyone else gets 403.

    ""                 list     filters (status, receiver, late, code), the
                                time budgets per agency (on time, late, open)
    "<uuid>/"          detail   the payload, every message, attempts, errors
    "<uuid>/retry/"    retry    POST: a failed handoff back to pending, delivered again
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from egov.errors import DomainError
from interconnect import selectors, services
from interconnect.forms import HandoffFilterForm
from interconnect.models import Handoff

PAGE_SIZE = 50
STATUS_TAGS = {
    Handoff.Status.PENDING: "tag--yellow",
    Handoff.Status.DELIVERED: "",
    Handoff.Status.COMPLETED: "tag--green",
    Handoff.Status.REFUSED: "tag--grey",
    Handoff.Status.FAILED: "tag--red",
}


def _allowed(request: HttpRequest) -> None:
    if not selectors.may_view_handoffs(request.user):
        raise PermissionDenied


def _tag(handoff: Handoff) -> Handoff:
    handoff.status_tag = STATUS_TAGS.get(handoff.status, "")
    return handoff


@login_required
@require_GET
def handoff_list(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = HandoffFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {}
    handoffs = selectors.handoff_list(request.user, **filters)
    page = Paginator(handoffs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/handoffs/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_tag(h) for h in page.object_list],
            "filtered": any(filters.values()) if filters else bool(form.errors),
            "report": selectors.budget_report(selectors.visible_handoffs(request.user)),
        },
    )


@login_required
@require_GET
def handoff_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    _allowed(request)
    handoff = selectors.handoff_detail(request.user, pk)
    if handoff is None:
        raise Http404
    return render(
        request,
        "backoffice/handoffs/detail.html",
        {
            "handoff": _tag(handoff),
            "payload": json.dumps(handoff.payload, ensure_ascii=False, indent=2, sort_keys=True),
            "handoff_messages": list(handoff.messages.all()),
            "can_retry": handoff.status == Handoff.Status.FAILED
            and services.may_retry(request.user, handoff),
        },
    )


@login_required
@require_POST
def handoff_retry(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    _allowed(request)
    try:
        services.handoff_retry(actor=request.user, handoff_id=pk)
    except DomainError as exc:
        if exc.http_status == 404:
            raise Http404 from exc
        if exc.http_status == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The handoff is queued to be delivered again."))
    return redirect("handoffs:detail", pk=pk)


urlpatterns = [
    path("", handoff_list, name="list"),
    path("<uuid:pk>/", handoff_detail, name="detail"),
    path("<uuid:pk>/retry/", handoff_retry, name="retry"),
]

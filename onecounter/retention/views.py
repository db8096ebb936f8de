"""Back-office pages of the retention (namespace ``retention``, under
/back-office/retention/). Only the heads of an agency see its destruction
lists; anyone else gets 403, and a list of another agency is a 404.

    ""                                   the lists to review, then the history
    "<pk>/"                              a list: its items, the decision form
    "<pk>/decide/"                       POST: approve or reject, with a reason
    "<pk>/items/<item>/exclude/"         GET/POST: keep one dossier, with a reason

Each page costs the same number of queries however many lists or items there are.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.errors import DomainError, raise_for_page
from onecounter.models import DestructionList, DestructionListItem
from onecounter.retention import selectors, services
from onecounter.retention.forms import DecisionForm, ExcludeForm, show_error

PAGE_SIZE = 50
ITEMS_PAGE_SIZE = 100
S = DestructionList.Status
STATUS_TAGS = {
    S.PROPOSED: "tag--yellow",
    S.APPROVED: "",
    S.REJECTED: "tag--grey",
    S.EXECUTED: "tag--green",
}


def may_view_retention(user: Any) -> bool:
    return bool(selectors.review_agencies(user))


def _allowed(request: HttpRequest) -> None:
    if not may_view_retention(request.user):
        raise PermissionDenied


def _list(request: HttpRequest, pk: int) -> DestructionList:
    _allowed(request)
    destruction_list = selectors.list_for(request.user, pk)
    if destruction_list is None:
        raise Http404
    destruction_list.status_tag = STATUS_TAGS.get(destruction_list.status, "")  # type: ignore[attr-defined]
    return destruction_list


def _tagged(lists: Any) -> list[DestructionList]:
    rows = list(lists)
    for row in rows:
        row.status_tag = STATUS_TAGS.get(row.status, "")
    return rows


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    lists = selectors.lists_for(request.user)
    open_lists = _tagged(lists.filter(status__in=[S.PROPOSED, S.APPROVED]))
    history = Paginator(lists.filter(status__in=[S.EXECUTED, S.REJECTED]), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backoffice/retention/list.html",
        {"open_lists": open_lists, "page": history, "history": _tagged(history.object_list)},
    )


def _detail(
    request: HttpRequest,
    destruction_list: DestructionList,
    *,
    form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    items = Paginator(selectors.items_of(destruction_list), ITEMS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    may_decide = destruction_list.status == S.PROPOSED and selectors.may_review(
        request.user, destruction_list.agency
    )
    own = (
        destruction_list.proposed_by_id is not None
        and destruction_list.proposed_by_id == request.user.pk
    )
    return render(
        request,
        "backoffice/retention/detail.html",
        {
            "list": destruction_list,
            "page": items,
            "items": items.object_list,
            "may_decide": may_decide and not own,
            "own_proposal": may_decide and own,
            "may_exclude": may_decide,
            "form": form or DecisionForm(),
        },
        status=status,
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _list(request, pk))


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    destruction_list = _list(request, pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    approve = request.POST.get("decision") == "approve"
    step = services.list_approve if approve else services.list_reject
    try:
        step(actor=request.user, destruction_list=destruction_list, reason=reason)
    except DomainError as exc:
        if exc.http_status == 409:
            messages.error(request, str(exc.message))
            return redirect("retention:detail", pk=pk)
        if exc.http_status == 403 and exc.code != "four_eyes":
            raise_for_page(exc)
        show_error(form, exc)
        return _detail(request, destruction_list, form=form, status=400)
    if approve:
        message = _(
            "List %(number)s is approved: its dossiers are being destroyed; the stubs stay."
        )
    else:
        message = _("List %(number)s is rejected: nothing is destroyed.")
    messages.success(request, message % {"number": pk})
    return redirect("retention:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def exclude(request: HttpRequest, pk: int, item: int) -> HttpResponse:
    destruction_list = _list(request, pk)
    row = (
        DestructionListItem.objects.filter(destruction_list=destruction_list, pk=item)
        .select_related("dossier__procedure")
        .first()
    )
    if row is None:
        raise Http404
    form = ExcludeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        form.is_valid()
        try:
            services.item_exclude(
                actor=request.user, item=row, reason=form.cleaned_data.get("reason", "")
            )
        except DomainError as exc:
            raise_for_page(exc)
            if exc.http_status == 409:
                messages.error(request, str(exc.message))
                return redirect("retention:detail", pk=pk)
            show_error(form, exc)
            status = 400
        else:
            messages.success(
                request,
                _("%(code)s is kept off the destruction.") % {"code": row.dossier.code},
            )
            return redirect("retention:detail", pk=pk)
    return render(
        request,
        "backoffice/retention/exclude.html",
        {"list": destruction_list, "item": row, "form": form},
        status=status,
    )


app_name = "retention"
urlpatterns = [
    path("", index, name="index"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/decide/", decide, name="decide"),
    path("<int:pk>/items/<int:item>/exclude/", exclude, name="exclude"),
]

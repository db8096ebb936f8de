"""The failures page (namespace ``failures``, under /back-office/failures/).

Open to administrators (superusers: every failure) and to agency heads (their
agency's dossiers); anyone else gets 403. A row they may not see is 404.

    ""                                list     filters (kind, open / handled)
    "<kind>/<id>/"                    detail   the raw error, the actions
    "<kind>/<id>/retry/"              POST     redo the work (event, PDF, handoff)
    "<kind>/<id>/resend/"             POST     send a notice again
    "<kind>/<id>/handle/"             POST     mark handled with a reason
"""

from __future__ import annotations

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
from operations import failures, services
from operations.forms import FailureFilterForm, HandleForm

PAGE_SIZE = 50
STATE_TAGS = {"failed": "tag--red", "retrying": "tag--yellow", "late": "tag--grey"}


def _allowed(request: HttpRequest) -> None:
    if not failures.may_view_failures(request.user):
        raise PermissionDenied


def _tag(row: failures.FailureRow) -> failures.FailureRow:
    row.state_tag = STATE_TAGS.get(row.state, "")  # type: ignore[attr-defined]
    return row


@login_required
@require_GET
def failure_list(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = FailureFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else {"kind": "", "handled": False}
    rows = failures.failure_list(request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/failures/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_tag(r) for r in page.object_list],
            "handled": filters["handled"],
            "filtered": bool(filters["kind"] or filters["handled"]),
        },
    )


@login_required
@require_GET
def failure_detail(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    _allowed(request)
    row = failures.failure_detail(request.user, kind, object_id)
    if row is None:
        raise Http404
    return render(
        request,
        "backoffice/failures/detail.html",
        {"row": _tag(row), "handle_form": HandleForm()},
    )


def _act(request: HttpRequest, kind: str, object_id: str, action, done: str) -> HttpResponse:
    _allowed(request)
    try:
        action()
    except DomainError as exc:
        if exc.http_status == 404:
            raise Http404 from exc
        if exc.http_status == 403:
            raise PermissionDenied from exc
        messages.error(request, str(exc.message))
        if failures.failure_detail(request.user, kind, object_id) is not None:
            return redirect("failures:detail", kind=kind, object_id=object_id)
    else:
        messages.success(request, done)
    return redirect("failures:list")


@login_required
@require_POST
def failure_retry(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    return _act(
        request,
        kind,
        object_id,
        lambda: services.failure_retry(actor=request.user, kind=kind, object_id=object_id),
        _("Queued to be done again. The row leaves the list once the work is done."),
    )


@login_required
@require_POST
def notice_resend(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    if kind != "notice":
        raise Http404
    return _act(
        request,
        kind,
        object_id,
        lambda: services.notice_resend(actor=request.user, notification_id=object_id),
        _("The notice is queued to be sent again."),
    )


@login_required
@require_POST
def failure_handle(request: HttpRequest, kind: str, object_id: str) -> HttpResponse:
    form = HandleForm(request.POST)
    reason = form.data.get("reason", "")
    return _act(
        request,
        kind,
        object_id,
        lambda: services.failure_mark_handled(
            actor=request.user, kind=kind, object_id=object_id, reason=reason
        ),
        _("Marked handled. It is listed under “Marked handled”."),
    )


app_name = "failures"
urlpatterns = [
    path("", failure_list, name="list"),
    path("<slug:kind>/<str:object_id>/", failure_detail, name="detail"),
    path("<slug:kind>/<str:object_id>/retry/", failure_retry, name="retry"),
    path("<slug:kind>/<str:object_id>/resend/", notice_resend, name="resend"),
    path("<slug:kind>/<str:object_id>/handle/", failure_handle, name="handle"),
]

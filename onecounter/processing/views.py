"""Back-office pages of the one-stop intake: queues, dossiers (the counter
intake is ``onecounter.processing.counter``).

Everything is scoped to one agency named in the URL, which the staff member
must belong to with a dossier role (clerk, officer, head): another agency's
queue, dossier, document or action answers 403 and reveals nothing. Within
the agency, ``transitions`` decides which steps the staff member may take.

URLs (namespace ``dossiers``, under /back-office/agencies/<code>/dossiers/):
    ""                                     queue            the queues by role, with filters
    "intake/" .. "intake/confirm/"         intake-*         counter intake (``counter.py``)
    "<uuid>/"                              detail           the dossier page with its actions
    "<uuid>/actions/<action>/"             action           POST one step (transitions.perform)
    "<uuid>/documents/<uuid>/"             document         a slip or result PDF
    "<uuid>/tracking-slip/"                tracking-slip    POST: render the tracking slip, open it
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from citizens import permissions
from citizens.models import Agency, Role
from citizens.views import staff_required
from egov import events
from egov.errors import ConflictError, DomainError, PermissionDeniedError
from onecounter import selectors, transitions
from onecounter.events import DossierShown
from onecounter.intake import answers as answer_format
from onecounter.intake import dates
from onecounter.intake.plan import plan_for
from onecounter.models import Dossier, DossierDocument
from onecounter.models import DossierStatus as S
from onecounter.processing.forms import (
    ACTION_FORMS,
    ActionForm,
    QueueFilterForm,
)
from procedures.models import Procedure

PAGE_SIZE = 25
# The actions the back office offers (a draft is the applicant's own: staff never see it).
PAGE_ACTIONS = [name for name in transitions.ACTIONS if name != "submit"]

STATUS_TAGS = {
    S.SUBMITTED: "tag--yellow",
    S.SUPPLEMENT_REQUESTED: "tag--yellow",
    S.AWAITING_SUPPLEMENT: "tag--yellow",
    S.REFUSED: "tag--red",
    S.REJECTED: "tag--red",
    S.APPROVED: "tag--green",
    S.RESULT_READY: "tag--green",
    S.RETURNED: "tag--grey",
    S.WITHDRAWN: "tag--grey",
}


# --- Who may see what ------------------------------------------------------------------


def _agency(request: HttpRequest, code: str, roles=selectors.DOSSIER_ROLES) -> Agency:
    return permissions.agency_for(request.user, code, roles)


def _dossier(agency: Agency, pk: uuid.UUID) -> Dossier:
    """The agency's dossier, or 404 (the same answer as for a dossier that
    does not exist, so nothing leaks about other agencies' dossiers)."""
    dossier = selectors.dossier_for_agency(agency=agency, pk=pk)
    if dossier is None:
        raise Http404
    return dossier


def _tag(dossier: Dossier) -> Dossier:
    dossier.status_tag = STATUS_TAGS.get(dossier.status, "")
    return dossier


# --- 1. Queues ---------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET"])
def queue(request: HttpRequest, code: str) -> HttpResponse:
    agency = _agency(request, code)
    roles = permissions.roles_in(request.user, agency)
    views = selectors.queue_views_for(roles)
    form = QueueFilterForm(request.GET, views=views, procedures=selectors.queue_procedures(agency))
    valid = form.is_valid()
    filters = form.filters() if valid else selectors.QueueFilters(view=views[0].key)
    dossiers = selectors.dossier_queue(agency=agency, user=request.user, filters=filters)
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_tag(d) for d in page.object_list]
    dates.with_waiting_dates(rows)  # by when a dossier sent online is to be received
    query = request.GET.copy()
    query.pop("page", None)
    tab_query = query.copy()
    tab_query.pop("view", None)
    return render(
        request,
        "backoffice/dossiers/queue.html",
        {
            "agency": agency,
            "form": form,
            "views": views,
            "current_view": filters.view,
            "current_view_label": next((v.label for v in views if v.key == filters.view), ""),
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "tab_query": tab_query.urlencode(),
            "is_clerk": Role.CLERK in roles,
            "filtered": any(
                [filters.status, filters.procedure, filters.due_soon, filters.late]
                + [filters.mine, filters.q]
            ),
        },
    )


# --- 2. The dossier page and its actions -------------------------------------------------------


def _action_forms(request: HttpRequest, dossier: Dossier, bound: ActionForm | None = None):
    """One form per action the user may take now, in the state machine's order."""
    allowed = {a.name: a for a in transitions.allowed_actions(dossier, request.user)}
    if bound is not None and bound.action not in allowed:
        # Kept on the page (open, under the error) so that nothing typed is lost.
        allowed[bound.action] = transitions.ACTIONS[bound.action]
    result = []
    for name in PAGE_ACTIONS:
        spec = allowed.get(name)
        if spec is None:
            continue
        if bound is not None and bound.action == name:
            form = bound
        else:
            form = _make_action_form(name, dossier, None)
        result.append({"spec": spec, "form": form, "open": form is bound})
    return result


def _make_action_form(name: str, dossier: Dossier, data) -> ActionForm:
    form_class = ACTION_FORMS.get(name, ActionForm)
    officers = selectors.agency_officers(dossier.agency) if name == "assign" else None
    return form_class(data, action=name, dossier=dossier, officers=officers)


def _detail(
    request: HttpRequest,
    agency: Agency,
    dossier: Dossier,
    *,
    bound: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    dates.with_waiting_dates([dossier])  # by when to receive it, when it waits for that
    documents = list(dossier.documents.all())
    receipt = next(
        (d for d in documents if d.kind == DossierDocument.Kind.RECEIPT and d.file), None
    )
    events = list(dossier.events.all())
    return render(
        request,
        "backoffice/dossiers/detail.html",
        {
            **_handoff_context(dossier),
            "agency": agency,
            "dossier": _tag(dossier),
            "answers": _answer_rows(dossier),
            "documents": documents,
            "receipt": receipt,
            "receipt_pending": receipt is None and dossier.received_at is not None,
            "events": [_event_row(e) for e in events],
            "supplements": list(dossier.supplements.all()),
            "apologies": list(dossier.apologies.all()),
            "actions": _action_forms(request, dossier, bound),
            "error_form": bound,
            "duplicates": _duplicates(dossier),
        },
        status=status,
    )


def _duplicates(dossier: Dossier) -> list:
    """Before the decision: the records and dossiers this one may repeat, to
    compare side by side (``onecounter.duplicates``)."""
    from onecounter import duplicates

    if dossier.status == S.DRAFT or dossier.decided_at is not None:
        return []
    if dossier.status in (S.REFUSED, S.WITHDRAWN):
        return []
    return duplicates.matches_of(dossier)


def _handoff_context(dossier: Dossier) -> dict[str, Any]:
    """What the listeners add to the staff page of the dossier (e.g. each
    agency's step of a dossier handed on to others, or where a handed-on one
    came from): ``onecounter.events.DossierShown``."""
    context: dict[str, Any] = {}
    for extra in events.publish(DossierShown(dossier=dossier, audience="staff")):
        context.update(extra)
    return context


def _status_label(value: str) -> str:
    return str(S(value).label) if value in S.values else value


def _event_row(event) -> dict[str, Any]:
    spec = transitions.ACTIONS.get(event.action) or transitions.SYSTEM_ACTIONS.get(event.action)
    return {
        "event": event,
        "label": spec.label if spec else event.action,
        "from": _status_label(event.from_status) if event.from_status else "",
        "to": _status_label(event.to_status),
    }


def _answer_fields(procedure: Procedure) -> dict[str, forms.Field]:
    """The questions of the procedure's form by key, in the form's order (empty
    when its handler is not registered: the page then shows the keys)."""
    try:
        return plan_for(procedure).labelled_fields()
    except LookupError:
        return {}


def _answer_rows(dossier: Dossier) -> list[dict[str, str]]:
    """The answers as question/answer rows, in the form's order (answers to
    questions no longer in the form come last, under their keys); a choice
    shows its label, not its stored value."""
    data = answer_format.answers_of(dossier)
    fields = _answer_fields(dossier.procedure) if data else {}
    keys = [k for k in fields if k in data] + [k for k in data if k not in fields]
    rows = []
    for key in keys:
        field = fields.get(key)
        label, choices = (
            (str(field.label or key), answer_format.choice_labels(field))
            if field is not None
            else HANDED_ON_FIELDS.get(key, ("", None))
        )
        rows.append({"key": key, "label": str(label), "value": _answer_text(data[key], choices)})
    return rows


# What another agency hands on besides the answers of this agency's own form:
# the child's identity, shown under a label (the procedure's form has no such
# question).
HANDED_ON_FIELDS: dict[str, tuple[Any, dict[str, str] | None]] = {
    "full_name": (gettext_lazy("Full name"), None),
    "birth_date": (gettext_lazy("Date of birth"), None),
    "sex": (gettext_lazy("Sex"), {"M": gettext_lazy("Male"), "F": gettext_lazy("Female")}),
}


def _answer_text(value: Any, choices: dict[str, str] | None = None) -> str:
    """An answer as the clerk reads it (``onecounter.intake.answers``: the same text
    the citizen read on the check page), "—" when there is none."""
    return answer_format.answer_text(value, choices=choices or {}) or "—"


@staff_required
@require_http_methods(["GET"])
def detail(request: HttpRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    agency = _agency(request, code)
    return _detail(request, agency, _dossier(agency, pk))


ERROR_STATUS = {ConflictError: 409, PermissionDeniedError: 403}


@staff_required
@require_POST
def action(request: HttpRequest, code: str, pk: uuid.UUID, action: str) -> HttpResponse:
    agency = _agency(request, code)
    dossier = _dossier(agency, pk)
    if action not in PAGE_ACTIONS:
        raise Http404
    form = _make_action_form(action, dossier, request.POST)
    if not form.is_valid():
        return _detail(request, agency, dossier, bound=form, status=400)
    try:
        transitions.perform(
            dossier, action, actor=request.user, reason=form.perform_reason(), **form.params()
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        status = next((s for cls, s in ERROR_STATUS.items() if isinstance(exc, cls)), 400)
        # Show the dossier as it is now (another clerk may have moved it on).
        return _detail(request, agency, _dossier(agency, pk), bound=form, status=status)
    messages.success(
        request,
        _("Done: “%(action)s”.") % {"action": transitions.ACTIONS[action].label},
    )
    return redirect("dossiers:detail", code=agency.code, pk=dossier.pk)


@staff_required
@require_http_methods(["GET"])
def document(request: HttpRequest, code: str, pk: uuid.UUID, document_id: uuid.UUID):
    agency = _agency(request, code)
    doc = (
        DossierDocument.objects.filter(pk=document_id, dossier_id=pk, dossier__agency=agency)
        .exclude(dossier__status=S.DRAFT)
        .select_related("dossier")
        .first()
    )
    if doc is None or not doc.file:
        raise Http404
    return document_response(doc)


def document_response(doc: DossierDocument) -> HttpResponse:
    """The PDF, through ``onecounter.slips.issue`` when it is there (it knows how
    documents are stored), else straight from storage."""
    try:
        from onecounter.slips.issue import document_response as slips_response
    except ImportError:
        slips_response = None
    try:
        if slips_response is not None:
            return slips_response(doc)
        handle = doc.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type="application/pdf",
        filename=f"{doc.dossier.code or doc.dossier_id}-{doc.kind}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
def tracking_slip(request: HttpRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """Render the tracking slip (every step so far) and open it."""
    agency = _agency(request, code)
    dossier = _dossier(agency, pk)
    try:
        from onecounter.slips.issue import render_tracking_slip
    except ImportError as exc:  # the slips module is not deployed
        raise Http404 from exc
    try:
        doc = render_tracking_slip(dossier)
    except Exception:  # noqa: BLE001 - logged by slips; the page must not fail
        messages.error(request, _("The tracking slip could not be prepared. Try again later."))
        return redirect("dossiers:detail", code=agency.code, pk=dossier.pk)
    return redirect("dossiers:document", code=agency.code, pk=dossier.pk, document_id=doc.pk)


urlpatterns = [
    path("agencies/<str:code>/dossiers/", queue, name="queue"),
    path("agencies/<str:code>/dossiers/<uuid:pk>/", detail, name="detail"),
    path(
        "agencies/<str:code>/dossiers/<uuid:pk>/actions/<str:action>/",
        action,
        name="action",
    ),
    path(
        "agencies/<str:code>/dossiers/<uuid:pk>/tracking-slip/",
        tracking_slip,
        name="tracking-slip",
    ),
    path(
        "agencies/<str:code>/dossiers/<uuid:pk>/documents/<uuid:document_id>/",
        document,
        name="document",
    ),
]

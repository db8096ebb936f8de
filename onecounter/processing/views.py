"""Back-office pages of the one-stop intake: queues, dossiers, counter intake.

Everything is scoped to one agency named in the URL, which the staff member
must belong to with a dossier role (clerk, officer, head): another agency's
queue, dossier, document or action answers 403 and reveals nothing. Within
the agency, ``transitions`` decides which steps the staff member may take.

URLs (namespace ``dossiers``, under /back-office/agencies/<code>/dossiers/):
    ""                                     queue            the queues by role, with filters
    "intake/" .. "intake/confirm/"         intake-*         counter intake, step by step
    "<uuid>/"                              detail           the dossier page with its actions
    "<uuid>/actions/<action>/"             action           POST one step (transitions.perform)
    "<uuid>/documents/<uuid>/"             document         a slip or result PDF
    "<uuid>/tracking-slip/"                tracking-slip    POST: render the tracking slip, open it
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from citizens import permissions
from citizens.models import AccessLog, Agency, Person, Role
from citizens.population import access_log_write
from citizens.selectors import person_search
from citizens.views import staff_required
from egov import events
from egov.errors import ConflictError, DomainError, PermissionDeniedError
from onecounter import answers as answer_format
from onecounter import filing, selectors, services, transitions
from onecounter.events import DossierShown
from onecounter.forms import (
    ACTION_FORMS,
    ActionForm,
    IntakeContactForm,
    IntakePersonForm,
    IntakeProcedureForm,
    PaperCheckedField,
    QueueFilterForm,
    counter_form_class,
)
from onecounter.models import Dossier, DossierDocument
from onecounter.models import DossierStatus as S
from onecounter.workdays import WorkCalendar
from procedures.models import Procedure

PAGE_SIZE = 25
# Stored in the access log as written here; the pages showing the log translate it.
PURPOSE_COUNTER_INTAKE = gettext_noop("Counter intake")
INTAKE_SESSION_KEY = "counter_intake"
INTAKE_LOCK_SECONDS = 60 * 60
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
    filing.with_waiting_dates(rows)  # by when a dossier sent online is to be received
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
    filing.with_waiting_dates([dossier])  # by when to receive it, when it waits for that
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
    handler = _handler(procedure)
    if handler is None:
        return {}
    fields: dict[str, forms.Field] = {}
    for page in handler.pages(procedure):
        fields.update(handler.form_class(procedure, page).base_fields)
    return fields


def _answer_rows(dossier: Dossier) -> list[dict[str, str]]:
    """The answers as question/answer rows, in the form's order (answers to
    questions no longer in the form come last, under their keys); a choice
    shows its label, not its stored value."""
    data = {k: v for k, v in (dossier.data or {}).items() if not k.startswith("_")}
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
    """An answer as the clerk reads it (``onecounter.answers``: the same text
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
    """The PDF, through ``onecounter.slips`` when it is there (it knows how
    documents are stored), else straight from storage."""
    try:
        from onecounter.slips import document_response as slips_response
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
        from onecounter.slips import render_tracking_slip
    except ImportError as exc:  # the slips module is not deployed
        raise Http404 from exc
    try:
        doc = render_tracking_slip(dossier)
    except Exception:  # noqa: BLE001 - logged by slips; the page must not fail
        messages.error(request, _("The tracking slip could not be prepared. Try again later."))
        return redirect("dossiers:detail", code=agency.code, pk=dossier.pk)
    return redirect("dossiers:document", code=agency.code, pk=dossier.pk, document_id=doc.pk)


# --- 3. Counter intake ---------------------------------------------------------------------------
#
# The state of an intake lives in the session, per agency, until it is
# confirmed or cancelled: {"token", "person_id", "procedure_id", "answers":
# {page: {...}}, "contact": {...}}. Each step checks that the ones before it
# are done and sends the clerk back to the first missing one.


def _posted(request: HttpRequest):
    """The form data of a POST, even an empty one (``request.POST or None``
    would leave the form unbound: no errors shown, and adding one fails)."""
    return request.POST if request.method == "POST" else None


def _intake_state(request: HttpRequest, agency: Agency) -> dict[str, Any]:
    return dict(request.session.get(INTAKE_SESSION_KEY, {}).get(agency.code, {}))


def _intake_save(request: HttpRequest, agency: Agency, state: dict[str, Any] | None) -> None:
    all_states = dict(request.session.get(INTAKE_SESSION_KEY, {}))
    if state is None:
        all_states.pop(agency.code, None)
    else:
        all_states[agency.code] = state
    request.session[INTAKE_SESSION_KEY] = all_states


def _intake_person(state: dict[str, Any]) -> Person | None:
    if not state.get("person_id"):
        return None
    return (
        Person.objects.select_related("permanent_unit__parent")
        .filter(pk=state["person_id"])
        .first()
    )


def _intake_procedure(agency: Agency, state: dict[str, Any]) -> Procedure | None:
    if not state.get("procedure_id"):
        return None
    return selectors.agency_procedures(agency).filter(pk=state["procedure_id"]).first()


def _handler(procedure: Procedure):
    """The procedure's handler, or None when it is not registered (yet): the
    dossier is then filed without extra answers."""
    from procedures.handlers import registry

    try:
        return registry.get(procedure.handler)
    except LookupError:
        return None


def _pages(procedure: Procedure) -> list[int]:
    handler = _handler(procedure)
    if handler is None:
        return []
    pages = []
    for page in handler.pages(procedure):
        if handler.form_class(procedure, page).base_fields:
            pages.append(page)
    return pages


def _page_form_class(procedure: Procedure, page: int) -> type[forms.Form]:
    return counter_form_class(_handler(procedure).form_class(procedure, page))


def _plain(value: Any) -> Any:
    """A cleaned form value as JSON for the session and the dossier."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _page_answers(form: forms.Form) -> dict[str, Any]:
    answers = {}
    for name, value in form.cleaned_data.items():
        if isinstance(form.fields[name], PaperCheckedField):
            answers[name] = {"paper_original_checked": True} if value else None
        else:
            answers[name] = _plain(value)
    return answers


def _page_initial(form_class: type[forms.Form], stored: dict[str, Any]) -> dict[str, Any]:
    initial = {}
    for name, value in stored.items():
        field = form_class.base_fields.get(name)
        if isinstance(field, PaperCheckedField):
            initial[name] = bool(value)
        else:
            initial[name] = value
    return initial


def _page_prefill(
    procedure: Procedure, person: Person, form_class: type[forms.Form]
) -> dict[str, Any]:
    """A page not answered yet starts from what the handler knows of the person
    found in step 1 (e.g. a birth's declarer: their ID number and household);
    the clerk may change it. That record's read is logged already (step 1)."""
    handler = _handler(procedure)
    values = (handler.prefill(procedure, person) if handler else None) or {}
    return _page_initial(
        form_class, {k: v for k, v in values.items() if k in form_class.base_fields}
    )


def _all_answers(state: dict[str, Any], pages: list[int]) -> dict[str, Any] | None:
    """Every page's answers merged, or None while a page is still missing."""
    stored = state.get("answers", {})
    data: dict[str, Any] = {}
    for page in pages:
        if str(page) not in stored:
            return None
        data.update(stored[str(page)])
    return data


def _intake_next(agency: Agency, state: dict[str, Any], procedure: Procedure | None):
    """Where the intake goes on from (the first step not done yet)."""
    if not state.get("person_id"):
        return redirect("dossiers:intake-person", code=agency.code)
    if procedure is None:
        return redirect("dossiers:intake-procedure", code=agency.code)
    stored = state.get("answers", {})
    for page in _pages(procedure):
        if str(page) not in stored:
            return redirect("dossiers:intake-answers", code=agency.code, page=page)
    if "contact" not in state:
        return redirect("dossiers:intake-contact", code=agency.code)
    return redirect("dossiers:intake-confirm", code=agency.code)


@staff_required
@require_http_methods(["GET", "POST"])
def intake_person(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: find the walk-in person in the population database by the exact
    personal ID number on their card (the purpose: counter intake, logged)."""
    agency = _agency(request, code, [Role.CLERK])
    state = _intake_state(request, agency)
    form = IntakePersonForm(_posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            person = person_search(id_number=form.cleaned_data["id_number"], limit=1).first()
            if person is None:
                form.add_error(
                    "id_number",
                    _(
                        "No record in the population database has this personal ID number. "
                        "Check it against the card."
                    ),
                )
            elif person.status != Person.Status.LIVING:
                form.add_error(
                    "id_number",
                    _("This record is not of a living person. Check the number on the card."),
                )
            else:
                access_log_write(
                    person=person,
                    channel=AccessLog.Channel.STAFF_UI,
                    actor=request.user,
                    agency=agency,
                    purpose=PURPOSE_COUNTER_INTAKE,
                )
                same = state.get("person_id") == str(person.pk)
                new_state = state if same else {"token": uuid.uuid4().hex}
                new_state["person_id"] = str(person.pk)
                _intake_save(request, agency, new_state)
                return redirect("dossiers:intake-procedure", code=agency.code)
        status = 400
    return render(
        request,
        "backoffice/dossiers/intake_person.html",
        {"agency": agency, "form": form, "step": 1, "person": _intake_person(state)},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake_procedure(request: HttpRequest, code: str) -> HttpResponse:
    """Step 2: the procedure the person asks for, among those the agency offers."""
    agency = _agency(request, code, [Role.CLERK])
    state = _intake_state(request, agency)
    person = _intake_person(state)
    if person is None:
        return redirect("dossiers:intake-person", code=agency.code)
    procedures = selectors.agency_procedures(agency)
    initial = {"procedure": state.get("procedure_id")}
    form = IntakeProcedureForm(_posted(request), procedures=procedures, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = str(form.cleaned_data["procedure"].pk)
        if chosen != state.get("procedure_id"):
            state.update(procedure_id=chosen, answers={})
        _intake_save(request, agency, state)
        return _intake_next(agency, state, form.cleaned_data["procedure"])
    return render(
        request,
        "backoffice/dossiers/intake_procedure.html",
        {
            "agency": agency,
            "form": form,
            "step": 2,
            "person": person,
            "has_any": procedures.exists(),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake_answers(request: HttpRequest, code: str, page: int) -> HttpResponse:
    """Step 3: the procedure's form, page by page. File questions become
    "paper original checked" tick boxes."""
    agency = _agency(request, code, [Role.CLERK])
    state = _intake_state(request, agency)
    person = _intake_person(state)
    procedure = _intake_procedure(agency, state)
    if person is None or procedure is None:
        return _intake_next(agency, state, procedure)
    pages = _pages(procedure)
    if page not in pages:
        raise Http404
    form_class = _page_form_class(procedure, page)
    stored = state.get("answers", {}).get(str(page), {})
    extra: dict[str, Any] = {}
    if getattr(form_class, "reads_answers", False):
        # The page's checks read the answers of the other pages.
        extra["answers"] = {k: v for a in state.get("answers", {}).values() for k, v in a.items()}
    if request.method == "POST":
        form = form_class(request.POST, **extra)
        if form.is_valid():
            answers = dict(state.get("answers", {}))
            answers[str(page)] = _page_answers(form)
            state["answers"] = answers
            _intake_save(request, agency, state)
            position = pages.index(page)
            if position + 1 < len(pages):
                return redirect(
                    "dossiers:intake-answers", code=agency.code, page=pages[position + 1]
                )
            return redirect("dossiers:intake-contact", code=agency.code)
    elif str(page) in state.get("answers", {}):
        form = form_class(initial=_page_initial(form_class, stored), **extra)
    else:
        form = form_class(initial=_page_prefill(procedure, person, form_class), **extra)
    position = pages.index(page)
    back = (
        reverse("dossiers:intake-answers", args=[agency.code, pages[position - 1]])
        if position
        else reverse("dossiers:intake-procedure", args=[agency.code])
    )
    return render(
        request,
        "backoffice/dossiers/intake_answers.html",
        {
            "agency": agency,
            "form": form,
            "step": 3,
            "person": person,
            "procedure": procedure,
            "page_number": position + 1,
            "page_count": len(pages),
            "back_url": back,
            "has_files": any(isinstance(f, PaperCheckedField) for f in form.fields.values()),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake_contact(request: HttpRequest, code: str) -> HttpResponse:
    """Step 3 (end): where the applicant wants the notices."""
    agency = _agency(request, code, [Role.CLERK])
    state = _intake_state(request, agency)
    person = _intake_person(state)
    procedure = _intake_procedure(agency, state)
    pages = _pages(procedure) if procedure else []
    if person is None or procedure is None or _all_answers(state, pages) is None:
        return _intake_next(agency, state, procedure)
    initial = state.get("contact")
    if initial is None:
        account = getattr(getattr(person, "account_link", None), "user", None)
        initial = {"phone": getattr(account, "phone", ""), "email": getattr(account, "email", "")}
    form = IntakeContactForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        state["contact"] = form.cleaned_data
        _intake_save(request, agency, state)
        return redirect("dossiers:intake-confirm", code=agency.code)
    back = (
        reverse("dossiers:intake-answers", args=[agency.code, pages[-1]])
        if pages
        else reverse("dossiers:intake-procedure", args=[agency.code])
    )
    return render(
        request,
        "backoffice/dossiers/intake_contact.html",
        {
            "agency": agency,
            "form": form,
            "step": 3,
            "person": person,
            "procedure": procedure,
            "back_url": back,
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake_confirm(request: HttpRequest, code: str) -> HttpResponse:
    """Step 4: check everything with the person, then file and receive the
    dossier at once (services.counter_intake); the receipt follows."""
    agency = _agency(request, code, [Role.CLERK])
    state = _intake_state(request, agency)
    person = _intake_person(state)
    procedure = _intake_procedure(agency, state)
    pages = _pages(procedure) if procedure else []
    data = _all_answers(state, pages) if procedure else None
    if person is None or procedure is None or data is None or "contact" not in state:
        return _intake_next(agency, state, procedure)
    form = forms.Form(_posted(request))
    handler = _handler(procedure)
    status = 200
    if request.method == "POST":
        problems = handler.validate(procedure, data) if handler else {}
        for field_name, field_messages in problems.items():
            for message in field_messages:
                form.add_error(None, f"{field_name}: {message}" if field_name else message)
        if not form.errors:
            lock = f"egov:counter-intake:{state.get('token', '')}"
            if not cache.add(lock, "pending", INTAKE_LOCK_SECONDS):
                done = cache.get(lock)
                if done and done != "pending":
                    return redirect("dossiers:detail", code=agency.code, pk=done)
                messages.info(request, _("This dossier is already being filed."))
                return redirect("dossiers:queue", code=agency.code)
            try:
                dossier = services.counter_intake(
                    clerk=request.user,
                    agency=agency,
                    procedure=procedure,
                    person=person,
                    data=data,
                    phone=state["contact"].get("phone", ""),
                    email=state["contact"].get("email", ""),
                    purpose=PURPOSE_COUNTER_INTAKE,
                )
            except DomainError as exc:
                cache.delete(lock)
                form.add_error(None, exc.message)
            else:
                cache.set(lock, str(dossier.pk), INTAKE_LOCK_SECONDS)
                _intake_save(request, agency, None)
                messages.success(
                    request,
                    _("Dossier %(code)s was received. Give the applicant the receipt.")
                    % {"code": dossier.code},
                )
                return redirect("dossiers:detail", code=agency.code, pk=dossier.pk)
        status = 400
    calendar = WorkCalendar.load(start=timezone.localdate() - dt.timedelta(days=1))
    # The fee for these answers (e.g. a late birth registration's), and
    # whether the clerk takes it in cash now, before the dossier is received.
    fee = handler.fee(procedure, dict(data), online=False) if handler else procedure.fee_counter
    return render(
        request,
        "backoffice/dossiers/intake_confirm.html",
        {
            "agency": agency,
            "form": form,
            "step": 4,
            "person": person,
            "procedure": procedure,
            "fee": fee,
            "fee_first": bool(
                fee and handler and handler.fee_before_receipt(procedure, dict(data))
            ),
            "answers": [
                {
                    "label": field.label or name,
                    "value": _answer_text(data.get(name), answer_format.choice_labels(field)),
                    "url": reverse("dossiers:intake-answers", args=[agency.code, page]),
                }
                for page in pages
                for name, field in _page_form_class(procedure, page).base_fields.items()
            ],
            "contact": state["contact"],
            "expected_due": calendar.due_date(timezone.now(), procedure.days_counter),
        },
        status=status,
    )


@staff_required
@require_POST
def intake_cancel(request: HttpRequest, code: str) -> HttpResponse:
    agency = _agency(request, code, [Role.CLERK])
    _intake_save(request, agency, None)
    messages.info(request, _("The counter intake was cancelled. Nothing was filed."))
    return redirect("dossiers:queue", code=agency.code)


urlpatterns = [
    path("agencies/<str:code>/dossiers/", queue, name="queue"),
    path("agencies/<str:code>/dossiers/intake/", intake_person, name="intake-person"),
    path(
        "agencies/<str:code>/dossiers/intake/procedure/",
        intake_procedure,
        name="intake-procedure",
    ),
    path(
        "agencies/<str:code>/dossiers/intake/answers/<int:page>/",
        intake_answers,
        name="intake-answers",
    ),
    path("agencies/<str:code>/dossiers/intake/contact/", intake_contact, name="intake-contact"),
    path("agencies/<str:code>/dossiers/intake/confirm/", intake_confirm, name="intake-confirm"),
    path("agencies/<str:code>/dossiers/intake/cancel/", intake_cancel, name="intake-cancel"),
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

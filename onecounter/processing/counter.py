"""The counter intake (URLs ``dossiers:intake-*`` under
/back-office/agencies/<code>/dossiers/intake/): a clerk files a walk-in
person's dossier, step by step, and receives it at once.

    intake/                    1. the person, by the ID number on their card (the read is logged)
    intake/procedure/          2. the procedure, among those the agency offers
    intake/answers/<n>/        3. the procedure's form, page by page
    intake/contact/               where the applicant wants the notices
    intake/confirm/            4. check with the person, file and receive (services.counter_intake)
    intake/cancel/                POST: forget the intake, nothing filed

The counter's draft is held in the session, per agency, until it is confirmed
or cancelled: {"token", "person_id", "procedure_id", "answers": {page: {...}},
"contact": {...}}. This is the intake engine of the online filing, at the
counter: the same plan of pages (``onecounter.intake.plan``, the counter's:
file questions are "paper original checked" tick boxes on their pages, no
documents step), answers held the same way (``onecounter.intake.answers``),
the same page and whole-dossier checks (``onecounter.intake.validation``) and
a claim that files it once (``onecounter.intake.drafts.counter_claim``).
Nothing of an intake is stored before it is filed: a walk-in's dossier is
submitted and received in one sitting, so no draft row ever waits in the
database (nor in a queue, nor for the purge of old drafts). Each step checks
that the ones before it are done and sends the clerk back to the first
missing one. Only the agency's clerks may use it (403 otherwise).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from citizens import permissions
from citizens.models import AccessLog, Agency, Person, Role
from citizens.population import access_log_write
from citizens.selectors import person_search
from citizens.views import staff_required
from egov.errors import DomainError
from onecounter import selectors, services
from onecounter.intake import answers as answer_format
from onecounter.intake import drafts, validation
from onecounter.intake.answers import PaperCheckedField
from onecounter.intake.plan import Plan, fee_before_receipt, plan_for
from onecounter.intake.plan import fee as fee_for
from onecounter.processing.forms import IntakeContactForm, IntakePersonForm, IntakeProcedureForm
from procedures.models import Procedure
from workdays.calendar import WorkCalendar

# Stored in the access log as written here; the pages showing the log translate it.
PURPOSE_COUNTER_INTAKE = gettext_noop("Counter intake")
INTAKE_SESSION_KEY = "counter_intake"


def _agency(request: HttpRequest, code: str) -> Agency:
    return permissions.agency_for(request.user, code, [Role.CLERK])


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


def _plan(procedure: Procedure | None) -> Plan | None:
    """The procedure's plan at the counter, or None when its handler is not
    registered (yet): the dossier is then filed without extra answers."""
    if procedure is None:
        return None
    try:
        return plan_for(procedure, counter=True)
    except LookupError:
        return None


def _pages(plan: Plan | None) -> list[int]:
    return plan.pages if plan is not None else []


def _step_url(agency: Agency, step: str | None) -> str:
    """A step of the plan at the counter: a page, or (``check``) the notices
    and the confirmation; None: before the first one, the procedure."""
    if step is None:
        return reverse("dossiers:intake-procedure", args=[agency.code])
    if step.startswith("page-"):
        return reverse(
            "dossiers:intake-answers", args=[agency.code, int(step.removeprefix("page-"))]
        )
    return reverse("dossiers:intake-contact", args=[agency.code])


def _intake_next(
    agency: Agency, state: dict[str, Any], procedure: Procedure | None, plan: Plan | None = None
):
    """Where the intake goes on from (the first step not done yet)."""
    if not state.get("person_id"):
        return redirect("dossiers:intake-person", code=agency.code)
    if procedure is None:
        return redirect("dossiers:intake-procedure", code=agency.code)
    held = state.get("answers", {})
    for page in _pages(plan or _plan(procedure)):
        if str(page) not in held:
            return redirect("dossiers:intake-answers", code=agency.code, page=page)
    if "contact" not in state:
        return redirect("dossiers:intake-contact", code=agency.code)
    return redirect("dossiers:intake-confirm", code=agency.code)


@staff_required
@require_http_methods(["GET", "POST"])
def intake_person(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: find the walk-in person in the population database by the exact
    personal ID number on their card (the purpose: counter intake, logged)."""
    agency = _agency(request, code)
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
    agency = _agency(request, code)
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
    """Step 3: the procedure's form, page by page (the plan's pages). File
    questions become "paper original checked" tick boxes."""
    agency = _agency(request, code)
    state = _intake_state(request, agency)
    person = _intake_person(state)
    procedure = _intake_procedure(agency, state)
    if person is None or procedure is None:
        return _intake_next(agency, state, procedure)
    plan = _plan(procedure)
    if plan is None or page not in plan.pages:
        raise Http404
    step = f"page-{page}"
    held = state.get("answers", {})
    # The page's checks may read the answers of the other pages (``reads_answers``).
    others = answer_format.merge_pages(held)
    if request.method == "POST":
        form = plan.form(page, data=request.POST, answers=others)
        if validation.page_valid(plan, form):
            state["answers"] = {
                **held,
                str(page): answer_format.page_values(form.cleaned_data, form.fields),
            }
            _intake_save(request, agency, state)
            return redirect(_step_url(agency, plan.step_after(step)))
    else:
        # A page not answered yet starts from what the handler knows of the
        # person found in step 1 (e.g. a birth's declarer: their ID number and
        # household); the clerk may change it. That read is logged already.
        values = held[str(page)] if str(page) in held else plan.prefill(person)
        initial = answer_format.initial_values(plan.blank(page), values)
        form = plan.form(page, initial=initial, answers=others)
    return render(
        request,
        "backoffice/dossiers/intake_answers.html",
        {
            "agency": agency,
            "form": form,
            "step": 3,
            "person": person,
            "procedure": procedure,
            "page_number": plan.pages.index(page) + 1,
            "page_count": len(plan.pages),
            "back_url": _step_url(agency, plan.step_before(step)),
            "has_files": any(isinstance(f, PaperCheckedField) for f in form.fields.values()),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake_contact(request: HttpRequest, code: str) -> HttpResponse:
    """Step 3 (end): where the applicant wants the notices."""
    agency = _agency(request, code)
    state = _intake_state(request, agency)
    person = _intake_person(state)
    procedure = _intake_procedure(agency, state)
    plan = _plan(procedure)
    held = state.get("answers", {})
    if person is None or procedure is None or answer_format.merge_pages(held, _pages(plan)) is None:
        return _intake_next(agency, state, procedure, plan)
    initial = state.get("contact")
    if initial is None:
        account = getattr(getattr(person, "account_link", None), "user", None)
        initial = {"phone": getattr(account, "phone", ""), "email": getattr(account, "email", "")}
    form = IntakeContactForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        state["contact"] = form.cleaned_data
        _intake_save(request, agency, state)
        return redirect("dossiers:intake-confirm", code=agency.code)
    return render(
        request,
        "backoffice/dossiers/intake_contact.html",
        {
            "agency": agency,
            "form": form,
            "step": 3,
            "person": person,
            "procedure": procedure,
            "back_url": _step_url(agency, plan.step_before("check") if plan else None),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake_confirm(request: HttpRequest, code: str) -> HttpResponse:
    """Step 4: check everything with the person, then file and receive the
    dossier at once (services.counter_intake); the receipt follows."""
    agency = _agency(request, code)
    state = _intake_state(request, agency)
    person = _intake_person(state)
    procedure = _intake_procedure(agency, state)
    plan = _plan(procedure)
    data = answer_format.merge_pages(state.get("answers", {}), _pages(plan)) if procedure else None
    if person is None or procedure is None or data is None or "contact" not in state:
        return _intake_next(agency, state, procedure, plan)
    form = forms.Form(_posted(request))
    status = 200
    if request.method == "POST":
        # The handler's checks on the whole dossier (each page passed its own).
        problems = validation.handler_errors(plan, data) if plan is not None else {}
        for field_name, field_messages in problems.items():
            for message in field_messages:
                form.add_error(None, f"{field_name}: {message}" if field_name else message)
        if not form.errors:
            token = state.get("token", "")
            claimed = drafts.counter_claim(token)
            if claimed is not None:
                if claimed != drafts.PENDING:
                    return redirect("dossiers:detail", code=agency.code, pk=claimed)
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
                    by_post=bool(state["contact"].get("by_post")),
                    purpose=PURPOSE_COUNTER_INTAKE,
                )
            except DomainError as exc:
                drafts.counter_release(token)
                form.add_error(None, exc.message)
            else:
                drafts.counter_filed(token, dossier)
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
    fee = fee_for(procedure, data, online=False)
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
            "fee_first": bool(fee and fee_before_receipt(procedure, data)),
            "answers": [
                {
                    "label": field.label or name,
                    # The text the citizen reads on the check page; "—" when none.
                    "value": answer_format.answer_text(
                        data.get(name), choices=answer_format.choice_labels(field)
                    )
                    or "—",
                    "url": _step_url(agency, f"page-{page}"),
                }
                for page in _pages(plan)
                for name, field in plan.form_class(page).base_fields.items()
            ],
            "contact": state["contact"],
            "expected_due": calendar.due_date(timezone.now(), procedure.days_counter),
        },
        status=status,
    )


@staff_required
@require_POST
def intake_cancel(request: HttpRequest, code: str) -> HttpResponse:
    agency = _agency(request, code)
    _intake_save(request, agency, None)
    messages.info(request, _("The counter intake was cancelled. Nothing was filed."))
    return redirect("dossiers:queue", code=agency.code)


urlpatterns = [
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
]

"""Filing a procedure online, in pages (``/file/...``, namespace ``filing``):
the browser's adapter of the intake (the API's is ``onecounter.intake.apis``).

One question or a small group per page, GOV.UK style; every page works
without JavaScript. The pages:

    file/start/<procedure code>/          before you start: agency, for whom → creates the draft
    file/<uuid>/                          resume: the first step not complete
    file/<uuid>/page/<n>/                 the handler's page n (saved on each POST)
    file/<uuid>/documents/                uploads, or documents from the wallet
    file/<uuid>/documents/<attachment>/   an uploaded file, for its owner
    file/<uuid>/check/                    check your answers, declaration, send (or pay)
    file/<uuid>/saved/                    "saved, come back later"
    file/<uuid>/submitted/                confirmation: code, expected date, receipt
    file/<uuid>/submitted/receipt/        the online submission receipt (PDF)

Only the draft's applicant gets anything but a 404. Once sent, the draft
pages lead to the confirmation page and change nothing. Views are thin:
they check input with forms and call the intake: ``plan`` (pages and steps),
``answers`` (held answers and their text), ``validation`` (checks, where to
resume), ``drafts`` and ``attachments`` (the writes).

Why one module of a little over 600 lines: these are the nine pages of one
wizard, which share its decorator, step URLs and progress; each view only
shapes the request and the page, and the JSON API is apart (``apis.py``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from egov.errors import ConflictError, DomainError, NotFoundError, ValidationFailed
from egov.forms import anchor_id
from onecounter.intake import dates, drafts, validation
from onecounter.intake.answers import answer_text, answers_of, initial_values, prefilled_keys
from onecounter.intake.attachments import (
    attachment_add,
    attachment_remove,
    attachments_of,
    wallet_choices,
)
from onecounter.intake.forms import DeclarationForm, DocumentsForm, StartForm
from onecounter.intake.plan import Plan, plan_for
from onecounter.models import Attachment, Dossier, DossierDocument, DossierStatus
from onecounter.slips import issue as slips
from procedures import selectors as procedure_selectors
from procedures.models import Procedure

# --- Helpers ---------------------------------------------------------------------------


def _dossier_or_404(request: HttpRequest, pk: uuid.UUID) -> Dossier:
    try:
        return drafts.dossier_of(request.user, pk)
    except NotFoundError as exc:
        raise Http404 from exc


def step_url(dossier: Dossier, step: str, *, back_to_check: bool = False) -> str:
    if step.startswith("page-"):
        url = reverse("filing:page", args=[dossier.pk, int(step.removeprefix("page-"))])
    elif step == "documents":
        url = reverse("filing:documents", args=[dossier.pk])
    else:
        return reverse("filing:check", args=[dossier.pk])
    return f"{url}?next=check" if back_to_check else url


def _unavailable(request: HttpRequest, procedure: Procedure, reason: str) -> HttpResponse:
    return render(
        request,
        "filing/unavailable.html",
        {"procedure": procedure, "reason": reason},
        status=503 if reason == "handler" else 200,
    )


def draft_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Load the citizen's own draft and its plan; a sent dossier goes to its
    confirmation page, someone else's is a 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: uuid.UUID, *args: Any, **kwargs: Any) -> HttpResponse:
        dossier = _dossier_or_404(request, pk)
        if dossier.status != DossierStatus.DRAFT:
            return redirect("filing:submitted", dossier.pk)
        try:
            plan = plan_for(dossier.procedure)
        except LookupError:
            return _unavailable(request, dossier.procedure, "handler")
        try:
            return view(request, dossier, plan, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404 from exc
        except ConflictError:
            # Sent meanwhile (another tab, the payment callback): nothing changes.
            return redirect("filing:submitted", dossier.pk)

    return never_cache(login_required(wrapper))


def _progress(plan: Plan, step: str) -> dict[str, int]:
    steps = plan.steps()
    return {"number": steps.index(step) + 1, "total": len(steps)}


def _back_url(dossier: Dossier, plan: Plan, step: str) -> str:
    previous = plan.step_before(step)
    if previous is None:
        return reverse("procedures:detail", args=[dossier.procedure.code])
    return step_url(dossier, previous)


def _about(dossier: Dossier) -> dict[str, Any]:
    """The applicant (and the child) as the population database holds them."""
    return {
        "applicant": dossier.applicant_person,
        "subject": dossier.subject_person,
    }


def _domain_message(exc: DomainError) -> str:
    return str(exc.message)


# --- Start ------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str) -> HttpResponse:
    """Before you start: the identity level, where to file and for whom."""
    procedure = procedure_selectors.public_procedure(code)
    if procedure is None or not drafts.can_file_online(procedure):
        raise Http404
    level = drafts.identity_level(request.user)
    if level < procedure.identity_level:
        return render(
            request,
            "filing/identity.html",
            {
                "procedure": procedure,
                "level": level,
                "agencies": list(procedure.offered_by.all()),
            },
            status=403,
        )
    try:
        plan = plan_for(procedure)
    except LookupError:
        return _unavailable(request, procedure, "handler")
    agencies = list(procedure.offered_by.all())  # active ones, prefetched
    if not agencies:
        return _unavailable(request, procedure, "agencies")
    # A handler may ask one question of its first page here instead of "for
    # whom" (``start_question``: the birth declaration asks who declares).
    first_page = plan.pages[0]
    start_question = getattr(plan.handler, "start_question", None)
    start_fields = (
        {start_question: plan.blank(first_page).fields[start_question]} if start_question else {}
    )
    children = [] if start_fields else drafts.children_for(request.user)
    bound = request.method == "POST"
    form = StartForm(
        request.POST if bound else None,
        agencies=agencies,
        children=children,
        start_fields=start_fields,
    )
    if request.method == "POST" and form.is_valid():
        try:
            dossier = drafts.draft_start(
                user=request.user,
                procedure=procedure,
                agency=form.agency(),
                subject_person=form.subject(),
            )
        except DomainError as exc:
            form.add_error(None, _domain_message(exc))
        else:
            answers = form.start_answers()
            if answers:
                drafts.draft_save_page(
                    dossier=dossier, user=request.user, page=first_page, cleaned_data=answers
                )
                # The rest of the first page (e.g. why a parent does not declare).
                return redirect(step_url(dossier, f"page-{first_page}"))
            return redirect("filing:resume", dossier.pk)
    return render(
        request,
        "filing/start.html",
        {
            "procedure": procedure,
            "form": form,
            "agency": agencies[0] if len(agencies) == 1 else None,
            "slots": plan.slots,
            "fee_online": procedure.fee_online,
            "pays_online": procedure.online_level == Procedure.OnlineLevel.FULL
            and procedure.fee_online > 0,
        },
    )


@never_cache
@login_required
@require_GET
def resume(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The draft's resume link: the first step that is not complete."""
    dossier = _dossier_or_404(request, pk)
    if dossier.status != DossierStatus.DRAFT:
        return redirect("filing:submitted", dossier.pk)
    try:
        plan = plan_for(dossier.procedure)
    except LookupError:
        return _unavailable(request, dossier.procedure, "handler")
    return redirect(step_url(dossier, validation.next_step(dossier, plan)))


# --- Question pages ---------------------------------------------------------------------


@draft_view
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, dossier: Dossier, plan: Plan, page: int) -> HttpResponse:
    if page not in plan.pages:
        raise Http404
    step = f"page-{page}"
    ahead = validation.step_reachable(dossier, plan, step)
    if ahead is not None:
        # Not before the earlier steps are done: to the first one that is not.
        return redirect(step_url(dossier, ahead))
    back_to_check = request.GET.get("next") == "check"
    attached = validation.attached_questions(attachments_of(dossier))
    read_only = prefilled_keys(dossier)
    stored = answers_of(dossier)
    initial = initial_values(plan.blank(page), stored)
    form = plan.form(
        page,
        data=request.POST if request.method == "POST" else None,
        initial=initial,
        attached=attached,
        answers=stored,
    )
    for name in read_only & set(form.fields):
        form.fields[name].disabled = True
        form.fields[name].help_text = _("From the population database.")
    if request.method == "POST":
        later = "later" in request.POST
        valid = validation.page_valid(plan, form)
        if valid or later:
            drafts.draft_save_page(
                dossier=dossier, user=request.user, page=page, cleaned_data=form.cleaned_data
            )
            if later:
                saved_url = reverse("filing:saved", args=[dossier.pk])
                return redirect(saved_url if valid else f"{saved_url}?partial=1")
            if back_to_check:
                return redirect("filing:check", dossier.pk)
            return redirect(step_url(dossier, plan.step_after(step)))
        plan.hide_file_errors(form)
    questions = [form[name] for name in plan.fields_of(page) if name in form.fields]
    visible = [field for field in questions if not field.is_hidden]
    show_about = page == plan.pages[0]
    if show_about:
        drafts.prefill_log(dossier=dossier, user=request.user)
    heading = getattr(form, "title", "") or (
        visible[0].label
        if len(visible) == 1
        else _("Your answers: part %(number)s of %(total)s")
        % {"number": plan.pages.index(page) + 1, "total": len(plan.pages)}
    )
    return render(
        request,
        "filing/page.html",
        {
            "dossier": dossier,
            "procedure": dossier.procedure,
            "form": form,
            "hidden_fields": [field for field in questions if field.is_hidden],
            "visible_fields": visible,
            "heading": heading,
            "single_question": len(visible) == 1 and not getattr(form, "title", ""),
            "progress": _progress(plan, step),
            "back_url": reverse("filing:check", args=[dossier.pk])
            if back_to_check
            else _back_url(dossier, plan, step),
            "show_about": show_about,
            "has_read_only": bool(read_only & set(form.fields)),
            **_about(dossier),
        },
    )


# --- Documents ---------------------------------------------------------------------------


@draft_view
@require_http_methods(["GET", "POST"])
def documents(request: HttpRequest, dossier: Dossier, plan: Plan) -> HttpResponse:
    if not plan.slots:
        return redirect("filing:check", dossier.pk)
    ahead = validation.step_reachable(dossier, plan, "documents")
    if ahead is not None:
        return redirect(step_url(dossier, ahead))
    back_to_check = request.GET.get("next") == "check"
    wallet = wallet_choices(request.user, plan)
    attachments = attachments_of(dossier)
    # The documents these answers call for (e.g. the witness's statement of a
    # birth outside a hospital is mandatory once page 3 says so).
    slots = plan.slots_for(answers_of(dossier))
    bound = request.method == "POST"
    form = DocumentsForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        slots=slots,
        wallet=wallet,
    )
    if request.method == "POST":
        removed = request.POST.get("remove")
        if removed:
            attachment = next((a for a in attachments if str(a.pk) == removed), None)
            if attachment is None:
                raise Http404
            attachment_remove(dossier=dossier, user=request.user, attachment=attachment)
            messages.success(request, _("“%(name)s” was removed.") % {"name": attachment.label})
            return redirect(request.get_full_path())
        if form.is_valid():
            added = _attach_all(request, dossier, form)
            if not form.errors:
                if "later" in request.POST:
                    return redirect("filing:saved", dossier.pk)
                if "upload" in request.POST:
                    if added:
                        messages.success(request, _("Your documents were added."))
                    return redirect(request.get_full_path())
                missing = validation.missing_documents(dossier, plan)
                if not missing:
                    return redirect("filing:check", dossier.pk)
                for slot in missing:
                    form.add_error(
                        slot.key,
                        _("Upload “%(document)s” or choose it from your wallet.")
                        % {"document": slot.label}
                        if wallet.get(slot.key)
                        else _("Upload “%(document)s”.") % {"document": slot.label},
                    )
        attachments = attachments_of(dossier)
    sections = [
        {
            "slot": slot,
            "field": form[slot.key],
            "wallet_field": form[f"{slot.key}-wallet"]
            if f"{slot.key}-wallet" in form.fields
            else None,
            "attachments": [a for a in attachments if slot.holds(a)],
        }
        for slot in slots
    ]
    return render(
        request,
        "filing/documents.html",
        {
            "dossier": dossier,
            "procedure": dossier.procedure,
            "form": form,
            "sections": sections,
            "progress": _progress(plan, "documents"),
            "back_url": reverse("filing:check", args=[dossier.pk])
            if back_to_check
            else _back_url(dossier, plan, "documents"),
            "max_mb": settings.EGOV_UPLOAD_MAX_BYTES // (1024 * 1024),
        },
    )


def _attach_all(request: HttpRequest, dossier: Dossier, form: DocumentsForm) -> int:
    """Attach what was chosen for each document; a refused file is reported
    next to its box (nothing of it is stored) and does not stop the others.
    Returns how many were attached."""
    added = 0
    for slot in form.slots:
        attempts: list[dict[str, Any]] = []
        wallet_document = form.wallet_document(slot)
        if wallet_document is not None:
            attempts.append({"wallet_document": wallet_document})
        upload = form.upload(slot)
        if upload is not None:
            attempts.append({"upload": upload})
        for attempt in attempts:
            try:
                attachment_add(
                    dossier=dossier,
                    user=request.user,
                    requirement=slot.requirement,
                    field_key=slot.field_key,
                    **attempt,
                )
            except ValidationFailed as exc:
                form.add_error(
                    f"{slot.key}-wallet" if "wallet_document" in attempt else slot.key,
                    f"{slot.label}: {_domain_message(exc)}",
                )
            else:
                added += 1
    return added


@never_cache
@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: uuid.UUID, attachment_id: uuid.UUID) -> FileResponse:
    """An uploaded file of the citizen's own dossier (to check what was sent)."""
    dossier = _dossier_or_404(request, pk)
    attachment = Attachment.objects.filter(pk=attachment_id, dossier=dossier).first()
    if attachment is None or not attachment.file:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = attachment.file.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(
        handle,
        content_type=attachment.content_type or "application/octet-stream",
        filename=f"{attachment.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- Check your answers ----------------------------------------------------------------------


def _problem_links(
    dossier: Dossier, plan: Plan, problems: dict[str, list[str]]
) -> list[dict[str, str]]:
    """Each problem as a link to where it can be put right."""
    slots = {slot.key for slot in plan.slots}
    links = []
    for key, messages_ in problems.items():
        label = ""
        if key in slots:
            url = f"{step_url(dossier, 'documents', back_to_check=True)}#id_{key}"
        elif key in plan.questions:
            page_number, field = plan.questions[key]
            anchor = anchor_id(field.widget, f"id_{key}")
            url = f"{step_url(dossier, f'page-{page_number}', back_to_check=True)}#{anchor}"
            label = str(field.label or "")
        elif key.startswith("page-") and key in plan.steps():
            url = step_url(dossier, key, back_to_check=True)
        else:
            url = step_url(dossier, plan.steps()[0], back_to_check=True)
        for message in messages_:
            text = message if not label or message.startswith(label) else f"{label}: {message}"
            links.append({"url": url, "text": text})
    return links


@draft_view
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, dossier: Dossier, plan: Plan) -> HttpResponse:
    ahead = validation.step_reachable(dossier, plan, "check")
    if ahead is not None:
        return redirect(step_url(dossier, ahead))
    data = answers_of(dossier)
    read_only = prefilled_keys(dossier)
    hidden = plan.hidden(data)
    sections = []
    for page_number in plan.pages:
        page_url = step_url(dossier, f"page-{page_number}", back_to_check=True)
        rows = [
            {
                "key": name,
                "label": field.label or name,
                "value": answer_text(data.get(name), field),
                "read_only": name in read_only,
                "url": f"{page_url}#{anchor_id(field.widget, f'id_{name}')}",
            }
            for name, field in plan.fields_of(page_number).items()
            # A question asked only in some cases (hidden otherwise) is listed
            # when it was asked and answered, e.g. the household head's consent;
            # one the answers rule out (e.g. a late registration's) is not.
            if name not in hidden
            and (not field.widget.is_hidden or data.get(name) not in (None, "", False, [], {}))
        ]
        sections.append({"page": page_number, "rows": rows})
    attachments = attachments_of(dossier)
    documents = [
        {"slot": slot, "attachments": [a for a in attachments if slot.holds(a)]}
        for slot in plan.slots_for(data)
    ]
    drafts.prefill_log(dossier=dossier, user=request.user)
    form = DeclarationForm(request.POST if request.method == "POST" else None)
    problems = validation.submission_problems(dossier, plan, attachments)
    if request.method == "POST" and form.is_valid() and not problems:
        response = _send(request, dossier, form)
        if response is not None:
            return response
    return render(
        request,
        "filing/check.html",
        {
            "dossier": dossier,
            "procedure": dossier.procedure,
            "sections": sections,
            "documents": documents,
            "documents_url": step_url(dossier, "documents", back_to_check=True),
            "form": form,
            "problems": _problem_links(dossier, plan, problems),
            "tried": request.method == "POST",
            "progress": _progress(plan, "check"),
            "back_url": _back_url(dossier, plan, "check"),
            "payment_due": drafts.payment_required(dossier),
            "fee_online": drafts.online_fee(dossier),
            "expected": dates.expected_result_date(dossier),
            **_about(dossier),
        },
    )


def _send(request: HttpRequest, dossier: Dossier, form: DeclarationForm) -> HttpResponse | None:
    """Declare, then send or go and pay. None: stay on the page (errors on the form)."""
    try:
        drafts.declaration_accept(dossier=dossier, user=request.user)
        drafts.submit_online(dossier=dossier, actor=request.user)
    except drafts.PaymentRequired:
        try:
            return redirect(reverse("payments:start", args=[dossier.pk]))
        except NoReverseMatch:
            form.add_error(
                None, _("Online payment is not available at the moment. Try again later.")
            )
            return None
    except ConflictError:
        return redirect("filing:submitted", dossier.pk)
    except ValidationFailed as exc:
        form.add_error(None, _domain_message(exc))
        for messages_ in (exc.data or {}).values():
            for message in messages_:
                form.add_error(None, message)
        return None
    return redirect("filing:submitted", dossier.pk)


@draft_view
@require_GET
def saved(request: HttpRequest, dossier: Dossier, plan: Plan) -> HttpResponse:
    return render(
        request,
        "filing/saved.html",
        {
            "dossier": dossier,
            "procedure": dossier.procedure,
            "resume_url": request.build_absolute_uri(reverse("filing:resume", args=[dossier.pk])),
            "partial": request.GET.get("partial") == "1",
            "kept_until": (
                dossier.updated_at + dt.timedelta(days=settings.EGOV_DRAFT_MAX_AGE_DAYS)
            ).date(),
            "max_age_days": settings.EGOV_DRAFT_MAX_AGE_DAYS,
        },
    )


# --- After sending ----------------------------------------------------------------------


def _submission_receipt(dossier: Dossier) -> DossierDocument | None:
    return (
        DossierDocument.objects.filter(dossier=dossier, kind=DossierDocument.Kind.SUBMISSION)
        .exclude(file="")
        .first()
    )


@never_cache
@login_required
@require_GET
def submitted(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    if dossier.status == DossierStatus.DRAFT:
        return redirect("filing:resume", dossier.pk)
    procedure = dossier.procedure
    return render(
        request,
        "filing/submitted.html",
        {
            "dossier": dossier,
            "procedure": procedure,
            "expected": dates.expected_result_date(dossier),
            "receipt": _submission_receipt(dossier),
            "pay_at_counter": procedure.online_level == Procedure.OnlineLevel.PARTIAL
            and dossier.fee > 0,
        },
    )


@never_cache
@login_required
@require_GET
def receipt(request: HttpRequest, pk: uuid.UUID) -> FileResponse:
    dossier = _dossier_or_404(request, pk)
    document = _submission_receipt(dossier)
    if document is None:
        raise Http404
    return slips.document_response(document)


urlpatterns = [
    path("start/<str:code>/", start, name="start"),
    path("<uuid:pk>/", resume, name="resume"),
    path("<uuid:pk>/page/<int:page>/", page, name="page"),
    path("<uuid:pk>/documents/", documents, name="documents"),
    path("<uuid:pk>/documents/<uuid:attachment_id>/", attachment_file, name="attachment"),
    path("<uuid:pk>/check/", check, name="check"),
    path("<uuid:pk>/saved/", saved, name="saved"),
    path("<uuid:pk>/submitted/", submitted, name="submitted"),
    path("<uuid:pk>/submitted/receipt/", receipt, name="receipt"),
]

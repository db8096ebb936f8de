"""Filing a procedure online, in pages (``/file/...``, namespace ``filing``)
and through the API (``/api/v1/me/drafts/...``).

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
they check input with forms and call ``onecounter.filing``.
"""

from __future__ import annotations

import contextlib
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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework import status as http
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from egov.errors import ConflictError, DomainError, NotFoundError, ValidationFailed
from egov.forms import anchor_id
from onecounter import filing, slips
from onecounter.answers import answer_text, choice_labels
from onecounter.filing import Plan
from onecounter.forms_filing import DeclarationForm, DocumentsForm, StartForm
from onecounter.models import Attachment, Dossier, DossierDocument, DossierStatus, WalletDocument
from onecounter.wallet import draft_delete
from procedures import selectors as procedure_selectors
from procedures.models import Procedure

# --- Helpers ---------------------------------------------------------------------------


def _dossier_or_404(request: HttpRequest, pk: uuid.UUID) -> Dossier:
    try:
        return filing.dossier_of(request.user, pk)
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
            plan = filing.plan_for(dossier.procedure)
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
    previous = filing.step_before(plan, step)
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
    if procedure is None or not filing.can_file_online(procedure):
        raise Http404
    level = filing.identity_level(request.user)
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
        plan = filing.plan_for(procedure)
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
    children = [] if start_fields else filing.children_for(request.user)
    bound = request.method == "POST"
    form = StartForm(
        request.POST if bound else None,
        agencies=agencies,
        children=children,
        start_fields=start_fields,
    )
    if request.method == "POST" and form.is_valid():
        try:
            dossier = filing.draft_start(
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
                filing.draft_save_page(
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
        plan = filing.plan_for(dossier.procedure)
    except LookupError:
        return _unavailable(request, dossier.procedure, "handler")
    return redirect(step_url(dossier, filing.next_step(dossier, plan)))


# --- Question pages ---------------------------------------------------------------------


@draft_view
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, dossier: Dossier, plan: Plan, page: int) -> HttpResponse:
    if page not in plan.pages:
        raise Http404
    step = f"page-{page}"
    ahead = filing.step_reachable(dossier, plan, step)
    if ahead is not None:
        # Not before the earlier steps are done: to the first one that is not.
        return redirect(step_url(dossier, ahead))
    back_to_check = request.GET.get("next") == "check"
    attached = filing.attached_questions(filing.attachments_of(dossier))
    read_only = filing.prefilled_keys(dossier)
    stored = filing.answers(dossier)
    initial = filing.initial_values(plan.blank(page), stored)
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
        form.is_valid()
        valid = not plan.question_errors(form)
        if valid or later:
            filing.draft_save_page(
                dossier=dossier, user=request.user, page=page, cleaned_data=form.cleaned_data
            )
            if later:
                saved_url = reverse("filing:saved", args=[dossier.pk])
                return redirect(saved_url if valid else f"{saved_url}?partial=1")
            if back_to_check:
                return redirect("filing:check", dossier.pk)
            return redirect(step_url(dossier, filing.step_after(plan, step)))
        plan.hide_file_errors(form)
    questions = [form[name] for name in plan.fields_of(page) if name in form.fields]
    visible = [field for field in questions if not field.is_hidden]
    show_about = page == plan.pages[0]
    if show_about:
        filing.prefill_log(dossier=dossier, user=request.user)
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
    ahead = filing.step_reachable(dossier, plan, "documents")
    if ahead is not None:
        return redirect(step_url(dossier, ahead))
    back_to_check = request.GET.get("next") == "check"
    wallet = filing.wallet_choices(request.user, plan)
    attachments = filing.attachments_of(dossier)
    # The documents these answers call for (e.g. the witness's statement of a
    # birth outside a hospital is mandatory once page 3 says so).
    slots = plan.slots_for(filing.answers(dossier))
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
            filing.attachment_remove(dossier=dossier, user=request.user, attachment=attachment)
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
                missing = filing.missing_documents(dossier, plan)
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
        attachments = filing.attachments_of(dossier)
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
                filing.attachment_add(
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
    ahead = filing.step_reachable(dossier, plan, "check")
    if ahead is not None:
        return redirect(step_url(dossier, ahead))
    data = filing.answers(dossier)
    read_only = filing.prefilled_keys(dossier)
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
    attachments = filing.attachments_of(dossier)
    documents = [
        {"slot": slot, "attachments": [a for a in attachments if slot.holds(a)]}
        for slot in plan.slots_for(data)
    ]
    filing.prefill_log(dossier=dossier, user=request.user)
    form = DeclarationForm(request.POST if request.method == "POST" else None)
    problems = filing.submission_problems(dossier, plan, attachments)
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
            "payment_due": filing.payment_required(dossier),
            "fee_online": filing.online_fee(dossier),
            "expected": filing.expected_result_date(dossier),
            **_about(dossier),
        },
    )


def _send(request: HttpRequest, dossier: Dossier, form: DeclarationForm) -> HttpResponse | None:
    """Declare, then send or go and pay. None: stay on the page (errors on the form)."""
    try:
        filing.declaration_accept(dossier=dossier, user=request.user)
        filing.submit_online(dossier=dossier, actor=request.user)
    except filing.PaymentRequired:
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
            "expected": filing.expected_result_date(dossier),
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


# === API: /api/v1/me/drafts/ ==========================================================


class FilingRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class SubjectSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    page = serializers.IntegerField()
    required = serializers.BooleanField()
    read_only = serializers.BooleanField(help_text="Filled in from the population database.")
    type = serializers.CharField(help_text="The form field's class, e.g. DateField.")
    choices = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Allowed values, if any."
    )


class DraftAttachmentSerializer(serializers.ModelSerializer):
    requirement = serializers.IntegerField(source="requirement_id", allow_null=True)
    question = serializers.CharField(source="field_key")
    wallet_document = serializers.UUIDField(source="wallet_document_id", allow_null=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "requirement",
            "question",
            "wallet_document",
            "label",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
        ]


class DocumentSlotSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    mandatory = serializers.BooleanField()
    requirement = serializers.IntegerField(allow_null=True)
    question = serializers.CharField(allow_blank=True)
    wallet_kind = serializers.CharField(allow_blank=True)
    attachments = DraftAttachmentSerializer(many=True)


class DraftSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    procedure = FilingRefSerializer()
    agency = FilingRefSerializer()
    subject_person = SubjectSerializer(allow_null=True)
    data = serializers.DictField()
    questions = QuestionSerializer(many=True)
    documents = DocumentSlotSerializer(many=True)
    missing_documents = serializers.ListField(child=serializers.CharField())
    declaration_accepted_at = serializers.DateTimeField(allow_null=True)
    payment_required = serializers.BooleanField()
    fee_online = serializers.IntegerField(
        help_text="The fee of this dossier filed online (VND), as worked out from the answers: "
        "e.g. the late-registration fee of a birth registered more than 60 days after it."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resume_url = serializers.URLField()


def _draft_payload(request: Request, dossier: Dossier, plan: Plan) -> dict[str, Any]:
    prefilled = filing.prefilled_keys(dossier)
    attachments = filing.attachments_of(dossier)
    data = filing.answers(dossier)
    hidden = plan.hidden(data)
    slots = plan.slots_for(data)
    questions = []
    for name, (page_number, field) in plan.questions.items():
        if name in hidden:
            continue  # not asked given the answers (e.g. a late registration's questions)
        question = {
            "key": name,
            "label": str(field.label or name),
            "page": page_number,
            "required": field.required,
            "read_only": name in prefilled,
            "type": type(field).__name__,
        }
        choices = choice_labels(field)
        if choices:
            question["choices"] = [k for k in choices if k != ""]
        questions.append(question)
    slot_payload = [
        {
            "key": slot.key,
            "label": slot.label,
            "mandatory": slot.mandatory,
            "requirement": slot.requirement.pk if slot.requirement else None,
            "question": slot.field_key,
            "wallet_kind": slot.wallet_kind,
            "attachments": [a for a in attachments if slot.holds(a)],
        }
        for slot in slots
    ]
    missing = [
        slot.key for slot in slots if slot.mandatory and not any(slot.holds(a) for a in attachments)
    ]
    payload = {
        "id": dossier.pk,
        "status": dossier.status,
        "code": dossier.code,
        "procedure": dossier.procedure,
        "agency": dossier.agency,
        "subject_person": dossier.subject_person,
        "data": filing.answers(dossier),
        "questions": questions,
        "documents": slot_payload,
        "missing_documents": missing,
        "declaration_accepted_at": dossier.declaration_accepted_at,
        "payment_required": filing.payment_required(dossier, data),
        "fee_online": filing.online_fee(dossier, data),
        "created_at": dossier.created_at,
        "updated_at": dossier.updated_at,
        "resume_url": request.build_absolute_uri(reverse("filing:resume", args=[dossier.pk])),
    }
    return DraftSerializer(payload).data


def _api_dossier(request: Request, pk: uuid.UUID) -> tuple[Dossier, Plan]:
    dossier = filing.dossier_of(request.user, pk)
    try:
        plan = filing.plan_for(dossier.procedure)
    except LookupError as exc:
        raise ConflictError(
            _("This procedure cannot be filed online yet."), code="handler_unavailable"
        ) from exc
    return dossier, plan


def _api_draft(request: Request, pk: uuid.UUID) -> tuple[Dossier, Plan]:
    dossier, plan = _api_dossier(request, pk)
    if dossier.status != DossierStatus.DRAFT:
        raise ConflictError(
            _("This dossier has been sent and can no longer be changed."),
            code="not_draft",
            data={"status": dossier.status, "code": dossier.code},
        )
    return dossier, plan


ERROR = inline_serializer(
    "FilingError",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "data": serializers.DictField(),
    },
)
DRAFT_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Draft id")
TAGS = ["me: online filing"]


class DraftCreateSerializer(serializers.Serializer):
    procedure = serializers.CharField(help_text="The procedure's code, e.g. 1.000656.")
    agency = serializers.CharField(
        required=False, help_text="The agency's code; optional when only one offers it."
    )
    subject_person = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The id of your minor child's record when filing for them.",
    )


class DraftListSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    procedure = FilingRefSerializer()
    agency = FilingRefSerializer()
    updated_at = serializers.DateTimeField()
    resume_url = serializers.URLField()


class DraftsApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="My drafts",
        responses={200: DraftListSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        drafts = [
            {
                "id": d.pk,
                "procedure": d.procedure,
                "agency": d.agency,
                "updated_at": d.updated_at,
                "resume_url": request.build_absolute_uri(reverse("filing:resume", args=[d.pk])),
            }
            for d in filing.drafts_of(request.user)[:200]
        ]
        return Response(DraftListSerializer(drafts, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Start a draft",
        description=(
            "Creates an online draft for yourself or your minor child, with what the "
            "population database holds filled in (read-only questions). 403 `identity_level` "
            "when your account's identity level is below the procedure's."
        ),
        request=DraftCreateSerializer,
        responses={
            201: DraftSerializer,
            400: ERROR,
            403: OpenApiResponse(ERROR, description="identity_level"),
            404: ERROR,
            409: OpenApiResponse(ERROR, description="not_online, handler_unavailable"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = DraftCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        procedure = procedure_selectors.public_procedure(values["procedure"])
        if procedure is None:
            raise NotFoundError(data={"procedure": [_("No such procedure.")]})
        agencies = list(procedure.offered_by.all())
        if values.get("agency"):
            agency = next((a for a in agencies if a.code == values["agency"]), None)
        else:
            agency = agencies[0] if len(agencies) == 1 else None
        subject = None
        if values.get("subject_person"):
            # Only the citizen's own minor children: any other id gets the same answer.
            children = filing.children_for(request.user)
            subject = next((c for c in children if c.pk == values["subject_person"]), None)
            if subject is None:
                message = _("You can file only for yourself or for your minor child.")
                raise ValidationFailed(message, data={"subject_person": [message]})
        dossier = filing.draft_start(
            user=request.user, procedure=procedure, agency=agency, subject_person=subject
        )
        dossier, plan = _api_dossier(request, dossier.pk)
        return Response(_draft_payload(request, dossier, plan), status=http.HTTP_201_CREATED)


class DraftDataSerializer(serializers.Serializer):
    data = serializers.DictField(
        help_text="Answers by question key, in the shape GET returns them (dates ISO)."
    )


class DraftApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="One of my drafts (or a dossier I sent)",
        parameters=[DRAFT_ID],
        responses={200: DraftSerializer, 404: ERROR},
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, plan = _api_dossier(request, pk)
        return Response(_draft_payload(request, dossier, plan))

    @extend_schema(
        tags=TAGS,
        summary="Change answers of a draft",
        description=(
            "Each answer is checked by its page's form. Only the answers given are saved; "
            "400 `invalid` with `data: {question: [messages]}` saves nothing. Read-only "
            "(prefilled: from the population database, as on the pages, where they cannot be "
            "changed either) and unknown questions are refused, and so are the answers the "
            "portal works out itself (e.g. `late` of a birth registration: the server decides "
            "from the date of birth). 409 `not_draft` once sent."
        ),
        parameters=[DRAFT_ID],
        request=DraftDataSerializer,
        responses={200: DraftSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def patch(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, plan = _api_draft(request, pk)
        serializer = DraftDataSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answers = serializer.validated_data["data"]
        prefilled = filing.prefilled_keys(dossier)
        attached = filing.attached_questions(filing.attachments_of(dossier))
        errors: dict[str, list[str]] = {}
        cleaned_by_page: dict[int, dict[str, Any]] = {}
        computed = set(getattr(plan.handler, "computed_answers", ()) or ())
        for key in answers:
            if key in computed:
                errors[key] = [
                    _("This answer is worked out by the portal from your other answers.")
                ]
            elif key not in plan.questions:
                errors[key] = [_("There is no such question.")]
            elif key in prefilled:
                errors[key] = [_("This answer comes from the population database.")]
        for page_number in plan.pages:
            keys = [k for k in plan.fields_of(page_number) if k in answers and k not in errors]
            if not keys:
                continue
            merged = {**filing.answers(dossier), **{k: answers[k] for k in keys}}
            form = plan.bound(page_number, merged, attached)
            form.is_valid()
            for key in keys:
                if key in form.errors:
                    errors[key] = [str(m) for m in form.errors[key]]
                else:
                    cleaned_by_page.setdefault(page_number, {})[key] = form.cleaned_data.get(key)
        if errors:
            raise ValidationFailed(code="invalid", data=errors)
        for page_number, cleaned in cleaned_by_page.items():
            dossier = filing.draft_save_page(
                dossier=dossier, user=request.user, page=page_number, cleaned_data=cleaned
            )
        dossier, plan = _api_dossier(request, pk)
        return Response(_draft_payload(request, dossier, plan))

    @extend_schema(
        tags=TAGS,
        summary="Delete a draft",
        description=(
            "Deletes the draft and its uploaded files (removed once the deletion is "
            "committed). 204; 404 for a draft that is not yours; 409 `not_draft` once it was "
            "sent (withdraw it instead); 409 `draft_in_use` when a payment was attempted for "
            "it (the payment trail is kept)."
        ),
        parameters=[DRAFT_ID],
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request: Request, pk: uuid.UUID) -> Response:
        dossier = filing.dossier_of(request.user, pk)
        draft_delete(user=request.user, dossier=dossier)
        return Response(status=http.HTTP_204_NO_CONTENT)


class AttachmentUploadSerializer(serializers.Serializer):
    requirement = serializers.IntegerField(
        required=False, help_text="A required document's id (see `documents`)."
    )
    question = serializers.CharField(
        required=False, help_text="A file question's key (see `documents`)."
    )
    file = serializers.FileField(required=False, help_text="PDF, JPEG or PNG.")
    wallet_document = serializers.UUIDField(
        required=False, help_text="A document of your wallet of the kind asked for, instead."
    )


class AttachmentsApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Attach a document to a draft",
        description=(
            "multipart/form-data with `file` (checked by content: PDF, JPEG or PNG, "
            "size-limited; refused with 400 `file_type`, `file_too_large`, `file_corrupt` or "
            "`file_empty`, and nothing stored), or `wallet_document`; and `requirement` or "
            "`question`."
        ),
        parameters=[DRAFT_ID],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: DraftAttachmentSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, plan = _api_draft(request, pk)
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        requirement = None
        if values.get("requirement") is not None:
            requirement = next(
                (d for d in dossier.procedure.documents.all() if d.pk == values["requirement"]),
                None,
            )
            if requirement is None:
                raise NotFoundError(data={"requirement": [_("No such document.")]})
        wallet_document = None
        if values.get("wallet_document"):
            wallet_document = WalletDocument.objects.filter(
                pk=values["wallet_document"], owner=request.user
            ).first()
            if wallet_document is None:
                raise NotFoundError(data={"wallet_document": [_("No such document.")]})
        attachment = filing.attachment_add(
            dossier=dossier,
            user=request.user,
            requirement=requirement,
            field_key=values.get("question", ""),
            upload=values.get("file"),
            wallet_document=wallet_document,
        )
        return Response(DraftAttachmentSerializer(attachment).data, status=http.HTTP_201_CREATED)


class AttachmentApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Remove a document from a draft",
        parameters=[
            DRAFT_ID,
            OpenApiParameter("attachment_id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        ],
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request: Request, pk: uuid.UUID, attachment_id: uuid.UUID) -> Response:
        dossier, _plan = _api_draft(request, pk)
        attachment = Attachment.objects.filter(pk=attachment_id, dossier=dossier).first()
        if attachment is None:
            raise NotFoundError()
        filing.attachment_remove(dossier=dossier, user=request.user, attachment=attachment)
        return Response(status=http.HTTP_204_NO_CONTENT)


class SubmitSerializer(serializers.Serializer):
    declaration = serializers.BooleanField(
        help_text="I declare that the information I have given is true and complete."
    )


class SubmittedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    expected_result_date = serializers.DateField()
    confirmation_url = serializers.URLField()


class SubmitApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Send a draft to the one-stop desk",
        description=(
            "With `declaration: true`. 200 with the dossier code; 400 `declaration_required`, "
            "`answers_missing` (a question asked is not answered yet; data: `{question: "
            "[message]}`, each unanswered question's key), `documents_missing` (data: "
            "`{slot: [message]}`, including a document the answers call for, e.g. the "
            "witness's statement of a birth outside a hospital), `invalid` (data: `{key: "
            "[messages]}`; a child registered already is refused on `full_name`, naming the "
            "registration) or `duplicate` (the request is registered already, e.g. the same "
            "person in the same household, or the child's card asked for already; data: "
            "`duplicates: [{message, kind}]`); 402 `payment_required` for a fully online procedure whose fee for "
            "this dossier (e.g. a late registration's) is not paid (data: amount, currency, "
            "payment_url when online payment is available); "
            "409 `not_draft` when it was already sent."
        ),
        parameters=[DRAFT_ID],
        request=SubmitSerializer,
        responses={
            200: SubmittedSerializer,
            400: ERROR,
            402: OpenApiResponse(ERROR, description="payment_required"),
            404: ERROR,
            409: ERROR,
        },
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        dossier, _plan = _api_draft(request, pk)
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not serializer.validated_data["declaration"]:
            message = _("Confirm that the information you gave is true.")
            raise ValidationFailed(
                message, code="declaration_required", data={"declaration": [message]}
            )
        filing.declaration_accept(dossier=dossier, user=request.user)
        try:
            dossier = filing.submit_online(dossier=dossier, actor=request.user)
        except filing.PaymentRequired as exc:
            with contextlib.suppress(NoReverseMatch):
                exc.data["payment_url"] = request.build_absolute_uri(
                    reverse("payments:start", args=[dossier.pk])
                )
            raise
        dossier = filing.dossier_of(request.user, pk)
        return Response(
            SubmittedSerializer(
                {
                    "id": dossier.pk,
                    "code": dossier.code,
                    "status": dossier.status,
                    "submitted_at": dossier.submitted_at,
                    "expected_result_date": filing.expected_result_date(dossier),
                    "confirmation_url": request.build_absolute_uri(
                        reverse("filing:submitted", args=[dossier.pk])
                    ),
                }
            ).data
        )


api_urlpatterns = [
    path("me/drafts/", DraftsApi.as_view(), name="me-drafts"),
    path("me/drafts/<uuid:pk>/", DraftApi.as_view(), name="me-draft"),
    path("me/drafts/<uuid:pk>/attachments/", AttachmentsApi.as_view(), name="me-draft-attachments"),
    path(
        "me/drafts/<uuid:pk>/attachments/<uuid:attachment_id>/",
        AttachmentApi.as_view(),
        name="me-draft-attachment",
    ),
    path("me/drafts/<uuid:pk>/submit/", SubmitApi.as_view(), name="me-draft-submit"),
]

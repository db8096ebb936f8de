"""Back-office pages of the procedure catalog: /back-office/catalog/.

Who: staff holding the catalog-administrator role in any agency (the catalog
is the city's, not one agency's). Everyone else gets 403; anonymous visitors
are sent to sign in, and staff without a second factor to enrol one first
(``StaffMfaRequiredMiddleware``).

Every change goes through ``procedures.services``, which writes a revision and
bumps the procedure's version; the views only check the forms, call one
service and show its messages next to the fields.
"""

from __future__ import annotations

from contextlib import suppress
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from citizens.models import Role
from citizens.views import staff_required
from egov.errors import ConflictError, DomainError, ValidationFailed
from procedures import selectors, services
from procedures.forms import (
    AdminSearchForm,
    DeleteForm,
    FormFieldForm,
    MoveForm,
    ProcedureForm,
    PublishForm,
    RequiredDocumentForm,
)
from procedures.handlers import registry
from procedures.models import FormField, Procedure, RequiredDocument
from procedures.views import money, template_response

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20


def is_catalog_admin(user) -> bool:
    return user.is_authenticated and any(
        m.role == Role.CATALOG_ADMIN for m in user.active_memberships
    )


def catalog_admin_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_catalog_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _procedure(pk) -> Procedure:
    procedure = selectors.admin_procedure(pk)
    if procedure is None:
        raise Http404
    return procedure


def _show_errors(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal, on the form: each message next to its field."""
    data = exc.data if isinstance(exc.data, dict) else {}
    shown = False
    for name, errors in data.items():
        for error in errors if isinstance(errors, list | tuple) else [errors]:
            form.add_error(name if name in form.fields else None, str(error))
            shown = True
    if not shown:
        form.add_error(None, str(exc.message))


# --- Procedures --------------------------------------------------------------------------


@require_safe
@catalog_admin_required
def procedure_list(request: HttpRequest) -> HttpResponse:
    form = AdminSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    procedures = selectors.admin_procedures(
        query=data.get("q", ""), published=data.get("published", "")
    )
    page = Paginator(procedures, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/catalog/list.html",
        {"form": form, "page_obj": page, "query_string": query.urlencode()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def procedure_create(request: HttpRequest) -> HttpResponse:
    form = ProcedureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            procedure = services.procedure_create(
                actor=request.user,
                values=form.values(),
                offered_by=form.cleaned_data["offered_by"],
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The procedure was created. It is not published yet: add its documents and "
                    "questions, then publish it."
                ),
            )
            return redirect("catalog:detail", pk=procedure.pk)
    return render(request, "backoffice/catalog/procedure_form.html", {"form": form})


@require_safe
@catalog_admin_required
def procedure_detail(request: HttpRequest, pk) -> HttpResponse:
    procedure = _procedure(pk)
    questions = list(procedure.form_fields.all())
    pages: dict[int, list[FormField]] = {}
    for question in questions:
        pages.setdefault(question.page, []).append(question)
    return render(
        request,
        "backoffice/catalog/detail.html",
        {
            "procedure": procedure,
            "documents": list(procedure.documents.all()),
            "pages": sorted(pages.items()),
            "question_count": len(questions),
            "fee_online_text": money(procedure.fee_online),
            "fee_counter_text": money(procedure.fee_counter),
            "fee_late_text": money(procedure.fee_late),
            "agencies": list(procedure.offered_by.all()),
            "is_public": procedure.is_published
            and selectors.published_procedures().filter(pk=procedure.pk).exists(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def procedure_edit(request: HttpRequest, pk) -> HttpResponse:
    procedure = _procedure(pk)
    form = ProcedureForm(request.POST or None, instance=procedure)
    if request.method == "POST" and form.is_valid():
        try:
            services.procedure_save(
                actor=request.user,
                procedure=procedure,
                changes={**form.values(), "offered_by": form.cleaned_data["offered_by"]},
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data.get("version"),
            )
        except (ValidationFailed, ConflictError) as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("catalog:detail", pk=procedure.pk)
    return render(
        request, "backoffice/catalog/procedure_form.html", {"form": form, "procedure": procedure}
    )


@require_POST
@catalog_admin_required
def procedure_publish(request: HttpRequest, pk) -> HttpResponse:
    procedure = get_object_or_404(Procedure, pk=pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was not understood. Try again."))
        return redirect("catalog:detail", pk=procedure.pk)
    published = form.cleaned_data["published"]
    try:
        services.procedure_publish(
            actor=request.user,
            procedure=procedure,
            published=published,
            note=form.cleaned_data["note"],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("The procedure is published: citizens see it in the catalog.")
            if published
            else _("The procedure was withdrawn from the public catalog."),
        )
    return redirect("catalog:detail", pk=procedure.pk)


@require_safe
@catalog_admin_required
def procedure_preview(request: HttpRequest, pk) -> HttpResponse:
    """The form as citizens will see it, page by page, read-only."""
    procedure = _procedure(pk)
    pages, handler = [], None
    with suppress(LookupError):
        handler = registry.get(procedure.handler)
    if handler is not None:
        numbers = handler.pages(procedure)
        for number in numbers:
            form = handler.form_class(procedure, number)(prefix=f"page{number}")
            for field in form.fields.values():
                field.disabled = True
            pages.append((number, form))
    return render(
        request,
        "backoffice/catalog/preview.html",
        {"procedure": procedure, "pages": pages, "handler_missing": handler is None},
    )


@require_safe
@catalog_admin_required
def procedure_history(request: HttpRequest, pk) -> HttpResponse:
    procedure = _procedure(pk)
    page = Paginator(selectors.procedure_revisions(procedure), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = selectors.procedure_history(procedure, list(page.object_list))
    return render(
        request,
        "backoffice/catalog/history.html",
        {"procedure": procedure, "page_obj": page, "entries": entries},
    )


# --- Required documents -----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def document_create(request: HttpRequest, pk) -> HttpResponse:
    procedure = get_object_or_404(Procedure, pk=pk)
    form = RequiredDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.required_document_add(
                actor=request.user,
                procedure=procedure,
                values=form.values(),
                template=form.cleaned_data.get("template"),
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The document was added."))
            return redirect(reverse("catalog:detail", args=[procedure.pk]) + "#documents")
    return render(
        request,
        "backoffice/catalog/document_form.html",
        {"form": form, "procedure": procedure},
    )


def _document(pk, document_id) -> RequiredDocument:
    return get_object_or_404(
        RequiredDocument.objects.select_related("procedure"), pk=document_id, procedure_id=pk
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def document_edit(request: HttpRequest, pk, document_id: int) -> HttpResponse:
    document = _document(pk, document_id)
    form = RequiredDocumentForm(request.POST or None, request.FILES or None, instance=document)
    if request.method == "POST" and form.is_valid():
        try:
            services.required_document_update(
                actor=request.user,
                document=document,
                changes=form.values(),
                template=form.cleaned_data.get("template"),
                remove_template=form.cleaned_data.get("remove_template", False),
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The document was changed."))
            return redirect(reverse("catalog:detail", args=[document.procedure_id]) + "#documents")
    return render(
        request,
        "backoffice/catalog/document_form.html",
        {"form": form, "procedure": document.procedure, "document": document},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def document_delete(request: HttpRequest, pk, document_id: int) -> HttpResponse:
    document = _document(pk, document_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.required_document_remove(
            actor=request.user, document=document, note=form.cleaned_data["note"]
        )
        messages.success(request, _("The document was removed."))
        return redirect(reverse("catalog:detail", args=[document.procedure_id]) + "#documents")
    return render(
        request,
        "backoffice/catalog/confirm_delete.html",
        {
            "form": form,
            "procedure": document.procedure,
            "what": _("document"),
            "name": document.name,
        },
    )


@require_safe
@catalog_admin_required
def document_template(request: HttpRequest, pk, document_id: int) -> HttpResponse:
    document = _document(pk, document_id)
    if not document.template:
        raise Http404
    return template_response(document, as_name=document.name)


# --- Form questions -----------------------------------------------------------------------------


def _question(pk, question_id) -> FormField:
    return get_object_or_404(
        FormField.objects.select_related("procedure"), pk=question_id, procedure_id=pk
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def question_create(request: HttpRequest, pk) -> HttpResponse:
    procedure = get_object_or_404(Procedure, pk=pk)
    initial = {"page": request.GET.get("page") or 1, "required": True, "kind": FormField.Kind.TEXT}
    form = FormFieldForm(request.POST or None, procedure=procedure, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.form_field_add(
                actor=request.user,
                procedure=procedure,
                values=form.values(),
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The question was added."))
            if "add_another" in request.POST:
                url = reverse("catalog:question-create", args=[procedure.pk])
                return redirect(f"{url}?page={question.page}")
            return redirect(reverse("catalog:detail", args=[procedure.pk]) + "#questions")
    return render(
        request,
        "backoffice/catalog/question_form.html",
        {"form": form, "procedure": procedure},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def question_edit(request: HttpRequest, pk, question_id: int) -> HttpResponse:
    question = _question(pk, question_id)
    form = FormFieldForm(request.POST or None, procedure=question.procedure, instance=question)
    if request.method == "POST" and form.is_valid():
        try:
            services.form_field_update(
                actor=request.user,
                question=question,
                changes=form.values(),
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("The question was changed."))
            return redirect(reverse("catalog:detail", args=[question.procedure_id]) + "#questions")
    return render(
        request,
        "backoffice/catalog/question_form.html",
        {"form": form, "procedure": question.procedure, "question": question},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@catalog_admin_required
def question_delete(request: HttpRequest, pk, question_id: int) -> HttpResponse:
    question = _question(pk, question_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.form_field_remove(
            actor=request.user, question=question, note=form.cleaned_data["note"]
        )
        messages.success(request, _("The question was removed."))
        return redirect(reverse("catalog:detail", args=[question.procedure_id]) + "#questions")
    return render(
        request,
        "backoffice/catalog/confirm_delete.html",
        {
            "form": form,
            "procedure": question.procedure,
            "what": _("question"),
            "name": question.label,
        },
    )


@require_POST
@catalog_admin_required
def question_move(request: HttpRequest, pk, question_id: int) -> HttpResponse:
    question = _question(pk, question_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        services.form_field_move(
            actor=request.user, question=question, direction=form.cleaned_data["direction"]
        )
    return redirect(
        reverse("catalog:detail", args=[question.procedure_id]) + f"#question-{question.pk}"
    )

"""Back-office pages for the feedback and recommendations (namespace
``feedback``, under /back-office/feedback/).

Who sees what: the clerks, officers and heads of an agency
(``feedback.VIEWING_ROLES``) see its feedback; anyone else gets 403; another
agency's feedback is a 404. Each step is its own POST, allowed as the
service says: accept or refuse (clerk, head), assign (head), answer (the
officer it is assigned to, or the head), publish (head, when the sender
agreed).

    ""                             queue       counts, filters (step, late)
    "<code>/"                      staff-detail everything, the sender's contact included
    "<code>/accept/"               accept      POST
    "<code>/refuse/"               refuse      POST, with a reason
    "<code>/assign/"               assign      POST, an officer of the agency
    "<code>/answer/"               answer      POST
    "<code>/publish/"              publish     POST, the edited texts
    "<code>/files/<uuid>/"         attachment  the private file, as a download
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from citizens.models import Agency, Role, User
from citizens.permissions import agencies_with_roles, has_role
from egov.errors import DomainError
from engagement import feedback as services
from engagement import selectors
from engagement.forms_feedback import (
    AssignForm,
    FeedbackAnswerForm,
    FeedbackQueueFilterForm,
    PublishForm,
    RefuseForm,
    show_error,
)
from engagement.models import Feedback

PAGE_SIZE = 50
STEP_TAGS = {
    Feedback.Step.RECEIVED: "tag--yellow",
    Feedback.Step.ACCEPTED: "tag--yellow",
    Feedback.Step.ASSIGNED: "tag--yellow",
    Feedback.Step.ANSWERED: "tag--green",
    Feedback.Step.PUBLISHED: "tag--green",
    Feedback.Step.REFUSED: "tag--grey",
}


def feedback_agencies(user: User) -> list[Agency]:
    """The agencies whose feedback ``user`` sees (no query: the memberships are
    loaded once per request)."""
    if not user.is_authenticated:
        return []
    return agencies_with_roles(user, services.VIEWING_ROLES)


def may_view_feedback(user: User) -> bool:
    return bool(feedback_agencies(user))


def _allowed(request: HttpRequest) -> list[Agency]:
    agencies = feedback_agencies(request.user)
    if not agencies:
        raise PermissionDenied
    return agencies


def _row(item: Feedback, today) -> Feedback:
    item.late = item.is_late(today)
    item.step_tag = STEP_TAGS.get(item.step, "")
    return item


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    agencies = _allowed(request)
    form = FeedbackQueueFilterForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    page = Paginator(
        selectors.feedback_queue(agencies, today=today, **filters), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/feedback/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(item, today) for item in page.object_list],
            "filtered": bool(filters["step"] or filters["late"]),
            "counts": selectors.feedback_counts(agencies, today=today),
        },
    )


def _feedback(request: HttpRequest, code: str) -> Feedback:
    item = selectors.feedback_for_staff(_allowed(request), code)
    if item is None:
        raise Http404
    return item


FORM_NAMES = {
    RefuseForm: "refuse_form",
    AssignForm: "assign_form",
    FeedbackAnswerForm: "answer_form",
    PublishForm: "publish_form",
}


def _detail(
    request: HttpRequest, item: Feedback, *, bound: forms.Form | None = None
) -> HttpResponse:
    """The feedback's page with the forms the user may use; ``bound`` is a
    form sent back with its errors (and what was typed)."""
    user = request.user
    agency = item.agency
    step = item.step
    head = has_role(user, agency, (Role.HEAD,))
    context: dict[str, Any] = {
        "may_receive": step == Feedback.Step.RECEIVED
        and has_role(user, agency, services.RECEIVING_ROLES),
        "refuse_form": None,
        "assign_form": None,
        "answer_form": None,
        "publish_form": None,
    }
    if context["may_receive"]:
        context["refuse_form"] = RefuseForm()
    if step in (Feedback.Step.ACCEPTED, Feedback.Step.ASSIGNED) and head:
        context["assign_form"] = AssignForm(
            agency=agency, initial={"officer": str(item.assigned_to_id or "")}
        )
    if (
        step == Feedback.Step.ASSIGNED
        and (item.assigned_to_id == user.pk or head)
        and has_role(user, agency)
    ):
        context["answer_form"] = FeedbackAnswerForm()
    if (
        step == Feedback.Step.ANSWERED
        and item.consent_publish
        and services.may_publish(user, agency)
    ):
        context["publish_form"] = PublishForm(
            initial={
                "public_summary": item.public_summary or item.body,
                "public_answer": item.public_answer or item.answer,
            }
        )
    if bound is not None:
        context[FORM_NAMES[type(bound)]] = bound
    return render(
        request,
        "backoffice/feedback/detail.html",
        {
            "feedback": _row(item, timezone.localdate()),
            "events": list(item.events.all()),
            "attachments": list(item.attachments.all()),
            **context,
        },
        status=400 if bound is not None else 200,
    )


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _detail(request, _feedback(request, code))


def _failed(
    request: HttpRequest, item: Feedback, exc: DomainError, form: forms.Form | None
) -> HttpResponse:
    """A refused step: 403 or 404 as such, a step no longer possible as a
    message, anything else next to its field with what was typed."""
    if exc.http_status == 403:
        raise PermissionDenied from exc
    if exc.http_status == 404:
        raise Http404 from exc
    if exc.http_status == 409 or form is None:
        messages.error(request, str(exc.message))
        return redirect("feedback:staff-detail", code=item.code)
    show_error(form, exc)
    return _detail(request, item, bound=form)


def _done(request: HttpRequest, item: Feedback, message: str) -> HttpResponse:
    messages.success(request, message % {"code": item.code})
    return redirect("feedback:staff-detail", code=item.code)


@login_required
@require_POST
def accept(request: HttpRequest, code: str) -> HttpResponse:
    item = _feedback(request, code)
    try:
        services.feedback_accept(user=request.user, feedback=item)
    except DomainError as exc:
        return _failed(request, item, exc, None)
    return _done(request, item, _("%(code)s is accepted: the head assigns it to an officer."))


@login_required
@require_POST
def refuse(request: HttpRequest, code: str) -> HttpResponse:
    item = _feedback(request, code)
    form = RefuseForm(request.POST)
    form.is_valid()
    try:
        services.feedback_refuse(
            user=request.user, feedback=item, reason=form.cleaned_data.get("reason", "")
        )
    except DomainError as exc:
        return _failed(request, item, exc, form)
    return _done(request, item, _("%(code)s is refused; the sender is told why."))


@login_required
@require_POST
def assign(request: HttpRequest, code: str) -> HttpResponse:
    item = _feedback(request, code)
    form = AssignForm(request.POST, agency=item.agency)
    if not form.is_valid() or form.chosen() is None:
        if not has_role(request.user, item.agency, (Role.HEAD,)):
            raise PermissionDenied
        return _detail(request, item, bound=form)
    try:
        services.feedback_assign(user=request.user, feedback=item, officer=form.chosen())  # type: ignore[arg-type]
    except DomainError as exc:
        return _failed(request, item, exc, form)
    return _done(request, item, _("%(code)s is assigned; the officer answers it."))


@login_required
@require_POST
def answer(request: HttpRequest, code: str) -> HttpResponse:
    item = _feedback(request, code)
    form = FeedbackAnswerForm(request.POST)
    form.is_valid()
    try:
        services.feedback_answer(
            user=request.user, feedback=item, answer=form.cleaned_data.get("answer", "")
        )
    except DomainError as exc:
        return _failed(request, item, exc, form)
    return _done(request, item, _("The answer to %(code)s is sent; the sender is told."))


@login_required
@require_POST
def publish(request: HttpRequest, code: str) -> HttpResponse:
    item = _feedback(request, code)
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        services.feedback_publish(
            user=request.user,
            feedback=item,
            public_summary=form.cleaned_data.get("public_summary", ""),
            public_answer=form.cleaned_data.get("public_answer", ""),
        )
    except DomainError as exc:
        return _failed(request, item, exc, form)
    return _done(
        request, item, _("%(code)s is published: anyone can read it, without the sender's name.")
    )


@login_required
@require_GET
def attachment(request: HttpRequest, code: str, pk) -> FileResponse:
    """A private attachment, as a download, never cached, never sniffed."""
    item = _feedback(request, code)
    found = next((a for a in item.attachments.all() if a.pk == pk), None)
    if found is None or not found.file:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=_download_name(found.original_name, found.file.name),
        content_type=found.content_type or "application/octet-stream",
    )
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _download_name(original: str, stored: str) -> str:
    """The sender's file name with the extension of what it really is (the
    stored copy's: pdf, jpg or png)."""
    extension = stored.rsplit(".", 1)[-1] if "." in stored else ""
    stem = original.rsplit(".", 1)[0] if "." in original else original
    return f"{stem or 'tep-dinh-kem'}.{extension}" if extension else (stem or "tep-dinh-kem")


urlpatterns = [
    path("", queue, name="queue"),
    path("<str:code>/", detail, name="staff-detail"),
    path("<str:code>/accept/", accept, name="accept"),
    path("<str:code>/refuse/", refuse, name="refuse"),
    path("<str:code>/assign/", assign, name="assign"),
    path("<str:code>/answer/", answer, name="answer"),
    path("<str:code>/publish/", publish, name="publish"),
    path("<str:code>/files/<uuid:pk>/", attachment, name="attachment"),
]

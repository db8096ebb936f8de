"""Back-office pages for the questions (namespace ``questions``, under
/back-office/questions/).

Who sees what (``scope``): the officers and heads of an agency see its
questions (``services.ANSWERING_ROLES``; the head also moderates them); a
catalog administrator (or a superuser), who moderates for the whole city,
sees besides every agency's answered questions (to be moderated, published or
kept private), but not those still waiting, which are the agency's to answer.
Anyone else gets 403; another agency's question is a 404.

    ""                  queue     filters (status, late), the counts at the top
    "<code>/"           detail    the question, the asker's name, the forms
    "<code>/answer/"    answer    POST: answer (or correct the answer)
    "<code>/moderate/"  moderate  POST: publish the edited pair, or keep it private
    "<code>/pin/"       pin       POST: pin among the procedure's frequent questions
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from citizens.models import Agency, Role, User
from citizens.permissions import agencies_with_roles
from egov.errors import DomainError, raise_for_page
from engagement import selectors, services
from engagement.forms import AnswerForm, ModerateForm, PinForm, QueueFilterForm, show_error
from engagement.models import Question

PAGE_SIZE = 50
# The roles that give an agency's questions (the catalog administrator's
# are the whole city's answered questions, see ``scope``).
AGENCY_ROLES = tuple(
    dict.fromkeys(
        r
        for r in (*services.ANSWERING_ROLES, *services.MODERATING_ROLES)
        if r != Role.CATALOG_ADMIN
    )
)
STATUS_TAGS = {
    Question.Status.ASKED: "tag--yellow",
    Question.Status.ANSWERED: "",
    Question.Status.PUBLISHED: "tag--green",
    Question.Status.PRIVATE: "tag--grey",
}


@dataclass(frozen=True)
class Scope:
    agencies: list[Agency]
    every_answered: bool

    def __bool__(self) -> bool:
        return bool(self.agencies) or self.every_answered


def scope(user: User) -> Scope:
    """The questions a staff member works on (no query: the memberships are
    loaded once per request)."""
    if not user.is_authenticated:
        return Scope([], False)
    city = user.is_superuser or any(m.role == Role.CATALOG_ADMIN for m in user.active_memberships)
    return Scope(agencies_with_roles(user, AGENCY_ROLES), city)


def may_view_questions(user: User) -> bool:
    return bool(scope(user))


def _allowed(request: HttpRequest) -> Scope:
    allowed = scope(request.user)
    if not allowed:
        raise PermissionDenied
    return allowed


def _row(question: Question, today) -> Question:
    question.late = question.is_late(today)
    question.status_tag = STATUS_TAGS.get(question.status, "")
    return question


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    allowed = _allowed(request)
    form = QueueFilterForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    questions = selectors.queue(
        allowed.agencies, every_answered=allowed.every_answered, today=today, **filters
    )
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/questions/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(q, today) for q in page.object_list],
            "filtered": bool(filters["status"] or filters["late"]),
            "counts": selectors.counts(
                allowed.agencies, today=today, every_answered=allowed.every_answered
            ),
            "every_answered": allowed.every_answered,
        },
    )


def _question(request: HttpRequest, code: str) -> Question:
    allowed = _allowed(request)
    question = selectors.for_staff(allowed.agencies, code, every_answered=allowed.every_answered)
    if question is None:
        raise Http404
    return question


def _detail(
    request: HttpRequest, question: Question, *, bound: forms.Form | None = None
) -> HttpResponse:
    """The question's page; ``bound`` is a form sent back with its errors."""
    user = request.user
    status = question.status
    forms_: dict[str, Any] = {"answer_form": None, "moderate_form": None, "pin_form": None}
    if status in (Question.Status.ASKED, Question.Status.ANSWERED) and services.may_answer(
        user, question.agency
    ):
        forms_["answer_form"] = AnswerForm(initial={"answer": question.answer})
    if status != Question.Status.ASKED and services.may_moderate(user, question.agency):
        forms_["moderate_form"] = ModerateForm(
            initial={
                "public_question": question.public_question or question.text,
                "public_answer": question.public_answer or question.answer,
            }
        )
    if status == Question.Status.PUBLISHED and services.may_pin(user):
        forms_["pin_form"] = PinForm(
            initial={"pinned": question.is_faq, "order": question.faq_order}
        )
    if bound is not None:
        name = {AnswerForm: "answer_form", ModerateForm: "moderate_form", PinForm: "pin_form"}[
            type(bound)
        ]
        forms_[name] = bound
    return render(
        request,
        "backoffice/questions/detail.html",
        {"question": _row(question, timezone.localdate()), **forms_},
        status=400 if bound is not None else 200,
    )


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _detail(request, _question(request, code))


@login_required
@require_POST
def answer(request: HttpRequest, code: str) -> HttpResponse:
    question = _question(request, code)
    form = AnswerForm(request.POST)
    form.is_valid()
    try:
        services.question_answer(
            user=request.user, question=question, answer=form.cleaned_data.get("answer", "")
        )
    except DomainError as exc:
        raise_for_page(exc)
        if exc.http_status == 409:
            messages.error(request, str(exc.message))
            return redirect("questions:detail", code=code)
        show_error(form, exc)
        return _detail(request, question, bound=form)
    messages.success(
        request,
        _("The answer to %(code)s is saved; the asker is told.") % {"code": code},
    )
    return redirect("questions:detail", code=code)


@login_required
@require_POST
def moderate(request: HttpRequest, code: str) -> HttpResponse:
    question = _question(request, code)
    form = ModerateForm(request.POST)
    form.is_valid()
    publish = request.POST.get("decision") == "publish"
    try:
        services.question_moderate(
            user=request.user,
            question=question,
            publish=publish,
            public_question=form.cleaned_data.get("public_question", ""),
            public_answer=form.cleaned_data.get("public_answer", ""),
        )
    except DomainError as exc:
        raise_for_page(exc)
        if exc.http_status == 409:
            messages.error(request, str(exc.message))
            return redirect("questions:detail", code=code)
        show_error(form, exc)
        return _detail(request, question, bound=form)
    if publish:
        message = _("%(code)s is published: anyone can read it, without the asker's name.")
    else:
        message = _("%(code)s is kept private: only the asker can read the answer.")
    messages.success(request, message % {"code": code})
    return redirect("questions:detail", code=code)


@login_required
@require_POST
def pin(request: HttpRequest, code: str) -> HttpResponse:
    question = _question(request, code)
    form = PinForm(request.POST)
    if not form.is_valid():
        return _detail(request, question, bound=form)
    pinned = bool(form.cleaned_data.get("pinned"))
    try:
        services.question_pin(
            user=request.user,
            question=question,
            pinned=pinned,
            order=form.cleaned_data.get("order") or 0,
        )
    except DomainError as exc:
        raise_for_page(exc)
        messages.error(request, str(exc.message))
        return redirect("questions:detail", code=code)
    if pinned:
        message = _("%(code)s is shown among the procedure's frequent questions.")
    else:
        message = _("%(code)s is no longer among the procedure's frequent questions.")
    messages.success(request, message % {"code": code})
    return redirect("questions:detail", code=code)


urlpatterns = [
    path("", queue, name="queue"),
    path("<str:code>/", detail, name="detail"),
    path("<str:code>/answer/", answer, name="answer"),
    path("<str:code>/moderate/", moderate, name="moderate"),
    path("<str:code>/pin/", pin, name="pin"),
]

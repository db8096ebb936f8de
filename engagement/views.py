"""The public questions and answers and the asker's own (namespace ``questions``).

    "questions/"                    list         every published pair, searchable
                                                 without diacritics, 20 a page
    "questions/procedure/<code>/"   procedure    one procedure's: its frequent
                                                 questions first, then the others;
                                                 the form to ask one (signed in)
    "questions/mine/"               mine         the signed-in person's questions
    "questions/mine/<code>/"        mine-detail  one of them, with its answer

The public pages show only what a moderator published (``public_question``,
``public_answer``), never the asker or their own words.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from citizens.models import Agency, IdentityLink, User
from citizens.permissions import agency_covering
from egov.errors import DomainError
from engagement import selectors, services
from engagement.forms import AskForm, SearchForm, show_error
from engagement.models import Question
from procedures.models import Procedure
from procedures.selectors import public_procedure

PAGE_SIZE = 20
STATUS_TAGS = {
    Question.Status.ASKED: "tag--yellow",
    Question.Status.ANSWERED: "tag--green",
    Question.Status.PUBLISHED: "tag--green",
    Question.Status.PRIVATE: "tag--green",
}


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_safe
def question_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.query()
    page = Paginator(selectors.published(query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "questions/list.html",
        {"form": form, "query": query, "page_obj": page, "query_string": _query_string(request)},
    )


def _default_agency(user: User, agencies: list[Agency]) -> Agency | None:
    """The agency covering the ward where the asker lives, if their account is
    linked to their record; else the first one."""
    if not agencies:
        return None
    link = (
        IdentityLink.objects.filter(user=user)
        .select_related("person__permanent_unit__parent", "person__current_unit__parent")
        .first()
    )
    covering = agency_covering(agencies, link.person) if link else None
    return covering or agencies[0]


def _ask(request: HttpRequest, procedure: Procedure, form: AskForm) -> Question | None:
    """The question asked, or None with the service's errors on the form."""
    if not form.is_valid():
        return None
    try:
        return services.question_ask(
            user=request.user,
            procedure=procedure,
            agency=form.chosen_agency(),
            text=form.cleaned_data["text"],
        )
    except DomainError as exc:
        show_error(form, exc)
        return None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def procedure_questions(request: HttpRequest, code: str) -> HttpResponse:
    procedure = public_procedure(code)
    if procedure is None:
        raise Http404
    agencies = list(procedure.offered_by.all())  # the active ones, prefetched
    ask_form = None
    if request.user.is_authenticated and agencies:
        if request.method == "POST":
            ask_form = AskForm(request.POST, agencies=agencies)
            question = _ask(request, procedure, ask_form)
            if question is not None:
                messages.success(
                    request,
                    _(
                        "Your question was sent with the code %(code)s. "
                        "%(agency)s will answer it by %(date)s; we will tell you when it does."
                    )
                    % {
                        "code": question.code,
                        "agency": question.agency.display_name,
                        "date": question.due_on.strftime("%d/%m/%Y"),
                    },
                )
                return redirect("questions:mine-detail", code=question.code)
        else:
            default = _default_agency(request.user, agencies)
            ask_form = AskForm(agencies=agencies, initial={"agency": default and default.code})
    elif request.method == "POST":
        return redirect_to_login(request.get_full_path())
    search = SearchForm(request.GET)
    query = search.query()
    faq = [] if query else selectors.faq(procedure.pk)
    others = selectors.published(query=query, procedure_code=procedure.code)
    if not query:
        others = others.filter(is_faq=False)
    page = Paginator(others, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "questions/procedure.html",
        {
            "procedure": procedure,
            "agencies": agencies,
            "faq": faq,
            "form": search,
            "query": query,
            "page_obj": page,
            "query_string": _query_string(request),
            "ask_form": ask_form,
        },
        status=400 if ask_form is not None and ask_form.errors else 200,
    )


def _with_status(question: Question, today) -> Question:
    question.late = question.is_late(today)
    question.status_tag = STATUS_TAGS.get(question.status, "")
    question.status_help = services.STATUS_HELP.get(question.status, "")
    return question


@never_cache
@login_required
@require_safe
def my_questions(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.of_asker(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "questions/mine.html",
        {"page": page, "rows": [_with_status(q, today) for q in page.object_list]},
    )


@never_cache
@login_required
@require_safe
def my_question(request: HttpRequest, code: str) -> HttpResponse:
    question = selectors.of_asker(request.user).filter(code=code).first()
    if question is None:
        raise Http404
    return render(
        request,
        "questions/mine_detail.html",
        {"question": _with_status(question, timezone.localdate())},
    )

"""The public and the sender's feedback pages (phản ánh, kiến nghị; Decree
20/2008/NĐ-CP), namespace ``feedback``.

    "feedback/"                        home     what it is, the published answers
                                                (searchable without diacritics),
                                                the tracking form
    "feedback/track/"                  track    POST: code + phone or e-mail → the page
    "feedback/new/"                    new      the form; POST sends it
    "feedback/mine/"                   mine     a signed-in sender's list
    "feedback/<code>/"                 detail   the sender's page: steps, answer, rating
    "feedback/<code>/confirm/"         confirm  an anonymous sender types the code sent
    "feedback/<code>/confirm/resend/"  resend   POST: a new code
    "feedback/<code>/rate/"            rate     POST: 1-5 once answered

Who sees a feedback's page: its signed-in sender, or a browser session that
sent it and confirmed it, or tracked it with its code and contact. Which
feedback a session may confirm or see is kept in the session, never taken
from the URL alone. A wrong code or contact answers exactly as an unknown
code, and failures are counted per client address and per code: past
``EGOV_TRACKING_MAX_FAILURES`` in ``EGOV_TRACKING_WINDOW_SECONDS`` the
tracking answers 429, even to correct data.

The public page shows only what was published (``public_summary``,
``public_answer``), never the sender, their contact, their own words or
their attachments.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from egov.errors import DomainError
from egov.http import client_ip
from engagement import feedback as services
from engagement import limits, selectors
from engagement.forms_feedback import (
    ConfirmForm,
    FeedbackForm,
    RateForm,
    SearchForm,
    TrackFeedbackForm,
    show_error,
)
from engagement.models import Feedback

PAGE_SIZE = 20
CONFIRMABLE = "feedback:confirmable"  # session: codes this browser sent, to confirm
SEEN = "feedback:seen"  # session: codes this browser may see (confirmed or tracked)
SESSION_MAX = 20
STEP_TAGS = {
    Feedback.Step.UNVERIFIED: "tag--yellow",
    Feedback.Step.RECEIVED: "tag--yellow",
    Feedback.Step.ACCEPTED: "tag--yellow",
    Feedback.Step.ASSIGNED: "tag--yellow",
    Feedback.Step.ANSWERED: "tag--green",
    Feedback.Step.PUBLISHED: "tag--green",
    Feedback.Step.REFUSED: "tag--grey",
}


def _remember(request: HttpRequest, key: str, code: str) -> None:
    codes = [c for c in request.session.get(key, []) if c != code]
    request.session[key] = [*codes, code][-SESSION_MAX:]


def _remembered(request: HttpRequest, key: str, code: str) -> bool:
    return code in request.session.get(key, [])


def _with_step(item: Feedback) -> Feedback:
    item.late = item.is_late(timezone.localdate())
    item.step_tag = STEP_TAGS.get(item.step, "")
    return item


# --- Throttling wrong tracking guesses (as onecounter.tracking.views) ---------------------


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "EGOV_TRACKING_MAX_FAILURES", 10)),
        int(getattr(settings, "EGOV_TRACKING_WINDOW_SECONDS", 15 * 60)),
    )


def _keys(ip: str, code: str) -> list[str]:
    keys = [f"feedback:track:fail:ip:{ip}"]
    if code:
        keys.append(f"feedback:track:fail:code:{code[:20]}")
    return keys


def is_throttled(ip: str, code: str) -> bool:
    limit, _window = _limits()
    return limits.reached(_keys(ip, code), limit)


def record_failure(ip: str, code: str) -> None:
    _limit, window = _limits()
    limits.count(_keys(ip, code), window)


# --- The public page and tracking ------------------------------------------------------


def _home(
    request: HttpRequest, *, track_form: TrackFeedbackForm | None = None, status: int = 200
) -> HttpResponse:
    search = SearchForm(request.GET)
    query = search.query()
    page = Paginator(selectors.feedback_published(query=query), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "feedback/home.html",
        {
            "form": search,
            "query": query,
            "page_obj": page,
            "query_string": params.urlencode(),
            "track_form": track_form or TrackFeedbackForm(),
        },
        status=status,
    )


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return _home(request)


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """POST: the feedback's page, or the same "not found" for an unknown code
    and a wrong contact. GET: back to the form."""
    if request.method == "GET":
        return redirect(reverse("feedback:home") + "#track")
    ip = client_ip(request)
    code = "".join(request.POST.get("code", "").split()).upper()[:20]
    if is_throttled(ip, code):
        _limit, window = _limits()
        response = render(
            request, "feedback/throttled.html", {"minutes": max(1, window // 60)}, status=429
        )
        response["Retry-After"] = str(window)
        return response
    form = TrackFeedbackForm(request.POST)
    if not form.is_valid():
        return _home(request, track_form=form, status=400)
    item = selectors.feedback_tracked(form.cleaned_data["code"], form.cleaned_data["contact"])
    if item is None:
        record_failure(ip, form.cleaned_data["code"])
        form.add_error(
            None,
            _(
                "No feedback matches this code and this phone number or e-mail address. "
                "Check the code you were given and the contact you sent it with."
            ),
        )
        return _home(request, track_form=form, status=404)
    if item.step == Feedback.Step.UNVERIFIED:
        _remember(request, CONFIRMABLE, item.code)
        return redirect("feedback:confirm", code=item.code)
    _remember(request, SEEN, item.code)
    return redirect("feedback:detail", code=item.code)


# --- Sending and confirming --------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "GET":
        initial = {}
        form = FeedbackForm(user=user)
        wanted = request.GET.get("dossier", "")
        if wanted and wanted in form.dossiers:
            initial = {"dossier": wanted, "agency": form.dossiers[wanted].agency.code}
            form = FeedbackForm(user=user, initial=initial)
        return render(request, "feedback/new.html", {"form": form})
    form = FeedbackForm(request.POST, request.FILES, user=user)
    files_sent = bool(request.FILES.getlist("files"))
    status = 400
    if form.is_valid():
        try:
            item = services.feedback_send(
                user=user,
                kind=form.cleaned_data["kind"],
                category=form.chosen_category(),  # type: ignore[arg-type]
                agency=form.chosen_agency(),  # type: ignore[arg-type]
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                consent_publish=form.cleaned_data["consent_publish"],
                name=form.cleaned_data.get("name", ""),
                phone=form.cleaned_data.get("phone", ""),
                email=form.cleaned_data.get("email", ""),
                dossier=form.chosen_dossier(),
                files=form.cleaned_data["files"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            show_error(form, exc)
            status = 429 if exc.http_status == 429 else 400
        else:
            if item.step == Feedback.Step.UNVERIFIED:
                _remember(request, CONFIRMABLE, item.code)
                return redirect("feedback:confirm", code=item.code)
            messages.success(
                request,
                _(
                    "Your %(kind)s was sent with the tracking code %(code)s. %(agency)s will "
                    "decide by %(date)s whether to accept it; we will tell you."
                )
                % {
                    "kind": item.get_kind_display(),
                    "code": item.code,
                    "agency": item.agency.display_name,
                    "date": item.step_due_on.strftime("%d/%m/%Y") if item.step_due_on else "—",
                },
            )
            return redirect("feedback:detail", code=item.code)
    return render(
        request, "feedback/new.html", {"form": form, "files_sent": files_sent}, status=status
    )


def _unconfirmed(request: HttpRequest, code: str) -> Feedback:
    if not _remembered(request, CONFIRMABLE, code):
        raise Http404
    item = Feedback.objects.select_related("category", "agency").filter(code=code).first()
    if item is None:
        raise Http404
    return item


def _masked(item: Feedback) -> str:
    """Where the code went, enough to recognise it: ***678, n***@example.vn."""
    if item.sender_phone:
        return "***" + item.sender_phone[-3:]
    local, _at, domain = item.sender_email.partition("@")
    return f"{local[:1]}***@{domain}"


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, code: str) -> HttpResponse:
    item = _unconfirmed(request, code)
    if item.step != Feedback.Step.UNVERIFIED:
        _remember(request, SEEN, item.code)
        return redirect("feedback:detail", code=item.code)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.feedback_verify(feedback=item, code=form.cleaned_data["code"])
        except DomainError as exc:
            show_error(form, exc)
        else:
            _remember(request, SEEN, item.code)
            messages.success(
                request,
                _(
                    "Your %(kind)s is confirmed and sent, with the tracking code %(code)s. "
                    "Keep the code: with it and your contact you can follow it here."
                )
                % {"kind": item.get_kind_display(), "code": item.code},
            )
            return redirect("feedback:detail", code=item.code)
    return render(
        request,
        "feedback/confirm.html",
        {"feedback": item, "form": form, "sent_to": _masked(item)},
        status=400 if form.errors else 200,
    )


@require_POST
def resend(request: HttpRequest, code: str) -> HttpResponse:
    item = _unconfirmed(request, code)
    try:
        services.feedback_resend_code(feedback=item, ip=client_ip(request))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("A new code was sent to %(to)s.") % {"to": _masked(item)})
    return redirect("feedback:confirm", code=code)


# --- The sender's pages --------------------------------------------------------------------


def _own(request: HttpRequest, code: str) -> Feedback:
    """The feedback, when this request is its sender's; else 404."""
    item = (
        Feedback.objects.select_related("category", "agency", "dossier")
        .prefetch_related("events")
        .filter(code=code)
        .first()
    )
    if item is None:
        raise Http404
    user = request.user
    mine = user.is_authenticated and item.sender_id == user.pk
    if not (mine or _remembered(request, SEEN, code)) or item.step == Feedback.Step.UNVERIFIED:
        raise Http404
    return item


def _detail(request: HttpRequest, item: Feedback, *, rate_form: RateForm | None = None):
    can_rate = item.rating is None and item.step in (
        Feedback.Step.ANSWERED,
        Feedback.Step.PUBLISHED,
    )
    if can_rate and rate_form is None:
        rate_form = RateForm()
    return render(
        request,
        "feedback/detail.html",
        {
            "feedback": _with_step(item),
            "events": list(item.events.all()),
            "rate_form": rate_form if can_rate else None,
            "mine": request.user.is_authenticated and item.sender_id == request.user.pk,
        },
        status=400 if rate_form is not None and rate_form.errors else 200,
    )


@never_cache
@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _detail(request, _own(request, code))


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    item = _own(request, code)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, rate_form=form)
    try:
        services.feedback_rate(feedback=item, score=form.cleaned_data["score"])
    except DomainError as exc:
        if exc.http_status == 409:
            messages.error(request, str(exc.message))
            return redirect("feedback:detail", code=code)
        show_error(form, exc)
        return _detail(request, item, rate_form=form)
    messages.success(request, _("Thank you: your rating is recorded."))
    return redirect("feedback:detail", code=code)


@never_cache
@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.feedback_of_sender(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "feedback/mine.html",
        {"page": page, "rows": [_with_step(item) for item in page.object_list]},
    )


urlpatterns = [
    path("", home, name="home"),
    path("track/", track, name="track"),
    path("new/", new, name="new"),
    path("mine/", mine, name="mine"),
    path("<str:code>/", detail, name="detail"),
    path("<str:code>/confirm/", confirm, name="confirm"),
    path("<str:code>/confirm/resend/", resend, name="resend"),
    path("<str:code>/rate/", rate, name="rate"),
]

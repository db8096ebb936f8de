"""The signed-in citizen's dossiers and documents ("My dossiers", "My documents").

A citizen sees their own dossiers and those about their minor children; any
other dossier, slip, upload or wallet document answers 404, the same as one
that does not exist (see ``onecounter.wallet.services``). The steps offered are those
``transitions`` lets the viewer take. Lists cost the same few queries however
many rows there are.

URLs (namespace ``mine``, mounted at /me/):
    dossiers/                                   dossiers          the list, drafts first
    dossiers/<uuid>/                            dossier           the dossier page
    dossiers/<uuid>/supplement/                 supplement        answer a request for documents
    dossiers/<uuid>/withdraw/                   withdraw          withdraw with a reason
    dossiers/<uuid>/receive/                    receive-result    POST: take a full-online result
    dossiers/<uuid>/rating/                     rate              POST: rate a returned dossier
    dossiers/<uuid>/delete/                     delete-draft      delete a draft
    dossiers/<uuid>/documents/<uuid>/           document          a slip or result (PDF)
    dossiers/<uuid>/attachments/<uuid>/         attachment        a file the citizen uploaded
    documents/                                  documents         the wallet
    documents/add/                              document-add      keep a document
    documents/<uuid>/                           wallet-document   download a wallet document
    documents/<uuid>/delete/                    document-delete   delete a kept document
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from citizens.models import Role, StaffMembership
from egov import events
from egov.errors import DomainError, ValidationFailed
from onecounter.events import DossierShown
from onecounter.intake import drafts
from onecounter.models import Dossier, DossierEvent, WalletDocument
from onecounter.models import DossierStatus as S
from onecounter.selectors import PUBLIC_STATUS
from onecounter.slips import issue as slips
from onecounter.transitions import ACTIONS, OPEN_BEFORE_DECISION
from onecounter.wallet import documents as my_documents
from onecounter.wallet import services as wallet
from onecounter.wallet.forms import (
    KeepDocumentForm,
    RatingForm,
    SupplementAnswerForm,
    WithdrawForm,
)

PAGE_SIZE = 20
WALLET_PAGE_SIZE = 20
# The online filing flow resumes a draft here (namespace ``filing``).
RESUME_PATH = "/file/{pk}/"
# The payments flow's start page for a dossier, when it is installed.
PAY_URL_NAME = "payments:pay"

DRAFT_LABEL = gettext_lazy("draft, not sent yet")
STATUS_TAGS = {
    "draft": "tag--grey",
    "incomplete": "tag--yellow",
    "awaiting_documents": "tag--yellow",
    "refused": "tag--red",
    "rejected": "tag--red",
    "approved": "tag--green",
    "result_ready": "tag--green",
    "returned": "tag--grey",
    "withdrawn": "tag--grey",
}

# The steps the citizen's timeline shows, in their words. Internal review
# (a proposal, a head sending it back) is not shown; the first assignment is
# "being processed".
STEP_LABELS: dict[str, Any] = {
    "submit": gettext_lazy("Dossier sent"),
    "receive": gettext_lazy("Received: receipt and promised date issued"),
    "request_supplement_before_receipt": gettext_lazy("Missing documents asked for"),
    "resubmit": gettext_lazy("Completed dossier sent again"),
    "refuse": gettext_lazy("Not accepted"),
    "assign": gettext_lazy("Being processed"),
    "request_supplement": gettext_lazy("Missing documents asked for (time limit paused)"),
    "supply": gettext_lazy("Missing documents received (time limit running again)"),
    "approve": gettext_lazy("Approved"),
    "reject": gettext_lazy("Rejected"),
    "mark_result_ready": gettext_lazy("Result ready"),
    "hand_back": gettext_lazy("Result handed over"),
    "withdraw": gettext_lazy("Withdrawn"),
    "apologise": gettext_lazy("Apology: new promised date"),
    "hand_in": gettext_lazy("Handed on from your registered birth: received, promised date set"),
    "need_verification": gettext_lazy("Verification needed: promised date moved later"),
    "record_cash_payment": gettext_lazy("Fee paid in cash at the counter"),
}
# Whose reason the applicant reads on their own dossier.
REASON_SHOWN = {
    "refuse",
    "reject",
    "withdraw",
    "apologise",
    "request_supplement",
    "request_supplement_before_receipt",
}


# --- Presentation helpers ------------------------------------------------------------------


def status_words(dossier: Dossier) -> tuple[str, Any]:
    if dossier.status == S.DRAFT:
        return "draft", DRAFT_LABEL
    return PUBLIC_STATUS.get(dossier.status, ("submitted", PUBLIC_STATUS[S.SUBMITTED][1]))


def resume_url(dossier: Dossier) -> str:
    try:
        return reverse("filing:resume", args=[dossier.pk])
    except NoReverseMatch:
        return RESUME_PATH.format(pk=dossier.pk)


def pay_url(dossier: Dossier) -> str:
    try:
        return reverse(PAY_URL_NAME, args=[dossier.pk])
    except NoReverseMatch:
        return ""


@dataclass
class Row:
    """One dossier as the list and the page show it."""

    dossier: Dossier
    status_key: str
    status_label: Any
    tag: str
    ask: wallet.Ask
    expected_date: dt.date | None
    for_child: bool
    resume_url: str = ""


def _row(dossier: Dossier, expected: dict[Any, dt.date], person_id: Any) -> Row:
    key, label = status_words(dossier)
    subject = dossier.subject_person
    return Row(
        dossier=dossier,
        status_key=key,
        status_label=label,
        tag=STATUS_TAGS.get(key, ""),
        ask=wallet.asked_now(dossier),
        expected_date=expected.get(dossier.pk),
        for_child=subject is not None and subject.pk != person_id,
        resume_url=resume_url(dossier) if dossier.status == S.DRAFT else "",
    )


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    label: Any
    reason: str = ""
    new_due_date: dt.date | None = None
    # Who took the step, as the applicant may read it: "you", "the system", or
    # a staff member's role and agency (never their name or contact details).
    who: str = ""


def _who_labels(dossier: Dossier | None, events: list[DossierEvent], viewer: Any) -> dict:
    """For each event, who took it in the applicant's words (one query for
    the staff roles in the dossier's agency)."""
    if dossier is None:
        return {}
    staff_ids = {
        e.actor_id for e in events if e.actor_id and e.actor_id != getattr(viewer, "pk", None)
    }
    roles: dict[Any, set[str]] = {}
    if staff_ids:
        for user_id, role in StaffMembership.objects.filter(
            user_id__in=staff_ids, agency_id=dossier.agency_id
        ).values_list("user_id", "role"):
            roles.setdefault(user_id, set()).add(role)
    agency = dossier.agency.display_name if dossier.agency_id else ""
    labels = {}
    for event in events:
        if event.actor_id is None:
            labels[event.pk] = _("the system")
        elif event.actor_id == getattr(viewer, "pk", None):
            labels[event.pk] = _("you")
        elif event.actor_id in roles:
            spec = ACTIONS.get(event.action)
            held = roles[event.actor_id]
            # The role the step was taken in (e.g. the head approves).
            role = next((r for r in Role.values if r in held and spec and r in spec.actors), None)
            role = role or next(r for r in Role.values if r in held)
            labels[event.pk] = _("%(role)s — %(agency)s") % {
                "role": Role(role).label,
                "agency": agency,
            }
        elif event.actor_id == dossier.applicant_id:
            labels[event.pk] = _("the applicant")
        elif dossier.subject_person_id:
            # A linked parent acting for their minor child (transitions.APPLICANT).
            labels[event.pk] = _("a parent of the child")
        else:
            labels[event.pk] = _("staff of %(agency)s") % {"agency": agency}
    return labels


def citizen_timeline(
    events: list[DossierEvent], *, dossier: Dossier | None = None, viewer: Any = None
) -> list[Step]:
    """The steps the applicant reads, each with when and who (``dossier`` and
    ``viewer``: the dossier and the account reading it)."""
    who = _who_labels(dossier, events, viewer)
    steps = []
    for event in events:
        if event.action not in STEP_LABELS:
            continue
        if event.action == "assign" and event.from_status == event.to_status:
            continue  # re-assignment: still being processed
        new_date = event.data.get("new_due_date") if event.action == "apologise" else None
        steps.append(
            Step(
                at=event.at,
                label=STEP_LABELS[event.action],
                reason=event.reason if event.action in REASON_SHOWN else "",
                new_due_date=dt.date.fromisoformat(new_date) if new_date else None,
                who=str(who.get(event.pk, "")),
            )
        )
    return steps


def _dossier_or_404(request: HttpRequest, pk: uuid.UUID) -> Dossier:
    dossier = wallet.my_dossier(request.user, pk)
    if dossier is None:
        raise Http404
    return dossier


def _wallet_choices(request: HttpRequest):
    return WalletDocument.objects.filter(owner=request.user).order_by("-created_at")


# --- My dossiers ---------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def dossier_list(request: HttpRequest) -> HttpResponse:
    person = wallet.person_of(request.user)
    dossiers = wallet.my_dossiers(request.user, person=person)
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    expected = wallet.expected_dates(items)
    person_id = person.pk if person else None
    rows = [_row(d, expected, person_id) for d in items]
    return render(
        request,
        "mine/list.html",
        {"page": page, "rows": rows, "groups": _groups(rows)},
    )


def _groups(rows: list[Row]) -> list[tuple[Any, list[Row]]]:
    titles = {
        0: gettext_lazy("Drafts"),
        1: gettext_lazy("In progress"),
        2: gettext_lazy("Finished"),
    }
    groups: dict[int, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.dossier.group, []).append(row)
    return [(titles[key], groups[key]) for key in sorted(groups)]


def _detail_context(
    request: HttpRequest, dossier: Dossier, *, rating_form: RatingForm | None = None
) -> dict[str, Any]:
    person = wallet.person_of(request.user)
    expected = wallet.expected_dates([dossier])
    row = _row(dossier, expected, person.pk if person else None)
    supplements = list(dossier.supplements.all())
    apologies = list(dossier.apologies.all())
    actions = wallet.citizen_actions(dossier, request.user)
    return {
        "row": row,
        "dossier": dossier,
        "ask": row.ask,
        "actions": actions,
        "can_supply": "supply" in actions or "resubmit" in actions,
        "open_supplement": wallet.open_supplement(dossier),
        "supplements": supplements,
        "answered_supplements": [r for r in supplements if r.answered_at],
        "apology": apologies[-1] if apologies else None,
        "timeline": citizen_timeline(
            list(dossier.events.all()), dossier=dossier, viewer=request.user
        ),
        "documents": dossier.ready_documents,
        "attachments": dossier.filed_attachments,
        "results": wallet.dossier_results(dossier, request.user, person=person),
        "online_result": wallet.delivered_online(dossier),
        "can_rate": wallet.can_rate(dossier),
        "rating_form": rating_form or RatingForm(),
        "resume_url": resume_url(dossier),
        "pay_url": pay_url(dossier) if row.ask.code == "pay_fee" else "",
        "is_applicant": dossier.applicant_id == request.user.pk,
        **_handoff_context(dossier),
    }


def _handoff_context(dossier: Dossier) -> dict[str, Any]:
    """What the listeners add to the applicant's page of the dossier (e.g. each
    agency it was handed on to, with its step): ``onecounter.events.DossierShown``."""
    context: dict[str, Any] = {}
    for extra in events.publish(DossierShown(dossier=dossier, audience="applicant")):
        context.update(extra)
    return context


@never_cache
@login_required
@require_GET
def dossier_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    return render(request, "mine/detail.html", _detail_context(request, dossier))


def _back_to(dossier: Dossier) -> HttpResponse:
    return redirect("mine:dossier", pk=dossier.pk)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def supplement(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    open_request = wallet.open_supplement(dossier)
    actions = wallet.citizen_actions(dossier, request.user)
    if open_request is None or not ({"supply", "resubmit"} & set(actions)):
        messages.info(request, _("No documents are asked of you on this dossier now."))
        return _back_to(dossier)
    post = request.method == "POST"
    form = SupplementAnswerForm(
        request.POST if post else None,
        request.FILES if post else None,
        request=open_request,
        wallet=_wallet_choices(request),
    )
    if post:
        if form.is_valid():
            try:
                wallet.supplement_answer(
                    actor=request.user,
                    dossier=dossier,
                    items=form.supplied_items(),
                    note=form.cleaned_data["note"],
                )
            except ValidationFailed as exc:
                index = exc.data.get("item") if isinstance(exc.data, dict) else None
                field = f"file_{index}" if index is not None else None
                form.add_error(field, str(exc.message))
            except DomainError as exc:
                messages.error(request, str(exc.message))
                return _back_to(dossier)
            else:
                messages.success(
                    request,
                    _("Your documents have been sent. The one-stop desk will check them."),
                )
                return _back_to(dossier)
        if request.FILES:
            form.note_files_not_kept()
    return render(
        request,
        "mine/supplement.html",
        {
            "dossier": dossier,
            "request_": open_request,
            "form": form,
            "rows": form.item_rows(),
            "before_receipt": dossier.status == S.SUPPLEMENT_REQUESTED,
        },
        status=400 if post else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    allowed = "withdraw" in wallet.citizen_actions(dossier, request.user)
    # Refused: only the applicant withdraws (403), and only before a decision (409).
    refused = 0 if allowed else 403 if dossier.status in OPEN_BEFORE_DECISION else 409
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    status = refused or 200
    if request.method == "POST" and allowed:
        if form.is_valid():
            try:
                wallet.dossier_withdraw(
                    actor=request.user, dossier=dossier, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error("reason", str(exc.message))
                status = exc.http_status
            else:
                messages.success(request, _("Your dossier has been withdrawn."))
                return _back_to(dossier)
        else:
            status = 400
    return render(
        request,
        "mine/withdraw.html",
        {"dossier": dossier, "form": form, "allowed": allowed, "refused": refused},
        status=status,
    )


@login_required
@require_POST
def receive_result(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    try:
        wallet.result_receive(actor=request.user, dossier=dossier)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back_to(dossier)
    messages.success(
        request, _("Your result is yours: download it below. It is also in My documents.")
    )
    return _back_to(dossier)


@never_cache
@login_required
@require_POST
def rate(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            wallet.rating_create(
                user=request.user,
                dossier=dossier,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return _back_to(dossier)
        messages.success(request, _("Thank you for rating the service."))
        return _back_to(dossier)
    return render(
        request,
        "mine/detail.html",
        _detail_context(request, dossier, rating_form=form),
        status=400,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_draft(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    dossier = _dossier_or_404(request, pk)
    if dossier.status != S.DRAFT or dossier.applicant_id != request.user.pk:
        raise Http404
    if request.method == "POST":
        try:
            drafts.draft_delete(user=request.user, dossier=dossier)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return _back_to(dossier)
        messages.success(request, _("The draft has been deleted."))
        return redirect("mine:dossiers")
    return render(request, "mine/delete_draft.html", {"dossier": dossier})


@login_required
@require_GET
def document(request: HttpRequest, pk: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    doc = wallet.my_document(request.user, pk, document_id)
    try:
        return slips.document_response(doc)
    except FileNotFoundError as exc:
        raise Http404 from exc


@login_required
@require_GET
def attachment(request: HttpRequest, pk: uuid.UUID, attachment_id: uuid.UUID) -> HttpResponse:
    item = wallet.my_attachment(request.user, pk, attachment_id)
    extension = item.file.name.rsplit(".", 1)[-1]
    return my_documents.file_response(item.file, filename=f"{item.pk}.{extension}")


# --- My documents --------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def document_list(request: HttpRequest) -> HttpResponse:
    documents = my_documents.wallet_documents(request.user)
    page = Paginator(documents, WALLET_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    person = wallet.person_of(request.user)
    for item in items:
        item.kind_text = my_documents.kind_label(item.kind)
        item.about_other = item.person_id is not None and (
            person is None or item.person_id != person.pk
        )
    return render(request, "mine/wallet.html", {"page": page, "items": items})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def document_add(request: HttpRequest) -> HttpResponse:
    post = request.method == "POST"
    form = KeepDocumentForm(request.POST if post else None, request.FILES if post else None)
    if post:
        if form.is_valid():
            try:
                my_documents.wallet_keep(
                    owner=request.user,
                    upload=form.cleaned_data["file"],
                    kind=form.cleaned_data["kind"],
                    title=form.title_or_kind(),
                )
            except ValidationFailed as exc:
                form.add_error("file" if exc.code.startswith("file") else None, str(exc.message))
            else:
                messages.success(request, _("The document is in My documents."))
                return redirect("mine:documents")
        if request.FILES:
            form.note_file_not_kept()
    return render(request, "mine/wallet_add.html", {"form": form}, status=400 if post else 200)


@login_required
@require_GET
def wallet_document(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    return my_documents.wallet_response(my_documents.wallet_document_of(request.user, pk))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def document_delete(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    item = my_documents.wallet_document_of(request.user, pk)
    if item.source != WalletDocument.Source.KEPT:
        raise Http404
    if request.method == "POST":
        try:
            my_documents.wallet_remove(owner=request.user, document=item)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The document has been deleted."))
        return redirect("mine:documents")
    return render(request, "mine/wallet_delete.html", {"item": item})


urlpatterns = [
    path("dossiers/", dossier_list, name="dossiers"),
    path("dossiers/<uuid:pk>/", dossier_detail, name="dossier"),
    path("dossiers/<uuid:pk>/supplement/", supplement, name="supplement"),
    path("dossiers/<uuid:pk>/withdraw/", withdraw, name="withdraw"),
    path("dossiers/<uuid:pk>/receive/", receive_result, name="receive-result"),
    path("dossiers/<uuid:pk>/rating/", rate, name="rate"),
    path("dossiers/<uuid:pk>/delete/", delete_draft, name="delete-draft"),
    path(
        "dossiers/<uuid:pk>/documents/<uuid:document_id>/",
        document,
        name="document",
    ),
    path(
        "dossiers/<uuid:pk>/attachments/<uuid:attachment_id>/",
        attachment,
        name="attachment",
    ),
    path("documents/", document_list, name="documents"),
    path("documents/add/", document_add, name="document-add"),
    path("documents/<uuid:pk>/", wallet_document, name="wallet-document"),
    path("documents/<uuid:pk>/delete/", document_delete, name="document-delete"),
]

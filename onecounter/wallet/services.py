"""The citizen's own side of the one-stop intake: their dossiers ("My
dossiers"); their document wallet is ``onecounter.wallet.documents``.

Who sees what
    A signed-in citizen sees the dossiers they applied for (``applicant``),
    drafts included, and the dossiers about their minor children (the child is
    the dossier's subject, or its applicant): a parent acts for a minor child
    (``citizens.selectors.minor_children_of``). A draft stays its applicant's
    own. Anything else, by id, code or URL, is "not found": the answer for a
    dossier that does not exist.

    Whether a step is open to the viewer is decided by ``transitions`` (the
    applicant's steps: withdraw, supply, resubmit, hand_back); these functions
    never bypass it.

Reads (fixed number of queries whatever the number of rows)
    ``my_dossiers(user)``            the list, drafts first, then open, then finished
    ``my_dossier(user, pk)``         one dossier with what its page shows, or None
    ``my_document(user, ...)``       one rendered slip or result of such a dossier
    ``my_attachment(user, ...)``     one uploaded file of such a dossier
    ``dossier_results(dossier, user)``  its results and those of the dossiers handed on from it
    ``asked_now(dossier)``           what is asked of the citizen now, in plain words

Writes (keyword-only, atomic)
    ``supplement_answer``            answer a request for missing documents (supply / resubmit)
    ``dossier_withdraw``             withdraw with a reason, before a decision
    ``result_receive``               take a full-online result (hand_back by the applicant)
    ``rating_create``                rate a returned dossier, once

They live together here because they are the citizen's side of the intake;
``onecounter.services`` and ``selectors`` hold the staff side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from citizens.models import IdentityLink, Person, User
from citizens.selectors import minor_children_of
from egov.codes import ErrorCode
from egov.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationFailed
from egov.text import money
from egov.uploads import clean_document
from onecounter import transitions
from onecounter.models import (
    ApologySlip,
    Attachment,
    Dossier,
    DossierDocument,
    DossierEvent,
    Rating,
    SupplementRequest,
    WalletDocument,
)
from onecounter.models import DossierStatus as S
from onecounter.selectors import late_q
from workdays.calendar import WorkCalendar

logger = logging.getLogger(__name__)

FINISHED = (S.REFUSED, S.RETURNED, S.WITHDRAWN)
AWAITING_DOCUMENTS = (S.SUPPLEMENT_REQUESTED, S.AWAITING_SUPPLEMENT)
BEFORE_RECEIPT = (S.SUBMITTED, S.SUPPLEMENT_REQUESTED)
# The applicant's steps offered on the citizen's pages ("submit" belongs to the filing flow).
CITIZEN_ACTIONS = ("withdraw", "supply", "resubmit", "hand_back")
# While the fee of a full-online dossier can still be paid online.
FEE_PAYABLE = (
    S.SUBMITTED,
    S.SUPPLEMENT_REQUESTED,
    S.RECEIVED,
    S.IN_PROCESSING,
    S.AWAITING_SUPPLEMENT,
    S.PROPOSED,
    S.APPROVED,
    S.RESULT_READY,
)
# Events that put results in the applicant's wallet.
DELIVERY_ACTIONS = ("mark_result_ready", "hand_back")


# --- Who may see which dossier ----------------------------------------------------------


def person_of(user: User) -> Person | None:
    """The population record the account is linked to (one query), or None."""
    link = IdentityLink.objects.filter(user=user).select_related("person").first()
    return link.person if link else None


def _visible_q(user: User, person: Person | None) -> Q:
    own = Q(applicant=user)
    if person is None:
        return own
    minors = minor_children_of(person).values("pk")
    as_parent = ~Q(status=S.DRAFT) & (Q(subject_person__in=minors) | Q(applicant_person__in=minors))
    return own | as_parent


def visible_dossiers(user: User, *, person: Person | None = None) -> QuerySet[Dossier]:
    """Every dossier the citizen may see: their own, and their minor children's."""
    if not user.is_authenticated:
        return Dossier.objects.none()
    if person is None:
        person = person_of(user)
    return Dossier.objects.filter(_visible_q(user, person))


# --- What is asked of the citizen now ---------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """What the citizen should do next. ``code`` is one of: finish_draft,
    send_documents, pay_fee, download_result, collect_result, rate, none."""

    code: str
    message: str
    deadline: dt.date | None = None


def open_supplement(dossier: Dossier) -> SupplementRequest | None:
    """The request for missing documents still awaiting an answer (from the
    ``open_supplements`` prefetch when there is one)."""
    if dossier.status not in AWAITING_DOCUMENTS:
        return None
    requests = getattr(dossier, "open_supplements", None)
    if requests is None:
        requests = list(
            dossier.supplements.filter(answered_at__isnull=True).order_by("-requested_at")
        )
    return requests[0] if requests else None


def require_open_supplement(dossier: Dossier) -> SupplementRequest:
    """The open request for missing documents, or 409 ``no_supplement_requested``."""
    request = open_supplement(dossier)
    if request is None:
        raise ConflictError(
            _("No documents are asked for on this dossier now."),
            code=ErrorCode.NO_SUPPLEMENT_REQUESTED,
            data={"status": dossier.status},
        )
    return request


def result_documents(dossier: Dossier) -> list[DossierDocument]:
    """The rendered results of the dossier (from the ``results`` prefetch when there is one)."""
    documents = getattr(dossier, "results", None)
    if documents is None:
        documents = list(
            dossier.documents.filter(kind=DossierDocument.Kind.RESULT)
            .exclude(file="")
            .order_by("created_at")
        )
    return documents


def handed_on_results(
    dossier: Dossier, user: User, *, person: Person | None = None
) -> list[DossierDocument]:
    """The results of the dossiers handed on from this one (a birth's residence
    confirmation and health-insurance card) that ``user`` may download, each
    from its own dossier (the same applicant), in the order they were handed
    on; once their dossier's result is ready, and not a copy since replaced
    (one query)."""
    return list(
        DossierDocument.objects.filter(
            kind=DossierDocument.Kind.RESULT,
            replaced_by__isnull=True,
            dossier__handoff_in__dossier=dossier,
            dossier__status__in=(S.RESULT_READY, S.RETURNED),
            dossier__in=visible_dossiers(user, person=person),
        )
        .exclude(file="")
        .select_related("dossier__agency")
        .order_by("dossier__handoff_in__created_at", "dossier__code", "created_at", "pk")
    )


def dossier_results(
    dossier: Dossier, user: User, *, person: Person | None = None
) -> list[DossierDocument]:
    """ "Your results" of a dossier: its own, then those of the dossiers handed on from it."""
    return [*result_documents(dossier), *handed_on_results(dossier, user, person=person)]


def delivered_online(dossier: Dossier) -> bool:
    """Whether the result is handed over online (a full-online procedure)."""
    return dossier.procedure.online_level == "full"


def fee_due(dossier: Dossier) -> bool:
    return (
        dossier.fee > 0
        and dossier.paid_at is None
        and dossier.channel == Dossier.Channel.ONLINE
        and delivered_online(dossier)
        and dossier.status in FEE_PAYABLE
    )


def has_rating(dossier: Dossier) -> bool:
    try:
        return dossier.rating is not None
    except Rating.DoesNotExist:
        return False


def asked_now(dossier: Dossier) -> Ask:
    """What is asked of the citizen now, for the list and the dossier page."""
    status = dossier.status
    if status == S.DRAFT:
        return Ask("finish_draft", gettext("Finish your dossier and send it."))
    if status in AWAITING_DOCUMENTS:
        request = open_supplement(dossier)
        deadline = request.deadline if request else None
        if deadline:
            message = gettext("Send the missing documents by %(date)s.") % {
                "date": deadline.strftime("%d/%m/%Y")
            }
        else:
            message = gettext("Send the missing documents.")
        return Ask("send_documents", message, deadline)
    if fee_due(dossier):
        return Ask(
            "pay_fee",
            gettext("Pay the fee of %(amount)s.")
            % {"amount": money(dossier.fee, unit="₫", language="vi")},
        )
    if status == S.RESULT_READY:
        if delivered_online(dossier) and result_documents(dossier):
            return Ask("download_result", gettext("Download your result."))
        return Ask(
            "collect_result",
            gettext("Collect your result at the one-stop desk of %(agency)s.")
            % {"agency": dossier.agency.display_name},
        )
    if status == S.RETURNED and not has_rating(dossier):
        return Ask("rate", gettext("Tell us how it went: rate the service."))
    if status in FINISHED:
        return Ask("none", gettext("Nothing more to do."))
    return Ask("none", gettext("Nothing to do for now."))


def citizen_actions(dossier: Dossier, user: User) -> list[str]:
    """The applicant's steps ``transitions`` lets this viewer take now."""
    if dossier.status == S.DRAFT:
        return []
    allowed = {a.name for a in transitions.allowed_actions(dossier, user)}
    names = [name for name in CITIZEN_ACTIONS if name in allowed]
    if "hand_back" in names and not (delivered_online(dossier) and result_documents(dossier)):
        names.remove("hand_back")  # a paper result is handed back at the counter
    return names


def can_rate(dossier: Dossier) -> bool:
    return dossier.status == S.RETURNED and not has_rating(dossier)


# --- Reads ---------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def with_citizen_flags(dossiers: QuerySet[Dossier], today: dt.date) -> QuerySet[Dossier]:
    return dossiers.annotate(
        is_late=ExpressionWrapper(
            late_q(today) & ~Q(status__in=FINISHED), output_field=BooleanField()
        ),
        group=Case(
            When(status=S.DRAFT, then=Value(0)),
            When(status__in=FINISHED, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    )


def _open_supplements() -> Prefetch:
    return Prefetch(
        "supplements",
        queryset=SupplementRequest.objects.filter(answered_at__isnull=True).order_by(
            "-requested_at"
        ),
        to_attr="open_supplements",
    )


def _results() -> Prefetch:
    return Prefetch(
        "documents",
        queryset=DossierDocument.objects.filter(kind=DossierDocument.Kind.RESULT)
        .exclude(file="")
        .order_by("created_at"),
        to_attr="results",
    )


def my_dossiers(user: User, *, person: Person | None = None) -> QuerySet[Dossier]:
    """The citizen's dossiers and their minor children's: drafts (latest first),
    then open ones (latest activity first), then finished ones; each with
    ``is_late`` and what the list needs (3 queries a page with the count)."""
    return (
        with_citizen_flags(visible_dossiers(user, person=person), _today())
        .select_related("procedure", "agency", "subject_person", "rating")
        .prefetch_related(_open_supplements(), _results())
        .order_by("group", "-updated_at", "-created_at", "pk")
    )


def my_dossier(user: User, pk: Any) -> Dossier | None:
    """One dossier the citizen may see, with everything its page shows, or None."""
    return (
        with_citizen_flags(visible_dossiers(user).filter(pk=pk), _today())
        .select_related("procedure", "agency", "subject_person", "applicant_person", "rating")
        .prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.order_by("seq")),
            Prefetch(
                "supplements",
                queryset=SupplementRequest.objects.order_by("-requested_at").prefetch_related(
                    Prefetch(
                        "attachments",
                        queryset=Attachment.objects.select_related("wallet_document").order_by(
                            "uploaded_at"
                        ),
                    )
                ),
            ),
            _open_supplements(),
            _results(),
            Prefetch("apologies", queryset=ApologySlip.objects.order_by("issued_at")),
            Prefetch(
                "documents",
                queryset=DossierDocument.objects.exclude(file="").order_by("created_at"),
                to_attr="ready_documents",
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.filter(supplement__isnull=True)
                .select_related("wallet_document")
                .order_by("uploaded_at"),
                to_attr="filed_attachments",
            ),
        )
        .first()
    )


def expected_dates(dossiers: Iterable[Dossier]) -> dict[Any, dt.date]:
    """For dossiers sent but not yet received: the date the result is expected
    if they are received as sent (one query for the calendar, only when needed)."""
    waiting = [
        d
        for d in dossiers
        if d.status in BEFORE_RECEIPT and d.due_date is None and d.submitted_at is not None
    ]
    if not waiting:
        return {}
    start = min(timezone.localdate(d.submitted_at) for d in waiting) - dt.timedelta(days=1)
    calendar = WorkCalendar.load(start=start)
    expected = {}
    for dossier in waiting:
        days = (
            dossier.procedure.days_online
            if dossier.channel == Dossier.Channel.ONLINE
            else dossier.procedure.days_counter
        )
        expected[dossier.pk] = calendar.due_date(dossier.submitted_at, days)
    return expected


def my_document(user: User, dossier_pk: Any, document_pk: Any) -> DossierDocument:
    """A rendered slip or result of a dossier the citizen may see; else ``Http404``."""
    document = (
        DossierDocument.objects.filter(
            pk=document_pk, dossier__in=visible_dossiers(user).filter(pk=dossier_pk)
        )
        .exclude(file="")
        .select_related("dossier")
        .first()
    )
    if document is None:
        raise Http404
    return document


def my_attachment(user: User, dossier_pk: Any, attachment_pk: Any) -> Attachment:
    """An uploaded file of a dossier the citizen may see; else ``Http404``."""
    attachment = (
        Attachment.objects.filter(
            pk=attachment_pk, dossier__in=visible_dossiers(user).filter(pk=dossier_pk)
        )
        .exclude(file="")
        .first()
    )
    if attachment is None:
        raise Http404
    return attachment


# --- Writes: the citizen's dossiers ---------------------------------------------------------


@dataclass(frozen=True)
class SuppliedItem:
    """One missing item answered: an upload, or a document from the wallet."""

    label: str
    upload: UploadedFile | None = None
    wallet_document: WalletDocument | None = None


def _lock(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure", "agency")
        .get(pk=dossier.pk)
    )


def _attachment_from_upload(
    *, dossier: Dossier, supplement: SupplementRequest, item: SuppliedItem, actor: User, index: int
) -> Attachment:
    try:
        cleaned = clean_document(item.upload)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, code=exc.code, data={"item": index}) from exc
    content = cleaned.read()
    cleaned.seek(0)
    attachment = Attachment(
        dossier=dossier,
        supplement=supplement,
        label=item.label[:200],
        content_type=cleaned.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(cleaned.name, cleaned, save=False)
    attachment.save()
    return attachment


def supplement_answer(
    *, actor: User, dossier: Dossier, items: list[SuppliedItem], note: str = ""
) -> Dossier:
    """Answer the open request for missing documents: each item is an upload
    (checked by ``clean_document``) or a document from the actor's wallet, kept
    as an ``Attachment`` of the request; then the step ``resubmit`` (a request
    before receipt) or ``supply`` (the clock restarts and the promised date
    moves later by the working days it was paused)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = _lock(dossier)
            if locked.status not in AWAITING_DOCUMENTS:
                raise ConflictError(
                    _("No documents are asked for on this dossier now."),
                    code=ErrorCode.NO_SUPPLEMENT_REQUESTED,
                    data={"status": locked.status},
                )
            action = "resubmit" if locked.status == S.SUPPLEMENT_REQUESTED else "supply"
            if action not in {a.name for a in transitions.allowed_actions(locked, actor)}:
                raise PermissionDeniedError()
            request = (
                SupplementRequest.objects.filter(dossier=locked, answered_at__isnull=True)
                .order_by("-requested_at")
                .first()
            )
            if request is None:
                raise ConflictError(
                    _("No documents are asked for on this dossier now."),
                    code=ErrorCode.NO_SUPPLEMENT_REQUESTED,
                )
            note = note.strip()
            if not items and not note:
                raise ValidationFailed(
                    _("Send the missing documents."), code=ErrorCode.NOTHING_SUPPLIED
                )
            attachments = []
            for index, item in enumerate(items):
                if item.wallet_document is not None:
                    if item.wallet_document.owner_id != actor.pk:
                        raise NotFoundError()
                    attachment = Attachment.objects.create(
                        dossier=locked,
                        supplement=request,
                        wallet_document=item.wallet_document,
                        label=item.label[:200],
                        uploaded_by=actor,
                    )
                elif item.upload is not None:
                    attachment = _attachment_from_upload(
                        dossier=locked, supplement=request, item=item, actor=actor, index=index
                    )
                    stored.append(attachment.file.name)
                else:
                    raise ValidationFailed(
                        _("Choose a file or a document from your wallet."),
                        code=ErrorCode.ITEM_MISSING,
                        data={"item": index},
                    )
                attachments.append(attachment)
            answer = {
                "note": note,
                "items": [
                    {
                        "label": a.label,
                        "attachment": str(a.pk),
                        "wallet_document": str(a.wallet_document_id or ""),
                    }
                    for a in attachments
                ],
            }
            return transitions.perform(locked, action, actor=actor, answer=answer)
    except Exception:
        _delete_files(stored)
        raise


def dossier_withdraw(*, actor: User, dossier: Dossier, reason: str) -> Dossier:
    """Withdraw the dossier before a decision (409 ``invalid_transition`` after)."""
    return transitions.perform(dossier, "withdraw", actor=actor, reason=reason)


def result_receive(*, actor: User, dossier: Dossier) -> Dossier:
    """The applicant takes a full-online result: the step ``hand_back``."""
    if not (delivered_online(dossier) and result_documents(dossier)):
        raise ConflictError(
            _("This result is handed over at the one-stop desk."), code=ErrorCode.RESULT_NOT_ONLINE
        )
    return transitions.perform(dossier, "hand_back", actor=actor)


RATING_COMMENT_MAX = 2000


@transaction.atomic
def rating_create(*, user: User, dossier: Dossier, score: int | None, comment: str = "") -> Rating:
    """The citizen's satisfaction with a returned dossier (1 to 5 and a comment),
    once: 409 ``not_returned`` before the result is handed over, 409
    ``already_rated`` the second time, 400 ``invalid`` for a bad score; 404 for
    a dossier the user may not see."""
    if not visible_dossiers(user).filter(pk=dossier.pk).exists():
        raise NotFoundError()
    locked = _lock(dossier)
    if locked.status != S.RETURNED:
        raise ConflictError(
            _("You can rate the service once the result has been handed to you."),
            code=ErrorCode.NOT_RETURNED,
            data={"status": locked.status},
        )
    if Rating.objects.filter(dossier=locked).exists():
        raise ConflictError(_("You have already rated this dossier."), code=ErrorCode.ALREADY_RATED)
    if score is None or not 1 <= score <= 5:
        message = _("Choose a score from 1 to 5.")
        raise ValidationFailed(
            message, data={"score": [{"message": str(message), "code": "bad_score"}]}
        )
    comment = comment.strip()
    if len(comment) > RATING_COMMENT_MAX:
        message = _("Keep the comment under %(max)d characters.") % {"max": RATING_COMMENT_MAX}
        raise ValidationFailed(
            message, data={"comment": [{"message": str(message), "code": "too_long"}]}
        )
    try:
        with transaction.atomic():
            return Rating.objects.create(dossier=locked, user=user, score=score, comment=comment)
    except IntegrityError as exc:
        raise ConflictError(
            _("You have already rated this dossier."), code=ErrorCode.ALREADY_RATED
        ) from exc


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete a stored file")

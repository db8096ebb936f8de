"""Reading the questions: the public ones (searchable without diacritics), a
procedure's FAQ, an agency's queue, a person's own."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from citizens.models import Agency, User
from egov.text import fold
from engagement.models import Feedback, Question
from procedures.selectors import published_procedures

PUBLIC_FIELDS = (
    "id",
    "code",
    "procedure",
    "agency",
    "public_question",
    "public_answer",
    "moderated_at",
    "is_faq",
    "faq_order",
    "status",
    "search_text",
)


def published(*, query: str = "", procedure_code: str = "") -> QuerySet[Question]:
    """Published pairs of the procedures the public sees today, newest first;
    ``query`` matches every word, marks and case aside ("dang ky khai sinh"
    finds "Đăng ký khai sinh")."""
    questions = Question.objects.filter(
        status=Question.Status.PUBLISHED,
        procedure__in=published_procedures().values("pk"),
    )
    if procedure_code:
        questions = questions.filter(procedure__code=procedure_code)
    for word in fold(query).split()[:8]:
        questions = questions.filter(search_text__contains=word)
    return (
        questions.select_related("procedure", "agency")
        .only(
            *PUBLIC_FIELDS,
            "procedure__code",
            "procedure__name",
            "procedure__name_en",
            "agency__code",
            "agency__name",
            "agency__name_en",
        )
        .order_by("-moderated_at", "code")
    )


def faq(procedure_id) -> list[Question]:
    """A procedure's pinned frequent questions, in their order."""
    return list(
        Question.objects.filter(
            procedure_id=procedure_id, status=Question.Status.PUBLISHED, is_faq=True
        )
        .only("id", "code", "public_question", "public_answer", "faq_order")
        .order_by("faq_order", "moderated_at")
    )


def _scope(agencies: list[Agency], every_answered: bool) -> Q:
    """The questions of ``agencies``; with ``every_answered`` (a catalog
    administrator, who moderates for the whole city) also every agency's
    answered ones, published, private or still to be moderated."""
    scope = Q(agency__in=agencies)
    if every_answered:
        scope |= ~Q(status=Question.Status.ASKED)
    return scope


def queue(
    agencies: list[Agency],
    *,
    status: str = "",
    late: bool = False,
    today: dt.date | None = None,
    every_answered: bool = False,
) -> QuerySet[Question]:
    """The questions of ``agencies`` (see ``_scope`` for ``every_answered``):
    those waiting first, the most overdue first, then the rest newest first."""
    today = today or timezone.localdate()
    questions = Question.objects.filter(_scope(agencies, every_answered))
    if status:
        questions = questions.filter(status=status)
    if late:
        questions = questions.filter(status=Question.Status.ASKED, due_on__lt=today)
    waiting = Case(
        When(status=Question.Status.ASKED, then=Value(0)),
        When(status=Question.Status.ANSWERED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return questions.select_related("procedure", "agency", "asker").order_by(
        waiting, "due_on", "-asked_at"
    )


def counts(
    agencies: list[Agency], *, today: dt.date | None = None, every_answered: bool = False
) -> dict[str, int]:
    """Waiting, late (waiting past the due day) and to be moderated, in one query."""
    today = today or timezone.localdate()
    return Question.objects.filter(_scope(agencies, every_answered)).aggregate(
        waiting=Count("pk", filter=Q(status=Question.Status.ASKED)),
        late=Count("pk", filter=Q(status=Question.Status.ASKED, due_on__lt=today)),
        to_moderate=Count("pk", filter=Q(status=Question.Status.ANSWERED)),
    )


def of_asker(user: User) -> QuerySet[Question]:
    return Question.objects.filter(asker=user).select_related("procedure", "agency")


def for_staff(
    agencies: list[Agency], code: str, *, every_answered: bool = False
) -> Question | None:
    """One question of ``agencies`` by its code (None for another agency's)."""
    return queue(agencies, every_answered=every_answered).filter(code=code).first()


# --- Feedback ----------------------------------------------------------------------------


def feedback_published(*, query: str = "") -> QuerySet[Feedback]:
    """Published answers (with the sender's consent), newest first; ``query``
    matches every word of the published texts, marks and case aside."""
    items = Feedback.objects.filter(step=Feedback.Step.PUBLISHED)
    for word in fold(query).split()[:8]:
        items = items.filter(search_text__contains=word)
    return (
        items.select_related("category", "agency")
        .only(
            "id",
            "code",
            "kind",
            "public_summary",
            "public_answer",
            "published_at",
            "rating",
            "category__code",
            "category__name",
            "category__name_en",
            "agency__code",
            "agency__name",
            "agency__name_en",
        )
        .order_by("-published_at", "code")
    )


def feedback_queue(
    agencies: list[Agency], *, step: str = "", late: bool = False, today: dt.date | None = None
) -> QuerySet[Feedback]:
    """The feedback of ``agencies`` (never the unverified): open ones first,
    the most overdue first."""
    today = today or timezone.localdate()
    items = Feedback.objects.filter(agency__in=agencies).exclude(step=Feedback.Step.UNVERIFIED)
    if step:
        items = items.filter(step=step)
    if late:
        items = items.filter(step__in=Feedback.OPEN_STEPS, step_due_on__lt=today)
    open_first = Case(
        When(step__in=Feedback.OPEN_STEPS, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return items.select_related("category", "agency", "assigned_to").order_by(
        open_first, "step_due_on", "-created_at"
    )


def feedback_counts(agencies: list[Agency], *, today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    return Feedback.objects.filter(agency__in=agencies).aggregate(
        open=Count("pk", filter=Q(step__in=Feedback.OPEN_STEPS)),
        late=Count("pk", filter=Q(step__in=Feedback.OPEN_STEPS, step_due_on__lt=today)),
        to_publish=Count("pk", filter=Q(step=Feedback.Step.ANSWERED, consent_publish=True)),
    )


def feedback_for_staff(agencies: list[Agency], code: str) -> Feedback | None:
    """One feedback of ``agencies`` with its history and attachments (None
    for another agency's, or one not confirmed by its sender yet)."""
    return (
        feedback_queue(agencies)
        .select_related("sender", "dossier")
        .prefetch_related("events__actor", "attachments")
        .filter(code=code)
        .first()
    )


def feedback_of_sender(user: User) -> QuerySet[Feedback]:
    return Feedback.objects.filter(sender=user).select_related("category", "agency")


def feedback_tracked(code: str, contact: str) -> Feedback | None:
    """A feedback by its code and the phone number or e-mail address it was
    sent with (as typed: spaces, case and a leading +84 aside)."""
    item = (
        Feedback.objects.select_related("category", "agency")
        .prefetch_related("events")
        .filter(code=(code or "").strip().upper())
        .first()
    )
    if item is None:
        return None
    typed = "".join((contact or "").split()).lower()
    if typed.startswith("+84"):
        typed = "0" + typed[3:]
    phone = item.sender_phone[3:] if item.sender_phone.startswith("+84") else item.sender_phone
    phone = "0" + phone if item.sender_phone.startswith("+84") else phone
    if typed and (typed == phone or typed == item.sender_email.lower()):
        return item
    return None

"""Every write of the questions and answers: ask, answer, moderate, pin.

Each function checks who may do it (``permissions``-style: the role in the
question's agency), cleans the text (plain text only: markup is removed,
length limited) and raises a ``DomainError`` with a machine-readable code
and a message for the user; nothing is written when it raises.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import partial

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citizens.models import Agency, Role, User
from citizens.permissions import has_role
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from egov.text import fold
from engagement import limits
from engagement.models import ANSWER_MAX, QUESTION_MAX, Question
from onecounter.models import Notification
from onecounter.notifications.services import deliver
from procedures.models import Procedure
from workdays.calendar import WorkCalendar

# Who answers a question of their agency; who moderates (publishes) it.
ANSWERING_ROLES = (Role.OFFICER, Role.HEAD)
MODERATING_ROLES = (Role.HEAD, Role.CATALOG_ADMIN)
# Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MIN_QUESTION = 10


def clean_text(value: str, *, field: str, max_length: int, min_length: int = 1) -> str:
    """Plain text: markup removed, line breaks kept, spaces trimmed. Raises
    ``ValidationFailed`` (code ``invalid``, ``data`` naming ``field``)."""
    text = strip_tags(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    if len(text) < min_length:
        if not text:
            message = _("Write the text: it is empty.")
        else:
            message = _("Write at least %(count)d characters.") % {"count": min_length}
        raise ValidationFailed(message, data={field: [message]})
    if len(text) > max_length:
        message = _("Write at most %(max)d characters (you wrote %(count)d).") % {
            "max": max_length,
            "count": len(text),
        }
        raise ValidationFailed(message, data={field: [message]})
    return text


def new_code(prefix: str, model: type[models.Model]) -> str:
    """A tracking code: ``prefix``, the year and month, six letters or digits
    that cannot be misread (``HD2612K7Q4M2``), not yet taken in ``model``."""
    month = timezone.localdate().strftime("%y%m")
    while True:
        code = prefix + month + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not model._default_manager.filter(code=code).exists():
            return code


def may_answer(user: User, agency: Agency) -> bool:
    return bool(user.is_authenticated and has_role(user, agency, ANSWERING_ROLES))


def may_pin(user: User) -> bool:
    """Catalog administrators (of any agency: the catalog is the city's) and
    superusers: they choose a procedure's FAQ and the feedback categories."""
    return bool(
        user.is_authenticated
        and (
            user.is_superuser or any(m.role == Role.CATALOG_ADMIN for m in user.active_memberships)
        )
    )


def may_moderate(user: User, agency: Agency) -> bool:
    """What the public reads of an agency (its questions, its answers to
    feedback) is published by its head or a catalog administrator."""
    return bool(user.is_authenticated and (has_role(user, agency, (Role.HEAD,)) or may_pin(user)))


@transaction.atomic
def question_ask(*, user: User, procedure: Procedure, agency: Agency, text: str) -> Question:
    """A signed-in person's question on ``procedure``, to ``agency`` (one of
    those offering it), due in the catalog's working days for questions. At
    most ``EGOV_QUESTIONS_MAX_PER_HOUR`` per account (``TooMany``, 429)."""
    if not user.is_authenticated:
        raise PermissionDeniedError(_("Sign in to ask a question."))
    keys = limits.keys_for("questions", user=user)
    limits.check(keys, settings.EGOV_QUESTIONS_MAX_PER_HOUR)
    text = clean_text(text, field="text", max_length=QUESTION_MAX, min_length=MIN_QUESTION)
    if not procedure.offered_by.filter(pk=agency.pk, is_active=True).exists():
        message = _("Choose one of the agencies that offer this procedure.")
        raise ValidationFailed(message, data={"agency": [message]})
    now = timezone.now()
    calendar = WorkCalendar.load(start=timezone.localdate(now) - dt.timedelta(days=1))
    limits.count(keys)
    return Question.objects.create(
        code=new_code("HD", Question),
        procedure=procedure,
        agency=agency,
        asker=user,
        text=text,
        asked_at=now,
        due_on=calendar.due_date(now, procedure.question_days),
    )


def _lock(question: Question) -> Question:
    return (
        Question.objects.select_for_update(of=("self",))  # not the procedure and agency rows
        .select_related("procedure", "agency")
        .get(pk=question.pk)
    )


@transaction.atomic
def question_answer(*, user: User, question: Question, answer: str) -> Question:
    """An officer (or the head) of the question's agency answers; the asker is
    told by a notice (listed in their space, e-mailed, and sent by SMS when
    their account has a phone number) after commit. An answer may be
    corrected until it is moderated."""
    question = _lock(question)
    if not may_answer(user, question.agency):
        raise PermissionDeniedError()
    if question.status not in (Question.Status.ASKED, Question.Status.ANSWERED):
        raise ConflictError(_("This question was moderated already: its answer cannot change."))
    first = question.status == Question.Status.ASKED
    question.answer = clean_text(answer, field="answer", max_length=ANSWER_MAX)
    question.answered_by = user
    question.answered_at = timezone.now()
    question.status = Question.Status.ANSWERED
    question.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    if first:
        _notify_answered(question)
    return question


def _notify_answered(question: Question) -> Notification:
    asker = question.asker
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your question %(code)s has an answer") % {"code": question.code}
        body = _(
            "%(agency)s answered your question %(code)s about “%(procedure)s”. "
            "Read the answer in your account, under My questions."
        ) % {
            "agency": question.agency.name,
            "code": question.code,
            "procedure": question.procedure.name,
        }
    notification = Notification.objects.create(
        user=asker, email=asker.email, phone=asker.phone, subject=subject[:200], body=body
    )
    transaction.on_commit(partial(deliver, notification.pk))
    return notification


@transaction.atomic
def question_moderate(
    *,
    user: User,
    question: Question,
    publish: bool,
    public_question: str = "",
    public_answer: str = "",
) -> Question:
    """Publish the answered question, as edited by the moderator (to take out
    anything personal), or keep it private. Either can be changed later: a
    published pair can be withdrawn (kept private) or edited again."""
    question = _lock(question)
    if not may_moderate(user, question.agency):
        raise PermissionDeniedError()
    if question.status == Question.Status.ASKED:
        raise ConflictError(_("Answer the question before moderating it."))
    if publish:
        question.public_question = clean_text(
            public_question, field="public_question", max_length=QUESTION_MAX
        )
        question.public_answer = clean_text(
            public_answer, field="public_answer", max_length=ANSWER_MAX
        )
        question.status = Question.Status.PUBLISHED
        question.search_text = fold(f"{question.public_question} {question.public_answer}")
    else:
        question.status = Question.Status.PRIVATE
        question.is_faq = False
        question.search_text = ""
    question.moderated_by = user
    question.moderated_at = timezone.now()
    question.save(
        update_fields=[
            "public_question",
            "public_answer",
            "status",
            "search_text",
            "is_faq",
            "moderated_by",
            "moderated_at",
        ]
    )
    return question


@transaction.atomic
def question_pin(*, user: User, question: Question, pinned: bool, order: int = 0) -> Question:
    """Pin a published question as one of its procedure's frequent questions
    (shown first, in ``order``), or unpin it."""
    question = _lock(question)
    if not may_pin(user):
        raise PermissionDeniedError()
    if pinned and question.status != Question.Status.PUBLISHED:
        raise ConflictError(_("Only a published question can be pinned."))
    question.is_faq = pinned
    question.faq_order = max(0, min(order, 999)) if pinned else 0
    question.save(update_fields=["is_faq", "faq_order"])
    return question


STATUS_HELP = {
    Question.Status.ASKED: gettext_lazy("The agency has not answered yet."),
    Question.Status.ANSWERED: gettext_lazy(
        "Answered. The answer may also be published, without your name."
    ),
    Question.Status.PUBLISHED: gettext_lazy("Answered and published, without your name."),
    Question.Status.PRIVATE: gettext_lazy("Answered. Only you can read it."),
}

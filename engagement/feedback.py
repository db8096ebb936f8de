"""Every write of a feedback or recommendation (phản ánh, kiến nghị), step by
step, with the deadlines of its category.

Steps (``Feedback.Step``) and who takes them:

    send       anyone: signed in → received; otherwise a name and a phone
               number or e-mail address → unverified until the code sent
               there is entered (``feedback_verify``) → received
    accept     a clerk or the head of the agency → accepted
    refuse     a clerk or the head, with a reason → refused (final)
    assign     the head, to an officer of the agency → assigned
    answer     the officer it is assigned to, or the head → answered
    publish    the head or a catalog administrator, when the sender agreed,
               edited so that nothing personal is left → published
    rate       the sender, once answered: 1-5

Each step writes a ``FeedbackEvent`` and sets ``step_due_on``: the working
days of the category for the next step, counted by the portal's calendar
from the day the step was taken (the 15:00 cut-off as for dossiers). A step
taken after its due day is recorded as late; ``escalate_late`` (a periodic
job) sends each late feedback up to its agency's heads once.

Text is kept as plain text (markup removed); attachments go through the
dossier upload checks and stay private. A sender is limited to
``EGOV_FEEDBACK_MAX_PER_HOUR`` per account, phone number, e-mail address and
client address.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citizens.models import Agency, Role, User
from citizens.permissions import has_role
from egov import events
from egov.codes import ErrorCode
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from egov.text import fold
from egov.uploads import clean_document
from engagement import limits
from engagement.events import FeedbackChanged
from engagement.models import (
    FEEDBACK_BODY_MAX,
    FEEDBACK_SUBJECT_MAX,
    REASON_MAX,
    ContactCode,
    Feedback,
    FeedbackAttachment,
    FeedbackCategory,
    FeedbackEvent,
)
from engagement.services import clean_text, may_moderate, may_pin, new_code
from onecounter.models import Dossier, Notification
from onecounter.notifications.services import deliver, mask_phone, sms_provider
from workdays.calendar import WorkCalendar

logger = logging.getLogger(__name__)

RECEIVING_ROLES = (Role.CLERK, Role.HEAD)
VIEWING_ROLES = (Role.CLERK, Role.OFFICER, Role.HEAD)
MAX_ATTACHMENTS = 5
CODE_DIGITS = 6
CODE_MINUTES = 15
CODE_ATTEMPTS = 5


# --- Deadlines -------------------------------------------------------------------------


def _calendar(now: dt.datetime) -> WorkCalendar:
    return WorkCalendar.load(start=timezone.localdate(now) - dt.timedelta(days=1))


def _due(feedback: Feedback, now: dt.datetime) -> dt.date | None:
    days = feedback.category.days_for(feedback.step)
    if feedback.step == Feedback.Step.ANSWERED and feedback.consent_publish:
        days = feedback.category.publish_days
    if days is None:
        return None
    return _calendar(now).due_date(now, days)


def _step(
    feedback: Feedback, step: str, *, actor: User | None, note: str = "", fields: Sequence[str] = ()
) -> FeedbackEvent:
    """Move ``feedback`` to ``step`` now: the event (late when the previous
    step's due day had passed), the new due day, the save."""
    now = timezone.now()
    late = feedback.step_due_on is not None and timezone.localdate(now) > feedback.step_due_on
    feedback.step = step
    feedback.step_due_on = _due(feedback, now)
    feedback.save(update_fields=["step", "step_due_on", *fields])
    events.publish(FeedbackChanged(feedback.pk, feedback.agency_id, step))
    return FeedbackEvent.objects.create(
        feedback=feedback,
        step=step,
        at=now,
        actor=actor if actor and actor.is_authenticated else None,
        note=note,
        due_on=feedback.step_due_on,
        late=late,
    )


# --- Sending -----------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, data={field: [message]})


def _clean_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit() or ch == "+")
    if digits and not (9 <= len(digits.lstrip("+")) <= 12):
        raise _invalid("phone", _("Enter a phone number of 9 to 12 digits, e.g. 0912345678."))
    return digits


@transaction.atomic
def feedback_send(
    *,
    user: User | None,
    kind: str,
    category: FeedbackCategory,
    agency: Agency,
    subject: str,
    body: str,
    consent_publish: bool = False,
    name: str = "",
    phone: str = "",
    email: str = "",
    dossier: Dossier | None = None,
    files: Sequence[UploadedFile] = (),
    ip: str = "",
    limited: bool = True,
) -> Feedback:
    """A new feedback: received at once from a signed-in sender; from anyone
    else, kept unverified until the code sent to their phone or e-mail is
    entered. Raises ``ValidationFailed`` naming the field, ``TooMany`` (429).
    ``limited=False`` (the demo's seed only) skips the per-sender limit."""
    signed_in = user is not None and user.is_authenticated
    if kind not in Feedback.Kind.values:
        raise _invalid("kind", _("Choose feedback or recommendation."))
    if not category.is_active:
        raise _invalid("category", _("Choose one of the categories offered."))
    if not agency.is_active:
        raise _invalid("agency", _("Choose one of the agencies listed."))
    subject = clean_text(subject, field="subject", max_length=FEEDBACK_SUBJECT_MAX, min_length=5)
    body = clean_text(body, field="body", max_length=FEEDBACK_BODY_MAX, min_length=20)
    if signed_in:
        assert user is not None
        name = user.full_name or user.email
        email = user.email
        phone = user.phone
    else:
        name = clean_text(name, field="name", max_length=150, min_length=2)
        phone = _clean_phone(phone)
        email = (email or "").strip()
        if email:
            try:
                validate_email(email)
            except DjangoValidationError as exc:
                raise _invalid(
                    "email", _("Enter an e-mail address such as ten@example.vn.")
                ) from exc
        if not (phone or email):
            raise _invalid(
                "phone", _("Give a phone number or an e-mail address: we send a code there.")
            )
        dossier = None  # only a signed-in sender's own dossiers can be linked
    if dossier is not None and (not signed_in or dossier.applicant_id != user.pk):  # type: ignore[union-attr]
        raise _invalid("dossier", _("Choose one of your own dossiers."))
    if len(files) > MAX_ATTACHMENTS:
        raise _invalid("files", _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS})
    cleaned = []
    for upload in files:
        try:
            cleaned.append((upload, clean_document(upload)))
        except ValidationFailed as exc:
            message = f"{upload.name}: {exc.message}"
            raise ValidationFailed(message, code=exc.code, data={"files": [message]}) from exc
    keys = limits.keys_for(
        "feedback", user=user if signed_in else None, phone=phone, email=email, ip=ip
    )
    if limited:
        limits.check(keys, settings.EGOV_FEEDBACK_MAX_PER_HOUR)
    now = timezone.now()
    feedback = Feedback.objects.create(
        code=new_code("PA", Feedback),
        kind=kind,
        category=category,
        agency=agency,
        sender=user if signed_in else None,
        sender_name=name,
        sender_phone=phone,
        sender_email=email,
        dossier=dossier,
        subject=subject,
        body=body,
        consent_publish=consent_publish,
        step=Feedback.Step.UNVERIFIED,
        created_at=now,
        ip_address=ip or None,
    )
    for upload, safe in cleaned:
        FeedbackAttachment.objects.create(
            feedback=feedback,
            file=safe,
            original_name=(upload.name or "")[:200],
            content_type=safe.content_type or "",
            size=safe.size or 0,
        )
    if limited:
        limits.count(keys)
    if signed_in:
        _receive(feedback, actor=user)
    else:
        _send_contact_code(feedback)
    return feedback


def _receive(feedback: Feedback, *, actor: User | None) -> None:
    feedback.received_at = timezone.now()
    _step(feedback, Feedback.Step.RECEIVED, actor=actor, fields=["received_at"])
    _notify(feedback, "received")


def _words(feedback: Feedback) -> dict[str, str]:
    return {
        "agency": feedback.agency.name,
        "kind": str(feedback.get_kind_display()),
        "code": feedback.code,
        "due": feedback.step_due_on.strftime("%d/%m/%Y") if feedback.step_due_on else "—",
        "reason": feedback.refused_reason or "—",
    }


# The notices to the sender: (subject, body), worded in the site's language.
NOTICES = {
    "received": (
        gettext_lazy("Feedback %(code)s received"),
        gettext_lazy(
            "%(agency)s has received your %(kind)s %(code)s and will decide by %(due)s whether "
            "to accept it. Follow it with its code on the portal's feedback page."
        ),
    ),
    "refused": (
        gettext_lazy("Feedback %(code)s not accepted"),
        gettext_lazy("%(agency)s did not accept your %(kind)s %(code)s: %(reason)s"),
    ),
    "answered": (
        gettext_lazy("Feedback %(code)s answered"),
        gettext_lazy(
            "%(agency)s answered your %(kind)s %(code)s. Read the answer, and rate it, "
            "on the portal's feedback page with its code."
        ),
    ),
}


def _notify(feedback: Feedback, notice: str) -> Notification | None:
    """A notice to the sender (their account's notices, e-mail, SMS), in the
    site's language whoever took the step, delivered after commit."""
    if not (feedback.sender_id or feedback.sender_email or feedback.sender_phone):
        return None
    subject, body = NOTICES[notice]
    with translation.override(settings.LANGUAGE_CODE):
        words = _words(feedback)
        notification = Notification.objects.create(
            user=feedback.sender,
            email=feedback.sender_email,
            phone=feedback.sender_phone,
            subject=(str(subject) % words)[:200],
            body=str(body) % words,
        )
    transaction.on_commit(partial(deliver, notification.pk))
    return notification


def _code_hash(feedback: Feedback, code: str) -> str:
    return salted_hmac("engagement.contact-code", f"{feedback.pk}:{code}").hexdigest()


def _send_contact_code(feedback: Feedback) -> None:
    """A new code to the sender's phone (else e-mail), replacing any earlier
    one. The code itself is never stored, nor written to the log."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    target = feedback.sender_phone or feedback.sender_email
    ContactCode.objects.update_or_create(
        feedback=feedback,
        defaults={
            "code_hash": _code_hash(feedback, code),
            "sent_to": target,
            "expires_at": timezone.now() + dt.timedelta(minutes=CODE_MINUTES),
            "attempts": 0,
            "verified_at": None,
        },
    )
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "%(code)s is your code to send feedback %(ref)s on the public-service portal. "
            "It is valid for %(minutes)d minutes."
        ) % {"code": code, "ref": feedback.code, "minutes": CODE_MINUTES}
        subject = _("Your code for feedback %(ref)s") % {"ref": feedback.code}

    def send() -> None:
        try:
            if feedback.sender_phone:
                sms_provider().send(feedback.sender_phone, text, message_id=f"code-{feedback.pk}")
            else:
                send_mail(subject, text, None, [feedback.sender_email])
        except Exception as exc:  # noqa: BLE001 - the sender can ask for a new code
            logger.warning(
                "feedback %s: the contact code to %s was not sent (%s)",
                feedback.code,
                mask_phone(feedback.sender_phone) if feedback.sender_phone else "e-mail",
                type(exc).__name__,
            )

    transaction.on_commit(send)


@transaction.atomic
def feedback_resend_code(*, feedback: Feedback, ip: str = "") -> None:
    feedback = (
        Feedback.objects.select_for_update()
        .select_related("category", "agency")
        .get(pk=feedback.pk)
    )
    if feedback.step != Feedback.Step.UNVERIFIED:
        raise ConflictError(_("This feedback was confirmed already."))
    keys = [f"feedback:code:{feedback.pk}", *([f"feedback:code-ip:{ip}"] if ip else [])]
    limits.check(keys, settings.EGOV_FEEDBACK_MAX_PER_HOUR)
    limits.count(keys)
    _send_contact_code(feedback)


def feedback_verify(*, feedback: Feedback, code: str) -> Feedback:
    """The sender enters the code they received: the feedback is received.
    Five wrong tries or an expired code: ask for a new one. A wrong try is
    counted even though the call raises."""
    with transaction.atomic():
        feedback = (
            Feedback.objects.select_for_update()
            .select_related("category", "agency")
            .get(pk=feedback.pk)
        )
        if feedback.step != Feedback.Step.UNVERIFIED:
            raise ConflictError(_("This feedback was confirmed already."))
        contact = ContactCode.objects.select_for_update().filter(feedback=feedback).first()
        if (
            contact is None
            or contact.expires_at < timezone.now()
            or contact.attempts >= CODE_ATTEMPTS
        ):
            raise _invalid("code", _("This code has expired: ask for a new one."))
        digits = "".join(ch for ch in code or "" if ch.isdigit())
        if hmac.compare_digest(contact.code_hash, _code_hash(feedback, digits)):
            contact.verified_at = timezone.now()
            contact.save(update_fields=["verified_at"])
            _receive(feedback, actor=None)
            return feedback
        contact.attempts += 1
        contact.save(update_fields=["attempts"])
        left = CODE_ATTEMPTS - contact.attempts
    if left:
        raise _invalid(
            "code", _("This is not the code we sent. %(left)d tries left.") % {"left": left}
        )
    raise _invalid("code", _("This code has expired: ask for a new one."))


# --- The agency's steps ---------------------------------------------------------------


def may_view(user: User, agency: Agency) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or has_role(user, agency, VIEWING_ROLES))
    )


def may_publish(user: User, agency: Agency) -> bool:
    return may_moderate(user, agency)


def _lock(feedback: Feedback) -> Feedback:
    return (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("category", "agency", "sender")
        .get(pk=feedback.pk)
    )


def _expect(feedback: Feedback, *steps: str) -> None:
    if feedback.step not in steps:
        raise ConflictError(
            _("Not possible now: this feedback is %(step)s.")
            % {"step": feedback.get_step_display()}
        )


@transaction.atomic
def feedback_accept(*, user: User, feedback: Feedback) -> Feedback:
    feedback = _lock(feedback)
    if not has_role(user, feedback.agency, RECEIVING_ROLES):
        raise PermissionDeniedError()
    _expect(feedback, Feedback.Step.RECEIVED)
    _step(feedback, Feedback.Step.ACCEPTED, actor=user)
    return feedback


@transaction.atomic
def feedback_refuse(*, user: User, feedback: Feedback, reason: str) -> Feedback:
    feedback = _lock(feedback)
    if not has_role(user, feedback.agency, RECEIVING_ROLES):
        raise PermissionDeniedError()
    _expect(feedback, Feedback.Step.RECEIVED)
    feedback.refused_reason = clean_text(
        reason, field="reason", max_length=REASON_MAX, min_length=10
    )
    _step(
        feedback,
        Feedback.Step.REFUSED,
        actor=user,
        note=feedback.refused_reason,
        fields=["refused_reason"],
    )
    _notify(feedback, "refused")
    return feedback


@transaction.atomic
def feedback_assign(*, user: User, feedback: Feedback, officer: User) -> Feedback:
    feedback = _lock(feedback)
    if not has_role(user, feedback.agency, (Role.HEAD,)):
        raise PermissionDeniedError()
    _expect(feedback, Feedback.Step.ACCEPTED, Feedback.Step.ASSIGNED)
    if not has_role(officer, feedback.agency, (Role.OFFICER, Role.HEAD)):
        raise _invalid("officer", _("Choose an officer of this agency."))
    feedback.assigned_to = officer
    _step(
        feedback,
        Feedback.Step.ASSIGNED,
        actor=user,
        note=officer.full_name or officer.email,
        fields=["assigned_to"],
    )
    return feedback


@transaction.atomic
def feedback_answer(*, user: User, feedback: Feedback, answer: str) -> Feedback:
    feedback = _lock(feedback)
    if not (feedback.assigned_to_id == user.pk or has_role(user, feedback.agency, (Role.HEAD,))):
        raise PermissionDeniedError()
    if not has_role(user, feedback.agency):
        raise PermissionDeniedError()
    _expect(feedback, Feedback.Step.ASSIGNED)
    now = timezone.now()
    feedback.answer = clean_text(
        answer, field="answer", max_length=FEEDBACK_BODY_MAX, min_length=10
    )
    feedback.answered_at = now
    feedback.answered_on_time = (
        feedback.step_due_on is None or timezone.localdate(now) <= feedback.step_due_on
    )
    _step(
        feedback,
        Feedback.Step.ANSWERED,
        actor=user,
        fields=["answer", "answered_at", "answered_on_time"],
    )
    _notify(feedback, "answered")
    return feedback


@transaction.atomic
def feedback_publish(
    *, user: User, feedback: Feedback, public_summary: str, public_answer: str
) -> Feedback:
    """Publish the answer, with the sender's consent, edited so that it holds
    no personal data (the moderator's duty; the sender's name, contacts and
    attachments are never published)."""
    feedback = _lock(feedback)
    if not may_publish(user, feedback.agency):
        raise PermissionDeniedError()
    _expect(feedback, Feedback.Step.ANSWERED)
    if not feedback.consent_publish:
        raise ConflictError(_("The sender did not agree to publish it."))
    feedback.public_summary = clean_text(
        public_summary, field="public_summary", max_length=FEEDBACK_BODY_MAX, min_length=10
    )
    feedback.public_answer = clean_text(
        public_answer, field="public_answer", max_length=FEEDBACK_BODY_MAX, min_length=10
    )
    feedback.published_at = timezone.now()
    feedback.search_text = fold(f"{feedback.public_summary} {feedback.public_answer}")
    _step(
        feedback,
        Feedback.Step.PUBLISHED,
        actor=user,
        fields=["public_summary", "public_answer", "published_at", "search_text"],
    )
    return feedback


@transaction.atomic
def feedback_rate(*, feedback: Feedback, score: int) -> Feedback:
    """The sender rates the answer (once). The caller has checked it is the
    sender: their account, or the code and their contact's last digits."""
    feedback = _lock(feedback)
    _expect(feedback, Feedback.Step.ANSWERED, Feedback.Step.PUBLISHED)
    if feedback.rating is not None:
        raise ConflictError(_("You rated this answer already."), code=ErrorCode.ALREADY_RATED)
    if score not in (1, 2, 3, 4, 5):
        raise _invalid("score", _("Choose from 1 to 5 stars."))
    feedback.rating = score
    feedback.rated_at = timezone.now()
    feedback.save(update_fields=["rating", "rated_at"])
    events.publish(FeedbackChanged(feedback.pk, feedback.agency_id, feedback.step))
    return feedback


def escalate_late(*, today: dt.date | None = None, limit: int = 500) -> int:
    """Each open feedback past its step's due day, not yet escalated: noted
    and a notice to each head of its agency (once). For a periodic job."""
    today = today or timezone.localdate()
    ids = list(
        Feedback.objects.filter(
            step__in=Feedback.OPEN_STEPS, step_due_on__lt=today, escalated_at__isnull=True
        ).values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in ids:
        with transaction.atomic():
            feedback = (
                Feedback.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("agency")
                .filter(pk=pk, escalated_at__isnull=True)
                .first()
            )
            if feedback is None:
                continue
            feedback.escalated_at = timezone.now()
            feedback.save(update_fields=["escalated_at"])
            heads = User.objects.filter(
                memberships__agency=feedback.agency,
                memberships__role=Role.HEAD,
                memberships__is_active=True,
                is_active=True,
            ).distinct()
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("Late feedback %(code)s") % {"code": feedback.code}
                body = _(
                    "Feedback %(code)s to %(agency)s is %(step)s and was due on %(due)s. "
                    "See it in the back office, under Feedback."
                ) % {
                    "code": feedback.code,
                    "agency": feedback.agency.name,
                    "step": feedback.get_step_display(),
                    "due": feedback.step_due_on.strftime("%d/%m/%Y")
                    if feedback.step_due_on
                    else "—",
                }
            for head in heads:
                notification = Notification.objects.create(
                    user=head, email=head.email, subject=subject[:200], body=body
                )
                transaction.on_commit(partial(deliver, notification.pk))
            done += 1
    return done


# --- The categories (catalog administrators) ---------------------------------------------

CATEGORY_FIELDS = (
    "name",
    "name_en",
    "accept_days",
    "assign_days",
    "answer_days",
    "publish_days",
    "is_active",
)


def may_edit_categories(user: User) -> bool:
    return may_pin(user)


@transaction.atomic
def category_update(
    *, user: User, category: FeedbackCategory, **values: object
) -> FeedbackCategory:
    """A catalog administrator changes a category's names, its working days
    per step (1 to 60) or whether it is offered. The new days count for the
    steps taken from now on; a deadline already set stays as it was."""
    if not may_edit_categories(user):
        raise PermissionDeniedError()
    unknown = set(values) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    category = FeedbackCategory.objects.select_for_update().get(pk=category.pk)
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name.endswith("_days"):
            if not isinstance(value, int) or not 1 <= value <= 60:
                errors[name] = [_("Enter a number of working days from 1 to 60.")]
        elif name == "name" and not str(value or "").strip():
            errors[name] = [_("Enter the category's name.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], data=errors)
    for name, value in values.items():
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    category.save(update_fields=list(values))
    return category

"""Questions and answers per procedure (hỏi đáp), and feedback and
recommendations (phản ánh, kiến nghị).

A signed-in citizen asks a question on a procedure's page; it goes to the
agency they chose among those offering the procedure; a processing officer
of that agency answers it; a moderator (the agency's head or a catalog
administrator) publishes the pair, edited for privacy, or keeps it private.
What the public sees is only ``public_question`` and ``public_answer``, never
the asker or their original words.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, LocalizedNameMixin, User
from procedures.models import Procedure

QUESTION_MAX = 2000
ANSWER_MAX = 5000


class Question(models.Model):
    class Status(models.TextChoices):
        ASKED = "asked", _("waiting for an answer")
        ANSWERED = "answered", _("answered, to be moderated")
        PUBLISHED = "published", _("published")
        PRIVATE = "private", _("answered, kept private")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("question code"), max_length=16, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="questions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="questions")
    asker = models.ForeignKey(User, on_delete=models.PROTECT, related_name="questions")
    text = models.TextField(_("question"), max_length=QUESTION_MAX)
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_on = models.DateField(_("to be answered by"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ASKED
    )
    answer = models.TextField(_("answer"), max_length=ANSWER_MAX, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    public_question = models.TextField(_("question as published"), blank=True)
    public_answer = models.TextField(_("answer as published"), blank=True)
    search_text = models.TextField(editable=False, blank=True)
    moderated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    is_faq = models.BooleanField(_("pinned as a frequent question"), default=False)
    faq_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-asked_at"]
        indexes = [
            models.Index(fields=["agency", "status", "due_on"], name="question_queue"),
            models.Index(fields=["procedure", "status"], name="question_procedure"),
            models.Index(fields=["asker", "-asked_at"], name="question_asker"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="published")
                | (~models.Q(public_question="") & ~models.Q(public_answer="")),
                name="question_published_has_text",
            ),
            models.CheckConstraint(
                condition=models.Q(status="asked") | ~models.Q(answer=""),
                name="question_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=models.Q(is_faq=False) | models.Q(status="published"),
                name="question_faq_is_published",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def is_late(self, today) -> bool:
        """Still waiting for an answer after the day it was due."""
        return self.status == self.Status.ASKED and self.due_on < today


# --- Feedback and recommendations (phản ánh, kiến nghị) ----------------------------

FEEDBACK_SUBJECT_MAX = 200
FEEDBACK_BODY_MAX = 5000
REASON_MAX = 1000


class FeedbackCategory(LocalizedNameMixin, models.Model):
    """What a feedback is about, with the working days each legal step may take
    (set by the catalog administrators; the demo seeds the usual ones)."""

    class About(models.TextChoices):
        REGULATION = "regulation", _("an administrative rule")
        SERVICE = "service", _("how I was served")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    about = models.CharField(_("about"), max_length=12, choices=About.choices)
    accept_days = models.PositiveSmallIntegerField(
        _("days to accept or refuse (working days)"), default=3
    )
    assign_days = models.PositiveSmallIntegerField(
        _("days to assign it to an officer (working days)"), default=2
    )
    answer_days = models.PositiveSmallIntegerField(
        _("days to answer once assigned (working days)"), default=10
    )
    publish_days = models.PositiveSmallIntegerField(
        _("days to publish the answer (working days)"), default=5
    )
    is_active = models.BooleanField(_("offered"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("feedback category")
        verbose_name_plural = _("feedback categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def days_for(self, step: str) -> int | None:
        """Working days allowed for the step that follows ``step`` (None: no
        step follows, nothing is due)."""
        days: dict[str, int] = {
            Feedback.Step.RECEIVED: self.accept_days,
            Feedback.Step.ACCEPTED: self.assign_days,
            Feedback.Step.ASSIGNED: self.answer_days,
        }
        return days.get(step)


class Feedback(models.Model):
    """One feedback or recommendation, through its legal steps: received,
    accepted or refused (with a reason), assigned, answered, published. The
    sender is an account or a name with a verified phone number or e-mail
    address; ``sender_*`` are never shown publicly."""

    class Kind(models.TextChoices):
        FEEDBACK = "feedback", _("feedback (phản ánh)")
        RECOMMENDATION = "recommendation", _("recommendation (kiến nghị)")

    class Step(models.TextChoices):
        UNVERIFIED = "unverified", _("waiting for the sender's code")
        RECEIVED = "received", _("received")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")
        ASSIGNED = "assigned", _("assigned")
        ANSWERED = "answered", _("answered")
        PUBLISHED = "published", _("published")

    OPEN_STEPS = (Step.RECEIVED, Step.ACCEPTED, Step.ASSIGNED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("tracking code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    category = models.ForeignKey(
        FeedbackCategory, on_delete=models.PROTECT, related_name="feedback"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="feedback")
    sender = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="feedback"
    )
    sender_name = models.CharField(_("name"), max_length=150)
    sender_phone = models.CharField(_("phone number"), max_length=20, blank=True)
    sender_email = models.EmailField(_("e-mail address"), blank=True)
    dossier = models.ForeignKey(
        "onecounter.Dossier",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("dossier it is about"),
        help_text=_("One of the sender's own dossiers."),
    )
    subject = models.CharField(_("subject"), max_length=FEEDBACK_SUBJECT_MAX)
    body = models.TextField(_("what happened, what you recommend"), max_length=FEEDBACK_BODY_MAX)
    consent_publish = models.BooleanField(
        _("the answer may be published, without my name or contact details"), default=False
    )
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    step_due_on = models.DateField(_("current step due on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    refused_reason = models.TextField(_("reason for refusing"), max_length=REASON_MAX, blank=True)
    assigned_to = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.TextField(_("answer"), max_length=FEEDBACK_BODY_MAX, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_on_time = models.BooleanField(null=True, blank=True)
    public_summary = models.TextField(_("feedback as published"), blank=True)
    public_answer = models.TextField(_("answer as published"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    escalated_at = models.DateTimeField(
        _("late: sent up to the agency head at"), null=True, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        _("sender's rating of the answer"), null=True, blank=True
    )
    rated_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "step", "step_due_on"], name="feedback_queue"),
            models.Index(fields=["sender", "-created_at"], name="feedback_sender"),
            models.Index(fields=["step", "published_at"], name="feedback_published"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="feedback_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=~models.Q(step="refused") | ~models.Q(refused_reason=""),
                name="feedback_refused_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(step__in=["answered", "published"]) | ~models.Q(answer=""),
                name="feedback_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~models.Q(step="published") | models.Q(consent_publish=True),
                name="feedback_published_with_consent",
            ),
            models.CheckConstraint(
                condition=~models.Q(sender_phone="", sender_email="", sender__isnull=True),
                name="feedback_sender_reachable",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def is_late(self, today) -> bool:
        return (
            self.step in self.OPEN_STEPS
            and self.step_due_on is not None
            and self.step_due_on < today
        )


class FeedbackEvent(models.Model):
    """Each step a feedback took, by whom, and the deadline it set. Append-only:
    the feedback's history and the record of its deadlines."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    step = models.CharField(max_length=12, choices=Feedback.Step.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    due_on = models.DateField(null=True, blank=True)
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["feedback", "at", "id"]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.step}"


class FeedbackAttachment(models.Model):
    """A document sent with a feedback: checked and re-encoded as dossier
    uploads are, kept private, never shown publicly."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="feedback/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class ContactCode(models.Model):
    """The code sent to a sender without an account, to check the phone number
    or e-mail address they gave. Only its hash is kept."""

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="contact_code")
    code_hash = models.CharField(max_length=128)
    sent_to = models.CharField(max_length=254)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.feedback_id}"

"""One-stop intake: dossiers, their events, documents, payments and notices."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, Person, User


class DossierStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted, awaiting receipt")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("incomplete: supplement requested")
    REFUSED = "refused", _("refused")
    RECEIVED = "received", _("received")
    IN_PROCESSING = "in_processing", _("in processing")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("awaiting supplement (clock paused)")
    PROPOSED = "proposed", _("decision proposed, awaiting signature")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    RESULT_READY = "result_ready", _("result ready")
    RETURNED = "returned", _("result returned")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Dossier(models.Model):
    """A dossier (hồ sơ): one filing of one procedure, through the one-stop intake.

    Its status is changed only by ``onecounter.transitions``.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        COUNTER = "counter", _("at the counter")
        POST = "post", _("by post")
        LINKED = "linked", _("handed on by another agency")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(_("dossier code"), max_length=30, unique=True, null=True, blank=True)
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="dossiers"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="dossiers")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=DossierStatus.choices, default=DossierStatus.DRAFT
    )
    applicant = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="dossiers"
    )
    applicant_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The person the dossier is about, when not the applicant (e.g. a child)."),
    )
    applicant_name = models.CharField(_("applicant"), max_length=150)
    applicant_id_number = models.CharField(_("applicant's ID number"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("phone number"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("email address"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=255, blank=True)
    data = models.JSONField(_("answers"), default=dict, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(_("promised date"), null=True, blank=True)
    original_due_date = models.DateField(null=True, blank=True)
    paused_on = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    result_ready_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_dossiers"
    )
    proposal = models.CharField(max_length=8, blank=True)  # "approve" / "reject"
    decision_note = models.TextField(blank=True)
    apologised = models.BooleanField(
        default=False, help_text=_("An apology slip with a new date was issued (counts as late).")
    )
    fee = models.PositiveIntegerField(_("fee (VND)"), default=0)
    paid_at = models.DateTimeField(_("fee paid at"), null=True, blank=True)
    declaration_accepted_at = models.DateTimeField(null=True, blank=True)
    # What dossiers of the same request share (the handler's ``duplicate_key``,
    # e.g. the birth's mother and date of birth), set when the dossier is sent.
    duplicate_key = models.CharField(max_length=120, blank=True, editable=False)
    # Retention (onecounter.retention): when the attachments, answers and personal
    # data were destroyed under an approved destruction list (the dossier is a stub
    # since), and when its results were.
    purged_at = models.DateTimeField(_("personal data destroyed at"), null=True, blank=True)
    results_purged_at = models.DateTimeField(_("results destroyed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status", "due_date"], name="dossier_queue"),
            models.Index(fields=["applicant", "-created_at"], name="dossier_applicant"),
            # The statistics' catch-up reads the dossiers changed since its last run.
            models.Index(fields=["updated_at"], name="dossier_updated"),
            models.Index(
                fields=["duplicate_key"],
                name="dossier_duplicate_key",
                condition=~models.Q(duplicate_key=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(code__isnull=False),
                name="dossier_code_after_draft",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in DossierStatus]),
                name="dossier_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"draft {self.pk}"


class DossierEvent(models.Model):
    """Every step of a dossier: who, when, from which state to which, why. Append-only."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When its slips and notices were produced (empty: still pending)."),
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["dossier", "seq"]
        indexes = [
            models.Index(
                fields=["at"],
                name="dossier_event_pending",
                condition=models.Q(processed_at__isnull=True),
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "seq"], name="dossier_event_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.seq} {self.action}"


class DossierCodeCounter(models.Model):
    """The last serial used per agency and day, for gap-free dossier codes."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day} {self.last}"


class SupplementRequest(models.Model):
    """One written list of everything missing (one-stop form 02)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    event = models.OneToOneField(
        "DossierEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="supplement"
    )
    items = models.JSONField(_("what is missing"))
    note = models.TextField(blank=True)
    before_receipt = models.BooleanField(default=False)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dossier", "-requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} supplement {self.requested_at:%Y-%m-%d}"


class ApologySlip(models.Model):
    """An apology with a new date (one-stop form 04), issued before the deadline passes."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="apologies")
    event = models.OneToOneField(
        "DossierEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="apology"
    )
    old_due_date = models.DateField()
    new_due_date = models.DateField()
    reason = models.TextField()
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dossier", "issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(new_due_date__gt=models.F("old_due_date")),
                name="apology_later_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_due_date}"


class DossierDocument(models.Model):
    """A PDF issued for a dossier: a one-stop slip or a result. Rendered once,
    in the background, stored privately and served only to those allowed."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("online submission receipt")
        RECEIPT = "receipt", _("receipt and appointment slip")
        SUPPLEMENT = "supplement", _("request to supplement")
        REFUSAL = "refusal", _("refusal slip")
        APOLOGY = "apology", _("apology and new date")
        TRACKING = "tracking", _("tracking slip")
        RESULT = "result", _("result")
        FEE_RECEIPT = "fee_receipt", _("fee receipt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(
        max_length=80, help_text=_("What it was rendered for, e.g. the event or supplement id.")
    )
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="dossiers/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Results carry a QR code to /verify/<verify_token>: an unguessable token.
    verify_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    number = models.CharField(
        _("document number"), max_length=40, blank=True, help_text=_("As printed on it.")
    )
    issued_by = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    holder = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whom the document is about."),
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces"
    )

    class Meta:
        ordering = ["dossier", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "kind", "key"], name="dossier_document_once"
            ),
            # A number is given once per issuing agency (onecounter.results.verification).
            models.UniqueConstraint(
                fields=["issued_by", "number"],
                condition=~models.Q(number=""),
                name="dossier_document_number_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.kind} {self.key}"


class DocumentVerification(models.Model):
    """One check of a document through its QR link (public). Append-only."""

    class Outcome(models.TextChoices):
        VALID = "valid", _("valid")
        REVOKED = "revoked", _("revoked")
        REPLACED = "replaced", _("replaced")

    document = models.ForeignKey(
        DossierDocument, on_delete=models.PROTECT, related_name="verifications"
    )
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    client_hash = models.CharField(
        max_length=64, blank=True, help_text=_("Keyed hash of the client address (no raw IP).")
    )
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("document verification")
        ordering = ["-at"]
        indexes = [models.Index(fields=["document", "-at"], name="verification_document")]

    def __str__(self) -> str:
        return f"{self.document_id} {self.outcome} {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A notice to an applicant about their dossier: listed in their own space
    and sent by email (and SMS when a phone number is known) after commit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    event = models.OneToOneField(
        DossierEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="notification"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user")]

    def __str__(self) -> str:
        return self.subject


class Attachment(models.Model):
    """A document attached to a dossier: uploaded (checked, re-encoded, private)
    or taken from the applicant's wallet."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    requirement = models.ForeignKey(
        "procedures.RequiredDocument",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    field_key = models.CharField(
        max_length=40, blank=True, help_text=_("Form question it answers.")
    )
    supplement = models.ForeignKey(
        SupplementRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    wallet_document = models.ForeignKey(
        "WalletDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=60, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dossier", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(file="") | models.Q(wallet_document__isnull=False),
                name="attachment_has_content",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class WalletDocument(models.Model):
    """A document in a citizen's wallet: a result issued to them, or a document
    they keep for reuse. A later procedure can take it instead of an upload."""

    class Source(models.TextChoices):
        ISSUED = "issued", _("issued by an agency")
        KEPT = "kept", _("kept by the citizen")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="wallet")
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whom the document is about (the owner, or their child)."),
    )
    kind = models.CharField(
        _("kind"), max_length=40, help_text=_("e.g. birth_certificate, residence_confirmation")
    )
    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(max_length=8, choices=Source.choices)
    document = models.ForeignKey(
        DossierDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="wallet/%Y/%m/", blank=True)
    issued_by = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dossier = models.ForeignKey(
        Dossier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "document"],
                condition=models.Q(document__isnull=False),
                name="wallet_document_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def new_payment_reference() -> str:
    """A payment's reference: unique and unguessable, letters and digits only
    (gateways accept nothing else): the Hà Nội date and 12 random hex digits,
    e.g. ``260304A1B2C3D4E5F6``."""
    return f"{timezone.localdate():%y%m%d}{secrets.token_hex(6).upper()}"


class Payment(models.Model):
    """One attempt to pay a dossier's online fee through a payment provider."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting payment")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=20)
    reference = models.CharField(max_length=40, unique=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="VND")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_transaction = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(status="paid"),
                name="one_paid_payment_per_dossier",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class PaymentCallback(models.Model):
    """Every callback or return from a payment provider, as received. Append-only."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks"
    )
    provider = models.CharField(max_length=20)
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField()
    signature_valid = models.BooleanField()
    outcome = models.CharField(max_length=40)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome}"


class Rating(models.Model):
    """The applicant's satisfaction with a returned dossier (1-5 and a comment)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.score}"


class DestructionList(models.Model):
    """A list of an agency's closed dossiers past their retention, proposed for
    destruction (by the daily job, or by a person), approved or rejected by a
    head of the agency other than the proposer, then carried out. Kept forever,
    with its items; see docs/retention.md."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed, awaiting approval")
        APPROVED = "approved", _("approved, being carried out")
        REJECTED = "rejected", _("rejected")
        EXECUTED = "executed", _("carried out")

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="destruction_lists")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    proposed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: proposed by the daily retention job."),
    )
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The head who approved or rejected the list."),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    executed_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    items_total = models.PositiveIntegerField(default=0)
    items_excluded = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("destruction list")
        verbose_name_plural = _("destruction lists")
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["agency", "status"], name="destruction_list_agency")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "approved", "rejected", "executed"]),
                name="destruction_list_status_valid",
            ),
            # One list awaiting approval per agency: the job proposes the next after it.
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(status="proposed"),
                name="destruction_list_one_proposed",
            ),
            # Four eyes: whoever proposed a list does not decide it.
            models.CheckConstraint(
                condition=models.Q(proposed_by__isnull=True)
                | models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("proposed_by")),
                name="destruction_list_four_eyes",
            ),
            models.CheckConstraint(
                condition=models.Q(status="proposed")
                | (
                    models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~models.Q(decision_reason="")
                ),
                name="destruction_list_decided",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="executed") | models.Q(executed_at__isnull=False),
                name="destruction_list_executed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} #{self.pk} {self.status}"


class DestructionListItem(models.Model):
    """One dossier on a destruction list: what goes (its data, its results or
    both), or why it is kept (excluded: a legal hold). Kept forever."""

    destruction_list = models.ForeignKey(
        DestructionList, on_delete=models.PROTECT, related_name="items"
    )
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField(_("closed on"))
    destroy_data = models.BooleanField(
        _("dossier data"), help_text=_("Attachments, answers, slips and personal data.")
    )
    destroy_results = models.BooleanField(
        _("results"), help_text=_("Result documents and their copies in the wallets.")
    )
    is_open = models.BooleanField(
        default=True, help_text=_("The list is still proposed or being carried out.")
    )
    excluded = models.BooleanField(_("excluded"), default=False)
    excluded_reason = models.TextField(_("reason for keeping it"), blank=True)
    excluded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    excluded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)
    # The stored files to delete, written in the transaction that removed their
    # rows; deleted after its commit (files_removed_at), again if a run crashed.
    files = models.JSONField(default=list, blank=True)
    files_removed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("destruction list item")
        ordering = ["destruction_list", "closed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["destruction_list", "dossier"], name="destruction_item_once"
            ),
            # A dossier is on at most one open list.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(is_open=True),
                name="destruction_item_one_open_list",
            ),
            models.CheckConstraint(
                condition=models.Q(destroy_data=True) | models.Q(destroy_results=True),
                name="destruction_item_destroys_something",
            ),
            models.CheckConstraint(
                condition=models.Q(excluded=False) | ~models.Q(excluded_reason=""),
                name="destruction_item_exclusion_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(excluded=False) | models.Q(done_at__isnull=True),
                name="destruction_item_excluded_not_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destruction_list_id}: {self.dossier_id}"

"""The procedure catalog: what a citizen can file, where, for how long and how much."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, LocalizedNameMixin


class Field(LocalizedNameMixin, models.Model):
    """A field of administration (lĩnh vực): civil status, residence, ..."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("field")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(LocalizedNameMixin, models.Model):
    class OnlineLevel(models.TextChoices):
        FULL = "full", _("fully online")
        PARTIAL = "partial", _("partly online")
        INFO = "info", _("information only")

    class Level(models.TextChoices):
        CITY = "city", _("city department")
        COMMUNE = "commune", _("ward / commune")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(
        _("procedure code"),
        max_length=20,
        unique=True,
        help_text=_("The national code from the national public-service portal, e.g. 1.001193."),
    )
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name in English"), max_length=300, blank=True)
    search_name = models.CharField(max_length=300, editable=False, db_index=True)
    field = models.ForeignKey(Field, on_delete=models.PROTECT, related_name="procedures")
    online_level = models.CharField(_("online level"), max_length=8, choices=OnlineLevel.choices)
    agency_kind = models.CharField(
        _("competent agency"), max_length=20, choices=Agency.Kind.choices
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    handler = models.CharField(
        _("handler"),
        max_length=40,
        default="form",
        help_text=_("'form' for a form defined here; otherwise a procedure handled in code."),
    )
    days_online = models.PositiveSmallIntegerField(_("processing time online (working days)"))
    days_counter = models.PositiveSmallIntegerField(
        _("processing time at the counter (working days)")
    )
    question_days = models.PositiveSmallIntegerField(
        _("time to answer a question (working days)"),
        default=5,
        help_text=_(
            "A citizen's question about this procedure is late after this many working days."
        ),
    )
    fee_online = models.PositiveIntegerField(_("fee online (VND)"), default=0)
    fee_counter = models.PositiveIntegerField(_("fee at the counter (VND)"), default=0)
    fee_late = models.PositiveIntegerField(
        _("late-registration fee (VND)"),
        default=0,
        help_text=_(
            "Charged instead of the fee, online or at the counter, when the procedure's handler "
            "finds the registration late (e.g. a birth registered more than 60 days after it); "
            "paid before the dossier is received. 0: a late registration is free too."
        ),
    )
    identity_level = models.PositiveSmallIntegerField(
        _("identity level required to file online"), default=1, choices=[(1, "1"), (2, "2")]
    )
    # Retention (Circular 10/2022/TT-BNV and the sector's rules), counted from
    # the dossier's closing; empty (or 0) keeps it permanently. See docs/retention.md.
    retention_dossier_years = models.PositiveSmallIntegerField(
        _("keep the dossiers (years)"),
        null=True,
        blank=True,
        help_text=_(
            "How long a closed dossier's attachments, answers and personal data are kept, "
            "in years from the day it was closed (returned, refused or withdrawn). "
            "Empty or 0: kept permanently."
        ),
    )
    retention_result_years = models.PositiveSmallIntegerField(
        _("keep the results (years)"),
        null=True,
        blank=True,
        help_text=_(
            "How long the result documents (PDFs and the copies in the citizens' wallets) "
            "are kept, in years from the day the dossier was closed. Empty or 0: kept "
            "permanently (e.g. civil-status results such as a birth certificate)."
        ),
    )
    summary = models.TextField(_("what it is for"), blank=True)
    summary_en = models.TextField(_("what it is for (English)"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    conditions_en = models.TextField(_("conditions (English)"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    result_document = models.CharField(_("result"), max_length=300, blank=True)
    result_document_en = models.CharField(_("result (English)"), max_length=300, blank=True)
    offered_by = models.ManyToManyField(
        Agency, related_name="procedures", blank=True, verbose_name=_("offered by")
    )
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_to = models.DateField(_("active until"), null=True, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["field__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_to__isnull=True)
                | models.Q(active_from__isnull=True)
                | models.Q(active_to__gte=models.F("active_from")),
                name="procedure_active_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def localized(self, field: str) -> str:
        english = getattr(self, f"{field}_en", "")
        if (get_language() or "vi").startswith("en") and english:
            return english
        return getattr(self, field)

    @property
    def is_free(self) -> bool:
        return self.fee_online == 0


class RequiredDocument(LocalizedNameMixin, models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("name"), max_length=300)
    name_en = models.CharField(_("name in English"), max_length=300, blank=True)
    originals = models.PositiveSmallIntegerField(_("originals"), default=1)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    template = models.FileField(_("form template"), upload_to="procedure-templates/", blank=True)
    wallet_kind = models.CharField(
        _("wallet document that can stand in"),
        max_length=40,
        blank=True,
        help_text=_("Kind of document from the citizen's wallet accepted instead of an upload."),
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("required document")
        ordering = ["procedure", "order", "id"]

    def __str__(self) -> str:
        return self.name


class FormField(models.Model):
    """A question of an administrator-defined form."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("number")
        DATE = "date", _("date")
        CHOICE = "choice", _("choice")
        ID_NUMBER = "id_number", _("personal ID number")
        ADDRESS = "address", _("address with administrative unit")
        FILE = "file", _("file upload")
        YES_NO = "yes_no", _("yes / no")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="form_fields")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("question"), max_length=300)
    label_en = models.CharField(_("question in English"), max_length=300, blank=True)
    help_text = models.CharField(_("hint"), max_length=500, blank=True)
    help_text_en = models.CharField(_("hint in English"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=True)
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("One choice per line (for choice questions).")
    )
    min_value = models.IntegerField(_("minimum"), null=True, blank=True)
    max_value = models.IntegerField(_("maximum"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    page = models.PositiveSmallIntegerField(_("page"), default=1)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("form question")
        ordering = ["procedure", "page", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "key"], name="form_field_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key

    def localized(self, field: str) -> str:
        english = getattr(self, f"{field}_en", "")
        if (get_language() or "vi").startswith("en") and english:
            return english
        return getattr(self, field)


class ProcedureRevision(models.Model):
    """A procedure as it was before a change: the catalog's history."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    changed_by = models.ForeignKey(
        "citizens.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("what changed"), max_length=500, blank=True)

    class Meta:
        ordering = ["procedure", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "version"], name="procedure_revision_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} v{self.version}"

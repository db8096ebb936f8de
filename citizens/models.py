"""Administrative units, accounts, agencies and staff roles, and the
population records (persons, households, their versions, the access log,
identity links, correction requests, agency API credentials): what every
other part stands on.

Why one module of this size (about 650 lines): Django's convention of one
``models.py`` per app; the models are fields and constraints, no logic.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.cache import caches
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LocalizedNameMixin:
    """``display_name`` picks ``name_en`` in English when there is one."""

    name: str
    name_en: str

    @property
    def display_name(self) -> str:
        if (get_language() or "vi").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class AdministrativeUnit(LocalizedNameMixin, models.Model):
    """A province, district (before July 2025 only) or commune/ward of Vietnam."""

    class Era(models.TextChoices):
        CURRENT = "2025", _("since 1 July 2025")
        PRE_2025 = "pre2025", _("before 1 July 2025")

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        DISTRICT = "district", _("district")
        COMMUNE = "commune", _("commune / ward")

    era = models.CharField(_("era"), max_length=8, choices=Era.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    code = models.CharField(_("code"), max_length=5)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    unit_type = models.CharField(_("type"), max_length=30, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    search_name = models.CharField(max_length=120, editable=False, db_index=True)

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["era", "level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["era", "level", "code"], name="unit_code_unique"),
        ]

    def __str__(self) -> str:
        if self.parent_id and self.level != self.Level.PROVINCE:
            return f"{self.name}, {self.parent.name}"
        return self.name


class UnitSuccession(models.Model):
    """Which pre-2025 unit(s) a 2025 commune absorbed (wholly or in part).

    The old unit is linked when it is in the pre-2025 list; its code and names
    are kept as text too, since a few successions name units missing from it.
    """

    successor = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="predecessor_links"
    )
    predecessor = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="successor_links",
    )
    predecessor_code = models.CharField(_("old code"), max_length=5)
    predecessor_name = models.CharField(_("old name"), max_length=120)
    predecessor_district = models.CharField(_("old district"), max_length=120, blank=True)
    predecessor_province = models.CharField(_("old province"), max_length=120, blank=True)
    note = models.CharField(_("how it merged"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unit succession")
        constraints = [
            models.UniqueConstraint(
                fields=["successor", "predecessor_code"], name="unit_succession_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_name} → {self.successor.name}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An e-account: a citizen, a business representative or a staff member.

    Signs in with an email address. Staff are the users with an active
    ``StaffMembership``; ``is_staff`` only opens Django admin (with
    ``is_superuser``) and plays no part in the back office.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split()[-1] if self.full_name else self.email

    @cached_property
    def active_memberships(self) -> list[StaffMembership]:
        """The user's active roles, read once per request.

        A staff member's non-empty list is also kept by this process for
        ``EGOV_STAFF_ROLES_SECONDS`` (settings CACHES["local"]); a change to a
        membership or an agency forgets it here at once (``forget_staff_roles``),
        another process sees it at most that much later."""
        seconds = settings.EGOV_STAFF_ROLES_SECONDS
        key = staff_roles_key(self.pk)
        if seconds:
            kept = caches["local"].get(key)
            if kept is not None:
                return kept
        found = list(
            self.memberships.filter(is_active=True, agency__is_active=True)
            .select_related("agency", "agency__unit")
            .order_by("agency__name", "role")
        )
        if seconds and found:
            caches["local"].set(key, found, seconds)
        return found

    @property
    def is_staff_member(self) -> bool:
        return bool(self.active_memberships)


agency_code_validator = RegexValidator(
    r"^[A-Z0-9]{2,12}$",
    _("Use 2 to 12 capital letters or digits, with no spaces."),
)


class Agency(LocalizedNameMixin, models.Model):
    """A public body that receives or processes dossiers."""

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "peoples_committee", _("Ward/commune People's Committee")
        POLICE = "police", _("Ward/commune police")
        SOCIAL_INSURANCE = "social_insurance", _("Social insurance office")
        DEPARTMENT = "department", _("City department")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(
        _("agency code"),
        max_length=12,
        unique=True,
        validators=[agency_code_validator],
        help_text=_("Short code used in dossier numbers, e.g. UBLB."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="agencies",
        verbose_name=_("administrative unit"),
        help_text=_("The ward/commune (or, for a city department, the province) it serves."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", _("One-stop clerk")
    OFFICER = "officer", _("Processing officer")
    HEAD = "head", _("Agency head")
    CATALOG_ADMIN = "catalog_admin", _("Catalog administrator")
    STATISTICIAN = "statistician", _("Statistician")
    TRAINING_COORDINATOR = "training_coordinator", _("Training coordinator")


class StaffMembership(models.Model):
    """A staff member's role in one agency. Roles are checked per agency."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


# --- Population database -------------------------------------------------------


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class IssuedIdNumber(models.Model):
    """Every personal ID number ever issued or loaded. Never deleted: a number
    of a cancelled record stays here (retired) and is never handed out again."""

    number = models.CharField(_("personal ID number"), max_length=12, primary_key=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=200, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("issued personal ID number")

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """A person record of the population database.

    Changes go through ``citizens.services`` only, which keep the history in
    ``PersonVersion``. Parents and spouse are links when they are in the
    database, else free text (``father_name``...).
    """

    class Status(models.TextChoices):
        LIVING = "living", _("living")
        DECEASED = "deceased", _("deceased")
        CANCELLED = "cancelled", _("record cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    id_number = models.CharField(_("personal ID number"), max_length=12, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    search_name = models.CharField(max_length=150, editable=False)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, default="01")
    religion = models.CharField(_("religion"), max_length=60, blank=True)
    nationality = models.CharField(_("nationality"), max_length=60, default="Việt Nam")
    birth_place = models.CharField(_("place of birth"), max_length=255, blank=True)
    native_place = models.CharField(_("native place"), max_length=255, blank=True)
    permanent_address = models.CharField(_("permanent residence"), max_length=255, blank=True)
    permanent_unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="permanent_residents",
        verbose_name=_("permanent residence unit"),
        # person_unit_name (permanent_unit_id, search_name) serves every lookup
        # by unit: a second index on the unit alone would only cost writes.
        db_index=False,
    )
    current_address = models.CharField(_("current residence"), max_length=255, blank=True)
    current_unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="current_residents",
        verbose_name=_("current residence unit"),
    )
    father = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children_as_father"
    )
    father_name = models.CharField(_("father (not in the database)"), max_length=150, blank=True)
    mother = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children_as_mother"
    )
    mother_name = models.CharField(_("mother (not in the database)"), max_length=150, blank=True)
    spouse = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    spouse_name = models.CharField(_("spouse (not in the database)"), max_length=150, blank=True)
    health_insurance_number = models.CharField(
        _("health-insurance number"), max_length=15, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.LIVING
    )
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Import batch or dossier that created it."),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # Name-search indexes (trigram, pattern ops) are created per database
        # vendor in migration 0003_search_indexes.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id_number__regex=r"^[0-9]{12}$"), name="person_id_number_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(status="deceased", death_date__isnull=False)
                | ~models.Q(status="deceased"),
                name="person_deceased_has_date",
            ),
            models.UniqueConstraint(
                fields=["health_insurance_number"],
                condition=~models.Q(health_insurance_number=""),
                name="person_health_insurance_unique",
            ),
            # One child record per birth dossier (source "birth:<dossier code>").
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(source__startswith="birth:"),
                name="person_one_per_birth_dossier",
            ),
            # One birth, one record: two birth dossiers of the same child (the
            # same mother, date of birth and name; twins have other names)
            # cannot both register it, even when approved at the same moment.
            models.UniqueConstraint(
                fields=["mother", "birth_date", "search_name"],
                condition=models.Q(source__startswith="birth:", mother__isnull=False),
                name="person_one_birth_per_child",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.birth_date.year})"

    @property
    def ethnicity_name(self) -> str:
        from citizens.reference import ETHNICITY_NAMES

        return ETHNICITY_NAMES.get(self.ethnicity, self.ethnicity)

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def father_display(self) -> str:
        return self.father.full_name if self.father_id else self.father_name

    @property
    def mother_display(self) -> str:
        return self.mother.full_name if self.mother_id else self.mother_name


class PersonVersion(models.Model):
    """A past state of a person: the record as it was from ``valid_from`` until
    ``valid_until`` (when the change described here replaced it)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    dossier_ref = models.CharField(_("dossier"), max_length=40, blank=True)
    changed_fields = models.JSONField(default=list)

    class Meta:
        verbose_name = _("person version")
        ordering = ["person", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="person_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} v{self.version}"


class Household(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("household number"), max_length=20, unique=True)
    address = models.CharField(_("address"), max_length=255)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("administrative unit"),
    )
    head = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="headed_households"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class HouseholdVersion(models.Model):
    """A past state of a household's own fields (members have dated memberships)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    changed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    dossier_ref = models.CharField(_("dossier"), max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "version"], name="household_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} v{self.version}"


class HouseholdMembership(models.Model):
    """Membership of a household over a period: moving ends one and starts another."""

    class ResidenceType(models.TextChoices):
        PERMANENT = "permanent", _("permanent residence")
        TEMPORARY = "temporary", _("temporary residence")

    # membership_household (household_id, end_date) serves every lookup by household.
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="memberships", db_index=False
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("relation to the head"), max_length=20)
    residence_type = models.CharField(
        max_length=10, choices=ResidenceType.choices, default=ResidenceType.PERMANENT
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    dossier_ref = models.CharField(_("dossier"), max_length=40, blank=True)
    end_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("household membership")
        indexes = [models.Index(fields=["household", "end_date"], name="membership_household")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(end_date__isnull=True, residence_type="permanent"),
                name="one_active_permanent_membership",
            ),
            # A dossier starts at most one membership of a person.
            models.UniqueConstraint(
                fields=["person", "dossier_ref"],
                condition=~models.Q(dossier_ref=""),
                name="membership_once_per_dossier",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} ({self.relation})"


class AccessLog(models.Model):
    """Who read a person's record, when, why. Append-only for the application
    (and, on PostgreSQL, for the database role too: a trigger refuses UPDATE/DELETE)."""

    class Channel(models.TextChoices):
        STAFF_UI = "staff_ui", _("back office")
        AGENCY_API = "agency_api", _("agency system")
        PREFILL = "prefill", _("form prefill")
        GUARDIAN = "guardian", _("parent or guardian")

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_logs")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=500)
    dossier_ref = models.CharField(_("dossier"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("access-log entry")
        verbose_name_plural = _("access log")
        indexes = [models.Index(fields=["person", "-at"], name="accesslog_person_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.channel} {self.person_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The access log is append-only.")


class IdentityLink(models.Model):
    """An e-account linked to a population record, at an identity level."""

    class Level(models.IntegerChoices):
        BASIC = 1, _("level 1: ID number, name and date of birth matched")
        VERIFIED = 2, _("level 2: identity document checked")

    class Method(models.TextChoices):
        SELF = "self", _("entered by the account holder")
        COUNTER = "counter", _("checked at a one-stop counter")
        OIDC = "oidc", _("national identity provider")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="identity")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="account_link")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    linked_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identity link")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.person_id} (level {self.level})"


class CorrectionRequest(models.Model):
    """A request to correct a record: applied only when another officer approves."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting decision")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="corrections")
    changes = models.JSONField(_("proposed values"))
    reason = models.CharField(_("reason"), max_length=1000)
    document = models.FileField(
        _("supporting document"), upload_to="corrections/%Y/%m/", blank=True
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=1000, blank=True)

    class Meta:
        verbose_name = _("correction request")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="correction_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status}"


class AgencyApiCredential(models.Model):
    """An API key for another agency's system (not a user's session).

    The key is shown once when issued: ``<prefix>.<secret>``; only a hash of the
    secret is stored. The purpose decides which fields a lookup returns
    (``citizens.agency_api.purposes.PURPOSES``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="api_credentials")
    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=40)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=128)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agency API credential")

    def __str__(self) -> str:
        return f"{self.agency.code}: {self.name} ({self.purpose})"


def staff_roles_key(user_id: object) -> str:
    return f"staff:roles:{user_id}"


def forget_staff_roles(sender, instance: StaffMembership | Agency, **kwargs) -> None:
    """``post_save``/``post_delete`` of a membership or an agency: the users
    concerned have their roles read again on their next request."""
    if isinstance(instance, StaffMembership):
        user_ids = [instance.user_id]
    else:
        user_ids = list(
            StaffMembership.objects.filter(agency_id=instance.pk).values_list("user_id", flat=True)
        )
    caches["local"].delete_many([staff_roles_key(user_id) for user_id in user_ids])


class PopulationImport(models.Model):
    """One run of ``manage.py import_population`` (not of a dry run): written
    when it starts (``running``, committed on its own, so a killed import
    leaves its row) and when it ends (``done`` with the counts, or ``failed``
    with the error). The back office lists the failed runs, those with
    rejected rows and those still running too long (docs/failures.md).

    No personal data: the file's name (never its folders), counts, and an
    error about the file's format or the exception's class only."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    file_name = models.CharField(_("file"), max_length=255)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    inserted = models.PositiveIntegerField(_("new"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    rejects_file = models.CharField(_("rejects file"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)

    class Meta:
        verbose_name = _("population import")
        verbose_name_plural = _("population imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.status} {self.started_at:%Y-%m-%d %H:%M}"

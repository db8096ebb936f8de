"""Administrative units, accounts, agencies and staff roles.

The population records themselves (persons, households) come with the
population-database work; this module holds what every other part stands on.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
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
        return list(
            self.memberships.filter(is_active=True, agency__is_active=True)
            .select_related("agency", "agency__unit")
            .order_by("agency__name", "role")
        )

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

"""Statistics: one fact row per dossier, and daily roll-ups of the facts.

A fact holds no personal data (no name, no ID number, no answers): only the
dossier's code, where and how it was filed, its dates and its outcome. Facts
and roll-ups reference agencies, units and procedures (which are never
deleted) but not the dossier: they stay when dossiers are purged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a dossier reached the portal, as the statistics count it."""

    ONLINE_FULL = "online_full", _("online, fully (level 4)")
    ONLINE_PARTIAL = "online_partial", _("online, partly (level 3)")
    COUNTER = "counter", _("at the counter")
    POST = "post", _("by post")
    LINKED = "linked", _("handed on by another agency")


ONLINE_CHANNELS = (Channel.ONLINE_FULL, Channel.ONLINE_PARTIAL)


class Outcome(models.TextChoices):
    OPEN = "open", _("in progress")
    APPROVED = "approved", _("resolved")
    REJECTED = "rejected", _("rejected")
    REFUSED = "refused", _("refused at intake")
    WITHDRAWN = "withdrawn", _("withdrawn")
    NOT_RECEIVED = "not_received", _("not yet received")


class DossierFact(models.Model):
    """What the statistics know of one dossier (kept in step by ``stats.facts``)."""

    dossier_id = models.UUIDField(primary_key=True)
    code = models.CharField(max_length=30)
    agency = models.ForeignKey("citizens.Agency", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "citizens.AdministrativeUnit", on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="+"
    )
    field = models.ForeignKey("procedures.Field", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    received_on = models.DateField(null=True)
    due_date = models.DateField(null=True)
    resolved_on = models.DateField(null=True, help_text="The day the result was ready.")
    closed_on = models.DateField(null=True, help_text="The day it was refused or withdrawn.")
    on_time = models.BooleanField(null=True)
    apologised = models.BooleanField(default=False)
    paused = models.BooleanField(default=False, help_text="Awaiting a supplement now.")
    processing_days = models.PositiveIntegerField(null=True)
    supplement_dates = ArrayField(models.DateField(), default=list, blank=True)
    fee = models.PositiveIntegerField(default=0)
    paid_online = models.BooleanField(default=False)
    digitised = models.BooleanField(default=False, help_text="Its documents are digital.")
    reused_data = models.BooleanField(
        default=False, help_text="Filled from the population database or the wallet."
    )
    result_digital = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(null=True)
    rated_on = models.DateField(null=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dossier fact")
        indexes = [
            models.Index(fields=["received_on", "agency"], name="fact_received"),
            models.Index(fields=["resolved_on", "agency"], name="fact_resolved"),
            models.Index(fields=["agency", "procedure", "channel"], name="fact_cell"),
            models.Index(
                fields=["agency", "due_date"],
                name="fact_open",
                condition=models.Q(outcome="open"),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class DailyFigure(models.Model):
    """The figures of one day, agency, procedure and channel (roll-up of the facts).

    Each measure counts on its own day: ``received`` on the receipt day,
    ``resolved*`` on the day the result was ready, ``refused``/``withdrawn`` on
    the day that happened, ``supplements`` on the day one was asked, ratings
    on the day given.
    """

    day = models.DateField()
    agency = models.ForeignKey("citizens.Agency", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "citizens.AdministrativeUnit", on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="+"
    )
    field = models.ForeignKey("procedures.Field", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    received = models.PositiveIntegerField(default=0)
    received_digitised = models.PositiveIntegerField(default=0)
    received_reused = models.PositiveIntegerField(default=0)
    received_with_fee = models.PositiveIntegerField(default=0)
    received_paid_online = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    resolved_late_apologised = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    results_digital = models.PositiveIntegerField(default=0)
    processing_days = models.PositiveIntegerField(default=0, help_text="Sum, for the average.")
    refused = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    supplements = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily figure")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "procedure", "channel"], name="dailyfigure_cell"
            )
        ]
        indexes = [
            models.Index(fields=["day", "agency"], name="dailyfigure_day"),
            models.Index(fields=["agency", "day"], name="dailyfigure_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.received} received"


class DailyDuration(models.Model):
    """How many dossiers resolved that day took ``days`` working days (for the
    90th percentile); ``days`` is capped at ``DURATION_CAP``."""

    day = models.DateField()
    agency = models.ForeignKey("citizens.Agency", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "citizens.AdministrativeUnit", on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.PROTECT, related_name="+"
    )
    field = models.ForeignKey("procedures.Field", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    days = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "procedure", "channel", "days"],
                name="dailyduration_cell",
            )
        ]
        indexes = [models.Index(fields=["day", "agency"], name="dailyduration_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.count} × {self.days} days"


DURATION_CAP = 60


class ReportSubscription(models.Model):
    """An agency head who asked for the weekly e-mail of key figures."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stats_subscriptions"
    )
    agency = models.ForeignKey("citizens.Agency", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("weekly report subscription")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="stats_subscription_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.agency}"


class StatsState(models.Model):
    """One row: a version bumped whenever figures change (the cache key), and
    when the catch-up last ran."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)
    caught_up_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"statistics version {self.version}"

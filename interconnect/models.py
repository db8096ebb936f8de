"""Handoffs between agencies: an outbox of what one agency passes on to another.

A ``Handoff`` row is written in the same transaction as the state change that
causes it (e.g. the ward approving a birth), then delivered by a Celery task
through its delivery channel (``interconnect.channels``) after commit; a beat
job re-sends what stays pending. Its ``key`` is the idempotency key: one
handoff per dossier and target, whatever runs twice. The target is the name a
procedure handler gives the work it hands on (``HandoffSpec.target``): any
name, those of the birth's interconnection shown with their own labels.
Every message exchanged for it is a ``HandoffMessage`` (append-only).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency


class Handoff(models.Model):
    # The targets of the birth's interconnection (Decree 63/2024), with their
    # labels; a handler may name any other.
    class Target(models.TextChoices):
        RESIDENCE = "residence", _("ward police: permanent residence")
        INSURANCE = "insurance", _("social insurance: health-insurance card")
        CIVIL_REGISTRY = "civil_registry", _("civil-status registry (Ministry of Justice)")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be delivered")
        DELIVERED = "delivered", _("delivered, being processed")
        COMPLETED = "completed", _("completed")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("delivery failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.CharField(
        _("idempotency key"),
        max_length=80,
        unique=True,
        help_text=_("One handoff per dossier and target: <dossier code>:<target>."),
    )
    dossier = models.ForeignKey(
        "onecounter.Dossier", on_delete=models.PROTECT, related_name="handoffs"
    )
    target = models.CharField(_("to"), max_length=40)
    channel = models.CharField(
        _("delivery channel"),
        max_length=20,
        default="internal",
        help_text=_("How it is delivered (interconnect.channels): internal, civil_registry."),
    )
    handler = models.CharField(
        _("receiving handler"),
        max_length=40,
        blank=True,
        help_text=_("The procedure handler the receiving agency works it with."),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoffs_received",
        help_text=_("The receiving agency (empty for a system outside this deployment)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    payload = models.JSONField(
        _("what is handed on"),
        default=dict,
        help_text=_("Only the fields the receiving agency needs."),
    )
    payload_sha256 = models.CharField(max_length=64, blank=True)
    agency_dossier = models.OneToOneField(
        "onecounter.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoff_in",
        help_text=_("The dossier in the receiving agency's queue (one per handoff)."),
    )
    external_reference = models.CharField(max_length=100, blank=True)
    budget_days = models.PositiveSmallIntegerField(_("time budget (working days)"), default=2)
    due_date = models.DateField(_("due by"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    outcome_note = models.TextField(
        _("outcome"), blank=True, help_text=_("A refusal's reason, or what the receiver said.")
    )

    class Meta:
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="handoff_pending",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["dossier", "target"], name="handoff_dossier"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "target"], name="handoff_once_per_target"),
        ]

    def __str__(self) -> str:
        return self.key

    def get_target_display(self) -> str:
        """The target's label for a target of the birth's interconnection, else its name."""
        try:
            return str(self.Target(self.target).label)
        except ValueError:
            return self.target


class HandoffMessage(models.Model):
    """One message exchanged for a handoff, as sent or received. Append-only."""

    class Direction(models.TextChoices):
        OUT = "out", _("sent")
        IN = "in", _("received")

    id = models.UUIDField(_("message id"), primary_key=True, default=uuid.uuid4, editable=False)
    handoff = models.ForeignKey(Handoff, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    dossier_ref = models.CharField(_("dossier"), max_length=40)
    kind = models.CharField(max_length=40, help_text=_("e.g. deliver, callback, decision, retry"))
    request_sha256 = models.CharField(max_length=64, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("handoff message")
        ordering = ["handoff", "started_at"]

    def __str__(self) -> str:
        return f"{self.dossier_ref} {self.direction} {self.kind}"

"""What operators record about failed background work (see docs/failures.md).

A failure itself is not stored here: it is the state of the row that failed
(a dossier event, a PDF, a notice, a payment, a handoff, a population
import run) and
``operations.failures`` reads it where it is. Stored here are only:

- ``FailureResolution``: "marked handled, with a reason", by whom and when.
  A handled failure leaves the open list and stays in the "handled" view. A
  retry or a resend closes the resolution (``active`` false, the record kept):
  if the work fails again, it is open again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FailureKind(models.TextChoices):
    EVENT = "event", _("step's slips, results and notice")
    DOCUMENT = "document", _("PDF rendering")
    NOTICE = "notice", _("notice (email, SMS)")
    PAYMENT = "payment", _("payment awaiting the provider")
    HANDOFF = "handoff", _("handoff to another agency")
    REGISTRY = "registry", _("post to the civil-status registry")
    IMPORT = "import", _("population import")


class FailureResolution(models.Model):
    """An operator's "handled" on one failure: kind, the object's key (its
    primary key as text), the reason, who and when. Never deleted."""

    kind = models.CharField(_("kind"), max_length=12, choices=FailureKind.choices)
    object_key = models.CharField(_("object"), max_length=64)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("handled at"), default=timezone.now)
    active = models.BooleanField(
        default=True,
        help_text=_("Cleared when the work is retried or resent (the record stays)."),
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("failure marked handled")
        verbose_name_plural = _("failures marked handled")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key"],
                condition=models.Q(active=True),
                name="failure_resolution_one_active",
            ),
        ]
        indexes = [models.Index(fields=["kind", "object_key"], name="failure_resolution_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_key}"

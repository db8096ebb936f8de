"""The exceptions to the Monday-Friday working week."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An exception to the Monday-Friday working week: a public holiday (or a day
    off swapped by the government) or a make-up working day (usually a Saturday).
    Administrators edit it; ``seed_calendar`` loads the official days 2025-2027."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday or day off")
        WORKING = "working", _("make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)

    class Meta:
        # The table of the one-stop app it was first part of (moved without copying).
        db_table = "onecounter_calendarday"
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"

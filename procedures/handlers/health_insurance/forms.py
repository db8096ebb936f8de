"""The page of the health-insurance card for a child under 6."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from procedures.handlers.form import validate_id_number_field


class ChildCardForm(forms.Form):
    child_id_number = forms.CharField(
        label=_("The child's personal ID number"),
        min_length=12,
        max_length=12,
        validators=[validate_id_number_field],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("The child must be under 6 on the day you file."),
    )
    health_facility = forms.CharField(
        label=_("Health-care facility for first registration"),
        max_length=200,
        help_text=_("Where the child will be registered for primary care."),
    )

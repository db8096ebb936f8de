"""The page of the health-insurance card for a child under 6."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from procedures.handlers.form import validate_id_number_field

# What to do when a required answer is missing (the page and
# ``HealthInsuranceHandler.validate`` say the same).
REQUIRED_MESSAGES = {
    "child_id_number": _("Enter the child's personal ID number"),
    "health_facility": _("Enter the health-care facility for first registration"),
}
ID_NUMBER_LENGTH = _("A personal ID number has 12 digits")


class ChildCardForm(forms.Form):
    child_id_number = forms.CharField(
        label=_("The child's personal ID number"),
        min_length=12,
        max_length=12,
        validators=[validate_id_number_field],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("The child must be under 6 on the day you file."),
        error_messages={
            "required": REQUIRED_MESSAGES["child_id_number"],
            "min_length": ID_NUMBER_LENGTH,
            "max_length": ID_NUMBER_LENGTH,
        },
    )
    health_facility = forms.CharField(
        label=_("Health-care facility for first registration"),
        max_length=200,
        help_text=_("Where the child will be registered for primary care."),
        error_messages={"required": REQUIRED_MESSAGES["health_facility"]},
    )

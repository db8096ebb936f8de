"""The page of the permanent residence registration (a server-rendered form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from citizens.reference import RELATIONS
from procedures.handlers.form import DateInput, validate_id_number_field

YES, NO = "yes", "no"
RELATIVES_HOME = "relatives_home"
# What to do when a required answer is missing, one message a question (the
# page and ``ResidenceHandler.validate`` say the same).
REQUIRED_MESSAGES = {
    "person_id_number": _("Enter the personal ID number of the person registering"),
    "household_number": _("Enter the household number of the household to join"),
    "relation": _("Select the relation to the head of household"),
    "legal_basis": _("Select what makes the home lawful"),
    "start_date": _("Enter the date you have lived there since"),
}
ID_NUMBER_LENGTH = _("A personal ID number has 12 digits")
LEGAL_BASES = [
    ("owned_home", _("A home I own")),
    ("rented_home", _("A home I rent or borrow")),
    (RELATIVES_HOME, _("A relative's home, with the head of household's consent")),
]


class ResidenceForm(forms.Form):
    person_id_number = forms.CharField(
        label=_("Personal ID number of the person registering"),
        min_length=12,
        max_length=12,
        validators=[validate_id_number_field],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Your own, or your minor child's."),
        error_messages={
            "required": REQUIRED_MESSAGES["person_id_number"],
            "min_length": ID_NUMBER_LENGTH,
            "max_length": ID_NUMBER_LENGTH,
        },
    )
    household_number = forms.CharField(
        label=_("Household number of the household to join"),
        max_length=20,
        error_messages={"required": REQUIRED_MESSAGES["household_number"]},
    )
    relation = forms.ChoiceField(
        label=_("Relation to the head of household"),
        choices=RELATIONS,
        error_messages={
            "required": REQUIRED_MESSAGES["relation"],
            "invalid_choice": REQUIRED_MESSAGES["relation"],
        },
    )
    legal_basis = forms.ChoiceField(
        label=_("Lawful home"),
        choices=LEGAL_BASES,
        widget=forms.RadioSelect,
        error_messages={
            "required": REQUIRED_MESSAGES["legal_basis"],
            "invalid_choice": REQUIRED_MESSAGES["legal_basis"],
        },
    )
    head_consents = forms.ChoiceField(
        label=_("Does the head of household consent?"),
        choices=[(YES, _("Yes")), (NO, _("No"))],
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Needed when you join someone else's household."),
    )
    start_date = forms.DateField(
        label=_("Living there since"),
        widget=DateInput,
        error_messages={
            "required": REQUIRED_MESSAGES["start_date"],
            "invalid": _("Enter the date as a real date, for example 17/05/2026"),
        },
    )

    def clean_household_number(self) -> str:
        return self.cleaned_data["household_number"].strip()

    def clean(self):
        data = super().clean()
        if data.get("legal_basis") == RELATIVES_HOME and data.get("head_consents") != YES:
            self.add_error("head_consents", CONSENT_NEEDED)
        return data


CONSENT_NEEDED = _("The head of household must consent before you join their household.")

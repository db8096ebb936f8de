"""The page of the permanent residence registration (a server-rendered form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from citizens.reference import RELATIONS
from procedures.handlers.form import DateInput, validate_id_number_field

YES, NO = "yes", "no"
RELATIVES_HOME = "relatives_home"
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
    )
    household_number = forms.CharField(
        label=_("Household number of the household to join"), max_length=20
    )
    relation = forms.ChoiceField(label=_("Relation to the head of household"), choices=RELATIONS)
    legal_basis = forms.ChoiceField(
        label=_("Lawful home"), choices=LEGAL_BASES, widget=forms.RadioSelect
    )
    head_consents = forms.ChoiceField(
        label=_("Does the head of household consent?"),
        choices=[(YES, _("Yes")), (NO, _("No"))],
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Needed when you join someone else's household."),
    )
    start_date = forms.DateField(label=_("Living there since"), widget=DateInput)

    def clean_household_number(self) -> str:
        return self.cleaned_data["household_number"].strip()

    def clean(self):
        data = super().clean()
        if data.get("legal_basis") == RELATIVES_HOME and data.get("head_consents") != YES:
            self.add_error("head_consents", CONSENT_NEEDED)
        return data


CONSENT_NEEDED = _("The head of household must consent before you join their household.")

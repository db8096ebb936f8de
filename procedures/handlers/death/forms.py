"""The page of a death declaration (Tờ khai đăng ký khai tử, Circular 04/2020/TT-BTP)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from procedures.handlers.form import DateInput, validate_id_number_field

# Who declares the death (Civil Status Law 2014, art. 33: a relative of the deceased).
DECLARER_RELATIONS = [
    ("spouse", _("Spouse")),
    ("child", _("Child")),
    ("parent", _("Parent")),
    ("sibling", _("Brother or sister")),
    ("relative", _("Another relative")),
]
CAUSES = [
    ("illness", _("Illness")),
    ("old_age", _("Old age")),
    ("accident", _("Accident")),
    ("other", _("Other")),
]
# What to do when a required answer is missing (the page and
# ``DeathHandler.validate`` say the same).
REQUIRED_MESSAGES = {
    "declarer_relation": _("Say how you are related to the deceased"),
    "deceased_id_number": _("Enter the personal ID number of the deceased"),
    "date_of_death": _("Enter the date of death"),
    "place_of_death": _("Enter the place of death"),
}
ID_NUMBER_LENGTH = _("A personal ID number has 12 digits")


class DeathForm(forms.Form):
    declarer_relation = forms.ChoiceField(
        label=_("Your relation to the deceased"),
        choices=DECLARER_RELATIONS,
        widget=forms.RadioSelect,
        error_messages={"required": REQUIRED_MESSAGES["declarer_relation"]},
    )
    deceased_id_number = forms.CharField(
        label=_("Personal ID number of the deceased"),
        min_length=12,
        max_length=12,
        validators=[validate_id_number_field],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": REQUIRED_MESSAGES["deceased_id_number"],
            "min_length": ID_NUMBER_LENGTH,
            "max_length": ID_NUMBER_LENGTH,
        },
    )
    date_of_death = forms.DateField(
        label=_("Date of death"),
        widget=DateInput,
        error_messages={"required": REQUIRED_MESSAGES["date_of_death"]},
    )
    place_of_death = forms.CharField(
        label=_("Place of death"),
        max_length=255,
        help_text=_("The hospital, or the address where the person died."),
        error_messages={"required": REQUIRED_MESSAGES["place_of_death"]},
    )
    cause_of_death = forms.ChoiceField(
        label=_("Cause of death"), choices=[("", "—"), *CAUSES], required=False
    )
    death_notice_number = forms.CharField(
        label=_("Number of the death notice"),
        max_length=40,
        required=False,
        help_text=_("As written on the death notice (giấy báo tử), if it has one."),
    )


def date_answer(value: Any) -> dt.date | None:
    """A date answer as the dossier keeps it (ISO text), or as the page cleaned it."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None

"""An answer of a dossier as a person reads it: one formatting for the
citizen's check page, the clerk's dossier page and the counter intake.

A choice shows its label, a date is dd/mm/yyyy, yes/no is written out and an
address is its line followed by its ward and province by name ("929 đường La
Thành, Phường Long Biên, Thành phố Hà Nội"), never the unit's code.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.choices import CallableChoiceIterator
from django.utils.translation import gettext as _

from citizens.models import AdministrativeUnit
from egov.text import address_with_unit

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def choice_labels(field: forms.Field | None) -> dict[str, str]:
    """The labels of a choice question by stored value (e.g. "grandparent" →
    "Grandparent"). Only fixed choices: those read from the database when the
    form is shown (model choices, wards) are not read here (an address's ward
    is named by ``unit_text``)."""
    if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.ModelChoiceField):
        return {}
    choices = field.choices
    if isinstance(choices, CallableChoiceIterator):
        return {}
    labels: dict[str, str] = {}
    for value, label in choices:
        if isinstance(label, list | tuple):  # a group of choices
            labels.update({str(v): str(text) for v, text in label})
        else:
            labels[str(value)] = str(label)
    return labels


def unit_text(code: Any) -> str:
    """An administrative unit by name with its province ("Phường Long Biên,
    Thành phố Hà Nội"); the code as stored when no unit has it."""
    if not code:
        return ""
    units = AdministrativeUnit.objects.filter(code=str(code)).select_related("parent")
    # A current unit before an older one of the same code.
    unit = units.filter(era=AdministrativeUnit.Era.CURRENT).first() or units.first()
    if unit is None:
        return str(code)
    names = [unit.display_name]
    if unit.parent is not None:
        names.append(unit.parent.display_name)
    return ", ".join(names)


def address_text(value: dict[str, Any]) -> str:
    return address_with_unit(str(value.get("address") or ""), unit_text(value.get("unit_code")))


def answer_text(
    value: Any, field: forms.Field | None = None, choices: dict[str, str] | None = None
) -> str:
    """An answer as text ("" when there is none). ``choices`` (labels by value)
    default to the question's own."""
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if choices is None:
        choices = choice_labels(field)
    if isinstance(value, list):
        return ", ".join(choices.get(str(v), "") or answer_text(v) for v in value)
    if isinstance(value, dict):
        if value.get("paper_original_checked"):
            return _("Paper original checked at the counter")
        if "address" in value or "unit_code" in value:
            return address_text(value)
        return "; ".join(f"{k}: {answer_text(v)}" for k, v in value.items() if v not in (None, ""))
    if choices and str(value) in choices:
        return str(choices[str(value)])
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)

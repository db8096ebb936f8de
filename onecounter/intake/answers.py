"""The answers of a dossier: how they are held, and how a person reads them.

Held. Answers are JSON values, one key per question (dates in ISO format,
model choices by their primary key), whether they wait in a draft's
``Dossier.data`` (online) or in the clerk's session between the pages of a
counter intake. ``page_values`` turns a checked page form into them,
``initial_values`` and ``form_data`` turn them back into what a form shows or
a browser would post (to check them again). Keys of ``Dossier.data`` starting
with "_" are the intake's own bookkeeping, not answers (``PREFILLED``: the
answers taken from the population database, shown read-only).

A file question is never held here online (the file is an ``Attachment``); at
the counter, where files are not scanned, it is a tick box
(``PaperCheckedField``) held as ``{"paper_original_checked": True}``.

Read. One formatting for the citizen's check page, the clerk's dossier page and
the counter intake: a choice shows its label, a date is dd/mm/yyyy, yes/no is
written out and an address is its line followed by its ward and province by
name ("929 đường La Thành, Phường Long Biên, Thành phố Hà Nội"), never the
unit's code.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.base import File
from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from citizens.models import AdministrativeUnit
from egov.text import address_with_unit

if TYPE_CHECKING:
    from onecounter.models import Dossier

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The key of ``Dossier.data`` listing the answers taken from the population
# database (shown read-only). Keys starting with "_" are not answers.
PREFILLED = "_prefilled"
# How a file question the clerk ticked is held (files are not scanned at the counter).
PAPER_CHECKED = {"paper_original_checked": True}


class PaperCheckedField(forms.BooleanField):
    """Stands in for a file question at the counter: the clerk has seen the paper original."""


# --- Held: cleaned form data <-> JSON <-> form data ----------------------------------------


def answers_of(dossier: Dossier) -> dict[str, Any]:
    """The answers, without the intake's own bookkeeping (``_prefilled``)."""
    return {k: v for k, v in (dossier.data or {}).items() if not k.startswith("_")}


def prefilled_keys(dossier: Dossier) -> set[str]:
    return set((dossier.data or {}).get(PREFILLED, []))


def serialise(value: Any) -> Any:
    """A cleaned form value as JSON-friendly data (dates ISO, model choices by key)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return serialise(value.pk)
    if isinstance(value, Mapping):
        return {str(k): serialise(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [serialise(v) for v in value]
    return value


def page_values(
    cleaned_data: Mapping[str, Any], fields: Mapping[str, forms.Field]
) -> dict[str, Any]:
    """A checked page's answers as they are held: those of ``fields`` only (the
    questions to keep), a file never (it is attached, not held), a ticked
    paper original as ``PAPER_CHECKED`` (None when not ticked)."""
    values: dict[str, Any] = {}
    for name, value in cleaned_data.items():
        field = fields.get(name)
        if field is None or isinstance(value, File):
            continue
        if isinstance(field, PaperCheckedField):
            values[name] = dict(PAPER_CHECKED) if value else None
        else:
            values[name] = serialise(value)
    return values


def merge_pages(
    held: Mapping[str, Mapping[str, Any]], pages: Iterable[int] | None = None
) -> dict[str, Any] | None:
    """Answers held page by page (``{"<page>": {key: value}}``, the counter
    intake's session) in one mapping. With ``pages``: those pages' answers, or
    None while one of them is not held yet."""
    if pages is None:
        return {k: v for values in held.values() for k, v in values.items()}
    data: dict[str, Any] = {}
    for page in pages:
        if str(page) not in held:
            return None
        data.update(held[str(page)])
    return data


def revive(field: forms.Field, value: Any) -> Any:
    """A held value in the shape the field's widget expects for display.

    Multi-part widgets (e.g. a date as day/month/year boxes) decompress a date,
    not its ISO text; a paper original's tick box shows whether it was ticked;
    other widgets show the held text as it is."""
    if isinstance(field, PaperCheckedField):
        return bool(value)
    if (
        isinstance(field.widget, forms.MultiWidget)
        and isinstance(value, str)
        and ISO_DATE.match(value)
    ):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def initial_values(form: forms.Form, data: Mapping[str, Any]) -> dict[str, Any]:
    """Held answers as the initial values of ``form``'s questions."""
    return {name: revive(field, data[name]) for name, field in form.fields.items() if name in data}


def form_data(form: forms.Form, values: Mapping[str, Any]) -> MultiValueDict:
    """Held answers as the data a browser would post for ``form`` (to check them)."""
    data = MultiValueDict()
    for name, field in form.fields.items():
        if name not in values:
            continue
        key = form.add_prefix(name)
        value = revive(field, values[name])
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value) if value not in (None, "") else []
            for suffix, part in zip(widget.widgets_names, parts, strict=False):
                data[f"{key}{suffix}"] = "" if part is None else str(part)
        elif isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                data[key] = "on" if isinstance(widget, forms.CheckboxInput) else "True"
            elif not isinstance(widget, forms.CheckboxInput):
                data[key] = "False"
        elif value is None:
            data[key] = ""
        else:
            data[key] = str(value)
    return data


# --- Read: an answer as text -----------------------------------------------------------------


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

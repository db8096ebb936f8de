"""Forms of the citizen's own space: linking an account, asking for a correction.

Forms only check and shape input; the services in ``citizens.population``
decide. A date is asked as three boxes (day, month, year), as GOV.UK does:
easier to type on a phone than a date picker, and readable by screen readers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from citizens.models import Person
from citizens.population import CORRECTABLE_FIELDS
from citizens.reference import ETHNICITIES, ETHNICITY_NAMES
from egov.errors import ValidationFailed
from egov.uploads import clean_document

# --- Date as three boxes ---------------------------------------------------------


class DatePartsWidget(forms.MultiWidget):
    """Day, month and year boxes in a fieldset (the field's label is the legend).

    Rendered with the project's template engine (the default form renderer
    only looks in the apps' template folders).
    """

    template_name = "citizens/record/widgets/date_parts.html"
    use_fieldset = True

    def __init__(self, attrs: dict | None = None, *, autocomplete: str = ""):
        def box(width: int, maxlength: int, part: str) -> forms.TextInput:
            box_attrs = {
                "inputmode": "numeric",
                "maxlength": str(maxlength),
                "class": f"date-input__input input--width-{width}",
                "spellcheck": "false",
            }
            if autocomplete:
                box_attrs["autocomplete"] = f"{autocomplete}-{part}"
            return forms.TextInput(attrs=box_attrs)

        widgets = {
            "day": box(2, 2, "day"),
            "month": box(2, 2, "month"),
            "year": box(4, 4, "year"),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list:
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the first box.
        return f"{id_}_day" if id_ else ""

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        parts = [("day", _("Day")), ("month", _("Month")), ("year", _("Year"))]
        id_ = context["widget"]["attrs"].get("id")
        for subwidget, (part, label) in zip(context["widget"]["subwidgets"], parts, strict=True):
            subwidget["label"] = label
            subwidget["part"] = part
            if id_:
                subwidget["attrs"]["id"] = f"{id_}_{part}"
        return context

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> str:
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))


class DatePartsField(forms.MultiValueField):
    """A date typed as day, month, year, with messages that say which part is wrong.

    ``noun`` names the date at the start of a sentence ("Date of birth must...");
    the messages are built when the form is checked, in the visitor's language.
    """

    widget = DatePartsWidget

    def __init__(self, *, noun: Any, past_only: bool = True, **kwargs: Any):
        self.noun = noun
        self.past_only = past_only
        parts = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def _error(self, message: Any, code: str) -> forms.ValidationError:
        return forms.ValidationError(message % {"noun": self.noun}, code=code)

    def compress(self, data_list: list) -> dt.date | None:
        if not data_list or not any(data_list):
            return None
        day, month, year = (str(part or "").strip() for part in data_list)
        missing = [
            name for name, part in (("day", day), ("month", month), ("year", year)) if not part
        ]
        if len(missing) > 1:
            raise self._error(_("%(noun)s must include a day, a month and a year."), "incomplete")
        if missing == ["day"]:
            raise self._error(_("%(noun)s must include a day."), "incomplete")
        if missing == ["month"]:
            raise self._error(_("%(noun)s must include a month."), "incomplete")
        if missing == ["year"]:
            raise self._error(_("%(noun)s must include a year."), "incomplete")
        real_date = _("%(noun)s must be a real date, for example 27 3 1985.")
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise self._error(real_date, "invalid")
        try:
            value = dt.date(int(year), int(month), int(day))
        except ValueError:
            raise self._error(real_date, "invalid") from None
        if value.year < 1900:
            raise self._error(_("%(noun)s must be in 1900 or later."), "too_early")
        if self.past_only and value > timezone.localdate():
            raise self._error(_("%(noun)s must be today or in the past."), "future")
        return value


# --- Linking an account (identity level 1) -------------------------------------------


class LinkForm(forms.Form):
    id_number = forms.CharField(
        label=_("Personal identification number"),
        help_text=_("The 12 digits on your citizen identity card, for example 001085012345."),
        max_length=20,
        error_messages={"required": _("Enter your personal identification number.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "input--width-12",
            }
        ),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        help_text=_("As it is written on your identity card."),
        max_length=150,
        error_messages={"required": _("Enter your full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    birth_date = DatePartsField(
        label=_("Date of birth"),
        help_text=_("For example, 27 3 1985."),
        noun=_("Date of birth"),
        error_messages={"required": _("Enter your date of birth.")},
        widget=DatePartsWidget(autocomplete="bday"),
    )

    def clean_id_number(self) -> str:
        number = re.sub(r"[\s.\-]", "", self.cleaned_data["id_number"])
        if len(number) != 12 or not number.isdigit():
            raise forms.ValidationError(
                _("A personal identification number has exactly 12 digits."), code="id_format"
            )
        return number


# --- Correction requests -----------------------------------------------------------

SEX_CHOICES = [("M", _("Male")), ("F", _("Female"))]

CORRECTION_LABELS: dict[str, Any] = {
    "full_name": _("Full name"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "ethnicity": _("Ethnicity"),
    "religion": _("Religion"),
    "nationality": _("Nationality"),
    "birth_place": _("Place of birth"),
    "native_place": _("Native place (quê quán)"),
    "permanent_address": _("Permanent residence address"),
    "current_address": _("Current residence address"),
    "father_name": _("Father's full name"),
    "mother_name": _("Mother's full name"),
    "spouse_name": _("Spouse's full name"),
}

ACCEPTED_DOCUMENTS = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def correction_initial(person: Person) -> dict[str, Any]:
    """The record's current values as the form shows them. A parent or spouse
    linked to their own record is shown by name."""
    initial = {field: getattr(person, field) for field in CORRECTABLE_FIELDS}
    initial["father_name"] = person.father_display
    initial["mother_name"] = person.mother_display
    initial["spouse_name"] = person.spouse.full_name if person.spouse_id else person.spouse_name
    return initial


class CorrectionForm(forms.Form):
    """Every correctable detail, prefilled; only what the citizen changed is sent."""

    full_name = forms.CharField(
        label=CORRECTION_LABELS["full_name"],
        max_length=150,
        error_messages={"required": _("Enter the full name.")},
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    birth_date = DatePartsField(
        label=CORRECTION_LABELS["birth_date"],
        help_text=_("For example, 27 3 1985."),
        noun=_("Date of birth"),
        error_messages={"required": _("Enter the date of birth.")},
    )
    sex = forms.ChoiceField(
        label=CORRECTION_LABELS["sex"],
        choices=SEX_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the sex.")},
    )
    ethnicity = forms.ChoiceField(
        label=CORRECTION_LABELS["ethnicity"],
        choices=ETHNICITIES,
        error_messages={"required": _("Select the ethnic group.")},
    )
    religion = forms.CharField(
        label=CORRECTION_LABELS["religion"],
        max_length=60,
        required=False,
        help_text=_("Leave empty if none."),
    )
    nationality = forms.CharField(
        label=CORRECTION_LABELS["nationality"],
        max_length=60,
        error_messages={"required": _("Enter the nationality.")},
    )
    birth_place = forms.CharField(
        label=CORRECTION_LABELS["birth_place"], max_length=255, required=False
    )
    native_place = forms.CharField(
        label=CORRECTION_LABELS["native_place"], max_length=255, required=False
    )
    permanent_address = forms.CharField(
        label=CORRECTION_LABELS["permanent_address"], max_length=255, required=False
    )
    current_address = forms.CharField(
        label=CORRECTION_LABELS["current_address"], max_length=255, required=False
    )
    father_name = forms.CharField(
        label=CORRECTION_LABELS["father_name"], max_length=150, required=False
    )
    mother_name = forms.CharField(
        label=CORRECTION_LABELS["mother_name"], max_length=150, required=False
    )
    spouse_name = forms.CharField(
        label=CORRECTION_LABELS["spouse_name"], max_length=150, required=False
    )
    reason = forms.CharField(
        label=_("What is wrong, and why"),
        help_text=_(
            "For example: my name is spelt wrongly; the birth certificate shows the right spelling."
        ),
        max_length=1000,
        error_messages={"required": _("Explain what is wrong.")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    document = forms.FileField(
        label=_("Supporting document"),
        help_text=_(
            "A scan or photo of a paper that shows the right details, such as a birth "
            "certificate or an identity card. PDF, JPEG or PNG, up to 10 MB."
        ),
        error_messages={
            "required": _("Choose a supporting document."),
            "empty": _("The file is empty."),
        },
        widget=forms.FileInput(attrs={"accept": ACCEPTED_DOCUMENTS}),
    )

    FILE_NOT_KEPT = _(
        "For your security, a file you chose is not kept when there is a problem with the "
        "form. Choose it again."
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any):
        self.person = person
        kwargs.setdefault("initial", correction_initial(person))
        super().__init__(*args, **kwargs)

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return upload
        try:
            return clean_document(upload)
        except ValidationFailed as exc:
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and not self.changes():
            raise forms.ValidationError(
                _("Change at least one detail that is wrong."), code="no_changes"
            )
        return cleaned

    def changes(self) -> dict[str, Any]:
        """Only the details whose value differs from the record's."""
        changed = {}
        for field in CORRECTABLE_FIELDS:
            if field not in self.cleaned_data:
                continue
            new = self.cleaned_data[field]
            old = self.initial.get(field)
            if isinstance(new, str):
                new, old = new.strip(), (old or "").strip()
            if new != old:
                changed[field] = new
        return changed

    def note_file_not_kept(self) -> None:
        """After a refusal: say next to the file box that the file must be chosen again."""
        text = f"{self.fields['document'].help_text} {self.FILE_NOT_KEPT}"
        self.fields["document"].help_text = text
        self["document"].help_text = text  # the bound field copied it when it was checked


def describe_changes(changes: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, new value) pairs for a correction request, in the form's order."""
    described = []
    for field in CORRECTABLE_FIELDS:
        if field not in changes:
            continue
        value = changes[field]
        if field == "birth_date" and value:
            with contextlib.suppress(ValueError):
                value = formats.date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT")
        elif field == "sex":
            value = str(dict(SEX_CHOICES).get(value, value))
        elif field == "ethnicity":
            value = ETHNICITY_NAMES.get(value, value)
        described.append((str(CORRECTION_LABELS[field]), str(value) if value else ""))
    return described

"""Forms of the back-office pages of the population database.

Forms only validate what was typed; the views call the services.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from citizens.idnumbers import validation_errors
from citizens.models import AdministrativeUnit, Person, Sex
from citizens.population import CORRECTABLE_FIELDS
from citizens.reference import ETHNICITIES
from egov.errors import ValidationFailed
from egov.uploads import clean_document

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
DOSSIER_REF = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
MIN_REASON_LENGTH = 10


class DateInput(forms.DateInput):
    """A native date picker; the text forms in DATE_INPUT_FORMATS are accepted too."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _id_number_errors(value: str) -> list[ValidationError]:
    return validation_errors(value)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AdministrativeUnit) -> str:
        return obj.display_name


class PersonSearchForm(forms.Form):
    """Exact personal ID number, or a name with a date of birth and/or a ward."""

    id_number = forms.CharField(
        label=_("Personal ID number"),
        help_text=_("12 digits. An exact number finds the person wherever they live."),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--code"}
        ),
    )
    name = forms.CharField(
        label=_("Full name"),
        help_text=_("Accents are optional: “nguyen van an” finds “Nguyễn Văn An”."),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        help_text=_("For example 27/03/1990."),
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
    )
    unit = UnitChoiceField(
        label=_("Ward or commune of permanent residence"),
        required=False,
        queryset=AdministrativeUnit.objects.none(),
        empty_label=_("Any ward or commune you serve"),
        error_messages={
            "invalid_choice": _("Choose a ward or commune that your agency serves."),
        },
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units

    def clean_id_number(self) -> str:
        value = "".join(self.cleaned_data["id_number"].split())
        if value:
            errors = _id_number_errors(value)
            if errors:
                raise ValidationError(errors)
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if cleaned.get("id_number"):
            return cleaned
        if not cleaned.get("name", "").strip():
            raise ValidationError(
                _("Enter a personal ID number, or a name with a date of birth or a ward."),
                code="empty",
            )
        if cleaned.get("birth_date") is None and cleaned.get("unit") is None:
            self.add_error(
                "birth_date",
                ValidationError(
                    _("Enter the date of birth, or choose a ward, to search by name."),
                    code="name_alone",
                ),
            )
        return cleaned


class PurposeForm(forms.Form):
    """Why the staff member opens a record: a dossier, or a written reason."""

    dossier_ref = forms.CharField(
        label=_("Dossier reference"),
        help_text=_("The code of the dossier you are working on, for example UBLB-260304-0001."),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "class": "input--code"}
        ),
    )
    reason = forms.CharField(
        label=_("Or the reason for opening this record"),
        help_text=_("If there is no dossier, say why you need to see this record."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agency = forms.ChoiceField(label=_("You are acting for"), required=False)

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = {agency.code: agency for agency in agencies}
        if len(self.agencies) > 1:
            self.fields["agency"].required = True
            self.fields["agency"].choices = [
                (agency.code, agency.display_name) for agency in self.agencies.values()
            ]
        else:
            del self.fields["agency"]

    def clean_dossier_ref(self) -> str:
        value = self.cleaned_data["dossier_ref"].strip().upper()
        if value and not DOSSIER_REF.match(value):
            raise ValidationError(
                _(
                    "Enter the dossier reference as printed on the receipt, for example %(example)s."
                ),
                code="dossier_ref",
                params={"example": "UBLB-260304-0001"},
            )
        return value

    def clean_reason(self) -> str:
        value = " ".join(self.cleaned_data["reason"].split())
        if value and len(value) < MIN_REASON_LENGTH:
            raise ValidationError(
                _("Write the reason in at least %(min)d characters."),
                code="reason_short",
                params={"min": MIN_REASON_LENGTH},
            )
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not cleaned.get("dossier_ref") and not cleaned.get("reason"):
            self.add_error(
                "dossier_ref",
                ValidationError(
                    _("Enter a dossier reference or write the reason for opening this record."),
                    code="purpose_required",
                ),
            )
        return cleaned

    def chosen_agency(self, default):
        code = self.cleaned_data.get("agency")
        return self.agencies.get(code, default) if code else default


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("Show the record as it was on"),
        help_text=_("The record at the end of that day."),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
    )


class CorrectionForm(forms.Form):
    """The correctable details, prefilled with today's values; only changes are sent."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    birth_date = forms.DateField(
        label=_("Date of birth"), input_formats=DATE_INPUT_FORMATS, widget=DateInput()
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNICITIES)
    religion = forms.CharField(label=_("Religion"), max_length=60, required=False)
    nationality = forms.CharField(label=_("Nationality"), max_length=60)
    birth_place = forms.CharField(label=_("Place of birth"), max_length=255, required=False)
    native_place = forms.CharField(label=_("Native place"), max_length=255, required=False)
    permanent_address = forms.CharField(
        label=_("Permanent residence (address)"), max_length=255, required=False
    )
    current_address = forms.CharField(
        label=_("Current residence (address)"), max_length=255, required=False
    )
    father_name = forms.CharField(label=_("Father's name"), max_length=150, required=False)
    mother_name = forms.CharField(label=_("Mother's name"), max_length=150, required=False)
    spouse_name = forms.CharField(label=_("Spouse's name"), max_length=150, required=False)
    reason = forms.CharField(
        label=_("What is wrong, and how do you know?"),
        help_text=_("For example: the name was misspelt when the record was entered."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    document = forms.FileField(
        label=_("Supporting document (optional)"),
        help_text=_("A PDF, JPEG or PNG file, for example a scan of the birth certificate."),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, person: Person, **kwargs):
        self.person = person
        initial = {field: getattr(person, field) for field in CORRECTABLE_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        # A parent or spouse who is in the database is a link, not a name to correct.
        for link, name in (
            ("father", "father_name"),
            ("mother", "mother_name"),
            ("spouse", "spouse_name"),
        ):
            if getattr(person, f"{link}_id"):
                del self.fields[name]

    def clean_reason(self) -> str:
        value = " ".join(self.cleaned_data["reason"].split())
        if len(value) < MIN_REASON_LENGTH:
            raise ValidationError(
                _("Write the reason in at least %(min)d characters."),
                code="reason_short",
                params={"min": MIN_REASON_LENGTH},
            )
        return value

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if not upload:
            return None
        try:
            return clean_document(upload)
        except ValidationFailed as exc:
            raise ValidationError(exc.message, code=exc.code) from exc

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            # The ID number encodes the sex and the year of birth: a correction of
            # either must still fit it (the service would refuse it on approval).
            for error in validation_errors(
                self.person.id_number, sex=cleaned["sex"], birth_date=cleaned["birth_date"]
            ):
                if error.code == "id_century_sex":
                    self.add_error("sex", error)
                elif error.code == "id_birth_year":
                    self.add_error("birth_date", error)
        if not self.errors and not self.changes():
            raise ValidationError(
                _("Change at least one detail: every field still shows what the record says."),
                code="no_changes",
            )
        return cleaned

    def changes(self) -> dict:
        result = {}
        for field in CORRECTABLE_FIELDS:
            if field not in self.fields or field not in self.cleaned_data:
                continue
            value = self.cleaned_data[field]
            if isinstance(value, str):
                value = " ".join(value.split())
            if value != getattr(self.person, field):
                result[field] = value
        return result


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            ("approve", _("Approve: correct the record")),
            ("reject", _("Reject: leave the record as it is")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("Required when you reject: the requester will read it."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("note", "").strip():
            self.add_error(
                "note",
                ValidationError(_("Give the reason for rejecting."), code="reason_required"),
            )
        return cleaned

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class IdentityFindForm(forms.Form):
    """Step 1 of the counter check: the account and the record to link."""

    email = forms.EmailField(
        label=_("Email address of the citizen's account"),
        help_text=_("Ask the citizen for the address they signed up with."),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    id_number = forms.CharField(
        label=_("Personal ID number on the ID card"),
        help_text=_("Type it from the original card the citizen shows you."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--code"}
        ),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_id_number(self) -> str:
        value = "".join(self.cleaned_data["id_number"].split())
        errors = _id_number_errors(value)
        if errors:
            raise ValidationError(errors)
        return value


class IdentityConfirmForm(IdentityFindForm):
    """Step 2: the same two values (hidden) and the clerk's statement."""

    card_checked = forms.BooleanField(
        label=_(
            "I have checked the original ID card: the photo, the name and the date of birth match the person in front of me."
        ),
        error_messages={"required": _("Confirm that you have checked the original ID card.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget = forms.HiddenInput()
        self.fields["id_number"].widget = forms.HiddenInput()

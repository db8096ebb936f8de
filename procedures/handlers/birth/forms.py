"""The pages of the birth declaration: the declarer, the child, the birth (its
evidence, and late registration), the parents and the household. Plain
server-rendered forms (no script needed); each problem is shown next to its
field. Checks that need several pages or the population database are the
handler's (``BirthHandler.validate``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import AdministrativeUnit, Household, HouseholdMembership, Sex
from citizens.reference import ETHNICITIES, HOUSEHOLD_NUMBER
from procedures.handlers.birth import rules
from procedures.handlers.form import (
    AddressField,
    AddressWidget,
    DateInput,
    validate_id_number_field,
)

DEFAULT_NATIONALITY = "Việt Nam"

# What to do when a required answer is missing, one message a question (GOV.UK
# style: the message names the question and says what to do). The pages and
# ``BirthHandler.validate`` (answers from any channel) say the same.
REQUIRED_MESSAGES: dict[str, Any] = {
    "declarer_relation": _("Select how you are related to the child"),
    "declarer_id_number": _("Enter your personal ID number"),
    "full_name": _("Enter the child's full name"),
    "sex": _("Select the child's sex"),
    "ethnicity": _("Select the child's ethnicity"),
    "nationality": _("Enter the child's nationality"),
    "native_place": _("Enter the child's native place"),
    "birth_order": _("Enter which child of the mother this is, for example 1"),
    "birth_date": _("Enter the child's date of birth"),
    "birth_address": _(
        "Enter the house number and street of the place of birth, and select its ward or commune"
    ),
    "birth_evidence": _("Select the evidence of the birth"),
}
ID_NUMBER_LENGTH = _("A personal ID number has 12 digits")
HEALTH_FACILITY_MISSING = _(
    "Enter the health-care facility where the child will be registered for primary care"
)
HOUSEHOLD_NUMBER_FORMAT = _(
    "Enter the household number as the population database writes it: HK or HN, then "
    "digits, for example HK00145-000123 or HN0010001"
)


def messages(key: str, **more: Any) -> dict[str, Any]:
    """``error_messages`` of the question ``key``: its required message, and
    the others given (invalid, min_value, ...)."""
    return {"required": REQUIRED_MESSAGES[key], **more}


def ward_choices() -> list[tuple[str, str]]:
    units = (
        AdministrativeUnit.objects.filter(
            era=AdministrativeUnit.Era.CURRENT,
            level=AdministrativeUnit.Level.COMMUNE,
            parent__code=settings.EGOV_PROVINCE_CODE,
        )
        .order_by("name")
        .values_list("code", "name")
    )
    return [("", "—"), *units]


class WardAddressField(AddressField):
    """``AddressField`` whose wards are read when the form is shown, not when
    this module is imported (the form classes are declared once)."""

    def __init__(self, **kwargs):
        unit_field = forms.ChoiceField(
            choices=ward_choices,
            error_messages={"invalid_choice": _("Select the ward or commune from the list")},
        )
        forms.MultiValueField.__init__(
            self,
            fields=[forms.CharField(max_length=255), unit_field],
            require_all_fields=True,
            **kwargs,
        )
        self.widget = AddressWidget()
        self.widget.widgets[1].choices = unit_field.choices


def id_number_field(**kwargs) -> forms.CharField:
    error_messages = {
        "min_length": ID_NUMBER_LENGTH,
        "max_length": ID_NUMBER_LENGTH,
        **kwargs.pop("error_messages", {}),
    }
    return forms.CharField(
        min_length=12,
        max_length=12,
        validators=[validate_id_number_field],
        error_messages=error_messages,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        **kwargs,
    )


class BirthPageForm(forms.Form):
    title: Any = ""
    # The page's checks read answers given on other pages (``answers``): the
    # filing and the counter intake pass them (``onecounter.intake.filing.Plan.form``).
    reads_answers = True

    def __init__(self, *args: Any, answers: dict[str, Any] | None = None, **kwargs: Any):
        self.answers = dict(answers or {})
        super().__init__(*args, **kwargs)

    def add_problems(self, problems: Iterable[tuple[str, Any]]) -> None:
        for field, message in problems:
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)

    def value(self, name: str) -> Any:
        """The answer to ``name`` as posted, else as stored (a read-only
        answer is not posted: its field is disabled)."""
        if self.is_bound:
            posted = self.data.get(self.add_prefix(name))
            if posted not in (None, ""):
                return posted
        return self.initial.get(name)


class DeclarerForm(BirthPageForm):
    """Page 1: who declares the birth. A parent's details then come from the
    population database; anyone else says why the parents do not declare."""

    title = _("About you, the declarer")

    declarer_relation = forms.ChoiceField(
        label=_("You are the child's"),
        choices=rules.RELATIONS,
        widget=forms.RadioSelect,
        error_messages=messages(
            "declarer_relation", invalid_choice=REQUIRED_MESSAGES["declarer_relation"]
        ),
    )
    declarer_reason = forms.CharField(
        label=_("Why the father or mother is not registering the birth"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you are not the child's father or mother."),
    )
    declarer_id_number = id_number_field(
        label=_("Your personal ID number"), error_messages=messages("declarer_id_number")
    )

    def clean(self):
        data = super().clean()
        self.add_problems(rules.declarer_problems(data))
        return data


class ChildForm(BirthPageForm):
    """Page 2: the child, its order among the mother's children and, for
    twins and triplets, its place in the multiple birth."""

    title = _("The child")

    full_name = forms.CharField(
        label=_("The child's full name"), max_length=150, error_messages=messages("full_name")
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=Sex.choices,
        widget=forms.RadioSelect,
        error_messages=messages("sex", invalid_choice=REQUIRED_MESSAGES["sex"]),
    )
    ethnicity = forms.ChoiceField(
        label=_("Ethnicity"),
        choices=ETHNICITIES,
        initial="01",
        error_messages=messages(
            "ethnicity", invalid_choice=_("Select one of the 54 ethnic groups")
        ),
    )
    nationality = forms.CharField(
        label=_("Nationality"),
        max_length=60,
        initial=DEFAULT_NATIONALITY,
        error_messages=messages("nationality"),
    )
    native_place = forms.CharField(
        label=_("Native place"),
        max_length=255,
        error_messages=messages("native_place"),
        help_text=_("The father's or the mother's native place, as the parents agree."),
    )
    birth_order = forms.IntegerField(
        label=_("Birth order"),
        min_value=1,
        max_value=30,
        help_text=_("Which child of the mother this is: 1 for her first child."),
        error_messages=messages(
            "birth_order",
            invalid=_("Enter the birth order as a number, for example 1"),
            min_value=_("Birth order must be 1 or more"),
            max_value=_("Birth order must be 30 or less"),
        ),
    )
    multiple_birth = forms.BooleanField(label=_("Twins or a multiple birth"), required=False)
    multiple_birth_order = forms.IntegerField(
        label=_("Order in the multiple birth"),
        required=False,
        min_value=1,
        max_value=9,
        help_text=_("For twins or triplets: 1 for the first born, 2 for the second…"),
        error_messages={
            "invalid": _("Enter the order in the multiple birth as a number, for example 2"),
            "min_value": _("Order in the multiple birth must be 1 or more"),
            "max_value": _("Order in the multiple birth must be 9 or less"),
        },
    )
    sibling_dossier_code = forms.CharField(
        label=_("Dossier code of the twin's birth registration"),
        required=False,
        max_length=30,
        help_text=_(
            "When a twin's birth has been filed already, e.g. UBLB-260304-0001. "
            "Each child of a multiple birth has a dossier of its own."
        ),
    )

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_sibling_dossier_code(self) -> str:
        return self.cleaned_data["sibling_dossier_code"].strip().upper()

    def clean(self):
        data = super().clean()
        self.add_problems(rules.multiple_birth_problems(data))
        return data


class BirthForm(BirthPageForm):
    """Page 3: when and where the child was born, and the evidence of it
    (art. 16); a late registration's own questions and document."""

    title = _("The birth")

    birth_date = forms.DateField(
        label=_("Date of birth"),
        widget=DateInput,
        error_messages=messages(
            "birth_date",
            invalid=_("Enter the date of birth as a real date, for example 17/05/2026"),
        ),
    )
    birth_time = forms.CharField(
        label=_("Time of birth"),
        required=False,
        max_length=5,
        help_text=_("Hours and minutes, e.g. 08:30."),
        validators=[
            RegexValidator(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", _("Enter a time such as 08:30."))
        ],
        widget=forms.TextInput(attrs={"type": "time"}),
    )
    birth_facility = forms.CharField(
        label=_("Hospital or health facility where the child was born"),
        required=False,
        max_length=200,
        help_text=_("Leave empty when the child was born at home or elsewhere."),
    )
    birth_address = WardAddressField(
        label=_("Address of the place of birth"),
        error_messages=messages("birth_address", incomplete=REQUIRED_MESSAGES["birth_address"]),
    )
    late = forms.BooleanField(
        label=_("Late registration (more than 60 days after the birth)"),
        required=False,
        widget=forms.HiddenInput,
    )
    birth_evidence = forms.ChoiceField(
        label=_("Evidence of the birth"),
        choices=rules.EVIDENCE,
        initial=rules.HOSPITAL_CERTIFICATE,
        widget=forms.RadioSelect,
        error_messages=messages(
            "birth_evidence", invalid_choice=REQUIRED_MESSAGES["birth_evidence"]
        ),
    )
    birth_certificate_number = forms.CharField(
        label=_("Number of the hospital birth certificate"), required=False, max_length=40
    )
    evidence_document = forms.FileField(
        label=_("Witness's statement or written commitment"),
        required=False,
        help_text=_("Needed when the child was born outside a hospital."),
    )
    late_reason = forms.CharField(
        label=_("Why the birth was not registered within 60 days"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only when you register the birth more than 60 days after it."),
    )
    never_registered = forms.BooleanField(
        label=_(
            "I commit that this birth has never been registered, in Viet Nam or abroad "
            "(late registration)"
        ),
        required=False,
    )
    birth_facts_document = forms.FileField(
        label=_("Document proving the facts of the birth"),
        required=False,
        help_text=_(
            "Needed for a late registration without a hospital birth certificate: "
            "e.g. the health facility's records or the child's vaccination book."
        ),
    )

    def __init__(self, data=None, files=None, *args, initial=None, **kwargs):
        # Answers to judge by (posted, or stored): a late registration's own
        # questions are then asked only when the birth is late. The form as
        # defined (no answers: the list of every question) keeps them all.
        judged = data is not None or initial is not None
        super().__init__(data, files, *args, initial=initial, **kwargs)
        if judged and not self.registered_late():
            for name in rules.LATE_QUESTIONS:
                self.fields.pop(name, None)

    def registered_late(self) -> bool:
        """Whether the date of birth given (posted, else stored) makes it a
        late registration: worked out here, never taken from the browser."""
        value = self.value("birth_date")
        try:
            birth_date = self.fields["birth_date"].clean(value)
        except forms.ValidationError:
            return False
        return rules.registered_late({"birth_date": birth_date}, timezone.localdate())

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        if "birth_date" in data:
            self.add_problems(rules.birth_date_problems(data["birth_date"], today))
        if not self.errors.get("birth_date") and data.get("birth_date"):
            # Worked out here, never taken from the browser.
            data["late"] = rules.is_late(data["birth_date"], today)
        else:
            data["late"] = False
        self.add_problems(rules.evidence_problems(data, check_document=True))
        self.add_problems(rules.late_problems(data, late=data["late"], check_document=True))
        return data


def parent_fields(
    *, id_number, id_number_help, name, name_help, birth_year, ethnicity, nationality, residence
) -> tuple[forms.Field, ...]:
    """One parent's six fields on page 4, in page order: ID number, full name,
    year of birth, ethnicity, nationality, residence. The labels and help texts
    are passed in whole (each parent has its own sentences to translate)."""
    return (
        id_number_field(label=id_number, required=False, help_text=id_number_help),
        forms.CharField(label=name, required=False, max_length=150, help_text=name_help),
        forms.IntegerField(
            label=birth_year,
            required=False,
            min_value=1900,
            max_value=2400,
            error_messages={
                "invalid": _("Enter the year of birth as 4 digits, for example 1995"),
                "min_value": _("Enter a year of birth of 1900 or later"),
                "max_value": _("Enter a year of birth as 4 digits, for example 1995"),
            },
        ),
        forms.CharField(label=ethnicity, required=False, max_length=60),
        forms.CharField(label=nationality, required=False, max_length=60),
        forms.CharField(label=residence, required=False, max_length=255),
    )


class ParentsForm(BirthPageForm):
    """Page 4: the parents (records of the population database, or free text
    for a parent who is not in it), the household the child joins and its
    head's consent, and the health-care facility for the card."""

    title = _("The parents and the household")

    (
        mother_id_number,
        mother_name,
        mother_birth_year,
        mother_ethnicity,
        mother_nationality,
        mother_residence,
    ) = parent_fields(
        id_number=_("The mother's personal ID number"),
        id_number_help=_("Leave empty if she has no Vietnamese personal ID number."),
        name=_("The mother's full name"),
        name_help=_("Only when she has no Vietnamese personal ID number."),
        birth_year=_("The mother's year of birth"),
        ethnicity=_("The mother's ethnicity"),
        nationality=_("The mother's nationality"),
        residence=_("The mother's place of residence"),
    )
    father_unknown = forms.BooleanField(
        label=_("The father is unknown"),
        required=False,
        help_text=_("The birth certificate then leaves the father's details empty."),
    )
    (
        father_id_number,
        father_name,
        father_birth_year,
        father_ethnicity,
        father_nationality,
        father_residence,
    ) = parent_fields(
        id_number=_("The father's personal ID number"),
        id_number_help=_("Leave empty if he has no Vietnamese personal ID number."),
        name=_("The father's full name"),
        name_help=_("Only when he has no Vietnamese personal ID number."),
        birth_year=_("The father's year of birth"),
        ethnicity=_("The father's ethnicity"),
        nationality=_("The father's nationality"),
        residence=_("The father's place of residence"),
    )
    household_number = forms.CharField(
        label=_("Household number of the household the child joins"),
        required=False,
        max_length=20,
        help_text=_("Leave empty for your own household. For example HK00145-000123."),
        validators=[RegexValidator(HOUSEHOLD_NUMBER, HOUSEHOLD_NUMBER_FORMAT, flags=re.IGNORECASE)],
        error_messages={"max_length": HOUSEHOLD_NUMBER_FORMAT},
    )
    # Asked only when the answers call for it (``asks_consent``): hidden otherwise.
    head_consents = forms.ChoiceField(
        label=_("Does the head of that household consent to the child joining it?"),
        choices=[(rules.YES, _("Yes")), (rules.NO, _("No"))],
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Needed when the head of the household is neither you nor a parent."),
    )
    relation_to_head = forms.ChoiceField(
        label=_("The child's relation to the head of household"),
        choices=[("", "—"), *rules.CHILD_RELATIONS],
        required=False,
        widget=forms.HiddenInput,
    )
    health_facility = forms.CharField(
        label=_("Health-care facility for the child's health-insurance card"),
        required=False,
        max_length=200,
        help_text=_(
            "Where the child will be registered for primary care (the free card is for "
            "children under 6)."
        ),
        error_messages={"required": HEALTH_FACILITY_MISSING},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A child under 6 (by the date of birth given on page 3) gets the free
        # health-insurance card: its facility is then asked for here.
        birth_date = rules.as_date(self.answers.get("birth_date"))
        if rules.gets_free_card(birth_date, timezone.localdate()):
            self.fields["health_facility"].required = True
        self.consent_asked = self.asks_consent()
        if not self.consent_asked:
            return
        field = self.fields["head_consents"]
        field.widget = forms.RadioSelect(choices=field.choices)
        head = self.household_head()
        if head is not None:
            household, name = head
            field.help_text = _(
                "The head of household %(number)s is %(name)s (from the population database). "
                "Needed when the head is neither you nor a parent."
            ) % {"number": household, "name": name}

    def parent_numbers(self) -> list[str]:
        """The ID numbers of the parents named on this page."""
        parents = [p for p in rules.PARENTS if not (p == "father" and self.father_is_unknown())]
        numbers = [(self.value(f"{parent}_id_number") or "").strip() for parent in parents]
        return [number for number in numbers if number]

    def father_is_unknown(self) -> bool:
        if self.is_bound:
            widget = self.fields["father_unknown"].widget
            return bool(
                widget.value_from_datadict(self.data, self.files, self.add_prefix("father_unknown"))
            )
        return bool(self.initial.get("father_unknown"))

    def household(self) -> Household | None:
        """The household named (with its head), read once."""
        if not hasattr(self, "_household"):
            number = (self.value("household_number") or "").strip()
            self._household = (
                Household.objects.filter(number=number).select_related("head").first()
                if number
                else None
            )
        return self._household

    def asks_consent(self) -> bool:
        """Whether the page asks for the household head's consent: not when the
        head of the household named is a parent named here (the declarer's own
        household, or the other parent's), nor before there are answers to
        judge by (the list of questions the check page reads). When the
        household is not named (the declarer's own) or not found, it is asked;
        the handler's checks on the whole declaration decide whether the
        answer is needed (not when the head is the declarer)."""
        if not self.is_bound and not self.initial:
            return False
        if not (self.value("household_number") or "").strip():
            return True
        household = self.household()
        if household is None:
            return True
        if household.head is None:
            return False
        return household.head.id_number not in self.parent_numbers()

    def household_head(self) -> tuple[str, str] | None:
        """The head of the household named, by name, when a parent named on
        this page lives in that household (nobody learns who heads a household
        they only know the number of)."""
        parents = self.parent_numbers()
        household = self.household()
        if not parents or household is None or household.head is None:
            return None
        lives_there = HouseholdMembership.objects.filter(
            household=household, person__id_number__in=parents, end_date__isnull=True
        ).exists()
        return (household.number, household.head.full_name) if lives_there else None

    def clean_household_number(self) -> str:
        return self.cleaned_data["household_number"].strip().upper()

    def clean(self):
        data = super().clean()
        if not self.consent_asked:
            data["head_consents"] = ""  # a question not asked has no answer
        self.add_problems(rules.parent_details_problems(data))
        self.add_problems(rules.same_parent_problems(data))
        return data


PAGES: dict[int, type[forms.Form]] = {
    1: DeclarerForm,
    2: ChildForm,
    3: BirthForm,
    4: ParentsForm,
}

"""Forms of the one-stop back office: queue filters, the action forms of the
dossier page and the counter-intake steps (the procedure's own questions at
the counter are the intake plan's: ``onecounter.intake.plan.counter_form_class``).

Forms only check what was typed and turn it into the arguments of
``transitions.perform`` or ``services.counter_intake``; the state machine and
the services decide whether the step is possible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from citizens.idnumbers import validation_errors
from citizens.models import User
from onecounter.models import Dossier, DossierStatus
from onecounter.selectors import QueueFilters, QueueView
from procedures.models import Procedure

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
MAX_ITEMS = 30


class DateInput(forms.DateInput):
    """A native date picker; dd/mm/yyyy typed by hand is accepted too."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ProcedureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Procedure) -> str:
        return f"{obj.code} – {obj.localized('name')}"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name or obj.email


# --- Queue --------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Every field is optional."""

    view = forms.ChoiceField(label=_("Queue"), required=False)
    q = forms.CharField(
        label=_("Dossier code or applicant's name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))]
        + [(s.value, s.label) for s in DossierStatus if s != DossierStatus.DRAFT],
    )
    procedure = ProcedureChoiceField(
        label=_("Procedure"),
        required=False,
        queryset=Procedure.objects.none(),
        empty_label=_("Any procedure"),
    )
    due_soon = forms.BooleanField(label=_("Due within 2 working days"), required=False)
    late = forms.BooleanField(label=_("Late"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, views: list[QueueView], procedures=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.views = views
        self.fields["view"].choices = [(v.key, v.label) for v in views]
        if procedures is not None:
            self.fields["procedure"].queryset = procedures

    def clean_view(self) -> str:
        return self.cleaned_data.get("view") or self.views[0].key

    def filters(self) -> QueueFilters:
        return QueueFilters.from_mapping(self.cleaned_data)


# --- Actions on a dossier -------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip(" \t-•*") for line in (text or "").splitlines() if line.strip(" \t-•*")]


class ActionForm(forms.Form):
    """An action with nothing to type (receive, mark the result ready...).

    Subclasses add fields and say how they become ``perform`` arguments. Each
    form on the dossier page has the action's name as its prefix, so the ids
    of the fields stay unique and the error summary links to the right one.
    """

    reason_label: Any = _("Note (optional)")
    reason_help: Any = ""
    reason_required = False

    def __init__(self, *args, action: str, dossier: Dossier, officers=None, **kwargs):
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        self.action = action
        self.dossier = dossier
        if "reason" in self.fields:
            field = self.fields["reason"]
            field.label = self.reason_label
            field.help_text = self.reason_help
            field.required = self.reason_required

    def params(self) -> dict[str, Any]:
        """Keyword arguments of ``transitions.perform`` besides ``reason``."""
        return {}

    def perform_reason(self) -> str:
        return self.cleaned_data.get("reason", "") or ""


def _reason_field() -> forms.CharField:
    return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(ActionForm):
    reason = _reason_field()


class ReasonForm(ActionForm):
    reason = _reason_field()
    reason_label = _("Reason")
    reason_required = True


class RefuseForm(ReasonForm):
    reason_label = _("Why the dossier is refused")
    reason_help = _("This is written on the refusal slip the applicant receives.")


class SendBackForm(ReasonForm):
    reason_label = _("What the officer should look at again")


class RejectForm(ReasonForm):
    reason_label = _("Why the request is rejected")
    reason_help = _("The applicant receives this reason.")


class WithdrawForm(ReasonForm):
    reason_label = _("Why the applicant withdraws the dossier")
    reason_help = _("Only when the applicant asks for it, in person or in writing.")


class SupplementForm(ActionForm):
    """One written list of everything missing (one-stop form 02)."""

    items = forms.CharField(
        label=_("Everything that is missing, one item per line"),
        help_text=_(
            "The applicant receives this list once, so write down everything that is missing."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    reason = _reason_field()

    def clean_items(self) -> list[str]:
        items = _lines(self.cleaned_data["items"])
        if not items:
            raise ValidationError(_("List everything that is missing."), code="items_required")
        if len(items) > MAX_ITEMS:
            raise ValidationError(
                _("List at most %(max)d items."), code="too_many", params={"max": MAX_ITEMS}
            )
        return items

    def params(self) -> dict[str, Any]:
        return {"items": self.cleaned_data["items"]}


class SupplyForm(ActionForm):
    """The clerk records what the applicant brought."""

    reason = _reason_field()
    reason_label = _("What the applicant brought")
    reason_help = _("For example: the original of the residence confirmation, checked.")

    def params(self) -> dict[str, Any]:
        note = self.perform_reason()
        return {"answer": {"note": note, "at_counter": True}} if note else {}


class AssignForm(ActionForm):
    officer = UserChoiceField(label=_("Officer"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if officers is not None:
            self.fields["officer"].queryset = officers
        if self.dossier.assigned_to_id and not self.is_bound:
            self.initial.setdefault("officer", self.dossier.assigned_to_id)

    def params(self) -> dict[str, Any]:
        return {"officer": self.cleaned_data["officer"]}


class ProposeForm(ActionForm):
    decision = forms.ChoiceField(
        label=_("Your proposal"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = _reason_field()
    reason_label = _("Note for the head (the grounds of the proposal)")

    def params(self) -> dict[str, Any]:
        return {"decision": self.cleaned_data["decision"]}


class ApproveForm(ActionForm):
    """Approve and sign. When the dossier may repeat a registered record or
    another dossier (``onecounter.duplicates``), the head compares them and
    confirms it is not a duplicate, saying why (kept in the event history)."""

    reason = _reason_field()
    reason_label = _("Note (optional)")
    not_duplicate = forms.BooleanField(
        label=_(
            "I have compared this dossier with the record or dossier shown: it is not a duplicate"
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from onecounter.duplicates import matches_of

        self.matches = [m for m in matches_of(self.dossier) if not (m.certain or m.later)]
        if not self.matches:
            del self.fields["not_duplicate"]
            return
        self.fields["not_duplicate"].required = True
        self.fields["not_duplicate"].error_messages["required"] = _(
            "Confirm that the dossier is not a duplicate, or reject it."
        )
        reason = self.fields["reason"]
        reason.required = True
        reason.label = _("Why it is not a duplicate")
        reason.help_text = _("Kept in the dossier's history with your decision.")
        reason.error_messages["required"] = _("Say why the dossier is not a duplicate.")

    def params(self) -> dict[str, Any]:
        if self.matches and self.cleaned_data.get("not_duplicate"):
            return {"duplicate_decision": "not_duplicate"}
        return {}


class HandBackForm(ActionForm):
    """Who took the result: the applicant, or a person they authorised."""

    APPLICANT = "applicant"
    AUTHORISED = "authorised"

    received_by = forms.ChoiceField(
        label=_("Who received the result"),
        choices=[(APPLICANT, _("The applicant")), (AUTHORISED, _("A person they authorised"))],
        widget=forms.RadioSelect,
        initial=APPLICANT,
    )
    person = forms.CharField(
        label=_("Authorised person: name and ID number"),
        help_text=_("Only when someone else collects the result; check their authorisation."),
        required=False,
        max_length=200,
    )
    reason = _reason_field()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("received_by") == self.AUTHORISED and not cleaned.get("person", "").strip():
            self.add_error(
                "person",
                ValidationError(
                    _("Write the name and ID number of the person who received the result."),
                    code="person_required",
                ),
            )
        return cleaned

    def perform_reason(self) -> str:
        data = self.cleaned_data
        if data["received_by"] == self.AUTHORISED:
            text = str(_("Received by an authorised person: %(person)s")) % {
                "person": data["person"].strip()
            }
        else:
            text = str(_("Received by the applicant in person"))
        note = (data.get("reason") or "").strip()
        return f"{text}. {note}" if note else text


class ApologyForm(ActionForm):
    """An apology with a new date (one-stop form 04)."""

    new_due_date = forms.DateField(
        label=_("New promised date"),
        help_text=_("It must be later than the current promised date."),
        input_formats=DATE_INPUT_FORMATS,
        widget=DateInput(),
    )
    reason = _reason_field()
    reason_label = _("Why the dossier will be late")
    reason_help = _("The applicant receives this apology with the new date.")
    reason_required = True

    def clean_new_due_date(self) -> dt.date:
        value = self.cleaned_data["new_due_date"]
        if self.dossier.due_date and value <= self.dossier.due_date:
            raise ValidationError(
                _("The new date must be later than the promised date (%(due)s)."),
                code="bad_new_date",
                params={"due": self.dossier.due_date.strftime("%d/%m/%Y")},
            )
        return value

    def params(self) -> dict[str, Any]:
        return {"new_due_date": self.cleaned_data["new_due_date"]}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "receive": ActionForm,
    "request_supplement_before_receipt": SupplementForm,
    "resubmit": SupplyForm,
    "refuse": RefuseForm,
    "assign": AssignForm,
    "request_supplement": SupplementForm,
    "supply": SupplyForm,
    "propose": ProposeForm,
    "send_back": SendBackForm,
    "approve": ApproveForm,
    "reject": RejectForm,
    "mark_result_ready": ActionForm,
    "hand_back": HandBackForm,
    "withdraw": WithdrawForm,
    "apologise": ApologyForm,
}


# --- Counter intake -----------------------------------------------------------------------


class IntakePersonForm(forms.Form):
    id_number = forms.CharField(
        label=_("Personal ID number"),
        help_text=_("The 12 digits on the ID card the person shows you."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--code"}
        ),
    )

    def clean_id_number(self) -> str:
        value = "".join(self.cleaned_data["id_number"].split())
        errors = validation_errors(value)
        if errors:
            raise ValidationError(errors)
        return value


class IntakeProcedureForm(forms.Form):
    procedure = ProcedureChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the procedure the person asks for.")},
    )

    def __init__(self, *args, procedures=None, **kwargs):
        super().__init__(*args, **kwargs)
        if procedures is not None:
            self.fields["procedure"].queryset = procedures
            if procedures.count() > 8:
                self.fields["procedure"].widget = forms.Select(
                    choices=self.fields["procedure"].choices
                )


class IntakeContactForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number for notices (SMS)"),
        help_text=_("Optional. For example 0912 345 678."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email address for notices"),
        help_text=_("Optional."),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    by_post = forms.BooleanField(
        label=_("The dossier came by post"),
        help_text=_("Tick when the papers were sent through the postal service, not handed in."),
        required=False,
    )

    def clean_phone(self) -> str:
        value = "".join(ch for ch in self.cleaned_data["phone"] if ch.isdigit() or ch == "+")
        if value and not (9 <= len(value.lstrip("+")) <= 15):
            raise ValidationError(_("Enter a phone number of 9 to 15 digits."), code="phone")
        return value

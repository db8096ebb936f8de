"""Forms of the procedure catalog: the public filters and the back office.

Forms only check what was typed; the views pass ``cleaned_data`` to the
services in ``procedures/services.py``, which hold the rules and write.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from citizens.models import AdministrativeUnit, Agency
from egov.text import fold
from procedures.handlers import registry
from procedures.models import Field, FormField, Procedure, RequiredDocument
from procedures.services import MAX_PAGES

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class LocalizedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class AgencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Agency) -> str:
        return f"{obj.display_name} ({obj.code})"


# --- Public catalog -----------------------------------------------------------------------


class CatalogFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        help_text=_("A word of the name or the procedure code. Accents are optional."),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}),
    )
    field = forms.ModelChoiceField(
        label=_("Field"),
        queryset=Field.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("All fields"),
    )
    online_level = forms.ChoiceField(
        label=_("Online"),
        required=False,
        choices=[("", _("Any")), *Procedure.OnlineLevel.choices],
    )
    level = forms.ChoiceField(
        label=_("Decided by"),
        required=False,
        choices=[("", _("Any level")), *Procedure.Level.choices],
    )
    agency_kind = forms.ChoiceField(
        label=_("Kind of agency"),
        required=False,
        choices=[("", _("Any agency")), *Agency.Kind.choices],
    )
    ward = forms.ModelChoiceField(
        label=_("Offered in the ward or commune"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("Any ward or commune"),
    )

    def __init__(self, *args, fields=None, wards=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = fields if fields is not None else Field.objects.all()
        self.fields["field"].label_from_instance = lambda obj: obj.display_name
        if wards is not None:
            self.fields["ward"].queryset = wards
        self.fields["ward"].label_from_instance = lambda obj: obj.display_name

    def filters(self) -> dict[str, str]:
        """The selector's keyword arguments; invalid values are dropped."""
        data = self.cleaned_data if self.is_valid() else {}
        field, ward = data.get("field"), data.get("ward")
        return {
            "query": data.get("q", ""),
            "field": field.code if field else "",
            "online_level": data.get("online_level", ""),
            "level": data.get("level", ""),
            "agency_kind": data.get("agency_kind", ""),
            "ward": ward.code if ward else "",
        }


# --- Back office ------------------------------------------------------------------------------


class NoteMixin(forms.Form):
    note = forms.CharField(
        label=_("What changed and why (optional)"),
        help_text=_("Kept in the procedure's history. Left empty, the history says what changed."),
        required=False,
        max_length=500,
    )


class AdminSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        help_text=_("A word of the name or the procedure code. Accents are optional."),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}),
    )
    published = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Published or not")), ("yes", _("Published")), ("no", _("Not published"))],
    )


class ProcedureForm(NoteMixin, forms.ModelForm):
    """A procedure's own fields and the agencies that offer it."""

    field = LocalizedChoiceField(label=_("Field"), queryset=Field.objects.order_by("name"))
    handler = forms.ChoiceField(
        label=_("Handler"),
        help_text=_(
            "“form” for a procedure whose form you define here, question by question; "
            "other handlers are procedures programmed in code."
        ),
    )
    offered_by = AgencyChoiceField(
        label=_("Agencies that offer it"),
        help_text=_("Citizens file the dossier at one of these agencies."),
        queryset=Agency.objects.filter(is_active=True).select_related("unit").order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Procedure
        fields = [
            "code",
            "name",
            "name_en",
            "field",
            "level",
            "agency_kind",
            "offered_by",
            "online_level",
            "identity_level",
            "handler",
            "days_online",
            "days_counter",
            "fee_online",
            "fee_counter",
            "fee_late",
            "question_days",
            "retention_dossier_years",
            "retention_result_years",
            "summary",
            "summary_en",
            "conditions",
            "conditions_en",
            "legal_basis",
            "result_document",
            "result_document_en",
            "active_from",
            "active_to",
        ]
        widgets = {
            "online_level": forms.RadioSelect,
            "level": forms.RadioSelect,
            "identity_level": forms.RadioSelect,
            "active_from": DateInput,
            "active_to": DateInput,
            "summary": forms.Textarea(attrs={"rows": 4}),
            "summary_en": forms.Textarea(attrs={"rows": 4}),
            "conditions": forms.Textarea(attrs={"rows": 4}),
            "conditions_en": forms.Textarea(attrs={"rows": 4}),
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
            "code": forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
            "days_online": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "days_counter": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "fee_online": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "fee_counter": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "fee_late": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "question_days": forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
            "retention_dossier_years": forms.NumberInput(
                attrs={"min": 0, "max": 100, "inputmode": "numeric"}
            ),
            "retention_result_years": forms.NumberInput(
                attrs={"min": 0, "max": 100, "inputmode": "numeric"}
            ),
        }
        help_texts = {
            "code": _(
                "The national code from the national public-service portal, e.g. 1.001193; "
                "a local code such as HN.KD.01 until the national one is known."
            ),
            "name": _("In Vietnamese, as in the national catalog."),
            "days_online": _(
                "Working days, not counting the day of receipt. 0: the same day. "
                "Online may be shorter than at the counter."
            ),
            "days_counter": _("Working days, not counting the day of receipt. 0: the same day."),
            "fee_online": _("In đồng. 0 if free."),
            "fee_counter": _("In đồng. 0 if free."),
            "fee_late": _(
                "In đồng, for a late registration (e.g. a birth registered more than 60 days "
                "after it), online or at the counter, paid before the dossier is received. "
                "0 if free."
            ),
            "identity_level": _(
                "1: the account is linked to a population record; 2: identity checked at a "
                "counter or by the national identity provider."
            ),
            "active_from": _("Leave empty if it applies now."),
            "active_to": _("Leave empty if it has no end date."),
        }
        labels = {"identity_level": _("Identity level needed to file online")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = Procedure.Level.choices
        self.fields["online_level"].choices = Procedure.OnlineLevel.choices
        self.fields["identity_level"].choices = [
            (1, _("Level 1")),
            (2, _("Level 2")),
        ]
        self.fields["identity_level"].coerce = int
        handlers = registry.names()
        current = self.instance.handler if self.instance.pk else None
        if current and current not in handlers:
            handlers.append(current)  # a handler in code not loaded here yet
        self.fields["handler"].choices = [(h, h) for h in sorted(handlers)]
        if not self.instance.pk:
            self.fields["handler"].initial = "form"
        self.fields["version"].initial = self.instance.version if self.instance.pk else None
        for name in ("days_online", "days_counter", "fee_online", "fee_counter", "fee_late"):
            self.fields[name].min_value = 0
        # Most procedures have no late registration: left empty, it is free.
        self.fields["fee_late"].required = False
        # Left empty, a citizen's question is due in the usual 5 working days.
        self.fields["question_days"].required = False
        # Left empty (or 0), the dossiers or the results are kept permanently.
        for name in ("retention_dossier_years", "retention_result_years"):
            self.fields[name].required = False
            self.fields[name].min_value = 0
            self.fields[name].max_value = 100

    def clean_fee_late(self) -> int:
        return self.cleaned_data.get("fee_late") or 0

    def clean_question_days(self) -> int:
        return self.cleaned_data.get("question_days") or 5

    def clean_retention_dossier_years(self) -> int | None:
        return self.cleaned_data.get("retention_dossier_years") or None  # 0: permanently

    def clean_retention_result_years(self) -> int | None:
        return self.cleaned_data.get("retention_result_years") or None

    def _post_clean(self):
        # A ModelForm copies the cleaned data onto the instance and checks
        # uniqueness here. These forms must not touch the instance: the
        # service changes it (or nothing does when it refuses) and checks
        # uniqueness itself; its messages are shown on the fields.
        pass

    def clean(self):
        data = super().clean()
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            self.add_error(
                "active_to", _("The end date must be the same as or after the start date.")
            )
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in self.Meta.fields
            if name in data and name not in ("offered_by",)
        }


class RequiredDocumentForm(NoteMixin, forms.ModelForm):
    template = forms.FileField(
        label=_("Form template (PDF)"),
        help_text=_(
            "A blank form citizens can download: PDF, JPEG or PNG. Leave empty to keep the "
            "current one."
        ),
        required=False,
    )
    remove_template = forms.BooleanField(label=_("Remove the current template"), required=False)

    class Meta:
        model = RequiredDocument
        fields = ["name", "name_en", "originals", "copies", "mandatory", "wallet_kind", "order"]
        widgets = {
            "originals": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "copies": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "order": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "wallet_kind": forms.TextInput(attrs={"spellcheck": "false", "list": "wallet-kinds"}),
        }
        help_texts = {
            "name": _("In Vietnamese, e.g. “Tờ khai đăng ký khai sinh”."),
            "originals": _("How many originals the citizen brings or uploads."),
            "copies": _("How many copies (certified copies where the law asks for them)."),
            "mandatory": _("Untick for a document needed only in some cases."),
            "wallet_kind": _(
                "The kind of wallet document that can stand in for it, e.g. "
                "birth_certificate. Leave empty if none."
            ),
            "order": _("Documents are listed in this order."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].required = False
        if not (self.instance.pk and self.instance.template):
            del self.fields["remove_template"]

    def _post_clean(self):
        pass

    def values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in self.Meta.fields if name in data}
        if values.get("order") is None:
            if self.instance.pk:
                values["order"] = self.instance.order
            else:
                values.pop("order", None)
        return values


class FormFieldForm(NoteMixin, forms.ModelForm):
    """One question of the form builder."""

    key = forms.CharField(
        label=_("Key"),
        help_text=_(
            "The name of the answer in the dossier's data: small letters without accents, "
            "digits and underscores, e.g. business_name. Left empty, it is made from the question."
        ),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )

    class Meta:
        model = FormField
        fields = [
            "label",
            "label_en",
            "kind",
            "key",
            "help_text",
            "help_text_en",
            "required",
            "choices",
            "min_value",
            "max_value",
            "max_length",
            "page",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "choices": forms.Textarea(attrs={"rows": 5}),
            "page": forms.NumberInput(attrs={"min": 1, "max": MAX_PAGES, "inputmode": "numeric"}),
            "min_value": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "max_value": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "max_length": forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        }
        help_texts = {
            "label": _("In Vietnamese, as the citizen will read it."),
            "help_text": _("A short hint shown under the question (optional)."),
            "choices": _("For a choice question: one choice per line, at least two."),
            "min_value": _("For a number question (optional)."),
            "max_value": _("For a number question (optional)."),
            "max_length": _("For a text question: the longest answer, in characters (optional)."),
            "page": _("Long forms are split into pages: 1, 2, 3…"),
            "required": _("The citizen must answer it."),
        }

    def __init__(self, *args, procedure: Procedure, **kwargs):
        self.procedure = procedure
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = FormField.Kind.choices
        self.fields["page"].min_value = 1
        self.fields["page"].max_value = MAX_PAGES

    def clean_key(self) -> str:
        key = (self.cleaned_data.get("key") or "").strip()
        if not key:
            label = fold(self.cleaned_data.get("label") or self.data.get("label", ""))
            key = "_".join("".join(c if c.isalnum() else " " for c in label).split())[:40]
            key = key.strip("_")
            if key and not key[0].isalpha():
                key = f"q_{key}"[:40]
        return key

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        choices = [c.strip() for c in (data.get("choices") or "").splitlines() if c.strip()]
        if kind == FormField.Kind.CHOICE and len(choices) < 2:
            self.add_error(
                "choices", _("A choice question needs at least two choices, one per line.")
            )
        low, high = data.get("min_value"), data.get("max_value")
        if kind == FormField.Kind.NUMBER and low is not None and high is not None and low > high:
            self.add_error(
                "max_value", _("The maximum must be the same as or more than the minimum.")
            )
        return data

    def _post_clean(self):
        pass

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class DeleteForm(NoteMixin):
    """A confirmation: removing a document or a question."""


class PublishForm(NoteMixin):
    published = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])

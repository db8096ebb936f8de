"""The handler for administrator-defined forms: fields typed in the back office."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from citizens.idnumbers import validation_errors
from citizens.models import AdministrativeUnit
from procedures.handlers.registry import ProcedureHandler, register
from procedures.models import FormField, Procedure


def validate_id_number_field(value: str) -> None:
    errors = validation_errors(value)
    if errors:
        raise ValidationError(errors)


class DateInput(forms.DateInput):
    input_type = "date"


def build_field(spec: FormField) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec.localized("label"),
        "help_text": spec.localized("help_text"),
        "required": spec.required,
    }
    kind = spec.kind
    if kind == FormField.Kind.TEXT:
        return forms.CharField(max_length=spec.max_length or 500, **common)
    if kind == FormField.Kind.NUMBER:
        return forms.IntegerField(min_value=spec.min_value, max_value=spec.max_value, **common)
    if kind == FormField.Kind.DATE:
        return forms.DateField(widget=DateInput, **common)
    if kind == FormField.Kind.CHOICE:
        options = [line.strip() for line in spec.choices.splitlines() if line.strip()]
        return forms.ChoiceField(
            choices=[("", "—"), *[(o, o) for o in options]],
            widget=forms.RadioSelect if len(options) <= 5 else forms.Select,
            **common,
        )
    if kind == FormField.Kind.ID_NUMBER:
        return forms.CharField(
            min_length=12,
            max_length=12,
            validators=[validate_id_number_field],
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            **common,
        )
    if kind == FormField.Kind.ADDRESS:
        return AddressField(**common)
    if kind == FormField.Kind.FILE:
        return forms.FileField(**common)
    if kind == FormField.Kind.YES_NO:
        return forms.TypedChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect, **common
        )
    raise ValueError(f"unknown field kind {kind}")


class AddressWidget(forms.MultiWidget):
    """The address line and the ward/commune, each with its own visible label,
    in a fieldset whose legend is the field's label (includes/form_field.html).
    Rendered with the project's template engine (the default form renderer
    only looks in the apps' template folders); each part is Django's own
    widget, ids ``<id>_0`` and ``<id>_1``."""

    template_name = "includes/widgets/address.html"
    use_fieldset = True
    part_labels = (_("House number, street"), _("Ward or commune"))

    def __init__(self, attrs=None):
        super().__init__(
            [forms.TextInput(attrs={"autocomplete": "street-address"}), forms.Select()], attrs
        )

    def decompress(self, value):
        if isinstance(value, dict):
            return [value.get("address", ""), value.get("unit_code", "")]
        return ["", ""]

    def id_for_label(self, id_):
        # The error summary and the check page link to the address line.
        return f"{id_}_0" if id_ else ""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)
        parts = [
            {
                "label": label,
                "id": sub["attrs"].get("id", ""),
                "html": widget._render(widget.template_name, {"widget": sub}, renderer),
            }
            for widget, sub, label in zip(
                self.widgets, context["widget"]["subwidgets"], self.part_labels, strict=True
            )
        ]
        return mark_safe(render_to_string(self.template_name, {"parts": parts}))


class AddressField(forms.MultiValueField):
    """An address line plus the ward/commune (2025 units of the province)."""

    def __init__(self, **kwargs):
        units = (
            AdministrativeUnit.objects.filter(
                era=AdministrativeUnit.Era.CURRENT,
                level=AdministrativeUnit.Level.COMMUNE,
                parent__code=settings.EGOV_PROVINCE_CODE,
            )
            .order_by("name")
            .values_list("code", "name")
        )
        unit_field = forms.ChoiceField(choices=[("", "—"), *units])
        super().__init__(
            fields=[forms.CharField(max_length=255), unit_field],
            require_all_fields=True,
            **kwargs,
        )
        self.widget = AddressWidget()
        self.widget.widgets[1].choices = unit_field.choices

    def compress(self, data_list):
        if not data_list:
            return None
        return {"address": data_list[0], "unit_code": data_list[1]}


@register
class FormHandler(ProcedureHandler):
    name = "form"
    label = _("Form defined in the catalog")

    def pages(self, procedure: Procedure) -> list[int]:
        pages = sorted({f.page for f in procedure.form_fields.all()})
        return pages or [1]

    def form_class(self, procedure: Procedure, page: int) -> type[forms.Form]:
        fields = {
            spec.key: build_field(spec) for spec in procedure.form_fields.all() if spec.page == page
        }
        return type("ProcedureForm", (forms.Form,), fields)


def serialise(value: Any) -> Any:
    """Cleaned form values as JSON-friendly data for the dossier."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

"""The filters of the handoff list (page and API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from interconnect.models import Handoff


class HandoffFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Handoff.Status.choices],
    )
    target = forms.ChoiceField(
        label=_("Handed on to"),
        required=False,
        choices=[("", _("Any receiver")), *Handoff.Target.choices],
    )
    late = forms.BooleanField(label=_("Late only"), required=False)
    q = forms.CharField(
        label=_("Dossier code"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "target": data.get("target") or "",
            "late": bool(data.get("late")),
            "q": data.get("q") or "",
        }

"""The failures page's filters."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from operations.models import FailureKind


class FailureFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Every kind")), *FailureKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Show"),
        choices=[("open", _("Open failures")), ("handled", _("Marked handled"))],
        required=False,
    )

    def filters(self) -> dict:
        return {
            "kind": self.cleaned_data.get("kind") or "",
            "handled": self.cleaned_data.get("status") == "handled",
        }


class HandleForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("What was done, or why nothing more is needed (recorded with your name)."),
    )

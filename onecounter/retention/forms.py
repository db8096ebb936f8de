"""The forms of the retention pages: a reason, checked by the services (which
say what is wrong, so a page and the API answer alike)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from egov.errors import DomainError

TEXTAREA = {"rows": 3, "maxlength": 2000}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=TEXTAREA),
    )


class DecisionForm(ReasonForm):
    """Approve or reject the list (the button pressed), with the reason."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Reason for the decision")
        self.fields["reason"].help_text = _(
            "Kept with the list for ever, e.g. the retention periods were checked against "
            "the agency's records schedule."
        )


class ExcludeForm(ReasonForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("Why this dossier is kept")
        self.fields["reason"].help_text = _(
            "E.g. a complaint, an inspection or a court case concerns it (a legal hold). "
            "It is proposed again in a year."
        )


def show_error(form: forms.Form, exc: DomainError) -> None:
    """The service's error on the form, under the field it names, or at the top."""
    data = exc.data if isinstance(exc.data, dict) else {}
    placed = False
    for field, problems in data.items():
        problems = problems if isinstance(problems, list | tuple) else [problems]
        form.add_error(field if field in form.fields else None, [str(p) for p in problems])
        placed = True
    if not placed:
        form.add_error(None, str(exc.message))

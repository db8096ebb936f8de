"""The forms of the questions and answers' pages.

They only collect what was typed: the rules (lengths, markup removed, who may
do what) are the services'; a ``DomainError`` they raise is put back on the
form next to its field by ``show_error``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency
from egov.errors import DomainError
from engagement.models import ANSWER_MAX, QUESTION_MAX, Question

TEXTAREA = {"rows": 8, "spellcheck": "true"}


def show_error(form: forms.Form, exc: DomainError) -> None:
    """The service's error on the form: each message under the field it names
    (``exc.data``: {field: [messages]}); one for no field, or for a field the
    form does not have, at the top."""
    data = exc.data if isinstance(exc.data, dict) else {}
    placed = False
    for field, problems in data.items():
        problems = problems if isinstance(problems, list | tuple) else [problems]
        form.add_error(field if field in form.fields else None, [str(p) for p in problems])
        placed = True
    if not placed:
        form.add_error(None, str(exc.message))


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the answers"),
        help_text=_("Words of the question or the answer; accents are not needed."),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class AskForm(forms.Form):
    """A question on a procedure, to one of the agencies offering it."""

    agency = forms.ChoiceField(label=_("Agency to ask"))
    text = forms.CharField(
        label=_("Your question"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = {agency.code: agency for agency in agencies}
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(agency.code, agency.display_name) for agency in agencies]
        if len(agencies) == 1:
            field.help_text = gettext("The only agency that offers this procedure.")
        # Set here, not on the class: "%" would translate a lazy text at import.
        self.fields["text"].help_text = gettext(
            "At most %(max)d characters, in plain text. Do not write your ID number, "
            "address or phone number: the answer may be published, without your name."
        ) % {"max": QUESTION_MAX}

    def chosen_agency(self) -> Agency:
        return self.agencies[self.cleaned_data["agency"]]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"].help_text = gettext(
            "At most %(max)d characters, in plain text. The asker is told at once; "
            "the answer can be corrected until it is moderated."
        ) % {"max": ANSWER_MAX}


class ModerateForm(forms.Form):
    """The pair as the public will read it: edited to take out anything personal."""

    public_question = forms.CharField(
        label=_("Question as published"),
        help_text=_("Take out names, ID numbers, addresses and anything else personal."),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    public_answer = forms.CharField(
        label=_("Answer as published"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )


class PinForm(forms.Form):
    pinned = forms.BooleanField(
        label=_("Show it among the procedure's frequent questions"), required=False
    )
    order = forms.IntegerField(
        label=_("Position among the frequent questions"),
        help_text=_("Smaller numbers come first."),
        required=False,
        min_value=0,
        max_value=999,
        widget=forms.NumberInput(attrs={"class": "input--width-4", "inputmode": "numeric"}),
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Question.Status.choices],
    )
    late = forms.BooleanField(label=_("Late only: waiting past the due date"), required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"status": "", "late": False}
        return {
            "status": self.cleaned_data.get("status") or "",
            "late": bool(self.cleaned_data.get("late")),
        }

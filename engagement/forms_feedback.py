"""The forms of the feedback pages (phản ánh, kiến nghị).

They only collect what was typed: the rules (lengths, markup removed, files
checked, who may do what, limits) are ``engagement.feedback``'s; a
``DomainError`` it raises is put back on the form next to its field by
``show_error``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, Role, User
from egov.uploads import max_upload_bytes
from engagement.feedback import MAX_ATTACHMENTS
from engagement.forms import show_error
from engagement.models import FEEDBACK_BODY_MAX, FEEDBACK_SUBJECT_MAX, Feedback, FeedbackCategory
from onecounter.models import Dossier

__all__ = ["show_error"]

TEXTAREA = {"rows": 8, "spellcheck": "true"}


# --- Several files in one input (as in Django's documentation) ----------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A list of uploaded files (maybe empty): each checked by ``FileField``;
    their content is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# --- Sending -------------------------------------------------------------------------


class FeedbackForm(forms.Form):
    """A new feedback or recommendation. ``user`` signed in: the optional
    dossier; otherwise name, phone number and e-mail address."""

    kind = forms.ChoiceField(
        label=_("Is it feedback or a recommendation?"),
        choices=Feedback.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose feedback or recommendation.")},
    )
    category = forms.ChoiceField(
        label=_("What is it about?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what it is about.")},
    )
    agency = forms.ChoiceField(
        label=_("Agency it is about"),
        required=False,
    )
    subject = forms.CharField(label=_("Subject"), required=False, strip=False)
    body = forms.CharField(
        label=_("What happened, what you recommend"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    dossier = forms.ChoiceField(label=_("Dossier it is about (optional)"), required=False)
    files = MultipleFileField(label=_("Documents or photos (optional)"), required=False)
    consent_publish = forms.BooleanField(
        label=_("The answer may be published, without my name or contact details"),
        help_text=_(
            "It helps others with the same problem. The agency edits the text so that "
            "nothing personal is left."
        ),
        required=False,
    )
    name = forms.CharField(label=_("Your full name"), required=False, max_length=150)
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signed_in = bool(user.is_authenticated)
        self.categories = {c.code: c for c in FeedbackCategory.objects.filter(is_active=True)}
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (c.code, c.display_name) for c in self.categories.values()
        ]
        self.agencies = {a.code: a for a in Agency.objects.filter(is_active=True).order_by("name")}
        self.fields["agency"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Choose an agency")),
            *((a.code, a.display_name) for a in self.agencies.values()),
        ]
        self.fields["subject"].help_text = gettext(
            "In a few words, at most %(max)d characters."
        ) % {"max": FEEDBACK_SUBJECT_MAX}
        self.fields["body"].help_text = gettext(
            "At most %(max)d characters, in plain text: where and when it happened, "
            "what you would like done."
        ) % {"max": FEEDBACK_BODY_MAX}
        self.fields["files"].help_text = gettext(
            "PDF, JPEG or PNG; at most %(count)d files of %(mb)s MB each. Attachments "
            "are seen by the agency only, never published."
        ) % {"count": MAX_ATTACHMENTS, "mb": _megabytes(max_upload_bytes())}
        if self.signed_in:
            for name in ("name", "phone", "email"):
                del self.fields[name]
            self.dossiers = {
                str(d.pk): d
                for d in Dossier.objects.filter(applicant=user, code__isnull=False)
                .select_related("procedure", "agency")
                .order_by("-submitted_at", "-created_at")[:50]
            }
            self.fields["dossier"].choices = [  # type: ignore[attr-defined]
                ("", gettext("None")),
                *(
                    (pk, f"{d.code} – {d.procedure.display_name}")
                    for pk, d in self.dossiers.items()
                ),
            ]
            self.fields["dossier"].help_text = gettext(
                "One of your dossiers. Leave the agency empty to send it to the dossier's agency."
            )
            if not self.dossiers:
                del self.fields["dossier"]
        else:
            self.dossiers = {}
            del self.fields["dossier"]
            self.fields["name"].help_text = gettext(
                "Seen by the agency only, to answer you; never published."
            )
            self.fields["phone"].help_text = gettext(
                "A phone number or an e-mail address: we send a 6-digit code there to "
                "confirm it is yours, and the answer."
            )

    def clean_email(self) -> str:
        return (self.cleaned_data.get("email") or "").strip()

    def chosen_category(self) -> FeedbackCategory | None:
        return self.categories.get(self.cleaned_data.get("category") or "")

    def chosen_dossier(self) -> Dossier | None:
        return self.dossiers.get(self.cleaned_data.get("dossier") or "")

    def chosen_agency(self) -> Agency | None:
        """The agency chosen, else the linked dossier's."""
        agency = self.agencies.get(self.cleaned_data.get("agency") or "")
        if agency is None and (dossier := self.chosen_dossier()) is not None:
            agency = dossier.agency
        return agency

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "agency" not in self.errors and self.chosen_agency() is None:
            self.add_error("agency", gettext("Choose the agency it is about."))
        return data


def _megabytes(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:g}" if megabytes >= 1 else f"{megabytes:.2f}"


# --- Confirming, tracking, rating -------------------------------------------------------


class NoEcho(forms.TextInput):
    """Never writes what was typed back into the page."""

    def format_value(self, value: Any) -> None:
        return None


class ConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code we sent you"),
        max_length=12,
        widget=NoEcho(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
        error_messages={"required": _("Enter the code we sent you.")},
    )


class TrackFeedbackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        help_text=_("As given when you sent it, for example PA2603ABC234."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the tracking code.")},
    )
    contact = forms.CharField(
        label=_("The phone number or e-mail address you gave"),
        max_length=254,
        widget=NoEcho(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter the phone number or e-mail address.")},
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).upper()

    def clean_contact(self) -> str:
        contact = self.cleaned_data["contact"].strip()
        if "@" not in contact:  # a phone number: "0912.345.678", "(091) 234-5678"
            contact = "".join(ch for ch in contact if ch.isdigit() or ch == "+")
        return contact


SCORES = [(n, str(n)) for n in range(5, 0, -1)]


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How useful was the answer? (5: very useful, 1: not at all)"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the published answers"),
        help_text=_("Words of the feedback or the answer; accents are not needed."),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


# --- The back office ------------------------------------------------------------------


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusing"),
        help_text=_(
            "Sent to the sender: say why it cannot be accepted (for example, not within "
            "the agency's remit, or already answered) and where to turn."
        ),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AssignForm(forms.Form):
    officer = forms.ChoiceField(label=_("Officer to handle it"))

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officers = {
            str(u.pk): u
            for u in User.objects.filter(
                memberships__agency=agency,
                memberships__role__in=(Role.OFFICER, Role.HEAD),
                memberships__is_active=True,
                is_active=True,
            )
            .distinct()
            .order_by("full_name", "email")
        }
        self.fields["officer"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Choose an officer")),
            *((pk, u.full_name or u.email) for pk, u in self.officers.items()),
        ]
        self.fields["officer"].error_messages["required"] = gettext("Choose an officer.")

    def chosen(self) -> User | None:
        return self.officers.get(self.cleaned_data.get("officer") or "")


class FeedbackAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer to the sender"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=TEXTAREA),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answer"].help_text = gettext(
            "At most %(max)d characters, in plain text. The sender is told at once."
        ) % {"max": FEEDBACK_BODY_MAX}


class PublishForm(forms.Form):
    public_summary = forms.CharField(
        label=_("Feedback as published"),
        help_text=_("Take out names, ID numbers, addresses, phone numbers and anything personal."),
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


class FeedbackQueueFilterForm(forms.Form):
    step = forms.ChoiceField(
        label=_("Step"),
        required=False,
        choices=[
            ("", _("Any step")),
            *((v, label) for v, label in Feedback.Step.choices if v != Feedback.Step.UNVERIFIED),
        ],
    )
    late = forms.BooleanField(label=_("Late only: past the step's due date"), required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"step": "", "late": False}
        return {
            "step": self.cleaned_data.get("step") or "",
            "late": bool(self.cleaned_data.get("late")),
        }

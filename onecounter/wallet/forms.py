"""Forms of the citizen's own pages: answering a request for missing documents,
withdrawing, rating, keeping a document in the wallet.

The forms check what the citizen typed and chose; the files themselves are
checked by the services (``egov.uploads.clean_document`` in ``onecounter.wallet.services``),
whose refusals the views show next to the file box.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onecounter.models import SupplementRequest, WalletDocument
from onecounter.wallet.documents import KEPT_KINDS, kind_label
from onecounter.wallet.services import SuppliedItem

ACCEPTED_DOCUMENTS = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
FILE_HINT = _("PDF, JPEG or PNG, up to 10 MB.")
FILE_NOT_KEPT = _(
    "For your security, a file you chose is not kept when there is a problem with the form. "
    "Choose it again."
)


class WalletChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: WalletDocument) -> str:
        return f"{obj.title} ({obj.created_at:%d/%m/%Y})"


class SupplementAnswerForm(forms.Form):
    """One file box and one wallet choice for each missing item, and a note.

    Fields ``file_<n>`` and ``wallet_<n>`` for item n of the request. Each item
    needs a file or a wallet document (not both)."""

    note = forms.CharField(
        label=_("Note to the one-stop desk (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        request: SupplementRequest,
        wallet: QuerySet[WalletDocument],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.request = request
        self.labels = [str(item) for item in request.items]
        has_wallet = wallet.exists()
        note = self.fields.pop("note")
        for index, label in enumerate(self.labels):
            self.fields[f"file_{index}"] = forms.FileField(
                label=label,
                required=False,
                help_text=FILE_HINT,
                error_messages={"empty": _("The file is empty.")},
                widget=forms.FileInput(attrs={"accept": ACCEPTED_DOCUMENTS}),
            )
            if has_wallet:
                self.fields[f"wallet_{index}"] = WalletChoiceField(
                    label=_("Or take it from My documents"),
                    queryset=wallet,
                    required=False,
                    empty_label=_("— none —"),
                )
        self.fields["note"] = note

    def item_rows(self) -> list[dict[str, Any]]:
        """For the template: each item with its file box and wallet choice."""
        return [
            {
                "label": label,
                "file": self[f"file_{index}"],
                "wallet": self[f"wallet_{index}"] if f"wallet_{index}" in self.fields else None,
            }
            for index, label in enumerate(self.labels)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for index in range(len(self.labels)):
            upload = cleaned.get(f"file_{index}")
            chosen = cleaned.get(f"wallet_{index}")
            if f"file_{index}" in self.errors or f"wallet_{index}" in self.errors:
                continue
            if upload and chosen:
                self.add_error(
                    f"file_{index}",
                    _("Choose a file or a document from My documents, not both."),
                )
            elif not upload and not chosen:
                self.add_error(
                    f"file_{index}",
                    _("Choose a file for “%(item)s”.") % {"item": self.labels[index]},
                )
        return cleaned

    def supplied_items(self) -> list[SuppliedItem]:
        return [
            SuppliedItem(
                label=label,
                upload=self.cleaned_data.get(f"file_{index}") or None,
                wallet_document=self.cleaned_data.get(f"wallet_{index}"),
            )
            for index, label in enumerate(self.labels)
        ]

    def note_files_not_kept(self) -> None:
        """After a refusal: say next to each file box that the file must be chosen again."""
        for index in range(len(self.labels)):
            _note_not_kept(self, f"file_{index}")


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw the dossier?"),
        help_text=_("For example: I filed it by mistake, or I no longer need the result."),
        max_length=1000,
        error_messages={"required": _("Give a reason.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


SCORES = [
    ("5", _("5 – Very satisfied")),
    ("4", _("4 – Satisfied")),
    ("3", _("3 – Neither satisfied nor dissatisfied")),
    ("2", _("2 – Dissatisfied")),
    ("1", _("1 – Very dissatisfied")),
]


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=_("What could be better? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class KeepDocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it?"),
        choices=KEPT_KINDS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what kind of document it is.")},
    )
    title = forms.CharField(
        label=_("Name (optional)"),
        help_text=_("For example: My son's birth certificate."),
        required=False,
        max_length=200,
    )
    file = forms.FileField(
        label=_("File"),
        help_text=FILE_HINT,
        error_messages={"required": _("Choose a file."), "empty": _("The file is empty.")},
        widget=forms.FileInput(attrs={"accept": ACCEPTED_DOCUMENTS}),
    )

    def title_or_kind(self) -> str:
        return self.cleaned_data.get("title") or kind_label(self.cleaned_data["kind"])

    def note_file_not_kept(self) -> None:
        _note_not_kept(self, "file")


def _note_not_kept(form: forms.Form, name: str) -> None:
    """Say next to a file box that the file must be chosen again (the bound
    field keeps the hint it was created with, so both are updated)."""
    text = f"{FILE_HINT} {FILE_NOT_KEPT}"
    form.fields[name].help_text = text
    form[name].help_text = text

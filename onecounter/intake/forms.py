"""Forms of online filing that are not the procedure's own questions (those
come from the procedure's handler): where and for whom, the documents, the
declaration. Forms only check and shape input; ``onecounter.intake.drafts`` and
``onecounter.intake.attachments`` decide.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from citizens.models import Agency, Person
from onecounter.intake.plan import DocumentSlot
from onecounter.models import WalletDocument

MYSELF = "self"


class StartForm(forms.Form):
    """The agency (asked only when several offer the procedure) and the person
    the dossier is for (asked only when the citizen has minor children), or,
    for a procedure whose handler names a ``start_question`` (the birth
    declaration: who declares, since a newborn is neither the citizen nor a
    child of theirs in the population database), that question of its first
    page instead (``start_fields``; answered here or on that page)."""

    def __init__(
        self,
        *args: Any,
        agencies: list[Agency],
        children: list[Person],
        start_fields: dict[str, forms.Field] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.agencies = {str(a.pk): a for a in agencies}
        self.start_names = list(start_fields or {})
        for name, field in (start_fields or {}).items():
            field = copy.deepcopy(field)
            field.required = False  # the first page asks it again when not answered here
            self.fields[name] = field
        if start_fields:
            children = []  # the start question replaces "for whom"
        self.children = {str(c.pk): c for c in children}
        if len(agencies) > 1:
            self.fields["agency"] = forms.ChoiceField(
                label=_("Where do you want to file?"),
                help_text=_("Choose the agency that will handle your dossier."),
                choices=[(str(a.pk), _agency_label(a)) for a in agencies],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose where you want to file.")},
            )
        if children:
            self.fields["subject"] = forms.ChoiceField(
                label=_("Who is this dossier for?"),
                help_text=_("A parent can file for their child under 18."),
                choices=[
                    (MYSELF, _("For myself")),
                    *(
                        (
                            str(c.pk),
                            _("For my child %(name)s (born %(year)s)")
                            % {"name": c.full_name, "year": c.birth_date.year},
                        )
                        for c in children
                    ),
                ],
                widget=forms.RadioSelect,
                error_messages={"required": _("Say who the dossier is for.")},
            )

    def agency(self) -> Agency:
        if "agency" in self.cleaned_data:
            return self.agencies[self.cleaned_data["agency"]]
        return next(iter(self.agencies.values()))

    def start_answers(self) -> dict[str, Any]:
        """The answers given to the handler's start question(s)."""
        return {
            name: self.cleaned_data[name]
            for name in self.start_names
            if self.cleaned_data.get(name) not in (None, "")
        }

    def subject(self) -> Person | None:
        choice = self.cleaned_data.get("subject") or MYSELF
        return None if choice == MYSELF else self.children[choice]


def _agency_label(agency: Agency) -> str:
    address = agency.address or (agency.unit.display_name if agency.unit_id else "")
    return f"{agency.display_name} – {address}" if address else agency.display_name


class DocumentsForm(forms.Form):
    """One upload box per document (and, where the wallet holds documents of the
    kind asked for, a choice of them instead)."""

    def __init__(
        self,
        *args: Any,
        slots: list[DocumentSlot],
        wallet: dict[str, list[WalletDocument]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.slots = slots
        for slot in slots:
            self.fields[slot.key] = forms.FileField(
                label=_("Upload “%(document)s”") % {"document": slot.label},
                help_text=_("PDF, JPEG or PNG."),
                required=False,
                widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
            )
            options = wallet.get(slot.key) or []
            if options:
                self.fields[f"{slot.key}-wallet"] = forms.ChoiceField(
                    label=_("Or use a document from your wallet instead"),
                    choices=[
                        ("", _("No, I upload a file")),
                        *((str(w.pk), w.title) for w in options),
                    ],
                    required=False,
                    initial="",
                    widget=forms.RadioSelect,
                )
        self.wallet = {str(w.pk): w for options in wallet.values() for w in options}

    def wallet_document(self, slot: DocumentSlot) -> WalletDocument | None:
        choice = self.cleaned_data.get(f"{slot.key}-wallet") or ""
        return self.wallet.get(choice)

    def upload(self, slot: DocumentSlot):
        return self.cleaned_data.get(slot.key) or None


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I declare that the information I have given is true and complete, and I am "
            "responsible before the law for it."
        ),
        error_messages={"required": _("Confirm that the information you gave is true.")},
    )

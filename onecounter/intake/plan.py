"""The plan of an intake: a procedure's pages, questions, documents and steps,
as its handler (``procedures.handlers.registry``) defines them, for the online
filing (the browser wizard and the citizen's API) and the counter intake alike.

The handler gives the pages (``pages``), each page's form (``form_class``),
the questions not asked given the answers (``hidden_questions``), the file
questions required given the answers (``required_files``), the answers it
works out itself (``computed_answers``), what the population database can
fill in (``prefill``) and the fee (``fee``).

A page is a page when it asks at least one question. Online, file questions
(``forms.FileField``) are not asked on their pages: with the procedure's
required documents they make the documents step (``slots``). At the counter,
where files are not scanned, each file question is a tick box on its page,
"the paper original was checked" (``counter_form_class``), and there is no
documents step. The steps, in order: ``page-<n>``…, ``documents`` (when there
are any), ``check``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Prefetch
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from onecounter.intake.answers import PaperCheckedField, form_data, serialise
from procedures.handlers import registry
from procedures.models import FormField, Procedure, RequiredDocument

if TYPE_CHECKING:
    from citizens.models import Person
    from onecounter.models import Attachment
    from procedures.handlers.registry import ProcedureHandler


@dataclass(frozen=True)
class DocumentSlot:
    """One item of the documents step: a required document or a file question."""

    key: str  # "doc-<requirement id>" or "q-<question key>"
    label: str
    mandatory: bool
    requirement: RequiredDocument | None = None
    field_key: str = ""
    hint: str = ""

    @property
    def wallet_kind(self) -> str:
        return self.requirement.wallet_kind if self.requirement else ""

    def holds(self, attachment: Attachment) -> bool:
        if self.requirement is not None:
            return attachment.requirement_id == self.requirement.pk
        return bool(self.field_key) and attachment.field_key == self.field_key


def counter_form_class(form_class: type[forms.Form]) -> type[forms.Form]:
    """The handler's form for the counter: each file question becomes a tick box
    "the paper original was checked" (files are not scanned at the counter)."""
    replaced: dict[str, forms.Field] = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.FileField):
            replaced[name] = PaperCheckedField(
                label=field.label,
                help_text=_("Tick when you have checked the paper original at the counter."),
                required=field.required,
            )
    if not replaced:
        return form_class
    return type("Counter" + form_class.__name__, (form_class,), replaced)


class Plan:
    """A procedure's handler, pages, questions and documents, for one request.

    The questions are read from one unbound form per page, built once, so a
    page that shows every answer costs the same queries however many there
    are. Online, load the procedure with ``procedure_for_filing`` (questions
    and documents prefetched). ``counter``: the plan of the counter intake (file
    questions are tick boxes on their pages, no documents step). Raises
    ``LookupError`` when the procedure's handler is not installed.
    """

    def __init__(self, procedure: Procedure, *, counter: bool = False):
        self.procedure = procedure
        self.counter = counter
        self.handler: ProcedureHandler = registry.get(procedure.handler)
        self._unbound: dict[int, forms.Form] = {}

    @cached_property
    def all_pages(self) -> list[int]:
        return list(self.handler.pages(self.procedure))

    def form_class(self, page: int) -> type[forms.Form]:
        """The class of the page's form (at the counter, with its tick boxes)."""
        form_class = self.handler.form_class(self.procedure, page)
        return counter_form_class(form_class) if self.counter else form_class

    def form(
        self,
        page: int,
        *,
        data: Any = None,
        initial: Mapping[str, Any] | None = None,
        attached: Iterable[str] = (),
        answers: Mapping[str, Any] | None = None,
    ) -> forms.Form:
        """The page's form, given the answers of the other pages (``answers``)
        when its checks read them (``reads_answers``, e.g. the birth's
        health-care facility, asked for a child under 6). Online its file
        questions are asked on the documents step: here they are optional and
        never shown, and when bound each one that has a document attached
        holds a stand-in file, so the form's own checks ("attach the statement
        when...") see it."""
        files = None
        if data is not None:
            own = {name for name, field in self.blank(page).fields.items() if _is_file(field)}
            files = MultiValueDict({name: [_stand_in(name)] for name in attached if name in own})
        form_class = self.form_class(page)
        extra = (
            {"answers": dict(answers or {})} if getattr(form_class, "reads_answers", False) else {}
        )
        form = form_class(data=data, files=files, initial=initial, **extra)
        for field in form.fields.values():
            if _is_file(field):
                field.required = False
        return form

    def bound(
        self, page: int, values: Mapping[str, Any], attached: Iterable[str] = ()
    ) -> forms.Form:
        """The page's form bound to held answers (to check them)."""
        return self.form(
            page, data=form_data(self.blank(page), values), attached=attached, answers=values
        )

    def question_errors(self, form: forms.Form) -> dict[str, list[str]]:
        """A checked page form's errors, but those of file questions (the
        documents step deals with them)."""
        return {
            name: [str(m) for m in messages]
            for name, messages in form.errors.items()
            if name not in self.file_questions
        }

    def hide_file_errors(self, form: forms.Form) -> None:
        for name in self.file_questions:
            form.errors.pop(name, None)

    def blank(self, page: int) -> forms.Form:
        """The page's form as the handler defines it, unbound (built once)."""
        if page not in self._unbound:
            self._unbound[page] = self.form_class(page)()
        return self._unbound[page]

    def fields_of(self, page: int) -> dict[str, forms.Field]:
        """The questions of a page (file questions and the answers the handler
        works out itself excepted), in order."""
        computed = set(getattr(self.handler, "computed_answers", ()) or ())
        return {
            name: field
            for name, field in self.blank(page).fields.items()
            if not _is_file(field) and name not in computed
        }

    def labelled_fields(self) -> dict[str, forms.Field]:
        """Every field of every page by key, in page order, file questions and
        the answers the handler works out included: to name an answer and its
        choices."""
        fields: dict[str, forms.Field] = {}
        for page in self.all_pages:
            fields.update(self.form_class(page).base_fields)
        return fields

    def hidden(self, data: Mapping[str, Any]) -> set[str]:
        """The questions (and file questions) not asked given these answers."""
        return set(self.handler.hidden_questions(self.procedure, dict(data)) or ())

    def slots_for(self, data: Mapping[str, Any]) -> list[DocumentSlot]:
        """The documents step for these answers: a file question not asked is
        left out, and one the handler requires given the answers (e.g. the
        witness's statement for a birth outside a hospital) is mandatory."""
        hidden = self.hidden(data)
        required = self.handler.required_files(self.procedure, dict(data))
        slots = []
        for slot in self.slots:
            if slot.field_key and slot.field_key in hidden:
                continue
            if slot.field_key and required is not None:
                slot = replace(slot, mandatory=slot.field_key in required)
            slots.append(slot)
        return slots

    @cached_property
    def pages(self) -> list[int]:
        """The pages that ask at least one question."""
        return [page for page in self.all_pages if self.fields_of(page)]

    @cached_property
    def questions(self) -> dict[str, tuple[int, forms.Field]]:
        return {
            name: (page, field)
            for page in self.pages
            for name, field in self.fields_of(page).items()
        }

    @cached_property
    def file_questions(self) -> dict[str, forms.FileField]:
        """The file questions asked on the documents step (none at the counter)."""
        return {
            name: field
            for page in self.all_pages
            for name, field in self.blank(page).fields.items()
            if _is_file(field)
        }

    @cached_property
    def slots(self) -> list[DocumentSlot]:
        """The documents step: the required documents, then the file questions
        (none at the counter, where the papers are checked by hand)."""
        if self.counter:
            return []
        slots = [
            DocumentSlot(
                key=f"doc-{document.pk}",
                label=document.display_name,
                mandatory=document.mandatory,
                requirement=document,
            )
            for document in self.procedure.documents.all()
        ]
        slots += [
            DocumentSlot(
                key=f"q-{name}",
                label=str(field.label or name),
                mandatory=field.required,
                field_key=name,
                hint=str(field.help_text or ""),
            )
            for name, field in self.file_questions.items()
        ]
        return slots

    def steps(self) -> list[str]:
        """Every step in order: "page-<n>", "documents" (when there are any), "check"."""
        return [
            *(f"page-{page}" for page in self.pages),
            *(["documents"] if self.slots else []),
            "check",
        ]

    def step_after(self, step: str) -> str:
        steps = self.steps()
        return steps[min(steps.index(step) + 1, len(steps) - 1)]

    def step_before(self, step: str) -> str | None:
        steps = self.steps()
        index = steps.index(step)
        return steps[index - 1] if index > 0 else None

    def prefill(self, person: Person | None) -> dict[str, Any]:
        """What the population database holds for the plan's questions about
        ``person`` (the handler's ``prefill``): only questions of the form, and
        only values that say something. ``{question key: JSON value}``."""
        if person is None:
            return {}
        values = self.handler.prefill(self.procedure, person) or {}
        return {
            key: serialise(value)
            for key, value in values.items()
            if key in self.questions and value not in (None, "", [], {})
        }


def _is_file(field: forms.Field) -> bool:
    return isinstance(field, forms.FileField)


def _stand_in(name: str) -> SimpleUploadedFile:
    """What a page form sees for a file question answered on the documents step."""
    return SimpleUploadedFile(f"{name}.pdf", b"%PDF-", content_type="application/pdf")


def procedure_for_filing(procedure_id: Any) -> Procedure:
    return (
        Procedure.objects.select_related("field")
        .prefetch_related(
            Prefetch("form_fields", queryset=FormField.objects.order_by("page", "order", "id")),
            Prefetch("documents", queryset=RequiredDocument.objects.order_by("order", "id")),
        )
        .get(pk=procedure_id)
    )


def plan_for(procedure: Procedure, *, counter: bool = False) -> Plan:
    """The intake's plan; raises ``LookupError`` when the procedure's handler is not installed."""
    return Plan(procedure, counter=counter)


def fee(procedure: Procedure, data: Mapping[str, Any], *, online: bool) -> int:
    """The fee of a dossier with these answers (VND), as the procedure's handler
    works it out (e.g. the late-registration fee of a birth registered more
    than 60 days after it); the catalog's fee of the channel when the handler
    is not installed."""
    try:
        handler = registry.get(procedure.handler)
    except LookupError:
        return procedure.fee_online if online else procedure.fee_counter
    return handler.fee(procedure, dict(data), online=online)


def fee_before_receipt(procedure: Procedure, data: Mapping[str, Any]) -> bool:
    """Whether the fee for these answers is paid before the one-stop desk
    receives the dossier (the handler's ``fee_before_receipt``; no when the
    handler is not installed)."""
    try:
        handler = registry.get(procedure.handler)
    except LookupError:
        return False
    return handler.fee_before_receipt(procedure, dict(data))

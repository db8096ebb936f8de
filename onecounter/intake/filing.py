"""Filing a procedure online: the citizen's draft, page by page, its documents,
the declaration and the submission.

The flow works for any procedure handler of ``procedures.handlers.registry``:
the handler gives the pages (``pages``), each page's form (``form_class``),
the cross-field checks (``validate``) and what the population database can
fill in (``prefill``). Answers are kept in ``Dossier.data`` as JSON-friendly
values (dates in ISO format, model choices as their primary key), one key per
question, saved as the citizen goes.

File questions of the handler's forms (``forms.FileField``) are not asked on
their pages: with the procedure's required documents they make the documents
step, where each is uploaded (checked by ``egov.uploads.clean_document``,
stored privately with its SHA-256) or, for a required document with a
``wallet_kind``, taken from the citizen's wallet. They live in ``Attachment``
rows (``requirement`` or ``field_key``), not in ``Dossier.data``.

Only the draft's applicant may read or change it: any other account gets
``NotFoundError`` (HTTP 404), revealing nothing. A dossier that has left the
draft state can no longer be changed here (``ConflictError``, code
``not_draft``).

Contract for the payments engineer: ``submit_online(dossier=..., actor=...)``
is idempotent (a dossier already submitted is returned as it is) and raises
``PaymentRequired`` (HTTP 402, code ``payment_required``) while a
full-online procedure's online fee is unpaid (``dossier.paid_at is None``).
After a successful payment, set ``paid_at`` and call it with
``actor=dossier.applicant``.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import hashlib
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from rest_framework import status

from citizens import selectors as citizen_selectors
from citizens.models import AccessLog, Agency, Person, User
from citizens.population import access_log_write
from egov.errors import (
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailed,
)
from egov.uploads import clean_document
from onecounter import transitions
from onecounter.models import Attachment, Dossier, DossierStatus, Payment, WalletDocument
from onecounter.services import dossier_create_draft
from onecounter.workdays import WorkCalendar
from procedures.handlers import registry
from procedures.models import FormField, Procedure, RequiredDocument

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from procedures.handlers.registry import ProcedureHandler

logger = logging.getLogger(__name__)

# Stored untranslated in the access log (an audit record), translated when shown.
PREFILL_PURPOSE = gettext_noop("Prefill of dossier form")
PURGE_BATCH = 200
# The key of ``Dossier.data`` listing the answers taken from the population
# database (shown read-only). Keys starting with "_" are not answers.
PREFILLED = "_prefilled"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- Errors ---------------------------------------------------------------------------


class IdentityLevelTooLow(PermissionDeniedError):
    code = "identity_level"
    default_message = _(
        "Your account is not linked to your population record at the identity level "
        "this procedure needs."
    )


class PaymentRequired(DomainError):
    code = "payment_required"
    http_status = status.HTTP_402_PAYMENT_REQUIRED
    default_message = _("The fee must be paid online before the dossier is sent.")


def _not_draft(dossier: Dossier) -> ConflictError:
    return ConflictError(
        _("This dossier has been sent and can no longer be changed."),
        code="not_draft",
        data={"status": dossier.status, "code": dossier.code},
    )


# --- The procedure as a sequence of steps -----------------------------------------------


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


class Plan:
    """A procedure's handler, pages, questions and documents, for one request.

    The questions are read from one unbound form per page, built once, so a
    page that shows every answer costs the same queries however many there
    are. Load the procedure with ``procedure_for_filing`` (questions and
    documents prefetched). Raises ``LookupError`` when the procedure's handler
    is not installed.
    """

    def __init__(self, procedure: Procedure):
        self.procedure = procedure
        self.handler: ProcedureHandler = registry.get(procedure.handler)
        self._unbound: dict[int, forms.Form] = {}

    @cached_property
    def all_pages(self) -> list[int]:
        return list(self.handler.pages(self.procedure))

    def form(
        self,
        page: int,
        *,
        data: Any = None,
        initial: Mapping[str, Any] | None = None,
        attached: Iterable[str] = (),
        answers: Mapping[str, Any] | None = None,
    ) -> forms.Form:
        """The handler's form of a page. Its file questions are asked on the
        documents step: here they are optional and never shown, and when bound
        each one that has a document attached holds a stand-in file, so the
        form's own checks ("attach the statement when...") see it."""
        files = None
        if data is not None:
            own = {name for name, field in self.blank(page).fields.items() if _is_file(field)}
            files = MultiValueDict({name: [_stand_in(name)] for name in attached if name in own})
        form_class = self.handler.form_class(self.procedure, page)
        # A page whose checks read the answers of other pages (``reads_answers``,
        # e.g. the birth's health-care facility, asked for a child under 6).
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
        """The page's form bound to stored answers (to check them)."""
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
            self._unbound[page] = self.handler.form_class(self.procedure, page)()
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
        return {
            name: field
            for page in self.all_pages
            for name, field in self.blank(page).fields.items()
            if _is_file(field)
        }

    @cached_property
    def slots(self) -> list[DocumentSlot]:
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


def plan_for(procedure: Procedure) -> Plan:
    """The filing plan; raises ``LookupError`` when the procedure's handler is not installed."""
    return Plan(procedure)


# --- Values: cleaned form data <-> JSON <-> form data --------------------------------------


def serialise(value: Any) -> Any:
    """A cleaned form value as JSON-friendly data (dates ISO, model choices by key)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return serialise(value.pk)
    if isinstance(value, Mapping):
        return {str(k): serialise(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [serialise(v) for v in value]
    return value


def _revive(field: forms.Field, value: Any) -> Any:
    """A stored value in the shape the field's widget expects for display.

    Multi-part widgets (e.g. a date as day/month/year boxes) decompress a date,
    not its ISO text; other widgets show the stored text as it is."""
    if (
        isinstance(field.widget, forms.MultiWidget)
        and isinstance(value, str)
        and ISO_DATE.match(value)
    ):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def initial_values(form: forms.Form, data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _revive(field, data[name]) for name, field in form.fields.items() if name in data}


def form_data(form: forms.Form, values: Mapping[str, Any]) -> MultiValueDict:
    """Stored answers as the data a browser would post for ``form`` (to check them)."""
    data = MultiValueDict()
    for name, field in form.fields.items():
        if name not in values:
            continue
        key = form.add_prefix(name)
        value = _revive(field, values[name])
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value) if value not in (None, "") else []
            for suffix, part in zip(widget.widgets_names, parts, strict=False):
                data[f"{key}{suffix}"] = "" if part is None else str(part)
        elif isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                data[key] = "on" if isinstance(widget, forms.CheckboxInput) else "True"
            elif not isinstance(widget, forms.CheckboxInput):
                data[key] = "False"
        elif value is None:
            data[key] = ""
        else:
            data[key] = str(value)
    return data


# --- Reads ------------------------------------------------------------------------------


def draft_queryset() -> models.QuerySet[Dossier]:
    return Dossier.objects.filter(channel=Dossier.Channel.ONLINE).select_related(
        "procedure", "procedure__field", "agency", "applicant_person", "subject_person"
    )


def dossier_of(user: User, pk: Any) -> Dossier:
    """The signed-in citizen's own online dossier, or ``NotFoundError``."""
    if not getattr(user, "is_authenticated", False):
        raise NotFoundError()
    dossier = draft_queryset().filter(pk=pk, applicant=user).first()
    if dossier is None:
        raise NotFoundError()
    # The procedure with its questions and documents (two queries).
    dossier.procedure = procedure_for_filing(dossier.procedure_id)
    return dossier


def drafts_of(user: User) -> models.QuerySet[Dossier]:
    """The citizen's drafts, most recently changed first."""
    return (
        draft_queryset().filter(applicant=user, status=DossierStatus.DRAFT).order_by("-updated_at")
    )


def identity_level(user: User) -> int:
    identity = getattr(user, "identity", None)
    return identity.level if identity is not None else 0


def applicant_person(user: User) -> Person | None:
    identity = getattr(user, "identity", None)
    return identity.person if identity is not None else None


def can_file_online(procedure: Procedure) -> bool:
    return procedure.online_level in (Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL)


def offering_agencies(procedure: Procedure) -> list[Agency]:
    return list(procedure.offered_by.filter(is_active=True).order_by("name"))


def children_for(user: User) -> list[Person]:
    """The minor children the citizen may file for (linked record, living, under 18)."""
    person = applicant_person(user)
    if person is None:
        return []
    return list(citizen_selectors.minor_children_of(person))


def attachments_of(dossier: Dossier) -> list[Attachment]:
    return list(
        Attachment.objects.filter(dossier=dossier)
        .select_related("wallet_document")
        .order_by("uploaded_at", "pk")
    )


def wallet_choices(user: User, plan: Plan) -> dict[str, list[WalletDocument]]:
    """For each document slot with a wallet kind, the citizen's wallet documents of that kind."""
    kinds = {slot.wallet_kind for slot in plan.slots if slot.wallet_kind}
    if not kinds:
        return {}
    wallet = list(WalletDocument.objects.filter(owner=user, kind__in=kinds).order_by("-created_at"))
    return {
        slot.key: [w for w in wallet if w.kind == slot.wallet_kind]
        for slot in plan.slots
        if slot.wallet_kind
    }


def attached_questions(attachments: Iterable[Attachment]) -> set[str]:
    """The file questions that have a document attached."""
    return {a.field_key for a in attachments if a.field_key}


def missing_documents(
    dossier: Dossier, plan: Plan | None = None, attachments: list[Attachment] | None = None
) -> list[DocumentSlot]:
    """The mandatory documents and file questions that have nothing attached yet."""
    plan = plan or plan_for(dossier.procedure)
    if attachments is None:
        attachments = list(
            Attachment.objects.filter(dossier=dossier).only("requirement", "field_key")
        )
    return [
        slot
        for slot in plan.slots_for(answers(dossier))
        if slot.mandatory and not any(slot.holds(attachment) for attachment in attachments)
    ]


def answers(dossier: Dossier) -> dict[str, Any]:
    """The answers, without the filing's own bookkeeping (``_prefilled``)."""
    return {k: v for k, v in (dossier.data or {}).items() if not k.startswith("_")}


def prefilled_keys(dossier: Dossier) -> set[str]:
    return set((dossier.data or {}).get(PREFILLED, []))


def page_is_complete(dossier: Dossier, plan: Plan, page: int, attached: Iterable[str] = ()) -> bool:
    """Every question of the page has a saved answer, and the answers pass the
    page's checks (those about documents excepted: the documents step has them)."""
    data = answers(dossier)
    hidden = plan.hidden(data)
    if any(name not in data for name in plan.fields_of(page) if name not in hidden):
        return False
    form = plan.bound(page, data, attached)
    form.is_valid()
    return not plan.question_errors(form)


def answer_errors(
    dossier: Dossier,
    plan: Plan,
    *,
    attached: Iterable[str] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, list[str]]:
    """Every problem with the answers: each page's checks, then (when they
    pass) the handler's checks on the whole data, which may also add what
    follows from the answers to ``data``. ``{key: [messages]}``: a question's
    key, ``q-<key>`` for a file question, ``page-<n>`` for a page as a whole."""
    if attached is None:
        attached = attached_questions(Attachment.objects.filter(dossier=dossier).only("field_key"))
    attached = set(attached)
    data = answers(dossier) if data is None else data
    errors: dict[str, list[str]] = {}
    for page in plan.pages:
        form = plan.bound(page, data, attached)
        if form.is_valid():
            continue
        for name, messages in form.errors.items():
            if name in plan.file_questions:
                key = f"q-{name}"
            elif name == forms.forms.NON_FIELD_ERRORS:
                key = f"page-{page}"
            else:
                key = name
            errors.setdefault(key, []).extend(str(m) for m in messages)
    if not errors:
        for name, messages in (plan.handler.validate(plan.procedure, data) or {}).items():
            key = f"q-{name}" if name in plan.file_questions else name
            errors.setdefault(key, []).extend(str(m) for m in messages)
    return errors


def next_step(dossier: Dossier, plan: Plan) -> str:
    """Where to resume: the first page not complete, then the documents while a
    mandatory one is missing, else the check-your-answers step."""
    attachments = list(Attachment.objects.filter(dossier=dossier).only("requirement", "field_key"))
    attached = attached_questions(attachments)
    for page in plan.pages:
        if not page_is_complete(dossier, plan, page, attached):
            return f"page-{page}"
    if plan.slots and missing_documents(dossier, plan, attachments):
        return "documents"
    return "check"


def step_reachable(dossier: Dossier, plan: Plan, step: str) -> str | None:
    """None when ``step`` may be opened now (it is not after the first step
    that is not complete: going back is always allowed), else the step to go to."""
    steps = plan.steps()
    first_open = next_step(dossier, plan)
    if step in steps and steps.index(step) <= steps.index(first_open):
        return None
    return first_open


def missing_answers(dossier: Dossier, plan: Plan) -> dict[str, list[str]]:
    """The questions still unanswered that must be answered (those asked given
    the answers so far): ``{question key: [message]}``, in page order."""
    data = answers(dossier)
    hidden = plan.hidden(data)
    missing: dict[str, list[str]] = {}
    for page in plan.pages:
        form = plan.bound(page, data)
        for name in plan.fields_of(page):
            field = form.fields.get(name)
            if field is None or name in hidden or not field.required or field.disabled:
                continue
            if data.get(name) in (None, "", [], {}):
                missing[name] = [
                    str(
                        _("Answer this question: “%(question)s”.")
                        % {"question": field.label or name}
                    )
                ]
    return missing


def step_after(plan: Plan, step: str) -> str:
    steps = plan.steps()
    return steps[min(steps.index(step) + 1, len(steps) - 1)]


def step_before(plan: Plan, step: str) -> str | None:
    steps = plan.steps()
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def online_fee(dossier: Dossier, data: Mapping[str, Any] | None = None) -> int:
    """The fee of the draft filed online (VND), as the procedure's handler
    works it out from the answers (e.g. the late-registration fee of a birth
    registered more than 60 days after it); the catalog's online fee when the
    handler is not installed."""
    procedure = dossier.procedure
    try:
        handler = registry.get(procedure.handler)
    except LookupError:
        return procedure.fee_online
    return handler.fee(procedure, dict(answers(dossier) if data is None else data), online=True)


def payment_required(dossier: Dossier, data: Mapping[str, Any] | None = None) -> bool:
    """A full-online procedure whose fee for this dossier is not zero, not paid yet."""
    procedure = dossier.procedure
    return (
        procedure.online_level == Procedure.OnlineLevel.FULL
        and dossier.paid_at is None
        and online_fee(dossier, data) > 0
    )


def expected_result_date(
    dossier: Dossier, *, now: dt.datetime | None = None, calendar: WorkCalendar | None = None
) -> dt.date:
    """When the result is expected: the procedure's online working days from the
    submission (from now for a draft), with the 15:00 cut-off. The promised date
    itself is set when the one-stop desk receives the dossier."""
    start = dossier.submitted_at or now or timezone.now()
    if calendar is None:
        calendar = WorkCalendar.load(start=timezone.localdate(start) - dt.timedelta(days=1))
    return calendar.due_date(start, dossier.procedure.days_online)


def receive_by_date(dossier: Dossier, *, calendar: WorkCalendar | None = None) -> dt.date | None:
    """By when the one-stop desk must receive (or answer) a dossier sent online
    and waiting to be received: the working day after the one it counts as
    sent on (the 15:00 cut-off: sent at 16:00 on a Monday, it counts as sent on
    Tuesday and must be received by Wednesday). ``None`` once it is received."""
    if dossier.status != DossierStatus.SUBMITTED or dossier.submitted_at is None:
        return None
    if calendar is None:
        start = timezone.localdate(dossier.submitted_at) - dt.timedelta(days=1)
        calendar = WorkCalendar.load(start=start)
    return calendar.next_working_day(calendar.receipt_day(dossier.submitted_at))


def with_waiting_dates(dossiers: Iterable[Dossier]) -> None:
    """Give each dossier waiting to be received its ``receive_by`` and
    ``expected_result`` dates (one calendar for all: a queue's page costs one
    more query, whatever its length); the others get ``None``."""
    dossiers = list(dossiers)
    waiting = [d for d in dossiers if d.status == DossierStatus.SUBMITTED and d.submitted_at]
    calendar = (
        WorkCalendar.load(
            start=min(timezone.localdate(d.submitted_at) for d in waiting) - dt.timedelta(days=1)
        )
        if waiting
        else None
    )
    for dossier in dossiers:
        if dossier in waiting:
            dossier.receive_by = receive_by_date(dossier, calendar=calendar)
            dossier.expected_result = expected_result_date(dossier, calendar=calendar)
        else:
            dossier.receive_by = dossier.expected_result = None


# --- Prefill ------------------------------------------------------------------------------


def prefill_persons(dossier: Dossier) -> list[Person]:
    return [p for p in (dossier.applicant_person, dossier.subject_person) if p is not None]


def prefill_values(*, dossier: Dossier, plan: Plan) -> dict[str, Any]:
    """What the population database holds for the dossier's questions: the
    handler is asked about the person the dossier is about (the child when
    filing for one, else the applicant). Only questions of the form, and only
    values that say something, are kept. ``{question key: JSON value}``."""
    subject = dossier.subject_person or dossier.applicant_person
    if subject is None:
        return {}
    values = plan.handler.prefill(plan.procedure, subject) or {}
    return {
        key: serialise(value)
        for key, value in values.items()
        if key in plan.questions and value not in (None, "", [], {})
    }


def prefill_log(*, dossier: Dossier, user: User) -> None:
    """Write the reads of the applicant's (and the child's) record for this
    draft to their access log (channel PREFILL): once per draft and person,
    however many times the pages show them."""
    persons = prefill_persons(dossier)
    if not persons:
        return
    reference = str(dossier.pk)
    logged = set(
        AccessLog.objects.filter(
            channel=AccessLog.Channel.PREFILL,
            dossier_ref=reference,
            person__in=[p.pk for p in persons],
        ).values_list("person_id", flat=True)
    )
    if all(p.pk in logged for p in persons):
        return
    with transaction.atomic():
        # Under the draft's row lock, two page views at once log a person once.
        Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
        logged = set(
            AccessLog.objects.filter(
                channel=AccessLog.Channel.PREFILL,
                dossier_ref=reference,
                person__in=[p.pk for p in persons],
            ).values_list("person_id", flat=True)
        )
        for person in persons:
            if person.pk not in logged:
                access_log_write(
                    person=person,
                    channel=AccessLog.Channel.PREFILL,
                    actor=user,
                    purpose=PREFILL_PURPOSE,
                    dossier_ref=reference,
                )


# --- Writes -------------------------------------------------------------------------------


def _lock_draft(dossier: Dossier, user: User) -> Dossier:
    """The draft, locked for this transaction; 404 for anyone but its applicant."""
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .filter(pk=dossier.pk, channel=Dossier.Channel.ONLINE)
        .first()
    )
    if locked is None or locked.applicant_id is None or locked.applicant_id != user.pk:
        raise NotFoundError()
    if locked.status != DossierStatus.DRAFT:
        raise _not_draft(locked)
    locked.procedure = dossier.procedure  # keep the prefetched questions
    return locked


def _touch(dossier: Dossier, *, now: dt.datetime, fields: Iterable[str] = ()) -> None:
    """Save a change to the draft: its answers or documents changed, so a
    declaration made before no longer covers them."""
    dossier.updated_at = now
    dossier.declaration_accepted_at = None
    dossier.save(update_fields=sorted({*fields, "updated_at", "declaration_accepted_at"}))


@transaction.atomic
def draft_start(
    *,
    user: User,
    procedure: Procedure,
    agency: Agency | None,
    subject_person: Person | None = None,
) -> Dossier:
    """A new online draft of ``procedure`` at ``agency``, for the citizen or one
    of their minor children, with what the population database knows filled in.

    Refused when the procedure cannot be filed online (409 ``not_online``), its
    handler is missing (409 ``handler_unavailable``), the account's identity
    level is too low (403 ``identity_level``), the agency does not offer it or
    the person is not the citizen's minor child (400)."""
    if not can_file_online(procedure):
        raise ConflictError(_("This procedure cannot be filed online."), code="not_online")
    try:
        plan = plan_for(procedure)
    except LookupError as exc:
        raise ConflictError(
            _("This procedure cannot be filed online yet."), code="handler_unavailable"
        ) from exc
    level = identity_level(user)
    if level < procedure.identity_level:
        raise IdentityLevelTooLow(data={"required": procedure.identity_level, "current": level})
    if agency is None or not procedure.offered_by.filter(pk=agency.pk, is_active=True).exists():
        raise ValidationFailed(
            _("Choose an agency that offers this procedure."),
            code="invalid",
            data={"agency": [str(_("Choose an agency that offers this procedure."))]},
        )
    if subject_person is not None and subject_person.pk not in {
        child.pk for child in children_for(user)
    }:
        message = _("You can file only for yourself or for your minor child.")
        raise ValidationFailed(message, code="invalid", data={"subject_person": [str(message)]})
    dossier = dossier_create_draft(
        procedure=procedure, agency=agency, applicant=user, subject_person=subject_person
    )
    dossier = draft_queryset().get(pk=dossier.pk)
    dossier.procedure = procedure
    # Prefilled once, when the draft starts: the pages then show what was read.
    prefill_log(dossier=dossier, user=user)
    values = prefill_values(dossier=dossier, plan=plan)
    if values:
        # A handler may name prefilled answers the citizen can still change
        # (``prefill_editable``, e.g. a suggestion); the others are read-only.
        editable = set(getattr(plan.handler, "prefill_editable", ()) or ())
        read_only = sorted(k for k in values if k not in editable)
        dossier.data = {**dossier.data, **values, PREFILLED: read_only}
        dossier.save(update_fields=["data"])
    return dossier


@transaction.atomic
def draft_save_page(
    *, dossier: Dossier, user: User, page: int, cleaned_data: Mapping[str, Any]
) -> Dossier:
    """Save answers of one page (all of them, or those that passed the checks
    when the citizen saves to come back later). Returns the updated draft."""
    locked = _lock_draft(dossier, user)
    plan = plan_for(locked.procedure)
    if page not in plan.pages:
        raise NotFoundError()
    questions = plan.fields_of(page)
    read_only = prefilled_keys(locked)
    values = {
        name: serialise(value)
        for name, value in cleaned_data.items()
        if name in questions and name not in read_only and not isinstance(value, File)
    }
    data = {**(locked.data or {}), **values}
    # A handler may fill in more once it knows these answers (e.g. the birth
    # declaration's parents, once the declarer says how they are related to
    # the child): ``prefill_update`` returns the answers to change and the new
    # read-only set, and logs the records it reads.
    update = getattr(plan.handler, "prefill_update", None)
    if update is not None:
        changes, read_only = update(
            plan.procedure,
            locked.applicant_person,
            data,
            read_only=read_only,
            actor=user,
            reference=str(locked.pk),
        )
        data = {**data, **serialise(changes), PREFILLED: sorted(read_only)}
    if data != locked.data:
        locked.data = data
        _touch(locked, now=timezone.now(), fields=["data"])
    return locked


def _label_for(plan: Plan, requirement: RequiredDocument | None, field_key: str) -> str:
    if requirement is not None:
        return requirement.name
    field = plan.file_questions[field_key]
    return str(field.label or field_key)


@transaction.atomic
def attachment_add(
    *,
    dossier: Dossier,
    user: User,
    requirement: RequiredDocument | None = None,
    field_key: str = "",
    upload: UploadedFile | None = None,
    wallet_document: WalletDocument | None = None,
) -> Attachment:
    """Attach a document to a draft: an upload (checked by content, size-limited,
    re-encoded and renamed; refused with ``ValidationFailed`` and nothing stored
    otherwise) or, for a required document that accepts one, a document of the
    citizen's wallet of the right kind. For a required document (``requirement``)
    or a file question (``field_key``)."""
    locked = _lock_draft(dossier, user)
    plan = plan_for(locked.procedure)
    if (requirement is None) == (not field_key):
        raise ValidationFailed(_("Say which document this is."), code="document_unknown")
    if requirement is not None and requirement.procedure_id != locked.procedure_id:
        raise NotFoundError()
    if field_key and field_key not in plan.file_questions:
        raise NotFoundError()
    if (upload is None) == (wallet_document is None):
        raise ValidationFailed(
            _("Choose a file to upload or a document from your wallet."), code="no_document"
        )
    label = _label_for(plan, requirement, field_key)
    now = timezone.now()
    if wallet_document is not None:
        if wallet_document.owner_id != user.pk:
            raise NotFoundError()
        if requirement is None or not requirement.wallet_kind:
            raise ValidationFailed(
                _("A document from your wallet cannot be used here."), code="wallet_not_accepted"
            )
        if wallet_document.kind != requirement.wallet_kind:
            raise ValidationFailed(
                _("This wallet document is not of the kind asked for."), code="wallet_kind"
            )
        existing = Attachment.objects.filter(
            dossier=locked, requirement=requirement, wallet_document=wallet_document
        ).first()
        if existing is not None:
            return existing
        attachment = Attachment.objects.create(
            dossier=locked,
            requirement=requirement,
            wallet_document=wallet_document,
            label=wallet_document.title[:200] or label,
            sha256=_wallet_sha256(wallet_document),
            uploaded_by=user,
            uploaded_at=now,
        )
        _touch(locked, now=now)
        return attachment

    assert upload is not None
    clean = clean_document(upload)  # ValidationFailed: nothing is stored
    content = clean.read()
    attachment = Attachment(
        dossier=locked,
        requirement=requirement,
        field_key=field_key,
        label=label[:200],
        content_type=clean.content_type or "",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
        uploaded_at=now,
    )
    attachment.file.save(clean.name, ContentFile(content), save=False)
    try:
        attachment.save()
        _touch(locked, now=now)
    except Exception:
        attachment.file.storage.delete(attachment.file.name)  # no row, no file
        raise
    return attachment


def _wallet_sha256(wallet_document: WalletDocument) -> str:
    if wallet_document.document_id and wallet_document.document.sha256:
        return wallet_document.document.sha256
    if wallet_document.file:
        digest = hashlib.sha256()
        with wallet_document.file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(65536), b""):
                digest.update(chunk)
        return digest.hexdigest()
    return ""


@transaction.atomic
def attachment_remove(*, dossier: Dossier, user: User, attachment: Attachment) -> None:
    """Take a document off a draft; an uploaded file is deleted after commit."""
    locked = _lock_draft(dossier, user)
    row = Attachment.objects.filter(pk=attachment.pk, dossier=locked).first()
    if row is None:
        raise NotFoundError()
    name = row.file.name if row.file else ""
    storage = row.file.storage
    row.delete()
    _touch(locked, now=timezone.now())
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def declaration_accept(*, dossier: Dossier, user: User) -> Dossier:
    """The citizen declares the information true and complete."""
    locked = _lock_draft(dossier, user)
    now = timezone.now()
    locked.declaration_accepted_at = now
    locked.updated_at = now
    locked.save(update_fields=["declaration_accepted_at", "updated_at"])
    return locked


def _missing_message(slot: DocumentSlot) -> str:
    return str(_("Add “%(document)s”.") % {"document": slot.label})


def submission_problems(
    dossier: Dossier, plan: Plan, attachments: list[Attachment] | None = None
) -> dict[str, list[str]]:
    """Everything that stops the draft from being sent, by question key or
    document slot key (``doc-<id>``, ``q-<key>``); empty when it can go."""
    if attachments is None:
        attachments = list(
            Attachment.objects.filter(dossier=dossier).only("requirement", "field_key")
        )
    problems: dict[str, list[str]] = {}
    for slot in missing_documents(dossier, plan, attachments):
        problems.setdefault(slot.key, []).append(_missing_message(slot))
    for key, messages in answer_errors(
        dossier, plan, attached=attached_questions(attachments)
    ).items():
        problems.setdefault(key, []).extend(m for m in messages if m not in problems.get(key, []))
    return problems


def submit_online(*, dossier: Dossier, actor: User) -> Dossier:
    """Send the draft to the one-stop desk. Returns the submitted dossier (with
    its code); the online submission receipt and the notices follow after commit.

    Idempotent: a dossier already sent is returned as it is. Checks, in order:
    the actor is the applicant (else 404), the declaration was accepted (400
    ``declaration_required``), every question asked is answered (400
    ``answers_missing``, data ``{question: [message]}``), every mandatory
    document is there (400 ``documents_missing``), the answers pass the pages'
    and the handler's checks (400 ``invalid``, data ``{key: [messages]}``) and,
    for a full-online procedure with a fee for this dossier (e.g. a late
    registration's), the fee is paid (402 ``payment_required``).
    """
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(of=("self",))
            .filter(pk=dossier.pk, channel=Dossier.Channel.ONLINE)
            .first()
        )
        if locked is None or locked.applicant_id is None or locked.applicant_id != actor.pk:
            raise NotFoundError()
        if locked.status != DossierStatus.DRAFT:
            return locked
        locked.procedure = procedure_for_filing(locked.procedure_id)
        if locked.declaration_accepted_at is None:
            raise ValidationFailed(
                _("Confirm that the information you gave is true."),
                code="declaration_required",
                data={"declaration": [str(_("Confirm that the information you gave is true."))]},
            )
        try:
            plan = plan_for(locked.procedure)
        except LookupError as exc:
            raise ConflictError(
                _("This procedure cannot be filed online yet."), code="handler_unavailable"
            ) from exc
        unanswered = missing_answers(locked, plan)
        if unanswered:
            raise ValidationFailed(
                _("Some questions are not answered yet."),
                code="answers_missing",
                data=unanswered,
            )
        attachments = list(
            Attachment.objects.filter(dossier=locked).only("requirement", "field_key")
        )
        missing = missing_documents(locked, plan, attachments)
        if missing:
            raise ValidationFailed(
                _("Some documents are missing."),
                code="documents_missing",
                data={slot.key: [_missing_message(slot)] for slot in missing},
            )
        data = copy.deepcopy(answers(locked))
        errors = answer_errors(locked, plan, attached=attached_questions(attachments), data=data)
        if errors:
            raise ValidationFailed(code="invalid", data=errors)
        if payment_required(locked, data):
            raise PaymentRequired(data={"amount": online_fee(locked, data), "currency": "VND"})
        if data != answers(locked):
            # What the handler's checks worked out from the answers goes with them.
            locked.data = {**locked.data, **data}
            locked.save(update_fields=["data"])
        return transitions.perform(locked, "submit", actor=actor)


# --- Retention ------------------------------------------------------------------------------


def purge_old_drafts(max_age_days: int | None = None) -> int:
    """Delete drafts left unchanged for longer than ``max_age_days`` (default
    ``settings.EGOV_DRAFT_MAX_AGE_DAYS``), with their attachments' files.
    Drafts with a payment attempt are kept (the payment trail must stay).
    Safe to run twice or concurrently (locked rows are skipped). Returns how
    many drafts were deleted."""
    days = settings.EGOV_DRAFT_MAX_AGE_DAYS if max_age_days is None else max_age_days
    cutoff = timezone.now() - dt.timedelta(days=days)
    old = Dossier.objects.filter(
        status=DossierStatus.DRAFT, updated_at__lt=cutoff, code__isnull=True
    ).exclude(Exists(Payment.objects.filter(dossier=OuterRef("pk"))))
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                old.select_for_update(skip_locked=True).values_list("pk", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                break
            files = [
                (row.file.storage, row.file.name)
                for row in Attachment.objects.filter(dossier_id__in=ids).exclude(file="")
            ]
            Attachment.objects.filter(dossier_id__in=ids).delete()
            Dossier.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
            transaction.on_commit(lambda files=files: _delete_files(files))
    if deleted:
        logger.info("purged %d drafts older than %d days", deleted, days)
    return deleted


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:  # already gone, or the disk refused: the row is gone anyway
            logger.warning("could not delete a purged draft's file")

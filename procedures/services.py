"""Every write to the procedure catalog.

Why one module of this size (about 600 lines): every catalog write shares the
lock, the revision snapshot and the domain validation below; splitting them
would spread one transaction rule over several files.

Each change locks the procedure row, keeps a ``ProcedureRevision`` holding the
procedure, its required documents and its questions as they were *before* the
change (who, when, a note), and bumps ``Procedure.version``, all in one
transaction. A save that changes nothing writes nothing. Creating a procedure
writes revision 0 with an empty snapshot, so the history says who created it.

Domain validation (the rules that hold whatever form or API the data came
through) raises ``ValidationFailed`` with ``data={field: [messages]}``; the
back-office views show those messages next to the fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from citizens.models import Agency, User
from egov.codes import ErrorCode
from egov.errors import ConflictError, ValidationFailed
from egov.text import fold
from egov.uploads import clean_document
from procedures.models import Field, FormField, Procedure, ProcedureRevision, RequiredDocument
from procedures.selectors import PROCEDURE_FIELDS, procedure_snapshot

# What the edit form changes: every snapshot field but the offering agencies
# (their own widget) and publication (its own action).
PROCEDURE_EDITABLE = set(PROCEDURE_FIELDS) - {"offered_by", "is_published"}
DOCUMENT_EDITABLE = {"name", "name_en", "originals", "copies", "mandatory", "wallet_kind", "order"}
QUESTION_EDITABLE = {
    "key",
    "label",
    "label_en",
    "help_text",
    "help_text_en",
    "kind",
    "required",
    "choices",
    "min_value",
    "max_value",
    "max_length",
    "page",
    "order",
}
NON_NEGATIVE = ("days_online", "days_counter", "fee_online", "fee_counter", "fee_late")
HANDLER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
WALLET_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_PAGES = 10
# Retention in years from the dossier's closing; None (or 0) keeps permanently.
RETENTION_FIELDS = ("retention_dossier_years", "retention_result_years")
MAX_RETENTION_YEARS = 100


# --- Revisions ------------------------------------------------------------------------


def _lock(procedure: Procedure) -> Procedure:
    return Procedure.objects.select_for_update().get(pk=procedure.pk)


def _revise(
    *,
    locked: Procedure,
    before: dict[str, Any],
    actor: User | None,
    note: str,
    after: dict[str, Any] | None = None,
) -> ProcedureRevision | None:
    """Keep ``before`` as a revision and bump the version, when something changed."""
    if after is None:
        after = procedure_snapshot(locked)
    if after == before:
        return None
    revision = ProcedureRevision.objects.create(
        procedure=locked,
        version=locked.version,
        data=before,
        changed_by=actor,
        note=(note or "")[:500],
    )
    locked.version += 1
    locked.save(update_fields=["version", "updated_at"])
    return revision


def _errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(data=errors)


@contextmanager
def _unique(field: str, message: str) -> Iterator[None]:
    """The database's unique constraint as a validation error, for the rare
    race two administrators can run (the checks above read before writing)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ValidationFailed(data={field: [message]}) from exc


# --- Procedures -----------------------------------------------------------------------


def _validate_procedure(values: Mapping[str, Any], *, instance: Procedure | None) -> None:
    errors: dict[str, list[str]] = {}
    code = (values.get("code") or "").strip()
    if not code:
        errors.setdefault("code", []).append(_("Enter the procedure code."))
    elif (
        Procedure.objects.filter(code__iexact=code)
        .exclude(pk=instance.pk if instance else None)
        .exists()
    ):
        errors.setdefault("code", []).append(_("Another procedure already has this code."))
    if not (values.get("name") or "").strip():
        errors.setdefault("name", []).append(_("Enter the name of the procedure."))
    for name in NON_NEGATIVE:
        value = values.get(name)
        if value is None or value < 0:
            errors.setdefault(name, []).append(_("Enter a number that is 0 or more."))
    active_from, active_to = values.get("active_from"), values.get("active_to")
    if active_from and active_to and active_to < active_from:
        errors.setdefault("active_to", []).append(
            _("The end date must be the same as or after the start date.")
        )
    if values.get("online_level") not in Procedure.OnlineLevel.values:
        errors.setdefault("online_level", []).append(_("Choose an online level."))
    if values.get("level") not in Procedure.Level.values:
        errors.setdefault("level", []).append(_("Choose the level of the competent agency."))
    if values.get("agency_kind") not in Agency.Kind.values:
        errors.setdefault("agency_kind", []).append(_("Choose the kind of competent agency."))
    for name in RETENTION_FIELDS:
        years = values.get(name)
        if years is not None and not (0 <= years <= MAX_RETENTION_YEARS):
            errors.setdefault(name, []).append(
                _(
                    "Enter a number of years from 0 to %(max)d, or leave it empty to keep permanently."
                )
                % {"max": MAX_RETENTION_YEARS}
            )
    if values.get("identity_level") not in (1, 2):
        errors.setdefault("identity_level", []).append(_("Choose identity level 1 or 2."))
    if not HANDLER_NAME.match(values.get("handler") or ""):
        errors.setdefault("handler", []).append(_("Choose a handler."))
    if not isinstance(values.get("field"), Field):
        errors.setdefault("field", []).append(_("Choose a field."))
    _errors(errors)


def _procedure_values(procedure: Procedure) -> dict[str, Any]:
    return {name: getattr(procedure, name) for name in PROCEDURE_EDITABLE}


@transaction.atomic
def procedure_create(
    *,
    actor: User | None,
    values: Mapping[str, Any],
    offered_by: Iterable[Agency] = (),
    note: str = "",
) -> Procedure:
    """A new, unpublished procedure (revision 0 records who created it)."""
    unknown = set(values) - PROCEDURE_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    defaults = {
        "handler": "form",
        "identity_level": 1,
        "fee_online": 0,
        "fee_counter": 0,
        "fee_late": 0,
    }
    merged = {**defaults, **values}
    for name in ("code", "name", "name_en"):
        merged[name] = (merged.get(name) or "").strip()
    _validate_procedure(merged, instance=None)
    procedure = Procedure(**merged, search_name=fold(merged["name"]), is_published=False)
    with _unique("code", _("Another procedure already has this code.")):
        procedure.save()
    procedure.offered_by.set(list(offered_by))
    ProcedureRevision.objects.create(
        procedure=procedure,
        version=0,
        data={},
        changed_by=actor,
        note=(note or _("Procedure created"))[:500],
    )
    return procedure


@transaction.atomic
def procedure_save(
    *,
    actor: User | None,
    procedure: Procedure,
    changes: Mapping[str, Any],
    note: str = "",
    expected_version: int | None = None,
) -> Procedure:
    """Change a procedure's own fields and, with ``changes["offered_by"]``, the
    agencies that offer it. ``expected_version`` (the version the editor
    started from) refuses a save over someone else's newer change."""
    changes = dict(changes)
    offered_by = changes.pop("offered_by", None)
    unknown = set(changes) - PROCEDURE_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = _lock(procedure)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            _(
                "Someone else changed this procedure while you were editing it. "
                "Open it again to see their change, then make yours."
            ),
            code=ErrorCode.STALE_VERSION,
        )
    before = procedure_snapshot(locked)
    for name in ("code", "name", "name_en"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    values = {**_procedure_values(locked), **changes}
    _validate_procedure(values, instance=locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.search_name = fold(locked.name)
    with _unique("code", _("Another procedure already has this code.")):
        locked.save()
    if offered_by is not None:
        locked.offered_by.set(list(offered_by))
    after = procedure_snapshot(locked)
    changed = [
        str(Procedure._meta.get_field(name).verbose_name)
        for name in PROCEDURE_FIELDS
        if before.get(name) != after.get(name)
    ]
    _revise(
        locked=locked,
        before=before,
        after=after,
        actor=actor,
        note=note or _("Edited: %(fields)s") % {"fields": ", ".join(changed)},
    )
    return locked


@transaction.atomic
def procedure_publish(
    *, actor: User | None, procedure: Procedure, published: bool, note: str = ""
) -> Procedure:
    """Publish (citizens see it in the catalog) or withdraw a procedure."""
    locked = _lock(procedure)
    if published and not locked.offered_by.exists():
        raise ValidationFailed(
            _("Choose at least one agency that offers the procedure before publishing it."),
            code=ErrorCode.NO_AGENCY,
            data={"offered_by": [_("Choose at least one agency.")]},
        )
    before = procedure_snapshot(locked)
    locked.is_published = published
    locked.save(update_fields=["is_published", "updated_at"])
    default_note = _("Published") if published else _("Withdrawn from the public catalog")
    _revise(locked=locked, before=before, actor=actor, note=note or default_note)
    return locked


# --- Required documents -------------------------------------------------------------------


def _validate_document(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = [_("Enter the name of the document.")]
    for name in ("originals", "copies"):
        if values.get(name) is None or values[name] < 0:
            errors[name] = [_("Enter a number that is 0 or more.")]
    if not errors and values["originals"] + values["copies"] == 0:
        errors["originals"] = [_("Ask for at least one original or one copy.")]
    wallet_kind = values.get("wallet_kind") or ""
    if wallet_kind and not WALLET_KIND.match(wallet_kind):
        errors["wallet_kind"] = [
            _("Use small letters, digits and underscores, e.g. birth_certificate.")
        ]
    _errors(errors)


def _store_template(document: RequiredDocument, template: UploadedFile) -> None:
    try:
        safe = clean_document(template)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.message, code=exc.code, data={"template": [exc.message]}
        ) from exc
    document.template.save(safe.name, safe, save=False)


@transaction.atomic
def required_document_add(
    *,
    actor: User | None,
    procedure: Procedure,
    values: Mapping[str, Any],
    template: UploadedFile | None = None,
    note: str = "",
) -> RequiredDocument:
    """Add a required document; ``template`` is checked (PDF/JPEG/PNG) and kept
    in private storage."""
    unknown = set(values) - DOCUMENT_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = _lock(procedure)
    before = procedure_snapshot(locked)
    values = {"originals": 1, "copies": 0, "mandatory": True, "wallet_kind": "", **values}
    _validate_document(values)
    if values.get("order") is None:
        last = locked.documents.order_by("-order").values_list("order", flat=True).first()
        values["order"] = (last or 0) + 1
    document = RequiredDocument(procedure=locked, **values)
    if template is not None:
        _store_template(document, template)
    document.save()
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Document added: %(name)s") % {"name": document.name},
    )
    return document


@transaction.atomic
def required_document_update(
    *,
    actor: User | None,
    document: RequiredDocument,
    changes: Mapping[str, Any],
    template: UploadedFile | None = None,
    remove_template: bool = False,
    note: str = "",
) -> RequiredDocument:
    """Change a required document. The previous template file is kept (the
    history refers to it)."""
    unknown = set(changes) - DOCUMENT_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = _lock(document.procedure)
    before = procedure_snapshot(locked)
    current = RequiredDocument.objects.get(pk=document.pk, procedure=locked)
    values = {name: getattr(current, name) for name in DOCUMENT_EDITABLE} | dict(changes)
    _validate_document(values)
    for name, value in changes.items():
        setattr(current, name, value)
    if template is not None:
        _store_template(current, template)
    elif remove_template:
        current.template = ""
    current.save()
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Document changed: %(name)s") % {"name": current.name},
    )
    return current


@transaction.atomic
def required_document_remove(
    *, actor: User | None, document: RequiredDocument, note: str = ""
) -> None:
    locked = _lock(document.procedure)
    before = procedure_snapshot(locked)
    name = document.name
    RequiredDocument.objects.filter(pk=document.pk, procedure=locked).delete()
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Document removed: %(name)s") % {"name": name},
    )


# --- Form questions -----------------------------------------------------------------------


def _choices_list(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _validate_question(
    values: Mapping[str, Any], *, procedure: Procedure, instance: FormField | None
) -> None:
    errors: dict[str, list[str]] = {}
    key = values.get("key") or ""
    if not KEY.match(key):
        errors["key"] = [
            _(
                "Use up to 40 small letters without accents, digits and underscores, "
                "starting with a letter, e.g. business_name."
            )
        ]
    elif (
        FormField.objects.filter(procedure=procedure, key=key)
        .exclude(pk=instance.pk if instance else None)
        .exists()
    ):
        errors["key"] = [_("Another question of this procedure already has this key.")]
    if not (values.get("label") or "").strip():
        errors["label"] = [_("Enter the question.")]
    kind = values.get("kind")
    if kind not in FormField.Kind.values:
        errors["kind"] = [_("Choose the kind of answer.")]
    choices = _choices_list(values.get("choices") or "")
    if kind == FormField.Kind.CHOICE:
        if len(choices) < 2:
            errors["choices"] = [_("A choice question needs at least two choices, one per line.")]
        elif len(set(choices)) != len(choices):
            errors["choices"] = [_("Each choice must be different.")]
    low, high = values.get("min_value"), values.get("max_value")
    if low is not None and high is not None and low > high:
        errors["max_value"] = [_("The maximum must be the same as or more than the minimum.")]
    max_length = values.get("max_length")
    if max_length is not None and not 1 <= max_length <= 2000:
        errors["max_length"] = [_("Enter a maximum length between 1 and 2000.")]
    page = values.get("page")
    if page is None or not 1 <= page <= MAX_PAGES:
        errors["page"] = [_("Enter a page between 1 and %(max)d.") % {"max": MAX_PAGES}]
    _errors(errors)


def _normalise_question(values: dict[str, Any]) -> dict[str, Any]:
    kind = values.get("kind")
    values["choices"] = "\n".join(_choices_list(values.get("choices") or ""))
    if kind != FormField.Kind.CHOICE:
        values["choices"] = ""
    if kind != FormField.Kind.NUMBER:
        values["min_value"] = values["max_value"] = None
    if kind != FormField.Kind.TEXT:
        values["max_length"] = None
    return values


@transaction.atomic
def form_field_add(
    *, actor: User | None, procedure: Procedure, values: Mapping[str, Any], note: str = ""
) -> FormField:
    """Add a question at the end of its page."""
    unknown = set(values) - QUESTION_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = _lock(procedure)
    before = procedure_snapshot(locked)
    values = _normalise_question({"required": True, "page": 1, **values})
    _validate_question(values, procedure=locked, instance=None)
    if values.get("order") is None:
        last = (
            locked.form_fields.filter(page=values["page"])
            .order_by("-order")
            .values_list("order", flat=True)
            .first()
        )
        values["order"] = (last or 0) + 1
    with _unique("key", _("Another question of this procedure already has this key.")):
        question = FormField.objects.create(procedure=locked, **values)
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Question added: %(label)s") % {"label": question.label},
    )
    return question


@transaction.atomic
def form_field_update(
    *, actor: User | None, question: FormField, changes: Mapping[str, Any], note: str = ""
) -> FormField:
    unknown = set(changes) - QUESTION_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = _lock(question.procedure)
    before = procedure_snapshot(locked)
    current = FormField.objects.get(pk=question.pk, procedure=locked)
    values = {name: getattr(current, name) for name in QUESTION_EDITABLE} | dict(changes)
    moved_page = values["page"] != current.page
    values = _normalise_question(values)
    _validate_question(values, procedure=locked, instance=current)
    if moved_page and "order" not in changes:
        last = (
            locked.form_fields.filter(page=values["page"])
            .order_by("-order")
            .values_list("order", flat=True)
            .first()
        )
        values["order"] = (last or 0) + 1
    for name, value in values.items():
        setattr(current, name, value)
    with _unique("key", _("Another question of this procedure already has this key.")):
        current.save()
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Question changed: %(label)s") % {"label": current.label},
    )
    return current


@transaction.atomic
def form_field_remove(*, actor: User | None, question: FormField, note: str = "") -> None:
    locked = _lock(question.procedure)
    before = procedure_snapshot(locked)
    label = question.label
    FormField.objects.filter(pk=question.pk, procedure=locked).delete()
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Question removed: %(label)s") % {"label": label},
    )


@transaction.atomic
def form_field_move(
    *, actor: User | None, question: FormField, direction: str, note: str = ""
) -> FormField:
    """Move a question one place up or down within its page (orders are
    renumbered 1, 2, 3... on the way)."""
    if direction not in ("up", "down"):
        raise ValidationFailed(code=ErrorCode.INVALID_DIRECTION, data={"direction": ["up or down"]})
    locked = _lock(question.procedure)
    before = procedure_snapshot(locked)
    siblings = list(locked.form_fields.filter(page=question.page).order_by("order", "id"))
    index = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        if sibling.order != position:
            sibling.order = position
            sibling.save(update_fields=["order"])
    moved = next(q for q in siblings if q.pk == question.pk)
    _revise(
        locked=locked,
        before=before,
        actor=actor,
        note=note or _("Question moved: %(label)s") % {"label": moved.label},
    )
    return moved


# --- Whole definitions (the demo seed, imports) -----------------------------------------------


@transaction.atomic
def procedure_sync(
    *,
    actor: User | None,
    values: Mapping[str, Any],
    offered_by: Iterable[Agency],
    documents: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    published: bool,
    note: str,
) -> tuple[Procedure, bool]:
    """Make the procedure with ``values["code"]`` match a whole definition:
    its fields, offering agencies, documents (matched by name) and questions
    (matched by key), and its published state. Creates it when missing.
    Returns (procedure, whether anything changed); running it again with the
    same definition changes nothing and writes no revision."""
    existing = Procedure.objects.filter(code=values["code"]).first()
    created = existing is None
    if created:
        procedure = procedure_create(actor=actor, values=values, offered_by=offered_by, note=note)
        locked = _lock(procedure)
        before: dict[str, Any] = {}
    else:
        locked = _lock(existing)
        before = procedure_snapshot(locked)
        values_now = {**_procedure_values(locked), **values}
        _validate_procedure(values_now, instance=locked)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.search_name = fold(locked.name)
        locked.save()
        locked.offered_by.set(list(offered_by))

    kept_documents = set()
    for order, spec in enumerate(documents, start=1):
        spec = {"originals": 1, "copies": 0, "mandatory": True, "wallet_kind": "", **spec}
        spec["order"] = order
        _validate_document(spec)
        document = locked.documents.filter(name=spec["name"]).first()
        if document is None:
            document = RequiredDocument.objects.create(procedure=locked, **spec)
        elif any(getattr(document, k) != v for k, v in spec.items()):
            for k, v in spec.items():
                setattr(document, k, v)
            document.save()
        kept_documents.add(document.pk)
    locked.documents.exclude(pk__in=kept_documents).delete()

    pages: dict[int, int] = {}
    kept_questions = set()
    for spec in questions:
        spec = _normalise_question({"required": True, "page": 1, **spec})
        pages[spec["page"]] = pages.get(spec["page"], 0) + 1
        spec["order"] = pages[spec["page"]]
        question = locked.form_fields.filter(key=spec["key"]).first()
        _validate_question(spec, procedure=locked, instance=question)
        if question is None:
            question = FormField.objects.create(procedure=locked, **spec)
        elif any(getattr(question, k) != v for k, v in spec.items()):
            for k, v in spec.items():
                setattr(question, k, v)
            question.save()
        kept_questions.add(question.pk)
    locked.form_fields.exclude(pk__in=kept_questions).delete()

    if locked.is_published != published:
        if published and not locked.offered_by.exists():
            published = False  # nothing offers it (e.g. the demo agencies are not seeded)
        locked.is_published = published
        locked.save(update_fields=["is_published", "updated_at"])

    if created:
        # Revision 0 (the creation) is written; the definition is version 1.
        return locked, True
    revision = _revise(locked=locked, before=before, actor=actor, note=note)
    return locked, revision is not None

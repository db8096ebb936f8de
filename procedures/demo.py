"""The demo procedure catalog of Hà Nội: ``seed_catalog()``.

The catalog is data, in ``procedures/data/catalog/``: ``fields.yaml`` (the
fields) and ``procedures.yaml`` (the procedures, their documents and their
questions). The head of ``procedures.yaml`` explains the codes (national codes
where they are certain, ``HN.<field>.<nn>`` otherwise), the times and fees
(the counter's legal limit; a lower online time or fee is the city's incentive
unless a national rule says so) and the offering agencies, and lists every key
with its default. ``python manage.py load_catalog [folder]`` loads it, or
another folder with the same two files.

This module reads the files with ``yaml.safe_load``, checks them (unknown or
missing keys, wrong types, unknown enum values, duplicate codes, keys and
document names, unknown fields; the error names the file and the procedure)
and fills in the defaults of documents and questions, so that ``CATALOG`` and
``FIELDS`` hold the same dicts and tuples the catalog had when it was written
in Python here.

Safe to run again: each procedure is matched by its code and brought in line
with its definition through ``services.procedure_sync``; a run that changes
nothing writes no revision. The handlers named in the file ("birth",
"residence", "health_insurance") are registered by code written elsewhere:
the seed only stores their names and never asks the handler registry.
Agencies that do not exist yet are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from django.db import transaction

from citizens.models import Agency
from egov.errors import ValidationFailed
from procedures import services
from procedures.models import Field, FormField, Procedure

CATALOG_DIR = Path(__file__).resolve().parent / "data" / "catalog"
FIELDS_FILE = "fields.yaml"
PROCEDURES_FILE = "procedures.yaml"


class CatalogDataError(ValueError):
    """A catalog file that cannot be loaded. The message names the file and the entry."""


class Catalog(NamedTuple):
    fields: list[tuple[str, str, str]]
    procedures: list[dict[str, Any]]


# Expected types. ``None`` in a tuple: the key may be null (``~``).
Types = tuple[type, ...]
_STR: Types = (str,)
_INT: Types = (int,)
_BOOL: Types = (bool,)
_LIST: Types = (list,)
_INT_OR_NONE: Types = (int, type(None))

FIELD_KEYS: dict[str, Types] = {"code": _STR, "name": _STR, "name_en": _STR}

PROCEDURE_KEYS: dict[str, Types] = {
    "code": _STR,
    "name": _STR,
    "name_en": _STR,
    "field": _STR,
    "level": _STR,
    "agency_kind": _STR,
    "offered_by": _LIST,
    "online_level": _STR,
    "handler": _STR,
    "identity_level": _INT,
    "days_online": _INT,
    "days_counter": _INT,
    "fee_online": _INT,
    "fee_counter": _INT,
    "summary": _STR,
    "summary_en": _STR,
    "conditions": _STR,
    "conditions_en": _STR,
    "legal_basis": _STR,
    "result_document": _STR,
    "result_document_en": _STR,
}
PROCEDURE_OPTIONAL: dict[str, Types] = {
    "fee_late": _INT,
    # Years from the dossier's closing; null (~) or absent: kept permanently.
    "retention_dossier_years": _INT_OR_NONE,
    "retention_result_years": _INT_OR_NONE,
    "documents": _LIST,
    "questions": _LIST,
}
PROCEDURE_ENUMS: dict[str, type[Enum]] = {
    "level": Procedure.Level,
    "agency_kind": Agency.Kind,
    "online_level": Procedure.OnlineLevel,
}

DOCUMENT_KEYS: dict[str, Types] = {"name": _STR, "name_en": _STR}
DOCUMENT_DEFAULTS: dict[str, Any] = {
    "originals": 1,
    "copies": 0,
    "mandatory": True,
    "wallet_kind": "",
}
DOCUMENT_TYPES: dict[str, Types] = {
    "originals": _INT,
    "copies": _INT,
    "mandatory": _BOOL,
    "wallet_kind": _STR,
}

QUESTION_KEYS: dict[str, Types] = {"key": _STR, "kind": _STR, "label": _STR, "label_en": _STR}
# In the order the catalog's question dicts have always had.
QUESTION_DEFAULTS: dict[str, Any] = {
    "help_text": "",
    "help_text_en": "",
    "required": True,
    "choices": [],
    "min_value": None,
    "max_value": None,
    "max_length": None,
    "page": 1,
}
QUESTION_TYPES: dict[str, Types] = {
    "help_text": _STR,
    "help_text_en": _STR,
    "required": _BOOL,
    "choices": _LIST,
    "min_value": _INT_OR_NONE,
    "max_value": _INT_OR_NONE,
    "max_length": _INT_OR_NONE,
    "page": _INT,
}


def _type_name(types: Types) -> str:
    names = {str: "text", int: "a whole number", bool: "true or false", list: "a list"}
    return " or ".join("null" if t is type(None) else names[t] for t in types)


def _check_keys(
    entry: Any,
    where: str,
    required: Mapping[str, Types],
    optional: Mapping[str, Types],
) -> None:
    if not isinstance(entry, dict):
        raise CatalogDataError(f"{where}: expected a mapping of keys, not {entry!r}")
    missing = [key for key in required if key not in entry]
    if missing:
        raise CatalogDataError(f"{where}: missing {', '.join(missing)}")
    unknown = [key for key in entry if key not in required and key not in optional]
    if unknown:
        known = ", ".join([*required, *optional])
        raise CatalogDataError(f"{where}: unknown key {', '.join(unknown)} (known: {known})")
    for key, value in entry.items():
        types = required.get(key) or optional[key]
        # bool is an int to Python, not to the catalog: "days_online: yes" is an error.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            # YAML reads 1.001193, yes and 2025-01-01 as a number, a boolean and a date.
            scalar = isinstance(value, int | float | bool | dt.date)
            hint = " (put it in quotes)" if str in types and scalar else ""
            raise CatalogDataError(
                f"{where}: {key} must be {_type_name(types)}, not {value!r}{hint}"
            )


def _check_strings(values: list[Any], where: str, key: str) -> None:
    for value in values:
        if not isinstance(value, str):
            raise CatalogDataError(f"{where}: each item of {key} must be text, not {value!r}")


def _enum(enum: type[Enum], value: str, where: str, key: str) -> Enum:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum)
        raise CatalogDataError(
            f"{where}: unknown {key} {value!r} (expected one of: {allowed})"
        ) from None


def _name_of(entry: Any, key: str, fallback: str, *, quote: bool = False) -> str:
    """How an error names an entry: by its code or key if it has one, else by number."""
    value = entry.get(key) if isinstance(entry, dict) else None
    if not isinstance(value, str):
        return fallback
    return repr(value) if quote else value


def _read(path: Path, top: str) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogDataError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogDataError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or set(data) != {top} or not isinstance(data[top], list):
        raise CatalogDataError(f"{path}: expected a single top-level key {top!r} with a list")
    return data[top]


def load_fields(path: Path | str) -> list[tuple[str, str, str]]:
    """The fields of ``fields.yaml`` as ``(code, name, name_en)``."""
    path = Path(path)
    fields: list[tuple[str, str, str]] = []
    for number, entry in enumerate(_read(path, "fields"), start=1):
        where = f"{path}: field {_name_of(entry, 'code', f'#{number}')}"
        _check_keys(entry, where, FIELD_KEYS, {})
        if entry["code"] in {code for code, _name, _name_en in fields}:
            raise CatalogDataError(f"{where}: the code appears more than once")
        fields.append((entry["code"], entry["name"], entry["name_en"]))
    return fields


def _document(entry: Any, where: str) -> dict[str, Any]:
    _check_keys(entry, where, DOCUMENT_KEYS, DOCUMENT_TYPES)
    return {"name": entry["name"], "name_en": entry["name_en"], **DOCUMENT_DEFAULTS, **entry}


def _question(entry: Any, where: str) -> dict[str, Any]:
    _check_keys(entry, where, QUESTION_KEYS, QUESTION_TYPES)
    choices = entry.get("choices", [])
    _check_strings(choices, where, "choices")
    question = {key: entry[key] for key in QUESTION_KEYS}
    question["kind"] = _enum(FormField.Kind, entry["kind"], where, "kind")
    for key, default in QUESTION_DEFAULTS.items():
        question[key] = entry.get(key, default)
    question["choices"] = "\n".join(choices)
    return question


def load_procedures(path: Path | str, *, fields: Iterable[str]) -> list[dict[str, Any]]:
    """The procedures of ``procedures.yaml`` as the dicts ``seed_catalog()`` syncs;
    ``fields`` are the field codes a procedure may name."""
    path = Path(path)
    field_codes = set(fields)
    procedures: list[dict[str, Any]] = []
    codes: set[str] = set()
    for number, entry in enumerate(_read(path, "procedures"), start=1):
        where = f"{path}: procedure {_name_of(entry, 'code', f'#{number}')}"
        _check_keys(entry, where, PROCEDURE_KEYS, PROCEDURE_OPTIONAL)
        if entry["code"] in codes:
            raise CatalogDataError(f"{where}: the code appears more than once")
        codes.add(entry["code"])
        if entry["field"] not in field_codes:
            raise CatalogDataError(
                f"{where}: unknown field {entry['field']!r} (not in {FIELDS_FILE})"
            )
        _check_strings(entry["offered_by"], where, "offered_by")
        spec = dict(entry)
        for key, enum in PROCEDURE_ENUMS.items():
            spec[key] = _enum(enum, entry[key], where, key)

        # Documents are matched by name and questions by key when the catalog is synced.
        documents: list[dict[str, Any]] = []
        for n, document in enumerate(entry.get("documents", []), start=1):
            spot = f"{where}, document #{n}"
            document = _document(document, spot)
            if any(d["name"] == document["name"] for d in documents):
                raise CatalogDataError(
                    f"{spot}: another document has the name {document['name']!r}"
                )
            documents.append(document)
        questions: list[dict[str, Any]] = []
        for n, question in enumerate(entry.get("questions", []), start=1):
            spot = f"{where}, question {_name_of(question, 'key', f'#{n}', quote=True)}"
            question = _question(question, spot)
            if any(q["key"] == question["key"] for q in questions):
                raise CatalogDataError(f"{spot}: another question has this key")
            questions.append(question)
        spec["documents"] = documents
        spec["questions"] = questions
        procedures.append(spec)
    return procedures


def load_catalog(directory: Path | str = CATALOG_DIR) -> Catalog:
    """Read and check ``fields.yaml`` and ``procedures.yaml`` in ``directory``."""
    directory = Path(directory)
    fields = load_fields(directory / FIELDS_FILE)
    procedures = load_procedures(
        directory / PROCEDURES_FILE, fields=[code for code, _name, _name_en in fields]
    )
    return Catalog(fields=fields, procedures=procedures)


FIELDS, CATALOG = load_catalog()


@transaction.atomic
def seed_fields(fields: Iterable[tuple[str, str, str]] | None = None) -> dict[str, Field]:
    """Create or rename the fields (default: the bundled ``FIELDS``)."""
    result = {}
    for code, name, name_en in FIELDS if fields is None else fields:
        field, _ = Field.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
        result[code] = field
    return result


@transaction.atomic
def seed_catalog(directory: Path | str | None = None) -> dict[str, Any]:
    """Create or refresh the demo catalog: the bundled one, or the YAML files in
    ``directory``. Returns counts, ``{"fields": n, "procedures": n,
    "changed": n_created_or_updated, "missing_agencies": [codes skipped]}``."""
    if directory is None:
        catalog = Catalog(fields=FIELDS, procedures=CATALOG)
        source = CATALOG_DIR / PROCEDURES_FILE
    else:
        catalog = load_catalog(directory)
        source = Path(directory) / PROCEDURES_FILE
    fields = seed_fields(catalog.fields)
    agencies = {a.code: a for a in Agency.objects.all()}
    changed = 0
    missing: set[str] = set()
    for spec in catalog.procedures:
        spec = dict(spec)
        offered_by = [agencies[c] for c in spec["offered_by"] if c in agencies]
        missing.update(c for c in spec.pop("offered_by") if c not in agencies)
        documents = spec.pop("documents")
        questions = spec.pop("questions")
        spec["field"] = fields[spec["field"]]
        try:
            _procedure, did_change = services.procedure_sync(
                actor=None,
                values=spec,
                offered_by=offered_by,
                documents=documents,
                questions=questions,
                published=True,
                note="Danh mục mẫu (seed_catalog)",
            )
        except ValidationFailed as exc:
            details = "; ".join(
                f"{key}: {' '.join(str(m) for m in messages)}"
                for key, messages in (exc.data or {}).items()
            )
            raise CatalogDataError(
                f"{source}: procedure {spec['code']}: {exc.message} {details}".strip()
            ) from exc
        changed += did_change
    return {
        "fields": len(fields),
        "procedures": len(catalog.procedures),
        "changed": changed,
        "missing_agencies": sorted(missing),
    }

"""Field plans: where each field of an answer comes from, and the answer.

A lookup reads one row (``lookup.person_row``): the person's own columns a
purpose needs, the related values it needs by name (``related``: a unit as a
JSON document, a relative's ID number or name, computed by the lookup) and,
for the household fields, the household as one JSON document. ``read`` turns
that row into the field's value in the answer; ``person_payload`` gives exactly
the purpose's fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from citizens.agency_api.purposes import PURPOSES

Row = dict[str, Any]


@dataclass(frozen=True)
class FieldPlan:
    read: Callable[[Row], Any]
    columns: tuple[str, ...] = ()  # the person's own fields (attnames)
    related: tuple[str, ...] = ()  # related values by name (``lookup.RELATED``)
    household: bool = False  # needs the household document (row["household"])


def _date(value) -> str | None:
    # A date from the database, an ISO string where the driver gives text.
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _json(value) -> Any:
    # Text where the driver does not decode JSON, else already decoded.
    return json.loads(value) if isinstance(value, str) else value


def _plain(field: str) -> FieldPlan:
    return FieldPlan(read=lambda row: row[field], columns=(field,))


def _date_field(field: str) -> FieldPlan:
    return FieldPlan(read=lambda row: _date(row[field]), columns=(field,))


def _unit(field: str) -> FieldPlan:
    name = f"{field}_doc"
    return FieldPlan(read=lambda row: _json(row[name]), related=(name,))


def _relative_id(relative: str) -> FieldPlan:
    name = f"{relative}_id_number"
    return FieldPlan(read=lambda row: row[name], related=(name,))


def _relative_name(relative: str) -> FieldPlan:
    """The linked record's name, else the free text kept when the relative is
    not in the database."""
    linked, text = f"{relative}_full_name", f"{relative}_name"
    return FieldPlan(
        read=lambda row: row[linked] if row[linked] is not None else row[text],
        columns=(text,),
        related=(linked,),
    )


def _household(row: Row) -> dict[str, Any]:
    return _json(row["household"]) or {"number": None, "members": None}


FIELDS: dict[str, FieldPlan] = {
    **{
        field: _plain(field)
        for field in (
            "id_number",
            "full_name",
            "sex",
            "status",
            "ethnicity",
            "nationality",
            "birth_place",
            "native_place",
            "permanent_address",
            "current_address",
            "health_insurance_number",
        )
    },
    "birth_date": _date_field("birth_date"),
    "death_date": _date_field("death_date"),
    "permanent_unit": _unit("permanent_unit"),
    "current_unit": _unit("current_unit"),
    **{f"{rel}_id_number": _relative_id(rel) for rel in ("father", "mother", "spouse")},
    **{f"{rel}_name": _relative_name(rel) for rel in ("father", "mother", "spouse")},
    "household_number": FieldPlan(read=lambda row: _household(row)["number"], household=True),
    "household_members": FieldPlan(
        read=lambda row: _household(row)["members"] or [], household=True
    ),
}

assert all(set(p.fields) <= set(FIELDS) for p in PURPOSES.values()), "unknown field in PURPOSES"


def purpose_plans(purpose: str) -> list[FieldPlan]:
    return [FIELDS[field] for field in PURPOSES[purpose].fields]


def person_payload(row: Row, purpose: str) -> dict[str, Any]:
    """Exactly the purpose's fields of a row from ``lookup.person_row``."""
    return {field: FIELDS[field].read(row) for field in PURPOSES[purpose].fields}

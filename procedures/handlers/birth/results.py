"""The result a registered birth issues: the birth certificate extract
(Trích lục khai sinh), after the form of Circular 04/2020/TT-BTP, with the
child's and the parents' details from the population database (or, for a parent
outside it, as declared) and the registration's number, date and place.

The one-stop core renders it (``onecounter.results``) from this spec; the text
is Vietnamese, like every official document.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from citizens.reference import ETHNICITY_NAMES
from egov.text import address_with_unit
from egov.vietnamese import date_in_words, format_date, sex_text
from procedures.handlers.registry import ResultSources, ResultSpec


def ethnicity_text(code: str) -> str:
    return ETHNICITY_NAMES.get(code, code or "")


def residence_text(person) -> str:
    """The person's permanent residence, the administrative unit written once."""
    return address_with_unit(
        person.permanent_address, str(person.permanent_unit) if person.permanent_unit_id else ""
    )


def parent_lines(sources: ResultSources, parent: str) -> dict[str, str]:
    """A parent as the extract shows them: from their record when the child's
    record links to it, else from the declaration (e.g. a foreign national);
    all empty when the father is unknown."""
    child, data = sources.holder, sources.data
    record = getattr(child, parent)
    empty = {"name": "", "birth_year": "", "ethnicity": "", "nationality": "", "residence": ""}
    if record is not None:
        return {
            "name": record.full_name,
            "birth_year": str(record.birth_date.year),
            "ethnicity": ethnicity_text(record.ethnicity),
            "nationality": record.nationality,
            "residence": residence_text(record),
        }
    if parent == "father" and data.get("father_unknown"):
        return empty
    name = getattr(child, f"{parent}_name") or (data.get(f"{parent}_name") or "")
    if not name:
        return empty
    ethnicity = data.get(f"{parent}_ethnicity") or ""
    return {
        "name": name,
        "birth_year": str(data.get(f"{parent}_birth_year") or ""),
        "ethnicity": ethnicity_text(ethnicity) if len(ethnicity) == 2 else ethnicity,
        "nationality": data.get(f"{parent}_nationality") or "",
        "residence": data.get(f"{parent}_residence") or "",
    }


def birth_certificate_context(sources: ResultSources) -> dict[str, Any]:
    """The child (the result's holder), the parents and the registration: the
    birth dossier the extract comes from (the origin of a dossier handed on)."""
    child = sources.holder
    birth = sources.origin or sources.deciding
    return {
        "child": {
            "full_name": child.full_name,
            "birth_date_text": format_date(child.birth_date),
            "birth_date_words": date_in_words(child.birth_date),
            "sex": sex_text(child.sex),
            "ethnicity": ethnicity_text(child.ethnicity),
            "nationality": child.nationality,
            "birth_place": child.birth_place,
            "native_place": child.native_place,
            "id_number": child.id_number,
        },
        "mother": parent_lines(sources, "mother"),
        "father": parent_lines(sources, "father"),
        "registration": {
            "number": birth.reference,
            "date_text": format_date(birth.decided_on),
            "place": birth.agency.name,
        },
    }


BIRTH_CERTIFICATE = ResultSpec(
    name="birth_certificate",
    title="Trích lục khai sinh",
    template="slips/birth_certificate.html",
    context=birth_certificate_context,
    number_suffix="TLKS",  # trích lục khai sinh
    label=_("Birth certificate extract"),
)

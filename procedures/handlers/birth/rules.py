"""The rules of a birth declaration (Law on Civil Status 2014, arts. 13-16).

Each rule reads plain values and returns ``[(field, message), ...]``; the page
forms show them next to their fields and ``BirthHandler.validate`` runs them
again on the whole dossier data (which may come from another channel).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

Problems = list[tuple[str, Any]]

LATE_AFTER_DAYS = 60  # art. 15: the parents register the birth within 60 days
PARENTS = ("mother", "father")
RELATIONS = [
    ("mother", _("Mother")),
    ("father", _("Father")),
    ("grandparent", _("Grandparent")),
    ("relative", _("Another relative")),
    ("carer", _("The person or organisation caring for the child")),
]
HOSPITAL_CERTIFICATE = "hospital_certificate"
EVIDENCE = [
    (HOSPITAL_CERTIFICATE, _("Hospital birth certificate (giấy chứng sinh)")),
    ("witness_statement", _("Born outside a hospital: a witness's written statement")),
    ("written_commitment", _("Born outside a hospital: the declarer's written commitment")),
]
# The free-text details of a parent who is not in the population database.
PARENT_DETAILS = ("name", "birth_year", "nationality", "residence")
FATHER_FIELDS = ("father_id_number", *(f"father_{d}" for d in PARENT_DETAILS))
DOSSIER_CODE = re.compile(r"^[A-Z0-9]{2,12}-[0-9]{6}-[0-9]{4}$")


def as_date(value: Any) -> dt.date | None:
    """A date from a form (``date``) or from the dossier's JSON (ISO text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def is_late(birth_date: dt.date, filed_on: dt.date) -> bool:
    """Registered more than 60 days after the birth (late registration)."""
    return (filed_on - birth_date).days > LATE_AFTER_DAYS


def filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def birth_date_problems(birth_date: dt.date | None, today: dt.date) -> Problems:
    if birth_date is None:
        return [("birth_date", _("Enter the date of birth."))]
    if birth_date > today:
        return [("birth_date", _("The date of birth cannot be in the future."))]
    if birth_date.year < 1900:
        return [("birth_date", _("Enter a date of birth from 1900 on."))]
    return []


def evidence_problems(data: dict[str, Any], *, check_document: bool) -> Problems:
    """Art. 16: the hospital birth certificate, else a witness's statement,
    else the declarer's written commitment."""
    evidence = data.get("birth_evidence")
    if evidence == HOSPITAL_CERTIFICATE:
        if not filled(data.get("birth_certificate_number")):
            return [
                (
                    "birth_certificate_number",
                    _("Enter the number of the hospital birth certificate."),
                )
            ]
        return []
    if check_document and not data.get("evidence_document"):
        return [
            (
                "evidence_document",
                _("Attach the witness's statement or your written commitment."),
            )
        ]
    return []


def multiple_birth_problems(data: dict[str, Any]) -> Problems:
    code = (data.get("sibling_dossier_code") or "").strip()
    if not code:
        return []
    if not data.get("multiple_birth"):
        return [
            (
                "sibling_dossier_code",
                _("Give a twin's dossier code only for twins or a multiple birth."),
            )
        ]
    if not DOSSIER_CODE.match(code):
        return [
            (
                "sibling_dossier_code",
                _("A dossier code looks like UBLB-260304-0001."),
            )
        ]
    return []


def declarer_problems(data: dict[str, Any]) -> Problems:
    """Art. 15: the father or mother declares; a grandparent, another relative
    or the carer only when the parents cannot, and says why."""
    relation = data.get("declarer_relation")
    if relation and relation not in PARENTS and not filled(data.get("declarer_reason")):
        return [
            (
                "declarer_reason",
                _("Explain why the father or mother is not registering the birth."),
            )
        ]
    return []


def parent_problems(data: dict[str, Any]) -> Problems:
    """Who the parents are: a record in the population database (ID number) or
    a name (e.g. a foreign national); an unknown father has no details at all."""
    problems: Problems = []
    relation = data.get("declarer_relation")
    declarer = (data.get("declarer_id_number") or "").strip()
    for parent in PARENTS:
        number = (data.get(f"{parent}_id_number") or "").strip()
        if relation == parent and declarer and number and number != declarer:
            problems.append(
                (
                    f"{parent}_id_number",
                    _("You declare as the child's parent: this must be your own ID number."),
                )
            )
    named_as_parent = declarer and declarer in {
        (data.get(f"{parent}_id_number") or "").strip() for parent in PARENTS
    }
    if relation and relation not in PARENTS and named_as_parent:
        problems.append(
            (
                "declarer_relation",
                _("You are named as the child's parent: choose “mother” or “father”."),
            )
        )
    if not filled(data.get("mother_id_number")) and not filled(data.get("mother_name")):
        problems.append(
            ("mother_name", _("Enter the mother's ID number, or her name if she has none."))
        )
    if data.get("father_unknown"):
        if relation == "father":
            problems.append(
                ("father_unknown", _("The father is registering: he cannot be unknown."))
            )
        for field in FATHER_FIELDS:
            if filled(data.get(field)):
                problems.append(
                    (field, _("Leave the father's details empty when the father is unknown."))
                )
    elif not filled(data.get("father_id_number")) and not filled(data.get("father_name")):
        problems.append(
            (
                "father_name",
                _(
                    "Enter the father's ID number, or his name if he has none, "
                    "or tick “father unknown”."
                ),
            )
        )
    return problems


def with_declarer_as_parent(data: dict[str, Any]) -> dict[str, Any]:
    """A parent who declares is that parent: their ID number fills the parent's."""
    relation = data.get("declarer_relation")
    declarer = (data.get("declarer_id_number") or "").strip()
    if relation in PARENTS and declarer and not filled(data.get(f"{relation}_id_number")):
        return {**data, f"{relation}_id_number": declarer}
    return data

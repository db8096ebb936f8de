"""The rules of a birth declaration (Law on Civil Status 2014, arts. 13-16;
Decree 123/2015; Decree 63/2024 for the interconnected procedure).

Each rule reads plain values and returns ``[(field, message), ...]``; the page
forms show them next to their fields and ``BirthHandler.validate`` runs them
again on the whole dossier data (which may come from another channel).
"""

from __future__ import annotations

import datetime as dt
import re
from difflib import SequenceMatcher
from typing import Any

from django.utils.translation import gettext_lazy as _

from egov.text import fold

Problems = list[tuple[str, Any]]

LATE_AFTER_DAYS = 60  # art. 15: the parents register the birth within 60 days
# The questions (and the document) of a late registration: asked only when the
# birth is registered more than 60 days after it.
LATE_QUESTIONS = ("late_reason", "never_registered", "birth_facts_document")
# The youngest a parent can be at the child's birth, in whole years. The
# Marriage and Family Law 2014 (art. 8) sets the age of marriage at 18 for
# women and 20 for men, but a birth registration records parenthood, not a
# marriage, and mothers under 18 do register births: the marriage age cannot
# be the rule. Parenthood before 12 is practically unknown, so a record or a
# year of birth that makes a parent younger is a typing mistake (the parent's
# ID number or year, or the child's date of birth) to correct before the
# registration. 12 is a conservative floor: it stops such mistakes and never
# refuses a real birth.
MIN_PARENT_AGE_YEARS = 12
FREE_CARD_UNDER_YEARS = 6  # the free health-insurance card is for children under 6
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
YES, NO = "yes", "no"
# The child's relation to the head of the household it joins (a subset of
# ``citizens.reference.RELATIONS``, which the residence registration uses).
CHILD_RELATIONS = [
    ("child", _("child")),
    ("grandchild", _("grandchild")),
    ("other", _("other relative or member")),
]
# What the certificate shows of a parent; the ID number links the record.
PARENT_DETAILS = ("name", "birth_year", "ethnicity", "nationality", "residence")
# The details a parent who is not in the population database must be given by.
FREE_TEXT_REQUIRED = ("name", "birth_year", "nationality", "residence")
PARENT_FIELDS = tuple(
    f"{parent}_{detail}" for parent in PARENTS for detail in ("id_number", *PARENT_DETAILS)
)
FATHER_FIELDS = tuple(f for f in PARENT_FIELDS if f.startswith("father_"))
DOSSIER_CODE = re.compile(r"^[A-Z0-9]{2,12}-[0-9]{6}-[0-9]{4}$")
SIMILAR_NAME_RATIO = 0.75


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


def registered_late(data: dict[str, Any], today: dt.date) -> bool:
    """Whether the declaration is a late registration (art. 15-16), worked out
    from the date of birth only: never from what a browser or a client says."""
    birth_date = as_date(data.get("birth_date"))
    return bool(
        birth_date and not birth_date_problems(birth_date, today) and is_late(birth_date, today)
    )


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def gets_free_card(birth_date: dt.date | None, day: dt.date) -> bool:
    """A child under 6 gets a free health-insurance card with the registration."""
    return birth_date is not None and age_on(birth_date, day) < FREE_CARD_UNDER_YEARS


def birth_date_problems(birth_date: dt.date | None, today: dt.date) -> Problems:
    if birth_date is None:
        return [("birth_date", _("Enter the date of birth."))]
    if birth_date > today:
        return [("birth_date", _("The date of birth cannot be in the future."))]
    if birth_date.year < 1900:
        return [("birth_date", _("Enter a date of birth from 1900 on."))]
    return []


def filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], {})


def checked(value: Any) -> bool:
    """A document question answered: an upload (a file), a paper original
    checked at the counter (``{"paper_original_checked": True}``) or a tick."""
    if isinstance(value, dict):
        return bool(value.get("paper_original_checked"))
    return bool(value)


def id_number_sex(number: str) -> str | None:
    """The sex the 4th digit of a personal ID number encodes (odd: female)."""
    number = (number or "").strip()
    if len(number) != 12 or not number.isdigit():
        return None
    return "F" if int(number[3]) % 2 else "M"


def similar_names(a: str, b: str) -> bool:
    """The same name, give or take marks, case, a letter or a middle name."""
    a, b = fold(a), fold(b)
    if not a or not b:
        return False
    if a == b or a.split()[-1] == b.split()[-1]:
        return True
    return SequenceMatcher(None, a, b).ratio() >= SIMILAR_NAME_RATIO


# --- The declarer ---------------------------------------------------------------------


def declarer_problems(data: dict[str, Any]) -> Problems:
    """Art. 15: the father or mother declares; a grandparent, another relative
    or the carer only when the parents cannot, and says why. A declaring
    parent's own ID number says whether they are the mother or the father."""
    problems: Problems = []
    relation = data.get("declarer_relation")
    if relation and relation not in PARENTS and not filled(data.get("declarer_reason")):
        problems.append(
            (
                "declarer_reason",
                _("Explain why the father or mother is not registering the birth."),
            )
        )
    sex = id_number_sex(data.get("declarer_id_number") or "")
    if relation == "mother" and sex == "M":
        problems.append(
            (
                "declarer_relation",
                _("Your ID number is a man's: choose “father” or another relation."),
            )
        )
    if relation == "father" and sex == "F":
        problems.append(
            (
                "declarer_relation",
                _("Your ID number is a woman's: choose “mother” or another relation."),
            )
        )
    return problems


# --- The evidence of the birth and late registration -----------------------------------


def evidence_problems(data: dict[str, Any], *, check_document: bool) -> Problems:
    """Art. 16: the hospital birth certificate, else a witness's statement,
    else the declarer's written commitment (an attached document)."""
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
    if evidence and check_document and not checked(data.get("evidence_document")):
        return [
            (
                "evidence_document",
                _("Attach the witness's statement or your written commitment."),
            )
        ]
    return []


def late_problems(data: dict[str, Any], *, late: bool, check_document: bool) -> Problems:
    """A birth registered more than 60 days late: the reason for the delay,
    the commitment that it was never registered, and, without a hospital
    certificate, a document proving the facts of the birth."""
    if not late:
        return []
    problems: Problems = []
    if not filled(data.get("late_reason")):
        problems.append(
            ("late_reason", _("The birth is registered late: explain why it was not registered."))
        )
    if not data.get("never_registered"):
        problems.append(
            (
                "never_registered",
                _("Confirm that this birth has never been registered anywhere."),
            )
        )
    if (
        check_document
        and data.get("birth_evidence")
        and data.get("birth_evidence") != HOSPITAL_CERTIFICATE
        and not checked(data.get("birth_facts_document"))
    ):
        problems.append(
            (
                "birth_facts_document",
                _(
                    "Without a hospital birth certificate, a late registration needs a "
                    "document proving the facts of the birth."
                ),
            )
        )
    return problems


# --- Twins and multiple births --------------------------------------------------------


def multiple_birth_problems(data: dict[str, Any]) -> Problems:
    problems: Problems = []
    code = (data.get("sibling_dossier_code") or "").strip()
    multiple = bool(data.get("multiple_birth"))
    if multiple and not filled(data.get("multiple_birth_order")):
        problems.append(
            (
                "multiple_birth_order",
                _("Say which of the twins or triplets this child is: 1st, 2nd, 3rd…"),
            )
        )
    if not multiple and filled(data.get("multiple_birth_order")):
        problems.append(
            (
                "multiple_birth_order",
                _("Give the order in the multiple birth only for twins or a multiple birth."),
            )
        )
    if not code:
        return problems
    if not multiple:
        problems.append(
            (
                "sibling_dossier_code",
                _("Give a twin's dossier code only for twins or a multiple birth."),
            )
        )
    elif not DOSSIER_CODE.match(code):
        problems.append(("sibling_dossier_code", _("A dossier code looks like UBLB-260304-0001.")))
    return problems


def sibling_problems(data: dict[str, Any], sibling: dict[str, Any] | None) -> Problems:
    """The twin's dossier named: a birth dossier still standing, of the same
    mother and date of birth, for another child of the same multiple birth."""
    field = "sibling_dossier_code"
    if sibling is None:
        return [(field, _("There is no birth registration dossier with this code."))]
    if sibling.get("closed"):
        return [(field, _("This birth registration dossier was refused, rejected or withdrawn."))]
    other = sibling.get("data") or {}
    if as_date(other.get("birth_date")) != as_date(data.get("birth_date")):
        return [(field, _("The twin's dossier gives another date of birth."))]
    if not same_mother(data, other):
        return [(field, _("The twin's dossier names another mother."))]
    if not other.get("multiple_birth"):
        return [(field, _("The twin's dossier does not declare a multiple birth."))]
    if fold(other.get("full_name") or "") == fold(data.get("full_name") or ""):
        return [(field, _("The twin's dossier is for a child of the same name."))]
    if str(other.get("multiple_birth_order") or "") == str(data.get("multiple_birth_order") or ""):
        return [
            (
                "multiple_birth_order",
                _("The twin's dossier has the same order in the multiple birth."),
            )
        ]
    return []


def same_mother(a: dict[str, Any], b: dict[str, Any]) -> bool:
    a, b = with_declarer_as_parent(a), with_declarer_as_parent(b)
    first = (a.get("mother_id_number") or "").strip()
    second = (b.get("mother_id_number") or "").strip()
    if first or second:
        return first == second
    return bool(fold(a.get("mother_name") or "")) and fold(a.get("mother_name") or "") == fold(
        b.get("mother_name") or ""
    )


# --- The parents ------------------------------------------------------------------------


def parent_details_problems(data: dict[str, Any]) -> Problems:
    """A parent is named by a record of the population database (ID number)
    or, when not in it (e.g. a foreign national), by name, year of birth,
    nationality and residence. An unknown father has no details at all."""
    problems: Problems = []
    for parent in PARENTS:
        if parent == "father" and data.get("father_unknown"):
            for field in FATHER_FIELDS:
                if filled(data.get(field)):
                    problems.append(
                        (field, _("Leave the father's details empty when the father is unknown."))
                    )
            continue
        if filled(data.get(f"{parent}_id_number")) or not filled(data.get(f"{parent}_name")):
            continue
        for detail in FREE_TEXT_REQUIRED[1:]:
            if not filled(data.get(f"{parent}_{detail}")):
                problems.append((f"{parent}_{detail}", FREE_TEXT_MISSING[detail]))
    return problems


FREE_TEXT_MISSING = {
    "birth_year": _("For a parent not in the population database, enter the year of birth."),
    "nationality": _("For a parent not in the population database, enter the nationality."),
    "residence": _("For a parent not in the population database, enter the place of residence."),
}


def parent_problems(data: dict[str, Any]) -> Problems:
    """Who the parents are, with who declares: a declaring parent is that
    parent; someone else cannot be named as a parent; the mother is always
    named; the father is named or declared unknown."""
    problems: Problems = parent_details_problems(data)
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


def same_parent_problems(data: dict[str, Any]) -> Problems:
    """The mother and the father are two people: not the same ID number."""
    mother = (data.get("mother_id_number") or "").strip()
    father = (data.get("father_id_number") or "").strip()
    if mother and father == mother and not data.get("father_unknown"):
        return [
            (
                "father_id_number",
                _("The father's ID number is the mother's: enter the father's own ID number."),
            )
        ]
    return []


def parent_age_problems(
    data: dict[str, Any], child_born: dt.date | None, records: dict[str, dt.date | None]
) -> Problems:
    """A parent is born before the child, and at least ``MIN_PARENT_AGE_YEARS``
    old at the birth: by the date of birth of the parent's record in the
    population database (``records``: parent → birth date, the message on the
    ID number), else by the year of birth typed for a parent who is not in it
    (the message on the year). With a year only, a parent is refused only when
    even the oldest they can be is too young."""
    if child_born is None:
        return []
    problems: Problems = []
    for parent in PARENTS:
        if parent == "father" and data.get("father_unknown"):
            continue
        born = records.get(parent)
        if born is not None:
            field = f"{parent}_id_number"
            if born >= child_born:
                problems.append((field, PARENT_BORN_AFTER[parent]))
            elif age_on(born, child_born) < MIN_PARENT_AGE_YEARS:
                problems.append((field, _too_young(parent)))
            continue
        if filled(data.get(f"{parent}_id_number")):
            continue  # a record not found: the record checks say so
        try:
            year = int(data.get(f"{parent}_birth_year") or 0)
        except (TypeError, ValueError):
            continue
        if not year:
            continue
        field = f"{parent}_birth_year"
        if year > child_born.year:
            problems.append((field, PARENT_BORN_AFTER[parent]))
        elif child_born.year - year < MIN_PARENT_AGE_YEARS:
            problems.append((field, _too_young(parent)))
    return problems


PARENT_BORN_AFTER = {
    "mother": _("The child's date of birth is before the mother's: check both."),
    "father": _("The child's date of birth is before the father's: check both."),
}
PARENT_TOO_YOUNG = {
    "mother": _(
        "The mother would be younger than %(years)s at the child's birth: check her ID "
        "number or year of birth and the child's date of birth."
    ),
    "father": _(
        "The father would be younger than %(years)s at the child's birth: check his ID "
        "number or year of birth and the child's date of birth."
    ),
}


def _too_young(parent: str) -> str:
    return str(PARENT_TOO_YOUNG[parent]) % {"years": MIN_PARENT_AGE_YEARS}


def with_declarer_as_parent(data: dict[str, Any]) -> dict[str, Any]:
    """A parent who declares is that parent: their ID number fills the parent's."""
    relation = data.get("declarer_relation")
    declarer = (data.get("declarer_id_number") or "").strip()
    if relation in PARENTS and declarer and not filled(data.get(f"{relation}_id_number")):
        return {**data, f"{relation}_id_number": declarer}
    return data

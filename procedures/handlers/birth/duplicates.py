"""One child, one record: the births a birth dossier may repeat.

Two birth dossiers are of the same request when they name the same mother (her
personal ID number, else her name without diacritics) and the same date of
birth: that is their duplicate key. Among those, the child is compared by name
without diacritics (``egov.text.fold``) and place in a multiple birth:

- a living record of the population database with the mother, the date of
  birth and the name is the same child, certainly: the dossier is refused and
  the record named;
- a record of the mother born that day with another name, when no multiple
  birth is declared, and any other dossier with the same key, are likely the
  same child: the clerk and the head compare them side by side, and approving
  needs the head's decision;
- twins are not duplicates: both declare a multiple birth with other names
  and other places in it (a twin's record has another name). Names are not
  compared for likeness: twins' names often differ by a letter ("Nhật",
  "Nguyệt"), and so does a mistyped name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from citizens.models import Person, Sex
from egov.text import fold
from procedures.handlers.birth import rules
from procedures.handlers.birth.services import (
    birth_place_text,
    birth_source,
    registered_children,
)
from procedures.handlers.registry import DuplicateMatch, filed_before

if TYPE_CHECKING:
    from procedures.handlers.registry import DossierView

SOURCE_PREFIX = birth_source("")


def mother_key(data: dict[str, Any]) -> str:
    """The mother as the key names her: her ID number, else her folded name."""
    data = rules.with_declarer_as_parent(data)
    number = (data.get("mother_id_number") or "").strip()
    if number:
        return number
    name = fold(data.get("mother_name") or "")
    return f"name:{name}" if name else ""


def duplicate_key(data: dict[str, Any]) -> str:
    """``birth:<mother>:<date of birth>``, or "" when either is missing."""
    mother = mother_key(data)
    birth_date = rules.as_date(data.get("birth_date"))
    if not mother or birth_date is None:
        return ""
    return f"birth:{mother}:{birth_date.isoformat()}"


def _date_text(value: Any) -> str:
    day = rules.as_date(value)
    return day.strftime("%d/%m/%Y") if day else "—"


def _sex_text(value: str) -> str:
    return str(Sex(value).label) if value in Sex.values else (value or "—")


def _order(data: dict[str, Any]) -> str:
    return str(data.get("multiple_birth_order") or "") if data.get("multiple_birth") else ""


def _parent_text(data: dict[str, Any], parent: str) -> str:
    if parent == "father" and data.get("father_unknown"):
        return gettext("unknown")
    number = (data.get(f"{parent}_id_number") or "").strip()
    name = (data.get(f"{parent}_name") or "").strip()
    if number and not name:  # named by ID number only: the record's name, to compare
        name = Person.objects.filter(id_number=number).values_list("full_name", flat=True).first()
    return " – ".join(p for p in (name, number) if p) or "—"


def _dossier_values(data: dict[str, Any]) -> dict[str, str]:
    data = rules.with_declarer_as_parent(data)
    return {
        "name": (data.get("full_name") or "").strip() or "—",
        "birth_date": _date_text(data.get("birth_date")),
        "sex": _sex_text(data.get("sex") or ""),
        "order": _order(data) or "—",
        "mother": _parent_text(data, "mother"),
        "father": _parent_text(data, "father"),
        "place": birth_place_text(data) or "—",
        "certificate": (data.get("birth_certificate_number") or "").strip() or "—",
    }


def _record_values(child: Person) -> dict[str, str]:
    mother = child.mother
    father = child.father
    return {
        "name": child.full_name,
        "birth_date": _date_text(child.birth_date),
        "sex": _sex_text(child.sex),
        "order": "—",
        "mother": (
            f"{mother.full_name} – {mother.id_number}" if mother else child.mother_name or "—"
        ),
        "father": (
            f"{father.full_name} – {father.id_number}" if father else child.father_name or "—"
        ),
        "place": child.birth_place or "—",
        "certificate": "—",
    }


LABELS = {
    "name": _("Child's full name"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "order": _("Order in the multiple birth"),
    "mother": _("Mother"),
    "father": _("Father"),
    "place": _("Place of birth"),
    "certificate": _("Hospital birth certificate number"),
}


def _rows(this: dict[str, str], other: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    return tuple((str(label), this[key], other[key]) for key, label in LABELS.items())


def _twins(this: dict[str, Any], other: dict[str, Any]) -> bool:
    """Both declare a multiple birth, with other places in it and other names."""
    return (
        bool(this.get("multiple_birth") and other.get("multiple_birth"))
        and _order(this) != _order(other)
        and fold(this.get("full_name") or "") != fold(other.get("full_name") or "")
    )


def record_matches(
    data: dict[str, Any], *, reference: str
) -> tuple[list[DuplicateMatch], set[str]]:
    """The mother's living children born that day in the population database
    that may be this child, and the sources of those records (the dossiers
    that registered them)."""
    data = rules.with_declarer_as_parent(data)
    birth_date = rules.as_date(data.get("birth_date"))
    name = fold(data.get("full_name") or "")
    if birth_date is None or not name:
        return [], set()
    number = (data.get("mother_id_number") or "").strip()
    mother = Person.objects.filter(id_number=number).first() if number else None
    if number and mother is None:
        return [], set()
    children = registered_children(
        mother=mother, mother_name=data.get("mother_name") or "", birth_date=birth_date
    )
    own = birth_source(reference)
    this = _dossier_values(data)
    matches = []
    sources = set()
    for child in children:
        if child.source == own:
            continue
        code = child.source[len(SOURCE_PREFIX) :] if child.source.startswith(SOURCE_PREFIX) else ""
        same = fold(child.full_name) == name
        if not same and data.get("multiple_birth"):
            continue  # a twin registered already: another name
        child = Person.objects.select_related("mother", "father").get(pk=child.pk)
        values = {"name": child.full_name, "date": _date_text(child.birth_date)}
        if same:
            message = _(
                "%(name)s, born %(date)s to this mother, is registered already in the "
                "population database: personal ID number %(id_number)s."
            ) % {**values, "id_number": child.id_number}
            public = (
                _(
                    "This child is registered already: %(name)s, born %(date)s, registered "
                    "by dossier %(code)s. A birth is registered once."
                )
                % {**values, "code": code}
                if code
                else _(
                    "This child is registered already in the population database: "
                    "%(name)s, born %(date)s. A birth is registered once."
                )
                % values
            )
        else:
            message = _(
                "The population database has a child of this mother born the same day: "
                "%(name)s, personal ID number %(id_number)s. Check that this is not the same "
                "child under another name."
            ) % {**values, "id_number": child.id_number}
            public = ""
        matches.append(
            DuplicateMatch(
                certain=same,
                kind="record",
                reference=child.id_number,
                message=str(message),
                public_message=str(public),
                rows=_rows(this, _record_values(child)),
                person_id=child.pk,
            )
        )
        sources.add(child.source)
    return matches, sources


def dossier_matches(
    dossier: DossierView, others: list[DossierView], *, registered: set[str]
) -> list[DuplicateMatch]:
    """Other birth dossiers of the same mother and date of birth that are not
    a twin's (nor the one that registered a record matched already)."""
    data = dossier.data or {}
    this = _dossier_values(data)
    earlier = {id(other) for other in filed_before(dossier, others, decided=True)}
    matches = []
    for other in others:
        other_data = other.data or {}
        if birth_source(other.reference) in registered or _twins(data, other_data):
            continue
        same = fold(other_data.get("full_name") or "") == fold(data.get("full_name") or "")
        message = (
            _(
                "Dossier %(code)s declares the birth of a child of this mother on the same "
                "day with the same name."
            )
            if same
            else _(
                "Dossier %(code)s declares the birth of a child of this mother on the same "
                "day, with another name, and the two are not declared as twins."
            )
        ) % {"code": other.reference}
        matches.append(
            DuplicateMatch(
                certain=False,
                kind="dossier",
                reference=other.reference,
                message=str(message),
                rows=_rows(this, _dossier_values(other_data)),
                dossier_id=getattr(other, "pk", None),
                later=id(other) not in earlier,
            )
        )
    return matches


def birth_duplicates(dossier: DossierView, others: list[DossierView]) -> list[DuplicateMatch]:
    data = dossier.data or {}
    records, registered = record_matches(data, reference=dossier.reference)
    return records + dossier_matches(dossier, others, registered=registered)

"""The result of a child's health-insurance card application: the card itself
(Thẻ bảo hiểm y tế of a child under 6, paid by the state budget), valid from the
date of birth until the day before the 6th birthday.

A card handed on from a birth (interconnect) is decided by social insurance in
its own dossier: ``decided_by`` names that handoff. The one-stop core renders
it (``onecounter.results``) from this spec.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from egov.vietnamese import format_date, sex_text
from procedures.handlers.registry import ResultSources, ResultSpec

CARD_YEARS = 6  # the state budget pays the card of a child under 6


def card_valid_until(birth_date: dt.date) -> dt.date:
    """The day before the 6th birthday (a child born on 29 February turns 6 on 1 March)."""
    year = birth_date.year + CARD_YEARS
    try:
        birthday = birth_date.replace(year=year)
    except ValueError:
        birthday = dt.date(year, 3, 1)
    return birthday - dt.timedelta(days=1)


def health_insurance_card_context(sources: ResultSources) -> dict[str, Any]:
    child = sources.holder
    return {
        "card": {
            "number": child.health_insurance_number,
            "full_name": child.full_name,
            "birth_date_text": format_date(child.birth_date),
            "sex": sex_text(child.sex),
            "facility": sources.data.get("health_facility") or "",
            "valid_from_text": format_date(child.birth_date),
            "valid_until_text": format_date(card_valid_until(child.birth_date)),
            "issuer": sources.issuer.name,
        },
    }


HEALTH_INSURANCE_CARD = ResultSpec(
    name="health_insurance_card",
    title="Thẻ bảo hiểm y tế",
    template="slips/health_insurance_card.html",
    context=health_insurance_card_context,
    number_suffix="BHYT",  # bảo hiểm y tế
    label=_("Health-insurance card"),
    decided_by="insurance",
)

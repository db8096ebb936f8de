"""The result of a death registration: the death registration extract (Trích
lục khai tử), about the deceased (``holder_answer``: the declaration names them
by their personal ID number; they are neither its applicant nor its subject).

It uses the generic result template (``slips/result.html``), which prints the
title, the applicant and the ``holder_lines`` this context gives; a result that
needs a layout of its own names its template in ``ResultSpec.template`` (see
CONTRIBUTING.md, "Adding a procedure"). The one-stop core renders it
(``onecounter.results``); the text is Vietnamese, like every official document.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from citizens.reference import ETHNICITY_NAMES
from egov.text import address_with_unit
from egov.vietnamese import date_in_words, format_date, sex_text
from procedures.handlers.death.forms import date_answer
from procedures.handlers.registry import ResultSources, ResultSpec

CAUSE_WORDS = {"illness": "Bệnh", "old_age": "Già yếu", "accident": "Tai nạn", "other": "Khác"}


def death_certificate_context(sources: ResultSources) -> dict[str, Any]:
    """The deceased as the population database records them and the death as declared."""
    person, data = sources.holder, sources.data
    died = date_answer(data.get("date_of_death"))
    residence = address_with_unit(
        person.permanent_address, str(person.permanent_unit) if person.permanent_unit_id else ""
    )
    lines = [
        ("Họ, chữ đệm, tên", person.full_name),
        ("Ngày, tháng, năm sinh", format_date(person.birth_date)),
        ("Giới tính", sex_text(person.sex)),
        ("Dân tộc", ETHNICITY_NAMES.get(person.ethnicity, person.ethnicity)),
        ("Quốc tịch", person.nationality),
        ("Số định danh cá nhân", person.id_number),
        ("Nơi cư trú cuối cùng", residence or "—"),
        ("Ngày chết", f"{format_date(died)} ({date_in_words(died)})" if died else "—"),
        ("Nơi chết", data.get("place_of_death") or "—"),
        ("Nguyên nhân chết", CAUSE_WORDS.get(data.get("cause_of_death") or "", "—")),
    ]
    if data.get("death_notice_number"):
        lines.append(("Số giấy báo tử", data["death_notice_number"]))
    lines.append(("Nơi đăng ký khai tử", sources.deciding.agency.name))
    return {"holder_lines": lines}


DEATH_CERTIFICATE = ResultSpec(
    name="death_certificate",
    title="Trích lục khai tử",
    context=death_certificate_context,
    number_suffix="TLKT",  # trích lục khai tử
    label=_("Death registration extract"),
    holder_answer="deceased_id_number",
)

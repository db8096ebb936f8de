"""Personal identification numbers (số định danh cá nhân).

Decree 137/2015 art. 13 and Circular 07/2016/TT-BCA art. 7: 12 digits =
3-digit code of the province (or country 101-295) where the birth was
registered + 1 digit for century and sex + the last 2 digits of the birth
year + 6 random digits. No check digit.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from citizens.reference import COUNTRY_CODE_RANGE, id_province_codes

MALE, FEMALE = "M", "F"
FIRST_CENTURY = 1900  # digit 0/1 = 1900s, 2/3 = 2000s, ... 8/9 = 2300s


def century_sex_digit(sex: str, birth_year: int) -> int:
    century = (birth_year - FIRST_CENTURY) // 100
    if not 0 <= century <= 4:
        raise ValueError(f"birth year {birth_year} outside 1900-2399")
    return century * 2 + (1 if sex == FEMALE else 0)


def validation_errors(
    number: str, *, sex: str | None = None, birth_date: dt.date | None = None
) -> list[ValidationError]:
    """Every problem of a number, each naming the part that is wrong."""
    number = (number or "").strip()
    if not re.fullmatch(r"[0-9]{12}", number):
        return [
            ValidationError(
                _("A personal ID number has exactly 12 digits; “%(value)s” does not."),
                code="id_format",
                params={"value": number},
            )
        ]
    errors = []
    prefix = number[:3]
    if prefix not in id_province_codes() and int(prefix) not in COUNTRY_CODE_RANGE:
        errors.append(
            ValidationError(
                _(
                    "The first 3 digits “%(prefix)s” are not the code of a province "
                    "(001-096) or of a country (101-295)."
                ),
                code="id_province",
                params={"prefix": prefix},
            )
        )
    digit = int(number[3])
    if sex in (MALE, FEMALE) and birth_date is not None:
        try:
            expected = century_sex_digit(sex, birth_date.year)
        except ValueError:
            expected = None
        if expected is not None and digit != expected:
            errors.append(
                ValidationError(
                    _(
                        "The 4th digit (century and sex) is %(digit)d but a %(sex)s born in "
                        "%(year)d has %(expected)d."
                    ),
                    code="id_century_sex",
                    params={
                        "digit": digit,
                        "expected": expected,
                        "year": birth_date.year,
                        "sex": _("male") if sex == MALE else _("female"),
                    },
                )
            )
    if birth_date is not None and number[4:6] != f"{birth_date.year % 100:02d}":
        errors.append(
            ValidationError(
                _("Digits 5-6 (year of birth) are “%(digits)s” but the year of birth is %(year)d."),
                code="id_birth_year",
                params={"digits": number[4:6], "year": birth_date.year},
            )
        )
    return errors


def validate_id_number(
    number: str, *, sex: str | None = None, birth_date: dt.date | None = None
) -> None:
    errors = validation_errors(number, sex=sex, birth_date=birth_date)
    if errors:
        raise ValidationError(errors)


def validate_id_number_format(number: str) -> None:
    """Model/form field validator: format and province only."""
    validate_id_number(number)


def generate_id_number(
    *, province_code: str, sex: str, birth_date: dt.date, reason: str = ""
) -> str:
    """Issue a new number, never handed out before (retired numbers included).

    The number is reserved in ``IssuedIdNumber`` (a primary key) before it is
    returned; a collision, even with a concurrent generator, retries with new
    random digits.
    """
    from citizens.models import IssuedIdNumber

    prefix = "0" + province_code if len(province_code) == 2 else province_code
    head = f"{prefix}{century_sex_digit(sex, birth_date.year)}{birth_date.year % 100:02d}"
    for _attempt in range(50):
        number = head + f"{secrets.randbelow(10**6):06d}"
        try:
            with transaction.atomic():
                IssuedIdNumber.objects.create(number=number, reason=reason)
        except IntegrityError:
            continue
        return number
    raise RuntimeError("Could not find a free personal ID number after 50 attempts.")

"""How official Vietnamese documents write dates, numbers and a few words, for
every PDF the portal issues (the one-stop slips, the fee receipt, the result
documents the procedure handlers describe).

Their text is Vietnamese whatever the reader's language: nothing here goes
through gettext. Dates are written dd/mm/yyyy, times in Hà Nội time; amounts of
money are ``egov.text.money(amount, unit="đồng", language="vi")``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

# --- Dates -------------------------------------------------------------------------------


def format_date(value: dt.date | None) -> str:
    """ "04/03/2026"; "—" for no date."""
    return value.strftime("%d/%m/%Y") if value else "—"


def format_datetime(value: dt.datetime | None) -> str:
    """Hà Nội time, as in "10 giờ 05 phút, ngày 04/03/2026"; "—" for none."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def format_short_datetime(value: dt.datetime) -> str:
    """Hà Nội time, as in "10:05 04/03/2026"."""
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def place_date(day: dt.date, place: str | None = None) -> str:
    """The place and date line, e.g. "Hà Nội, ngày 04 tháng 3 năm 2026"
    (``place`` default: ``EGOV_SLIP_PLACE``, "Hà Nội").

    Written as Decree 30/2020/ND-CP (appendix I, II.5) writes dates in
    administrative documents: a day below 10 and the months 1 and 2 take a
    leading zero, the other months do not."""
    place = place or getattr(settings, "EGOV_SLIP_PLACE", "Hà Nội")
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day:%d} tháng {month} năm {day.year}"


# --- Numbers in words ------------------------------------------------------------------------

DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALE_WORDS = ("", "nghìn", "triệu", "tỷ")


def _three_digits_in_words(number: int, *, full: bool) -> list[str]:
    """0-999 in words; ``full`` reads the hundreds and "linh" even when zero
    (a group after a higher one: 1.005.000 is "một triệu không trăm linh năm nghìn")."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if full or hundreds:
        words += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGIT_WORDS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5 and tens >= 1:
        words.append("lăm")
    elif units:
        words.append(DIGIT_WORDS[units])
    return words


def number_in_words(number: int) -> str:
    """A whole number in Vietnamese words, lower case: 2026 → "hai nghìn không
    trăm hai mươi sáu" (up to hundreds of billions)."""
    if number <= 0:
        return "không"
    groups = []
    while number:
        groups.append(number % 1000)
        number //= 1000
    if len(groups) > len(SCALE_WORDS):
        raise ValueError("number too large to write in words")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _three_digits_in_words(group, full=bool(words))
        if SCALE_WORDS[index]:
            words.append(SCALE_WORDS[index])
    return " ".join(words)


def money_in_words(amount: int) -> str:
    """An amount of đồng in Vietnamese words, e.g. 1.250.000 → "Một triệu hai
    trăm năm mươi nghìn đồng" (up to hundreds of billions)."""
    if amount <= 0:
        return "Không đồng"
    try:
        words = number_in_words(amount)
    except ValueError:
        raise ValueError("amount too large to write in words") from None
    text = words + " đồng"
    return text[0].upper() + text[1:]


MONTH_WORDS = {4: "tư"}  # "tháng tư", not "tháng bốn"


def date_in_words(day: dt.date) -> str:
    """A date in words, as civil-status documents write it: 15/03/2026 → "Ngày
    mười lăm, tháng ba, năm hai nghìn không trăm hai mươi sáu"."""
    month = MONTH_WORDS.get(day.month) or number_in_words(day.month)
    return f"Ngày {number_in_words(day.day)}, tháng {month}, năm {number_in_words(day.year)}"


# --- Words ---------------------------------------------------------------------------------


def sex_text(sex: str) -> str:
    """ "Nam" for ``M``, else "Nữ" (the population database's codes)."""
    return "Nam" if sex == "M" else "Nữ"

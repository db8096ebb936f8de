"""Text helpers shared by every app: folding Vietnamese text for search,
address lines, amounts of money. The wording of official Vietnamese documents
(dates and numbers in words...) is in ``egov.vietnamese``."""

import unicodedata


def fold(text: str) -> str:
    """Diacritic-insensitive, case-insensitive form of a Vietnamese text.

    ``fold("Nguyễn Văn Đức") == "nguyen van duc"``: marks are removed after
    NFD decomposition, and đ/Đ (a distinct letter, not a mark) becomes d.
    Runs of white space collapse to one space.
    """
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.lower().split())


# Words that only say what kind of unit follows ("Thành phố Hà Nội" is "Hà Nội").
UNIT_KINDS = ("thanh pho ", "tinh ", "phuong ", "xa ", "thi tran ", "dac khu ")


def _unit_core(name: str) -> str:
    folded = fold(name)
    for kind in UNIT_KINDS:
        if folded.startswith(kind):
            return folded.removeprefix(kind)
    return folded


def address_with_unit(address: str, unit: str) -> str:
    """An address line followed by its administrative unit ("Phường Long Biên,
    Thành phố Hà Nội"), the unit written once: when the line already ends with
    the unit's first part (the ward or commune, compared folded: marks, case
    and the kind of unit aside, e.g. "…, Phường Long Biên, Hà Nội"), it is
    kept as it is. Either may be empty."""
    address = " ".join((address or "").split()).strip(" ,")
    unit = " ".join((unit or "").split()).strip(" ,")
    if not unit:
        return address
    if not address:
        return unit
    line = [_unit_core(part) for part in address.split(",") if part.strip()]
    names = [_unit_core(part) for part in unit.split(",") if part.strip()]
    # Where the line names the unit's first part (the ward), after it only the
    # unit's own higher parts (its province) may follow.
    for index, part in enumerate(line):
        if part == names[0] and all(rest in names[1:] for rest in line[index + 1 :]):
            return address
    return f"{address}, {unit}"


def money(amount: int, *, unit: str = "", language: str | None = None) -> str:
    """An amount of đồng, its digits grouped by thousands with the separator of
    ``language`` (default: the active one): "50.000" in Vietnamese, "50,000" in
    English (Django's Vietnamese formats do not group digits, so ``intcomma``
    would print "50000"). ``unit`` follows after a space: the official forms
    write ``money(1250000, unit="đồng", language="vi")``, "1.250.000 đồng"."""
    from django.utils.formats import get_format

    text = f"{amount:,}".replace(",", str(get_format("THOUSAND_SEPARATOR", lang=language)))
    return f"{text} {unit}" if unit else text

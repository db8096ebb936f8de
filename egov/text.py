"""Text helpers shared by every app."""

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


def money(amount: int) -> str:
    """An amount of đồng with the language's thousands separator: "50.000" in
    Vietnamese, "50,000" in English (Django's Vietnamese formats do not group
    digits, so ``intcomma`` would print "50000")."""
    from django.utils.formats import get_format

    return f"{amount:,}".replace(",", str(get_format("THOUSAND_SEPARATOR")))

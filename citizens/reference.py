"""Reference lists of the population database: ethnic groups, province codes."""

from __future__ import annotations

import csv
from functools import lru_cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# A household number as the population database writes it: "HK" or "HN", then
# digits, letters and hyphens with at least one digit, 20 characters at most
# (the generator's HK<ward code>-<6 digits>, e.g. HK00145-000123; the older
# register's HN0010001).
HOUSEHOLD_NUMBER = r"^H[KN](?=[A-Z0-9-]*[0-9])[A-Z0-9-]{1,18}$"

# The 54 ethnic groups of Vietnam with the General Statistics Office's codes.
ETHNICITIES: list[tuple[str, str]] = [
    ("01", "Kinh"), ("02", "Tày"), ("03", "Thái"), ("04", "Hoa"), ("05", "Khmer"),
    ("06", "Mường"), ("07", "Nùng"), ("08", "Mông"), ("09", "Dao"), ("10", "Gia Rai"),
    ("11", "Ngái"), ("12", "Ê Đê"), ("13", "Ba Na"), ("14", "Xơ Đăng"), ("15", "Sán Chay"),
    ("16", "Cơ Ho"), ("17", "Chăm"), ("18", "Sán Dìu"), ("19", "Hrê"), ("20", "Mnông"),
    ("21", "Ra Glai"), ("22", "Xtiêng"), ("23", "Bru Vân Kiều"), ("24", "Thổ"), ("25", "Giáy"),
    ("26", "Cơ Tu"), ("27", "Giẻ Triêng"), ("28", "Mạ"), ("29", "Khơ Mú"), ("30", "Co"),
    ("31", "Tà Ôi"), ("32", "Chơ Ro"), ("33", "Kháng"), ("34", "Xinh Mun"), ("35", "Hà Nhì"),
    ("36", "Chu Ru"), ("37", "Lào"), ("38", "La Chí"), ("39", "La Ha"), ("40", "Phù Lá"),
    ("41", "La Hủ"), ("42", "Lự"), ("43", "Lô Lô"), ("44", "Chứt"), ("45", "Mảng"),
    ("46", "Pà Thẻn"), ("47", "Cơ Lao"), ("48", "Cống"), ("49", "Bố Y"), ("50", "Si La"),
    ("51", "Pu Péo"), ("52", "Brâu"), ("53", "Ơ Đu"), ("54", "Rơ Măm"),
]  # fmt: skip
ETHNICITY_NAMES = dict(ETHNICITIES)

RELATIONS: list[tuple[str, object]] = [
    ("head", _("head of household")),
    ("spouse", _("spouse")),
    ("child", _("child")),
    ("parent", _("parent")),
    ("grandchild", _("grandchild")),
    ("grandparent", _("grandparent")),
    ("sibling", _("sibling")),
    ("in_law", _("child-in-law")),
    ("other", _("other relative or member")),
]

# Births registered abroad carry a country code from 101 to 295 instead of a province.
COUNTRY_CODE_RANGE = range(101, 296)


def _read(name: str) -> list[dict[str, str]]:
    path = settings.ADMINISTRATIVE_UNITS_DIR / name
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def id_province_codes() -> frozenset[str]:
    """3-digit prefixes of personal ID numbers: '0' + each of the 63 old and 34 new provinces."""
    codes = {row["province_code"] for row in _read("provinces-2025.csv")}
    codes |= {row["Mã TP"] for row in _read("communes-pre-2025.csv")}
    return frozenset("0" + code for code in codes)

"""A synthetic population of Hà Nội (``manage.py generate_population``).

Households of 1-7 people (head, spouse, children, sometimes the head's
parents) spread over Hà Nội's 126 wards and communes of 2025, with Vietnamese
names in realistic proportions, ages that make sense (parents 20-45 years
older than their children, spouses of similar age), valid personal ID numbers
(unique, consistent with sex and year of birth, mostly born in Hà Nội),
health-insurance numbers for most, and a few deceased grandparents.

Deterministic: one seed gives the same file, byte for byte (``random.Random``
and a fixed reference date, not today). Streams rows to the file, so the
memory used does not grow with the count: 10 million rows are fine. The
output is in the format of ``citizens.importer`` and imports with 0 rejects.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from citizens.idnumbers import century_sex_digit
from citizens.importer import COLUMNS
from citizens.reference import id_province_codes

AS_OF = dt.date(2026, 1, 1)  # the generated city is as of this day
HANOI = "01"
YEAR = 365.2425

# --- Names ---------------------------------------------------------------------------
# Family names: shares of the Vietnamese population (Nguyễn ~38%, Trần ~11%, ...);
# Huỳnh and Võ are mostly southern spellings, rarer in Hà Nội.
FAMILY_NAMES = [
    ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 4.6),
    ("Huỳnh", 0.5), ("Phan", 4.0), ("Vũ", 3.6), ("Võ", 0.4), ("Đặng", 2.1), ("Bùi", 2.0),
    ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đào", 0.8),
    ("Đinh", 0.8), ("Trịnh", 0.6), ("Đoàn", 0.6), ("Lương", 0.5), ("Mai", 0.4),
    ("Cao", 0.4), ("Vương", 0.3), ("Phùng", 0.3), ("Tạ", 0.3), ("Chu", 0.3), ("Kiều", 0.2),
    ("Hà", 0.3), ("Lâm", 0.2), ("Tô", 0.2), ("Khuất", 0.1), ("Nghiêm", 0.1), ("Quách", 0.1),
    ("Triệu", 0.2), ("Lưu", 0.2), ("Thái", 0.1), ("Nông", 0.1), ("Văn", 0.1), ("Từ", 0.1),
]  # fmt: skip
MIDDLE_NAMES = {
    "M": [
        ("Văn", 30), ("Đức", 12), ("Hữu", 8), ("Quang", 8), ("Minh", 9), ("Công", 5),
        ("Xuân", 4), ("Thành", 4), ("Tiến", 3), ("Mạnh", 3), ("Duy", 4), ("Hoàng", 4),
        ("Trung", 3), ("Anh", 3), ("Gia", 3), ("Ngọc", 2), ("Thanh", 3), ("Việt", 2),
        ("Bảo", 2), ("Đình", 4), ("Tuấn", 2), ("Quốc", 3), ("Hải", 2),
    ],
    "F": [
        ("Thị", 34), ("Ngọc", 9), ("Thu", 7), ("Thanh", 7), ("Phương", 5), ("Thùy", 4),
        ("Minh", 4), ("Hồng", 4), ("Mai", 3), ("Khánh", 3), ("Bảo", 3), ("Lan", 2),
        ("Diệu", 2), ("Hải", 2), ("Kim", 3), ("Bích", 2), ("Hà", 2), ("Quỳnh", 2),
        ("Thảo", 2), ("Hoài", 2), ("Tuyết", 1), ("Như", 2), ("Gia", 2),
    ],
}  # fmt: skip
GIVEN_NAMES = {
    "M": [
        ("Anh", 6), ("Minh", 6), ("Hùng", 5), ("Dũng", 5), ("Tuấn", 5), ("Hải", 4),
        ("Nam", 5), ("Long", 4), ("Hưng", 4), ("Thắng", 3), ("Cường", 3), ("Đức", 4),
        ("Huy", 5), ("Khoa", 3), ("Quân", 4), ("Bảo", 3), ("Phúc", 3), ("Sơn", 4),
        ("Thành", 4), ("Trung", 3), ("Tùng", 3), ("Việt", 3), ("Hiếu", 3), ("Kiên", 2),
        ("Lâm", 2), ("Nghĩa", 2), ("Phong", 3), ("Quang", 3), ("Tài", 2), ("Thịnh", 2),
        ("Toàn", 2), ("Vinh", 3), ("Hoàng", 3), ("Khánh", 2), ("Đạt", 3), ("Hiệp", 2),
        ("Bình", 3), ("Tâm", 2), ("Thanh", 2), ("Trường", 2), ("An", 3), ("Khôi", 2),
        ("Đăng", 1), ("Nhật", 2), ("Tiến", 2), ("Thái", 2), ("Lộc", 2), ("Chiến", 2),
    ],
    "F": [
        ("Linh", 6), ("Hương", 5), ("Lan", 4), ("Trang", 6), ("Hà", 5), ("Hoa", 4),
        ("Mai", 4), ("Ngọc", 4), ("Thảo", 5), ("Huyền", 4), ("Nhung", 3), ("Hằng", 4),
        ("Thủy", 4), ("Yến", 3), ("Anh", 6), ("Chi", 3), ("Giang", 3), ("Hạnh", 3),
        ("Loan", 2), ("Nga", 3), ("Nhi", 3), ("Phương", 4), ("Quỳnh", 3), ("Trâm", 2),
        ("Vân", 3), ("Vy", 3), ("My", 3), ("Tâm", 2), ("Dung", 3), ("Hiền", 3), ("Lý", 1),
        ("Oanh", 2), ("Thơ", 2), ("Uyên", 2), ("Xuân", 2), ("Ánh", 2), ("Diệp", 1),
        ("Ngân", 3), ("Thư", 3), ("Trinh", 2), ("Hồng", 2), ("Châu", 2), ("An", 2),
    ],
}  # fmt: skip

STREETS = [
    "Ngọc Lâm", "Nguyễn Văn Cừ", "Hoàng Quốc Việt", "Trần Duy Hưng", "Láng Hạ", "Kim Mã",
    "Đội Cấn", "Giải Phóng", "Minh Khai", "Tam Trinh", "Trường Chinh", "Nguyễn Trãi",
    "Lạc Long Quân", "Âu Cơ", "Xuân Thủy", "Cầu Giấy", "Phạm Văn Đồng", "Nguyễn Chí Thanh",
    "Lê Duẩn", "Bạch Mai", "Kim Ngưu", "Thụy Khuê", "Hoàng Hoa Thám", "Nguyễn Khang",
    "Quang Trung", "Lê Trọng Tấn", "Ngô Gia Tự", "Nguyễn Sơn", "Hồng Hà", "Lĩnh Nam",
]  # fmt: skip
VILLAGES = ["Thôn Đông", "Thôn Đoài", "Thôn Thượng", "Thôn Hạ", "Thôn Trung", "Thôn Nam"]
VILLAGES += [f"Thôn {n}" for n in range(1, 10)] + ["Xóm Mới", "Xóm Chùa", "Xóm Bến"]

# Province of birth registration (the ID prefix): mostly Hà Nội, else the Red River
# Delta and a few farther away. Codes of the 63 provinces in force until 2025.
BIRTH_PROVINCES = [
    ("001", 86.0), ("034", 1.6), ("036", 1.4), ("035", 1.0), ("033", 1.0), ("030", 0.9),
    ("027", 0.8), ("026", 0.8), ("037", 0.6), ("038", 1.2), ("040", 0.9), ("019", 0.5),
    ("024", 0.5), ("031", 0.6), ("025", 0.4), ("022", 0.3), ("042", 0.3), ("079", 0.4),
    ("017", 0.3), ("014", 0.2), ("015", 0.2), ("008", 0.2),
]  # fmt: skip
ETHNIC_GROUPS = [("01", 97.5), ("06", 1.2), ("02", 0.4), ("03", 0.3), ("04", 0.2), ("07", 0.2)]
ETHNIC_GROUPS += [("09", 0.2)]
RELIGIONS = [("Không", 86.0), ("Phật giáo", 9.0), ("Công giáo", 4.5), ("Tin lành", 0.5)]

# Household kinds: (name, weight). Hà Nội averages ~3.3 people per household.
HOUSEHOLD_KINDS = [
    ("single", 14), ("couple", 12), ("family", 47), ("single_parent", 8), ("three_generations", 19),
]  # fmt: skip


def _table(pairs: Iterable[tuple[str, float]]) -> tuple[list[str], list[float]]:
    values, weights = zip(*pairs, strict=True)
    return list(values), list(itertools.accumulate(weights))


@dataclass
class GenerateResult:
    persons: int = 0
    households: int = 0
    deceased: int = 0
    seconds: float = 0.0
    path: Path | None = None

    @property
    def rows_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0


@dataclass
class _Person:
    id_number: str
    full_name: str
    family: str
    birth: int  # ordinal
    sex: str
    prefix: str
    ethnicity: str = "01"
    religion: str = "Không"
    native_place: str = "Hà Nội"
    status: str = "living"
    death: int | None = None
    father: _Person | None = None
    mother: _Person | None = None
    father_name: str = ""
    mother_name: str = ""
    spouse: _Person | None = None
    spouse_name: str = ""
    relation: str = ""
    start: int | None = None


class _Feistel:
    """A keyed bijection on [0, side²): a per-prefix counter becomes random-looking
    digits, and distinct counters never give the same number."""

    def __init__(self, rng: random.Random, side: int, rounds: int = 4):
        self.side = side
        self.keys = [(rng.randrange(1, side) | 1, rng.randrange(side)) for _ in range(rounds)]

    def __call__(self, n: int) -> int:
        side = self.side
        left, right = divmod(n, side)
        for mul, add in self.keys:
            left, right = right, (left + (right * mul + add) * 7919 % side) % side
        return left * side + right


class PopulationGenerator:
    def __init__(
        self,
        *,
        seed: int,
        as_of: dt.date = AS_OF,
        reserved: Iterable[str] = (),
        units_dir: Path | None = None,
    ):
        self.rng = random.Random(seed)
        self.as_of = as_of.toordinal()
        self.reserved = frozenset(reserved)
        self.units = self._units(Path(units_dir or settings.ADMINISTRATIVE_UNITS_DIR))
        self.unit_codes, self.unit_cum = _table(
            (code, 3.0 if kind == "Phường" else 1.0) for code, _name, kind in self.units
        )
        self.unit_by_code = {code: (name, kind) for code, name, kind in self.units}
        valid = id_province_codes()
        self.prefixes, self.prefix_cum = _table((p, w) for p, w in BIRTH_PROVINCES if p in valid)
        self.province_names = self._province_names(
            Path(units_dir or settings.ADMINISTRATIVE_UNITS_DIR)
        )
        self.families, self.family_cum = _table(FAMILY_NAMES)
        self.middles = {sex: _table(MIDDLE_NAMES[sex]) for sex in "MF"}
        self.givens = {sex: _table(GIVEN_NAMES[sex]) for sex in "MF"}
        self.ethnic, self.ethnic_cum = _table(ETHNIC_GROUPS)
        self.religions, self.religion_cum = _table(RELIGIONS)
        self.kinds, self.kind_cum = _table(HOUSEHOLD_KINDS)
        self.id_scramble = _Feistel(self.rng, 1000)
        self.hi_scramble = _Feistel(self.rng, 100_000)
        self.id_counters: dict[str, int] = {}
        self.id_offsets: dict[str, int] = {}
        self.hi_counter = 0
        self.household_counters: dict[str, int] = {}

    # --- reference data ---

    @staticmethod
    def _units(directory: Path) -> list[tuple[str, str, str]]:
        with (directory / "communes-2025.csv").open(encoding="utf-8", newline="") as handle:
            return [
                (r["commune_code"], r["commune_name"], r["commune_type"])
                for r in csv.DictReader(handle)
                if r["province_code"] == HANOI
            ]

    @staticmethod
    def _province_names(directory: Path) -> dict[str, str]:
        names = {}
        with (directory / "communes-pre-2025.csv").open(encoding="utf-8", newline="") as handle:
            for r in csv.DictReader(handle):
                name = r["Tỉnh Thành Phố"]
                for prefix in ("Thành phố ", "Tỉnh "):
                    name = name.removeprefix(prefix)
                names["0" + r["Mã TP"]] = name
        return names

    # --- small draws ---

    def _pick(self, values: list[str], cum: list[float]) -> str:
        return values[bisect.bisect(cum, self.rng.random() * cum[-1])]

    def _date_between(self, low: int, high: int) -> int:
        return low if high <= low else self.rng.randint(low, high)

    def _birth_for_age(self, low: float, high: float) -> int:
        return self.as_of - int(self.rng.uniform(low, high) * YEAR) - 1

    def _name(self, family: str, sex: str, birth: int) -> str:
        middles, cum = self.middles[sex]
        # Văn / Thị are most common among the older generations.
        if birth > 726468 and self.rng.random() < 0.55:  # born after 1990
            middle = middles[bisect.bisect(cum, cum[0] + self.rng.random() * (cum[-1] - cum[0]))]
        else:
            middle = self._pick(middles, cum)
        given = self._pick(*self.givens[sex])
        if self.rng.random() < 0.08:  # a second middle name
            extra = self._pick(*self.middles[sex])
            if extra != middle:
                return f"{family} {middle} {extra} {given}"
        return f"{family} {middle} {given}"

    def _id_number(self, prefix: str, sex: str, birth: int) -> str:
        year = dt.date.fromordinal(birth).year
        head = f"{prefix}{century_sex_digit(sex, year)}{year % 100:02d}"
        offset = self.id_offsets.get(head)
        if offset is None:
            offset = self.id_offsets[head] = self.rng.randrange(1_000_000)
        while True:
            n = self.id_counters.get(head, 0)
            if n >= 1_000_000:
                raise OverflowError(f"more than a million people born for prefix {head}")
            self.id_counters[head] = n + 1
            # A bijection of the counter (shifted per prefix): never the same number twice.
            number = f"{head}{self.id_scramble((n + offset) % 1_000_000):06d}"
            if number not in self.reserved:
                return number

    def _person(self, sex: str, birth: int, family: str | None = None, prefix: str = "") -> _Person:
        family = family or self._pick(self.families, self.family_cum)
        if not prefix:
            # Children born here are registered in Hà Nội; adults came from anywhere.
            young = birth > self.as_of - int(18 * YEAR)
            prefix = (
                "001"
                if young and self.rng.random() < 0.97
                else self._pick(self.prefixes, self.prefix_cum)
            )
        return _Person(
            id_number=self._id_number(prefix, sex, birth),
            full_name=self._name(family, sex, birth),
            family=family,
            birth=birth,
            sex=sex,
            prefix=prefix,
            ethnicity=self._pick(self.ethnic, self.ethnic_cum),
            native_place=self.province_names.get(prefix, "Hà Nội"),
        )

    def _spouse_of(self, head: _Person) -> _Person:
        sex = "F" if head.sex == "M" else "M"
        gap = int(max(-6.0, min(12.0, self.rng.gauss(2.5, 3.0))) * YEAR)  # husbands a bit older
        birth = head.birth + gap if head.sex == "M" else head.birth - gap
        adult = self.as_of - int(20 * YEAR)
        birth = min(birth, adult)
        spouse = self._person(sex, birth)
        spouse.ethnicity = head.ethnicity
        return spouse

    def _children(self, father: _Person | None, mother: _Person | None, count: int) -> list:
        parents = [p for p in (father, mother) if p]
        low = max(p.birth for p in parents) + int(20 * YEAR) + 1
        high = min(min(p.birth for p in parents) + int(45 * YEAR) - 1, self.as_of - 1)
        if high <= low:
            return []
        births = sorted(self._date_between(low, high) for _ in range(count))
        family_of = father or mother
        children = []
        for birth in births:
            sex = "M" if self.rng.random() < 0.52 else "F"
            child = self._person(sex, birth, family_of.family)
            child.ethnicity = family_of.ethnicity
            child.native_place = family_of.native_place
            child.father, child.mother = father, mother
            child.relation = "child"
            children.append(child)
        return children

    def _parents_of(self, person: _Person) -> tuple[_Person, _Person]:
        """The person's parents, 20-45 years older; older ones may have died."""
        father_birth = person.birth - self._date_between(int(24 * YEAR), int(44 * YEAR))
        gap = int(max(-5.0, min(10.0, self.rng.gauss(2.5, 3.0))) * YEAR)  # a younger wife
        mother_birth = max(
            person.birth - int(42 * YEAR), min(father_birth + gap, person.birth - int(20 * YEAR))
        )
        father = self._person("M", father_birth, person.family)
        mother = self._person("F", mother_birth)
        father.spouse, mother.spouse = mother, father
        for parent in (father, mother):
            age = (self.as_of - parent.birth) / YEAR
            if self.rng.random() < max(0.0, (age - 62) / 30):
                parent.status = "deceased"
                low = max(parent.birth + int(50 * YEAR), person.birth + 1)
                parent.death = self._date_between(low, self.as_of - 1)
        return father, mother

    @staticmethod
    def _forget(parent: _Person, child: _Person) -> None:
        if child.father is parent:
            child.father, child.father_name = None, parent.full_name
        else:
            child.mother, child.mother_name = None, parent.full_name
        if parent.spouse is not None:
            parent.spouse.spouse, parent.spouse.spouse_name = None, parent.full_name

    # --- households ---

    def household(self) -> tuple[list[_Person], list[_Person]]:
        """(members, other rows: deceased relatives outside any household)."""
        kind = self._pick(self.kinds, self.kind_cum)
        rng = self.rng
        outside: list[_Person] = []
        if kind == "single":
            head = self._person("M" if rng.random() < 0.5 else "F", self._birth_for_age(20, 85))
            members = [head]
        elif kind == "single_parent":
            sex = "F" if rng.random() < 0.8 else "M"
            head = self._person(sex, self._birth_for_age(28, 60))
            kids = self._children(head if sex == "M" else None, head if sex == "F" else None,
                                  rng.choice((1, 1, 2, 2, 3)))  # fmt: skip
            members = [head, *kids]
        else:
            head_sex = "M" if rng.random() < 0.78 else "F"
            low, high = (22, 80) if kind == "couple" else (26, 62)
            head = self._person(head_sex, self._birth_for_age(low, high))
            spouse = self._spouse_of(head)
            head.spouse, spouse.spouse = spouse, head
            spouse.relation = "spouse"
            husband, wife = (head, spouse) if head.sex == "M" else (spouse, head)
            members = [head, spouse]
            if kind != "couple":
                members += self._children(husband, wife, rng.choice((1, 2, 2, 2, 3)))
            if kind == "three_generations":
                father, mother = self._parents_of(head)
                head.father, head.mother = father, mother
                for parent in (father, mother):
                    if parent.status == "deceased" and rng.random() < 0.6:
                        outside.append(parent)
                    elif parent.status == "living" and len(members) < 7:
                        parent.relation = "parent"
                        members.append(parent)
                    else:  # not in the file: known by name only
                        self._forget(parent, head)
        head.relation = "head"
        if not head.father_name and head.father is None:
            head.father_name = self._name(head.family, "M", head.birth - int(30 * YEAR))
            head.mother_name = self._name(
                self._pick(self.families, self.family_cum), "F", head.birth - int(27 * YEAR)
            )
        religion = self._pick(self.religions, self.religion_cum)
        for person in members:
            person.religion = religion
        return members, outside

    # --- rows ---

    def _address(self, code: str) -> str:
        name, kind = self.unit_by_code[code]
        rng = self.rng
        if kind == "Phường":
            street = STREETS[rng.randrange(len(STREETS))]
            if rng.random() < 0.6:
                return f"Số {rng.randint(1, 120)}, ngõ {rng.randint(1, 400)} {street}"
            return f"Số {rng.randint(1, 300)} phố {street}"
        return f"{VILLAGES[rng.randrange(len(VILLAGES))]}, số nhà {rng.randint(1, 250)}"

    def _hi_number(self, person: _Person, status: str) -> str:
        age = (self.as_of - person.birth) / YEAR
        rng = self.rng
        if status != "living":
            return ""
        if age < 6:
            code = "TE1"
        elif age < 18:
            if rng.random() > 0.9:
                return ""
            code = "HS4"
        elif age >= 60:
            if rng.random() > 0.9:
                return ""
            code = "HT2"
        else:
            if rng.random() > 0.75:
                return ""
            code = "DN4" if rng.random() < 0.6 else "GD4"
        self.hi_counter += 1
        return f"{code}{HANOI}{self.hi_scramble(self.hi_counter):010d}"

    def rows(self) -> Iterable[list[str]]:
        """Rows in the importer's COLUMNS order, household by household, forever."""
        iso = lambda ordinal: dt.date.fromordinal(ordinal).isoformat()  # noqa: E731
        rng = self.rng
        while True:
            members, outside = self.household()
            code = self._pick(self.unit_codes, self.unit_cum)
            unit_name = self.unit_by_code[code][0]
            address = f"{self._address(code)}, {unit_name}, Hà Nội"
            seq = self.household_counters.get(code, 0) + 1
            self.household_counters[code] = seq
            number = f"HK{code}-{seq:06d}"
            head = members[0]
            head_start = self._date_between(
                max(head.birth + int(18 * YEAR), self.as_of - int(25 * YEAR)), self.as_of - 1
            )
            for person in members + outside:
                in_household = person.status == "living" and bool(person.relation)
                if in_household:
                    start = max(head_start, person.birth)
                    if person.relation == "spouse":
                        start = self._date_between(start, self.as_of - 1)
                    current_code, current_address = code, address
                    if rng.random() < 0.08 and person.birth < self.as_of - int(18 * YEAR):
                        current_code = self._pick(self.unit_codes, self.unit_cum)
                        current_address = (
                            f"{self._address(current_code)}, "
                            f"{self.unit_by_code[current_code][0]}, Hà Nội"
                        )
                else:
                    start = None
                    current_code = current_address = ""
                father, mother, spouse = person.father, person.mother, person.spouse
                yield [
                    person.id_number,
                    person.full_name,
                    iso(person.birth),
                    person.sex,
                    person.ethnicity,
                    person.religion,
                    "Việt Nam",
                    self.province_names.get(person.prefix, "Hà Nội"),
                    person.native_place,
                    address,
                    code,
                    current_address,
                    current_code,
                    father.id_number if father else "",
                    father.full_name if father else person.father_name,
                    mother.id_number if mother else "",
                    mother.full_name if mother else person.mother_name,
                    spouse.id_number if spouse else "",
                    spouse.full_name if spouse else person.spouse_name,
                    self._hi_number(person, person.status),
                    person.status,
                    iso(person.death) if person.death else "",
                    number if in_household else "",
                    address if in_household and person.relation == "head" else "",
                    person.relation if in_household else "",
                    iso(start) if start else "",
                ]


def population_generate(
    *,
    count: int,
    seed: int,
    output: str | Path | IO[str],
    as_of: dt.date = AS_OF,
    reserved: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> GenerateResult:
    """Write ``count`` person rows (with a header) to ``output``. ``reserved``:
    ID numbers never to hand out (e.g. the demo citizen's family)."""
    started = time.monotonic()
    generator = PopulationGenerator(seed=seed, as_of=as_of, reserved=reserved)
    result = GenerateResult(path=Path(output) if isinstance(output, str | Path) else None)
    if result.path:
        result.path.parent.mkdir(parents=True, exist_ok=True)
        handle: IO[str] = result.path.open("w", encoding="utf-8", newline="")
    else:
        handle = output  # type: ignore[assignment]
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        batch = []
        for n, row in enumerate(itertools.islice(generator.rows(), count), 1):
            batch.append(row)
            if row[20] == "deceased":
                result.deceased += 1
            if len(batch) == 10_000:
                writer.writerows(batch)
                batch.clear()
                if progress:
                    progress(n, count)
        writer.writerows(batch)
        result.persons = count
        result.households = sum(generator.household_counters.values())
    finally:
        if result.path:
            handle.close()
    result.seconds = time.monotonic() - started
    return result

"""Bulk import of person records from a CSV file (``manage.py import_population``).

Why one module of this size: the import is one pipeline whose steps share the
staging table's layout and the dialect helpers; each rule is a few lines of
SQL in ``RULES``. Split it only along the pipeline (staging, checks, writes).

The file goes into a staging table as it is: on PostgreSQL with ``COPY`` of
the raw bytes (rows numbered by a sequence), falling back to a tolerant
Python reader when ``COPY`` refuses the file (a row with the wrong number of
fields, a blank line...); on SQLite with ``executemany``. Everything after is
set-based SQL: values are trimmed, the distinct full names are folded once
(``egov.text.fold``, for the name search), every check is an ``UPDATE`` over
the staging table (``RULES``: one code, one message and one SQL predicate
each, written once with a few dialect helpers), and the valid rows are
written with a handful of ``INSERT ... SELECT`` statements: persons
(upserted on the ID number, with a ``PersonVersion`` before-image for each
row that really changes), households (the same, with ``HouseholdVersion``),
memberships and ``IssuedIdNumber``. Re-importing the same file changes nothing.

Rejected rows go to a rejects CSV: the data row number (1-based, the header
not counted: the file line is this + 1 unless a value spans lines), the rule
codes, the reasons in plain words (Vietnamese, English in parentheses) and
the (trimmed) values.

The whole import is one transaction: it loads everything that is valid, or
nothing if the database refuses something (which the rules are there to
prevent). On PostgreSQL it holds a SHARE ROW EXCLUSIVE lock on the person
table for its duration: reads go on, other writes to persons wait. A big
load into a smaller table (``bulk_wanted``: a first load of a city) runs in
bulk mode (``_Bulk``): the secondary indexes and foreign keys of the
population tables are dropped before the write and rebuilt after it, in the
same transaction, which then also locks those tables against reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from citizens.idnumbers import century_sex_digit
from citizens.models import Household, HouseholdMembership, Person, User
from citizens.population import PERSON_FIELDS
from citizens.reference import COUNTRY_CODE_RANGE, ETHNICITIES, RELATIONS, id_province_codes
from egov.text import fold

# --- The file format ---------------------------------------------------------------

# (column, required, meaning). One row per person; households are derived from
# the household columns. Empty optional values: see DEFAULTS.
COLUMN_SPECS: list[tuple[str, bool, str]] = [
    ("id_number", True, "personal ID number, 12 digits"),
    ("full_name", True, "full name, with diacritics"),
    ("birth_date", True, "date of birth, YYYY-MM-DD"),
    ("sex", True, "M or F"),
    ("ethnicity", False, "2-digit code of the ethnic group (01 Kinh ... 54); default 01"),
    ("religion", False, "free text"),
    ("nationality", False, "default Việt Nam"),
    ("birth_place", False, "free text"),
    ("native_place", False, "native place (quê quán), free text"),
    ("permanent_address", False, "free text"),
    ("permanent_unit_code", False, "5-digit code of the 2025 commune/ward"),
    ("current_address", False, "free text"),
    ("current_unit_code", False, "5-digit code of the 2025 commune/ward"),
    ("father_id_number", False, "linked when that person is in the file or the database"),
    ("father_name", False, "free text"),
    ("mother_id_number", False, "as father_id_number"),
    ("mother_name", False, "free text"),
    ("spouse_id_number", False, "as father_id_number"),
    ("spouse_name", False, "free text"),
    ("health_insurance_number", False, "up to 15 characters, unique"),
    ("status", False, "living (default) or deceased"),
    ("death_date", False, "YYYY-MM-DD; required when deceased"),
    ("household_number", False, "household book number; empty: memberships untouched"),
    ("household_address", False, "default: permanent_address of the row that defines it"),
    ("relation", False, "relation to the head: " + ", ".join(code for code, _ in RELATIONS)),
    ("membership_start", False, "YYYY-MM-DD; default: the day of the import"),
]
COLUMNS: list[str] = [name for name, _required, _doc in COLUMN_SPECS]
REQUIRED_COLUMNS = [name for name, required, _doc in COLUMN_SPECS if required]
DEFAULTS = {"ethnicity": "01", "nationality": "Việt Nam", "status": "living"}

# Longest allowed value per column (from the models).
MAX_LENGTHS: dict[str, int] = {
    **{
        name: Person._meta.get_field(name).max_length
        for name in COLUMNS
        if name in {f.name for f in Person._meta.get_fields()}
        and getattr(Person._meta.get_field(name), "max_length", None)
        and name not in ("birth_date", "death_date")
    },
    "household_number": Household._meta.get_field("number").max_length,
    "household_address": Household._meta.get_field("address").max_length,
    "relation": HouseholdMembership._meta.get_field("relation").max_length,
}

MIN_PARENT_AGE = 12  # a parent is at least this many years older than the child
REJECT_COLUMNS = ["row", "reason_codes", "reason", *COLUMNS]
UNIT_ERA, UNIT_LEVEL = "2025", "commune"


class ImportFileError(ValueError):
    """The file cannot be imported at all (not UTF-8, wrong header...)."""


@dataclass
class ImportResult:
    source: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    households_created: int = 0
    households_updated: int = 0
    memberships_started: int = 0
    memberships_ended: int = 0
    seconds: float = 0.0
    rejects_path: Path | None = None
    reject_counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    bulk: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def lines(self) -> list[str]:
        out = [
            f"Rows read:      {self.rows_read:>12,}",
            f"  new:          {self.inserted:>12,}",
            f"  updated:      {self.updated:>12,}",
            f"  unchanged:    {self.unchanged:>12,}",
            f"  rejected:     {self.rejected:>12,}",
            f"Households:     {self.households_created:>12,} new, "
            f"{self.households_updated:,} updated",
            f"Memberships:    {self.memberships_started:>12,} started, "
            f"{self.memberships_ended:,} ended",
            f"Time:           {self.seconds:>12.1f} s ({self.rows_per_second:,.0f} rows/s)",
        ]
        for code, count in sorted(self.reject_counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"  {code:<24} {count:>10,}")
        if self.bulk:
            out.append("Bulk load: indexes and foreign keys were rebuilt after the write.")
        if self.rejects_path:
            out.append(f"Rejected rows:  {self.rejects_path}")
        if self.dry_run:
            out.append("Dry run: nothing was written to the database.")
        return out


Progress = Callable[[str, int, int | None], None]


def _no_progress(phase: str, done: int, total: int | None) -> None:
    return None


# --- Dialects -------------------------------------------------------------------------


class _Dialect:
    """The few SQL fragments that differ between PostgreSQL and SQLite."""

    vendor = ""

    def digits(self, expr: str, n: int) -> str:
        raise NotImplementedError

    def date_format(self, expr: str) -> str:
        raise NotImplementedError

    def to_date(self, expr: str) -> str:
        raise NotImplementedError

    def date_text(self, expr: str) -> str:
        raise NotImplementedError

    def minus_one_day(self, expr: str) -> str:
        raise NotImplementedError

    def new_uuid(self) -> str:
        raise NotImplementedError

    def uuid_text(self, expr: str) -> str:
        raise NotImplementedError

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def json(self, expr: str) -> str:
        raise NotImplementedError

    def distinct(self, a: str, b: str) -> str:
        raise NotImplementedError

    def trim(self, expr: str) -> str:
        return f"trim({expr})"

    def longer(self, expr: str, n: int) -> str:
        return f"length({expr}) > {n}"

    fence = ""  # keeps a subquery from being inlined into its parent
    on_commit_drop = ""

    def new_ids(self, seq: str, salt: int = 0) -> str:
        """A new UUID for each row (``seq``: the row's number in the import;
        ``salt`` tells tables apart)."""
        raise NotImplementedError

    def c(self, expr: str) -> str:
        """``expr`` compared byte by byte (for sorts of codes and numbers)."""
        return expr

    def is_date(self, expr: str) -> str:
        """True when ``expr`` is a real calendar date written YYYY-MM-DD (never NULL)."""
        y = f"CAST(substr({expr}, 1, 4) AS INTEGER)"
        m = f"CAST(substr({expr}, 6, 2) AS INTEGER)"
        d = f"CAST(substr({expr}, 9, 2) AS INTEGER)"
        # "%%": these statements always run with parameters (see _run).
        leap = f"(({y} %% 4 = 0 AND {y} %% 100 <> 0) OR {y} %% 400 = 0)"
        last = (
            f"(CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 "
            f"WHEN {m} = 2 THEN (CASE WHEN {leap} THEN 29 ELSE 28 END) ELSE 31 END)"
        )
        return (
            f"(CASE WHEN {self.date_format(expr)} THEN "
            f"(CASE WHEN {m} BETWEEN 1 AND 12 AND {y} >= 1 THEN {d} BETWEEN 1 AND {last} "
            f"ELSE false END) ELSE false END)"
        )


class _Postgres(_Dialect):
    vendor = "postgresql"
    fence = " OFFSET 0"
    on_commit_drop = " ON COMMIT DROP"

    def new_ids(self, seq: str, salt: int = 0) -> str:
        # Time-ordered (UUID version 7 layout: the import's start in ms plus
        # row // 4096, the version, row % 4096, then the variant and 62 bits of
        # a hash of the row number keyed with a random number drawn for the
        # import), so new rows land at the end of the primary-key and
        # foreign-key indexes instead of all over them. Built from two bigints:
        # text formatting and gen_random_uuid() per row cost 4 s a million.
        # hashint8extended is PostgreSQL's (11+) seeded 64-bit integer hash.
        return (
            f"CAST(encode(int8send(((%(uuid_ms)s + ({seq} >> 12)) << 16) | 28672 "
            f"| ({seq} & 4095)) || int8send((hashint8extended({seq}, %(uuid_seed)s + {salt}) "
            "& 4611686018427387903) | -9223372036854775808), 'hex') AS uuid)"
        )

    def c(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'

    def trim(self, expr: str) -> str:
        return f"btrim({expr})"

    def longer(self, expr: str, n: int) -> str:
        # Counting bytes is cheap, and a text has at least as many bytes as characters.
        return f"(octet_length({expr}) > {n} AND length({expr}) > {n})"

    def digits(self, expr: str, n: int) -> str:
        # Twice as fast as the regular expression ^[0-9]{n}$ (which it equals).
        return f"(octet_length({expr}) = {n} AND ltrim({expr}, '0123456789') = '')"

    # Every real date from 1900 to 2100, written YYYY-MM-DD, is a row of the
    # import_dates table (_prepare): looking a value up in it (a hashed
    # subplan) costs a fifth of a regular expression, and almost every date
    # of a population file is there. Other values take the expressions.
    _KNOWN_DATE = "{expr} IN (SELECT d FROM import_dates)"

    def date_format(self, expr: str) -> str:
        return (
            f"(CASE WHEN {self._KNOWN_DATE.format(expr=expr)} THEN true "
            f"ELSE {expr} ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' END)"
        )

    def is_date(self, expr: str) -> str:
        # The pattern already bounds month and day; only days 29-31 need the
        # length of the month.
        pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
        return (
            f"(CASE WHEN {self._KNOWN_DATE.format(expr=expr)} THEN true "
            f"WHEN {self.c(expr)} BETWEEN '1900' AND '2101' THEN false "
            f"WHEN {expr} ~ '{pattern}' THEN (CASE WHEN substr({expr}, 9, 2) "
            f"IN ('29', '30', '31') THEN {super().is_date(expr)} ELSE true END) ELSE false END)"
        )

    def to_date(self, expr: str) -> str:
        return f"CAST({expr} AS date)"

    def date_text(self, expr: str) -> str:
        return f"to_char({expr}, 'YYYY-MM-DD')"

    def minus_one_day(self, expr: str) -> str:
        return f"({expr} - 1)"

    def new_uuid(self) -> str:
        return "gen_random_uuid()"

    def uuid_text(self, expr: str) -> str:
        return f"CAST({expr} AS text)"

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        return "jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def json(self, expr: str) -> str:
        return f"CAST({expr} AS jsonb)"

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}"


class _Sqlite(_Dialect):
    vendor = "sqlite"

    def new_ids(self, seq: str, salt: int = 0) -> str:
        return self.new_uuid()

    def digits(self, expr: str, n: int) -> str:
        return f"({expr} GLOB '{'[0-9]' * n}')"

    def date_format(self, expr: str) -> str:
        return f"({expr} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')"

    def to_date(self, expr: str) -> str:
        return expr

    def date_text(self, expr: str) -> str:
        return expr

    def minus_one_day(self, expr: str) -> str:
        return f"date({expr}, '-1 day')"

    def new_uuid(self) -> str:
        # Django keeps UUIDs on SQLite as 32 hex digits; this makes a version-4 one
        # (evaluated per row: no subquery, which SQLite would evaluate only once).
        return (
            "(lower(hex(randomblob(6))) || '4' || substr(lower(hex(randomblob(2))), 2) "
            "|| substr('89ab', 1 + (abs(random()) %% 4), 1) "
            "|| substr(lower(hex(randomblob(2))), 2) || lower(hex(randomblob(6))))"
        )

    def uuid_text(self, expr: str) -> str:
        return (
            f"(substr({expr}, 1, 8) || '-' || substr({expr}, 9, 4) || '-' || "
            f"substr({expr}, 13, 4) || '-' || substr({expr}, 17, 4) || '-' || substr({expr}, 21))"
        )

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        return "json_object(" + ", ".join(f"'{k}', {v}" for k, v in pairs) + ")"

    def json(self, expr: str) -> str:
        return expr

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS NOT {b}"


def _dialect(connection) -> _Dialect:
    if connection.vendor == "postgresql":
        return _Postgres()
    if connection.vendor == "sqlite":
        return _Sqlite()
    raise NotImplementedError(f"import_population does not support {connection.vendor}")


# --- The rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One reason to reject a row.

    ``predicate`` (per-row rules) is SQL over the staging row ``s`` and a few
    precomputed flags (``{id_ok}``, ``{birth_ok}``...), built once per dialect;
    cross-row rules (``predicate`` None) are statements in ``_CROSS_ROW``.
    ``message`` turns the row's values into plain words.
    """

    code: str
    message: Callable[[dict[str, str], dict[str, Any]], str]
    predicate: Callable[[_Dialect], str] | None = None


def _v(row: dict[str, str], name: str) -> str:
    return row.get(name) or ""


def _sql_list(values: Iterable[str]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) + ")"


def _province_message(row, ctx) -> str:
    prefix = _v(row, "id_number")[:3]
    return (
        f"Mã tỉnh {prefix} ở đầu số định danh không hợp lệ "
        f"(unknown province code {prefix}: 001-096 or a country code 101-295)"
    )


def _century_message(row, ctx) -> str:
    number, sex, born = _v(row, "id_number"), _v(row, "sex"), _v(row, "birth_date")
    try:
        expected = century_sex_digit(sex, int(born[:4]))
    except ValueError:
        expected = "?"
    sex_vi, sex_en = ("nam", "male") if sex == "M" else ("nữ", "female")
    return (
        f"Chữ số thứ 4 của số định danh là {number[3:4]} nhưng {sex_vi} sinh năm {born[:4]} "
        f"phải là {expected} (century/sex digit {number[3:4]} does not match a {sex_en} "
        f"born in {born[:4]}: expected {expected})"
    )


def _too_long_message(row, ctx) -> str:
    cols = [c for c, n in MAX_LENGTHS.items() if len(_v(row, c)) > n]
    names = ", ".join(f"{c} (tối đa/max {MAX_LENGTHS[c]})" for c in cols)
    return f"Giá trị quá dài ở cột {names} (value too long)"


def _unit_message(row, ctx) -> str:
    codes = [
        _v(row, c)
        for c in ("permanent_unit_code", "current_unit_code")
        if _v(row, c) and _v(row, c) not in ctx["units"]
    ]
    joined = ", ".join(codes)
    return (
        f"Mã xã/phường {joined} không có trong danh mục 2025 (unknown commune/ward code {joined})"
    )


def _dup_message(row, ctx) -> str:
    others = [str(n) for n in ctx["dup_rows"].get(_v(row, "id_number"), []) if n != ctx["row"]]
    where = ", ".join(others)
    return (
        f"Số định danh {_v(row, 'id_number')} xuất hiện nhiều lần trong tệp, cả ở dòng {where}; "
        f"mọi dòng trùng đều bị loại (duplicate ID number, also on row {where}; "
        f"all copies are rejected)"
    )


def _related(column: str, vi: str, en: str) -> Callable:
    def message(row, ctx) -> str:
        return (
            f"{vi} ({_v(row, column)}) phải lớn hơn con ít nhất {MIN_PARENT_AGE} tuổi "
            f"(the {en} must be at least {MIN_PARENT_AGE} years older than the child)"
        )

    return message


def _related_ids_bad(d: _Dialect) -> str:
    parts = [
        f"(s.{c} IS NOT NULL AND NOT {d.digits('s.' + c, 12)})"
        for c in ("father_id_number", "mother_id_number", "spouse_id_number")
    ]
    return " OR ".join(parts)


RULES: list[Rule] = [
    Rule(
        "id_format",
        lambda r, c: (
            f"Số định danh “{_v(r, 'id_number')}” phải có đúng 12 chữ số "
            f"(a personal ID number has exactly 12 digits)"
            if _v(r, "id_number")
            else "Thiếu số định danh cá nhân (personal ID number missing)"
        ),
        lambda d: "NOT {id_ok}",
    ),
    Rule(
        "id_province",
        _province_message,
        lambda d: (
            "{id_ok} AND substr(s.id_number, 1, 3) NOT IN "
            + _sql_list(id_province_codes())
            + " AND NOT (CAST(substr(s.id_number, 1, 3) AS INTEGER) BETWEEN "
            + f"{COUNTRY_CODE_RANGE.start} AND {COUNTRY_CODE_RANGE.stop - 1})"
        ),
    ),
    Rule(
        "id_century_sex",
        _century_message,
        lambda d: (
            "{id_ok} AND {birth_ok} AND {sex_ok} AND {birth_year} BETWEEN 1900 AND 2399 "
            "AND CAST(substr(s.id_number, 4, 1) AS INTEGER) <> "
            "(({birth_year} - 1900) / 100) * 2 + (CASE WHEN s.sex = 'F' THEN 1 ELSE 0 END)"
        ),
    ),
    Rule(
        "id_birth_year",
        lambda r, c: (
            f"Chữ số 5-6 của số định danh là {_v(r, 'id_number')[4:6]} nhưng năm sinh là "
            f"{_v(r, 'birth_date')[:4]} (digits 5-6 must be the last two digits of the "
            f"year of birth)"
        ),
        lambda d: (
            "{id_ok} AND {birth_ok} AND substr(s.id_number, 5, 2) <> substr(s.birth_date, 3, 2)"
        ),
    ),
    Rule(
        "name_missing",
        lambda r, c: "Thiếu họ và tên (full name missing)",
        lambda d: "s.full_name IS NULL",
    ),
    Rule(
        "birth_date_format",
        lambda r, c: (
            f"Ngày sinh “{_v(r, 'birth_date')}” không đọc được, cần dạng YYYY-MM-DD "
            f"(date of birth unreadable: use YYYY-MM-DD)"
        ),
        lambda d: "NOT {birth_ok}",
    ),
    Rule(
        "birth_date_future",
        lambda r, c: f"Ngày sinh {_v(r, 'birth_date')} ở tương lai (date of birth in the future)",
        lambda d: "{birth_ok} AND s.birth_date > %(today)s",
    ),
    Rule(
        "birth_date_range",
        lambda r, c: f"Ngày sinh {_v(r, 'birth_date')} trước năm 1900 (date of birth before 1900)",
        lambda d: "{birth_ok} AND s.birth_date < '1900-01-01'",
    ),
    Rule(
        "sex",
        lambda r, c: f"Giới tính “{_v(r, 'sex')}” không hợp lệ, dùng M hoặc F (sex must be M or F)",
        lambda d: "NOT {sex_ok}",
    ),
    Rule(
        "ethnicity",
        lambda r, c: (
            f"Mã dân tộc “{_v(r, 'ethnicity')}” không có trong danh mục 01-54 "
            f"(unknown ethnic group code)"
        ),
        lambda d: (
            "s.ethnicity IS NOT NULL AND s.ethnicity NOT IN "
            + _sql_list(code for code, _ in ETHNICITIES)
        ),
    ),
    Rule(
        "status",
        lambda r, c: (
            f"Tình trạng “{_v(r, 'status')}” không hợp lệ, dùng living hoặc deceased "
            f"(status must be living or deceased)"
        ),
        lambda d: "s.status IS NOT NULL AND s.status NOT IN ('living', 'deceased')",
    ),
    Rule(
        "death_date_format",
        lambda r, c: (
            f"Ngày mất “{_v(r, 'death_date')}” không đọc được, cần dạng YYYY-MM-DD "
            f"(date of death unreadable: use YYYY-MM-DD)"
        ),
        lambda d: "s.death_date IS NOT NULL AND NOT {death_ok}",
    ),
    Rule(
        "death_date_missing",
        lambda r, c: "Người đã mất nhưng thiếu ngày mất (deceased without a date of death)",
        lambda d: "s.status = 'deceased' AND s.death_date IS NULL",
    ),
    Rule(
        "death_date_living",
        lambda r, c: (
            "Có ngày mất nhưng tình trạng là còn sống (a date of death for a living person)"
        ),
        lambda d: "coalesce(s.status, 'living') = 'living' AND s.death_date IS NOT NULL",
    ),
    Rule(
        "death_date_order",
        lambda r, c: (
            f"Ngày mất {_v(r, 'death_date')} trước ngày sinh hoặc ở tương lai "
            f"(date of death before the date of birth or in the future)"
        ),
        lambda d: (
            "{death_ok} AND {birth_ok} AND (s.death_date < s.birth_date "
            "OR s.death_date > %(today)s)"
        ),
    ),
    Rule(
        "unit_unknown",
        _unit_message,
        lambda d: (
            "(s.permanent_unit_code IS NOT NULL AND s.permanent_unit_code NOT IN "
            "(SELECT code FROM import_units)) OR (s.current_unit_code IS NOT NULL "
            "AND s.current_unit_code NOT IN (SELECT code FROM import_units))"
        ),
    ),
    Rule(
        "related_id_format",
        lambda r, c: (
            "Số định danh của cha, mẹ hoặc vợ/chồng phải có đúng 12 chữ số "
            "(the father's, mother's or spouse's ID number must have 12 digits)"
        ),
        _related_ids_bad,
    ),
    Rule(
        "related_self",
        lambda r, c: (
            "Cha, mẹ hoặc vợ/chồng trùng số định danh với chính người này "
            "(a person cannot be their own parent or spouse)"
        ),
        lambda d: (
            "s.id_number IN (coalesce(s.father_id_number, ''), "
            "coalesce(s.mother_id_number, ''), coalesce(s.spouse_id_number, ''))"
        ),
    ),
    Rule(
        "relation_unknown",
        lambda r, c: (
            f"Quan hệ với chủ hộ “{_v(r, 'relation')}” không hợp lệ; dùng "
            + ", ".join(code for code, _ in RELATIONS)
            + " (unknown relation to the head)"
        ),
        lambda d: (
            "s.relation IS NOT NULL AND s.relation NOT IN "
            + _sql_list(code for code, _ in RELATIONS)
        ),
    ),
    Rule(
        "relation_missing",
        lambda r, c: (
            "Có số hộ nhưng thiếu quan hệ với chủ hộ (household given without the relation "
            "to the head)"
        ),
        lambda d: "s.household_number IS NOT NULL AND s.relation IS NULL",
    ),
    Rule(
        "household_missing",
        lambda r, c: "Có quan hệ với chủ hộ nhưng thiếu số hộ (relation given without a household)",
        lambda d: "s.household_number IS NULL AND s.relation IS NOT NULL",
    ),
    Rule(
        "household_unit_missing",
        lambda r, c: (
            "Có số hộ nhưng thiếu mã xã/phường thường trú (household given without the "
            "permanent residence unit)"
        ),
        lambda d: "s.household_number IS NOT NULL AND s.permanent_unit_code IS NULL",
    ),
    Rule(
        "membership_start_format",
        lambda r, c: (
            f"Ngày nhập hộ “{_v(r, 'membership_start')}” không đọc được, cần dạng YYYY-MM-DD "
            f"(membership start unreadable: use YYYY-MM-DD)"
        ),
        lambda d: "s.membership_start IS NOT NULL AND NOT {start_ok}",
    ),
    Rule(
        "membership_start_order",
        lambda r, c: (
            f"Ngày nhập hộ {_v(r, 'membership_start')} trước ngày sinh hoặc ở tương lai "
            f"(membership start before the date of birth or in the future)"
        ),
        lambda d: (
            "{start_ok} AND {birth_ok} AND (s.membership_start < s.birth_date "
            "OR s.membership_start > %(today)s)"
        ),
    ),
    Rule(
        "too_long",
        _too_long_message,
        lambda d: " OR ".join(d.longer(f"s.{c}", n) for c, n in MAX_LENGTHS.items()),
    ),
    # Cross-row rules: statements in _CROSS_ROW below.
    Rule("duplicate_id", _dup_message),
    Rule(
        "id_retired",
        lambda r, c: (
            f"Số định danh {_v(r, 'id_number')} đã bị hủy, không được dùng lại "
            f"(this ID number was retired or its record cancelled)"
        ),
    ),
    Rule(
        "hi_duplicate",
        lambda r, c: (
            f"Số thẻ BHYT {_v(r, 'health_insurance_number')} xuất hiện nhiều lần trong tệp "
            f"(duplicate health-insurance number in the file; all copies are rejected)"
        ),
    ),
    Rule(
        "hi_taken",
        lambda r, c: (
            f"Số thẻ BHYT {_v(r, 'health_insurance_number')} đã thuộc về người khác "
            f"(health-insurance number already belongs to another person)"
        ),
    ),
    Rule(
        "two_heads",
        lambda r, c: (
            f"Hộ {_v(r, 'household_number')} có nhiều hơn một chủ hộ trong tệp "
            f"(more than one head for this household in the file)"
        ),
    ),
    Rule(
        "move_date",
        lambda r, c: (
            "Ngày nhập hộ mới phải sau ngày bắt đầu cư trú ở hộ hiện tại "
            "(the new membership must start after the current one began)"
        ),
    ),
    Rule("father_age", _related("father_id_number", "Cha", "father")),
    Rule("mother_age", _related("mother_id_number", "Mẹ", "mother")),
    # Structural problems found while reading (Python).
    Rule(
        "columns",
        lambda r, c: (
            f"Dòng có {c['fields']} cột, tiêu đề có {len(c['header'])} cột "
            f"(wrong number of columns: {c['fields']} instead of {len(c['header'])})"
        ),
    ),
]
RULES_BY_CODE = {rule.code: rule for rule in RULES}


def _append(code: str) -> str:
    return f"errors = CASE WHEN errors IS NULL THEN '{code}' ELSE errors || ',{code}' END"


def _flags(d: _Dialect) -> dict[str, str]:
    return {
        "id_ok": d.digits("s.id_number", 12),
        "birth_ok": d.is_date("s.birth_date"),
        "death_ok": d.is_date("s.death_date"),
        "start_ok": d.is_date("s.membership_start"),
        "sex_ok": "coalesce(s.sex IN ('M', 'F'), false)",
    }


def _fill(template: str, refs: dict[str, str]) -> str:
    for name, ref in refs.items():
        template = template.replace("{" + name + "}", ref)
    return template


def _row_rules_sql(d: _Dialect) -> str:
    """One UPDATE evaluating every per-row rule once per row, collecting all codes."""
    flags = _flags(d)
    refs = {name: f"s.{name}" for name in flags}
    refs["birth_year"] = "CAST(substr(s.birth_date, 1, 4) AS INTEGER)"
    cases = " || ".join(
        f"coalesce(CASE WHEN {_fill(rule.predicate(d), refs)} THEN '{rule.code},' END, '')"
        for rule in RULES
        if rule.predicate
    )
    flag_cols = ", ".join(f"{sql} AS {name}" for name, sql in flags.items())
    # The flags are computed once per row in the inner query (OFFSET 0 keeps
    # PostgreSQL from inlining them back into every rule).
    return (
        f"UPDATE import_stage SET errors = e.errs FROM ("
        f"SELECT s.rownum, rtrim({cases}, ',') AS errs FROM ("
        f"SELECT s.*, {flag_cols} FROM import_stage s{d.fence}) s"
        f") e WHERE e.errs <> '' AND import_stage.rownum = e.rownum"
    )


def _cross_row_sql(d: _Dialect) -> list[tuple[str, str]]:
    """(code, statement) for the rules that look at other rows or at the database."""
    return [
        (
            "duplicate_id",
            f"UPDATE import_stage SET {_append('duplicate_id')} WHERE id_number IN ("
            "SELECT id_number FROM import_stage WHERE id_number IS NOT NULL "
            "GROUP BY id_number HAVING count(*) > 1)",
        ),
        (
            "id_retired",
            f"UPDATE import_stage SET {_append('id_retired')} WHERE EXISTS (SELECT 1 FROM "
            "citizens_issuedidnumber n WHERE n.number = import_stage.id_number "
            "AND n.retired_at IS NOT NULL) OR EXISTS (SELECT 1 FROM citizens_person p "
            "WHERE p.id_number = import_stage.id_number AND p.status = 'cancelled')",
        ),
        (
            "hi_duplicate",
            f"UPDATE import_stage SET {_append('hi_duplicate')} WHERE health_insurance_number IN ("
            "SELECT health_insurance_number FROM import_stage "
            "WHERE health_insurance_number IS NOT NULL "
            "GROUP BY health_insurance_number HAVING count(*) > 1)",
        ),
        (
            "hi_taken",
            f"UPDATE import_stage SET {_append('hi_taken')} "
            "WHERE health_insurance_number IS NOT NULL AND EXISTS ("
            "SELECT 1 FROM citizens_person p "
            "WHERE p.health_insurance_number = import_stage.health_insurance_number "
            # The same term as the partial unique index's condition, so SQLite uses it.
            "AND NOT (p.health_insurance_number = '') AND p.id_number <> import_stage.id_number)",
        ),
        (
            "two_heads",
            f"UPDATE import_stage SET {_append('two_heads')} WHERE relation = 'head' "
            "AND household_number IN (SELECT household_number FROM import_stage "
            "WHERE relation = 'head' AND household_number IS NOT NULL "
            "GROUP BY household_number HAVING count(*) > 1)",
        ),
        (
            "move_date",
            f"UPDATE import_stage SET {_append('move_date')} "
            "WHERE household_number IS NOT NULL AND EXISTS ("
            "SELECT 1 FROM citizens_person p "
            "JOIN citizens_householdmembership m ON m.person_id = p.id "
            "JOIN citizens_household h ON h.id = m.household_id "
            "WHERE p.id_number = import_stage.id_number AND m.end_date IS NULL "
            "AND m.residence_type = 'permanent' AND h.number <> import_stage.household_number "
            f"AND {d.date_text('m.start_date')} >= coalesce(import_stage.membership_start, "
            "%(today)s))",
        ),
    ]


def _parent_age_sql(d: _Dialect, persons_exist: bool = True) -> list[str]:
    """A parent (from the file's rows valid so far, else from the database) must be
    MIN_PARENT_AGE years older. Dates are ISO text, so they compare as text."""
    limit = (
        f"CAST(CAST(substr(birth_date, 1, 4) AS INTEGER) + {MIN_PARENT_AGE} AS TEXT) "
        "|| substr(birth_date, 5)"
    )
    parents = (
        "(SELECT father_id_number FROM import_stage WHERE father_id_number IS NOT NULL "
        "UNION SELECT mother_id_number FROM import_stage WHERE mother_id_number IS NOT NULL)"
    )
    in_database = (
        "UNION ALL "
        f"SELECT p.id_number, {d.date_text('p.birth_date')} FROM citizens_person p "
        f"WHERE p.id_number IN {parents} "
        "AND NOT EXISTS (SELECT 1 FROM import_stage s "
        "WHERE s.id_number = p.id_number AND s.errors IS NULL)"
    )
    # Every valid row of the file: cheaper than first finding the parents'
    # numbers (a union and a hash of most of the file) to keep only theirs.
    known = (
        f"CREATE TEMP TABLE import_known{d.on_commit_drop} AS "
        f"SELECT id_number, {limit} AS limit_date FROM ("
        f"SELECT s.id_number, s.birth_date FROM import_stage s WHERE s.errors IS NULL "
        f"{in_database if persons_exist else ''}) k"
    )
    codes = (
        "rtrim(coalesce(CASE WHEN c.birth_date < f.limit_date THEN 'father_age,' END, '') "
        "|| coalesce(CASE WHEN c.birth_date < m.limit_date THEN 'mother_age,' END, ''), ',')"
    )
    check = (
        "UPDATE import_stage SET errors = CASE WHEN errors IS NULL THEN x.codes "
        "ELSE errors || ',' || x.codes END "
        f"FROM (SELECT c.rownum, {codes} AS codes FROM import_stage c "
        "LEFT JOIN import_known f ON f.id_number = c.father_id_number "
        "LEFT JOIN import_known m ON m.id_number = c.mother_id_number "
        "WHERE (f.id_number IS NOT NULL OR m.id_number IS NOT NULL) "
        f"AND {d.date_format('c.birth_date')}) x "
        "WHERE x.codes <> '' AND import_stage.rownum = x.rownum"
    )
    statements = [known]
    if d.vendor == "sqlite":
        statements.append("CREATE INDEX import_known_number ON import_known (id_number)")
    return [*statements, check]


# --- Reading the file ---------------------------------------------------------------


def _read_header(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file is not UTF-8 text: {exc}") from None
    if not header:
        raise ImportFileError("The file is empty.")
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column(s) {', '.join(unknown)}. The columns are: {', '.join(COLUMNS)}."
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ImportFileError(f"Column(s) named twice: {', '.join(duplicated)}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(f"Required column(s) missing: {', '.join(missing)}.")
    return header


class _ByteCounter(io.RawIOBase):
    """The file as COPY reads it, reporting progress by bytes."""

    def __init__(self, handle, size: int, progress: Progress):
        self._handle, self._size, self._progress = handle, size, progress
        self._done = self._calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._done += len(data)
        self._calls += 1
        if self._calls % 8 == 0:
            self._progress("read", self._done, self._size)
        return data


@dataclass
class _Reader:
    """The tolerant reader: numbered rows of values in the header's order; blank
    lines are skipped, rows with the wrong number of fields are kept aside."""

    path: Path
    header: list[str]
    rows: int = 0
    bad_shape: list[tuple[int, list[str]]] = field(default_factory=list)

    def records(self) -> Iterator[list]:
        ncols = len(self.header)
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            try:
                next(reader)
                row = 0
                for record in reader:
                    if not record or record == [""]:
                        continue
                    row += 1
                    self.rows = row
                    if len(record) != ncols:
                        self.bad_shape.append((row, record))
                        continue
                    yield [row, *record]
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"The file is not UTF-8 text (near line {reader.line_num + 1}): {exc}"
                ) from None
            except csv.Error as exc:
                raise ImportFileError(
                    f"Unreadable CSV near line {reader.line_num + 1}: {exc}"
                ) from None


class _CopyStream(io.TextIOBase):
    """A file-like object for COPY: the tolerant reader's rows as CSV text."""

    def __init__(self, records: Iterator[list], batch: int = 5000):
        self._records = records
        self._batch = batch

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        chunk = list(itertools.islice(self._records, self._batch))
        if not chunk:
            return ""
        out = io.StringIO()
        # "\r\n" makes the writer quote any value holding a \r as well as a \n.
        csv.writer(out, lineterminator="\r\n").writerows(chunk)
        return out.getvalue()


# --- The import ----------------------------------------------------------------------

_TEMP_TABLES = [
    "import_stage",
    "import_units",
    "import_dates",
    "import_names",
    "import_known",
    "import_ids",
    "import_refs",
    "import_src",
    "import_hh",
    "import_members",
]


def population_import(
    *,
    path: str | Path,
    rejects_path: str | Path | None = None,
    actor: User | None = None,
    reason: str = "",
    dry_run: bool = False,
    today: dt.date | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Progress = _no_progress,
    bulk: bool | None = None,
) -> ImportResult:
    """Load (or refresh) person records from a CSV file; see the module docstring.

    ``rejects_path`` defaults to ``<file>.rejects.csv`` beside the file and is
    only written when a row is rejected. ``today`` (default: the local date)
    is the limit for dates of birth and the default membership start.
    ``bulk`` (PostgreSQL only): write into the tables with their secondary
    indexes and foreign keys dropped, then rebuild them (``_Bulk``); None
    decides by size (``bulk_wanted``). Raises ``ImportFileError`` when the
    file cannot be read at all.
    """
    path = Path(path)
    started = time.monotonic()
    connection = connections[using]
    d = _dialect(connection)
    header = _read_header(path)
    result = ImportResult(source=path.name, dry_run=dry_run)
    today = today or timezone.localdate()
    now = timezone.now()
    reason = (reason or f"Nhập dữ liệu dân cư từ tệp {path.name} (population import)")[:500]
    actor_id = actor.pk if actor is not None else None
    params = {
        "today": today.isoformat(),
        "now": connection.ops.adapt_datetimefield_value(now),
        "reason": reason,
        "source": f"import {path.name}"[:100],
        "actor": actor_id.hex if actor_id is not None and d.vendor == "sqlite" else actor_id,
        "uuid_ms": int(now.timestamp() * 1000),
        "uuid_seed": secrets.randbits(62),
    }
    progress("prepare", 0, None)
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            _prepare(cursor, d, params)
            bad_shape = _stage(cursor, d, path, header, result, progress)
            if d.vendor == "postgresql":
                for setting in memory_settings(result.rows_read):
                    _run(cursor, f"SET LOCAL {setting}", params)
            progress("validate", 0, None)
            persons_exist = _persons_exist(cursor)
            _normalise(cursor, d, params)
            _validate(cursor, d, params, persons_exist)
            result.rejected, result.reject_counts = _write_rejects(
                cursor, header, bad_shape, path, rejects_path, result
            )
            if not dry_run:
                _apply(cursor, d, params, result, progress, persons_exist, bulk)
            _cleanup(cursor, d)
        if dry_run:
            transaction.set_rollback(True, using=using)
        progress("commit", 0, None)  # deferred foreign-key checks run at commit
    if not dry_run and d.vendor == "postgresql" and result.inserted + result.updated > 50_000:
        progress("analyze", 0, None)
        with connection.cursor() as cursor:
            # Fresh statistics for the planner (autovacuum may be off or late), and
            # the name index's pending list merged now rather than by a search.
            for table in ("citizens_person", "citizens_household", "citizens_householdmembership"):
                cursor.execute(f"ANALYZE {table}")
            if not result.bulk:  # a rebuilt index has no pending list
                cursor.execute(
                    "SELECT gin_clean_pending_list(c.oid) FROM pg_class c "
                    "WHERE c.relname = 'person_name_trgm' AND c.relkind = 'i'"
                )
    result.seconds = time.monotonic() - started
    progress("done", result.rows_read, result.rows_read)
    return result


def _run(cursor, sql: str, params: dict) -> int:
    """Every statement runs with the parameters, so "%%" always means "%"."""
    cursor.execute(sql, params)
    return cursor.rowcount


def _prepare(cursor, d: _Dialect, params: dict) -> None:
    if d.vendor == "postgresql":
        # Room for the staging tables in this backend's memory (they are
        # scanned a dozen times). Only possible before the session's first
        # temporary table: otherwise the session keeps its setting.
        try:
            with transaction.atomic(using=cursor.db.alias):
                _run(cursor, "SET LOCAL temp_buffers = '1GB'", params)
        except DatabaseError:
            pass
        # Bulk work, for this transaction only (memory: memory_settings); no JIT
        # (compiling the rule expressions costs more than it saves); small samples
        # when analysing the staging tables (row counts are what the planner needs).
        for setting in (
            "jit = off",
            "default_statistics_target = 10",
        ):
            _run(cursor, f"SET LOCAL {setting}", params)
        _run(cursor, "LOCK TABLE citizens_person IN SHARE ROW EXCLUSIVE MODE", params)
    else:
        _cleanup(cursor, d)
    cols = ", ".join(f"{c} text" for c in [*COLUMNS, "errors"])
    key = "integer PRIMARY KEY" if d.vendor == "sqlite" else "bigserial"
    _run(
        cursor,
        f"CREATE TEMP TABLE import_stage (rownum {key}, {cols}){d.on_commit_drop}",
        params,
    )
    _run(
        cursor,
        f"CREATE TEMP TABLE import_units (code text PRIMARY KEY, id bigint NOT NULL)"
        f"{d.on_commit_drop}",
        params,
    )
    _run(
        cursor,
        "INSERT INTO import_units (code, id) SELECT code, id FROM citizens_administrativeunit "
        f"WHERE era = '{UNIT_ERA}' AND level = '{UNIT_LEVEL}'",
        params,
    )
    if d.vendor == "postgresql":  # see _Postgres.is_date
        _run(
            cursor,
            "CREATE TEMP TABLE import_dates ON COMMIT DROP AS SELECT to_char(g, 'YYYY-MM-DD') AS d "
            "FROM generate_series(DATE '1900-01-01', DATE '2100-12-31', INTERVAL '1 day') g",
            params,
        )


def _cleanup(cursor, d: _Dialect) -> None:
    schema = "temp" if d.vendor == "sqlite" else "pg_temp"
    for table in _TEMP_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")


def _stage(
    cursor, d: _Dialect, path: Path, header: list[str], result: ImportResult, progress: Progress
) -> list[tuple[int, list[str]]]:
    """Fill import_stage; returns the rows with the wrong number of fields."""
    size = path.stat().st_size
    progress("read", 0, size)
    if d.vendor == "postgresql":
        from psycopg2 import Error as PsycopgError  # copy_expert is not wrapped by Django

        # Fast path: the file itself, as COPY reads it; rows numbered by the sequence.
        try:
            with transaction.atomic(using=cursor.db.alias), path.open("rb") as handle:
                cursor.copy_expert(
                    f"COPY import_stage ({', '.join(header)}) FROM STDIN "
                    f"WITH (FORMAT csv, HEADER true, FORCE_NULL ({', '.join(header)}))",
                    _ByteCounter(handle, size, progress),
                    size=1 << 20,
                )
                result.rows_read = cursor.rowcount
                progress("read", size, size)
                return []
        except (DatabaseError, PsycopgError):
            pass  # a row COPY cannot take: read the file the tolerant way
    reader = _Reader(path, header)
    columns = ", ".join(["rownum", *header])
    if d.vendor == "postgresql":
        cursor.copy_expert(
            f"COPY import_stage ({columns}) FROM STDIN WITH (FORMAT csv)",
            _CopyStream(reader.records()),
            size=1 << 20,
        )
    else:
        marks = ", ".join(["%s"] * (len(header) + 1))
        records = reader.records()
        while chunk := [
            [v if v != "" else None for v in r] for r in itertools.islice(records, 5000)
        ]:
            cursor.executemany(f"INSERT INTO import_stage ({columns}) VALUES ({marks})", chunk)
    result.rows_read = reader.rows
    if d.vendor == "sqlite":
        for column in ("id_number", "household_number", "health_insurance_number"):
            cursor.execute(f"CREATE INDEX import_stage_{column} ON import_stage ({column})")
    progress("read", size, size)
    return reader.bad_shape


def _normalise(cursor, d: _Dialect, params: dict) -> None:
    """Trim spaces around the values (empty means NULL); fold the distinct full names."""
    sets = ", ".join(f"{c} = nullif({d.trim(c)}, '')" for c in COLUMNS)
    needs = " OR ".join(f"{c} LIKE ' %%' OR {c} LIKE '%% '" for c in COLUMNS)
    _run(cursor, f"UPDATE import_stage SET {sets} WHERE {needs}", params)
    if d.vendor == "postgresql":
        _run(cursor, "ANALYZE import_stage", params)
    _run(
        cursor,
        f"CREATE TEMP TABLE import_names (full_name text PRIMARY KEY, search_name text NOT NULL)"
        f"{d.on_commit_drop}",
        params,
    )
    _run(cursor, "SELECT DISTINCT full_name FROM import_stage WHERE full_name IS NOT NULL", params)
    names = [(name, fold(name)) for (name,) in cursor.fetchall()]
    if d.vendor == "postgresql":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(names)
        out.seek(0)
        cursor.copy_expert("COPY import_names FROM STDIN WITH (FORMAT csv)", out, size=1 << 20)
    else:
        cursor.executemany("INSERT INTO import_names VALUES (%s, %s)", names)


# Rules that only look at records already in the database: nothing to find
# when there are no persons yet (a first load), and their joins are not free.
_DATABASE_RULES = {"hi_taken", "move_date"}


def _persons_exist(cursor) -> bool:
    """Whether the person table has a row (stable: the import locks it for writes)."""
    cursor.execute("SELECT EXISTS (SELECT 1 FROM citizens_person)")
    return bool(cursor.fetchone()[0])


def _validate(cursor, d: _Dialect, params: dict, persons_exist: bool = True) -> None:
    _run(cursor, _row_rules_sql(d), params)
    for code, sql in _cross_row_sql(d):
        if persons_exist or code not in _DATABASE_RULES:
            _run(cursor, sql, params)
    for sql in _parent_age_sql(d, persons_exist):
        _run(cursor, sql, params)


def _write_rejects(
    cursor,
    header: list[str],
    bad_shape: list[tuple[int, list[str]]],
    path: Path,
    rejects_path,
    result: ImportResult,
) -> tuple[int, dict[str, int]]:
    cursor.execute(
        f"SELECT rownum, errors, {', '.join(COLUMNS)} FROM import_stage "
        "WHERE errors IS NOT NULL ORDER BY rownum"
    )
    rejected = [
        (row, errors.split(","), dict(zip(COLUMNS, [v or "" for v in values], strict=True)))
        for row, errors, *values in cursor.fetchall()
    ]
    for row, record in bad_shape:
        values = dict.fromkeys(COLUMNS, "")
        for name, value in zip(header, record, strict=False):
            values[name] = value.strip()
        rejected.append((row, ["columns"], values | {"_fields": str(len(record))}))
    rejected.sort(key=lambda item: item[0])
    if not rejected:
        return 0, {}
    dup_rows: dict[str, list[int]] = defaultdict(list)
    for row, codes, values in rejected:
        if "duplicate_id" in codes:
            dup_rows[values["id_number"]].append(row)
    cursor.execute("SELECT code FROM import_units")
    ctx: dict[str, Any] = {
        "dup_rows": dup_rows,
        "header": header,
        "units": {code for (code,) in cursor.fetchall()},
    }
    counts: dict[str, int] = defaultdict(int)
    target = Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(REJECT_COLUMNS)
        for row, codes, values in rejected:
            ctx["row"] = row
            ctx["fields"] = values.pop("_fields", "")
            reasons = [RULES_BY_CODE[code].message(values, ctx) for code in codes]
            for code in codes:
                counts[code] += 1
            writer.writerow([row, ";".join(codes), "; ".join(reasons), *values.values()])
    result.rejects_path = target
    return len(rejected), dict(counts)


# --- Writing the valid rows ---------------------------------------------------------------


def _person_values(d: _Dialect) -> list[tuple[str, str]]:
    """(column of citizens_person, SQL value from the staging row) for the compared fields."""

    def text(column: str, default: str = "") -> str:
        return f"coalesce(s.{column}, '{default}')"

    values = {
        "id_number": "s.id_number",
        "full_name": "s.full_name",
        "birth_date": d.to_date("s.birth_date"),
        "sex": "s.sex",
        "ethnicity": text("ethnicity", DEFAULTS["ethnicity"]),
        "religion": text("religion"),
        "nationality": text("nationality", DEFAULTS["nationality"]),
        "birth_place": text("birth_place"),
        "native_place": text("native_place"),
        "permanent_address": text("permanent_address"),
        "permanent_unit_id": "pu.id",
        "current_address": text("current_address"),
        "current_unit_id": "cu.id",
        "father_id": "fr.person_id",
        "father_name": text("father_name"),
        "mother_id": "mr.person_id",
        "mother_name": text("mother_name"),
        "spouse_id": "sr.person_id",
        "spouse_name": text("spouse_name"),
        "health_insurance_number": text("health_insurance_number"),
        "status": text("status", DEFAULTS["status"]),
        "death_date": d.to_date("s.death_date"),
    }
    if list(values) != PERSON_FIELDS:
        raise AssertionError("keep in step with citizens.population.PERSON_FIELDS")
    return list(values.items())


def _person_source_sql(d: _Dialect) -> str:
    cols = ", ".join(f"{sql} AS {name}" for name, sql in _person_values(d))
    return (
        f"SELECT i.person_id AS id, {cols}, n.search_name AS search_name, s.rownum AS rownum "
        "FROM import_stage s JOIN import_ids i ON i.rownum = s.rownum "
        "JOIN import_names n ON n.full_name = s.full_name "
        "LEFT JOIN import_units pu ON pu.code = s.permanent_unit_code "
        "LEFT JOIN import_units cu ON cu.code = s.current_unit_code "
        "LEFT JOIN import_refs fr ON fr.id_number = s.father_id_number "
        "LEFT JOIN import_refs mr ON mr.id_number = s.mother_id_number "
        "LEFT JOIN import_refs sr ON sr.id_number = s.spouse_id_number"
    )


def _snapshot_sql(d: _Dialect, alias: str) -> str:
    """The ``person_snapshot`` JSON of a citizens_person row, in SQL."""
    pairs = []
    for name in PERSON_FIELDS:
        expr = f"{alias}.{name}"
        if name in ("father_id", "mother_id", "spouse_id"):
            expr = d.uuid_text(expr)
        elif name in ("birth_date", "death_date"):
            expr = d.date_text(expr)
        pairs.append((name, expr))
    return d.json_object(pairs)


def _changed_fields_sql(d: _Dialect, old: str, new: str) -> str:
    parts = " || ".join(
        f"coalesce(CASE WHEN {d.distinct(f'{old}.{n}', f'{new}.{n}')} THEN '\"{n}\",' END, '')"
        for n in PERSON_FIELDS
    )
    return d.json(f"'[' || rtrim({parts}, ',') || ']'")


def _differs_sql(d: _Dialect, old: str, new: str, fields: Iterable[str]) -> str:
    return "(" + " OR ".join(d.distinct(f"{old}.{n}", f"{new}.{n}") for n in fields) + ")"


_VERSION_COLUMNS = (
    "person_id, version, data, valid_from, valid_until, changed_by_id, reason, dossier_ref, "
    "changed_fields"
)
_PERSON_COLUMNS = ["id", *PERSON_FIELDS, "search_name"]
_COMPARED = [*PERSON_FIELDS[1:], "search_name"]  # all but id_number, the key


def _index(cursor, d: _Dialect, params: dict, sql: str) -> None:
    """Indexes on temporary tables help SQLite's nested loops; PostgreSQL hashes."""
    if d.vendor == "sqlite":
        _run(cursor, sql, params)


def _apply(
    cursor,
    d: _Dialect,
    params: dict,
    result: ImportResult,
    progress: Progress,
    persons_exist: bool = True,
    bulk_mode: bool | None = False,
) -> None:
    drop = d.on_commit_drop
    progress("persons", 0, None)
    # The person id of every valid row: the existing record's, or a new one.
    # New ids follow the dates of birth (then the file order), and new rows are
    # written in id order: persons born on the same day share a few pages of
    # the table, so a search by name and date of birth (the index gives the
    # day, the name is checked on the row) reads those few pages, not one page
    # per person born that day; and the inserts still append to the primary key.
    _run(
        cursor,
        f"CREATE TEMP TABLE import_ids{drop} AS SELECT x.rownum, x.id_number, "
        f"coalesce(x.existing, {d.new_ids('x.seq')}) AS person_id, "
        "CASE WHEN x.existing IS NULL THEN 1 ELSE 0 END AS is_new FROM ("
        "SELECT s.rownum, s.id_number, p.id AS existing, "
        f"row_number() OVER (ORDER BY {d.c('s.birth_date')}, s.rownum) AS seq "
        "FROM import_stage s LEFT JOIN citizens_person p ON p.id_number = s.id_number "
        "WHERE s.errors IS NULL) x",
        params,
    )
    _index(cursor, d, params, "CREATE UNIQUE INDEX import_ids_rownum ON import_ids (rownum)")
    _index(cursor, d, params, "CREATE UNIQUE INDEX import_ids_number ON import_ids (id_number)")
    # Parents and spouses: the file's valid rows, else the database.
    in_database = (
        "UNION ALL SELECT p.id_number, p.id FROM citizens_person p "
        "WHERE p.id_number IN (SELECT father_id_number FROM import_stage "
        "UNION SELECT mother_id_number FROM import_stage "
        "UNION SELECT spouse_id_number FROM import_stage) "
        "AND NOT EXISTS (SELECT 1 FROM import_ids i WHERE i.id_number = p.id_number)"
    )
    _run(
        cursor,
        f"CREATE TEMP TABLE import_refs{drop} AS SELECT id_number, person_id FROM import_ids "
        + (in_database if persons_exist else ""),
        params,
    )
    _index(cursor, d, params, "CREATE UNIQUE INDEX import_refs_number ON import_refs (id_number)")
    if d.vendor == "postgresql":
        _run(cursor, "ANALYZE import_ids", params)
        _run(cursor, "ANALYZE import_refs", params)
    _run(cursor, "SELECT count(*), coalesce(sum(is_new), 0) FROM import_ids", params)
    valid, new = cursor.fetchone()
    if d.vendor != "postgresql":
        bulk_mode = False
    elif bulk_mode is None:
        bulk_mode = bulk_wanted(cursor, new)
    result.bulk = bulk_mode
    bulk = _Bulk(cursor) if bulk_mode else None
    if bulk:
        progress("drop indexes", 0, None)
        bulk.drop()
        progress("persons", 0, None)
        _upsert_persons_bulk(cursor, d, params, result)
    elif d.vendor == "postgresql":
        _upsert_persons_pg(cursor, d, params, result)
    else:
        _upsert_persons_sqlite(cursor, d, params, result)
    result.unchanged = valid - result.inserted - result.updated
    if result.inserted != new:  # cannot happen while the table lock is held
        raise RuntimeError("Person records changed during the import; run it again.")

    progress("households", 0, None)
    _households(cursor, d, params, result)
    progress("memberships", 0, None)
    _memberships(cursor, d, params, result, ordered=bulk is None)
    progress("id numbers", 0, None)
    if bulk:
        # No unique index to arbitrate ON CONFLICT: the table lock keeps the
        # generator out until the index is back.
        _run(
            cursor,
            "INSERT INTO citizens_issuedidnumber (number, issued_at, reason, retired_at) "
            "SELECT i.id_number, %(now)s, %(reason)s, NULL FROM import_ids i WHERE NOT EXISTS "
            "(SELECT 1 FROM citizens_issuedidnumber n WHERE n.number = i.id_number)",
            params,
        )
        progress("indexes", 0, None)
        bulk.restore_indexes()
        progress("foreign keys", 0, None)
        bulk.restore_foreign_keys()
    else:
        _run(
            cursor,
            "INSERT INTO citizens_issuedidnumber (number, issued_at, reason, retired_at) "
            "SELECT id_number, %(now)s, %(reason)s, NULL FROM import_ids "
            f"WHERE true ORDER BY {d.c('id_number')} ON CONFLICT (number) DO NOTHING",
            params,
        )


def _upsert_persons_pg(cursor, d: _Dialect, params: dict, result: ImportResult) -> None:
    """One statement: insert new records; update those that differ, keeping the
    before-image (the outer query still sees the rows as they were)."""
    columns = ", ".join(_PERSON_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COMPARED)
    # Only updated rows carry their new values out of RETURNING.
    returned = ", ".join(
        f"CASE WHEN citizens_person.xmax <> 0 THEN citizens_person.{c} END AS {c}"
        for c in PERSON_FIELDS
    )
    sql = f"""
        WITH up AS (
            INSERT INTO citizens_person ({columns}, version, created_at, updated_at, source)
            SELECT {columns}, 1, %(now)s, %(now)s, %(source)s
            FROM ({_person_source_sql(d)}) src ORDER BY id
            ON CONFLICT (id_number) DO UPDATE SET {updates},
                version = citizens_person.version + 1, updated_at = EXCLUDED.updated_at
            WHERE {_differs_sql(d, "citizens_person", "EXCLUDED", _COMPARED)}
            RETURNING citizens_person.id AS id, (citizens_person.xmax = 0) AS inserted, {returned}
        ), versions AS (
            INSERT INTO citizens_personversion ({_VERSION_COLUMNS})
            SELECT old.id, old.version, {_snapshot_sql(d, "old")}, old.updated_at, %(now)s,
                   %(actor)s, %(reason)s, '', {_changed_fields_sql(d, "old", "up")}
            FROM up JOIN citizens_person old ON old.id = up.id
            WHERE NOT up.inserted
            RETURNING 1
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
    """
    _run(cursor, sql, params)
    result.inserted, result.updated = cursor.fetchone()


def _version_and_update_existing(cursor, d: _Dialect, params: dict) -> int:
    """For the rows of ``import_src`` that exist and differ: a version (the
    before-image), then the update. Returns how many were updated."""
    updated = _run(
        cursor,
        f"INSERT INTO citizens_personversion ({_VERSION_COLUMNS}) "
        f"SELECT old.id, old.version, {_snapshot_sql(d, 'old')}, old.updated_at, %(now)s, "
        f"%(actor)s, %(reason)s, '', {_changed_fields_sql(d, 'old', 'src')} "
        "FROM import_src src JOIN citizens_person old ON old.id = src.id "
        f"WHERE {_differs_sql(d, 'old', 'src', _COMPARED)}",
        params,
    )
    updates = ", ".join(f"{c} = src.{c}" for c in _COMPARED)
    _run(
        cursor,
        f"UPDATE citizens_person AS p SET {updates}, version = p.version + 1, "
        "updated_at = %(now)s FROM import_src src WHERE p.id = src.id "
        f"AND {_differs_sql(d, 'p', 'src', _COMPARED)}",
        params,
    )
    return updated


def _upsert_persons_sqlite(cursor, d: _Dialect, params: dict, result: ImportResult) -> None:
    """The same in three statements: versions of the rows that differ, update, insert."""
    columns = ", ".join(_PERSON_COLUMNS)
    _run(cursor, f"CREATE TEMP TABLE import_src AS {_person_source_sql(d)}", params)
    _run(cursor, "CREATE UNIQUE INDEX import_src_id ON import_src (id)", params)
    result.updated = _version_and_update_existing(cursor, d, params)
    result.inserted = _run(
        cursor,
        f"INSERT INTO citizens_person ({columns}, version, created_at, updated_at, source) "
        f"SELECT {columns}, 1, %(now)s, %(now)s, %(source)s FROM import_src src "
        "WHERE NOT EXISTS (SELECT 1 FROM citizens_person p WHERE p.id = src.id) ORDER BY rownum",
        params,
    )


def _upsert_persons_bulk(cursor, d: _Dialect, params: dict, result: ImportResult) -> None:
    """Bulk mode (no unique index on the ID number to arbitrate ON CONFLICT):
    the rows that exist get a version and an update, as on SQLite; the new
    ones a plain INSERT in file order."""
    columns = ", ".join(_PERSON_COLUMNS)
    source = _person_source_sql(d)
    _run(
        cursor,
        f"CREATE TEMP TABLE import_src{d.on_commit_drop} AS {source} WHERE i.is_new = 0",
        params,
    )
    result.updated = _version_and_update_existing(cursor, d, params)
    # In id order, that is by date of birth (see import_ids).
    result.inserted = _run(
        cursor,
        f"INSERT INTO citizens_person ({columns}, version, created_at, updated_at, source) "
        f"SELECT {columns}, 1, %(now)s, %(now)s, %(source)s FROM ({source} "
        "WHERE i.is_new = 1) src ORDER BY id",
        params,
    )


class _Bulk:
    """Bulk mode on PostgreSQL: a large load into a small table.

    Maintaining a dozen indexes row by row (random ID numbers, names, birth
    dates, a trigram index) and checking each foreign key with a trigger per
    row at commit costs far more than building each index once with a sort
    and checking each foreign key with one join. So the secondary indexes,
    unique constraints and foreign keys of the tables written are dropped
    after the checks and re-created after the write, from their definitions
    in the catalogue (same names and definitions: the schema ends exactly as
    it was; a violation fails the import as the constraint would have). A
    key that a foreign key of another table references stays. Even an index
    whose keys arrive in order (the time-ordered ids, the few units' codes)
    costs more to keep up row by row (about 1 µs a row, with its WAL) than to
    rebuild (measured at a million rows). Everything is
    in the import's transaction, which holds ACCESS EXCLUSIVE locks on these
    tables (and, for the foreign keys' triggers, on the tables they
    reference): nobody reads the population while it is being loaded.
    """

    TABLES = (
        "citizens_person",
        "citizens_household",
        "citizens_householdmembership",
        "citizens_issuedidnumber",
    )

    def __init__(self, cursor):
        self.cursor = cursor
        self.indexes: list[str] = []  # CREATE INDEX / ADD CONSTRAINT statements
        self.foreign_keys: list[str] = []

    def drop(self) -> None:
        cur = self.cursor
        tables = list(self.TABLES)
        cur.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        # A table with deferred checks still pending cannot be altered: run them
        # now (the transaction's later checks run at the end of each statement).
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        constraints, indexes = self.schema(cur, keep_referenced=True)
        for table, name, kind, definition in constraints:
            if kind == "f":
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                self.foreign_keys.append(
                    f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
                )
        for table, name, kind, definition in constraints:
            if kind != "f":
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                self.indexes.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _table, name, definition in indexes:
            cur.execute(f"DROP INDEX {name}")
            self.indexes.append(definition)

    @classmethod
    def schema(cls, cursor, keep_referenced: bool) -> tuple[list, list]:
        """The keys and indexes of TABLES, from the catalogue: constraints
        (table, name, kind, definition): foreign keys and primary, unique and
        exclusion keys (without, when ``keep_referenced``, those a foreign key
        of another table relies on); and the indexes that back no constraint
        (table, name, definition)."""
        tables = list(cls.TABLES)
        referenced = (
            "AND NOT (c.contype <> 'f' AND EXISTS (SELECT 1 FROM pg_constraint r "
            "WHERE r.contype = 'f' AND r.conindid = c.conindid "
            "AND NOT r.conrelid = ANY (CAST(%(tables)s AS regclass[])))) "
        )
        cursor.execute(
            "SELECT c.conrelid::regclass::text, c.conname, c.contype, "
            "pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "WHERE c.conrelid = ANY (CAST(%(tables)s AS regclass[])) "
            "AND c.contype IN ('p', 'u', 'x', 'f') "
            f"{referenced if keep_referenced else ''}ORDER BY c.conrelid, c.conname",
            {"tables": tables},
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, "
            "pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY (CAST(%(tables)s AS regclass[])) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
            "AND c.conrelid = i.indrelid) ORDER BY i.indrelid, 2",
            {"tables": tables},
        )
        return constraints, cursor.fetchall()

    def restore_indexes(self) -> None:
        for statement in self.indexes:
            self.cursor.execute(statement)

    def restore_foreign_keys(self) -> None:
        for statement in self.foreign_keys:
            self.cursor.execute(statement)


BULK_MIN_ROWS = 100_000
LARGE_FILE_ROWS = 2_000_000


def memory_settings(rows: int) -> list[str]:
    """Memory for an import of ``rows`` rows (``SET LOCAL``, after staging).

    ``work_mem``: the hashes of the checks and joins (ids, parents, spouses,
    names: ~70 bytes a row each) stay in memory instead of spilling in
    batches, which rewrite the wide staging rows at every join.
    ``maintenance_work_mem``: the sorts of the index builds in bulk mode
    (shared by the parallel workers) and the trigram index's accumulator.
    A city-sized file (LARGE_FILE_ROWS) gets more of both; the machine of
    docs/performance.md has 24 GiB. The benchmark's lower bound uses the same.
    """
    if rows >= LARGE_FILE_ROWS:
        return ["work_mem = '1GB'", "maintenance_work_mem = '2GB'"]
    return ["work_mem = '256MB'", "maintenance_work_mem = '1GB'"]


def bulk_wanted(cursor, new: int) -> bool:
    """Bulk mode pays when the file brings many new persons, at least as many
    as the table holds (a first load, or a city added to a small one)."""
    if new < BULK_MIN_ROWS:
        return False
    cursor.execute("SELECT count(*) FROM (SELECT 1 FROM citizens_person LIMIT %s) p", [new])
    return cursor.fetchone()[0] <= new


def _households(cursor, d: _Dialect, params: dict, result: ImportResult) -> None:
    """Each household number of the valid rows, defined by its head's row (else its
    first row): address, unit, head. A file without the head keeps the current head."""
    _run(
        cursor,
        f"CREATE TEMP TABLE import_hh{d.on_commit_drop} AS "
        "SELECT s.household_number AS number, "
        "coalesce(s.household_address, s.permanent_address, '') AS address, "
        "u.id AS unit_id, CASE WHEN s.relation = 'head' THEN i.person_id END AS head_id, "
        "s.rownum AS rownum FROM (SELECT household_number, "
        "coalesce(min(rownum) FILTER (WHERE relation = 'head'), min(rownum)) AS rownum "
        "FROM import_stage WHERE household_number IS NOT NULL AND errors IS NULL "
        "GROUP BY household_number) first "
        "JOIN import_stage s ON s.rownum = first.rownum "
        "JOIN import_ids i ON i.rownum = s.rownum "
        "JOIN import_units u ON u.code = s.permanent_unit_code",
        params,
    )
    _index(cursor, d, params, "CREATE UNIQUE INDEX import_hh_number ON import_hh (number)")
    snapshot = d.json_object(
        [
            ("number", "h.number"),
            ("address", "h.address"),
            ("unit_id", "h.unit_id"),
            ("head_id", d.uuid_text("h.head_id")),
        ]
    )
    differs = (
        f"({d.distinct('h.address', 'n.address')} OR {d.distinct('h.unit_id', 'n.unit_id')} "
        f"OR {d.distinct('h.head_id', 'coalesce(n.head_id, h.head_id)')})"
    )
    result.households_updated = _run(
        cursor,
        "INSERT INTO citizens_householdversion (household_id, version, data, valid_from, "
        "valid_until, changed_by_id, reason, dossier_ref) "
        f"SELECT h.id, h.version, {snapshot}, h.updated_at, %(now)s, %(actor)s, %(reason)s, '' "
        f"FROM import_hh n JOIN citizens_household h ON h.number = n.number WHERE {differs}",
        params,
    )
    _run(
        cursor,
        "UPDATE citizens_household AS h SET address = n.address, unit_id = n.unit_id, "
        "head_id = coalesce(n.head_id, h.head_id), version = h.version + 1, "
        f"updated_at = %(now)s FROM import_hh n WHERE h.number = n.number AND {differs}",
        params,
    )
    result.households_created = _run(
        cursor,
        "INSERT INTO citizens_household (id, number, address, unit_id, head_id, version, "
        f"created_at, updated_at) SELECT {d.new_ids('n.rownum', salt=1)}, n.number, n.address, "
        "n.unit_id, n.head_id, 1, %(now)s, %(now)s FROM import_hh n WHERE NOT EXISTS "
        "(SELECT 1 FROM citizens_household h WHERE h.number = n.number) ORDER BY n.rownum",
        params,
    )


def _memberships(
    cursor, d: _Dialect, params: dict, result: ImportResult, ordered: bool = True
) -> None:
    """One active permanent membership per person: a move ends the old one the day
    before the new one starts; a changed relation in the same household is updated."""
    _run(
        cursor,
        f"CREATE TEMP TABLE import_members{d.on_commit_drop} AS SELECT i.person_id, "
        f"h.id AS household_id, s.relation, s.rownum, "
        f"{d.to_date('coalesce(s.membership_start, %(today)s)')} AS start_date "
        "FROM import_stage s JOIN import_ids i ON i.rownum = s.rownum "
        "JOIN citizens_household h ON h.number = s.household_number "
        "WHERE s.household_number IS NOT NULL",
        params,
    )
    _index(
        cursor,
        d,
        params,
        "CREATE UNIQUE INDEX import_members_person ON import_members (person_id)",
    )
    active = "m.end_date IS NULL AND m.residence_type = 'permanent'"
    result.memberships_ended = _run(
        cursor,
        f"UPDATE citizens_householdmembership AS m SET end_date = "
        f"{d.minus_one_day('im.start_date')}, end_reason = substr(%(reason)s, 1, 255) "
        f"FROM import_members im WHERE m.person_id = im.person_id AND {active} "
        "AND m.household_id <> im.household_id",
        params,
    )
    _run(
        cursor,
        "UPDATE citizens_householdmembership AS m SET relation = im.relation "
        f"FROM import_members im WHERE m.person_id = im.person_id AND {active} "
        "AND m.household_id = im.household_id AND m.relation <> im.relation",
        params,
    )
    result.memberships_started = _run(
        cursor,
        "INSERT INTO citizens_householdmembership (household_id, person_id, relation, "
        "residence_type, start_date, end_date, dossier_ref, end_reason) "
        "SELECT im.household_id, im.person_id, im.relation, 'permanent', im.start_date, NULL, "
        "'', '' FROM import_members im WHERE NOT EXISTS (SELECT 1 FROM "
        f"citizens_householdmembership m WHERE m.person_id = im.person_id AND {active}) "
        # In file order (households' members together), except in bulk mode:
        # there the sort of every row costs more than the order is worth.
        + (" ORDER BY im.rownum" if ordered else ""),
        params,
    )

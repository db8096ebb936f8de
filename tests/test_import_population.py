"""import_population: set-based checks, rejects with reasons, idempotent upserts with
versions, households, memberships and links; the SQLite path gives the same result."""

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.utils import ConnectionHandler
from django.utils import timezone

from citizens.importer import ImportFileError, population_import
from citizens.models import (
    AdministrativeUnit,
    Household,
    HouseholdMembership,
    HouseholdVersion,
    IssuedIdNumber,
    Person,
    PersonVersion,
)
from citizens.services import administrative_units_load
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SMALL = DATA / "population_small.csv"
TODAY = dt.date(2026, 6, 1)
RETIRED = "001099000129"

LOADED = {
    "001080000101",  # Trần Văn Hùng, head of HK-T-0001
    "001183000102",  # Lê Thị Mai, his wife
    "001210000103",  # Trần Minh Khôi, their son
    "001315000104",  # Trần Thị Ngọc Anh, their daughter
    "001045000105",  # Trần Văn Bình, Hùng's late father (no household)
    "002190000106",  # Nguyễn Thị Hà, born in Hà Giang, head of HK-T-0002
    "079201000107",  # Phạm Quốc Bảo, born in Hồ Chí Minh City, no household
    "101195000108",  # Đỗ Thu Trang, born abroad (country code 101)
}
# Data row (1-based, header not counted) → rule codes.
REJECTED = {
    9: ["id_format"],
    10: ["id_province"],
    11: ["id_century_sex"],
    12: ["id_birth_year"],
    13: ["unit_unknown"],
    14: ["birth_date_future"],
    15: ["birth_date_format"],
    16: ["duplicate_id"],
    17: ["duplicate_id"],
    18: ["father_age"],
    19: ["sex"],
    20: ["death_date_missing"],
    21: ["status"],
    22: ["ethnicity"],
    23: ["columns"],
    24: ["relation_unknown"],
    25: ["hi_duplicate"],
    26: ["hi_duplicate"],
    27: ["two_heads"],
    28: ["two_heads"],
    29: ["id_retired"],
    30: ["mother_age"],
    31: ["death_date_order"],
    32: ["membership_start_order"],
    33: ["name_missing"],
    34: ["id_format", "birth_date_format"],
}


@pytest.fixture
def hanoi(db):
    administrative_units_load(provinces=["01"])


@pytest.fixture
def retired(db):
    IssuedIdNumber.objects.create(number=RETIRED, reason="cancelled", retired_at=timezone.now())


def run(path, tmp_path, today=TODAY, **kwargs):
    return population_import(
        path=path, rejects_path=tmp_path / "rejects.csv", today=today, **kwargs
    )


def read_rejects(path: Path) -> dict[int, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {int(row["row"]): row for row in csv.DictReader(handle)}


def edited_copy(tmp_path: Path, name: str, edit) -> Path:
    """The small file with ``edit(rows)`` applied (rows as dicts)."""
    with SMALL.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, r, strict=False)) for r in reader if len(r) == len(header)]
    rows = edit(rows)
    target = tmp_path / name
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


def test_given_every_kind_of_bad_row_when_imported_then_good_rows_load_and_bad_rows_say_why(
    hanoi, retired, tmp_path
):
    result = run(SMALL, tmp_path)

    assert (result.rows_read, result.inserted, result.updated, result.rejected) == (34, 8, 0, 26)
    assert set(Person.objects.values_list("id_number", flat=True)) == LOADED
    rejects = read_rejects(result.rejects_path)
    assert {row: r["reason_codes"].split(";") for row, r in rejects.items()} == REJECTED
    # The reasons are plain words, Vietnamese first, the English in parentheses.
    assert rejects[10]["reason"] == (
        "Mã tỉnh 999 ở đầu số định danh không hợp lệ "
        "(unknown province code 999: 001-096 or a country code 101-295)"
    )
    assert "nữ sinh năm 1990 phải là 1" in rejects[11]["reason"]
    assert "expected 1" in rejects[11]["reason"]
    assert "99999" in rejects[13]["reason"]
    assert "also on row 17" in rejects[16]["reason"]
    assert "also on row 16" in rejects[17]["reason"]
    assert "Cha (001080000101)" in rejects[18]["reason"]
    assert "wrong number of columns: 4 instead of 20" in rejects[23]["reason"]
    assert rejects[34]["reason"].count(";") == 1  # both reasons on one row
    # The values are kept, so the row can be fixed and imported again.
    assert rejects[12]["id_number"] == "001085000112"
    assert rejects[12]["full_name"] == "Sai Năm Sinh"
    assert result.reject_counts["duplicate_id"] == 2


def test_reimporting_the_same_file_changes_nothing(hanoi, retired, tmp_path):
    first = run(SMALL, tmp_path)
    before = {p.id_number: (p.version, p.updated_at) for p in Person.objects.all()}
    memberships = list(HouseholdMembership.objects.values_list("pk", "end_date", "relation"))

    second = run(SMALL, tmp_path)

    assert (first.inserted, first.households_created, first.memberships_started) == (8, 2, 5)
    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 0, 8, 26)
    assert (second.households_created, second.households_updated) == (0, 0)
    assert (second.memberships_started, second.memberships_ended) == (0, 0)
    assert {p.id_number: (p.version, p.updated_at) for p in Person.objects.all()} == before
    assert list(HouseholdMembership.objects.values_list("pk", "end_date", "relation")) == (
        memberships
    )
    assert PersonVersion.objects.count() == 0
    assert HouseholdVersion.objects.count() == 0
    assert IssuedIdNumber.objects.filter(number__in=LOADED).count() == 8


def test_a_changed_row_updates_the_person_and_keeps_the_old_state_as_a_version(
    hanoi, retired, tmp_path
):
    run(SMALL, tmp_path)
    mai = Person.objects.get(id_number="001183000102")

    def rename(rows):
        for row in rows:
            if row["id_number"] == "001183000102":
                row["full_name"] = "Lê Thị Mai Anh"
                row["health_insurance_number"] = "GD4010000000102"
        return rows

    clerk = UserFactory(email="canbo@longbien.demo")
    changed = run(edited_copy(tmp_path, "ho-khau-2026.csv", rename), tmp_path, actor=clerk)

    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 7)
    mai.refresh_from_db()
    assert (mai.full_name, mai.search_name, mai.version) == ("Lê Thị Mai Anh", "le thi mai anh", 2)
    version = PersonVersion.objects.get(person=mai)
    assert version.version == 1
    assert version.data["full_name"] == "Lê Thị Mai"
    assert version.data["health_insurance_number"] == ""
    assert version.data["spouse_id"] == str(Person.objects.get(id_number="001080000101").pk)
    assert sorted(version.changed_fields) == ["full_name", "health_insurance_number"]
    assert "ho-khau-2026.csv" in version.reason
    assert "population import" in version.reason
    assert version.valid_until == mai.updated_at
    assert version.changed_by == clerk
    assert PersonVersion.objects.count() == 1

    reason = "Cập nhật theo sổ hộ khẩu (household book update)"
    run(edited_copy(tmp_path, "again.csv", lambda rows: rows), tmp_path, reason=reason)
    assert PersonVersion.objects.get(person=mai, version=2).reason == reason


def test_households_memberships_and_family_links_are_created(hanoi, retired, tmp_path):
    run(SMALL, tmp_path)
    people = {p.id_number: p for p in Person.objects.select_related("permanent_unit")}
    hung, mai = people["001080000101"], people["001183000102"]
    khoi, ngoc_anh = people["001210000103"], people["001315000104"]
    binh = people["001045000105"]

    household = Household.objects.get(number="HK-T-0001")
    assert household.head == hung
    assert household.unit.name == "Phường Long Biên"
    assert household.address == "Số 5, ngõ 12 Ngọc Lâm"
    members = dict(
        HouseholdMembership.objects.filter(household=household, end_date__isnull=True).values_list(
            "person__id_number", "relation"
        )
    )
    assert members == {
        hung.id_number: "head",
        mai.id_number: "spouse",
        khoi.id_number: "child",
        ngoc_anh.id_number: "child",
    }
    assert HouseholdMembership.objects.get(person=mai).start_date == dt.date(2008, 5, 20)
    # No start date in the file: the membership starts on the day of the import.
    assert HouseholdMembership.objects.get(person=ngoc_anh).start_date == TODAY
    assert (khoi.father, khoi.mother) == (hung, mai)
    assert (hung.spouse, mai.spouse) == (mai, hung)
    assert hung.father == binh and hung.father_name == "Trần Văn Bình"
    assert hung.mother is None and hung.mother_name == "Nguyễn Thị Lan"
    assert (binh.status, binh.death_date) == ("deceased", dt.date(2020, 12, 20))
    assert not binh.memberships.exists()
    assert ngoc_anh.search_name == "tran thi ngoc anh"
    assert hung.permanent_unit.code == "00145"
    assert people["002190000106"].ethnicity == "06"
    assert people["079201000107"].ethnicity == "01"  # empty: the default
    assert people["079201000107"].nationality == "Việt Nam"
    assert people["079201000107"].permanent_unit is None
    assert Household.objects.get(number="HK-T-0002").head == people["002190000106"]
    assert hung.source == "import population_small.csv"


def test_moving_to_another_household_ends_the_old_membership_the_day_before(
    hanoi, retired, tmp_path
):
    run(SMALL, tmp_path)

    def move(rows):
        for row in rows:
            if row["id_number"] == "001315000104":
                row.update(
                    household_number="HK-T-0002",
                    relation="other",
                    membership_start="2026-08-01",
                    permanent_unit_code="00118",
                )
        return rows

    # Her first membership started on the day of the first import (TODAY).
    result = run(edited_copy(tmp_path, "move.csv", move), tmp_path, today=dt.date(2026, 9, 1))

    assert (result.memberships_ended, result.memberships_started, result.updated) == (1, 1, 1)
    ngoc_anh = Person.objects.get(id_number="001315000104")
    old, new = HouseholdMembership.objects.filter(person=ngoc_anh).order_by("start_date")
    assert (old.household.number, old.end_date) == ("HK-T-0001", dt.date(2026, 7, 31))
    assert (new.household.number, new.end_date, new.relation) == ("HK-T-0002", None, "other")


def test_a_move_that_starts_before_the_current_membership_is_rejected(hanoi, retired, tmp_path):
    run(SMALL, tmp_path)

    def move_back_in_time(rows):
        for row in rows:
            if row["id_number"] == "001183000102":
                row.update(household_number="HK-T-0002", membership_start="2001-01-01")
        return rows

    result = run(edited_copy(tmp_path, "move.csv", move_back_in_time), tmp_path)

    rejects = read_rejects(result.rejects_path)
    assert [r["reason_codes"] for r in rejects.values() if r["id_number"] == "001183000102"] == [
        "move_date"
    ]
    assert result.memberships_ended == 0


def test_parents_already_in_the_database_are_linked_and_their_age_checked(hanoi, retired, tmp_path):
    run(SMALL, tmp_path)
    births = tmp_path / "births.csv"
    births.write_text(
        "id_number,full_name,birth_date,sex,father_id_number,mother_id_number\n"
        "001326000201,Trần Thị Bé,2026-02-14,F,001080000101,001183000102\n"
        "001079000202,Trần Văn Già,1979-01-01,M,001080000101,\n",
        encoding="utf-8",
    )

    result = run(births, tmp_path)

    assert (result.inserted, result.rejected) == (1, 1)
    baby = Person.objects.get(id_number="001326000201")
    assert (baby.father.full_name, baby.mother.full_name) == ("Trần Văn Hùng", "Lê Thị Mai")
    assert read_rejects(result.rejects_path)[2]["reason_codes"] == "father_age"


def test_a_dry_run_checks_and_writes_rejects_but_changes_nothing(hanoi, retired, tmp_path):
    result = run(SMALL, tmp_path, dry_run=True)

    assert (result.rejected, result.dry_run) == (26, True)
    assert result.rejects_path.exists()
    assert not Person.objects.exists()
    assert not Household.objects.exists()


def test_a_file_with_unknown_or_missing_columns_is_refused_as_a_whole(hanoi, tmp_path):
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("id_number,full_name,birthdate,sex\n", encoding="utf-8")
    missing = tmp_path / "missing.csv"
    missing.write_text("id_number,full_name,sex\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="Unknown column"):
        run(unknown, tmp_path)
    with pytest.raises(ImportFileError, match="birth_date"):
        run(missing, tmp_path)


def test_spaces_around_values_are_trimmed_and_empty_quoted_values_are_empty(hanoi, tmp_path):
    padded = tmp_path / "padded.csv"
    padded.write_text(
        "id_number,full_name,birth_date,sex,permanent_unit_code,religion\n"
        ' 001080000101 ,"  Trần Văn Hùng ", 1980-04-12 ,M, 00145 ,""\n',
        encoding="utf-8",
    )

    result = run(padded, tmp_path)

    assert (result.inserted, result.rejected) == (1, 0)
    hung = Person.objects.get(id_number="001080000101")
    assert (hung.full_name, hung.search_name, hung.religion) == (
        "Trần Văn Hùng",
        "tran van hung",
        "",
    )
    assert hung.permanent_unit.code == "00145"


def test_the_command_prints_a_summary_and_writes_the_rejects(hanoi, retired, tmp_path, capsys):
    rejects = tmp_path / "loi.csv"

    call_command(
        "import_population", str(SMALL), "--rejects", str(rejects), "--today", "2026-06-01"
    )

    out = capsys.readouterr().out
    assert "Rows read:" in out and "34" in out
    assert "26 rows rejected" in out
    assert "Bulk load" not in out
    assert len(read_rejects(rejects)) == 26


def test_the_command_can_force_a_bulk_load(hanoi, retired, tmp_path, capsys):
    call_command("import_population", str(SMALL), "--rejects", str(tmp_path / "r.csv"), "--bulk")

    assert "Bulk load: indexes and foreign keys were rebuilt" in capsys.readouterr().out
    assert Person.objects.count() == 8


# --- The SQLite path ---------------------------------------------------------------

SQLITE_MODELS = [
    AdministrativeUnit,
    IssuedIdNumber,
    Person,
    PersonVersion,
    Household,
    HouseholdVersion,
    HouseholdMembership,
]
SNAPSHOT_SQL = """
    SELECT p.id_number, p.full_name, p.search_name, p.birth_date, p.sex, p.ethnicity,
           p.nationality, p.status, p.death_date, p.health_insurance_number, p.version,
           f.id_number, m.id_number, s.id_number, pu.code, cu.code, h.number, hm.relation,
           hm.start_date, hh.id_number
    FROM citizens_person p
    LEFT JOIN citizens_person f ON f.id = p.father_id
    LEFT JOIN citizens_person m ON m.id = p.mother_id
    LEFT JOIN citizens_person s ON s.id = p.spouse_id
    LEFT JOIN citizens_administrativeunit pu ON pu.id = p.permanent_unit_id
    LEFT JOIN citizens_administrativeunit cu ON cu.id = p.current_unit_id
    LEFT JOIN citizens_householdmembership hm ON hm.person_id = p.id AND hm.end_date IS NULL
    LEFT JOIN citizens_household h ON h.id = hm.household_id
    LEFT JOIN citizens_person hh ON hh.id = h.head_id
    ORDER BY p.id_number
"""


@pytest.fixture
def sqlite_db():
    """An in-memory SQLite database (the demo's engine) with the population tables."""
    alias = "import_sqlite"
    memory = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    handler = ConnectionHandler({"default": memory, alias: memory})
    connection = handler[alias]
    connections[alias] = connection
    with connection.schema_editor() as editor:
        for model in SQLITE_MODELS:
            editor.create_model(model)
    with connection.cursor() as cursor:
        # Versions name the acting account: the table must exist, not its contents.
        cursor.execute("CREATE TABLE citizens_user (id char(32) NOT NULL PRIMARY KEY)")
        cursor.executemany(
            "INSERT INTO citizens_administrativeunit (era, level, code, name, name_en, "
            "unit_type, parent_id, search_name) VALUES (%s, %s, %s, %s, '', '', NULL, '')",
            [
                ("2025", "commune", unit.code, unit.name)
                for unit in AdministrativeUnit.objects.filter(era="2025", level="commune")
            ],
        )
        cursor.execute(
            "INSERT INTO citizens_issuedidnumber (number, issued_at, reason, retired_at) "
            "VALUES (%s, '2025-01-01 00:00:00', 'cancelled', '2025-01-01 00:00:00')",
            [RETIRED],
        )
    yield alias
    connection.close()
    del connections[alias]


def snapshot(alias: str) -> list[tuple[str, ...]]:
    with connections[alias].cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL)
        return [tuple("" if v is None else str(v) for v in row) for row in cursor.fetchall()]


def test_the_sqlite_path_rejects_and_loads_exactly_what_postgresql_does(
    hanoi, retired, sqlite_db, tmp_path
):
    assert connections[sqlite_db].vendor == "sqlite"
    pg_dir, sqlite_dir = tmp_path / "pg", tmp_path / "sqlite"
    pg_dir.mkdir(), sqlite_dir.mkdir()
    moved = edited_copy(tmp_path, "moved.csv", lambda rows: _move_and_rename(rows))

    later = dt.date(2026, 9, 1)
    pg = [run(SMALL, pg_dir), run(SMALL, pg_dir), run(moved, pg_dir, today=later)]
    lite = [run(SMALL, sqlite_dir, using=sqlite_db), run(SMALL, sqlite_dir, using=sqlite_db)]
    lite.append(run(moved, sqlite_dir, today=later, using=sqlite_db))

    counts = lambda r: (  # noqa: E731
        r.rows_read,
        r.inserted,
        r.updated,
        r.unchanged,
        r.rejected,
        r.households_created,
        r.households_updated,
        r.memberships_started,
        r.memberships_ended,
    )
    assert [counts(r) for r in lite] == [counts(r) for r in pg]
    assert counts(pg[2])[2:] == (1, 7, 25, 0, 0, 1, 1)  # a rename; a move (memberships only)
    assert [r.reject_counts for r in lite] == [r.reject_counts for r in pg]
    assert (sqlite_dir / "rejects.csv").read_bytes() == (pg_dir / "rejects.csv").read_bytes()
    assert snapshot(sqlite_db) == snapshot("default")
    with connections[sqlite_db].cursor() as cursor:
        cursor.execute("SELECT data, changed_fields, reason FROM citizens_personversion")
        (data, changed, reason), *others = cursor.fetchall()
    pg_version = PersonVersion.objects.get()
    assert not others

    def without_keys(data):  # row ids differ between the two databases
        return {k: v for k, v in data.items() if not k.endswith("_id")}

    assert without_keys(json.loads(data)) == without_keys(pg_version.data)
    assert json.loads(changed) == pg_version.changed_fields
    assert reason == pg_version.reason


SCHEMA_SQL = """
    SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid)
    FROM pg_index WHERE indrelid = ANY (CAST(%(tables)s AS regclass[]))
    UNION ALL
    SELECT 'constraint', conname, pg_get_constraintdef(oid) || ' valid=' || convalidated
    FROM pg_constraint WHERE conrelid = ANY (CAST(%(tables)s AS regclass[]))
    ORDER BY 1, 2
"""


def schema_of_population_tables() -> list[tuple[str, str, str]]:
    from citizens.importer import _Bulk

    with connections["default"].cursor() as cursor:
        cursor.execute(SCHEMA_SQL, {"tables": list(_Bulk.TABLES)})
        return cursor.fetchall()


def test_a_bulk_load_loads_and_rejects_exactly_what_a_row_by_row_one_does(
    hanoi, retired, sqlite_db, tmp_path
):
    """Bulk mode (indexes and foreign keys dropped, then rebuilt) against the
    SQLite path, which the test above holds equal to the incremental one."""
    schema = schema_of_population_tables()
    assert len(schema) > 20  # the indexes and constraints the bulk mode rebuilds
    pg_dir, sqlite_dir = tmp_path / "pg", tmp_path / "sqlite"
    pg_dir.mkdir(), sqlite_dir.mkdir()
    moved = edited_copy(tmp_path, "moved.csv", lambda rows: _move_and_rename(rows))
    later = dt.date(2026, 9, 1)

    pg = [
        run(SMALL, pg_dir, bulk=True),
        run(SMALL, pg_dir, bulk=True),
        run(moved, pg_dir, today=later, bulk=True),
    ]
    lite = [run(SMALL, sqlite_dir, using=sqlite_db), run(SMALL, sqlite_dir, using=sqlite_db)]
    lite.append(run(moved, sqlite_dir, today=later, using=sqlite_db))

    assert [r.bulk for r in pg] == [True, True, True]
    assert [(r.inserted, r.updated, r.unchanged, r.rejected) for r in pg] == [
        (8, 0, 0, 26),
        (0, 0, 8, 26),
        (0, 1, 7, 25),
    ]
    assert [r.__dict__ | {"seconds": 0, "bulk": False} for r in pg] == [
        r.__dict__ | {"seconds": 0, "rejects_path": p.rejects_path}
        for r, p in zip(lite, pg, strict=True)
    ]
    assert (sqlite_dir / "rejects.csv").read_bytes() == (pg_dir / "rejects.csv").read_bytes()
    assert snapshot(sqlite_db) == snapshot("default")
    assert PersonVersion.objects.count() == 1  # the rename
    assert HouseholdMembership.objects.filter(end_date__isnull=False).count() == 1  # the move
    assert IssuedIdNumber.objects.filter(number__in=LOADED).count() == 8
    # The same indexes and constraints, by name and definition, all validated.
    assert schema_of_population_tables() == schema


def test_bulk_mode_is_chosen_when_the_new_persons_outnumber_those_in_the_table(
    hanoi, retired, tmp_path, monkeypatch
):
    monkeypatch.setattr("citizens.importer.BULK_MIN_ROWS", 5)
    assert run(SMALL, tmp_path).bulk is True  # 8 new persons into an empty table
    assert run(SMALL, tmp_path).bulk is False  # nothing new: row by row
    assert Person.objects.count() == 8


@pytest.mark.parametrize("bulk", [False, True])
def test_new_persons_are_laid_out_by_date_of_birth(hanoi, retired, tmp_path, bulk):
    # Ids (time-ordered UUIDs) follow the dates of birth, and the rows are
    # written in id order, so the persons a name + date-of-birth search reads
    # (all those born that day) share pages of the table. (Where each row
    # ends up physically is not asserted: the import's later updates of the
    # same rows, e.g. the household head and spouse links, write new row
    # versions wherever the table has room.)
    run(SMALL, tmp_path, bulk=bulk)
    by_id = list(Person.objects.order_by("id").values_list("birth_date", flat=True))
    assert by_id == sorted(by_id) and len(by_id) == 8


def test_a_small_file_is_loaded_row_by_row(hanoi, retired, tmp_path):
    assert run(SMALL, tmp_path).bulk is False  # 8 new persons: not worth rebuilding indexes


def _move_and_rename(rows):
    for row in rows:
        if row["id_number"] == "001315000104":
            row.update(
                household_number="HK-T-0002", relation="other", membership_start="2026-08-01"
            )
        if row["id_number"] == "001183000102":
            row["full_name"] = "Lê Thị Mai Anh"
    return rows


# --- seed_demo ---------------------------------------------------------------------


def test_seed_demo_loads_a_small_city_and_the_demo_citizens_family_idempotently(
    tmp_path, settings, capsys
):
    settings.VAR_DIR = tmp_path

    call_command("seed_demo", persons=300)
    first = capsys.readouterr().out
    versions = PersonVersion.objects.count()
    call_command("seed_demo", persons=300)
    second = capsys.readouterr().out

    assert (tmp_path / "demo" / "population-300-seed2025.csv").exists()
    assert Person.objects.count() == 304
    assert PersonVersion.objects.count() == versions == 0
    assert "300 new" in first and "300 unchanged" in second
    an = Person.objects.get(full_name="Nguyễn Văn An", id_number="001075012345")
    assert an.permanent_unit.name == "Phường Long Biên"
    household = Household.objects.get(head=an)
    members = {
        m.person.full_name: m.relation
        for m in household.memberships.filter(end_date__isnull=True).select_related("person")
    }
    assert members == {
        "Nguyễn Văn An": "head",
        "Trần Thị Bình": "spouse",
        "Nguyễn Thị Thu Hà": "child",
        "Nguyễn Minh Khoa": "child",
    }
    assert an.spouse.full_name == "Trần Thị Bình"
    children = Person.objects.filter(father=an, mother=an.spouse).order_by("birth_date")
    ages = [child.age_on(timezone.localdate()) for child in children]
    assert len(ages) == 2 and ages[0] >= 18 > ages[1]
    link = an.account_link
    assert (link.user.email, link.level, link.method) == ("congdan@example.vn", 1, "self")
    assert f"/back-office/population/persons/{an.pk}/" in second


def test_the_other_rules_each_reject_their_row(hanoi, retired, tmp_path):
    run(SMALL, tmp_path)  # Trần Văn Hùng holds the health-insurance card DN4010000000101

    result = run(DATA / "population_more_rejects.csv", tmp_path)

    rejects = read_rejects(result.rejects_path)
    assert {row: r["reason_codes"] for row, r in rejects.items()} == {
        1: "too_long",
        2: "death_date_living",
        3: "death_date_format",
        4: "related_id_format",
        5: "related_self",
        6: "relation_missing",
        7: "household_missing",
        8: "household_unit_missing",
        9: "membership_start_format",
        10: "birth_date_range",
        11: "hi_taken",
    }
    assert "birth_place (tối đa/max 255)" in rejects[1]["reason"]
    assert (result.inserted, result.households_created) == (1, 1)
    assert Person.objects.get(id_number="001195000212").health_insurance_number == (
        "GD4010000000212"
    )

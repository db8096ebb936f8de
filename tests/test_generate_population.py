"""generate_population: a deterministic synthetic Hà Nội whose every row is valid."""

import csv
import datetime as dt
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from citizens.generator import population_generate
from citizens.idnumbers import validation_errors
from citizens.importer import COLUMNS, population_import
from citizens.models import Household, Person
from citizens.reference import RELATIONS
from citizens.services import administrative_units_load

HANOI_UNITS = 126


def generate(count: int, seed: int) -> str:
    out = io.StringIO()
    population_generate(count=count, seed=seed, output=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def city() -> list[dict[str, str]]:
    """20,000 people, generated once for the module."""
    return list(csv.DictReader(io.StringIO(generate(20_000, seed=7))))


def born(row) -> dt.date:
    return dt.date.fromisoformat(row["birth_date"])


def test_the_same_seed_gives_the_same_bytes_and_another_seed_another_city():
    first, again, other = generate(3000, 11), generate(3000, 11), generate(3000, 12)

    assert first == again
    assert first != other
    assert first.splitlines()[0] == ",".join(COLUMNS)
    assert len(first.splitlines()) == 3001
    # A smaller city is the beginning of a bigger one with the same seed.
    assert generate(5000, 11).startswith(first)


def test_every_id_number_is_valid_for_its_sex_and_birth_year_and_unique(city):
    numbers = [row["id_number"] for row in city]

    assert len(set(numbers)) == len(city) == 20_000
    for row in city:
        assert validation_errors(row["id_number"], sex=row["sex"], birth_date=born(row)) == []
    prefixes = Counter(number[:3] for number in numbers)
    assert prefixes.most_common(1)[0][0] == "001"
    assert 0.8 < prefixes["001"] / len(city) < 0.97
    assert len(prefixes) > 5  # some were born in other provinces


def test_children_are_15_or_more_years_younger_than_the_parents_they_are_linked_to(city):
    by_id = {row["id_number"]: row for row in city}
    linked = 0
    for child in city:
        for column in ("father_id_number", "mother_id_number"):
            parent = by_id.get(child[column])
            if child[column]:
                assert parent is not None  # links point into the file
            if parent:
                linked += 1
                child_born, parent_born = born(child), born(parent)
                assert (child_born.year - 15, child_born.month, child_born.day) >= (
                    parent_born.year,
                    parent_born.month,
                    parent_born.day,
                )
                sex = "M" if column == "father_id_number" else "F"
                assert parent["sex"] == sex
                assert child[column.replace("_id_number", "_name")] == parent["full_name"]
    assert linked > 5000


def test_spouses_are_linked_to_each_other_and_of_similar_age(city):
    by_id = {row["id_number"]: row for row in city}
    couples = 0
    for row in city:
        spouse = by_id.get(row["spouse_id_number"])
        if spouse:
            couples += 1
            assert spouse["spouse_id_number"] == row["id_number"]
            assert spouse["sex"] != row["sex"]
            assert abs((born(row) - born(spouse)).days) < 20 * 366
    assert couples > 4000


def test_households_have_1_to_7_members_and_one_head(city):
    members = defaultdict(list)
    for row in city:
        if row["household_number"]:
            members[row["household_number"]].append(row)
    sizes = Counter(len(rows) for rows in members.values())

    assert set(sizes) <= set(range(1, 8))
    assert {1, 2, 3, 4, 5} <= set(sizes)
    assert 2.8 < sum(len(r) for r in members.values()) / len(members) < 4.0
    codes = {code for code, _ in RELATIONS}
    # The last household may be cut short by the count; every other one has its head.
    for rows in list(members.values())[:-1]:
        assert [r["relation"] for r in rows].count("head") == 1
        assert {r["relation"] for r in rows} <= codes
        assert len({r["permanent_unit_code"] for r in rows}) == 1
        for r in rows:
            assert r["birth_date"] <= r["membership_start"] < "2026-01-01"


def test_names_are_vietnamese_with_realistic_family_names(city):
    families = Counter(row["full_name"].split()[0] for row in city)
    share = {name: count / len(city) for name, count in families.items()}

    assert all(len(row["full_name"].split()) >= 3 for row in city)
    assert sum(not row["full_name"].isascii() for row in city) / len(city) > 0.9
    assert 0.30 < share["Nguyễn"] < 0.46
    assert families.most_common(3)[0][0] == "Nguyễn"
    assert {"Trần", "Lê", "Phạm"} <= {name for name, _ in families.most_common(6)}
    women = [row["full_name"].split()[1] for row in city if row["sex"] == "F"]
    assert Counter(women).most_common(1)[0][0] == "Thị"


def test_residence_covers_all_126_units_of_hanoi_and_some_are_deceased_or_insured(city):
    assert len({row["permanent_unit_code"] for row in city}) == HANOI_UNITS
    deceased = [row for row in city if row["status"] == "deceased"]
    assert 50 < len(deceased) < 2000
    for row in deceased:
        assert row["birth_date"] < row["death_date"] < "2026-01-01"
        assert not row["household_number"]
    insured = [row["health_insurance_number"] for row in city if row["health_insurance_number"]]
    assert len(insured) == len(set(insured)) > 10_000
    assert all(len(number) == 15 for number in insured)


@pytest.mark.django_db
def test_the_generated_file_imports_with_no_rejects(tmp_path):
    administrative_units_load(provinces=["01"])
    path = tmp_path / "city.csv"
    call_command("generate_population", count=3000, seed=5, output=str(path))

    result = population_import(path=path, rejects_path=tmp_path / "rejects.csv")

    assert (result.rows_read, result.rejected, result.inserted) == (3000, 0, 3000)
    assert not (tmp_path / "rejects.csv").exists()
    assert Person.objects.count() == 3000
    assert Household.objects.count() == result.households_created > 700
    assert Person.objects.filter(father__isnull=False).count() > 500

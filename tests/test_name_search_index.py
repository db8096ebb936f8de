"""Name search uses an index on PostgreSQL, not a scan of the person table."""

import datetime as dt

import pytest
from django.db import connection

from citizens.selectors import person_search
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny test tables make a scan cheapest; forbid it to see whether an index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_name_and_birth_date_search_is_served_by_an_index():
    born = dt.date(1990, 5, 1)
    PersonFactory(full_name="Nguyễn Thị Lan", birth_date=born)
    plan = plan_of(person_search(query="nguyen thi", birth_date=born))
    assert "Seq Scan on citizens_person" not in plan
    assert "person_dob_name" in plan or "person_name_trgm" in plan


def test_a_search_finds_the_name_without_its_diacritics():
    born = dt.date(1990, 5, 1)
    lan = PersonFactory(full_name="Nguyễn Thị Lan", birth_date=born)
    PersonFactory(full_name="Trần Văn Đức", birth_date=born, sex="M")
    assert list(person_search(query="nguyen thi", birth_date=born)) == [lan]
    assert [p.full_name for p in person_search(query="duc", birth_date=born)] == ["Trần Văn Đức"]

"""Name search uses an index on PostgreSQL, not a scan of the person table."""

import datetime as dt

import pytest
from django.db import connection

from citizens.selectors import person_search
from tests.factories import PersonFactory, WardFactory

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


def test_a_search_by_unit_alone_and_the_unit_filter_use_an_index():
    """Without the single-column index on the permanent unit (dropped: it only
    cost writes), person_unit_name serves the lookups by unit."""
    unit = WardFactory()
    PersonFactory(full_name="Lê Thị Hoa", permanent_unit=unit)
    plan = plan_of(person_search(query="le thi", unit=unit))
    assert "Seq Scan on citizens_person" not in plan
    assert "person_unit_name" in plan or "person_name_trgm" in plan
    plan = plan_of(
        person_search(query="le thi", units_allowed=[unit], birth_date=dt.date(1990, 5, 1))
    )
    assert "Seq Scan on citizens_person" not in plan


POPULATION_INDEXES_SQL = """
    SELECT c.relname, i.indexrelid::regclass::text, i.indisunique, i.indpred IS NOT NULL,
           ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n)::text[]
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
    JOIN pg_am am ON am.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)
    WHERE c.relname IN ('citizens_person', 'citizens_household',
                        'citizens_householdmembership', 'citizens_issuedidnumber')
      AND am.amname = 'btree'
"""


def test_no_index_of_the_population_tables_repeats_the_start_of_another():
    """A plain index whose columns begin another full index (say ``unit`` beside
    ``(unit, name)``, or a ``LIKE`` copy of a unique key) serves no query the
    other cannot, and every bulk import rebuilds it: there is none."""
    with connection.cursor() as cursor:
        cursor.execute(POPULATION_INDEXES_SQL)
        indexes = cursor.fetchall()
    redundant = [
        (name, other)
        for table, name, unique, partial, columns in indexes
        if not unique and not partial
        for other_table, other, _u, other_partial, other_columns in indexes
        if other_table == table
        and other != name
        and not other_partial
        and other_columns[: len(columns)] == columns
    ]
    assert redundant == []
    assert len(indexes) > 10

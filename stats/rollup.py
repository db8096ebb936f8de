"""The daily roll-ups, recomputed from the facts with set-based SQL.

Each measure counts on its own day (``DailyFigure``). ``refresh_cells``
recomputes the cells some changed facts count in (after a step commits);
``rebuild`` recomputes every cell of a period (nightly, and the
``rebuild_stats`` command). Both delete the cells and insert them again from
the facts in one transaction, so a roll-up always equals a recount.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F

from stats.models import DURATION_CAP, DailyDuration, DailyFigure, DossierFact, StatsState

Cell = tuple[object, object, str, dt.date]  # agency, procedure, channel, day

MEASURES = [
    "received",
    "received_digitised",
    "received_reused",
    "received_with_fee",
    "received_paid_online",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "resolved_late_apologised",
    "rejected",
    "results_digital",
    "processing_days",
    "refused",
    "withdrawn",
    "supplements",
    "ratings",
    "rating_sum",
    "satisfied",
]

# Each branch: the day column and the measures it gives (others are 0).
BRANCHES: list[tuple[str, str, dict[str, str]]] = [
    (
        "f.received_on",
        "f.received_on IS NOT NULL",
        {
            "received": "1",
            "received_digitised": "f.digitised::int",
            "received_reused": "f.reused_data::int",
            "received_with_fee": "(f.fee > 0)::int",
            "received_paid_online": "(f.fee > 0 AND f.paid_online)::int",
        },
    ),
    (
        "f.resolved_on",
        "f.resolved_on IS NOT NULL",
        {
            "resolved": "1",
            "resolved_on_time": "coalesce(f.on_time, false)::int",
            "resolved_late": "(NOT coalesce(f.on_time, false))::int",
            "resolved_late_apologised": "(NOT coalesce(f.on_time, false) AND f.apologised)::int",
            "rejected": "(f.outcome = 'rejected')::int",
            "results_digital": "f.result_digital::int",
            "processing_days": "coalesce(f.processing_days, 0)",
        },
    ),
    (
        "f.closed_on",
        "f.closed_on IS NOT NULL",
        {"refused": "(f.outcome = 'refused')::int", "withdrawn": "(f.outcome = 'withdrawn')::int"},
    ),
    ("s.day", "true", {"supplements": "1"}),
    (
        "f.rated_on",
        "f.rated_on IS NOT NULL",
        {"ratings": "1", "rating_sum": "f.rating", "satisfied": "(f.rating >= 4)::int"},
    ),
]

KEY = "agency_id, procedure_id, channel"
# Advisory lock keys (PostgreSQL): the rebuild (one bigint) and each agency's
# cells (two ints: this class and a hash of the agency's id).
LOCK_REBUILD = 7660001
LOCK_AGENCY = 766


def _branch_sql(day: str, cond: str, values: dict[str, str], restrict: str) -> str:
    source = "stats_dossierfact f"
    if day == "s.day":
        source += ", unnest(f.supplement_dates) AS s(day)"
    columns = ", ".join(f"{values.get(m, '0')} AS {m}" for m in MEASURES)
    return (
        f"SELECT {day} AS day, f.agency_id, f.unit_id, f.procedure_id, f.field_id, f.channel, "
        f"{columns} FROM {source} WHERE {cond} AND {restrict.format(day=day)}"
    )


def _insert_sql(restrict: str, prefix: str = "") -> tuple[str, str]:
    union = " UNION ALL ".join(_branch_sql(d, c, v, restrict) for d, c, v in BRANCHES)
    sums = ", ".join(f"sum({m})" for m in MEASURES)
    figures = (
        f"{prefix} INSERT INTO stats_dailyfigure (day, agency_id, unit_id, procedure_id, "
        f"field_id, channel, {', '.join(MEASURES)}) "
        f"SELECT day, agency_id, (array_agg(unit_id))[1], procedure_id, "
        f"(array_agg(field_id))[1], channel, {sums} FROM ({union}) x "
        f"GROUP BY day, {KEY}"
    )
    durations = (
        f"{prefix} INSERT INTO stats_dailyduration (day, agency_id, unit_id, procedure_id, "
        f"field_id, channel, days, count) "
        f"SELECT f.resolved_on, f.agency_id, (array_agg(f.unit_id))[1], f.procedure_id, "
        f"(array_agg(f.field_id))[1], f.channel, least(f.processing_days, {DURATION_CAP}), "
        f"count(*) FROM stats_dossierfact f WHERE f.processing_days IS NOT NULL AND "
        f"f.resolved_on IS NOT NULL AND {restrict.format(day='f.resolved_on')} "
        f"GROUP BY f.resolved_on, f.agency_id, f.procedure_id, f.channel, "
        f"least(f.processing_days, {DURATION_CAP})"
    )
    return figures, durations


CELLS_CTE = (
    "WITH cells AS (SELECT * FROM unnest(%(agencies)s::uuid[], %(procedures)s::uuid[], "
    "%(channels)s::text[], %(days)s::date[]) AS c(agency_id, procedure_id, channel, day))"
)
IN_CELLS = (
    "EXISTS (SELECT 1 FROM cells c WHERE c.agency_id = f.agency_id AND "
    "c.procedure_id = f.procedure_id AND c.channel = f.channel AND c.day = {day})"
)


def cells_of(facts: Iterable[DossierFact]) -> set[Cell]:
    """Every cell these facts count in (each of their days)."""
    cells: set[Cell] = set()
    for fact in facts:
        key = (fact.agency_id, fact.procedure_id, fact.channel)
        days = [fact.received_on, fact.resolved_on, fact.closed_on, fact.rated_on]
        days += list(fact.supplement_dates or [])
        cells.update((*key, day) for day in days if day is not None)
    return cells


def refresh_cells(cells: set[Cell]) -> None:
    if not cells:
        return
    rows = sorted(cells, key=lambda c: (str(c[0]), str(c[1]), c[2], c[3]))
    params: dict[str, Any] = {
        "agencies": [str(c[0]) for c in rows],
        "procedures": [str(c[1]) for c in rows],
        "channels": [c[2] for c in rows],
        "days": [c[3] for c in rows],
    }
    figures, durations = _insert_sql(IN_CELLS, CELLS_CTE)
    delete = (
        "{cte} DELETE FROM {table} t USING cells c WHERE t.agency_id = c.agency_id AND "
        "t.procedure_id = c.procedure_id AND t.channel = c.channel AND t.day = c.day"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Two refreshes of one agency's cells, or a refresh during a rebuild,
        # would insert the same cell twice: one at a time per agency, none
        # during a rebuild.
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_REBUILD])
        for agency in sorted(set(params["agencies"])):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_AGENCY, agency])
        for table in ("stats_dailyfigure", "stats_dailyduration"):
            cursor.execute(delete.format(cte=CELLS_CTE, table=table), params)
        cursor.execute(figures, params)
        cursor.execute(durations, params)
        bump()


def rebuild(start: dt.date, end: dt.date) -> int:
    """Recompute every cell of the days ``start``..``end`` from the facts."""
    restrict = "{day} BETWEEN %(start)s AND %(end)s"
    figures, durations = _insert_sql(restrict)
    params: dict[str, Any] = {"start": start, "end": end}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_REBUILD])
        DailyFigure.objects.filter(day__range=(start, end)).delete()
        DailyDuration.objects.filter(day__range=(start, end)).delete()
        cursor.execute(figures, params)
        count = cursor.rowcount
        cursor.execute(durations, params)
        bump()
    return count


# This process's copy of the version (``figures.version``), in the "local" cache.
VERSION_KEY = "stats:version"


def bump() -> None:
    """A new version of the figures (the cache key of every statistics page);
    this process reads it again once the change is committed."""
    updated = StatsState.objects.filter(pk=1).update(version=F("version") + 1)
    if not updated:  # the first change: version 1 (pages cached so far were under 0)
        StatsState.objects.get_or_create(pk=1, defaults={"version": 1})
    caches["local"].delete(VERSION_KEY)
    transaction.on_commit(lambda: caches["local"].delete(VERSION_KEY))

"""The statistics' tables as rows, one function per table, for the CSV and
Excel exports (``stats.export_views``).

Each function takes the filters and the user's scope and returns a ``Table``:
its columns (a translated header and a kind: text, count, number, rate or
date) and its rows. Counts are ints, rates are fractions (0.5 for half:
Excel shows them with a percentage format, the CSV as a percentage number),
dates are dates. The headers are in the active language (Vietnamese unless
the user chose English). A table costs a fixed number of queries (the drill
streams its facts from one cursor) and holds no personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext, pgettext

from stats import figures, index766
from stats.figures import Filters, Measures, Row, Scope
from stats.models import Channel, DossierFact, Outcome

TEXT, COUNT, NUMBER, RATE, DATE = "text", "count", "number", "rate", "date"
# The headers carry the context "statistics export": their Vietnamese is a
# table's column ("Tiếp nhận"), not a form's field ("Ngày tiếp nhận").
DRILL_CHUNK = 2000


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = COUNT


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: Iterable[list[Any]]

    @property
    def headers(self) -> list[str]:
        return [c.label for c in self.columns]


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# The measures every figure table shows, in this order: (header, value).
def _measure_columns() -> list[tuple[Column, Callable[[Measures], Any]]]:
    return [
        (Column(pgettext("statistics export", "Received")), lambda m: m.received),
        (Column(pgettext("statistics export", "Received online")), lambda m: m.received_online),
        (
            Column(pgettext("statistics export", "Received fully online")),
            lambda m: m.received_online_full,
        ),
        (
            Column(pgettext("statistics export", "Received at the counter")),
            lambda m: m.received_counter,
        ),
        (Column(pgettext("statistics export", "Received by post")), lambda m: m.received_post),
        (
            Column(pgettext("statistics export", "Handed on by another agency")),
            lambda m: m.received_linked,
        ),
        (Column(pgettext("statistics export", "Resolved")), lambda m: m.resolved),
        (Column(pgettext("statistics export", "Resolved on time")), lambda m: m.resolved_on_time),
        (Column(pgettext("statistics export", "Resolved late")), lambda m: m.resolved_late),
        (
            Column(pgettext("statistics export", "On-time rate"), RATE),
            lambda m: _rounded(m.on_time_rate, 4),
        ),
        (Column(pgettext("statistics export", "Rejected")), lambda m: m.rejected),
        (Column(pgettext("statistics export", "Refused at intake")), lambda m: m.refused),
        (Column(pgettext("statistics export", "Withdrawn")), lambda m: m.withdrawn),
        (Column(pgettext("statistics export", "Supplements requested")), lambda m: m.supplements),
        (
            Column(pgettext("statistics export", "Average working days"), NUMBER),
            lambda m: _rounded(m.average_days, 1),
        ),
        (
            Column(pgettext("statistics export", "Online share"), RATE),
            lambda m: _rounded(m.online_share, 4),
        ),
        (
            Column(pgettext("statistics export", "Paid online share"), RATE),
            lambda m: _rounded(m.paid_online_share, 4),
        ),
        (Column(pgettext("statistics export", "Ratings")), lambda m: m.ratings),
        (
            Column(pgettext("statistics export", "Average rating (of 5)"), NUMBER),
            lambda m: _rounded(m.average_rating, 2),
        ),
        (
            Column(pgettext("statistics export", "Satisfied share"), RATE),
            lambda m: _rounded(m.satisfied_share, 4),
        ),
    ]


def _figure_table(
    name: str, title: str, lead: list[Column], rows: Iterable[tuple[list[Any], Measures]]
) -> Table:
    measures = _measure_columns()
    return Table(
        name,
        title,
        [*lead, *(c for c, _value in measures)],
        [[*values, *(value(m) for _c, value in measures)] for values, m in rows],
    )


# --- The tables ------------------------------------------------------------------------


def summary(filters: Filters, scope: Scope) -> Table:
    """One row: the period's figures, the 90th percentile of processing time
    and what is open now."""
    m = figures.summary(filters, scope)
    durations = figures.durations(filters, scope)
    open_now = figures.open_now(filters, scope)
    table = _figure_table(
        "summary",
        pgettext("statistics export", "Key figures"),
        [
            Column(pgettext("statistics export", "From"), DATE),
            Column(pgettext("statistics export", "To"), DATE),
        ],
        [([filters.start, filters.end], m)],
    )
    table.columns += [
        Column(pgettext("statistics export", "90th percentile of working days")),
        Column(pgettext("statistics export", "Open now: overdue")),
        Column(pgettext("statistics export", "Open now: within time")),
        Column(pgettext("statistics export", "Open now: awaiting a supplement")),
    ]
    (row,) = list(table.rows)
    row += [durations.p90, open_now.overdue, open_now.within_time, open_now.paused]
    table.rows = [row]
    return table


def _breakdown_table(filters: Filters, scope: Scope, by: str, title: str) -> Table:
    rows: list[Row] = figures.breakdown(filters, scope, by)
    if by != "channel":  # by name, as people look things up (channels in their order)
        rows.sort(key=lambda r: (r.label, r.code))
    return _figure_table(
        by,
        title,
        [
            Column(pgettext("statistics export", "Code"), TEXT),
            Column(pgettext("statistics export", "Name"), TEXT),
        ],
        [([r.code, r.label], r.measures) for r in rows],
    )


def agency(filters: Filters, scope: Scope) -> Table:
    return _breakdown_table(
        filters, scope, "agency", pgettext("statistics export", "Figures by agency")
    )


def unit(filters: Filters, scope: Scope) -> Table:
    return _breakdown_table(
        filters, scope, "unit", pgettext("statistics export", "Figures by ward or commune")
    )


def procedure(filters: Filters, scope: Scope) -> Table:
    return _breakdown_table(
        filters, scope, "procedure", pgettext("statistics export", "Figures by procedure")
    )


def field(filters: Filters, scope: Scope) -> Table:
    return _breakdown_table(
        filters, scope, "field", pgettext("statistics export", "Figures by field")
    )


def channel(filters: Filters, scope: Scope) -> Table:
    return _breakdown_table(
        filters, scope, "channel", pgettext("statistics export", "Figures by channel")
    )


def trend(filters: Filters, scope: Scope) -> Table:
    return _figure_table(
        "trend",
        pgettext("statistics export", "Figures over time"),
        [Column(pgettext("statistics export", "Period starting"), DATE)],
        [([bucket], m) for bucket, m in figures.trend(filters, scope)],
    )


def _points(value: Decimal) -> float:
    return float(value)


def _out_of(points: int) -> str:
    return pgettext("statistics export", "of %(points)s") % {"points": points}


def index(filters: Filters, scope: Scope) -> Table:
    """The Decision 766 score of each agency in scope: total, the five
    groups, and its rank among the city's agencies of the same kind."""
    groups = index766.index().groups
    everyone = index766.scores(Filters(start=filters.start, end=filters.end), by="agency")
    rows: list[list[Any]] = []
    for s in everyone:
        if scope.agency_ids is not None and s.key not in scope.agency_ids:
            continue
        if filters.agency and s.code != filters.agency:
            continue
        rows.append(
            [
                s.code,
                s.label,
                _points(s.total),
                *(_points(g.points) for g in s.groups),
                s.rank,
                s.peers,
            ]
        )
    rows.sort(key=lambda r: (-float(r[2] or 0), str(r[1])))
    return Table(
        "index",
        pgettext("statistics export", "Service quality index (Decision 766)"),
        [
            Column(pgettext("statistics export", "Code"), TEXT),
            Column(pgettext("statistics export", "Name"), TEXT),
            Column(pgettext("statistics export", "Total (of 100)"), NUMBER),
            *(Column(f"{g.label} ({_out_of(g.points)})", NUMBER) for g in groups),
            Column(pgettext("statistics export", "Rank")),
            Column(pgettext("statistics export", "Among")),
        ],
        rows,
    )


def _drill_rows(facts: Iterable[DossierFact]) -> Iterator[list[Any]]:
    channels = {value: str(label) for value, label in Channel.choices}
    outcomes = {value: str(label) for value, label in Outcome.choices}
    yes, no = gettext("Yes"), gettext("No")
    for f in facts:
        yield [
            f.code,
            f.procedure.code,
            f.procedure.name,
            f.agency.code,
            f.agency.name,
            channels.get(f.channel, f.channel),
            f.received_on,
            f.due_date,
            f.resolved_on,
            f.closed_on,
            outcomes.get(f.outcome, f.outcome),
            None if f.on_time is None else (yes if f.on_time else no),
        ]


def drill(filters: Filters, scope: Scope, which: str) -> Table:
    """The dossiers behind a figure (``which`` in ``figures.DRILLS``): codes,
    procedure, agency, dates and outcome; no personal data."""
    facts = (
        figures.dossiers(filters, scope, which)
        .only(
            "code",
            "channel",
            "outcome",
            "received_on",
            "due_date",
            "resolved_on",
            "closed_on",
            "on_time",
            "agency__code",
            "agency__name",
            "procedure__code",
            "procedure__name",
        )
        .order_by("received_on", "code")
    )
    return Table(
        "drill",
        pgettext("statistics export", "Dossiers behind a figure"),
        [
            Column(pgettext("statistics export", "Dossier code"), TEXT),
            Column(pgettext("statistics export", "Procedure code"), TEXT),
            Column(pgettext("statistics export", "Procedure"), TEXT),
            Column(pgettext("statistics export", "Agency code"), TEXT),
            Column(pgettext("statistics export", "Agency"), TEXT),
            Column(pgettext("statistics export", "Channel"), TEXT),
            Column(pgettext("statistics export", "Received on"), DATE),
            Column(pgettext("statistics export", "Due on"), DATE),
            Column(pgettext("statistics export", "Resolved on"), DATE),
            Column(pgettext("statistics export", "Closed on"), DATE),
            Column(pgettext("statistics export", "Outcome"), TEXT),
            Column(pgettext("statistics export", "On time"), TEXT),
        ],
        _drill_rows(facts.iterator(chunk_size=DRILL_CHUNK)),
    )


TABLES: dict[str, Callable[[Filters, Scope], Table]] = {
    "summary": summary,
    "agency": agency,
    "unit": unit,
    "procedure": procedure,
    "field": field,
    "channel": channel,
    "trend": trend,
    "index": index,
}


def table(name: str, filters: Filters, scope: Scope, which: str = "") -> Table:
    """The table ``name`` (``drill`` needs ``which``); KeyError if unknown."""
    if name == "drill":
        if which not in figures.DRILLS:
            raise KeyError(which)
        return drill(filters, scope, which)
    return TABLES[name](filters, scope)


NAMES = (*TABLES, "drill")


def file_name(name: str, filters: Filters, extension: str, which: str = "") -> str:
    """``thong-ke-agency-2026-05-01-2026-05-31.csv`` (the drill names its figure)."""
    label = f"{name}-{which.replace('_', '-')}" if which else name
    return f"thong-ke-{label}-{filters.start:%Y-%m-%d}-{filters.end:%Y-%m-%d}.{extension}"


def as_csv_value(value: Any, column: Column) -> Any:
    """A rate as a percentage number (50.0 for half) in the CSV."""
    if column.kind == RATE and isinstance(value, float):
        return round(value * 100, 2)
    return value


def csv_headers(t: Table) -> list[str]:
    return [f"{c.label} (%)" if c.kind == RATE else c.label for c in t.columns]


def csv_rows(t: Table) -> Iterator[list[Any]]:
    for row in t.rows:
        yield [as_csv_value(v, c) for v, c in zip(row, t.columns, strict=True)]

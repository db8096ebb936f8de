"""The public statistics: what the city publishes to everyone, without sign-in.

Per procedure and per agency, for a year, a quarter or a month (and a field):
the dossiers received, the share received online and the on-time rate
(resolved on time / resolved), as the national portal publishes them; the city
totals; the Decision 766 score of the city with its five groups, and each
agency's total and rank. Never a dossier code, never personal data.

Small cells are suppressed, so that a published figure cannot point at a
person: a count under ``settings.EGOV_STATS_MIN_CELL`` is shown as "< 5", a
rate whose denominator is under it as "—". When exactly one row of a table is
suppressed in a column, the next smallest is suppressed too (complementary
suppression), since the first could otherwise be worked out from the total.

The parsing, the suppression and the tables are pure functions; ``collect``
reads the figures (a fixed number of queries) and ``published`` caches it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation

from stats import figures, index766
from stats.figures import CITY, Filters, Measures, Row
from stats.index766 import GroupScore, Score

SMALL = "small"  # under the threshold itself
COMPLEMENTARY = "complementary"  # hidden so that a small one cannot be worked out
YEARS_BACK = 9


def min_cell() -> int:
    return int(getattr(settings, "EGOV_STATS_MIN_CELL", 5))


# --- The period ----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A year, or one of its quarters or months, and optionally a field."""

    year: int
    quarter: int | None = None
    month: int | None = None
    field: str = ""

    def bounds(self, today: dt.date) -> tuple[dt.date, dt.date]:
        if self.month:
            start = dt.date(self.year, self.month, 1)
            end = _month_end(self.year, self.month)
        elif self.quarter:
            start = dt.date(self.year, 3 * self.quarter - 2, 1)
            end = _month_end(self.year, 3 * self.quarter)
        else:
            start, end = dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
        return start, min(end, today)

    def filters(self, today: dt.date) -> Filters:
        start, end = self.bounds(today)
        return Filters(start=start, end=end, grain="month", field=self.field)

    def query(self, **changes: Any) -> dict[str, str]:
        """The period as a query string dict (for links that keep it)."""
        values: dict[str, Any] = {
            "year": self.year,
            "quarter": self.quarter,
            "month": self.month,
            "field": self.field,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v}

    def key(self) -> str:
        return f"{self.year}:{self.quarter or ''}:{self.month or ''}:{self.field}"


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def parse_period(query: Mapping[str, str], today: dt.date) -> tuple[Period, tuple[str, ...]]:
    """The period asked for in ``year``, ``quarter``, ``month`` and ``field``.
    Default: this year so far. A bad value is named in the errors and left out
    (a month wins over a quarter it is not in: the quarter is the error)."""
    errors: list[str] = []

    def number(name: str, low: int, high: int) -> int | None:
        raw = (query.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit() and low <= int(raw) <= high:
            return int(raw)
        errors.append(name)
        return None

    year = number("year", today.year - YEARS_BACK, today.year) or today.year
    quarter = number("quarter", 1, 4)
    month = number("month", 1, 12)
    if month and quarter and (month - 1) // 3 + 1 != quarter:
        errors.append("quarter")
        quarter = None
    if month:
        quarter = None  # the month says it all
    if year == today.year and month and month > today.month:
        errors.append("month")
        month = None
    if year == today.year and quarter and 3 * quarter - 2 > today.month:
        errors.append("quarter")
        quarter = None
    field = (query.get("field") or "").strip()[:40]
    return Period(year, quarter, month, field), tuple(errors)


def years(today: dt.date) -> list[int]:
    return list(range(today.year, today.year - YEARS_BACK - 1, -1))


# --- Suppression -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A published figure: ``value`` is None when it is suppressed (``reason``
    says why: SMALL or COMPLEMENTARY). A rate is a percentage (one decimal)."""

    value: int | float | None
    reason: str = ""
    rate: bool = False

    @property
    def suppressed(self) -> bool:
        return bool(self.reason)

    def display(self, threshold: int | None = None) -> str:
        """The text shown for it, whatever the language ("< 5", "—", "×")."""
        if self.reason == COMPLEMENTARY:
            return "×"
        if self.reason == SMALL:
            return "—" if self.rate else f"< {threshold or min_cell()}"
        if self.value is None:
            return "—"
        return str(self.value)


def hidden(denominators: Sequence[int], threshold: int) -> list[str]:
    """For one column of a table: why each row is suppressed ("" if shown).
    Under the threshold: SMALL; if exactly one row is, the row with the next
    smallest denominator is COMPLEMENTARY (it would give the first away
    through the total)."""
    reasons = [SMALL if d < threshold else "" for d in denominators]
    if reasons.count(SMALL) == 1:
        rest = sorted((d, i) for i, d in enumerate(denominators) if not reasons[i])
        if rest:
            reasons[rest[0][1]] = COMPLEMENTARY
    return reasons


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class PublicRow:
    code: str
    label: str
    received: Cell
    online_share: Cell
    on_time_rate: Cell
    kind: str = ""
    index_total: Decimal | None = None
    rank: int | None = None
    peers: int = 0


@dataclass(frozen=True)
class Entry:
    """What a row is computed from (the figures before suppression)."""

    code: str
    label: str
    measures: Measures
    kind: str = ""
    index_total: Decimal | None = None
    rank: int | None = None
    peers: int = 0


def table(entries: Sequence[Entry], threshold: int, alone: bool = False) -> list[PublicRow]:
    """The rows of one table, suppressed. ``alone``: a single row (the city's
    total) has no total to be worked out from, so no complementary cell."""
    received = [e.measures.received for e in entries]
    resolved = [e.measures.resolved for e in entries]
    by_received = hidden(received, threshold)
    by_resolved = hidden(resolved, threshold)
    if alone:
        by_received = [r if r == SMALL else "" for r in by_received]
        by_resolved = [r if r == SMALL else "" for r in by_resolved]
    rows = []
    for e, why_received, why_resolved in zip(entries, by_received, by_resolved, strict=True):
        m = e.measures
        rows.append(
            PublicRow(
                code=e.code,
                label=e.label,
                received=Cell(None if why_received else m.received, why_received),
                # The share is over the dossiers received: hidden with them.
                online_share=Cell(
                    None if why_received else _percent(m.received_online, m.received),
                    why_received,
                    rate=True,
                ),
                on_time_rate=Cell(
                    None if why_resolved else _percent(m.resolved_on_time, m.resolved),
                    why_resolved,
                    rate=True,
                ),
                kind=e.kind,
                index_total=e.index_total,
                rank=e.rank,
                peers=e.peers,
            )
        )
    return rows


# --- The published figures -------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    start: dt.date
    end: dt.date
    threshold: int
    total: PublicRow
    procedures: list[PublicRow]
    agencies: list[PublicRow]
    city_groups: list[GroupScore]
    fields: list[tuple[str, str]]

    @property
    def city_index(self) -> Decimal:
        return sum((g.points for g in self.city_groups), Decimal("0"))


def agency_entries(rows: Sequence[Row], scores: Sequence[Score]) -> list[Entry]:
    """Each agency scored by the index or with dossiers in the period, with its
    figures and its index total and rank (among agencies of its kind)."""
    measures = {r.code: r for r in rows}
    entries = []
    seen = set()
    for s in scores:
        row = measures.get(s.code)
        entries.append(
            Entry(
                s.code,
                s.label,
                row.measures if row else Measures(),
                s.kind,
                s.total,
                s.rank,
                s.peers,
            )
        )
        seen.add(s.code)
    for r in rows:
        if r.code not in seen:
            entries.append(Entry(r.code, r.label, r.measures))
    return entries


def collect(period: Period, today: dt.date) -> Published:
    """Read the figures of the period for the whole city (a fixed number of
    queries, whatever the number of dossiers) and suppress the small cells."""
    from procedures.models import Field

    filters = period.filters(today)
    threshold = min_cell()
    total = figures.summary(filters, CITY)
    procedures = figures.breakdown(filters, CITY, "procedure")
    agencies = agency_entries(
        figures.breakdown(filters, CITY, "agency"), index766.scores(filters, "agency")
    )
    english = translation.get_language() == "en"
    field_names = [
        (code, (name_en if english and name_en else name))
        for code, name, name_en in Field.objects.order_by("name").values_list(
            "code", "name", "name_en"
        )
    ]
    return Published(
        start=filters.start,
        end=filters.end,
        threshold=threshold,
        total=table([Entry("", "", total)], threshold, alone=True)[0],
        procedures=table(
            sorted((Entry(r.code, r.label, r.measures) for r in procedures), key=_by_label),
            threshold,
        ),
        agencies=table(agencies, threshold),
        city_groups=index766.city_score(filters, CITY),
        fields=field_names,
    )


def _by_label(e: Entry) -> tuple[str, str]:
    return (e.label, e.code)


def published(period: Period, today: dt.date) -> Published:
    """``collect`` cached under the figures' version."""
    parts = [period.key(), translation.get_language() or "", today.isoformat(), str(min_cell())]
    return figures.cached("public", parts, lambda: collect(period, today))

"""Reading the statistics: filters, who may see what, and the figures.

Every function reads the roll-ups (``DailyFigure``, ``DailyDuration``) or,
for what is open now, the facts' partial index: the same few queries
whatever the number of dossiers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.models import AdministrativeUnit, Agency, Role, User
from citizens.permissions import agencies_of, jurisdiction_units
from procedures.models import Field, Procedure
from stats.models import (
    DURATION_CAP,
    ONLINE_CHANNELS,
    Channel,
    DailyDuration,
    DailyFigure,
    DossierFact,
    Outcome,
    StatsState,
)
from stats.rollup import MEASURES, VERSION_KEY

T = TypeVar("T")

GRAINS = {"day": _("day"), "month": _("month"), "quarter": _("quarter"), "year": _("year")}
DIMENSIONS = {
    "agency": ("agency_id", "agency__name", "agency__code"),
    "unit": ("unit_id", "unit__name", "unit__code"),
    "procedure": ("procedure_id", "procedure__name", "procedure__code"),
    "field": ("field_id", "field__name", "field__code"),
    "channel": ("channel", None, None),
}


# --- Who sees what ---------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The agencies whose figures a user may see: ``None`` is the whole city."""

    agency_ids: frozenset[Any] | None

    @property
    def is_city(self) -> bool:
        return self.agency_ids is None

    def key(self) -> str:
        return "city" if self.agency_ids is None else ",".join(sorted(map(str, self.agency_ids)))


CITY = Scope(None)
STAFF_ROLES = {Role.CLERK, Role.OFFICER, Role.HEAD, Role.STATISTICIAN}


def scope_for(user: User) -> Scope | None:
    """The city for a statistician (or a superuser); for other staff the
    agencies of their jurisdiction (a city department's: every agency in the
    units below it); None for anyone else (no statistics pages)."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return CITY
    memberships = [m for m in user.active_memberships if m.role in STAFF_ROLES]
    if any(m.role == Role.STATISTICIAN for m in memberships):
        return CITY
    if not memberships:
        return None
    agencies = [a for a in agencies_of(user) if any(m.agency_id == a.pk for m in memberships)]
    ids = Agency.objects.filter(unit__in=jurisdiction_units(agencies)).values_list("pk", flat=True)
    return Scope(frozenset(ids) | {a.pk for a in agencies})


# --- Filters -----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    grain: str = "month"
    agency: str = ""  # agency code
    unit: str = ""  # ward/commune (or district) code
    procedure: str = ""  # procedure code
    field: str = ""  # field code
    errors: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str], today: dt.date | None = None) -> Filters:
        """From the URL's query string (``from``, ``to``, ``grain``, ``agency``,
        ``unit``, ``procedure``, ``field``). A bad value is named in ``errors``
        and replaced by its default; the rest is kept."""
        today = today or timezone.localdate()
        errors: list[str] = []

        def day(name: str, default: dt.date) -> dt.date:
            raw = (query.get(name) or "").strip()
            if not raw:
                return default
            try:
                return dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(name)
                return default

        start = day("from", today.replace(month=1, day=1))
        end = day("to", today)
        if start > end:
            errors.append("to")
            start, end = end, start
        if (end - start).days > 366 * 5:
            errors.append("from")
            start = end - dt.timedelta(days=366 * 5)
        grain = (query.get("grain") or "month").strip()
        if grain not in GRAINS:
            errors.append("grain")
            grain = "month"
        text = {
            k: (query.get(k) or "").strip()[:40] for k in ("agency", "unit", "procedure", "field")
        }
        return cls(start=start, end=end, grain=grain, errors=tuple(errors), **text)

    def query(self, **changes: str) -> dict[str, str]:
        """The filters as a query string dict (for links that keep them)."""
        values = {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "grain": self.grain,
            "agency": self.agency,
            "unit": self.unit,
            "procedure": self.procedure,
            "field": self.field,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}

    def key(self) -> str:
        data = asdict(self)
        data.pop("errors")
        return json.dumps(data, default=str, sort_keys=True)


def _apply(qs: QuerySet, filters: Filters, scope: Scope, day: str = "day") -> QuerySet:
    qs = qs.filter(**{f"{day}__range": (filters.start, filters.end)})
    return _where(qs, filters, scope)


def _where(qs: QuerySet, filters: Filters, scope: Scope) -> QuerySet:
    if scope.agency_ids is not None:
        qs = qs.filter(agency_id__in=scope.agency_ids)
    if filters.agency:
        qs = qs.filter(agency__code=filters.agency)
    if filters.unit:
        qs = qs.filter(Q(unit__code=filters.unit) | Q(unit__parent__code=filters.unit))
    if filters.procedure:
        qs = qs.filter(procedure__code=filters.procedure)
    if filters.field:
        qs = qs.filter(field__code=filters.field)
    return qs


# --- The figures --------------------------------------------------------------------


@dataclass
class Measures:
    """The sums of a set of daily cells, and the rates people read."""

    received: int = 0
    received_digitised: int = 0
    received_reused: int = 0
    received_with_fee: int = 0
    received_paid_online: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    resolved_late_apologised: int = 0
    rejected: int = 0
    results_digital: int = 0
    processing_days: int = 0
    refused: int = 0
    withdrawn: int = 0
    supplements: int = 0
    ratings: int = 0
    rating_sum: int = 0
    satisfied: int = 0
    received_online: int = 0
    received_online_full: int = 0
    received_online_partial: int = 0
    received_counter: int = 0
    received_post: int = 0
    received_linked: int = 0

    @staticmethod
    def ratio(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def on_time_rate(self) -> float | None:
        return self.ratio(self.resolved_on_time, self.resolved)

    @property
    def online_share(self) -> float | None:
        return self.ratio(self.received_online, self.received)

    @property
    def paid_online_share(self) -> float | None:
        return self.ratio(self.received_paid_online, self.received_with_fee)

    @property
    def average_days(self) -> float | None:
        return self.processing_days / self.resolved if self.resolved else None

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.ratings if self.ratings else None

    @property
    def satisfied_share(self) -> float | None:
        return self.ratio(self.satisfied, self.ratings)

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in (
            "on_time_rate",
            "online_share",
            "paid_online_share",
            "average_days",
            "average_rating",
            "satisfied_share",
        ):
            data[name] = getattr(self, name)
        return data


CHANNEL_SUMS = {
    "received_online": Q(channel__in=ONLINE_CHANNELS),
    "received_online_full": Q(channel=Channel.ONLINE_FULL),
    "received_online_partial": Q(channel=Channel.ONLINE_PARTIAL),
    "received_counter": Q(channel=Channel.COUNTER),
    "received_post": Q(channel=Channel.POST),
    "received_linked": Q(channel=Channel.LINKED),
}


def _sums() -> dict[str, Any]:
    # Named apart from the columns (an aggregate may not share a column's name).
    sums: dict[str, Any] = {f"t_{m}": Sum(m) for m in MEASURES}
    sums.update({f"t_{name}": Sum("received", filter=q) for name, q in CHANNEL_SUMS.items()})
    return sums


def _measures(row: Mapping[str, Any]) -> Measures:
    return Measures(**{f.name: row.get(f"t_{f.name}") or 0 for f in fields(Measures)})


def summary(filters: Filters, scope: Scope) -> Measures:
    return _measures(_apply(DailyFigure.objects.all(), filters, scope).aggregate(**_sums()))


@dataclass
class Row:
    key: Any
    label: str
    code: str
    measures: Measures
    extra: dict[str, Any] = field(default_factory=dict)


def breakdown(filters: Filters, scope: Scope, by: str) -> list[Row]:
    """The figures per agency, unit, procedure, field or channel (one query)."""
    key, name, code = DIMENSIONS[by]
    columns = [c for c in (key, name, code) if c]
    qs = _apply(DailyFigure.objects.all(), filters, scope).values(*columns).annotate(**_sums())
    rows = []
    for row in qs.order_by(*columns):
        label = row[name] if name else str(Channel(row[key]).label)
        rows.append(Row(row[key], label, row[code] if code else row[key], _measures(row)))
    return rows


def trend(filters: Filters, scope: Scope) -> list[tuple[dt.date, Measures]]:
    """The figures per day, month, quarter or year of the period (one query)."""
    qs = (
        _apply(DailyFigure.objects.all(), filters, scope)
        .annotate(
            bucket=Trunc("day", filters.grain, output_field=DailyFigure._meta.get_field("day"))
        )
        .values("bucket")
        .annotate(**_sums())
        .order_by("bucket")
    )
    return [(row["bucket"], _measures(row)) for row in qs]


@dataclass
class Durations:
    resolved: int
    p90: int | None
    capped: bool
    histogram: list[tuple[int, int]]


def durations(filters: Filters, scope: Scope) -> Durations:
    """The 90th percentile of processing time in working days (one query)."""
    rows = list(
        _apply(DailyDuration.objects.all(), filters, scope)
        .values("days")
        .annotate(n=Sum("count"))
        .order_by("days")
    )
    total = sum(r["n"] for r in rows)
    p90 = None
    seen = 0
    for r in rows:
        seen += r["n"]
        if seen >= 0.9 * total:
            p90 = r["days"]
            break
    return Durations(total, p90, p90 == DURATION_CAP, [(r["days"], r["n"]) for r in rows])


@dataclass
class OpenNow:
    overdue: int = 0
    within_time: int = 0
    paused: int = 0
    overdue_apologised: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.within_time + self.paused


def _open(filters: Filters, scope: Scope) -> QuerySet:
    return _where(DossierFact.objects.filter(outcome=Outcome.OPEN), filters, scope)


def _open_sums(today: dt.date) -> dict[str, Any]:
    return {
        "n_paused": Count("pk", filter=Q(paused=True)),
        "n_overdue": Count("pk", filter=Q(paused=False, due_date__lt=today)),
        "n_within_time": Count(
            "pk", filter=Q(paused=False) & (Q(due_date__gte=today) | Q(due_date__isnull=True))
        ),
        "n_overdue_apologised": Count(
            "pk", filter=Q(paused=False, due_date__lt=today, apologised=True)
        ),
    }


def open_now(filters: Filters, scope: Scope, today: dt.date | None = None) -> OpenNow:
    """Dossiers open now (whatever the period): overdue, within time, paused."""
    today = today or timezone.localdate()
    row = _open(filters, scope).aggregate(**_open_sums(today))
    return OpenNow(**{k[2:]: v for k, v in row.items()})


def open_now_by(
    filters: Filters, scope: Scope, by: str, today: dt.date | None = None
) -> dict[Any, OpenNow]:
    today = today or timezone.localdate()
    key = DIMENSIONS[by][0]
    rows = _open(filters, scope).values(key).annotate(**_open_sums(today)).order_by(key)
    return {
        r[key]: OpenNow(
            r["n_overdue"], r["n_within_time"], r["n_paused"], r["n_overdue_apologised"]
        )
        for r in rows
    }


def dossiers(filters: Filters, scope: Scope, which: str) -> QuerySet:
    """The facts behind a figure (for the drill-down): ``which`` is a measure
    name (``received``, ``resolved_late``, ``overdue``…)."""
    f = DossierFact.objects.all()
    today = timezone.localdate()
    period = (filters.start, filters.end)
    choices: dict[str, Q] = {
        "received": Q(received_on__range=period),
        "received_online": Q(received_on__range=period, channel__in=ONLINE_CHANNELS),
        "received_not_online": Q(received_on__range=period)
        & ~Q(channel__in=[*ONLINE_CHANNELS, Channel.LINKED]),
        "received_not_reused": Q(received_on__range=period, reused_data=False),
        "received_not_digitised": Q(received_on__range=period, digitised=False),
        "received_unpaid_online": Q(received_on__range=period, fee__gt=0, paid_online=False),
        "resolved": Q(resolved_on__range=period),
        "resolved_on_time": Q(resolved_on__range=period, on_time=True),
        "resolved_late": Q(resolved_on__range=period, on_time=False),
        "resolved_late_unapologised": Q(resolved_on__range=period, on_time=False, apologised=False),
        "results_not_digital": Q(
            resolved_on__range=period, result_digital=False, outcome=Outcome.APPROVED
        ),
        "rejected": Q(resolved_on__range=period, outcome=Outcome.REJECTED),
        "refused": Q(closed_on__range=period, outcome=Outcome.REFUSED),
        "withdrawn": Q(closed_on__range=period, outcome=Outcome.WITHDRAWN),
        "supplements": Q(supplement_dates__overlap=_days(filters.start, filters.end)),
        "unsatisfied": Q(rated_on__range=period, rating__lt=4),
        "overdue": Q(outcome=Outcome.OPEN, paused=False, due_date__lt=today),
        "overdue_unapologised": Q(
            outcome=Outcome.OPEN, paused=False, due_date__lt=today, apologised=False
        ),
        "within_time": Q(outcome=Outcome.OPEN, paused=False, due_date__gte=today),
        "paused": Q(outcome=Outcome.OPEN, paused=True),
    }
    if which not in choices:
        raise KeyError(which)
    return _where(f.filter(choices[which]), filters, scope).select_related("agency", "procedure")


DRILLS = (
    "received",
    "received_online",
    "received_not_online",
    "received_not_reused",
    "received_not_digitised",
    "received_unpaid_online",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "resolved_late_unapologised",
    "results_not_digital",
    "rejected",
    "refused",
    "withdrawn",
    "supplements",
    "unsatisfied",
    "overdue",
    "overdue_unapologised",
    "within_time",
    "paused",
)


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


# --- Names for the filters -------------------------------------------------------------


def choices(scope: Scope) -> dict[str, list[tuple[str, str]]]:
    """The agencies, wards, procedures and fields a filter may choose (4 queries)."""
    agencies = Agency.objects.filter(is_active=True)
    if scope.agency_ids is not None:
        agencies = agencies.filter(pk__in=scope.agency_ids)
    units = AdministrativeUnit.objects.filter(pk__in=agencies.values("unit_id"))
    return {
        "agency": list(agencies.order_by("name").values_list("code", "name")),
        "unit": list(units.order_by("name").values_list("code", "name")),
        "procedure": list(
            Procedure.objects.filter(is_published=True).order_by("name").values_list("code", "name")
        ),
        "field": list(Field.objects.order_by("name").values_list("code", "name")),
    }


# --- Caching -----------------------------------------------------------------------------


def version() -> int:
    """The figures' version (1 query), read again in this process once it is
    ``EGOV_STATS_VERSION_SECONDS`` old: a page may be that much behind a
    refresh made by another process (a refresh made here is seen at once)."""
    seconds = settings.EGOV_STATS_VERSION_SECONDS
    if seconds:
        known = caches["local"].get(VERSION_KEY)
        if known is not None:
            return known
    current = StatsState.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    if seconds:
        caches["local"].set(VERSION_KEY, current, seconds)
    return current


def cached(
    name: str,
    parts: Iterable[str],
    compute: Callable[[], T],
    timeout: int = 300,
    *,
    local: bool = False,
) -> T:
    """``compute()`` cached under the figures' version: any refresh of the
    roll-ups makes a new key. In Redis; with ``local``, also in this process
    (for whole pages: no Redis read of a large value)."""
    digest = hashlib.sha256("|".join([name, *parts]).encode()).hexdigest()[:32]
    key = f"stats:{version()}:{digest}"
    if local:
        value = caches["local"].get(key)
        if value is not None:
            return value
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    if local:
        caches["local"].set(key, value, timeout)
    return value

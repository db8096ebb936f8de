"""The Decision 766/QĐ-TTg service-quality index, computed from the figures.

The criteria and their points are data (``stats/data/decision_766.yaml``);
what is here is how each *metric* is measured, as a ratio with the dossiers
(or procedures) behind it, and how the data turns ratios into points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Q
from django.utils import translation

from citizens.models import Agency
from procedures.models import Procedure
from stats import figures
from stats.figures import Filters, Measures, OpenNow, Scope

DATA = Path(__file__).resolve().parent / "data" / "decision_766.yaml"


@dataclass(frozen=True)
class Criterion:
    code: str
    metric: str
    name: str
    name_en: str
    points: int
    scoring: str
    when_empty: str
    steps: tuple[tuple[float, float], ...] = ()

    @property
    def label(self) -> str:
        return self.name_en if translation.get_language() == "en" and self.name_en else self.name


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    name_en: str
    points: int
    criteria: tuple[Criterion, ...]

    @property
    def label(self) -> str:
        return self.name_en if translation.get_language() == "en" and self.name_en else self.name


@dataclass(frozen=True)
class Index:
    version: str
    groups: tuple[Group, ...]


# What each metric counts: (numerator, denominator, the drill-down of the
# dossiers that cost points, or "procedures" for a catalog metric).
METRICS: dict[str, str] = {
    "catalog_complete": "procedures",
    "procedures_full_online": "procedures",
    "procedures_pay_online": "procedures",
    "late_apologised": "resolved_late_unapologised",
    "overdue_apologised": "overdue_unapologised",
    "on_time": "resolved_late",
    "open_within_time": "overdue",
    "online_received": "received_not_online",
    "paid_online": "received_unpaid_online",
    "satisfied": "unsatisfied",
    "results_digital": "results_not_digital",
    "digitised": "received_not_digitised",
    "reused": "received_not_reused",
    "feedback_on_time": "feedback_late",
    "feedback_satisfied": "feedback_unsatisfied",
}
# The drill-downs that list feedback (engagement.Feedback), not dossiers.
FEEDBACK_DRILLS = ("feedback_late", "feedback_unsatisfied")


def load(path: Path = DATA) -> Index:
    """The index's groups and criteria from the data file (checked)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = []
    for g in raw["groups"]:
        criteria = []
        for c in g["criteria"]:
            if c["metric"] not in METRICS:
                raise ImproperlyConfigured(
                    f"766 criterion {c['code']}: unknown metric {c['metric']}"
                )
            if c.get("scoring", "linear") not in ("linear", "steps"):
                raise ImproperlyConfigured(f"766 criterion {c['code']}: unknown scoring")
            steps = tuple((float(s["at_least"]), float(s["points"])) for s in c.get("steps", ()))
            criteria.append(
                Criterion(
                    code=str(c["code"]),
                    metric=c["metric"],
                    name=c["name"],
                    name_en=c.get("name_en", ""),
                    points=int(c["points"]),
                    scoring=c.get("scoring", "linear"),
                    when_empty=c.get("when_empty", "full"),
                    steps=steps,
                )
            )
        group = Group(g["code"], g["name"], g.get("name_en", ""), int(g["points"]), tuple(criteria))
        if sum(c.points for c in group.criteria) != group.points:
            raise ImproperlyConfigured(
                f"766 group {group.code}: criteria do not add up to its points"
            )
        groups.append(group)
    if sum(g.points for g in groups) != 100:
        raise ImproperlyConfigured("766: the groups do not add up to 100 points")
    return Index(str(raw.get("version", "")), tuple(groups))


@cache
def index() -> Index:
    return load()


# --- Measuring ---------------------------------------------------------------------


@dataclass
class Catalog:
    """What the catalog offers an entity: procedures offered, complete,
    fully online, fee-bearing, fee-bearing payable online."""

    offered: int = 0
    complete: int = 0
    full_online: int = 0
    with_fee: int = 0
    fee_online: int = 0


def _complete() -> Q:
    return Q(is_published=True) & ~Q(summary="") & ~Q(legal_basis="") & Q(has_documents=True)


def catalogs(agency_ids: Iterable[Any] | None) -> dict[Any, Catalog]:
    """Per agency, its catalog counts (one query)."""
    from django.db.models import Exists, OuterRef

    from procedures.models import RequiredDocument

    qs = Procedure.objects.annotate(
        has_documents=Exists(RequiredDocument.objects.filter(procedure=OuterRef("pk")))
    )
    offered = qs.filter(offered_by__isnull=False)
    if agency_ids is not None:
        offered = offered.filter(offered_by__in=list(agency_ids))
    fee = Q(fee_online__gt=0) | Q(fee_counter__gt=0)
    online = Q(online_level__in=[Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL])
    rows = offered.values("offered_by").annotate(
        offered=Count("pk", distinct=True),
        complete=Count("pk", filter=_complete(), distinct=True),
        full_online=Count("pk", filter=Q(online_level=Procedure.OnlineLevel.FULL), distinct=True),
        with_fee=Count("pk", filter=fee, distinct=True),
        fee_online=Count("pk", filter=fee & online, distinct=True),
    )
    return {
        r["offered_by"]: Catalog(
            r["offered"], r["complete"], r["full_online"], r["with_fee"], r["fee_online"]
        )
        for r in rows
    }


@dataclass
class Engagement:
    """An entity's feedback in the period: answered (on time), and the
    senders' ratings of the answers (satisfied: 4 or 5 of 5)."""

    answered: int = 0
    answered_on_time: int = 0
    rated: int = 0
    satisfied: int = 0


ENGAGEMENT_FIELDS = ("answered", "answered_on_time", "rated", "satisfied")


def feedback_in(filters: Filters, agency_ids: Iterable[Any] | None) -> Any:
    """The feedback answered in the period (by the answer's day), of
    ``agency_ids`` (None: all) and of the agency or ward filtered. Feedback is
    about an agency, not a procedure: with a procedure or field filter there
    is none (the criteria then count nothing, as for an empty period)."""
    from engagement.models import Feedback

    items = Feedback.objects.filter(
        answered_at__date__gte=filters.start, answered_at__date__lte=filters.end
    )
    if filters.procedure or filters.field:
        return items.none()
    if agency_ids is not None:
        items = items.filter(agency_id__in=list(agency_ids))
    if filters.agency:
        items = items.filter(agency__code=filters.agency)
    if filters.unit:
        items = items.filter(
            Q(agency__unit__code=filters.unit) | Q(agency__unit__parent__code=filters.unit)
        )
    return items


def engagements(filters: Filters, agency_ids: Iterable[Any] | None = None) -> dict[Any, Engagement]:
    """Per agency, its feedback figures for the period (one query)."""
    rows = (
        feedback_in(filters, agency_ids)
        .values("agency_id")
        .annotate(
            answered=Count("pk"),
            answered_on_time=Count("pk", filter=Q(answered_on_time=True)),
            rated=Count("pk", filter=Q(rating__isnull=False)),
            satisfied=Count("pk", filter=Q(rating__gte=4)),
        )
    )
    return {r["agency_id"]: Engagement(*(r[f] for f in ENGAGEMENT_FIELDS)) for r in rows}


def _sum_engagements(items: Iterable[Engagement]) -> Engagement:
    total = Engagement()
    for e in items:
        for name in ENGAGEMENT_FIELDS:
            setattr(total, name, getattr(total, name) + getattr(e, name))
    return total


def _sum_catalogs(items: Iterable[Catalog]) -> Catalog:
    total = Catalog()
    for c in items:
        for name in ("offered", "complete", "full_online", "with_fee", "fee_online"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
    return total


def ratios(
    m: Measures, open_now: OpenNow, catalog: Catalog, engagement: Engagement | None = None
) -> dict[str, tuple[int, int]]:
    """Each metric as (part, whole)."""
    fb = engagement or Engagement()
    late = m.resolved_late
    received = m.received - m.received_linked  # handed-on dossiers were not filed here
    online = m.received_online
    return {
        "catalog_complete": (catalog.complete, catalog.offered),
        "procedures_full_online": (catalog.full_online, catalog.offered),
        "procedures_pay_online": (catalog.fee_online, catalog.with_fee),
        "late_apologised": (m.resolved_late_apologised, late),
        "overdue_apologised": (open_now.overdue_apologised, open_now.overdue),
        "on_time": (m.resolved_on_time, m.resolved),
        "open_within_time": (open_now.within_time + open_now.paused, open_now.total),
        "online_received": (online, received),
        "paid_online": (m.received_paid_online, m.received_with_fee),
        "satisfied": (m.satisfied, m.ratings),
        "results_digital": (m.results_digital, m.resolved),
        "digitised": (m.received_digitised, m.received),
        "reused": (m.received_reused, m.received),
        "feedback_on_time": (fb.answered_on_time, fb.answered),
        "feedback_satisfied": (fb.satisfied, fb.rated),
    }


def _quantize(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class CriterionScore:
    criterion: Criterion
    part: int
    whole: int
    points: Decimal

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def lost(self) -> Decimal:
        return Decimal(self.criterion.points) - self.points

    @property
    def drill(self) -> str:
        return METRICS[self.criterion.metric]


@dataclass
class GroupScore:
    group: Group
    criteria: list[CriterionScore]

    @property
    def points(self) -> Decimal:
        return sum((c.points for c in self.criteria), Decimal("0"))


@dataclass
class Score:
    key: Any
    label: str
    code: str
    kind: str
    groups: list[GroupScore]
    rank: int | None = None
    peers: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((g.points for g in self.groups), Decimal("0"))


def score_criterion(c: Criterion, part: int, whole: int) -> CriterionScore:
    if not whole:
        points = float(c.points) if c.when_empty == "full" else 0.0
    elif c.scoring == "steps":
        ratio = part / whole
        points = next((p for at_least, p in c.steps if ratio >= at_least), 0.0)
    else:
        points = c.points * part / whole
    return CriterionScore(c, part, whole, _quantize(points))


def score(ratio_map: dict[str, tuple[int, int]], idx: Index | None = None) -> list[GroupScore]:
    idx = idx or index()
    return [
        GroupScore(g, [score_criterion(c, *ratio_map[c.metric]) for c in g.criteria])
        for g in idx.groups
    ]


def scores(filters: Filters, by: str = "agency") -> list[Score]:
    """The index of every agency (or ward: ``by="unit"``) of the city for the
    period, ranked among its peers (agencies of the same kind; wards). A fixed
    number of queries."""
    city = figures.CITY
    rows = figures.breakdown(filters, city, by)
    open_by = figures.open_now_by(filters, city, by)
    agencies = list(
        Agency.objects.filter(is_active=True).values(
            "pk", "name", "code", "kind", "unit_id", "unit__name", "unit__code"
        )
    )
    catalog = catalogs(None)
    feedback = engagements(filters)
    entities: dict[Any, tuple[str, str, str, list[Any]]]
    if by == "agency":
        entities = {a["pk"]: (a["name"], a["code"], a["kind"], [a["pk"]]) for a in agencies}
    else:
        entities = {}
        for a in agencies:  # by ward: the agencies of each unit together
            name, code, kind, ids = entities.get(
                a["unit_id"], (a["unit__name"], a["unit__code"], "unit", [])
            )
            entities[a["unit_id"]] = (name, code, kind, [*ids, a["pk"]])
    measures = {r.key: r.measures for r in rows}
    result = []
    for key, (label, code, kind, agency_ids) in entities.items():
        open_now = open_by.get(key, OpenNow())
        cat = _sum_catalogs(catalog.get(a, Catalog()) for a in agency_ids)
        if not cat.offered and key not in measures:
            continue  # offers nothing and received nothing: not scored
        fb = _sum_engagements(feedback.get(a, Engagement()) for a in agency_ids)
        groups = score(ratios(measures.get(key, Measures()), open_now, cat, fb))
        result.append(Score(key, label, code, kind, groups))
    for kind in {s.kind for s in result}:
        peers = sorted((s for s in result if s.kind == kind), key=lambda s: (-s.total, s.label))
        for position, s in enumerate(peers, start=1):
            s.rank, s.peers = position, len(peers)
    return sorted(result, key=lambda s: (s.kind, s.rank or 0))


def city_score(filters: Filters, scope: Scope) -> list[GroupScore]:
    """The index of everything in ``scope`` taken together (the city's)."""
    m = figures.summary(filters, scope)
    open_now = figures.open_now(filters, scope)
    cat = _sum_catalogs(catalogs(scope.agency_ids).values())
    fb = _sum_engagements(engagements(filters, scope.agency_ids).values())
    return score(ratios(m, open_now, cat, fb))


def period_default(today: dt.date) -> Filters:
    return Filters(start=today.replace(month=1, day=1), end=today)


# --- What cost catalog points (the drill-down of the catalog criteria) ---------------

CATALOG_GAPS = ("incomplete", "not_full_online", "fee_not_online")
GAP_OF_METRIC = {
    "catalog_complete": "incomplete",
    "procedures_full_online": "not_full_online",
    "procedures_pay_online": "fee_not_online",
}


def catalog_gaps(
    agency_ids: Iterable[Any] | None, *, gap: str = "", agency: str = "", unit: str = ""
) -> Any:
    """The procedures an agency offers that cost it catalog points, one row
    (a dict) per agency and procedure, counted as ``catalogs()`` counts them:
    not published in full (1.1), not fully online (3.1), fee-bearing but not
    payable online (3.3). ``gap`` keeps one kind only; ``agency`` / ``unit``
    (codes) narrow the agencies. A lazy values() queryset: one query a page."""
    from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef

    from procedures.models import RequiredDocument

    def on_procedure(q: Q) -> Q:
        """``q`` (on a procedure's fields) read from an (agency, procedure) row."""
        children: list[Any] = []
        for child in q.children:
            pair: Any = child
            children.append(
                on_procedure(child) if isinstance(child, Q) else (f"procedure__{pair[0]}", pair[1])
            )
        result = Q(*children, _connector=q.connector, _negated=q.negated)
        return result

    fee = Q(fee_online__gt=0) | Q(fee_counter__gt=0)
    online = Q(online_level__in=[Procedure.OnlineLevel.FULL, Procedure.OnlineLevel.PARTIAL])
    complete = Q(is_published=True) & ~Q(summary="") & ~Q(legal_basis="")
    kinds = {
        "incomplete": ~(on_procedure(complete) & Q(has_documents=True)),
        "not_full_online": ~on_procedure(Q(online_level=Procedure.OnlineLevel.FULL)),
        "fee_not_online": on_procedure(fee & ~online),
    }
    qs = Procedure.offered_by.through.objects.annotate(
        has_documents=Exists(RequiredDocument.objects.filter(procedure=OuterRef("procedure_id")))
    )
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=list(agency_ids))
    if agency:
        qs = qs.filter(agency__code=agency)
    if unit:
        qs = qs.filter(Q(agency__unit__code=unit) | Q(agency__unit__parent__code=unit))
    wanted = kinds.get(gap) or (
        kinds["incomplete"] | kinds["not_full_online"] | kinds["fee_not_online"]
    )
    return (
        qs.filter(wanted)
        .annotate(
            **{
                f"gap_{name}": ExpressionWrapper(q, output_field=BooleanField())
                for name, q in kinds.items()
            }
        )
        .values(
            "procedure_id",
            "procedure__code",
            "procedure__name",
            "procedure__name_en",
            "agency__code",
            "agency__name",
            *(f"gap_{name}" for name in kinds),
        )
        .order_by("agency__name", "procedure__code")
    )

"""The read-only statistics API (mounted under /api/v1/statistics/).

    GET statistics/public/               anonymous: the public figures, small cells suppressed
    GET statistics/summary/              staff: the figures of their jurisdiction
    GET statistics/breakdown/<by>/       staff: per agency, unit, procedure, field or channel
    GET statistics/trend/                staff: per day, month, quarter or year
    GET statistics/index/                staff: the Decision 766 index per agency (or ?by=unit)

The staff endpoints take the dashboard's parameters (``from``, ``to``,
``grain``, ``agency``, ``unit``, ``procedure``, ``field``) and see what
``figures.scope_for`` allows: the city for a statistician, else the
jurisdiction of the user's agencies. Staff sign in as for the back-office API
(a session with its second factor, or a one-stop API key). Errors have the
shape ``{"code", "message", "data"}``: 400 ``invalid`` naming the bad
parameters in ``data``, 403 ``forbidden`` for an account without statistics,
404 ``not_found`` for an unknown breakdown.

The public endpoint takes only the public page's ``year``, ``quarter``,
``month`` and ``field``: arbitrary date ranges would let small cells be
recovered by differencing two periods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens.agency_api import AgencySystemAuthentication
from citizens.middleware import has_totp
from citizens.models import Agency
from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from stats import figures, index766, public
from stats.figures import DIMENSIONS, GRAINS, Filters, Measures, Scope
from stats.index766 import GroupScore, Score

T = TypeVar("T")
TAGS = ["statistics"]
# As the back-office API: a staff session (with its second factor) or a one-stop key.
STAFF_AUTHENTICATION = [SessionAuthentication, AgencySystemAuthentication]
INDEX_BY = ("agency", "unit")

# --- Serializers ---------------------------------------------------------------------------


class CountCellSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True, help_text="Null when suppressed.")
    display = serializers.CharField(help_text='As the page shows it: "< 5" for a small count.')
    suppressed = serializers.BooleanField()
    reason = serializers.ChoiceField(
        choices=["", public.SMALL, public.COMPLEMENTARY],
        help_text=(
            "small: under the threshold; complementary: hidden so that a small cell "
            "cannot be worked out from the total; empty when shown."
        ),
    )


class RateCellSerializer(CountCellSerializer):
    value = serializers.FloatField(  # type: ignore[assignment]
        allow_null=True, help_text="A percentage (one decimal); null when suppressed or empty."
    )
    display = serializers.CharField(
        help_text='As the page shows it: "—" when the denominator is under the threshold.'
    )


class PublicRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    received = CountCellSerializer()
    online_share = RateCellSerializer(help_text="Received online / received, in %.")
    on_time_rate = RateCellSerializer(help_text="Resolved on time / resolved, in %.")


class PublicAgencyRowSerializer(PublicRowSerializer):
    kind = serializers.CharField(help_text="The agency's kind (its peers in the ranking).")
    index_766 = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    peers = serializers.IntegerField()


class PublicTotalSerializer(serializers.Serializer):
    received = CountCellSerializer()
    online_share = RateCellSerializer()
    on_time_rate = RateCellSerializer()


class IndexGroupPointsSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    max_points = serializers.IntegerField()


class PublicIndexSerializer(serializers.Serializer):
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    groups = IndexGroupPointsSerializer(many=True)


class PublicPeriodSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(allow_null=True)
    month = serializers.IntegerField(allow_null=True)
    field = serializers.CharField(help_text="A field's code; empty for all.")
    start = serializers.DateField()
    end = serializers.DateField(help_text="At most today.")


class PublicStatisticsSerializer(serializers.Serializer):
    period = PublicPeriodSerializer()
    min_cell = serializers.IntegerField(help_text="Counts under it are suppressed.")
    total = PublicTotalSerializer()
    index_766 = PublicIndexSerializer()
    agencies = PublicAgencyRowSerializer(many=True)
    procedures = PublicRowSerializer(many=True)


class StatsMeasuresSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    received_digitised = serializers.IntegerField()
    received_reused = serializers.IntegerField()
    received_with_fee = serializers.IntegerField()
    received_paid_online = serializers.IntegerField()
    resolved = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    resolved_late = serializers.IntegerField()
    resolved_late_apologised = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results_digital = serializers.IntegerField()
    processing_days = serializers.IntegerField(help_text="Working days, summed.")
    refused = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    supplements = serializers.IntegerField()
    ratings = serializers.IntegerField()
    rating_sum = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    received_online = serializers.IntegerField()
    received_online_full = serializers.IntegerField()
    received_online_partial = serializers.IntegerField()
    received_counter = serializers.IntegerField()
    received_post = serializers.IntegerField()
    received_linked = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="0 to 1.")
    online_share = serializers.FloatField(allow_null=True, help_text="0 to 1.")
    paid_online_share = serializers.FloatField(allow_null=True, help_text="0 to 1.")
    average_days = serializers.FloatField(allow_null=True, help_text="Working days.")
    average_rating = serializers.FloatField(allow_null=True, help_text="1 to 5.")
    satisfied_share = serializers.FloatField(allow_null=True, help_text="0 to 1.")


class StatsFiltersSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="The `from` parameter.")
    end = serializers.DateField(help_text="The `to` parameter.")
    grain = serializers.CharField()
    agency = serializers.CharField()
    unit = serializers.CharField()
    procedure = serializers.CharField()
    field = serializers.CharField()


class StatsScopeSerializer(serializers.Serializer):
    city = serializers.BooleanField(help_text="True: the whole city.")
    agencies = serializers.ListField(
        child=serializers.CharField(), help_text="The agencies' codes (empty for the city)."
    )


class StatsSummarySerializer(serializers.Serializer):
    filters = StatsFiltersSerializer()
    scope = StatsScopeSerializer()
    measures = StatsMeasuresSerializer()


class StatsBreakdownRowSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="The code of the agency, unit, procedure, field or channel."
    )
    name = serializers.CharField()
    measures = StatsMeasuresSerializer()


class StatsBreakdownSerializer(serializers.Serializer):
    filters = StatsFiltersSerializer()
    scope = StatsScopeSerializer()
    by = serializers.CharField()
    rows = StatsBreakdownRowSerializer(many=True)


class StatsTrendPointSerializer(serializers.Serializer):
    bucket = serializers.DateField(help_text="The first day of the day, month, quarter or year.")
    measures = StatsMeasuresSerializer()


class StatsTrendSerializer(serializers.Serializer):
    filters = StatsFiltersSerializer()
    scope = StatsScopeSerializer()
    points = StatsTrendPointSerializer(many=True)


class IndexCriterionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    metric = serializers.CharField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    max_points = serializers.IntegerField()
    part = serializers.IntegerField()
    whole = serializers.IntegerField()
    ratio = serializers.FloatField(allow_null=True)
    drill = serializers.CharField(
        help_text=(
            "What lists what cost points: a dossier drill-down, `procedures`, or "
            "`feedback_late` / `feedback_unsatisfied` (the feedback behind criteria 4.2, 4.3)."
        )
    )


class IndexGroupSerializer(IndexGroupPointsSerializer):
    criteria = IndexCriterionSerializer(many=True)


class IndexRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="The agency's kind, or `unit` for a ward.")
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    rank = serializers.IntegerField(allow_null=True, help_text="Among peers of the same kind.")
    peers = serializers.IntegerField()
    groups = IndexGroupSerializer(many=True)


class IndexScopeTotalSerializer(serializers.Serializer):
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    groups = IndexGroupSerializer(many=True)


class StatsIndexSerializer(serializers.Serializer):
    filters = StatsFiltersSerializer()
    scope = StatsScopeSerializer()
    by = serializers.ChoiceField(choices=list(INDEX_BY))
    version = serializers.CharField(help_text="The index's version (the data file's).")
    scope_total = IndexScopeTotalSerializer(help_text="Everything in scope taken together.")
    rows = IndexRowSerializer(many=True)


# --- Shaping ----------------------------------------------------------------------------------


def _cell(cell: public.Cell, threshold: int) -> dict[str, Any]:
    return {
        "value": cell.value,
        "display": cell.display(threshold),
        "suppressed": cell.suppressed,
        "reason": cell.reason,
    }


def _public_row(row: public.PublicRow, threshold: int) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.label,
        "received": _cell(row.received, threshold),
        "online_share": _cell(row.online_share, threshold),
        "on_time_rate": _cell(row.on_time_rate, threshold),
        "kind": row.kind,
        "index_766": row.index_total,
        "rank": row.rank,
        "peers": row.peers,
    }


def _groups(groups: Sequence[GroupScore], criteria: bool) -> list[dict[str, Any]]:
    result = []
    for g in groups:
        item: dict[str, Any] = {
            "code": g.group.code,
            "name": g.group.label,
            "points": g.points,
            "max_points": g.group.points,
        }
        if criteria:
            item["criteria"] = [
                {
                    "code": c.criterion.code,
                    "name": c.criterion.label,
                    "metric": c.criterion.metric,
                    "points": c.points,
                    "max_points": c.criterion.points,
                    "part": c.part,
                    "whole": c.whole,
                    "ratio": c.ratio,
                    "drill": c.drill,
                }
                for c in g.criteria
            ]
        result.append(item)
    return result


def _filters(filters: Filters) -> dict[str, Any]:
    return {
        "start": filters.start,
        "end": filters.end,
        "grain": filters.grain,
        "agency": filters.agency,
        "unit": filters.unit,
        "procedure": filters.procedure,
        "field": filters.field,
    }


def _measures(m: Measures) -> dict[str, Any]:
    return m.as_dict()


# --- Parameters and checks ---------------------------------------------------------------------

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid: `data` names each bad parameter"),
    403: OpenApiResponse(
        ErrorSerializer, description="forbidden: the account has no statistics (staff only)"
    ),
}
FILTER_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day (ISO). Default: 1 January this year."
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (ISO). Default: today."),
    OpenApiParameter("grain", OpenApiTypes.STR, enum=list(GRAINS), description="For the trend."),
    OpenApiParameter("agency", OpenApiTypes.STR, description="An agency's code."),
    OpenApiParameter("unit", OpenApiTypes.STR, description="A ward's (or district's) code."),
    OpenApiParameter("procedure", OpenApiTypes.STR, description="A procedure's code."),
    OpenApiParameter("field", OpenApiTypes.STR, description="A field's code."),
]
PUBLIC_PARAMETERS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="Default: this year."),
    OpenApiParameter("quarter", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
    OpenApiParameter("month", OpenApiTypes.INT, enum=list(range(1, 13))),
    OpenApiParameter("field", OpenApiTypes.STR, description="A field's code."),
]


def _invalid(names: Sequence[str]) -> ValidationFailed:
    return ValidationFailed(data={name: [str(_("This value is not valid."))] for name in names})


def _scope(request: Request) -> Scope:
    """The user's statistics scope, or 403. A staff session must have passed
    its second factor (the back office's rule: the middleware only covers
    /back-office/ paths)."""
    user = request.user
    scope = figures.scope_for(user)  # type: ignore[arg-type]
    if scope is None:
        raise PermissionDeniedError(_("Only staff may read these statistics."))
    if request.auth is None and not has_totp(user):
        raise PermissionDeniedError(_("Set up two-step verification first."))
    return scope


def _query_filters(request: Request, extra: Sequence[str] = ()) -> Filters:
    filters = Filters.from_query(request.query_params)
    errors = [*filters.errors, *extra]
    if errors:
        raise _invalid(errors)
    return filters


def _scope_data(scope: Scope, codes: dict[Any, str]) -> dict[str, Any]:
    if scope.agency_ids is None:
        return {"city": True, "agencies": []}
    return {"city": False, "agencies": sorted(codes[pk] for pk in scope.agency_ids if pk in codes)}


def _agency_codes(scope: Scope) -> dict[Any, str]:
    if scope.agency_ids is None:
        return {}
    return dict(Agency.objects.filter(pk__in=scope.agency_ids).values_list("pk", "code"))


def _cached(name: str, scope: Scope, filters: Filters, compute: Callable[[], T], *extra: str) -> T:
    parts = [
        scope.key(),
        filters.key(),
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        *extra,
    ]
    return figures.cached(f"api:{name}", parts, compute)


class StaffStatisticsApi(APIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]


# --- Views ---------------------------------------------------------------------------------------


class PublicStatisticsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="The public statistics (no sign-in; small cells suppressed)",
        description=(
            "What the public statistics page shows, for a year, a quarter or a month "
            "(default: this year so far) and optionally a field: per agency and per "
            "procedure, the dossiers received, the share received online and the on-time "
            "rate, the city's totals and its Decision 766 score in five groups. A count "
            'under `min_cell` is suppressed (`reason: small`, shown as "< 5"), and a rate '
            'over fewer dossiers (shown as "—"); when a single row of a table is '
            "suppressed, the next smallest is too (`reason: complementary`)."
        ),
        parameters=PUBLIC_PARAMETERS,
        responses={200: PublicStatisticsSerializer, 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        today = timezone.localdate()
        period, errors = public.parse_period(request.query_params, today)
        data = public.published(period, today)
        if period.field and period.field not in dict(data.fields):
            errors = (*errors, "field")
        if errors:
            raise _invalid(errors)
        t = data.threshold
        body = {
            "period": {
                "year": period.year,
                "quarter": period.quarter,
                "month": period.month,
                "field": period.field,
                "start": data.start,
                "end": data.end,
            },
            "min_cell": t,
            "total": _public_row(data.total, t),
            "index_766": {"total": data.city_index, "groups": _groups(data.city_groups, False)},
            "agencies": [_public_row(r, t) for r in data.agencies],
            "procedures": [_public_row(r, t) for r in data.procedures],
        }
        return Response(PublicStatisticsSerializer(body).data)


class SummaryApi(StaffStatisticsApi):
    @extend_schema(
        tags=TAGS,
        summary="The figures of the period in your jurisdiction",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsSummarySerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        filters = _query_filters(request)

        def compute() -> dict[str, Any]:
            return {
                "filters": _filters(filters),
                "scope": _scope_data(scope, _agency_codes(scope)),
                "measures": _measures(figures.summary(filters, scope)),
            }

        body = _cached("summary", scope, filters, compute)
        return Response(StatsSummarySerializer(body).data)


class BreakdownApi(StaffStatisticsApi):
    @extend_schema(
        tags=TAGS,
        summary="The figures per agency, unit, procedure, field or channel",
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(DIMENSIONS)),
            *FILTER_PARAMETERS,
        ],
        responses={
            200: StatsBreakdownSerializer,
            **ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="not_found: no such breakdown"),
        },
    )
    def get(self, request: Request, by: str) -> Response:
        scope = _scope(request)
        if by not in DIMENSIONS:
            raise NotFoundError(_("There is no such breakdown."), data={"by": list(DIMENSIONS)})
        filters = _query_filters(request)

        def compute() -> dict[str, Any]:
            return {
                "filters": _filters(filters),
                "scope": _scope_data(scope, _agency_codes(scope)),
                "by": by,
                "rows": [
                    {"code": str(r.code), "name": r.label, "measures": _measures(r.measures)}
                    for r in figures.breakdown(filters, scope, by)
                ],
            }

        body = _cached("breakdown", scope, filters, compute, by)
        return Response(StatsBreakdownSerializer(body).data)


class TrendApi(StaffStatisticsApi):
    @extend_schema(
        tags=TAGS,
        summary="The figures per day, month, quarter or year (`grain`)",
        parameters=FILTER_PARAMETERS,
        responses={200: StatsTrendSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        filters = _query_filters(request)

        def compute() -> dict[str, Any]:
            return {
                "filters": _filters(filters),
                "scope": _scope_data(scope, _agency_codes(scope)),
                "points": [
                    {"bucket": bucket, "measures": _measures(m)}
                    for bucket, m in figures.trend(filters, scope)
                ],
            }

        body = _cached("trend", scope, filters, compute)
        return Response(StatsTrendSerializer(body).data)


def _index_rows(scores: Sequence[Score], scope: Scope, by: str) -> list[Score]:
    """The rows a user may see: all for the city, else their agencies' (or the
    wards of their agencies)."""
    if scope.agency_ids is None:
        return list(scores)
    if by == "agency":
        keys = set(scope.agency_ids)
    else:
        keys = set(Agency.objects.filter(pk__in=scope.agency_ids).values_list("unit_id", flat=True))
    return [s for s in scores if s.key in keys]


class IndexApi(StaffStatisticsApi):
    @extend_schema(
        tags=TAGS,
        summary="The Decision 766 index per agency (or ward), with groups and criteria",
        description=(
            "Every agency (or, with `by=unit`, every ward) is ranked among its peers of "
            "the same kind across the city; staff outside the city's scope get only the "
            "rows of their jurisdiction. `scope_total` is the index of everything in "
            "scope taken together."
        ),
        parameters=[
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(INDEX_BY), default="agency"),
            *FILTER_PARAMETERS,
        ],
        responses={200: StatsIndexSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        by = (request.query_params.get("by") or "agency").strip()
        filters = _query_filters(request, () if by in INDEX_BY else ("by",))

        def compute() -> dict[str, Any]:
            groups = index766.city_score(filters, scope)
            rows = _index_rows(index766.scores(filters, by), scope, by)
            return {
                "filters": _filters(filters),
                "scope": _scope_data(scope, _agency_codes(scope)),
                "by": by,
                "version": index766.index().version,
                "scope_total": {
                    "total": sum(g.points for g in groups),
                    "groups": _groups(groups, True),
                },
                "rows": [
                    {
                        "code": s.code,
                        "name": s.label,
                        "kind": s.kind,
                        "total": s.total,
                        "rank": s.rank,
                        "peers": s.peers,
                        "groups": _groups(s.groups, True),
                    }
                    for s in rows
                ],
            }

        body = _cached("index", scope, filters, compute, by)
        return Response(StatsIndexSerializer(body).data)

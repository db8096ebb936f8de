"""The statistics API: the public figures (anonymous, suppressed like the
page), the staff figures within each one's jurisdiction (the head of ward A
sees nothing of ward B, a statistician the city), 400 with the bad
parameters' names, and constant query counts. Staff sign in as in
tests/test_dossier_api.py (a session, with TOTP enrolled)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.models import Role
from onecounter.models import DossierStatus as S
from stats import facts
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, MembershipFactory, ProcedureFactory, UserFactory
from tests.stats.test_figures import build, dossier, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2026-04-01", "to": "2026-05-31"}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def staff(agency, role):
    user = MembershipFactory(agency=agency, role=role).user
    enrol_totp(user)
    return user


def test_the_public_figures_need_no_sign_in_and_are_suppressed_like_the_page(
    client,
    world,  # noqa: F811
    settings,
):
    settings.EGOV_STATS_MIN_CELL = 2
    build(world)
    response = client.get(reverse("api:stats-public"), {"year": "2026", "quarter": "2"})
    assert response.status_code == 200
    body = response.json()
    assert body["min_cell"] == 2
    assert body["period"]["start"] == "2026-04-01" and body["period"]["end"] == "2026-06-30"
    total = body["total"]
    assert total["received"] == {"value": 4, "display": "4", "suppressed": False, "reason": ""}
    assert total["online_share"]["value"] == 50.0 and total["on_time_rate"]["value"] == 50.0
    agencies = {a["code"]: a for a in body["agencies"]}
    assert agencies["UBB"]["received"] == {
        "value": None,
        "display": "< 2",
        "suppressed": True,
        "reason": "small",
    }
    assert agencies["UBB"]["on_time_rate"]["display"] == "—"
    # Ward A's 3 would give ward B's 1 away from the total: hidden too.
    assert agencies["UBA"]["received"]["value"] is None
    assert agencies["UBA"]["received"]["reason"] == "complementary"
    assert (agencies["UBB"]["rank"], agencies["UBA"]["rank"]) == (1, 2)
    assert agencies["UBA"]["index_766"] == "52.34"
    assert len(body["index_766"]["groups"]) == 5
    procedures = {p["code"]: p for p in body["procedures"]}
    assert procedures["1.000001"]["received"]["value"] == 2
    assert procedures["1.000001"]["online_share"]["value"] == 100.0
    assert procedures["1.000001"]["on_time_rate"]["reason"] == "small"
    assert "T-" not in response.content.decode()  # no dossier code


def test_the_public_figures_refuse_a_bad_period_naming_it(client, world):  # noqa: F811
    url = reverse("api:stats-public")
    response = client.get(url, {"month": "13", "year": "1990"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["data"]) == {"month", "year"}
    assert set(client.get(url, {"field": "nope"}).json()["data"]) == {"field"}


def test_a_statistician_sees_the_city_and_the_head_of_a_nothing_of_b(client, world):  # noqa: F811
    build(world)
    statistician = staff(AgencyFactory(code="SOTK"), Role.STATISTICIAN)
    head_a = staff(world["a"], Role.HEAD)

    client.force_login(statistician)
    body = client.get(reverse("api:stats-summary"), PERIOD).json()
    assert body["scope"] == {"city": True, "agencies": []}
    m = body["measures"]
    assert (m["received"], m["received_online"], m["resolved"], m["resolved_on_time"]) == (
        4,
        2,
        2,
        1,
    )
    assert m["on_time_rate"] == 0.5
    rows = client.get(reverse("api:stats-breakdown", args=["agency"]), PERIOD).json()["rows"]
    assert {r["code"]: r["measures"]["received"] for r in rows} == {"UBA": 3, "UBB": 1}
    index = client.get(reverse("api:stats-index"), PERIOD).json()
    assert [r["code"] for r in index["rows"]] == ["UBB", "UBA"]

    client.force_login(head_a)
    body = client.get(reverse("api:stats-summary"), PERIOD).json()
    assert body["scope"] == {"city": False, "agencies": ["UBA"]}
    assert body["measures"]["received"] == 3 and body["measures"]["refused"] == 0  # B's
    rows = client.get(reverse("api:stats-breakdown", args=["agency"]), PERIOD).json()["rows"]
    assert [r["code"] for r in rows] == ["UBA"]
    assert (
        client.get(
            reverse("api:stats-breakdown", args=["agency"]), PERIOD | {"agency": "UBB"}
        ).json()["rows"]
        == []
    )
    index = client.get(reverse("api:stats-index"), PERIOD).json()
    assert [r["code"] for r in index["rows"]] == ["UBA"]
    a = index["rows"][0]
    assert a["total"] == "52.34" and (a["rank"], a["peers"]) == (2, 2)
    assert [len(g["criteria"]) > 0 for g in a["groups"]] == [True] * 5
    assert index["scope_total"]["total"] == "52.34"  # A alone
    by_unit = client.get(reverse("api:stats-index"), PERIOD | {"by": "unit"}).json()
    assert [r["code"] for r in by_unit["rows"]] == [world["a"].unit.code]
    points = client.get(reverse("api:stats-trend"), PERIOD | {"grain": "month"}).json()["points"]
    assert [(p["bucket"], p["measures"]["received"]) for p in points] == [
        ("2026-04-01", 1),
        ("2026-05-01", 2),
    ]


def test_the_breakdowns_by_each_dimension_and_an_unknown_one_is_404(client, world):  # noqa: F811
    build(world)
    client.force_login(staff(world["a"], Role.STATISTICIAN))
    channels = client.get(reverse("api:stats-breakdown", args=["channel"]), PERIOD).json()
    assert {r["code"]: r["measures"]["received"] for r in channels["rows"]} == {
        "online_full": 2,
        "counter": 2,
    }
    for by in ("unit", "procedure", "field"):
        rows = client.get(reverse("api:stats-breakdown", args=[by]), PERIOD).json()["rows"]
        assert sum(r["measures"]["received"] for r in rows) == 4
    response = client.get(reverse("api:stats-breakdown", args=["colour"]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_citizen_an_anonymous_visitor_and_staff_without_a_second_factor_are_refused(
    client,
    world,  # noqa: F811
):
    url = reverse("api:stats-summary")
    assert client.get(url).status_code == 403
    client.force_login(UserFactory())
    response = client.get(url)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    client.force_login(MembershipFactory(agency=world["a"], role=Role.HEAD).user)  # no TOTP
    response = client.get(url)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_bad_parameters_are_a_400_naming_them(client, world):  # noqa: F811
    client.force_login(staff(world["a"], Role.STATISTICIAN))
    response = client.get(reverse("api:stats-summary"), {"from": "yesterday", "grain": "week"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["data"]) == {"from", "grain"}
    response = client.get(reverse("api:stats-index"), {"by": "street"})
    assert response.status_code == 400 and set(response.json()["data"]) == {"by"}
    response = client.get(reverse("api:stats-trend"), {"from": "2026-05-01", "to": "2026-04-01"})
    assert response.status_code == 400 and set(response.json()["data"]) == {"to"}


def more_dossiers():
    made = []
    for i in range(5):
        agency = AgencyFactory(code=f"UBY{i}")
        procedure = ProcedureFactory(code=f"3.00000{i}", online_level="full")
        procedure.offered_by.add(agency)
        for day in (4, 5, 6):
            made.append(
                dossier(
                    agency,
                    procedure,
                    status=S.RETURNED,
                    received=dt.date(2026, 5, day),
                    due=dt.date(2026, 5, 20),
                    ready=dt.date(2026, 5, 8),
                )
            )
    facts.refresh([d.pk for d in made])


def test_each_endpoint_costs_the_same_queries_for_few_or_many_dossiers(client, world):  # noqa: F811
    build(world)
    client.force_login(staff(world["a"], Role.STATISTICIAN))
    urls = [
        reverse("api:stats-public") + "?year=2026&quarter=2",
        reverse("api:stats-summary"),
        reverse("api:stats-breakdown", args=["procedure"]),
        reverse("api:stats-trend"),
        reverse("api:stats-index"),
        reverse("api:stats-index") + "?by=unit",
    ]

    def counts():
        cache.clear()
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, PERIOD if "?" not in url else {}).status_code == 200
            result.append(len(queries.captured_queries))
        return result

    few = counts()
    more_dossiers()
    many = counts()
    assert few == many

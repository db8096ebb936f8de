"""The staff statistics pages: the dashboard, the Decision 766 index and the
drill-downs; who sees what, the filters kept in the URL, bad filters shown and
replaced, and a page that costs the same queries whatever the data size."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.models import Role
from onecounter.models import DossierStatus as S
from stats import facts, views
from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, ProcedureFactory, UserFactory
from tests.stats import test_figures
from tests.stats.test_figures import build, dossier

pytestmark = pytest.mark.django_db

world = test_figures.world  # the hand-counted fixture

PERIOD = {"from": "2026-04-01", "to": "2026-05-31"}
DASHBOARD = reverse("stats:dashboard")
INDEX = reverse("stats:index766")


@pytest.fixture(autouse=True)
def _english_and_a_clean_cache(client):
    """Assertions read the English page; each test starts with no cached figures."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    cache.clear()
    yield
    cache.clear()


def staff(agency, role=Role.HEAD):
    user = MembershipFactory(agency=agency, role=role).user
    enrol_totp(user)
    return user


def figure(html: str, key: str) -> str:
    """The value shown on a key-figure card."""
    match = re.search(
        rf'data-testid="figure-{key}".*?class="stats-card__value">([^<]*)<', html, re.S
    )
    assert match, key
    return match.group(1).strip()


def card_link(html: str, key: str) -> str:
    match = re.search(
        rf'data-testid="figure-{key}".*?class="stats-card__link" href="([^"]+)"', html, re.S
    )
    assert match, key
    return match.group(1).replace("&amp;", "&")


# --- Who sees what ----------------------------------------------------------------------


def test_a_head_sees_the_figures_of_their_agency_only(client, world):
    build(world)
    client.force_login(staff(world["a"]))
    html = client.get(DASHBOARD, PERIOD).content.decode()
    # Ward A received three dossiers (one online, two at the counter), resolved
    # one on time and one late; ward B's overdue and refused dossiers are not here.
    assert figure(html, "received") == "3"
    assert figure(html, "online_full") == "1"
    assert figure(html, "counter") == "2"
    assert figure(html, "resolved_on_time") == "1"
    assert figure(html, "resolved_late") == "1"
    assert figure(html, "overdue") == "0"
    assert figure(html, "refused") == "0"
    assert figure(html, "withdrawn") == "1"
    assert figure(html, "supplements") == "1"
    assert figure(html, "p90_days") == "4"
    assert "UBND phường B" not in html
    assert "Your jurisdiction" in html


def test_a_statistician_sees_the_whole_city(client, world):
    build(world)
    client.force_login(staff(world["b"], Role.STATISTICIAN))
    html = client.get(DASHBOARD, PERIOD).content.decode()
    assert figure(html, "received") == "4"
    assert figure(html, "overdue") == "1"
    assert figure(html, "refused") == "1"
    assert figure(html, "online_share") == "50.0 %"
    assert "UBND phường A" in html and "UBND phường B" in html
    assert "The whole city" in html


@pytest.mark.parametrize(
    "url",
    [
        DASHBOARD,
        INDEX,
        reverse("stats:drill", args=["received"]),
        reverse("stats:procedures-drill"),
    ],
)
def test_a_citizen_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_staff_without_a_second_factor_are_sent_to_enrol_one(client, world):
    client.force_login(MembershipFactory(agency=world["a"], role=Role.HEAD).user)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


# --- Filters ---------------------------------------------------------------------------


def test_bad_filters_are_shown_and_replaced_by_defaults_keeping_what_was_typed(client, world):
    build(world)
    client.force_login(staff(world["a"]))
    response = client.get(DASHBOARD, {"from": "01/04/2026", "grain": "week", "agency": "UBB"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter the start date as a date" in html
    assert "Choose day, month, quarter or year" in html
    # Ward B is not the head's to choose: named as an error, every agency of theirs counted.
    assert "Choose an agency from the list" in html
    assert 'value="01/04/2026"' in html  # the form keeps what was typed
    assert response.context["filters"].grain == "month"
    assert response.context["filters"].agency == ""
    assert response.context["filters"].start == dt.date(2026, 1, 1)


def test_the_figures_link_to_their_dossiers_with_the_same_filters(client, world):
    build(world)
    client.force_login(staff(world["a"]))
    query = {**PERIOD, "grain": "quarter", "procedure": world["partial"].code}
    html = client.get(DASHBOARD, query).content.decode()
    assert figure(html, "received") == "2"  # the late and the withdrawn dossiers
    link = card_link(html, "resolved_late")
    assert link.startswith(reverse("stats:drill", args=["resolved_late"]))
    for name, value in query.items():
        assert f"{name}={value}" in link
    assert "channel=counter" in card_link(html, "counter")
    # The filter form shows the chosen values.
    assert re.search(r'<option value="quarter" selected>', html)


def test_a_filter_narrows_the_figures(client, world):
    build(world)
    client.force_login(staff(world["b"], Role.STATISTICIAN))
    html = client.get(DASHBOARD, {**PERIOD, "agency": "UBB"}).content.decode()
    assert figure(html, "received") == "1"
    assert figure(html, "overdue") == "1"


# --- Charts -------------------------------------------------------------------------------


def test_the_dashboard_draws_its_charts_on_the_server_with_their_numbers(client, world):
    build(world)
    client.force_login(staff(world["a"]))
    html = client.get(DASHBOARD, PERIOD).content.decode()
    assert "<script" not in html.split('id="main-content"')[1].split("</main>")[0]
    for chart in ("chart-trend", "chart-channel", "chart-on-time-unit", "chart-on-time-agency"):
        assert re.search(rf'<svg[^>]*id="{chart}"[^>]*role="img"', html), chart
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'data-testid="{chart}-table"' in html
    # The trend's table: April received 1 (resolved nothing), May received 2,
    # resolved 1 on time and 1 late.
    table = html.split('data-testid="chart-trend-table"')[1].split("</table>")[0]
    rows = re.findall(
        r"<tr><th scope=\"row\"[^>]*>([^<]+)</th>((?:<td[^>]*>[^<]*</td>)+)</tr>", table
    )
    cells = {label: re.findall(r">([^<]*)</td>", tds) for label, tds in rows}
    assert cells == {"04/2026": ["1", "0", "0"], "05/2026": ["2", "1", "1"]}
    # The ward chart and its table: ward A resolved 1 of 2 on time.
    assert "50.0 %" in html.split('data-testid="chart-on-time-unit-table"')[1].split("</table>")[0]


# --- Query counts -------------------------------------------------------------------------


def _many(world, n: int) -> None:
    made = [
        dossier(
            world["a"],
            world["full"],
            status=S.IN_PROCESSING,
            received=dt.date(2026, 5, 4) + dt.timedelta(days=i % 20),
            due=dt.date(2026, 5, 25),
        )
        for i in range(n)
    ]
    procedure = ProcedureFactory()
    procedure.offered_by.add(world["a"])
    made += [
        dossier(world["a"], procedure, status=S.IN_PROCESSING, received=dt.date(2026, 5, 6))
        for _ in range(n // 2)
    ]
    facts.refresh([d.pk for d in made])


def _queries(client, url, query) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, query).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "url",
    [
        DASHBOARD,
        INDEX,
        reverse("stats:drill", args=["received"]),
        reverse("stats:procedures-drill"),
    ],
)
def test_a_page_costs_the_same_queries_with_few_or_many_dossiers(client, world, url):
    build(world)
    client.force_login(staff(world["a"]))
    few = _queries(client, url, PERIOD)
    _many(world, 30)
    many = _queries(client, url, PERIOD)
    # (one of them the header's count of open failures, for a head: one UNION
    # query, kept EGOV_FAILURE_COUNT_SECONDS by a process outside the tests)
    assert few == many <= 26
    # From the cache: the session, the user's roles and the figures' version.
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, PERIOD)
    assert len(ctx) <= 10


def test_with_no_dossier_the_pages_say_there_is_nothing_to_show(client, world):
    client.force_login(staff(world["a"], Role.STATISTICIAN))
    html = client.get(DASHBOARD).content.decode()
    assert figure(html, "received") == "0" and figure(html, "online_share") == "–"
    assert "Nothing to show for these filters." in html
    assert client.get(INDEX).status_code == 200


# --- Drill-downs --------------------------------------------------------------------------


def test_the_drill_down_lists_the_dossiers_behind_a_figure(client, world):
    rows = build(world)
    client.force_login(staff(world["a"]))
    response = client.get(reverse("stats:drill", args=["resolved_late"]), PERIOD)
    html = response.content.decode()
    assert response.status_code == 200
    assert rows["late"].code in html
    assert rows["on_time"].code not in html
    detail = reverse("dossiers:detail", args=["UBA", rows["late"].pk])
    assert f'href="{detail}"' in html
    assert "14/05/2026" in html and "13/05/2026" in html  # resolved, due
    assert "1 dossier." in html


def test_a_drill_down_keeps_to_the_jurisdiction_and_the_channel(client, world):
    rows = build(world)
    client.force_login(staff(world["a"]))
    html = client.get(reverse("stats:drill", args=["received"]), PERIOD).content.decode()
    assert rows["overdue"].code not in html  # ward B's
    assert "3 dossiers." in html
    html = client.get(
        reverse("stats:drill", args=["received"]), {**PERIOD, "channel": "counter"}
    ).content.decode()
    assert "2 dossiers." in html and rows["on_time"].code not in html


def test_an_unknown_drill_down_is_not_found(client, world):
    client.force_login(staff(world["a"]))
    assert client.get(reverse("stats:drill", args=["everything"])).status_code == 404


def test_the_drill_down_is_paginated(client, world):
    _many(world, views.PAGE_SIZE + 5)
    client.force_login(staff(world["a"]))
    url = reverse("stats:drill", args=["received"])
    html = client.get(url, PERIOD).content.decode()
    assert "Page 1 of 2." in html and 'rel="next"' in html
    second = client.get(url, {**PERIOD, "page": 2}).content.decode()
    assert "Page 2 of 2." in second


# --- The 766 index --------------------------------------------------------------------------


def test_a_head_sees_their_agency_ranked_among_all_peers(client, world):
    build(world)
    client.force_login(staff(world["a"]))
    html = client.get(INDEX, PERIOD).content.decode()
    table = html.split('data-testid="scores-agency"')[1].split("</table>")[0]
    assert "UBND phường A" in table and "UBND phường B" not in table
    assert "52.34" in table and "2 / 2" in table
    assert "766/QĐ-TTg" in html
    assert "How the score is computed" in html
    # 2.1 (on time) lost 7 points: its link lists the late dossiers of ward A.
    criteria = html.split('data-testid="criteria-agency-UBA"')[1].split("</table>")[0]
    late = reverse("stats:drill", args=["resolved_late"])
    assert re.search(rf'href="{late}\?from=2026-04-01&amp;to=2026-05-31&amp;agency=UBA"', criteria)
    assert "7.00" in criteria


def test_a_statistician_sees_every_agency_and_ward(client, world):
    build(world)
    client.force_login(staff(world["b"], Role.STATISTICIAN))
    html = client.get(INDEX, PERIOD).content.decode()
    table = html.split('data-testid="scores-agency"')[1].split("</table>")[0]
    assert "UBND phường A" in table and "UBND phường B" in table
    assert "1 / 2" in table and "72.00" in table
    assert 'data-testid="scores-unit"' in html


def test_the_procedures_that_cost_catalog_points_are_listed_per_agency(client, world):
    build(world)
    client.force_login(staff(world["a"]))
    url = reverse("stats:procedures-drill")
    html = client.get(url, {"gap": "not_full_online"}).content.decode()
    assert world["partial"].code in html and world["full"].code not in html
    html = client.get(url, {"gap": "incomplete"}).content.decode()
    # Neither procedure has its documents listed: both cost ward A points.
    assert world["partial"].code in html and world["full"].code in html
    assert "2 procedures of agencies." in html
    client.force_login(staff(world["b"]))
    html = client.get(url, {"gap": "not_full_online"}).content.decode()
    assert world["partial"].code not in html  # offered by ward A only


def test_links_to_parts_not_yet_there_are_left_out():
    assert views.link("stats:no-such-page") is None
    assert views.link("stats:dashboard") == DASHBOARD


def test_the_weekly_e_mail_is_offered_to_heads_and_the_report_names_the_chosen_agency(
    client, world
):
    build(world)
    subscription = reverse("stats:subscription")
    client.force_login(staff(world["a"]))
    html = client.get(DASHBOARD, PERIOD).content.decode()
    assert f'href="{subscription}"' in html
    report = reverse("stats:report-monthly", args=["UBA", 2026, 5])
    assert f'href="{report}"' in html
    client.force_login(staff(world["b"], Role.STATISTICIAN))
    html = client.get(DASHBOARD, {**PERIOD, "agency": "UBA"}).content.decode()
    assert f'href="{subscription}"' not in html  # heads no agency
    assert "Monthly report of UBND phường A, 05/2026 (PDF)" in html


# --- The cached body is never another user's ---------------------------------------------


def test_two_heads_of_different_jurisdictions_get_their_own_cached_bodies(client, world):
    """The dashboard's body is cached per scope: the second head, asking for the
    same filters after the first, sees their own ward's figures and account."""
    build(world)
    head_a, head_b = staff(world["a"]), staff(world["b"])
    client.force_login(head_a)
    first = client.get(DASHBOARD, PERIOD).content.decode()
    client.force_login(head_b)
    second = client.get(DASHBOARD, PERIOD).content.decode()
    again = client.get(DASHBOARD, PERIOD).content.decode()  # from the cache
    assert figure(first, "received") == "3" and "UBND phường B" not in first
    assert "UBND phường A" not in second and "UBND phường A" not in again
    assert figure(second, "overdue") == figure(again, "overdue") == "1"
    assert head_a.email in first and head_a.email not in second
    assert head_b.email in second and head_b.email in again
    assert 'name="csrfmiddlewaretoken"' in again  # the sign-out form, rendered for them

"""The public statistics page: anyone may read it, the figures of the
hand-counted fixture (tests/stats/test_figures.py), small cells suppressed
("< N", "—", and the complementary "×"), never a dossier code, and the same
number of queries whatever the number of dossiers."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onecounter.models import DossierStatus as S
from stats import facts, page_cache, public
from tests.factories import AgencyFactory, ProcedureFactory
from tests.stats.test_figures import build, dossier, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

URL = "/statistics/public/"
MAY = {"year": "2026", "month": "5"}
SPRING = {"year": "2026", "quarter": "2"}


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test's database starts from the same figures' version: no page
    cached by another test may be served."""
    cache.clear()
    yield
    cache.clear()


def row(html: str, table: str, code: str) -> str:
    """The cells of one row of a table (by its data-testid and the row's code)."""
    body = re.search(rf'data-testid="{table}".*?</table>', html, re.S)
    assert body, table
    found = re.search(rf'<tr data-code="{re.escape(code)}">(.*?)</tr>', body.group(0), re.S)
    assert found, code
    return found.group(1)


def cells(fragment: str) -> list[str]:
    """The text of each <td>, screen-reader-only text left out."""
    texts = []
    for td in re.findall(r"<td[^>]*>(.*?)</td>", fragment, re.S):
        td = re.sub(r'<span class="visually-hidden">.*?</span>', "", td)
        texts.append(re.sub(r"<[^>]+>", "", td).replace("&nbsp;", " ").replace("&lt;", "<"))
    return [t.strip() for t in texts]


def test_the_page_needs_no_sign_in_and_is_the_one_the_home_page_links_to(client, world):  # noqa: F811
    build(world)
    assert reverse("stats:public") == URL
    response = client.get(URL)
    assert response.status_code == 200
    assert 'data-testid="totals"' in response.content.decode()


def test_the_city_totals_match_the_hand_count(client, world, settings):  # noqa: F811
    """In the second quarter 4 received, 2 online (50 %); 2 resolved, 1 on
    time (50 %). In May alone 3 received, 1 online (33.3 %), the same 2 resolved."""
    settings.EGOV_STATS_MIN_CELL = 2
    build(world)
    html = client.get(URL, MAY).content.decode()
    totals = re.search(r'data-testid="totals".*?</table>', html, re.S).group(0)
    assert cells(totals) == ["3", "33,3 %", "50,0 %"]
    # The quarter, and the whole year (nothing else in 2026).
    for query in (SPRING, {"year": "2026"}):
        other = client.get(URL, query).content.decode()
        assert cells(re.search(r'data-testid="totals".*?</table>', other, re.S).group(0)) == [
            "4",
            "50,0 %",
            "50,0 %",
        ]
    # April alone: the dossier received on 28 April, online (nothing resolved).
    april = client.get(URL, {"year": "2026", "month": "4"}).content.decode()
    assert cells(re.search(r'data-testid="totals".*?</table>', april, re.S).group(0)) == [
        "< 2",
        "—",
        "—",
    ]


def test_each_procedure_shows_its_figures_and_rates_over_too_few_dossiers_are_a_dash(
    client,
    world,  # noqa: F811
    settings,
):
    settings.EGOV_STATS_MIN_CELL = 2
    build(world)
    html = client.get(URL, SPRING).content.decode()
    # Fully online: 2 received, both online; 1 resolved: under 2, a dash.
    assert cells(row(html, "procedures", "1.000001")) == ["2", "100,0 %", "—"]
    # Partly online: 2 received at the counter; 1 resolved: a dash.
    assert cells(row(html, "procedures", "1.000002")) == ["2", "0,0 %", "—"]


def test_a_single_small_count_hides_the_next_smallest_too(client, world, settings):  # noqa: F811
    """Ward B received 1 (under 2): "< 2". Ward A's 3 would give it away from
    the total of 4, so it is hidden too ("×"); so are the rates over them."""
    settings.EGOV_STATS_MIN_CELL = 2
    build(world)
    html = client.get(URL, SPRING).content.decode()
    b = cells(row(html, "agencies", "UBB"))
    a = cells(row(html, "agencies", "UBA"))
    assert b[:3] == ["< 2", "—", "—"]
    assert a[:3] == ["×", "×", "×"]
    assert "3" not in a[:3]
    assert 'data-suppressed="complementary"' in row(html, "agencies", "UBA")


def test_with_the_default_threshold_every_small_figure_is_hidden(client, world):  # noqa: F811
    build(world)
    html = client.get(URL, SPRING).content.decode()
    totals = re.search(r'data-testid="totals".*?</table>', html, re.S).group(0)
    assert cells(totals) == ["< 5", "—", "—"]
    assert cells(row(html, "procedures", "1.000001"))[:3] == ["< 5", "—", "—"]
    assert cells(row(html, "agencies", "UBA"))[:3] == ["< 5", "—", "—"]
    assert "“&lt; 5”" in html  # the footnote says what it means


def test_the_766_score_of_the_city_its_groups_and_each_agency_total_and_rank(client, world):  # noqa: F811
    """Ward A scores 52.34 and ward B 72.00 (tests/stats/test_index766.py):
    B ranks first of the two wards' committees, A second."""
    build(world)
    html = client.get(URL, SPRING).content.decode()
    a = cells(row(html, "agencies", "UBA"))
    b = cells(row(html, "agencies", "UBB"))
    assert (a[3], b[3]) == ("52,34", "72,00")
    assert re.fullmatch(r"2\D+2", a[4]) and re.fullmatch(r"1\D+2", b[4])
    assert html.index('data-code="UBB"') < html.index('data-code="UBA"')  # by rank
    groups = re.search(r'data-testid="index-groups".*?</table>', html, re.S).group(0)
    assert groups.count("<tr>") == 5 + 1  # the header and the five groups
    assert re.search(r'data-testid="city-index"><strong[^>]*>\d+,\d\d</strong>', html)


def test_no_dossier_code_and_no_name_of_a_person_on_the_page(client, world):  # noqa: F811
    rows = build(world)
    html = client.get(URL, SPRING).content.decode()
    for d in rows.values():
        if d.code:  # the draft has none
            assert d.code not in html
    assert "Nguyễn Văn Thử" not in html  # the factories' applicant


def test_the_url_keeps_the_period_and_a_bad_choice_is_left_out(client, world):  # noqa: F811
    build(world)
    html = client.get(URL, {"year": "2026", "month": "5", "field": "nope"}).content.decode()
    assert 'data-testid="filter-errors"' in html
    assert '<option value="5" selected>' in html
    assert '<option value="2026" selected>' in html
    assert client.get(URL, {"month": "13"}).status_code == 200
    assert public.parse_period({"month": "13"}, dt.date(2026, 12, 7))[1] == ("month",)


def test_the_period_parser():
    today = dt.date(2026, 6, 15)
    assert public.parse_period({}, today) == (public.Period(2026), ())
    period, errors = public.parse_period({"year": "2026", "quarter": "2", "month": "5"}, today)
    assert (period, errors) == (public.Period(2026, None, 5), ())
    assert period.bounds(today) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert public.Period(2026, 2).bounds(today) == (dt.date(2026, 4, 1), today)
    assert public.parse_period({"month": "8"}, today)[1] == ("month",)
    assert public.parse_period({"quarter": "1", "month": "5"}, today)[1] == ("quarter",)
    assert public.parse_period({"year": "1999"}, today)[1] == ("year",)
    assert public.Period(2025, None, 12).bounds(today) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
    )


def test_suppression_of_one_column():
    small, comp = public.SMALL, public.COMPLEMENTARY
    assert public.hidden([1, 7, 9, 12], 5) == [small, comp, "", ""]
    assert public.hidden([12, 9, 0, 30], 5) == ["", comp, small, ""]
    assert public.hidden([1, 2, 9], 5) == [small, small, ""]  # two: neither recoverable
    assert public.hidden([6, 7], 5) == ["", ""]
    assert public.hidden([3], 5) == [small]  # nothing else to hide


def test_the_page_costs_the_same_queries_for_few_or_many_dossiers(client, world):  # noqa: F811
    build(world)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, SPRING)
    with CaptureQueriesContext(connection) as cached:
        client.get(URL, SPRING)
    # The whole page and the figures' version (held for a second or two) come
    # from this process's cache.
    assert len(cached.captured_queries) == 0
    more = []
    for i in range(6):
        agency = AgencyFactory(code=f"UBX{i}")
        procedure = ProcedureFactory(code=f"2.00000{i}", online_level="full")
        procedure.offered_by.add(agency)
        for day in (4, 5, 6):
            more.append(
                dossier(
                    agency,
                    procedure,
                    status=S.RETURNED,
                    received=dt.date(2026, 5, day),
                    due=dt.date(2026, 5, 20),
                    ready=dt.date(2026, 5, 8),
                )
            )
    facts.refresh([d.pk for d in more])
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        html = client.get(URL, SPRING).content.decode()
    assert 'data-code="UBX5"' in html
    assert len(few.captured_queries) == len(many.captured_queries)


def _token(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_cached_page_gives_each_visitor_their_own_header_and_token(world):  # noqa: F811
    """An anonymous visitor's page is cached whole, with their own CSRF token put
    in (the language switch works for each); a signed-in visitor's header shows
    their account, and the next anonymous visitor never sees it."""
    from django.test import Client

    from tests.factories import UserFactory

    build(world)
    first, second, signed_in = Client(), Client(), Client()
    html_first = first.get(URL, SPRING).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        html_second = second.get(URL, SPRING).content.decode()
    assert len(ctx.captured_queries) == 0  # the whole page is cached
    login, logout = reverse("account_login"), reverse("account_logout")
    assert login in html_first and login in html_second
    assert _token(html_first) != _token(html_second)
    assert page_cache.CSRF_PLACEHOLDER not in html_second
    # The token served works: the language switch accepts it.
    strict = Client(enforce_csrf_checks=True)
    html = strict.get(URL, SPRING).content.decode()
    switched = strict.post(
        reverse("set_language"),
        {"language": "en", "next": URL, "csrfmiddlewaretoken": _token(html)},
    )
    assert switched.status_code == 302

    user = UserFactory()
    signed_in.force_login(user)
    html_user = signed_in.get(URL, SPRING).content.decode()
    assert user.email in html_user and logout not in html_first
    assert 'data-testid="totals"' in html_user
    assert logout in html_user
    assert user.email not in second.get(URL, SPRING).content.decode()

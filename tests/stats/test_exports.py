"""The statistics' exports (CSV and Excel) against the hand-counted fixture of
test_figures: the headers in Vietnamese, the numbers, the rates as
percentages, formulas kept as text, and each user's jurisdiction only."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.models import Role
from onecounter.models import DossierStatus as S
from stats import facts
from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, UserFactory
from tests.stats import test_figures
from tests.stats.test_figures import build, dossier

pytestmark = pytest.mark.django_db

world = test_figures.world  # the hand-counted fixture

PERIOD = {"from": "2026-04-01", "to": "2026-05-31"}


def staff(agency, role=Role.HEAD):
    user = MembershipFactory(agency=agency, role=role).user
    enrol_totp(user)
    return user


def statistician(agency):
    return staff(agency, Role.STATISTICIAN)


def url(table, fmt, **query):
    return reverse("stats:export", args=[table, fmt]), {**PERIOD, **query}


def get(client, table, fmt, **query):
    path, params = url(table, fmt, **query)
    return client.get(path, params)


def csv_of(response):
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")  # a byte-order mark, for Excel
    return list(csv.reader(io.StringIO(content[1:])))


def sheet_of(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def by_header(rows):
    header, *data = rows
    return [dict(zip(header, row, strict=True)) for row in data]


# --- CSV -----------------------------------------------------------------------------------


def test_the_agency_table_as_csv_has_vietnamese_headers_and_the_hand_counted_figures(client, world):
    build(world)
    client.force_login(statistician(world["a"]))

    response = get(client, "agency", "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="thong-ke-agency-2026-04-01-2026-05-31.csv"'
    )
    rows = csv_of(response)
    assert rows[0][:4] == ["Mã", "Tên", "Tiếp nhận", "Tiếp nhận trực tuyến"]
    a, b = by_header(rows)
    assert (a["Mã"], a["Tên"]) == ("UBA", "UBND phường A")
    assert a["Tiếp nhận"] == "3" and a["Tiếp nhận trực tuyến"] == "1"
    assert a["Tiếp nhận tại Bộ phận Một cửa"] == "2"
    assert (a["Đã giải quyết"], a["Giải quyết đúng hạn"], a["Giải quyết trễ hạn"]) == (
        "2",
        "1",
        "1",
    )
    assert a["Tỷ lệ đúng hạn (%)"] == "50.0"
    assert (a["Rút hồ sơ"], a["Yêu cầu bổ sung"], a["Từ chối tiếp nhận"]) == ("1", "1", "0")
    assert a["Số ngày làm việc trung bình"] == "4.0"
    assert a["Tỷ lệ thanh toán trực tuyến (%)"] == "100.0"
    assert (b["Mã"], b["Tiếp nhận"], b["Từ chối tiếp nhận"]) == ("UBB", "1", "1")
    assert b["Tỷ lệ đúng hạn (%)"] == ""  # nothing resolved: no rate


def test_the_headers_follow_the_users_language(client, world):
    build(world)
    client.force_login(statistician(world["a"]))
    path, params = url("channel", "csv")

    rows = csv_of(client.get(path, params, HTTP_ACCEPT_LANGUAGE="en"))

    assert rows[0][:3] == ["Code", "Name", "Received"]
    assert {row[0] for row in rows[1:]} == {"online_full", "counter"}


def test_the_summary_holds_the_period_the_p90_and_what_is_open_now(client, world):
    build(world)
    client.force_login(statistician(world["a"]))

    (row,) = by_header(csv_of(get(client, "summary", "csv")))

    assert (row["Từ ngày"], row["Đến ngày"]) == ("01/04/2026", "31/05/2026")
    assert (row["Tiếp nhận"], row["Đã giải quyết"]) == ("4", "2")
    assert row["Số ngày làm việc ở phân vị 90"] == "4"
    assert row["Đang giải quyết: quá hạn"] == "1"


def test_a_procedure_named_like_a_formula_is_exported_as_text(client, world):
    world["full"].name = '=HYPERLINK("http://example.com","Bấm")'
    world["full"].save(update_fields=["name"])
    build(world)
    client.force_login(statistician(world["a"]))

    rows = by_header(csv_of(get(client, "procedure", "csv")))
    assert "'" + world["full"].name in [r["Tên"] for r in rows]

    sheet = sheet_of(get(client, "procedure", "xlsx"))
    names = [cell for cell in sheet["B"] if cell.value == world["full"].name]
    assert len(names) == 1 and names[0].data_type == "s"


# --- Excel ---------------------------------------------------------------------------------


def test_the_excel_export_keeps_numbers_as_numbers_and_rates_as_percentages(client, world):
    build(world)
    client.force_login(statistician(world["a"]))

    response = get(client, "agency", "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('thong-ke-agency-2026-04-01-2026-05-31.xlsx"')
    sheet = sheet_of(response)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Số liệu theo cơ quan"
    assert rows[1][0] == "Từ ngày 01/04/2026 đến ngày 31/05/2026"
    header = list(rows[2])
    a = dict(zip(header, rows[3], strict=True))
    assert a["Mã"] == "UBA" and a["Tiếp nhận"] == 3 and a["Đã giải quyết"] == 2
    assert a["Tỷ lệ đúng hạn"] == 0.5
    rate_column = header.index("Tỷ lệ đúng hạn") + 1
    assert sheet.cell(row=4, column=rate_column).number_format == "0.0%"


def test_the_trend_has_dates_as_dates(client, world):
    build(world)
    client.force_login(statistician(world["a"]))

    sheet = sheet_of(get(client, "trend", "xlsx", grain="month"))

    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [(r[0].date().isoformat(), r[1]) for r in rows] == [
        ("2026-04-01", 1),
        ("2026-05-01", 3),
    ]
    assert sheet.cell(row=4, column=1).number_format == "DD/MM/YYYY"


def test_the_index_lists_each_agency_with_its_groups_and_rank(client, world):
    build(world)
    client.force_login(statistician(world["a"]))

    rows = list(sheet_of(get(client, "index", "xlsx")).iter_rows(min_row=3, values_only=True))

    header, *data = rows
    assert header[:3] == ("Mã", "Tên", "Tổng điểm (trên 100)")
    assert header[-2:] == ("Xếp hạng", "Trong số")
    assert len(header) == 3 + 5 + 2  # the five groups of the index
    assert {r[0] for r in data} == {"UBA", "UBB"}
    for r in data:
        assert isinstance(r[2], int | float) and r[2] == pytest.approx(sum(r[3:8]), abs=0.05)
        assert r[-1] == 2 and r[-2] in (1, 2)


# --- The drill-down -------------------------------------------------------------------------


def test_the_drill_lists_the_dossiers_behind_a_figure_without_personal_data(client, world):
    rows = build(world)
    client.force_login(statistician(world["a"]))

    response = get(client, "drill", "csv", which="received")

    assert response["Content-Disposition"].endswith(
        'thong-ke-drill-received-2026-04-01-2026-05-31.csv"'
    )
    data = by_header(csv_of(response))
    assert sorted(r["Mã hồ sơ"] for r in data) == sorted(
        rows[k].code for k in ("on_time", "late", "overdue", "withdrawn")
    )
    late = next(r for r in data if r["Mã hồ sơ"] == rows["late"].code)
    assert late["Ngày tiếp nhận"] == "04/05/2026" and late["Ngày có kết quả"] == "14/05/2026"
    assert late["Đúng hạn"] == "Không" and late["Kênh"] == "trực tiếp"
    text = repr(data)
    assert rows["late"].applicant_name not in text


def test_a_drill_without_a_known_figure_an_unknown_table_or_format_is_not_found(client, world):
    client.force_login(statistician(world["a"]))
    assert get(client, "drill", "csv").status_code == 404
    assert get(client, "drill", "csv", which="nope").status_code == 404
    assert get(client, "nope", "csv").status_code == 404
    assert get(client, "agency", "pdf").status_code == 404


def test_the_drill_costs_the_same_number_of_queries_for_4_or_14_dossiers(client, world):
    build(world)
    client.force_login(statistician(world["a"]))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = get(client, "drill", "xlsx", which="received")
        assert response.status_code == 200
        return len(captured)

    few = queries()
    day = dt.date(2026, 5, 4)
    more = [
        dossier(world["a"], world["full"], status=S.RECEIVED, received=day, due=day)
        for _ in range(10)
    ]
    facts.refresh([d.pk for d in more])
    assert queries() == few


# --- Who sees what -------------------------------------------------------------------------


def test_the_head_of_one_ward_gets_no_rows_of_another(client, world):
    build(world)
    client.force_login(staff(world["a"]))

    assert [r["Mã"] for r in by_header(csv_of(get(client, "agency", "csv")))] == ["UBA"]
    assert by_header(csv_of(get(client, "agency", "csv", agency="UBB"))) == []
    (summary,) = by_header(csv_of(get(client, "summary", "csv")))
    assert summary["Tiếp nhận"] == "3" and summary["Đang giải quyết: quá hạn"] == "0"
    codes = [
        r["Mã cơ quan"] for r in by_header(csv_of(get(client, "drill", "csv", which="received")))
    ]
    assert set(codes) == {"UBA"}
    index = list(sheet_of(get(client, "index", "xlsx")).iter_rows(min_row=4, values_only=True))
    assert [r[0] for r in index] == ["UBA"]


@pytest.mark.parametrize("table", ["agency", "summary"])
def test_a_citizen_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in(client, world, table):
    response = get(client, table, "csv")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(UserFactory())
    assert get(client, table, "csv").status_code == 403


def test_staff_without_a_second_factor_are_sent_to_enrol_it(client, world):
    client.force_login(MembershipFactory(agency=world["a"], role=Role.HEAD).user)
    response = get(client, "agency", "csv")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


# --- The links ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", [QueryDict("from=2026-04-01&agency=UBA"), "from=2026-04-01&agency=UBA"]
)
def test_the_export_links_keep_the_query_string(query):
    html = render_to_string("stats/_export_links.html", {"table": "agency", "query": query})

    assert 'href="/statistics/exports/agency.csv?from=2026-04-01&amp;agency=UBA"' in html
    assert 'href="/statistics/exports/agency.xlsx?from=2026-04-01&amp;agency=UBA"' in html
    assert "Tải về dạng CSV" in html

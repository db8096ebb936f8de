"""The dossier logbook of an agency (Sổ theo dõi hồ sơ, form 06): filters, late
flags, pagination, CSV and Excel exports, who may see it, and its query count."""

import csv
import datetime as dt
import io
import itertools

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from citizens.models import Role
from onecounter.logbook.views import EXPORT_HEADERS, PAGE_SIZE
from onecounter.models import DossierStatus as S
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English page; Vietnamese is the default at run time."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def birth(db):
    return ProcedureFactory(name="Đăng ký khai sinh", name_en="Birth registration")


@pytest.fixture
def marriage(db):
    return ProcedureFactory(name="Đăng ký kết hôn", name_en="Marriage registration")


def staff(agency, role=Role.CLERK):
    user = MembershipFactory(agency=agency, role=role).user
    enrol_totp(user)
    return user


def at(day: dt.date, hour=9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 30)))


def dossier(agency, procedure, *, received=None, status=S.IN_PROCESSING, **fields):
    """A dossier in the logbook: received on ``received`` (a date), due 5 days later."""
    number = next(serial)
    values = {
        "agency": agency,
        "procedure": procedure,
        "status": status,
        "code": f"{agency.code}-{TODAY:%y%m%d}-{number:04d}",
        "submitted_at": at(received or TODAY, 8),
        "applicant_name": "Nguyễn Văn An",
    }
    if received is not None:
        values.update(received_at=at(received), due_date=received + dt.timedelta(days=5))
    values.update(fields)
    return DossierFactory(**values)


def page(client, agency, **params):
    return client.get(reverse("logbook:index", args=[agency.code]), params)


def codes_on(response) -> list[str]:
    return [d.code for d in response.context["page"].object_list]


def csv_rows(client, agency, **params) -> list[list[str]]:
    response = client.get(reverse("logbook:csv", args=[agency.code]), params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- The page ------------------------------------------------------------------------


def test_given_a_clerk_when_opening_the_logbook_then_their_dossiers_show_newest_first(
    client, agency, birth
):
    old = dossier(agency, birth, received=TODAY - dt.timedelta(days=3))
    new = dossier(agency, birth, received=TODAY, applicant_name="Đặng Thị Hường")
    dossier(agency, birth, status=S.DRAFT, code=None)  # drafts are not in the logbook
    dossier(AgencyFactory(code="UBBD"), birth, received=TODAY)  # another agency's
    client.force_login(staff(agency))

    response = page(client, agency)

    assert response.status_code == 200
    assert codes_on(response) == [new.code, old.code]
    text = response.text
    assert "Đặng Thị Hường" in text and "Birth registration" in text
    assert new.received_at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y") in text
    assert new.due_date.strftime("%d/%m/%Y") in text


def test_the_late_flag_follows_the_promised_date_the_result_and_apologies(client, agency, birth):
    long_ago = TODAY - dt.timedelta(days=30)
    cases = {
        "open, past due": (dossier(agency, birth, received=long_ago), True),
        "open, due later": (dossier(agency, birth, received=TODAY), False),
        "result after due": (
            dossier(
                agency,
                birth,
                received=long_ago,
                status=S.RESULT_READY,
                result_ready_at=at(long_ago + dt.timedelta(days=6)),
            ),
            True,
        ),
        "result on time": (
            dossier(
                agency,
                birth,
                received=long_ago,
                status=S.RETURNED,
                result_ready_at=at(long_ago + dt.timedelta(days=5), hour=16),
            ),
            False,
        ),
        "apologised, not yet due": (
            dossier(agency, birth, received=TODAY, apologised=True),
            True,
        ),
        "paused before due": (
            dossier(
                agency,
                birth,
                received=long_ago,
                status=S.AWAITING_SUPPLEMENT,
                paused_on=long_ago + dt.timedelta(days=2),
            ),
            False,
        ),
        "paused after due": (
            dossier(
                agency,
                birth,
                received=long_ago,
                status=S.AWAITING_SUPPLEMENT,
                paused_on=long_ago + dt.timedelta(days=9),
            ),
            True,
        ),
        "refused": (dossier(agency, birth, status=S.REFUSED), False),
    }
    client.force_login(staff(agency))

    rows = {d.code: d.is_late for d in page(client, agency).context["page"].object_list}
    assert {name: rows[d.code] for name, (d, _late) in cases.items()} == {
        name: late for name, (_d, late) in cases.items()
    }
    late_only = set(codes_on(page(client, agency, late="on")))
    assert late_only == {d.code for d, late in cases.values() if late}


def test_filters_by_date_of_receipt_procedure_status_and_channel(client, agency, birth, marriage):
    monday = TODAY - dt.timedelta(days=TODAY.weekday() + 7)
    a = dossier(agency, birth, received=monday, channel="online")
    b = dossier(agency, birth, received=monday + dt.timedelta(days=1), channel="counter")
    c = dossier(agency, marriage, received=monday + dt.timedelta(days=2), status=S.RETURNED)
    d = dossier(agency, marriage, received=monday + dt.timedelta(days=9), channel="counter")
    waiting = dossier(agency, birth, status=S.SUBMITTED)  # not received yet
    client.force_login(staff(agency))

    assert set(codes_on(page(client, agency))) == {a.code, b.code, c.code, d.code, waiting.code}
    week = {
        "received_from": monday.isoformat(),
        "received_to": (monday + dt.timedelta(days=6)).isoformat(),
    }
    assert set(codes_on(page(client, agency, **week))) == {a.code, b.code, c.code}
    assert set(codes_on(page(client, agency, received_to=monday.isoformat()))) == {a.code}
    assert set(codes_on(page(client, agency, procedure=marriage.pk))) == {c.code, d.code}
    assert set(codes_on(page(client, agency, status=S.RETURNED))) == {c.code}
    assert set(codes_on(page(client, agency, status=S.SUBMITTED))) == {waiting.code}
    assert set(codes_on(page(client, agency, channel="counter", **week))) == {b.code}
    response = page(client, agency, procedure=birth.pk, status=S.RETURNED)
    assert codes_on(response) == [] and "No dossier matches these filters." in response.text


def test_an_end_date_before_the_start_date_is_an_error_and_the_page_still_shows(
    client, agency, birth
):
    dossier(agency, birth, received=TODAY)
    client.force_login(staff(agency))
    response = page(client, agency, received_from=TODAY.isoformat(), received_to="2000-01-01")
    assert response.status_code == 200
    assert "The end of the period must not be before its start." in response.text
    assert response.context["form"].errors


def test_the_procedure_filter_offers_only_this_agencys_procedures(client, agency, birth):
    offered = ProcedureFactory(name="Chứng thực bản sao")
    offered.offered_by.add(agency)
    elsewhere = ProcedureFactory(name="Cấp giấy phép xây dựng")
    dossier(agency, birth, received=TODAY)
    client.force_login(staff(agency))
    choices = list(page(client, agency).context["form"].fields["procedure"].queryset)
    assert set(choices) == {birth, offered} and elsewhere not in choices


def test_the_logbook_is_paginated_and_the_links_keep_the_filters(client, agency, birth):
    for _ in range(PAGE_SIZE + 3):
        dossier(agency, birth, received=TODAY, channel="counter")
    client.force_login(staff(agency))

    first = page(client, agency, channel="counter")
    assert len(codes_on(first)) == PAGE_SIZE
    assert "?channel=counter&amp;page=2" in first.text
    second = page(client, agency, channel="counter", page=2)
    assert len(codes_on(second)) == 3
    assert not set(codes_on(first)) & set(codes_on(second))
    # The export links carry the filters but not the page.
    assert reverse("logbook:csv", args=[agency.code]) + "?channel=counter" in second.text


def test_the_page_costs_the_same_number_of_queries_for_3_or_40_rows(client, agency, birth):
    client.force_login(staff(agency))

    def queries_for(rows: int) -> int:
        while len(codes_on(page(client, agency))) < rows:
            dossier(agency, birth, received=TODAY, status=S.RESULT_READY, result_ready_at=at(TODAY))
        with CaptureQueriesContext(connection) as queries:
            response = page(client, agency, late="on", procedure=birth.pk)
        assert response.status_code == 200
        return len(queries)

    assert queries_for(3) == queries_for(40)


def test_the_exports_cost_the_same_number_of_queries_for_3_or_40_rows(client, agency, birth):
    client.force_login(staff(agency))

    def queries_for(rows: int) -> tuple[int, int]:
        while len(csv_rows(client, agency)) < rows + 1:
            dossier(agency, birth, received=TODAY)
        with CaptureQueriesContext(connection) as csv_queries:
            csv_rows(client, agency)
        with CaptureQueriesContext(connection) as xlsx_queries:
            client.get(reverse("logbook:xlsx", args=[agency.code]))
        return len(csv_queries), len(xlsx_queries)

    assert queries_for(3) == queries_for(40)


# --- Exports -------------------------------------------------------------------------


def test_the_csv_export_has_vietnamese_headers_and_the_filtered_rows(
    client, agency, birth, marriage
):
    received = dt.date(2026, 3, 4)
    late = dossier(
        agency,
        birth,
        received=received,
        applicant_name="Đặng Thị Hường",
        channel="counter",
        status=S.RETURNED,
        result_ready_at=at(dt.date(2026, 3, 11)),
    )
    dossier(agency, marriage, received=received)
    client.force_login(staff(agency))

    rows = csv_rows(client, agency, procedure=birth.pk)

    assert rows[0] == EXPORT_HEADERS
    assert rows[1:] == [
        [
            "1",
            late.code,
            "Đăng ký khai sinh",
            "Đặng Thị Hường",
            "trực tiếp",
            "04/03/2026 09:30",
            "09/03/2026",
            "11/03/2026",
            "đã trả kết quả",
            "Có",
        ]
    ]
    response = client.get(reverse("logbook:csv", args=[agency.code]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="so-theo-doi-ho-so-UBLB-'
    )
    assert len(csv_rows(client, agency)) == 3


def test_the_xlsx_export_opens_in_openpyxl_with_dates_as_dates(client, agency, birth, marriage):
    received = dt.date(2026, 3, 4)
    first = dossier(agency, birth, received=received, applicant_name="Nguyễn Văn An")
    dossier(agency, marriage, received=received + dt.timedelta(days=1))
    client.force_login(staff(agency))

    response = client.get(reverse("logbook:xlsx", args=[agency.code]), {"procedure": birth.pk})

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "SỔ THEO DÕI HỒ SƠ (Mẫu số 06)"
    assert rows[1][0] == "UBND phường Long Biên"
    assert list(rows[3]) == EXPORT_HEADERS
    data = rows[4:]
    assert len(data) == 1
    number, code, procedure, name, channel, received_at, due, result, status, is_late = data[0]
    assert (number, code, procedure, name) == (1, first.code, "Đăng ký khai sinh", "Nguyễn Văn An")
    assert channel == "trực tuyến" and status == "đang xử lý"
    assert (received_at.date(), received_at.time()) == (dt.date(2026, 3, 4), dt.time(9, 30))
    assert due.date() == dt.date(2026, 3, 9) and result is None
    assert is_late == "Có"  # 9 March 2026 is long past and no result yet
    assert sheet.cell(row=5, column=7).number_format == "DD/MM/YYYY"


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(client, agency, birth):
    name = '=HYPERLINK("http://example.com","Bấm vào đây")'
    dossier(agency, birth, received=TODAY, applicant_name=name)
    client.force_login(staff(agency))

    assert csv_rows(client, agency)[1][3] == "'" + name
    response = client.get(reverse("logbook:xlsx", args=[agency.code]))
    cell = openpyxl.load_workbook(io.BytesIO(response.content)).active.cell(row=5, column=4)
    assert (cell.value, cell.data_type) == (name, "s")


def test_an_export_with_invalid_filters_sends_back_to_the_page_with_the_errors(client, agency):
    client.force_login(staff(agency))
    params = {"received_from": "2026-03-10", "received_to": "2026-03-01"}
    for name in ("logbook:csv", "logbook:xlsx"):
        response = client.get(reverse(name, args=[agency.code]), params)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("logbook:index", args=[agency.code]))


# --- Who may see it ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["logbook:index", "logbook:csv", "logbook:xlsx"])
def test_staff_of_another_agency_are_refused(client, agency, name):
    other = AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")
    client.force_login(staff(other))
    assert client.get(reverse(name, args=[agency.code])).status_code == 403
    assert client.get(reverse(name, args=["NOPE"])).status_code == 403


@pytest.mark.parametrize("name", ["logbook:index", "logbook:csv", "logbook:xlsx"])
def test_a_citizen_is_refused_and_an_anonymous_visitor_is_sent_to_sign_in(client, agency, name):
    url = reverse(name, args=[agency.code])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", [Role.CLERK, Role.OFFICER, Role.HEAD, Role.STATISTICIAN])
def test_staff_of_the_agency_in_any_role_may_read_the_logbook(client, agency, role):
    client.force_login(staff(agency, role))
    assert page(client, agency).status_code == 200


def test_the_logbook_shows_the_applicants_satisfaction_of_the_dossiers_listed(
    client, agency, birth
):
    from onecounter.models import Rating

    first = dossier(agency, birth, received=dt.date(2026, 3, 4), status=S.RETURNED)
    second = dossier(agency, birth, received=dt.date(2026, 3, 5), status=S.RETURNED)
    Rating.objects.create(dossier=first, user=first.applicant, score=5, comment="Nhanh")
    Rating.objects.create(dossier=second, user=second.applicant, score=4)
    client.force_login(staff(agency))
    html = client.get(f"/back-office/agencies/{agency.code}/logbook/").text
    assert "Applicants' satisfaction: 4.5 out of 5, from 2 ratings." in html

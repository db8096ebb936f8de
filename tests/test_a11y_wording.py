"""Accessibility and wording of the birth declaration, and the clerk's view of
a dossier waiting to be received (issue: "Accessibility and wording").

- an address is a fieldset: a legend and a visible label for each part, and
  the error summary (the page's and the check page's) links to its first part;
- each required question says what to do, naming it, in both languages;
- page 4 asks for the health-care facility of a child under 6 and checks the
  shape of a household number;
- the clerk reads a ward by its name and province, never its code;
- a dossier sent online shows by when it must be received and its expected
  result date;
- the birth's start page asks who declares, not "for whom".
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from citizens.models import Role
from onecounter.intake import dates
from onecounter.intake.answers import answer_text
from onecounter.intake.plan import plan_for
from onecounter.models import Dossier
from onecounter.models import DossierStatus as S
from procedures.handlers import registry
from procedures.handlers.birth import forms as pages
from tests.test_birth_cases import (
    World,
    birth,
    by_mother_at_counter,
    by_mother_online,
    check_url,
    child,
    days_ago,
    declarer,
    page_url,
)
from tests.test_my_dossiers import use_private_storage
from workdays.calendar import WorkCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    use_private_storage(settings, tmp_path)
    return World()


def start(world, **answers):
    client = world.citizen(world.mother)
    response = client.post(reverse("filing:start", args=[world.procedure.code]), answers)
    assert response.status_code == 302
    return client, Dossier.objects.filter(applicant_person=world.mother).latest("created_at")


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def summary_links(page: str) -> dict[str, str]:
    """The error summary's links: {href: text}."""
    summary = page.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    return {
        href: re.sub(r"\s+", " ", text).strip()
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary, re.DOTALL)
    }


# --- A. The address as a fieldset, links to its first part ------------------------------------


def test_the_place_of_birth_is_a_fieldset_with_a_label_for_each_part_and_the_summary_links_to_it(
    world,
):
    """Given page 3 sent empty, then the place of birth is a fieldset whose
    legend is the question, its street box and ward list each have a label,
    and the error summary links to the street box (#id_birth_address_0) and
    the evidence's first radio button, never to an id that does not exist."""
    client, dossier = start(world)
    client.post(page_url(dossier, 1), declarer("mother"))
    client.post(page_url(dossier, 2), child())
    page = page_text(client.post(page_url(dossier, 3), {"birth_evidence": ""}))
    fieldset = page.split("form-group--birth_address", 1)[1].split("</fieldset>", 1)[0]
    assert '<legend class="fieldset__legend">Address of the place of birth</legend>' in fieldset
    assert '<label class="address-input__label" for="id_birth_address_0">' in fieldset
    assert '<label class="address-input__label" for="id_birth_address_1">' in fieldset
    assert 'id="id_birth_address_0"' in fieldset and 'id="id_birth_address_1"' in fieldset
    links = summary_links(page)
    ids = set(re.findall(r'id="([^"]+)"', page))
    for href in links:
        assert href.startswith("#") and href[1:] in ids, href
    assert "#id_birth_address_0" in links
    assert "#id_birth_evidence_0" in links


def test_the_check_page_links_a_problem_of_the_address_or_a_radio_to_its_first_part(world):
    """The check page's list of problems links each to the page and to the
    question's first control (the street box, the first radio button)."""
    from onecounter.intake.views import _problem_links

    client, dossier = start(world)
    plan = plan_for(world.procedure)
    links = _problem_links(
        dossier, plan, {"birth_address": ["x"], "sex": ["y"], "full_name": ["z"]}
    )
    urls = [link["url"] for link in links]
    assert urls == [
        f"{page_url(dossier, 3)}?next=check#id_birth_address_0",
        f"{page_url(dossier, 2)}?next=check#id_sex_0",
        f"{page_url(dossier, 2)}?next=check#id_full_name",
    ]


# --- C. Each message names its question and says what to do -----------------------------------


def test_each_required_question_has_its_own_message_in_vietnamese_and_english(world):
    """Given the child's page sent empty, then the summary has one message per
    question, each saying what to enter or select, in Vietnamese; and in English."""
    client, dossier = start(world)
    client.post(page_url(dossier, 1), declarer("mother"))
    blank = {"full_name": "", "nationality": "", "native_place": "", "birth_order": ""}
    en = list(summary_links(page_text(client.post(page_url(dossier, 2), blank))).values())
    assert {
        "Enter the child's full name",
        "Select the child's sex",
        "Enter the child's nationality",
        "Enter the child's native place",
        "Enter which child of the mother this is, for example 1",
    } <= set(en)
    assert len(en) == len(set(en)) and "This field is required." not in en
    with translation.override("vi"):
        form = pages.ChildForm(data={})
        assert form.errors["full_name"] == ["Nhập họ và tên của trẻ"]
        assert form.errors["sex"] == ["Chọn giới tính của trẻ"]
        assert form.errors["birth_order"] == ["Nhập trẻ là con thứ mấy của người mẹ, ví dụ 1"]
    with translation.override("en"):
        form = pages.ChildForm(data={})
        assert form.errors["full_name"] == ["Enter the child's full name"]
        assert form.errors["sex"] == ["Select the child's sex"]
        form = pages.BirthForm(data={"birth_date": "31/02/2026", "birth_address_0": "1 phố X"})
        assert form.errors["birth_date"] == [
            "Enter the date of birth as a real date, for example 17/05/2026"
        ]
        assert form.errors["birth_address"] == [
            "Enter the house number and street of the place of birth, and select its ward or "
            "commune"
        ]
        form = pages.ChildForm(data={"birth_order": "first"})
        assert form.errors["birth_order"] == ["Enter the birth order as a number, for example 1"]


def test_the_handler_says_what_to_do_for_each_missing_answer(world):
    """Given answers from another channel (the API) with nothing in them, then
    ``BirthHandler.validate`` gives each required key its own message."""
    handler = registry.get("birth")
    with translation.override("en"):
        problems = handler.validate(world.procedure, {})
        for key, message in pages.REQUIRED_MESSAGES.items():
            assert str(message) in [str(m) for m in problems[key]], key
    assert "This field is required." not in str(problems)
    with translation.override("vi"):
        problems = handler.validate(world.procedure, {})
        assert str(problems["full_name"][0]) == "Nhập họ và tên của trẻ"


# --- D. Page 4: the health-care facility and the household number ---------------------------------


def test_page_4_asks_for_the_health_care_facility_of_a_child_under_6(world):
    """Given a child born 10 days ago, when page 4 is sent without the
    facility, then it is refused there (not only on the check page), with a
    message that fits a text box."""
    client, dossier = start(world)
    answers = by_mother_online(world)
    for number in (1, 2, 3):
        assert client.post(page_url(dossier, number), answers[number]).status_code == 302
    response = client.post(page_url(dossier, 4), {**answers[4], "health_facility": ""})
    assert response.status_code == 200
    page = page_text(response)
    assert (
        "Enter the health-care facility where the child will be registered for primary care" in page
    )
    assert "Choose the health-care facility" not in page
    with translation.override("vi"):
        form = pages.ParentsForm(data={}, answers={"birth_date": days_ago(10).isoformat()})
        assert form.errors["health_facility"] == [
            "Nhập cơ sở khám chữa bệnh nơi trẻ sẽ đăng ký khám chữa bệnh ban đầu"
        ]


def test_the_facility_is_not_asked_of_a_child_aged_6_or_more():
    old = (timezone.localdate() - dt.timedelta(days=7 * 366)).isoformat()
    form = pages.ParentsForm(data={"health_facility": ""}, answers={"birth_date": old})
    assert not form.fields["health_facility"].required
    young = days_ago(10).isoformat()
    form = pages.ParentsForm(data={"health_facility": ""}, answers={"birth_date": young})
    assert form.fields["health_facility"].required


@pytest.mark.parametrize("number", ["XYZ-123", "HN", "12345", "HK-ABC"])
def test_a_household_number_of_the_wrong_shape_is_refused_with_the_expected_shape(world, number):
    with translation.override("en"):
        form = pages.ParentsForm(data={"household_number": number}, answers={})
        form.is_valid()
        assert form.errors["household_number"] == [
            "Enter the household number as the population database writes it: HK or HN, "
            "then digits, for example HK00145-000123 or HN0010001"
        ]


@pytest.mark.parametrize("number", ["HN0010001", "HK00145-000123", "hk00145-demo01"])
def test_a_household_number_of_the_database_s_shape_is_accepted(world, number):
    form = pages.ParentsForm(data={"household_number": number}, answers={})
    form.is_valid()
    assert "household_number" not in form.errors
    assert form.cleaned_data["household_number"] == number.upper()


# --- E. A ward by its name and province ---------------------------------------------------------------


def test_the_clerk_reads_the_place_of_birth_with_the_wards_name_and_province(world):
    ward = world.ward
    value = {"address": "54 Trường Lâm", "unit_code": ward.code}
    expected = f"54 Trường Lâm, {ward.name}, {ward.parent.name}"
    assert answer_text(value) == expected
    client, dossier = start(world)
    answers = by_mother_online(world, page3=birth(world, birth_address_0="54 Trường Lâm"))
    for number in (1, 2, 3, 4):
        client.post(page_url(dossier, number), answers[number])
    dossier.refresh_from_db()
    from onecounter.processing.views import _answer_rows

    rows = {row["key"]: row["value"] for row in _answer_rows(dossier)}
    assert rows["birth_address"] == expected
    assert ward.code not in rows["birth_address"]
    check = page_text(client.get(check_url(dossier)))
    assert expected in check


# --- F. By when a dossier sent online is to be received --------------------------------------------


def test_a_dossier_sent_online_is_to_be_received_by_the_next_working_day(world):
    """Sent on a Monday at 10:00 it is to be received by Tuesday; sent at 16:00
    (after the cut-off) it counts as sent on Tuesday and is due Wednesday; sent
    on a Friday evening, by Tuesday."""
    tz = timezone.get_current_timezone()
    calendar = WorkCalendar()
    dossier = Dossier(status=S.SUBMITTED, procedure=world.procedure)
    for sent, due in (
        (dt.datetime(2026, 12, 7, 10, 0, tzinfo=tz), dt.date(2026, 12, 8)),
        (dt.datetime(2026, 12, 7, 16, 0, tzinfo=tz), dt.date(2026, 12, 9)),
        (dt.datetime(2026, 12, 11, 18, 0, tzinfo=tz), dt.date(2026, 12, 15)),
    ):
        dossier.submitted_at = sent
        assert dates.receive_by_date(dossier, calendar=calendar) == due, sent
    dossier.status = S.RECEIVED
    assert dates.receive_by_date(dossier, calendar=calendar) is None


def test_the_clerk_sees_by_when_to_receive_and_the_expected_result_in_the_queue_and_dossier(
    world,
):
    client, dossier = start(world)
    answers = by_mother_online(world)
    for number in (1, 2, 3, 4):
        client.post(page_url(dossier, number), answers[number])
    Dossier.objects.filter(pk=dossier.pk).update(
        status=S.SUBMITTED, submitted_at=timezone.now(), code="UBBD-261207-0001"
    )
    dossier.refresh_from_db()
    receive_by = dates.receive_by_date(dossier).strftime("%d/%m/%Y")
    expected = dates.expected_result_date(dossier).strftime("%d/%m/%Y")
    clerk = world.staff_client(Role.CLERK)
    queue = page_text(clerk.get(reverse("dossiers:queue", args=[world.agency.code])))
    row = queue.split(f'data-dossier="{dossier.code}"', 1)[1].split("</tr>", 1)[0]
    assert "Receive by" in row and receive_by in row and expected in row
    detail = page_text(clerk.get(reverse("dossiers:detail", args=[world.agency.code, dossier.pk])))
    assert re.search(r'data-testid="receive-by">\s*' + re.escape(receive_by), detail)
    assert re.search(r'data-testid="expected-result">\s*' + re.escape(expected), detail)


# --- G. The birth's start page asks who declares ------------------------------------------------------


def test_the_birth_start_page_asks_who_declares_not_for_whom(world):
    client = world.citizen(world.mother)
    page = page_text(client.get(reverse("filing:start", args=[world.procedure.code])))
    assert 'name="declarer_relation"' in page
    assert 'name="subject"' not in page and "Hồ sơ này dành cho ai" not in page
    response = client.post(
        reverse("filing:start", args=[world.procedure.code]), {"declarer_relation": "grandparent"}
    )
    dossier = Dossier.objects.filter(applicant_person=world.mother).latest("created_at")
    assert dossier.data["declarer_relation"] == "grandparent"
    # The rest of page 1 (why the parents do not declare) is asked there.
    assert response["Location"] == page_url(dossier, 1)
    first = page_text(client.get(page_url(dossier, 1)))
    assert re.search(r'<input[^>]*value="grandparent"[^>]*checked', first)


def test_other_procedures_still_ask_for_whom(world):
    assert registry.get("residence").start_question is None
    assert registry.get("birth").start_question == "declarer_relation"


def test_at_the_counter_the_address_is_labelled_and_the_summary_and_page_4_checks_hold(world):
    """The counter intake uses the same pages: given page 3 sent without the
    place of birth, its summary links to the street box and its parts are
    labelled; given page 4 without the facility of a baby, it is refused there."""
    answers = by_mother_at_counter(world)
    page3 = {**answers[3], "birth_address_0": "", "birth_address_1": ""}
    filed = world.file_at_counter(world.mother, {1: answers[1], 2: answers[2], 3: page3})
    assert filed.response.status_code == 400
    page = page_text(filed.response)
    assert "#id_birth_address_0" in summary_links(page)
    assert '<label class="address-input__label" for="id_birth_address_1">' in page
    filed = world.file_at_counter(
        world.mother, {**answers, 4: {**answers[4], "health_facility": ""}}
    )
    assert filed.response.status_code == 400
    assert "Enter the health-care facility where the child will be registered" in page_text(
        filed.response
    )
    assert "/answers/4/" in filed.response.wsgi_request.path

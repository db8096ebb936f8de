"""The back-office pages of the population database: search, purpose, person
page, corrections (four eyes), identity check at the counter."""

import datetime as dt
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens import population
from citizens.models import (
    AccessLog,
    CorrectionRequest,
    Household,
    HouseholdMembership,
    IdentityLink,
    Person,
    PersonVersion,
    Role,
)
from citizens.views_staff import GRANTS_SESSION_KEY
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    WardFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 3, 4)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English messages; Vietnamese is the default at run time."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


def staff(agency, role=Role.CLERK, **user):
    member = MembershipFactory(agency=agency, role=role, **({"user": UserFactory(**user)}))
    enrol_totp(member.user)
    return member.user


def resident(agency, serial=1, **fields):
    fields.setdefault("birth_date", BORN)
    fields.setdefault("sex", "F")
    fields.setdefault(
        "id_number", make_id_number(fields["sex"], fields["birth_date"], 500000 + serial)
    )
    return PersonFactory(permanent_unit=agency.unit, **fields)


def search_url(**params):
    from urllib.parse import urlencode

    return f"{reverse('backoffice:population-search')}?{urlencode(params)}"


def person_url(person):
    return reverse("backoffice:population-person", args=[person.pk])


def purpose_url(person):
    return reverse("backoffice:population-purpose", args=[person.pk])


def open_record(client, person, **purpose):
    purpose = purpose or {"dossier_ref": "UBLB-260304-0001"}
    response = client.post(purpose_url(person), purpose)
    assert response.status_code == 302, response.content
    assert response["Location"] == person_url(person)
    return response


def household_with(agency, head, members: int, number="HK-0001"):
    household = Household.objects.create(
        number=number, address="Số 5 ngõ 12 phố Ngọc Lâm", unit=agency.unit, head=head
    )
    HouseholdMembership.objects.create(
        household=household, person=head, relation="head", start_date=dt.date(2015, 1, 1)
    )
    for i in range(members):
        child = resident(
            agency,
            serial=9000 + i + len(number) * 100 + int(number[-1]) * 1000,
            full_name=f"Nguyễn Văn Con {i}",
            birth_date=dt.date(2010, 1, 1) + dt.timedelta(days=i),
            sex="M",
        )
        HouseholdMembership.objects.create(
            household=household, person=child, relation="child", start_date=dt.date(2015, 1, 1)
        )
    return household


# --- Who may come in ------------------------------------------------------------------


def test_given_a_citizen_or_an_anonymous_visitor_when_opening_population_pages_then_refused(
    client, citizen, ward_agency
):
    person = resident(ward_agency)
    urls = [
        reverse("backoffice:population-search"),
        purpose_url(person),
        person_url(person),
        reverse("backoffice:population-corrections"),
        reverse("backoffice:identity-check", args=[ward_agency.code]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    client.force_login(citizen)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(purpose_url(person), {"reason": "Tò mò muốn xem thử"}).status_code == 403
    assert not AccessLog.objects.exists()


def test_given_a_statistician_when_searching_the_population_then_refused(client, ward_agency):
    statistician = staff(ward_agency, role=Role.STATISTICIAN)
    client.force_login(statistician)
    assert client.get(reverse("backoffice:population-search")).status_code == 403


# --- Search -------------------------------------------------------------------------------


def test_given_a_clerk_when_searching_a_name_without_accents_and_a_dob_then_matches_show(
    client, clerk, ward_agency
):
    resident(ward_agency, 1, full_name="Nguyễn Thị Lan")
    resident(ward_agency, 2, full_name="Nguyễn Thị Hoa")
    resident(ward_agency, 3, full_name="Trần Văn Nam", sex="M")
    resident(ward_agency, 4, full_name="Nguyễn Thị Cúc", birth_date=dt.date(1991, 3, 4))
    client.force_login(clerk)
    response = client.get(search_url(name="nguyen thi", birth_date="1990-03-04"))
    assert response.status_code == 200
    names = [p.full_name for p in response.context["results"]]
    assert sorted(names) == ["Nguyễn Thị Hoa", "Nguyễn Thị Lan"]
    assert "Nguyễn Thị Lan" in response.text
    assert "1990" in response.text
    # The search itself opens no record: nothing is logged yet.
    assert not AccessLog.objects.exists()


def test_given_a_name_alone_when_searching_then_asks_for_a_dob_or_a_ward_and_keeps_the_name(
    client, clerk
):
    client.force_login(clerk)
    response = client.get(search_url(name="nguyen van an", birth_date=""))
    form = response.context["form"]
    assert "birth_date" in form.errors
    assert response.context["results"] is None
    assert 'value="nguyen van an"' in response.text
    assert 'href="#id_birth_date"' in response.text


def test_given_an_id_number_of_the_wrong_length_when_searching_then_the_validator_message_shows(
    client, clerk
):
    client.force_login(clerk)
    response = client.get(search_url(id_number="00119012345"))
    assert "id_number" in response.context["form"].errors
    assert "12" in response.context["form"].errors["id_number"][0]
    assert 'href="#id_id_number"' in response.text


def test_given_a_clerk_of_ward_a_when_searching_ward_b_residents_by_name_then_nothing_is_listed(
    client, clerk, ward_agency, other_ward_agency
):
    resident(other_ward_agency, 1, full_name="Lê Thị Bích")
    client.force_login(clerk)
    response = client.get(search_url(name="le thi bich", birth_date=BORN.isoformat()))
    assert response.status_code == 200
    assert response.context["results"] == []
    assert "Lê Thị Bích" not in response.text
    # Nor by choosing ward B in the unit list: it is not offered, and is refused.
    response = client.get(search_url(name="le thi bich", unit=other_ward_agency.unit_id))
    assert "unit" in response.context["form"].errors
    assert "Lê Thị Bích" not in response.text


def test_given_a_city_department_when_searching_by_name_then_every_ward_of_the_province_counts(
    client, ward_agency, other_ward_agency
):
    department = AgencyFactory(
        code="SOTP", kind="department", unit=ward_agency.unit.parent, name="Sở Tư pháp"
    )
    officer = staff(department, role=Role.OFFICER)
    resident(ward_agency, 1, full_name="Phạm Thị Mai")
    resident(other_ward_agency, 2, full_name="Phạm Thị Mây")
    client.force_login(officer)
    response = client.get(search_url(name="pham thi", birth_date=BORN.isoformat()))
    assert len(response.context["results"]) == 2


def test_given_a_clerk_of_ward_a_when_looking_up_an_exact_id_from_ward_b_then_found_and_opened_with_a_logged_purpose(
    client, clerk, ward_agency, other_ward_agency
):
    person = resident(other_ward_agency, 1, full_name="Lê Thị Bích")
    client.force_login(clerk)
    response = client.get(search_url(id_number=person.id_number))
    assert [p.pk for p in response.context["results"]] == [person.pk]
    assert purpose_url(person) in response.text
    # Found, but not open: the record needs a purpose first.
    assert client.get(person_url(person))["Location"] == purpose_url(person)
    open_record(client, person, reason="Xác minh nhân thân cho hồ sơ chuyển hộ khẩu")
    log = AccessLog.objects.get()
    assert (log.person, log.actor, log.agency) == (person, clerk, ward_agency)
    assert log.purpose == "Xác minh nhân thân cho hồ sơ chuyển hộ khẩu"
    assert client.get(person_url(person)).status_code == 200


def test_search_results_cost_the_same_number_of_queries_for_5_or_40_rows(
    client, clerk, ward_agency, django_assert_max_num_queries
):
    client.force_login(clerk)
    for i in range(5):
        resident(ward_agency, i, full_name=f"Nguyễn Thị Ngọc {i}")
    url = search_url(name="nguyen thi", birth_date=BORN.isoformat())
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).context["results"]) == 5
    for i in range(5, 40):
        resident(ward_agency, i, full_name=f"Nguyễn Thị Ngọc {i}")
    with django_assert_max_num_queries(len(small)):
        assert len(client.get(url).context["results"]) == 40


# --- Purpose, then the record ------------------------------------------------------------------


def test_given_no_stated_purpose_when_opening_a_record_then_sent_to_the_purpose_form(
    client, clerk, ward_agency
):
    person = resident(ward_agency)
    client.force_login(clerk)
    response = client.get(person_url(person))
    assert response.status_code == 302
    assert response["Location"] == purpose_url(person)
    page = client.get(purpose_url(person))
    assert page.status_code == 200
    assert "id_dossier_ref" in page.text and "id_reason" in page.text
    assert not AccessLog.objects.exists()


def test_given_neither_dossier_nor_reason_when_stating_the_purpose_then_an_error_and_nothing_opens(
    client, clerk, ward_agency
):
    person = resident(ward_agency)
    client.force_login(clerk)
    response = client.post(purpose_url(person), {"dossier_ref": "", "reason": ""})
    assert response.status_code == 200
    assert "dossier_ref" in response.context["form"].errors
    response = client.post(purpose_url(person), {"reason": "xem"})
    assert "reason" in response.context["form"].errors
    assert 'href="#id_reason"' in response.text
    assert "xem</textarea>" in response.text
    assert not AccessLog.objects.exists()
    assert client.get(person_url(person)).status_code == 302


def test_every_staff_read_writes_the_access_log_with_actor_agency_purpose_and_dossier(
    client, clerk, ward_agency
):
    person = resident(ward_agency)
    client.force_login(clerk)
    open_record(client, person, dossier_ref="ublb-260304-0001")
    assert AccessLog.objects.count() == 1
    # The page the purpose form leads to is the read that row records ...
    client.get(person_url(person))
    assert AccessLog.objects.count() == 1
    # ... and every later read writes its own row.
    client.get(person_url(person))
    client.get(person_url(person) + "?as_of=2020-01-01")
    logs = list(AccessLog.objects.order_by("at", "id"))
    assert len(logs) == 3
    for log in logs:
        assert log.person == person
        assert log.channel == AccessLog.Channel.STAFF_UI
        assert log.actor == clerk
        assert log.agency == ward_agency
        assert log.dossier_ref == "UBLB-260304-0001"
        assert log.purpose == "Work on a dossier"


def test_given_an_expired_grant_when_opening_the_record_then_the_purpose_is_asked_again_prefilled(
    client, clerk, ward_agency
):
    person = resident(ward_agency)
    client.force_login(clerk)
    open_record(client, person, reason="Kiểm tra hồ sơ đăng ký khai sinh")
    session = client.session
    grants = session[GRANTS_SESSION_KEY]
    grants[str(person.pk)]["expires"] = time.time() - 1
    session[GRANTS_SESSION_KEY] = grants
    session.save()
    response = client.get(person_url(person))
    assert response.status_code == 302
    assert response["Location"].startswith(purpose_url(person))
    page = client.get(response["Location"])
    assert page.context["form"].initial["reason"] == "Kiểm tra hồ sơ đăng ký khai sinh"


def test_the_person_page_shows_the_household_members_and_their_relations_and_links_relatives(
    client, clerk, ward_agency
):
    father = resident(ward_agency, 1, full_name="Nguyễn Văn Bố", sex="M")
    household = household_with(ward_agency, father, members=2)
    child = household.memberships.get(relation="child", person__full_name="Nguyễn Văn Con 0").person
    Person.objects.filter(pk=child.pk).update(father=father, mother_name="Trần Thị Mẹ")
    client.force_login(clerk)
    open_record(client, child, dossier_ref="UBLB-260304-0002")
    response = client.get(person_url(child))
    text = response.text
    assert household.number in text
    assert "Số 5 ngõ 12 phố Ngọc Lâm" in text
    assert "Nguyễn Văn Con 1" in text
    assert "Trần Thị Mẹ" in text  # free-text mother
    # Relatives open through their own purpose page, prefilled with this purpose.
    assert f"{purpose_url(father)}?via={child.pk}" in text
    prefilled = client.get(f"{purpose_url(father)}?via={child.pk}")
    assert prefilled.context["form"].initial["dossier_ref"] == "UBLB-260304-0002"
    members = response.context["households"][0]["members"]
    assert {(m["person"].full_name, str(m["relation"])) for m in members} == {
        ("Nguyễn Văn Bố", "head of household"),
        ("Nguyễn Văn Con 0", "child"),
        ("Nguyễn Văn Con 1", "child"),
    }
    # One click confirms: the father's open writes its own log row.
    open_record(client, father, dossier_ref="UBLB-260304-0002")
    assert AccessLog.objects.filter(person=father, actor=clerk).count() == 1


def test_the_person_page_costs_the_same_number_of_queries_for_a_household_of_3_or_12(
    client, clerk, ward_agency, django_assert_max_num_queries
):
    small_head = resident(ward_agency, 1, full_name="Đỗ Văn Nhỏ", sex="M")
    household_with(ward_agency, small_head, members=2, number="HK-0001")
    big_head = resident(ward_agency, 2, full_name="Đỗ Văn Lớn", sex="M")
    household_with(ward_agency, big_head, members=11, number="HK-0002")
    for person in (small_head, big_head):
        population.person_update(
            person=person, actor=clerk, changes={"religion": "Phật giáo"}, reason="Bổ sung"
        )
    client.force_login(clerk)
    open_record(client, small_head)
    open_record(client, big_head)
    with CaptureQueriesContext(connection) as small:
        response = client.get(person_url(small_head) + "?as_of=2020-01-01")
    assert len(response.context["households"][0]["members"]) == 3
    with django_assert_max_num_queries(len(small)):
        response = client.get(person_url(big_head) + "?as_of=2020-01-01")
    assert len(response.context["households"][0]["members"]) == 12


def test_the_version_history_and_the_as_of_view_show_the_old_values(client, clerk, ward_agency):
    person = resident(ward_agency, full_name="Lê Văn Tám", sex="M")
    Person.objects.filter(pk=person.pk).update(
        created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        updated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    person.refresh_from_db()
    population.person_update(
        person=person,
        actor=clerk,
        changes={"full_name": "Lê Văn Tâm"},
        reason="Sai chính tả khi nhập",
        dossier_ref="UBLB-260304-0003",
    )
    client.force_login(clerk)
    open_record(client, person)
    response = client.get(person_url(person))
    history = response.context["version_rows"]
    assert len(history) == 1
    assert history[0]["changes"][0]["old"] == "Lê Văn Tám"
    assert history[0]["changes"][0]["new"] == "Lê Văn Tâm"
    assert "Sai chính tả khi nhập" in response.text and "UBLB-260304-0003" in response.text

    # The change happened at 00:30 on 11 May 2024 in Hà Nội (17:30 UTC on 10 May):
    # "as of 10 May" means the end of that day in Hà Nội, before the change.
    changed_at = dt.datetime(2024, 5, 10, 17, 30, tzinfo=dt.UTC)
    PersonVersion.objects.filter(person=person).update(valid_until=changed_at)
    Person.objects.filter(pk=person.pk).update(updated_at=changed_at)
    response = client.get(person_url(person) + "?as_of=2024-05-10")
    rows = {row["label"]: row for row in response.context["snapshot_rows"]}
    assert rows["full name"]["value"] == "Lê Văn Tám"
    assert rows["full name"]["changed"]
    assert "Lê Văn Tám" in response.text
    response = client.get(person_url(person) + "?as_of=2024-05-11")
    rows = {row["label"]: row for row in response.context["snapshot_rows"]}
    assert rows["full name"]["value"] == "Lê Văn Tâm"
    assert not rows["full name"]["changed"]

    response = client.get(person_url(person) + "?as_of=2019-12-31")
    assert response.context["as_of_requested"]
    assert response.context["snapshot_rows"] is None
    assert 'data-testid="as-of-result"' in response.text

    response = client.get(person_url(person) + "?as_of=not-a-date")
    assert "as_of" in response.context["as_of_form"].errors


# --- Corrections, four eyes ------------------------------------------------------------------


def _file_correction(client, person, **changes):
    data = {
        field: getattr(person, field) or ""
        for field in population.CORRECTABLE_FIELDS
        if field not in ("birth_date",)
    }
    data["birth_date"] = person.birth_date.isoformat()
    data.update(changes)
    data.setdefault("reason", "Tên bị nhập sai dấu so với giấy khai sinh")
    return client.post(reverse("backoffice:population-correction-new", args=[person.pk]), data)


def test_four_eyes_correction_end_to_end_through_the_views(client, ward_agency):
    requester = staff(ward_agency, role=Role.OFFICER, full_name="Cán bộ Một")
    decider = staff(ward_agency, role=Role.OFFICER, full_name="Cán bộ Hai")
    person = resident(ward_agency, full_name="Lê Văn Tám", sex="M")

    client.force_login(requester)
    correction_url = reverse("backoffice:population-correction-new", args=[person.pk])
    assert client.get(correction_url)["Location"] == purpose_url(person)
    open_record(client, person)
    form_page = client.get(correction_url)
    assert form_page.context["form"].initial["full_name"] == "Lê Văn Tám"
    # Nothing changed: refused, and the reason typed is kept.
    unchanged = _file_correction(client, person, reason="Không thay đổi gì cả ở đây")
    assert unchanged.status_code == 200
    assert unchanged.context["form"].non_field_errors()
    assert "Không thay đổi gì cả ở đây" in unchanged.text

    response = _file_correction(
        client,
        person,
        full_name="Lê Văn Tâm",
        document=SimpleUploadedFile("giay-khai-sinh.pdf", PDF, content_type="application/pdf"),
    )
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert request.changes == {"full_name": "Lê Văn Tâm"}
    assert request.requested_by == requester
    assert request.document

    # The requester sees it in the queue but cannot decide.
    queue = client.get(reverse("backoffice:population-corrections"))
    assert [row["request"] for row in queue.context["rows"]] == [request]
    detail_url = reverse("backoffice:population-correction", args=[request.pk])
    detail = client.get(detail_url)
    assert 'data-testid="four-eyes"' in detail.text
    assert 'name="decision"' not in detail.text
    refused = client.post(detail_url, {"decision": "approve"})
    assert refused.status_code == 200
    assert "Another officer must decide" in refused.text
    person.refresh_from_db()
    assert person.full_name == "Lê Văn Tám"

    # Another officer approves.
    client.force_login(decider)
    detail = client.get(detail_url)
    assert 'name="decision"' in detail.text
    assert "Lê Văn Tám" in detail.text and "Lê Văn Tâm" in detail.text
    assert AccessLog.objects.filter(person=person, actor=decider).exists()
    response = client.post(detail_url, {"decision": "approve", "note": ""})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (CorrectionRequest.Status.APPROVED, decider)
    person.refresh_from_db()
    assert person.full_name == "Lê Văn Tâm"
    version = PersonVersion.objects.get(person=person)
    assert version.changed_by == decider
    assert version.data["full_name"] == "Lê Văn Tám"
    assert version.changed_fields == ["full_name"]
    assert not client.get(reverse("backoffice:population-corrections")).context["rows"]


def test_a_correction_typed_while_the_grant_ran_out_is_still_accepted(client, clerk, ward_agency):
    person = resident(ward_agency, full_name="Lê Văn Tám", sex="M")
    client.force_login(clerk)
    open_record(client, person)
    session = client.session
    grants = session[GRANTS_SESSION_KEY]
    grants[str(person.pk)]["expires"] = time.time() - 1
    session[GRANTS_SESSION_KEY] = grants
    session.save()
    url = reverse("backoffice:population-correction-new", args=[person.pk])
    assert client.get(url)["Location"] == purpose_url(person)
    assert _file_correction(client, person, full_name="Lê Văn Tâm").status_code == 302
    assert CorrectionRequest.objects.get().changes == {"full_name": "Lê Văn Tâm"}


def test_a_correction_of_the_birth_year_that_contradicts_the_id_number_is_refused_when_filed(
    client, clerk, ward_agency
):
    person = resident(ward_agency)
    client.force_login(clerk)
    open_record(client, person)
    response = _file_correction(client, person, birth_date="1991-03-04")
    assert response.status_code == 200
    assert "birth_date" in response.context["form"].errors
    assert 'value="1991-03-04"' in response.text
    assert not CorrectionRequest.objects.exists()


def test_rejecting_a_correction_needs_a_note(client, ward_agency):
    requester = staff(ward_agency, role=Role.CLERK)
    head = staff(ward_agency, role=Role.HEAD)
    person = resident(ward_agency)
    request = population.correction_request_create(
        person=person, requested_by=requester, changes={"religion": "Công giáo"}, reason="Sai"
    )
    client.force_login(head)
    url = reverse("backoffice:population-correction", args=[request.pk])
    response = client.post(url, {"decision": "reject", "note": ""})
    assert "note" in response.context["decision_form"].errors
    response = client.post(url, {"decision": "reject", "note": "Không có giấy tờ chứng minh"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == CorrectionRequest.Status.REJECTED
    person.refresh_from_db()
    assert person.religion == ""


def test_given_a_clerk_when_opening_the_correction_queue_then_refused(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("backoffice:population-corrections")).status_code == 403


def test_the_correction_queue_costs_the_same_number_of_queries_for_2_or_12_requests(
    client, ward_agency, django_assert_max_num_queries
):
    requester = staff(ward_agency)
    officer = staff(ward_agency, role=Role.OFFICER)

    def add(n, start):
        for i in range(start, start + n):
            population.correction_request_create(
                person=resident(ward_agency, i, full_name=f"Vũ Thị Hà {i}"),
                requested_by=requester,
                changes={"religion": "Phật giáo"},
                reason="Bổ sung tôn giáo",
            )

    add(2, 0)
    client.force_login(officer)
    url = reverse("backoffice:population-corrections")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).context["rows"]) == 2
    add(10, 2)
    with django_assert_max_num_queries(len(small)):
        assert len(client.get(url).context["rows"]) == 12


def test_the_correction_document_is_served_only_to_those_who_may_decide_or_asked(
    client, ward_agency, other_ward_agency
):
    requester = staff(ward_agency)
    officer = staff(ward_agency, role=Role.OFFICER)
    foreign_clerk = staff(other_ward_agency)
    foreign_officer = staff(other_ward_agency, role=Role.OFFICER)
    person = resident(ward_agency)
    request = population.correction_request_create(
        person=person,
        requested_by=requester,
        changes={"religion": "Công giáo"},
        reason="Theo giấy rửa tội",
        document=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
    )
    url = reverse("backoffice:population-correction-document", args=[request.pk])

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    for outsider in (foreign_clerk, foreign_officer):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
        detail = reverse("backoffice:population-correction", args=[request.pk])
        assert client.get(detail).status_code == 403

    for allowed in (officer, requester):
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"]


# --- Identity level 2 at the counter ------------------------------------------------------------


def test_a_clerk_links_an_account_at_level_2_after_checking_the_id_card(client, clerk, ward_agency):
    holder = UserFactory(email="chi.lan@example.vn", full_name="Nguyễn Thị Lan")
    person = resident(ward_agency, full_name="Nguyễn Thị Lan")
    url = reverse("backoffice:identity-check", args=[ward_agency.code])
    client.force_login(clerk)
    assert client.get(url).status_code == 200

    malformed = client.post(url, {"step": "find", "email": holder.email, "id_number": "abc"})
    assert "12 digits" in malformed.context["find_form"].errors["id_number"][0]
    unknown_id = make_id_number("M", BORN, 999999)
    unknown = client.post(
        url, {"step": "find", "email": "khong@example.vn", "id_number": unknown_id}
    )
    assert set(unknown.context["find_form"].errors) == {"email", "id_number"}
    assert 'value="khong@example.vn"' in unknown.text
    assert not AccessLog.objects.exists()

    found = client.post(
        url, {"step": "find", "email": "Chi.Lan@example.vn", "id_number": person.id_number}
    )
    assert found.context["person"] == person
    assert "Nguyễn Thị Lan" in found.text and BORN.strftime("%d/%m/%Y") in found.text
    log = AccessLog.objects.get()
    assert (log.person, log.actor, log.agency) == (person, clerk, ward_agency)
    assert log.purpose == "Identity check at the counter"

    confirm = {"step": "confirm", "email": holder.email, "id_number": person.id_number}
    not_ticked = client.post(url, confirm)
    assert "card_checked" in not_ticked.context["confirm_form"].errors
    assert not IdentityLink.objects.exists()

    done = client.post(url, {**confirm, "card_checked": "on"})
    assert done.status_code == 302
    link = IdentityLink.objects.get()
    assert (link.user, link.person, link.level) == (holder, person, IdentityLink.Level.VERIFIED)
    assert (link.method, link.verified_by) == (IdentityLink.Method.COUNTER, clerk)


def test_the_identity_check_shows_the_services_refusal_and_keeps_the_details(
    client, clerk, ward_agency
):
    holder = UserFactory(email="chi.lan@example.vn")
    other_person = resident(ward_agency, 1, full_name="Nguyễn Thị Hoa")
    IdentityLink.objects.create(user=UserFactory(), person=other_person, level=1, method="self")
    url = reverse("backoffice:identity-check", args=[ward_agency.code])
    client.force_login(clerk)
    response = client.post(
        url,
        {
            "step": "confirm",
            "email": holder.email,
            "id_number": other_person.id_number,
            "card_checked": "on",
        },
    )
    assert response.status_code == 200
    assert "This record is linked to another account." in response.text
    assert response.context["person"] == other_person
    assert not IdentityLink.objects.filter(user=holder).exists()


def test_the_identity_check_is_for_clerks_of_that_agency_and_not_for_oneself(
    client, clerk, ward_agency, other_ward_agency
):
    officer = staff(ward_agency, role=Role.OFFICER)
    client.force_login(officer)
    assert (
        client.get(reverse("backoffice:identity-check", args=[ward_agency.code])).status_code == 403
    )
    client.force_login(clerk)
    assert (
        client.get(reverse("backoffice:identity-check", args=[other_ward_agency.code])).status_code
        == 403
    )
    me = resident(ward_agency)
    response = client.post(
        reverse("backoffice:identity-check", args=[ward_agency.code]),
        {"step": "find", "email": clerk.email, "id_number": me.id_number},
    )
    assert "email" in response.context["find_form"].errors


# --- The agency page links here ---------------------------------------------------------------


def test_the_agency_page_links_to_the_population_pages_by_role(client, clerk, ward_agency):
    client.force_login(clerk)
    text = client.get(reverse("backoffice:agency", args=[ward_agency.code])).text
    assert reverse("backoffice:population-search") in text
    assert reverse("backoffice:identity-check", args=[ward_agency.code]) in text
    assert reverse("backoffice:population-corrections") not in text
    officer = staff(ward_agency, role=Role.OFFICER)
    client.force_login(officer)
    text = client.get(reverse("backoffice:agency", args=[ward_agency.code])).text
    assert reverse("backoffice:population-corrections") in text
    assert reverse("backoffice:identity-check", args=[ward_agency.code]) not in text


def test_a_ward_is_in_the_unit_list_of_its_own_clerk_only(client, clerk, ward_agency):
    WardFactory()  # another ward of the province
    client.force_login(clerk)
    units = list(
        client.get(reverse("backoffice:population-search")).context["form"].fields["unit"].queryset
    )
    assert units == [ward_agency.unit]

"""The population database's writes: history, households, access log, links, corrections."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from citizens import population
from citizens.models import (
    AccessLog,
    CorrectionRequest,
    HouseholdMembership,
    IdentityLink,
    Person,
    PersonVersion,
    Role,
)
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from tests.conftest import enrol_totp
from tests.factories import (
    MembershipFactory,
    PersonFactory,
    UserFactory,
    WardFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_person_create_refuses_an_id_number_inconsistent_with_sex_and_birth_year():
    born = dt.date(1990, 3, 4)
    with pytest.raises(ValidationFailed) as info:
        population.person_create(
            actor=None,
            reason="test",
            id_number=make_id_number("M", born, 1),
            full_name="Trần Thị Mai",
            birth_date=born,
            sex="F",
        )
    assert info.value.code == "id_century_sex"
    assert not Person.objects.exists()


def test_a_change_keeps_the_previous_state_with_who_when_why_and_dossier():
    officer = UserFactory()
    person = PersonFactory(full_name="Lê Văn Tám")
    created = person.updated_at
    population.person_update(
        person=person,
        actor=officer,
        changes={"full_name": "Lê Văn Tâm"},
        reason="Sai chính tả khi nhập",
        dossier_ref="UBLB-261127-0001",
    )
    person.refresh_from_db()
    assert person.full_name == "Lê Văn Tâm"
    assert person.search_name == "le van tam"
    assert person.version == 2
    version = PersonVersion.objects.get(person=person)
    assert version.data["full_name"] == "Lê Văn Tám"
    assert (version.changed_by, version.dossier_ref) == (officer, "UBLB-261127-0001")
    assert version.changed_fields == ["full_name"]
    assert (
        population.person_as_of(person, created + dt.timedelta(microseconds=1))["full_name"]
        == "Lê Văn Tám"
    )
    assert population.person_as_of(person, timezone.now())["full_name"] == "Lê Văn Tâm"
    assert population.person_as_of(person, created - dt.timedelta(days=1)) is None


def test_an_update_without_a_reason_is_refused_and_a_no_op_writes_nothing():
    person = PersonFactory()
    with pytest.raises(ValidationFailed):
        population.person_update(
            person=person, actor=None, changes={"religion": "Phật giáo"}, reason=" "
        )
    population.person_update(
        person=person, actor=None, changes={"full_name": person.full_name}, reason="x"
    )
    assert not PersonVersion.objects.exists()


def test_moving_ends_one_membership_and_starts_another_never_two_active():
    ward = WardFactory()
    a = population.household_create(
        actor=None, number="HK-1", address="1 Phố A", unit=ward, reason="t"
    )
    b = population.household_create(
        actor=None, number="HK-2", address="2 Phố B", unit=ward, reason="t"
    )
    person = PersonFactory()
    population.household_join(
        actor=None,
        household=a,
        person=person,
        relation="head",
        start_date=dt.date(2020, 1, 1),
        reason="t",
    )
    population.household_join(
        actor=None,
        household=b,
        person=person,
        relation="child",
        start_date=dt.date(2026, 6, 1),
        reason="chuyển hộ",
    )
    memberships = HouseholdMembership.objects.filter(person=person).order_by("start_date")
    assert [(m.household.number, m.end_date) for m in memberships] == [
        ("HK-1", dt.date(2026, 5, 31)),
        ("HK-2", None),
    ]
    person.refresh_from_db()
    assert person.permanent_address == "2 Phố B"
    # Joining the same household again is a no-op (a handoff applied twice).
    population.household_join(
        actor=None,
        household=b,
        person=person,
        relation="child",
        start_date=dt.date(2026, 6, 1),
        reason="t",
    )
    assert HouseholdMembership.objects.filter(person=person).count() == 2


def test_the_database_refuses_a_second_active_permanent_membership():
    ward = WardFactory()
    a = population.household_create(actor=None, number="HK-3", address="x", unit=ward, reason="t")
    b = population.household_create(actor=None, number="HK-4", address="y", unit=ward, reason="t")
    person = PersonFactory()
    HouseholdMembership.objects.create(
        household=a, person=person, relation="head", start_date=dt.date(2020, 1, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdMembership.objects.create(
            household=b, person=person, relation="head", start_date=dt.date(2021, 1, 1)
        )


def test_the_access_log_is_append_only_for_the_application_and_the_database():
    person = PersonFactory()
    entry = population.access_log_write(person=person, channel="staff_ui", purpose="Kiểm tra hồ sơ")
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("UPDATE citizens_accesslog SET purpose = 'x' WHERE id = %s", [entry.pk])
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute("DELETE FROM citizens_accesslog WHERE id = %s", [entry.pk])
    assert AccessLog.objects.get().purpose == "Kiểm tra hồ sơ"


def test_an_access_without_a_purpose_is_refused():
    with pytest.raises(ValidationFailed):
        population.access_log_write(person=PersonFactory(), channel="staff_ui", purpose="  ")


# --- Linking an account ------------------------------------------------------------


def test_level_1_link_when_id_name_and_birth_date_match_one_living_person():
    person = PersonFactory(full_name="Nguyễn Văn An", sex="M", birth_date=dt.date(1985, 2, 3))
    user = UserFactory()
    link = population.identity_link_self(
        user=user,
        id_number=person.id_number,
        full_name="nguyen van an",
        birth_date=person.birth_date,
    )
    assert (link.person, link.level) == (person, IdentityLink.Level.BASIC)


def test_a_wrong_guess_answers_the_same_whether_or_not_the_id_exists_and_locks_out():
    person = PersonFactory(full_name="Nguyễn Văn An", sex="M", birth_date=dt.date(1985, 2, 3))
    user = UserFactory()
    answers = []
    for id_number in (person.id_number, "001085999999"):
        with pytest.raises(population.LinkFailed) as info:
            population.identity_link_self(
                user=user,
                id_number=id_number,
                full_name="Người Khác",
                birth_date=person.birth_date,
                ip="1.2.3.4",
            )
        answers.append((info.value.code, str(info.value.message)))
    assert answers[0] == answers[1]
    for _ in range(3):
        with pytest.raises(population.LinkFailed):
            population.identity_link_self(
                user=user,
                id_number="001085999999",
                full_name="x",
                birth_date=person.birth_date,
                ip="1.2.3.4",
            )
    # Locked out now, even with the right details.
    with pytest.raises(population.LinkLocked):
        population.identity_link_self(
            user=user,
            id_number=person.id_number,
            full_name="Nguyễn Văn An",
            birth_date=person.birth_date,
        )
    assert not IdentityLink.objects.exists()


def test_a_deceased_persons_record_cannot_be_linked():
    person = PersonFactory(status="deceased", death_date=dt.date(2020, 1, 1))
    with pytest.raises(population.LinkFailed):
        population.identity_link_self(
            user=UserFactory(),
            id_number=person.id_number,
            full_name=person.full_name,
            birth_date=person.birth_date,
        )


def test_level_2_needs_a_clerk_of_the_agency(ward_agency):
    person = PersonFactory()
    citizen = UserFactory()
    officer = MembershipFactory(agency=ward_agency, role=Role.OFFICER).user
    with pytest.raises(PermissionDeniedError):
        population.identity_link_verify_at_counter(
            clerk=officer, agency=ward_agency, user=citizen, person=person
        )
    clerk = MembershipFactory(agency=ward_agency, role=Role.CLERK).user
    with pytest.raises(PermissionDeniedError):
        population.identity_link_verify_at_counter(
            clerk=clerk, agency=ward_agency, user=clerk, person=person
        )
    link = population.identity_link_verify_at_counter(
        clerk=clerk, agency=ward_agency, user=citizen, person=person
    )
    assert (link.level, link.method, link.verified_by) == (2, "counter", clerk)
    with pytest.raises(ConflictError):
        population.identity_link_verify_at_counter(
            clerk=clerk, agency=ward_agency, user=UserFactory(), person=person
        )


# --- Corrections: four eyes ------------------------------------------------------


def test_a_correction_is_applied_only_when_another_officer_approves(ward_agency, other_ward_agency):
    person = PersonFactory(full_name="Phạm Văn Bìn", permanent_unit=ward_agency.unit)
    first = MembershipFactory(agency=ward_agency, role=Role.OFFICER).user
    second = MembershipFactory(agency=ward_agency, role=Role.OFFICER).user
    enrol_totp(first)
    request = population.correction_request_create(
        person=person,
        requested_by=first,
        changes={"full_name": "Phạm Văn Bình"},
        reason="Giấy khai sinh ghi Bình",
    )
    person.refresh_from_db()
    assert person.full_name == "Phạm Văn Bìn"
    with pytest.raises(PermissionDeniedError):
        population.correction_decide(request=request, officer=first, approve=True)
    outsider = MembershipFactory(agency=other_ward_agency, role=Role.OFFICER).user
    with pytest.raises(PermissionDeniedError):
        population.correction_decide(request=request, officer=outsider, approve=True)
    population.correction_decide(request=request, officer=second, approve=True)
    person.refresh_from_db()
    assert person.full_name == "Phạm Văn Bình"
    assert PersonVersion.objects.get(person=person).changed_by == second
    with pytest.raises(ConflictError):
        population.correction_decide(request=request, officer=second, approve=False, note="x")


def test_the_database_refuses_a_self_approved_correction():
    user = UserFactory()
    request = population.correction_request_create(
        person=PersonFactory(), requested_by=user, changes={"religion": "Không"}, reason="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CorrectionRequest.objects.filter(pk=request.pk).update(decided_by=user)

"""The procedure handlers in code: birth registration, permanent residence and
the health-insurance card for a child under 6 (forms, validation, prefill,
approval effects and their idempotency)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from citizens.idnumbers import validation_errors
from citizens.models import (
    AccessLog,
    Household,
    HouseholdMembership,
    IssuedIdNumber,
    Person,
    Role,
)
from egov.errors import ValidationFailed
from onecounter import transitions
from onecounter.intake.plan import counter_form_class
from onecounter.models import DossierStatus
from procedures.handlers import registry
from procedures.handlers.health_insurance.handler import card_numbers
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
    WardFactory,
    make_family,
    make_id_number,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


class Ref:
    """What the one-stop engine hands a handler (``DossierRef``)."""

    def __init__(self, reference, data, applicant=None, subject=None, agency=None):
        self.reference = reference
        self.agency = agency
        self.data = data
        self.applicant = applicant
        self.subject = subject


def days_ago(days):
    return TODAY - dt.timedelta(days=days)


@pytest.fixture
def ward(db):
    return WardFactory(code="00004", name="Phường Ba Đình")


@pytest.fixture
def family(ward):
    """A married couple in the population database, the mother heading a household."""
    return make_family(ward)


def birth_data(family, ward, **changes):
    """A complete birth declaration as the pages store it (JSON values)."""
    data = {
        "declarer_relation": "mother",
        "declarer_reason": "",
        "declarer_id_number": family["mother"].id_number,
        "full_name": "Trần Minh An",
        "sex": "M",
        "ethnicity": "01",
        "nationality": "Việt Nam",
        "native_place": "Xã Đông Anh, Thành phố Hà Nội",
        "birth_order": 1,
        "multiple_birth": False,
        "multiple_birth_order": None,
        "sibling_dossier_code": "",
        "birth_date": days_ago(10).isoformat(),
        "birth_time": "08:30",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội",
        "birth_address": {"address": "929 đường La Thành", "unit_code": ward.code},
        "late": False,
        "birth_evidence": "hospital_certificate",
        "birth_certificate_number": "GCS-2026-001234",
        "late_reason": "",
        "never_registered": False,
        "mother_id_number": family["mother"].id_number,
        "mother_name": "Nguyễn Thị Hoa",
        "father_unknown": False,
        "father_id_number": family["father"].id_number,
        "father_name": "Trần Văn Bình",
        "household_number": family["household"].number,
        "head_consents": "",
        "health_facility": "Trạm y tế phường Ba Đình",
    }
    data.update(changes)
    return data


def birth():
    return registry.get("birth")


def procedure(handler):
    return ProcedureFactory(handler=handler)


# --- Registry ---------------------------------------------------------------------


def test_the_registry_knows_the_three_handlers_in_code_and_their_results():
    assert {"birth", "residence", "health_insurance", "form"} <= set(registry.names())
    proc = procedure("birth")
    assert [s.name for s in registry.get("birth").results(proc)] == ["birth_certificate"]
    assert [s.name for s in registry.get("residence").results(proc)] == ["residence_confirmation"]
    assert [s.name for s in registry.get("health_insurance").results(proc)] == [
        "health_insurance_card"
    ]
    # The declarer, the child, the birth, the parents and the household.
    assert birth().pages(proc) == [1, 2, 3, 4]


# --- Birth: the pages ----------------------------------------------------------------


def page_form(number, post):
    return birth().form_class(procedure("birth"), number)(post)


def declarer_post(family, **changes):
    post = {"declarer_relation": "mother", "declarer_id_number": family["mother"].id_number}
    post.update(changes)
    return post


def test_birth_page_1_takes_a_parent_or_someone_else_with_a_reason(family):
    assert page_form(1, declarer_post(family)).is_valid()
    grandmother = declarer_post(
        family,
        declarer_relation="grandparent",
        declarer_reason="Cha mẹ đang làm việc ở nước ngoài",
        declarer_id_number=make_id_number("F", dt.date(1960, 1, 1), 1),
    )
    assert page_form(1, grandmother).is_valid()


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("grandparent_without_reason", {"declarer_relation": "grandparent"}, "declarer_reason"),
        ("carer_without_reason", {"declarer_relation": "carer", "declarer_reason": "  "}, "declarer_reason"),
        ("unknown_relation", {"declarer_relation": "neighbour"}, "declarer_relation"),
        ("a_man_as_the_mother", {"declarer_id_number": "001093000001"}, "declarer_relation"),
        ("a_woman_as_the_father", {"declarer_relation": "father"}, "declarer_relation"),
        ("malformed_id_number", {"declarer_id_number": "12345"}, "declarer_id_number"),
    ],
)  # fmt: skip
def test_birth_page_1_refuses_bad_input_next_to_its_field(family, case, changes, field):
    form = page_form(1, declarer_post(family, **changes))
    assert not form.is_valid()
    assert field in form.errors, case


def child_post(**changes):
    post = {
        "full_name": "  Trần   Minh An ",
        "sex": "M",
        "ethnicity": "01",
        "nationality": "Việt Nam",
        "native_place": "Xã Đông Anh, Thành phố Hà Nội",
        "birth_order": "1",
    }
    post.update(changes)
    return post


def test_birth_page_2_accepts_the_child_and_a_twin_with_its_order():
    form = page_form(2, child_post())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["full_name"] == "Trần Minh An"
    twin = page_form(
        2,
        child_post(
            multiple_birth="on", multiple_birth_order="2", sibling_dossier_code="ublb-260304-0001"
        ),
    )
    assert twin.is_valid(), twin.errors
    assert twin.cleaned_data["sibling_dossier_code"] == "UBLB-260304-0001"


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("sibling_code_without_multiple_birth", {"sibling_dossier_code": "UBLB-260304-0001"}, "sibling_dossier_code"),
        ("sibling_code_malformed", {"multiple_birth": "on", "multiple_birth_order": "2", "sibling_dossier_code": "twin"}, "sibling_dossier_code"),
        ("twin_without_its_order", {"multiple_birth": "on"}, "multiple_birth_order"),
        ("order_without_a_multiple_birth", {"multiple_birth_order": "2"}, "multiple_birth_order"),
        ("birth_order_zero", {"birth_order": "0"}, "birth_order"),
        ("no_birth_order", {"birth_order": ""}, "birth_order"),
        ("unknown_ethnicity", {"ethnicity": "77"}, "ethnicity"),
    ],
)  # fmt: skip
def test_birth_page_2_refuses_bad_input_next_to_its_field(case, changes, field):
    form = page_form(2, child_post(**changes))
    assert not form.is_valid()
    assert field in form.errors, case


def birth_post(ward, **changes):
    post = {
        "birth_date": days_ago(3).isoformat(),
        "birth_time": "08:30",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội",
        "birth_address_0": "929 đường La Thành",
        "birth_address_1": ward.code,
        "birth_evidence": "hospital_certificate",
        "birth_certificate_number": "GCS-2026-001234",
    }
    post.update(changes)
    return {k: v for k, v in post.items() if v is not None}


def test_birth_page_3_accepts_the_birth_and_stores_json_friendly_values(ward):
    form = page_form(3, birth_post(ward))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["birth_address"] == {
        "address": "929 đường La Thành",
        "unit_code": ward.code,
    }
    assert form.cleaned_data["birth_time"] == "08:30"


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("born_in_the_future", {"birth_date": (TODAY + dt.timedelta(days=1)).isoformat()}, "birth_date"),
        ("time_not_a_time", {"birth_time": "25:61"}, "birth_time"),
        ("ward_not_in_the_city", {"birth_address_1": "99999"}, "birth_address"),
        ("no_address_line", {"birth_address_0": ""}, "birth_address"),
        ("certificate_without_number", {"birth_certificate_number": ""}, "birth_certificate_number"),
        ("outside_hospital_without_statement", {"birth_evidence": "written_commitment"}, "evidence_document"),
        ("unknown_evidence", {"birth_evidence": "rumour"}, "birth_evidence"),
        ("late_without_reason", {"birth_date": days_ago(61).isoformat(), "never_registered": "on"}, "late_reason"),
        ("late_without_the_commitment", {"birth_date": days_ago(61).isoformat(), "late_reason": "Ốm"}, "never_registered"),
    ],
)  # fmt: skip
def test_birth_page_3_refuses_bad_input_next_to_its_field(ward, case, changes, field):
    form = page_form(3, birth_post(ward, **changes))
    assert not form.is_valid()
    assert field in form.errors, case


def test_birth_page_3_works_out_late_registration_itself(ward):
    late = page_form(
        3,
        birth_post(
            ward, birth_date=days_ago(61).isoformat(), late_reason="Ốm", never_registered="on"
        ),
    )
    on_time = page_form(3, birth_post(ward, birth_date=days_ago(60).isoformat(), late="True"))
    assert late.is_valid() and on_time.is_valid(), (late.errors, on_time.errors)
    assert late.cleaned_data["late"] is True
    assert on_time.cleaned_data["late"] is False  # not taken from the browser


def test_birth_page_3_late_without_a_hospital_certificate_asks_for_proof_of_the_birth(ward):
    post = birth_post(
        ward,
        birth_date=days_ago(400).isoformat(),
        birth_evidence="witness_statement",
        birth_certificate_number="",
        late_reason="Gia đình ở vùng sâu",
        never_registered="on",
    )
    statement = SimpleUploadedFile("a.pdf", b"%PDF-", content_type="application/pdf")
    form = birth().form_class(procedure("birth"), 3)(post, {"evidence_document": statement})
    assert not form.is_valid()
    assert list(form.errors) == ["birth_facts_document"]
    files = {"evidence_document": statement, "birth_facts_document": statement}
    assert birth().form_class(procedure("birth"), 3)(post, files).is_valid()


def test_birth_page_3_at_the_counter_takes_the_checked_paper_documents(ward):
    page = counter_form_class(birth().form_class(procedure("birth"), 3))
    post = birth_post(ward, birth_evidence="witness_statement", birth_certificate_number="")
    assert not page(post).is_valid()
    assert page({**post, "evidence_document": "on"}).is_valid()
    late = birth_post(
        ward,
        birth_date=days_ago(400).isoformat(),
        birth_evidence="written_commitment",
        birth_certificate_number="",
        late_reason="Gia đình ở vùng sâu",
        never_registered="on",
        evidence_document="on",
    )
    assert "birth_facts_document" in page(late).errors
    assert page({**late, "birth_facts_document": "on"}).is_valid()


def parents_post(family, **changes):
    post = {
        "mother_id_number": family["mother"].id_number,
        "father_id_number": family["father"].id_number,
        "household_number": family["household"].number,
        "health_facility": "Trạm y tế phường Ba Đình",
    }
    post.update(changes)
    return {k: v for k, v in post.items() if v is not None}


def test_birth_page_4_accepts_parents_by_id_number_or_a_foreign_father_by_details(family):
    assert page_form(4, parents_post(family)).is_valid()
    foreign = parents_post(
        family,
        father_id_number="",
        father_name="John Smith",
        father_nationality="Vương quốc Anh",
        father_birth_year="1990",
        father_residence="London",
    )
    assert page_form(4, foreign).is_valid()


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("father_unknown_with_father_id", {"father_unknown": "on"}, "father_id_number"),
        ("father_unknown_with_father_name", {"father_unknown": "on", "father_id_number": "", "father_name": "Ai đó"}, "father_name"),
        ("foreign_father_without_birth_year", {"father_id_number": "", "father_name": "John Smith", "father_nationality": "Anh", "father_residence": "London"}, "father_birth_year"),
        ("foreign_mother_without_nationality", {"mother_id_number": "", "mother_name": "Anna Ivanova", "mother_birth_year": "1994", "mother_residence": "Hà Nội"}, "mother_nationality"),
        ("id_number_with_unknown_province", {"father_id_number": "999093000001"}, "father_id_number"),
        ("consent_neither_yes_nor_no", {"head_consents": "maybe"}, "head_consents"),
    ],
)  # fmt: skip
def test_birth_page_4_refuses_bad_input_next_to_its_field(family, case, changes, field):
    form = page_form(4, parents_post(family, **changes))
    assert not form.is_valid()
    assert field in form.errors, case


def test_birth_page_4_names_the_head_only_to_a_parent_who_lives_there(family, ward):
    grandmother = PersonFactory(full_name="Lê Thị Gấm", sex="F", birth_date=dt.date(1960, 1, 1))
    household = Household.objects.create(
        number="HN0010009", address="Số 9 Kim Mã", unit=ward, head=grandmother
    )
    HouseholdMembership.objects.create(
        household=household, person=grandmother, relation="head", start_date=dt.date(2000, 1, 1)
    )
    stranger = page_form(4, parents_post(family, household_number="HN0010009"))
    assert "Lê Thị Gấm" not in stranger.fields["head_consents"].help_text
    HouseholdMembership.objects.filter(person=family["mother"]).update(end_date=days_ago(1))
    HouseholdMembership.objects.create(
        household=household,
        person=family["mother"],
        relation="child",
        start_date=days_ago(0),
    )
    member = page_form(4, parents_post(family, household_number="HN0010009"))
    assert "Lê Thị Gấm" in member.fields["head_consents"].help_text


@pytest.mark.parametrize("handler", ["birth", "residence", "health_insurance"])
def test_every_page_renders_as_plain_html_at_the_counter_and_online(ward, handler):
    proc = procedure(handler)
    for page in registry.get(handler).pages(proc):
        form_class = registry.get(handler).form_class(proc, page)
        for variant in (form_class, counter_form_class(form_class)):
            html = str(variant({}))  # bound and empty: required fields show their errors
            assert "<script" not in html
            if any(field.required for field in variant.base_fields.values()):
                assert 'class="errorlist' in html
            if "birth_address" in variant.base_fields:
                assert f'value="{ward.code}"' in html  # the wards are read when shown


# --- Birth: validation of the whole declaration ----------------------------------------


def test_birth_validate_accepts_a_complete_declaration(family, ward):
    data = birth_data(family, ward, household_number="")
    assert birth().validate(procedure("birth"), data) == {}
    assert data["late"] is False
    assert data["household_number"] == family["household"].number  # the declarer's own
    # The mother heads the household: the child is her child, no other consent needed.
    assert data["relation_to_head"] == "child" and data["head_consents"] == "yes"


def test_birth_validate_flags_late_registration_after_60_days(family, ward):
    late = {"late_reason": "Mẹ ốm sau sinh", "never_registered": True}
    data = birth_data(family, ward, birth_date=days_ago(90).isoformat(), **late)
    assert birth().validate(procedure("birth"), data) == {}
    assert data["late"] is True
    on_time = birth_data(family, ward, birth_date=days_ago(60).isoformat(), late=True)
    assert birth().validate(procedure("birth"), on_time) == {}
    assert on_time["late"] is False


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("born_in_the_future", {"birth_date": (TODAY + dt.timedelta(days=2)).isoformat()}, "birth_date"),
        ("no_birth_date", {"birth_date": ""}, "birth_date"),
        ("non_parent_without_reason", {"declarer_relation": "relative", "mother_id_number": ""}, "declarer_reason"),
        ("father_unknown_with_father_data", {"father_unknown": True}, "father_id_number"),
        ("father_unknown_but_father_declares", {"declarer_relation": "father", "declarer_id_number": "FATHER", "father_unknown": True, "father_id_number": "", "father_name": ""}, "father_unknown"),
        ("no_father_and_not_unknown", {"father_id_number": "", "father_name": ""}, "father_name"),
        ("no_mother_named", {"declarer_relation": "grandparent", "declarer_reason": "x", "declarer_id_number": "GRANDMOTHER", "mother_id_number": "", "mother_name": ""}, "mother_name"),
        ("declaring_mother_names_another_mother", {"mother_id_number": "001195000001"}, "mother_id_number"),
        ("declarer_not_in_the_database", {"declarer_id_number": "001195099999", "mother_id_number": "001195099999"}, "declarer_id_number"),
        ("mother_is_a_man", {"declarer_relation": "relative", "declarer_reason": "x", "declarer_id_number": "GRANDMOTHER", "mother_id_number": "FATHER"}, "mother_id_number"),
        ("no_such_household", {"household_number": "HN0000000"}, "household_number"),
        ("certificate_without_number", {"birth_certificate_number": ""}, "birth_certificate_number"),
        ("bad_sex", {"sex": "X"}, "sex"),
        ("grandparent_named_as_mother", {"declarer_relation": "grandparent", "declarer_reason": "x"}, "declarer_relation"),
        ("unknown_ethnicity", {"ethnicity": "77"}, "ethnicity"),
        ("no_health_facility_for_a_baby", {"health_facility": ""}, "health_facility"),
        ("late_without_reason", {"birth_date": days_ago(90).isoformat(), "never_registered": True}, "late_reason"),
        ("late_without_commitment", {"birth_date": days_ago(90).isoformat(), "late_reason": "x"}, "never_registered"),
        ("twin_without_its_order", {"multiple_birth": True}, "multiple_birth_order"),
        ("unknown_twin_dossier", {"multiple_birth": True, "multiple_birth_order": 2, "sibling_dossier_code": "UBLB-260304-0009"}, "sibling_dossier_code"),
    ],
)  # fmt: skip
def test_birth_validate_names_each_problem_by_field(family, ward, case, changes, field):
    grandmother = PersonFactory(sex="F", birth_date=dt.date(1960, 1, 1))
    people = {"FATHER": family["father"].id_number, "GRANDMOTHER": grandmother.id_number}
    changes = {k: people.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    problems = birth().validate(procedure("birth"), birth_data(family, ward, **changes))
    assert field in problems, (case, problems)


def test_birth_validate_a_non_parent_declarer_with_a_reason_is_accepted(family, ward):
    grandmother = PersonFactory(full_name="Lê Thị Gấm", sex="F", birth_date=dt.date(1960, 1, 1))
    data = birth_data(
        family,
        ward,
        declarer_relation="grandparent",
        declarer_id_number=grandmother.id_number,
        declarer_reason="Cha mẹ đang làm việc ở nước ngoài",
    )
    assert birth().validate(procedure("birth"), data) == {}


def test_birth_validate_father_unknown_without_father_data_is_accepted(family, ward):
    data = birth_data(family, ward, father_unknown=True, father_id_number="", father_name="")
    assert birth().validate(procedure("birth"), data) == {}


def test_birth_validate_a_child_of_6_or_more_needs_no_health_facility(family, ward):
    born = TODAY.replace(year=TODAY.year - 7)
    data = birth_data(
        family,
        ward,
        birth_date=born.isoformat(),
        health_facility="",
        late_reason="Gia đình không biết thủ tục",
        never_registered=True,
    )
    assert birth().validate(procedure("birth"), data) == {}
    assert data["late"] is True and data["birth_date"] == born.isoformat()


def test_birth_validate_refuses_registering_the_same_child_twice(family, ward, agency):
    data = birth_data(family, ward)
    birth().on_approved(procedure("birth"), Ref("UBLB-260304-0001", data, agency=agency), None)
    again = birth_data(family, ward, full_name="trần minh an")
    assert "full_name" in birth().validate(procedure("birth"), again)


# --- Birth: prefill ---------------------------------------------------------------------


def test_birth_prefill_gives_the_declarer_and_their_household(family):
    values = birth().prefill(procedure("birth"), family["mother"])
    assert values == {
        "declarer_id_number": family["mother"].id_number,
        "household_number": family["household"].number,
    }
    assert not AccessLog.objects.exists()  # nobody else's record was read
    assert birth().prefill(procedure("birth"), None) == {}


def test_a_declaring_mother_gets_both_parents_read_only_from_the_population_database(family, ward):
    mother, father = family["mother"], family["father"]
    data = {"declarer_relation": "mother", "declarer_id_number": mother.id_number}
    values, read_only = birth().prefill_update(
        procedure("birth"), mother, data, read_only={"declarer_id_number"}, reference="draft-1"
    )
    assert values["mother_id_number"] == mother.id_number
    assert values["mother_name"] == "Nguyễn Thị Hoa"
    assert values["mother_birth_year"] == 1995
    assert values["mother_ethnicity"] == "Kinh"
    assert values["mother_nationality"] == "Việt Nam"
    assert values["mother_residence"].startswith("Số 5 phố Kim Mã, Phường Ba Đình")
    assert values["father_id_number"] == father.id_number
    assert values["father_name"] == "Trần Văn Bình"
    assert values["father_ethnicity"] == "Mường"
    assert {"mother_name", "father_id_number", "declarer_id_number"} <= read_only
    # Reading the spouse's record is logged for the spouse to see, once per dossier.
    log = AccessLog.objects.get(person=father)
    assert log.channel == AccessLog.Channel.PREFILL and log.dossier_ref == "draft-1"
    again, _read_only = birth().prefill_update(
        procedure("birth"), mother, {**data, **values}, read_only=read_only, reference="draft-1"
    )
    assert again == {} and AccessLog.objects.filter(person=father).count() == 1
    assert not AccessLog.objects.filter(person=mother).exists()


def test_a_declarer_who_turns_out_not_to_be_a_parent_names_the_parents_themselves(family):
    mother = family["mother"]
    data = {"declarer_relation": "mother", "declarer_id_number": mother.id_number}
    values, read_only = birth().prefill_update(
        procedure("birth"), mother, data, read_only={"declarer_id_number"}, reference="d"
    )
    data = {**data, **values, "declarer_relation": "relative"}
    cleared, read_only = birth().prefill_update(
        procedure("birth"), mother, data, read_only=read_only, reference="d"
    )
    assert cleared["mother_id_number"] is None and cleared["father_name"] is None
    assert read_only == {"declarer_id_number"}


def test_a_declaring_father_gets_his_wife_as_the_mother(family):
    father = family["father"]
    data = {"declarer_relation": "father", "declarer_id_number": father.id_number}
    values, _read_only = birth().prefill_update(
        procedure("birth"), father, data, read_only=set(), reference="d"
    )
    assert values["father_id_number"] == father.id_number
    assert values["mother_id_number"] == family["mother"].id_number


def test_a_spouse_outside_the_database_is_prefilled_by_name():
    mother = PersonFactory(sex="F", spouse_name="Pierre Dupont")
    data = {"declarer_relation": "mother", "declarer_id_number": mother.id_number}
    values, read_only = birth().prefill_update(
        procedure("birth"), mother, data, read_only=set(), reference="d"
    )
    assert values["father_name"] == "Pierre Dupont" and "father_name" in read_only
    assert "father_id_number" not in values and "father_birth_year" not in read_only


# --- Birth: approval --------------------------------------------------------------------


@pytest.fixture
def agency(ward):
    return AgencyFactory(code="UBBD", unit=ward)


def approve(data, reference, agency):
    birth().on_approved(procedure("birth"), Ref(reference, data, agency=agency), actor=None)
    return Person.objects.get(source=f"birth:{reference}")


def test_birth_approval_creates_the_child_once_with_a_valid_id_number(family, ward, agency):
    data = birth_data(family, ward)
    ref = Ref("UBLB-260304-0001", data, agency=agency)
    birth().on_approved(procedure("birth"), ref, actor=None)
    birth().on_approved(procedure("birth"), ref, actor=None)  # approved again: nothing new

    child = Person.objects.get(source="birth:UBLB-260304-0001")
    assert child.full_name == "Trần Minh An"
    assert child.birth_date == days_ago(10)
    assert child.sex == "M"
    assert child.id_number.startswith("0012")  # Hà Nội, a boy born in the 2000s
    assert validation_errors(child.id_number, sex=child.sex, birth_date=child.birth_date) == []
    assert child.mother == family["mother"] and child.father == family["father"]
    assert child.birth_place == (
        "Bệnh viện Phụ sản Hà Nội, 929 đường La Thành, Phường Ba Đình, Thành phố Hà Nội"
    )
    assert child.ethnicity == "01" and child.nationality == "Việt Nam"
    assert child.native_place == "Xã Đông Anh, Thành phố Hà Nội"
    assert IssuedIdNumber.objects.filter(reason="birth UBLB-260304-0001").count() == 1
    assert Person.objects.filter(mother=family["mother"]).count() == 1


def test_birth_approval_for_a_girl_gives_the_female_century_digit(family, ward, agency):
    data = birth_data(family, ward, sex="F", full_name="Trần Minh Châu")
    child = approve(data, "UBLB-260304-0002", agency)
    assert child.id_number[3] == "3"  # born in the 2000s, female
    assert validation_errors(child.id_number, sex="F", birth_date=child.birth_date) == []


def test_birth_approval_with_the_father_unknown_leaves_the_father_empty(family, ward, agency):
    data = birth_data(family, ward, father_unknown=True, father_id_number="", father_name="")
    child = approve(data, "UBLB-260304-0003", agency)
    assert child.father is None and child.father_name == ""
    assert child.mother == family["mother"]


def test_birth_approval_keeps_a_foreign_father_by_name(family, ward, agency):
    data = birth_data(
        family, ward, father_id_number="", father_name="John Smith", father_nationality="Anh"
    )
    child = approve(data, "UBLB-260304-0004", agency)
    assert child.father is None and child.father_name == "John Smith"


def test_birth_approval_by_a_grandparent_links_the_parents(family, ward, agency):
    grandmother = PersonFactory(sex="F", birth_date=dt.date(1960, 1, 1))
    data = birth_data(
        family,
        ward,
        declarer_relation="grandparent",
        declarer_reason="Cha mẹ đang ở nước ngoài",
        declarer_id_number=grandmother.id_number,
    )
    child = approve(data, "UBLB-260304-0005", agency)
    assert child.mother == family["mother"] and child.father == family["father"]


def test_twins_get_distinct_records_and_id_numbers(family, ward, agency):
    born = days_ago(5).isoformat()
    twin = {"birth_date": born, "multiple_birth": True}
    first = birth_data(family, ward, full_name="Trần Minh Nhật", multiple_birth_order=1, **twin)
    second = birth_data(
        family,
        ward,
        full_name="Trần Minh Nguyệt",
        sex="F",
        birth_order=2,
        multiple_birth_order=2,
        sibling_dossier_code="UBLB-260304-0006",
        **twin,
    )
    for ref, data in (("UBLB-260304-0006", first), ("UBLB-260304-0007", second)):
        birth().on_approved(procedure("birth"), Ref(ref, data, agency=agency), actor=None)
        birth().on_approved(procedure("birth"), Ref(ref, data, agency=agency), actor=None)
    twins = list(Person.objects.filter(mother=family["mother"]).order_by("full_name"))
    assert [t.full_name for t in twins] == ["Trần Minh Nguyệt", "Trần Minh Nhật"]
    assert twins[0].id_number != twins[1].id_number
    assert all(t.birth_date == days_ago(5) for t in twins)
    for twin in twins:
        assert validation_errors(twin.id_number, sex=twin.sex, birth_date=twin.birth_date) == []


def test_birth_approval_refuses_a_parent_id_number_that_is_not_in_the_database(
    family, ward, agency
):
    data = birth_data(family, ward, father_id_number=make_id_number("M", dt.date(1990, 1, 1), 7))
    with pytest.raises(ValidationFailed) as info:
        approve(data, "UBLB-260304-0008", agency)
    assert info.value.code == "parent_not_found"
    assert not Person.objects.filter(source="birth:UBLB-260304-0008").exists()


# --- Birth: end to end through the one-stop engine -----------------------------------


@pytest.fixture
def office(ward):
    agency = AgencyFactory(code="UBBD", unit=ward)
    staff = {
        role: MembershipFactory(agency=agency, role=role).user
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD)
    }
    return agency, staff


def test_approving_a_birth_dossier_through_the_one_stop_engine_creates_the_child(
    office, family, ward
):
    agency, staff = office
    dossier = DossierFactory(
        agency=agency, procedure=procedure("birth"), data=birth_data(family, ward)
    )
    steps = [
        ("submit", dossier.applicant, {}),
        ("receive", staff[Role.CLERK], {}),
        ("assign", staff[Role.CLERK], {"officer": staff[Role.OFFICER]}),
        ("propose", staff[Role.OFFICER], {"decision": "approve"}),
        ("approve", staff[Role.HEAD], {}),
    ]
    for action, actor, params in steps:
        dossier = transitions.perform(dossier, action, actor=actor, **params)
    assert dossier.status == DossierStatus.APPROVED
    child = Person.objects.get(source=f"birth:{dossier.code}")
    assert child.mother == family["mother"]
    assert child.id_number.startswith("001")
    assert validation_errors(child.id_number, sex=child.sex, birth_date=child.birth_date) == []


# --- Residence ---------------------------------------------------------------------------


def residence():
    return registry.get("residence")


def residence_post(person, household, **changes):
    post = {
        "person_id_number": person.id_number,
        "household_number": household.number,
        "relation": "child",
        "legal_basis": "relatives_home",
        "head_consents": "yes",
        "start_date": TODAY.isoformat(),
    }
    post.update(changes)
    return post


@pytest.fixture
def newcomer(ward):
    return PersonFactory(full_name="Phạm Văn Cường", sex="M", birth_date=dt.date(2001, 3, 3))


def test_residence_form_accepts_a_complete_answer(family, newcomer):
    form = residence().form_class(procedure("residence"), 1)(
        residence_post(newcomer, family["household"])
    )
    assert form.is_valid(), form.errors
    assert residence().pages(procedure("residence")) == [1]


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("relatives_home_without_consent", {"head_consents": ""}, "head_consents"),
        ("relatives_home_refused", {"head_consents": "no"}, "head_consents"),
        ("malformed_id_number", {"person_id_number": "0011"}, "person_id_number"),
        ("no_household", {"household_number": ""}, "household_number"),
        ("unknown_relation", {"relation": "friend"}, "relation"),
        ("unknown_legal_basis", {"legal_basis": "squat"}, "legal_basis"),
        ("no_start_date", {"start_date": ""}, "start_date"),
    ],
)
def test_residence_form_refuses_bad_input_next_to_its_field(family, newcomer, case, changes, field):
    form = residence().form_class(procedure("residence"), 1)(
        residence_post(newcomer, family["household"], **changes)
    )
    assert not form.is_valid()
    assert field in form.errors, case


def residence_data(person, household, **changes):
    data = {
        "person_id_number": person.id_number,
        "household_number": household.number,
        "relation": "child",
        "legal_basis": "relatives_home",
        "head_consents": "yes",
        "start_date": TODAY.isoformat(),
    }
    data.update(changes)
    return data


def test_residence_validate_accepts_joining_with_the_heads_consent(family, newcomer):
    data = residence_data(newcomer, family["household"])
    assert residence().validate(procedure("residence"), data) == {}


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("person_not_in_the_database", {"person_id_number": "001201999999"}, "person_id_number"),
        ("household_does_not_exist", {"household_number": "HN9999999"}, "household_number"),
        ("someone_elses_household_without_consent", {"legal_basis": "rented_home", "head_consents": ""}, "head_consents"),
        ("head_refuses", {"head_consents": "no"}, "head_consents"),
        ("second_head", {"relation": "head"}, "relation"),
        ("no_start_date", {"start_date": ""}, "start_date"),
    ],
)  # fmt: skip
def test_residence_validate_names_each_problem_by_field(family, newcomer, case, changes, field):
    problems = residence().validate(
        procedure("residence"), residence_data(newcomer, family["household"], **changes)
    )
    assert field in problems, (case, problems)


def test_residence_validate_no_consent_needed_for_ones_own_household(family, ward):
    owner = PersonFactory(sex="M", birth_date=dt.date(1980, 1, 1))
    own = Household.objects.create(
        number="HN0010002", address="Số 9 Đội Cấn", unit=ward, head=owner
    )
    data = residence_data(owner, own, relation="head", legal_basis="owned_home", head_consents="")
    assert residence().validate(procedure("residence"), data) == {}


def test_residence_validate_refuses_a_member_already_in_the_household(family):
    data = residence_data(family["father"], family["household"])
    assert "household_number" in residence().validate(procedure("residence"), data)


def test_residence_approval_joins_the_household_once(family, newcomer):
    data = residence_data(newcomer, family["household"])
    ref = Ref("CALB-260304-0001", data)
    residence().on_approved(procedure("residence"), ref, actor=None)
    residence().on_approved(procedure("residence"), ref, actor=None)
    membership = HouseholdMembership.objects.get(person=newcomer)
    assert membership.household == family["household"]
    assert membership.relation == "child" and membership.end_date is None
    assert membership.dossier_ref == "CALB-260304-0001"
    newcomer.refresh_from_db()
    assert newcomer.permanent_address == family["household"].address


def test_residence_approval_moves_a_person_and_stays_done_after_a_later_move(family, ward):
    father = family["father"]
    other = Household.objects.create(number="HN0010003", address="Số 2 Liễu Giai", unit=ward)
    data = residence_data(father, other, relation="head", legal_basis="owned_home")
    ref = Ref("CALB-260304-0002", data)
    residence().on_approved(procedure("residence"), ref, actor=None)
    memberships = HouseholdMembership.objects.filter(person=father).order_by("start_date")
    assert [m.household for m in memberships] == [family["household"], other]
    assert memberships[0].end_date == TODAY - dt.timedelta(days=1)
    # He moves back later; approving the old dossier again does not move him.
    HouseholdMembership.objects.filter(person=father, household=other).update(end_date=TODAY)
    residence().on_approved(procedure("residence"), ref, actor=None)
    assert HouseholdMembership.objects.filter(person=father).count() == 2


def test_residence_approval_for_a_child_named_as_the_dossier_subject(family):
    child = PersonFactory(sex="F", birth_date=days_ago(40))
    data = residence_data(child, family["household"], person_id_number="")
    residence().on_approved(procedure("residence"), Ref("CALB-1", data, subject=child), actor=None)
    assert HouseholdMembership.objects.get(person=child).household == family["household"]


def test_residence_prefill_is_the_applicants_own_number(newcomer):
    assert residence().prefill(procedure("residence"), newcomer) == {
        "person_id_number": newcomer.id_number
    }


# --- Health-insurance card -----------------------------------------------------------------


def health():
    return registry.get("health_insurance")


@pytest.fixture
def small_child(family):
    return PersonFactory(
        full_name="Trần Minh Khôi",
        sex="M",
        birth_date=days_ago(400),
        mother=family["mother"],
        father=family["father"],
    )


def test_card_form_accepts_a_child_and_a_facility(small_child):
    form = health().form_class(procedure("health_insurance"), 1)(
        {"child_id_number": small_child.id_number, "health_facility": "Trạm y tế Ba Đình"}
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("case", "post", "field"),
    [
        ("no_id_number", {"child_id_number": "", "health_facility": "Trạm y tế"}, "child_id_number"),
        ("malformed_id_number", {"child_id_number": "12ab", "health_facility": "Trạm y tế"}, "child_id_number"),
        ("no_facility", {"child_id_number": "001224000001", "health_facility": ""}, "health_facility"),
    ],
)  # fmt: skip
def test_card_form_refuses_bad_input_next_to_its_field(case, post, field):
    form = health().form_class(procedure("health_insurance"), 1)(post)
    assert not form.is_valid()
    assert field in form.errors, case


def test_card_validate_takes_a_child_under_6(small_child):
    data = {"child_id_number": small_child.id_number, "health_facility": "Trạm y tế"}
    assert health().validate(procedure("health_insurance"), data) == {}


def six_years_before(day):
    try:
        return day.replace(year=day.year - 6)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 6, day=28)


@pytest.mark.parametrize(
    ("case", "birth_date", "ok"),
    [
        ("turns_6_tomorrow", six_years_before(TODAY) + dt.timedelta(days=1), True),
        ("turns_6_today", six_years_before(TODAY), False),
        ("ten_years_old", dt.date(TODAY.year - 10, 1, 1), False),
    ],
)
def test_card_validate_refuses_a_child_of_6_or_more(case, birth_date, ok):
    child = PersonFactory(sex="F", birth_date=birth_date)
    data = {"child_id_number": child.id_number, "health_facility": "Trạm y tế"}
    problems = health().validate(procedure("health_insurance"), data)
    assert (problems == {}) is ok, (case, problems)


def test_card_validate_refuses_an_unknown_child_or_one_with_a_card(small_child):
    unknown = {"child_id_number": "001224999999", "health_facility": "Trạm y tế"}
    assert "child_id_number" in health().validate(procedure("health_insurance"), unknown)
    small_child.health_insurance_number = "TE1010000000001"
    small_child.save(update_fields=["health_insurance_number"])
    data = {"child_id_number": small_child.id_number, "health_facility": "Trạm y tế"}
    assert "child_id_number" in health().validate(procedure("health_insurance"), data)


def test_card_approval_sets_one_number_derived_from_the_id_number(small_child):
    data = {"child_id_number": small_child.id_number, "health_facility": "Trạm y tế"}
    ref = Ref("BHXHLB-260304-0001", data)
    health().on_approved(procedure("health_insurance"), ref, actor=None)
    small_child.refresh_from_db()
    number = small_child.health_insurance_number
    assert number == "TE101" + small_child.id_number[-10:]
    assert len(number) == 15
    version = small_child.version
    health().on_approved(procedure("health_insurance"), ref, actor=None)
    small_child.refresh_from_db()
    assert small_child.health_insurance_number == number
    assert small_child.version == version  # nothing written the second time
    assert small_child.versions.get().dossier_ref == "BHXHLB-260304-0001"


def test_card_approval_leaves_an_existing_card_alone(small_child):
    small_child.health_insurance_number = "TE1010000000042"
    small_child.save(update_fields=["health_insurance_number"])
    data = {"child_id_number": small_child.id_number, "health_facility": "Trạm y tế"}
    health().on_approved(procedure("health_insurance"), Ref("BHXHLB-1", data), actor=None)
    small_child.refresh_from_db()
    assert small_child.health_insurance_number == "TE1010000000042"


def test_card_approval_takes_the_hashed_number_when_the_plain_one_is_taken(small_child):
    plain, hashed = card_numbers(small_child.id_number)
    PersonFactory(sex="M", birth_date=dt.date(2022, 1, 1), health_insurance_number=plain)
    data = {"child_id_number": small_child.id_number, "health_facility": "Trạm y tế"}
    health().on_approved(procedure("health_insurance"), Ref("BHXHLB-2", data), actor=None)
    small_child.refresh_from_db()
    assert small_child.health_insurance_number == hashed
    assert hashed.startswith("TE101") and len(hashed) == 15


def test_card_prefill_gives_the_only_child_under_6(family, small_child):
    PersonFactory(sex="F", birth_date=dt.date(TODAY.year - 12, 1, 1), mother=family["mother"])
    assert health().prefill(procedure("health_insurance"), family["mother"]) == {
        "child_id_number": small_child.id_number
    }
    # Filing for the child: the filing flow asks about the child itself.
    assert health().prefill(procedure("health_insurance"), small_child) == {
        "child_id_number": small_child.id_number
    }
    PersonFactory(sex="M", birth_date=days_ago(30), mother=family["mother"])
    assert health().prefill(procedure("health_insurance"), family["mother"]) == {}

"""The procedure catalog: the demo seed, the public pages and the back office."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens import demo as citizens_demo
from citizens.models import Agency, Role
from citizens.services import administrative_units_load
from egov.errors import ConflictError, ValidationFailed
from procedures import demo, selectors, services
from procedures.models import FormField, Procedure, ProcedureRevision, RequiredDocument
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    FieldFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
    WardFactory,
)
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English texts; Vietnamese is the default at run time."""
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


@pytest.fixture
def catalog_admin(db):
    agency = AgencyFactory(code="VPUB", name="Văn phòng UBND thành phố", kind="department")
    user = MembershipFactory(agency=agency, role=Role.CATALOG_ADMIN).user
    enrol_totp(user)
    return user


@pytest.fixture
def seeded(db):
    administrative_units_load(provinces=["01"])
    citizens_demo.seed_agencies()
    return demo.seed_catalog()


def public(**fields):
    """A published procedure offered by a ward agency."""
    agency = fields.pop("agency", None) or AgencyFactory()
    procedure = ProcedureFactory(**fields)
    procedure.offered_by.add(agency)
    return procedure


def listed(response) -> list[str]:
    return re.findall(r'href="/procedures/([^/"]+)/"', response.text)


# --- The demo seed ------------------------------------------------------------------


def test_the_seed_gives_at_least_7_city_and_7_ward_procedures_all_published(seeded):
    procedures = Procedure.objects.all()
    assert procedures.count() >= 14
    assert procedures.filter(level="city", is_published=True).count() >= 7
    assert procedures.filter(level="commune", is_published=True).count() >= 7
    for code in ("1.001193", "1.000656", "1.000894", "2.000815", "1.004194", "2.000488"):
        assert Procedure.objects.filter(code=code, is_published=True).exists(), code


def test_the_seed_names_the_code_handlers_and_defines_the_simple_forms(seeded):
    handlers = dict(Procedure.objects.values_list("code", "handler"))
    assert handlers["1.001193"] == "birth"
    assert handlers["1.004194"] == "residence"
    assert Procedure.objects.get(name__startswith="Cấp thẻ bảo hiểm y tế").handler == (
        "health_insurance"
    )
    for procedure in Procedure.objects.filter(handler="form").prefetch_related("form_fields"):
        questions = list(procedure.form_fields.all())
        assert 3 <= len(questions) <= 8, procedure.code
        assert {q.page for q in questions} <= {1, 2, 3}
        for question in questions:
            if question.kind == FormField.Kind.CHOICE:
                assert len(question.choices.splitlines()) >= 2


def test_the_seed_sets_realistic_times_fees_and_offering_agencies(seeded):
    birth = Procedure.objects.get(code="1.001193")
    assert birth.fee_online == birth.fee_counter == 0
    record = Procedure.objects.get(code="2.000488")
    assert record.days_online < record.days_counter
    assert record.fee_online < record.fee_counter
    assert [a.code for a in record.offered_by.all()] == ["STP"]
    residence = Procedure.objects.get(code="1.004194")
    assert [a.code for a in residence.offered_by.all()] == ["CALB"]
    assert (residence.fee_online, residence.fee_counter) == (10000, 20000)
    assert {a.code for a in birth.offered_by.all()} == {"UBLB", "UBBD"}
    assert birth.documents.filter(wallet_kind="marriage_certificate", mandatory=False).exists()


def test_running_the_seed_again_changes_nothing(seeded):
    versions = dict(Procedure.objects.values_list("code", "version"))
    revisions = ProcedureRevision.objects.count()
    again = demo.seed_catalog()
    assert again["changed"] == 0
    assert dict(Procedure.objects.values_list("code", "version")) == versions
    assert ProcedureRevision.objects.count() == revisions
    assert Procedure.objects.count() == len(demo.CATALOG)


def test_the_seed_repairs_a_changed_procedure_and_keeps_the_old_one_in_history(seeded):
    procedure = Procedure.objects.get(code="1.000656")
    services.procedure_save(actor=None, procedure=procedure, changes={"days_counter": 30})
    assert demo.seed_catalog()["changed"] == 1
    procedure.refresh_from_db()
    assert procedure.days_counter == 3
    assert procedure.revisions.filter(data__days_counter=30).exists()


# --- The public catalog ---------------------------------------------------------------


def test_search_ignores_accents_and_case(client, seeded):
    for query in ("dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh", "birth registration"):
        response = client.get(reverse("procedures:list"), {"q": query})
        assert "1.001193" in listed(response), query
    assert listed(client.get(reverse("procedures:list"), {"q": "1.004194"})) == ["1.004194"]
    assert listed(client.get(reverse("procedures:list"), {"q": "khai sinh ket hon"})) == []


def test_filters_narrow_the_catalog(client, seeded):
    url = reverse("procedures:list")
    civil = listed(client.get(url, {"field": "civil-status"}))
    assert set(civil) == {"1.001193", "1.000656", "1.000894"}
    police = listed(client.get(url, {"agency_kind": "police"}))
    assert set(police) == {"1.004194", "HN.CA.01"}
    city = listed(client.get(url, {"level": "city"}))
    assert "2.000488" in city and "1.001193" not in city
    partial = listed(client.get(url, {"online_level": "partial"}))
    assert "1.000894" in partial and "1.001193" not in partial
    ward = Agency.objects.get(code="UBBD").unit
    in_bo_de = listed(client.get(url, {"ward": ward.code}))
    assert "1.001193" in in_bo_de  # offered by UBND phường Bồ Đề
    assert "1.004194" not in in_bo_de  # only the Long Biên police offer it in the demo
    assert "2.000488" not in in_bo_de


def test_unpublished_and_expired_procedures_are_not_public(client, db):
    shown = public(name="Thủ tục đang áp dụng")
    hidden = public(name="Thủ tục chưa công bố", is_published=False)
    expired = public(name="Thủ tục hết hiệu lực", active_to=dt.date(2020, 1, 1))
    future = public(name="Thủ tục sắp áp dụng", active_from=dt.date(2999, 1, 1))
    codes = listed(client.get(reverse("procedures:list")))
    assert codes == [shown.code]
    for procedure in (hidden, expired, future):
        url = reverse("procedures:detail", args=[procedure.code])
        assert client.get(url).status_code == 404


def test_the_procedure_page_shows_fees_times_and_expected_dates_for_each_channel(
    client, db, monkeypatch
):
    calendar_seed()
    procedure = public(
        code="HN.TEST.01",
        name="Cấp giấy phép thử nghiệm",
        days_online=5,
        days_counter=7,
        fee_online=50000,
        fee_counter=100000,
        conditions="Điều kiện thử nghiệm",
        conditions_en="Test conditions",
        legal_basis="Luật Thử nghiệm 2026",
    )
    RequiredDocument.objects.create(
        procedure=procedure,
        name="Tờ khai",
        name_en="Declaration",
        originals=1,
        copies=2,
        wallet_kind="birth_certificate",
    )
    now = dt.datetime(2026, 3, 4, 10, 0, tzinfo=HANOI)  # Wednesday, before 15:00
    monkeypatch.setattr("procedures.views.timezone.now", lambda: now)
    html = client.get(reverse("procedures:detail", args=[procedure.code])).text
    assert "50,000" in html and "100,000" in html
    assert "5 working days" in html and "7 working days" in html
    assert 'datetime="2026-03-11"' in html  # online: Wednesday 11 March
    assert 'datetime="2026-03-13"' in html  # counter: Friday 13 March
    assert "Filing online saves you 2 working days and 50,000" in html
    assert "Test conditions" in html and "Luật Thử nghiệm 2026" in html
    assert "Declaration" in html and "document wallet" in html
    assert procedure.offered_by.get().display_name in html


def test_a_filing_during_tet_counts_from_the_first_working_day_after_it(client, db, monkeypatch):
    calendar_seed()
    procedure = public(days_online=5, days_counter=5)
    now = dt.datetime(2026, 2, 17, 9, 0, tzinfo=HANOI)
    monkeypatch.setattr("procedures.views.timezone.now", lambda: now)
    html = client.get(reverse("procedures:detail", args=[procedure.code])).text
    # Counted from Monday 23 February: 24, 25, 26, 27 February, 2 March.
    assert 'datetime="2026-03-02"' in html


def test_an_information_only_procedure_shows_only_the_counter(client, db):
    procedure = public(online_level="info")
    html = client.get(reverse("procedures:detail", args=[procedure.code])).text
    assert 'data-testid="expected-counter"' in html
    assert 'data-testid="expected-online"' not in html
    assert "cannot be filed online" in html


def test_the_catalog_costs_the_same_queries_for_3_or_30_procedures(client, db):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("procedures:list"), {"q": "thu tuc"})
            assert response.status_code == 200
        return len(queries)

    agencies = [AgencyFactory() for _ in range(3)]
    for i in range(3):
        public(agency=agencies[i % 3], name=f"Thủ tục {i}")
    few = count()
    for i in range(3, 30):
        procedure = public(agency=agencies[i % 3], name=f"Thủ tục {i}")
        procedure.offered_by.add(*agencies)
    assert count() == few


def test_a_template_is_downloaded_through_the_public_page_only_when_published(client, db):
    procedure = public()
    admin = UserFactory()
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = services.required_document_add(
        actor=admin,
        procedure=procedure,
        values={"name": "Tờ khai"},
        template=SimpleUploadedFile("to-khai.pdf", PDF, content_type="application/pdf"),
    )
    url = reverse("procedures:document-template", args=[procedure.code, document.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="to-khai.pdf"' in response["Content-Disposition"]
    services.procedure_publish(actor=admin, procedure=procedure, published=False)
    assert client.get(url).status_code == 404


# --- Who may administer the catalog ----------------------------------------------------------


def test_only_catalog_administrators_reach_the_catalog_administration(client, db, catalog_admin):
    procedure = public()
    urls = [
        reverse("catalog:list"),
        reverse("catalog:create"),
        reverse("catalog:detail", args=[procedure.pk]),
        reverse("catalog:edit", args=[procedure.pk]),
        reverse("catalog:history", args=[procedure.pk]),
        reverse("catalog:preview", args=[procedure.pk]),
        reverse("catalog:question-create", args=[procedure.pk]),
        reverse("catalog:document-create", args=[procedure.pk]),
    ]
    clerk = MembershipFactory(role=Role.CLERK).user
    enrol_totp(clerk)
    head = MembershipFactory(role=Role.HEAD).user
    enrol_totp(head)
    citizen = UserFactory()
    for user in (clerk, head, citizen):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        publish = reverse("catalog:publish", args=[procedure.pk])
        assert client.post(publish, {"published": "0"}).status_code == 403
    procedure.refresh_from_db()
    assert procedure.is_published

    client.logout()
    response = client.get(urls[0])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    client.force_login(catalog_admin)
    for url in urls:
        assert client.get(url).status_code == 200, url


# --- Administering the catalog ---------------------------------------------------------------


def procedure_post(field, agencies, **overrides):
    data = {
        "code": "HN.TEST.99",
        "name": "Cấp giấy xác nhận thử nghiệm",
        "name_en": "Test confirmation",
        "field": field.pk,
        "level": "commune",
        "agency_kind": "peoples_committee",
        "offered_by": [a.pk for a in agencies],
        "online_level": "full",
        "identity_level": "1",
        "handler": "form",
        "days_online": "3",
        "days_counter": "5",
        "fee_online": "0",
        "fee_counter": "20000",
        "summary": "Xác nhận thử nghiệm.",
        "summary_en": "",
        "conditions": "",
        "conditions_en": "",
        "legal_basis": "",
        "result_document": "Giấy xác nhận",
        "result_document_en": "",
        "active_from": "",
        "active_to": "",
        "note": "",
        "version": "",
    }
    data.update(overrides)
    return data


def question_post(**overrides):
    data = {
        "label": "Họ và tên",
        "label_en": "Full name",
        "kind": "text",
        "key": "",
        "help_text": "",
        "help_text_en": "",
        "required": "on",
        "choices": "",
        "min_value": "",
        "max_value": "",
        "max_length": "",
        "page": "1",
        "note": "",
    }
    data.update(overrides)
    return data


def test_a_catalog_admin_creates_a_simple_procedure_with_questions_and_publishes_it(
    client, catalog_admin
):
    field = FieldFactory()
    ward = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    client.force_login(catalog_admin)

    response = client.post(reverse("catalog:create"), procedure_post(field, [ward]))
    assert response.status_code == 302
    procedure = Procedure.objects.get(code="HN.TEST.99")
    assert response["Location"] == reverse("catalog:detail", args=[procedure.pk])
    assert procedure.search_name == "cap giay xac nhan thu nghiem"
    assert not procedure.is_published and procedure.version == 1
    assert list(procedure.offered_by.all()) == [ward]
    creation = procedure.revisions.get()
    assert (creation.version, creation.data, creation.changed_by) == (0, {}, catalog_admin)

    # Not public yet.
    assert "HN.TEST.99" not in listed(client.get(reverse("procedures:list")))

    url = reverse("catalog:question-create", args=[procedure.pk])
    assert client.post(url, question_post()).status_code == 302
    response = client.post(
        url,
        question_post(
            label="Mục đích xin xác nhận",
            label_en="Purpose",
            kind="choice",
            choices="Xin việc\nHọc tập\n\nKhác",
            page="2",
        ),
    )
    assert response.status_code == 302
    questions = list(procedure.form_fields.order_by("page", "order"))
    assert [(q.key, q.kind, q.page) for q in questions] == [
        ("ho_va_ten", "text", 1),
        ("muc_dich_xin_xac_nhan", "choice", 2),
    ]
    assert questions[1].choices == "Xin việc\nHọc tập\nKhác"

    response = client.post(reverse("catalog:publish", args=[procedure.pk]), {"published": "1"})
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.is_published
    assert procedure.version == 4  # created (1), two questions (2, 3), published (4)
    assert list(procedure.revisions.values_list("version", flat=True)) == [3, 2, 1, 0]
    assert procedure.revisions.get(version=3).data["is_published"] is False
    assert len(procedure.revisions.get(version=2).data["questions"]) == 1

    client.logout()
    assert "HN.TEST.99" in listed(client.get(reverse("procedures:list"), {"q": "xac nhan"}))
    page = client.get(reverse("procedures:detail", args=["HN.TEST.99"]))
    assert page.status_code == 200 and "Test confirmation" in page.text


def test_editing_a_procedure_keeps_the_old_version_and_the_history_shows_the_change(
    client, catalog_admin
):
    procedure = public(fee_counter=20000)
    client.force_login(catalog_admin)
    agencies = list(procedure.offered_by.all())
    data = procedure_post(
        procedure.field,
        agencies,
        code=procedure.code,
        name=procedure.name,
        fee_counter="25000",
        version=str(procedure.version),
        note="Theo nghị quyết mới",
    )
    response = client.post(reverse("catalog:edit", args=[procedure.pk]), data)
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.fee_counter == 25000 and procedure.version == 2
    revision = procedure.revisions.get(version=1)
    assert revision.data["fee_counter"] == 20000
    assert revision.note == "Theo nghị quyết mới"

    html = client.get(reverse("catalog:history", args=[procedure.pk])).text
    assert "Theo nghị quyết mới" in html
    assert "20000" in html and "25000" in html


def test_a_catalog_admin_sets_the_late_registration_fee_shown_on_the_public_page(
    client, catalog_admin
):
    """Given a published procedure, when the catalog administrator sets its
    late-registration fee, then it is kept (with a revision), shown on the
    procedure's public page and given by the catalog API."""
    procedure = public()
    client.force_login(catalog_admin)
    assert 'name="fee_late"' in client.get(reverse("catalog:edit", args=[procedure.pk])).text
    data = procedure_post(
        procedure.field,
        list(procedure.offered_by.all()),
        code=procedure.code,
        name=procedure.name,
        fee_late="8000",
        version=str(procedure.version),
        note="Lệ phí đăng ký quá hạn",
    )
    response = client.post(reverse("catalog:edit", args=[procedure.pk]), data)
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert procedure.fee_late == 8000 and procedure.version == 2
    assert procedure.revisions.get(version=1).data["fee_late"] == 0
    client.logout()
    page = client.get(reverse("procedures:detail", args=[procedure.code])).text
    assert 'data-testid="fee-late-counter"' in page
    assert "8,000" in page or "8.000" in page
    api = client.get(reverse("api:procedure-detail", args=[procedure.code])).json()
    assert api["fee_late"] == 8000


def test_a_save_over_someone_elses_newer_change_is_refused(client, catalog_admin):
    procedure = public()
    client.force_login(catalog_admin)
    data = procedure_post(
        procedure.field,
        list(procedure.offered_by.all()),
        code=procedure.code,
        version=str(procedure.version),
    )
    services.procedure_save(actor=None, procedure=procedure, changes={"days_online": 1})
    response = client.post(reverse("catalog:edit", args=[procedure.pk]), data)
    assert response.status_code == 200
    assert "Someone else changed this procedure" in response.text
    with pytest.raises(ConflictError):
        services.procedure_save(
            actor=None, procedure=procedure, changes={"days_online": 2}, expected_version=1
        )


def test_saving_without_a_change_writes_no_revision(db):
    procedure = public()
    services.procedure_save(actor=None, procedure=procedure, changes={"name": procedure.name})
    procedure.refresh_from_db()
    assert procedure.version == 1
    assert not procedure.revisions.exists()


def test_procedure_validation_errors_are_shown_and_keep_what_was_typed(client, catalog_admin):
    field = FieldFactory()
    existing = public(code="1.000894")
    client.force_login(catalog_admin)
    data = procedure_post(
        field,
        [],
        code="1.000894",
        name="Tên đã nhập",
        fee_online="-5",
        active_from="2026-05-01",
        active_to="2026-04-01",
    )
    response = client.post(reverse("catalog:create"), data)
    assert response.status_code == 200
    html = response.text
    assert "There is a problem" in html
    assert 'value="Tên đã nhập"' in html
    assert "The end date must be the same as or after the start date." in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert Procedure.objects.count() == 1

    # With the typing fixed, the duplicate code is the service's to refuse.
    data.update(fee_online="0", active_to="")
    response = client.post(reverse("catalog:create"), data)
    assert response.status_code == 200
    assert "Another procedure already has this code." in response.text
    assert Procedure.objects.get() == existing


def test_the_days_online_may_be_longer_than_at_the_counter(db):
    with pytest.raises(ValidationFailed) as refused:
        services.procedure_create(
            actor=None,
            values={
                "code": "HN.X.1",
                "name": "X",
                "field": FieldFactory(),
                "online_level": "full",
                "agency_kind": "department",
                "level": "city",
                "days_online": -1,
                "days_counter": 2,
            },
        )
    assert "days_online" in refused.value.data
    procedure = services.procedure_create(
        actor=None,
        values={
            "code": "HN.X.1",
            "name": "X",
            "field": FieldFactory(),
            "online_level": "full",
            "agency_kind": "department",
            "level": "city",
            "days_online": 9,
            "days_counter": 2,
        },
    )
    assert procedure.days_online == 9


def test_form_builder_errors_keep_what_was_typed(client, catalog_admin):
    procedure = public()
    FormField.objects.create(procedure=procedure, key="ho_ten", label="Họ tên", kind="text")
    client.force_login(catalog_admin)
    url = reverse("catalog:question-create", args=[procedure.pk])

    response = client.post(
        url, question_post(label="Nghề nghiệp của bạn", kind="choice", choices="Chỉ một")
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "A choice question needs at least two choices" in response.text
    assert 'value="Nghề nghiệp của bạn"' in response.text
    assert "Chỉ một" in response.text

    response = client.post(url, question_post(label="Họ tên khác", key="ho_ten"))
    assert "Another question of this procedure already has this key." in response.text
    response = client.post(url, question_post(key="Họ Tên"))
    assert "Use up to 40 small letters" in response.text
    response = client.post(url, question_post(kind="number", min_value="10", max_value="1"))
    assert "The maximum must be the same as or more than the minimum." in response.text
    assert procedure.form_fields.count() == 1
    assert procedure.revisions.count() == 0


def test_questions_are_edited_reordered_and_removed_with_a_revision_each(client, catalog_admin):
    procedure = public()
    client.force_login(catalog_admin)
    for key, label in (("mot", "Một"), ("hai", "Hai"), ("ba", "Ba")):
        services.form_field_add(
            actor=catalog_admin,
            procedure=procedure,
            values={"label": label, "kind": "text", "key": key},
        )
    first, second, third = procedure.form_fields.order_by("order")
    move = reverse("catalog:question-move", args=[procedure.pk, third.pk])
    client.post(move, {"direction": "up"})
    assert [q.label for q in procedure.form_fields.order_by("order")] == ["Một", "Ba", "Hai"]

    edit = reverse("catalog:question-edit", args=[procedure.pk, first.pk])
    response = client.post(
        edit, question_post(label="Một (sửa)", key=first.key, kind="yes_no", page="2")
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.label, first.kind, first.page) == ("Một (sửa)", "yes_no", 2)

    remove = reverse("catalog:question-delete", args=[procedure.pk, second.pk])
    assert client.get(remove).status_code == 200
    assert client.post(remove, {"note": ""}).status_code == 302
    assert not FormField.objects.filter(pk=second.pk).exists()
    procedure.refresh_from_db()
    assert procedure.version == 7  # 1 + three added, moved, edited, removed
    history = client.get(reverse("catalog:history", args=[procedure.pk])).text
    assert "Hai" in history and "removed" in history


def test_required_documents_are_added_with_a_private_template_changed_and_removed(
    client, catalog_admin
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    procedure = public()
    client.force_login(catalog_admin)
    response = client.post(
        reverse("catalog:document-create", args=[procedure.pk]),
        {
            "name": "Tờ khai",
            "name_en": "Form",
            "originals": "1",
            "copies": "0",
            "mandatory": "on",
            "wallet_kind": "",
            "order": "",
            "note": "",
            "template": SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    document = procedure.documents.get()
    assert document.template.name.startswith("procedure-templates/")
    assert not document.template.name.endswith("x.pdf")  # renamed on upload

    edit = reverse("catalog:document-edit", args=[procedure.pk, document.pk])
    typed = {"name": "Tờ khai đã sửa", "originals": "0", "copies": "0", "note": ""}
    bad = client.post(edit, {**typed, "wallet_kind": "Giấy khai sinh"})
    assert bad.status_code == 200
    assert "Ask for at least one original or one copy." in bad.text
    assert "Use small letters, digits and underscores" in bad.text
    assert 'value="Tờ khai đã sửa"' in bad.text
    exe = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="text/plain")
    bad = client.post(edit, {**typed, "originals": "1", "wallet_kind": "", "template": exe})
    assert 'id="id_template_error"' in bad.text
    assert "Only PDF, JPEG and PNG files can be uploaded." in bad.text
    document.refresh_from_db()
    assert document.name == "Tờ khai"
    good = client.post(edit, {**typed, "originals": "2", "wallet_kind": "birth_certificate"})
    assert good.status_code == 302
    document.refresh_from_db()
    assert (document.name, document.originals, document.wallet_kind) == (
        "Tờ khai đã sửa",
        2,
        "birth_certificate",
    )
    assert document.template  # kept when no new file is given

    remove = reverse("catalog:document-delete", args=[procedure.pk, document.pk])
    assert client.post(remove, {"note": "Không còn yêu cầu"}).status_code == 302
    assert not procedure.documents.exists()
    procedure.refresh_from_db()
    assert procedure.revisions.get(version=3).note == "Không còn yêu cầu"


def test_the_preview_shows_the_questions_page_by_page_read_only(client, catalog_admin):
    procedure = public()
    for key, page in (("ten_co_so", 1), ("so_lao_dong", 2)):
        services.form_field_add(
            actor=None,
            procedure=procedure,
            values={
                "key": key,
                "label": key,
                "kind": "number" if page == 2 else "text",
                "page": page,
            },
        )
    client.force_login(catalog_admin)
    html = client.get(reverse("catalog:preview", args=[procedure.pk])).text
    assert 'name="page1-ten_co_so"' in html and 'name="page2-so_lao_dong"' in html
    assert html.count(" disabled") >= 2
    assert "Page 2 of 2" in html


def test_the_preview_of_a_handler_not_yet_installed_says_so(client, catalog_admin):
    procedure = public(handler="not_written_yet")
    client.force_login(catalog_admin)
    html = client.get(reverse("catalog:preview", args=[procedure.pk])).text
    assert "is not installed yet" in html


def test_publishing_needs_an_offering_agency(db):
    procedure = ProcedureFactory(is_published=False)
    with pytest.raises(ValidationFailed):
        services.procedure_publish(actor=None, procedure=procedure, published=True)


def test_the_admin_list_costs_the_same_queries_for_3_or_30_procedures(client, catalog_admin):
    client.force_login(catalog_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("catalog:list")).status_code == 200
        return len(queries)

    for _ in range(3):
        procedure = public()
        RequiredDocument.objects.create(procedure=procedure, name="A")
    few = count()
    for i in range(27):
        procedure = public()
        RequiredDocument.objects.create(procedure=procedure, name="A")
        FormField.objects.create(procedure=procedure, key=f"k{i}", label="L", kind="text")
    assert count() == few


def test_the_agency_page_links_the_catalog_for_catalog_admins_only(client, catalog_admin):
    client.force_login(catalog_admin)
    html = client.get(reverse("backoffice:agency", args=["VPUB"])).text
    assert reverse("catalog:list") in html
    clerk = MembershipFactory(agency=AgencyFactory(code="UBLB"), role=Role.CLERK).user
    enrol_totp(clerk)
    client.force_login(clerk)
    assert (
        reverse("catalog:list") not in client.get(reverse("backoffice:agency", args=["UBLB"])).text
    )


def test_the_wards_filter_lists_only_wards_with_an_offering_agency(db):
    offering = AgencyFactory(unit=WardFactory(name="Phường Có Thủ Tục"))
    AgencyFactory(unit=WardFactory(name="Phường Không Có"))
    public(agency=offering)
    assert [u.name for u in selectors.offering_wards()] == ["Phường Có Thủ Tục"]

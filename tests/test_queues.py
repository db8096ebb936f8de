"""The one-stop back office: queues by role, filters, the dossier page and its
actions, counter intake, and who is refused."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from citizens.models import AccessLog, Role
from onecounter import transitions
from onecounter.models import Dossier, DossierDocument, DossierEvent
from onecounter.models import DossierStatus as S
from procedures.models import FormField
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
    UserFactory,
)
from workdays.calendar import WorkCalendar
from workdays.services import calendar_seed

pytestmark = pytest.mark.django_db

PATHS = {
    S.SUBMITTED: ["submit"],
    S.SUPPLEMENT_REQUESTED: ["submit", "request_supplement_before_receipt"],
    S.RECEIVED: ["submit", "receive"],
    S.IN_PROCESSING: ["submit", "receive", "assign"],
    S.AWAITING_SUPPLEMENT: ["submit", "receive", "assign", "request_supplement"],
    S.PROPOSED: ["submit", "receive", "assign", "propose"],
    S.APPROVED: ["submit", "receive", "assign", "propose", "approve"],
    S.RESULT_READY: ["submit", "receive", "assign", "propose", "approve", "mark_result_ready"],
}


def make_office():
    """Agency UBLB with a clerk, an officer and a head (each with TOTP), and the calendar."""
    calendar_seed()
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    staff = {}
    for role in (Role.CLERK, Role.OFFICER, Role.HEAD):
        user = MembershipFactory(agency=agency, role=role, user__full_name=f"Cán bộ {role}").user
        enrol_totp(user)
        staff[role] = user
    return agency, staff


@pytest.fixture
def office(db):
    return make_office()


@pytest.fixture
def procedure(office):
    agency, _staff = office
    proc = ProcedureFactory(name="Đăng ký kết hôn", days_counter=5)
    proc.offered_by.add(agency)
    return proc


def actor(action, dossier, staff):
    spec = transitions.ACTIONS[action]
    if transitions.APPLICANT in spec.actors and dossier.applicant_id:
        return dossier.applicant
    return next(staff[r] for r in (Role.CLERK, Role.OFFICER, Role.HEAD) if r in spec.actors)


PARAMS = {
    "request_supplement_before_receipt": {"items": ["Bản sao giấy khai sinh"]},
    "request_supplement": {"items": ["Giấy xác nhận cư trú"]},
    "propose": {"decision": "approve"},
}


def make(office, status, procedure=None, **fields):
    """A dossier of the office brought to ``status`` through the state machine."""
    agency, staff = office
    dossier = DossierFactory(agency=agency, **({"procedure": procedure} if procedure else {}))
    for step in PATHS[status]:
        params = dict(PARAMS.get(step, {}))
        if step == "assign":
            params["officer"] = staff[Role.OFFICER]
        dossier = transitions.perform(
            dossier, step, actor=actor(step, dossier, staff), reason="Lý do", **params
        )
    if fields:
        Dossier.objects.filter(pk=dossier.pk).update(**fields)
        dossier.refresh_from_db()
    return dossier


def codes(response):
    return {d.code for d in response.context["rows"]}


def queue_url(code="UBLB", **params):
    url = reverse("dossiers:queue", args=[code])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def detail_url(dossier, code="UBLB"):
    return reverse("dossiers:detail", args=[code, dossier.pk])


def action_url(dossier, action, code="UBLB"):
    return reverse("dossiers:action", args=[code, dossier.pk, action])


# --- Queues by role -------------------------------------------------------------------------


def test_each_role_sees_its_own_queue_first(client, office):
    _agency, staff = office
    submitted = make(office, S.SUBMITTED)
    incomplete = make(office, S.SUPPLEMENT_REQUESTED)
    ready = make(office, S.RESULT_READY)
    received = make(office, S.RECEIVED)
    mine = make(office, S.IN_PROCESSING)
    paused = make(office, S.AWAITING_SUPPLEMENT)
    proposed = make(office, S.PROPOSED)
    draft = DossierFactory(agency=office[0])

    client.force_login(staff[Role.CLERK])
    response = client.get(queue_url())
    assert response.status_code == 200
    assert response.context["current_view"] == "to_receive"
    assert codes(response) == {submitted.code, incomplete.code}
    assert codes(client.get(queue_url(view="to_hand_back"))) == {ready.code}
    everything = codes(client.get(queue_url(view="all")))
    assert len(everything) == 7 and draft.code is None
    # A clerk has no officer's or head's tab.
    assert codes(client.get(queue_url(view="to_sign"))) == {submitted.code, incomplete.code}

    client.force_login(staff[Role.OFFICER])
    response = client.get(queue_url())
    assert response.context["current_view"] == "my_work"
    assert codes(response) == {mine.code, paused.code}
    assert codes(client.get(queue_url(view="unassigned"))) == {received.code}

    client.force_login(staff[Role.HEAD])
    response = client.get(queue_url())
    assert response.context["current_view"] == "to_sign"
    assert codes(response) == {proposed.code}
    assert received.code in codes(client.get(queue_url(view="unassigned")))


def test_the_head_sees_late_dossiers_and_late_ones_are_tagged(client, office):
    _agency, staff = office
    today = timezone.localdate()
    late = make(office, S.IN_PROCESSING, due_date=today - dt.timedelta(days=3))
    apologised = make(office, S.RECEIVED, apologised=True)
    finished_late = make(office, S.RESULT_READY, due_date=today - dt.timedelta(days=3))
    on_time = make(office, S.IN_PROCESSING, due_date=today + dt.timedelta(days=20))
    client.force_login(staff[Role.HEAD])
    response = client.get(queue_url(view="late"))
    assert codes(response) == {late.code, apologised.code}
    assert finished_late.code not in codes(response) and on_time.code not in codes(response)
    assert 'data-flag="late"' in response.text


# --- Filters ------------------------------------------------------------------------------------


def test_filters_by_status_procedure_due_soon_late_mine_and_search(client, office, procedure):
    _agency, staff = office
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    soon = calendar.add_working_days(today, 1)
    person = PersonFactory(full_name="Trần Thị Bích Ngọc")
    by_name = make(office, S.RECEIVED, procedure=procedure, applicant_person_id=person.pk)
    Dossier.objects.filter(pk=by_name.pk).update(applicant_name="Trần Thị Bích Ngọc")
    due_soon = make(office, S.IN_PROCESSING, due_date=soon)
    late = make(office, S.PROPOSED, due_date=today - dt.timedelta(days=1))
    far = make(office, S.IN_PROCESSING, due_date=today + dt.timedelta(days=30))
    submitted = make(office, S.SUBMITTED)

    client.force_login(staff[Role.CLERK])
    assert codes(client.get(queue_url(view="all", status=S.SUBMITTED))) == {submitted.code}
    assert codes(client.get(queue_url(view="all", procedure=procedure.pk))) == {by_name.code}
    response = client.get(queue_url(view="all", due_soon="on"))
    assert codes(response) == {due_soon.code}
    assert 'data-flag="due-soon"' in response.text
    assert codes(client.get(queue_url(view="all", late="on"))) == {late.code}
    assert codes(client.get(queue_url(view="all", q=submitted.code))) == {submitted.code}
    # The name matches with or without diacritics.
    assert codes(client.get(queue_url(view="all", q="Bích Ngọc"))) == {by_name.code}
    assert codes(client.get(queue_url(view="all", q="bich ngoc"))) == {by_name.code}
    assert far.code not in codes(client.get(queue_url(view="all", due_soon="on", late="on")))

    client.force_login(staff[Role.OFFICER])
    mine = codes(client.get(queue_url(view="all", mine="on")))
    assert mine == {due_soon.code, late.code, far.code}


def test_an_invalid_filter_is_shown_and_the_queue_still_works(client, office):
    make(office, S.SUBMITTED)
    client.force_login(office[1][Role.CLERK])
    response = client.get(queue_url(status="nonsense"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="error-summary"' in response.text
    assert len(codes(response)) == 1


def test_the_queue_is_paginated(client, office):
    agency, staff = office
    for _ in range(27):
        make(office, S.SUBMITTED)
    client.force_login(staff[Role.CLERK])
    first = client.get(queue_url())
    assert len(first.context["rows"]) == 25
    assert 'rel="next"' in first.text
    second = client.get(queue_url(page=2))
    assert len(second.context["rows"]) == 2
    assert not codes(first) & codes(second)


# --- Query counts ------------------------------------------------------------------------


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("view", ["to_receive", "all", "my_work", "late"])
def test_the_queue_costs_the_same_queries_for_3_or_30_dossiers(
    client, office, django_assert_max_num_queries, view
):
    _agency, staff = office
    client.force_login(staff[Role.HEAD] if view == "late" else staff[Role.OFFICER])
    if view in ("to_receive",):
        client.force_login(staff[Role.CLERK])
    today = timezone.localdate()

    def add(n):
        for i in range(n):
            status = [S.SUBMITTED, S.IN_PROCESSING, S.PROPOSED][i % 3]
            make(office, status, due_date=today - dt.timedelta(days=1) if i % 2 else None)

    add(3)
    few = _count_queries(client, queue_url(view=view))
    add(27)
    many = _count_queries(client, queue_url(view=view))
    assert few == many
    with django_assert_max_num_queries(12):
        client.get(queue_url(view=view))


def test_the_dossier_page_costs_the_same_queries_however_long_its_history(client, office):
    _agency, staff = office
    short = make(office, S.RECEIVED)
    long = make(office, S.IN_PROCESSING)
    for _ in range(5):
        long = transitions.perform(
            long, "request_supplement", actor=staff[Role.OFFICER], items=["Giấy tờ"]
        )
        long = transitions.perform(long, "supply", actor=staff[Role.CLERK])
    client.force_login(staff[Role.HEAD])
    assert _count_queries(client, detail_url(short)) == _count_queries(client, detail_url(long))


# --- Who is refused ---------------------------------------------------------------------------


def test_a_clerk_of_another_ward_is_refused_everything(client, office):
    agency, staff = office
    dossier = make(office, S.SUBMITTED)
    doc = DossierDocument.objects.create(
        dossier=dossier, kind="receipt", key="x", title="Biên nhận"
    )
    other = AgencyFactory(code="UBBD")
    foreign = MembershipFactory(agency=other, role=Role.CLERK).user
    enrol_totp(foreign)
    client.force_login(foreign)
    # Their own agency's URL with our dossier: not found, nothing revealed.
    assert client.get(detail_url(dossier, code="UBBD")).status_code == 404
    # Our agency's URLs: 403.
    assert client.get(queue_url()).status_code == 403
    assert client.get(detail_url(dossier)).status_code == 403
    assert client.get(reverse("dossiers:intake-person", args=["UBLB"])).status_code == 403
    assert (
        client.get(reverse("dossiers:document", args=["UBLB", dossier.pk, doc.pk])).status_code
        == 403
    )
    for name in transitions.ACTIONS:
        if name == "submit":
            continue
        response = client.post(action_url(dossier, name), {f"{name}-reason": "x"})
        assert response.status_code == 403, name
    assert not DossierEvent.objects.filter(dossier=dossier, actor=foreign).exists()
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_a_citizen_and_an_anonymous_visitor_are_refused(client, office):
    dossier = make(office, S.SUBMITTED)
    urls = [
        queue_url(),
        detail_url(dossier),
        reverse("dossiers:intake-person", args=["UBLB"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(action_url(dossier, "receive"))
    assert response.status_code == 302
    # The applicant themselves has no back office.
    client.force_login(dossier.applicant)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(action_url(dossier, "receive")).status_code == 403
    dossier.refresh_from_db()
    assert dossier.status == S.SUBMITTED


def test_a_statistician_of_the_agency_has_no_dossier_queue(client, office):
    stat = MembershipFactory(agency=office[0], role=Role.STATISTICIAN).user
    enrol_totp(stat)
    client.force_login(stat)
    assert client.get(queue_url()).status_code == 403


def test_only_the_clerk_files_at_the_counter(client, office):
    client.force_login(office[1][Role.OFFICER])
    assert client.get(reverse("dossiers:intake-person", args=["UBLB"])).status_code == 403


def test_a_draft_is_not_shown_to_staff(client, office):
    draft = DossierFactory(agency=office[0])
    client.force_login(office[1][Role.CLERK])
    assert client.get(detail_url(draft)).status_code == 404


# --- The dossier page -------------------------------------------------------------------------


def test_the_dossier_page_shows_summary_history_and_only_allowed_actions(client, office):
    _agency, staff = office
    dossier = make(office, S.AWAITING_SUPPLEMENT)
    client.force_login(staff[Role.CLERK])
    response = client.get(detail_url(dossier))
    assert response.status_code == 200
    assert dossier.code in response.text
    assert "Giấy xác nhận cư trú" in response.text  # the supplement request
    actions = [a["spec"].name for a in response.context["actions"]]
    assert actions == ["supply", "withdraw"]
    assert [r["event"].action for r in response.context["events"]] == PATHS[S.AWAITING_SUPPLEMENT]
    client.force_login(staff[Role.OFFICER])
    actions = [a["spec"].name for a in client.get(detail_url(dossier)).context["actions"]]
    assert actions == ["apologise"]


def _post(client, dossier, action, data=None):
    return client.post(
        action_url(dossier, action), {f"{action}-{k}": v for k, v in (data or {}).items()}
    )


ACTION_CASES = [
    # (start, action, role, form data, expected status)
    (S.SUBMITTED, "receive", Role.CLERK, {}, S.RECEIVED),
    (
        S.SUBMITTED,
        "request_supplement_before_receipt",
        Role.CLERK,
        {"items": "Bản sao giấy khai sinh\n- Ảnh 4x6\n\n", "reason": "Thiếu"},
        S.SUPPLEMENT_REQUESTED,
    ),
    (S.SUPPLEMENT_REQUESTED, "resubmit", Role.CLERK, {"reason": "Đã bổ sung"}, S.SUBMITTED),
    (S.SUBMITTED, "refuse", Role.CLERK, {"reason": "Không thuộc thẩm quyền"}, S.REFUSED),
    (S.RECEIVED, "assign", Role.CLERK, {"officer": "OFFICER"}, S.IN_PROCESSING),
    (
        S.IN_PROCESSING,
        "request_supplement",
        Role.OFFICER,
        {"items": "Giấy xác nhận cư trú"},
        S.AWAITING_SUPPLEMENT,
    ),
    (S.AWAITING_SUPPLEMENT, "supply", Role.CLERK, {"reason": "Bản gốc đã kiểm tra"}, S.IN_PROCESSING),
    (S.IN_PROCESSING, "propose", Role.OFFICER, {"decision": "approve", "reason": "Đủ"}, S.PROPOSED),
    (S.PROPOSED, "send_back", Role.HEAD, {"reason": "Xem lại"}, S.IN_PROCESSING),
    (S.PROPOSED, "approve", Role.HEAD, {"reason": ""}, S.APPROVED),
    (S.PROPOSED, "reject", Role.HEAD, {"reason": "Không đủ điều kiện"}, S.REJECTED),
    (S.APPROVED, "mark_result_ready", Role.OFFICER, {}, S.RESULT_READY),
    (S.RESULT_READY, "hand_back", Role.CLERK, {"received_by": "applicant"}, S.RETURNED),
    (S.RECEIVED, "withdraw", Role.CLERK, {"reason": "Công dân xin rút"}, S.WITHDRAWN),
    (S.IN_PROCESSING, "apologise", Role.HEAD, {"new_due_date": "NEW", "reason": "Cần xác minh"}, S.IN_PROCESSING),
]  # fmt: skip


@pytest.mark.parametrize("start,name,role,data,expected", ACTION_CASES, ids=lambda v: str(v))
def test_each_action_through_the_dossier_page(client, office, start, name, role, data, expected):
    _agency, staff = office
    dossier = make(office, start)
    data = dict(data)
    if data.get("officer") == "OFFICER":
        data["officer"] = staff[Role.OFFICER].pk
    if data.get("new_due_date") == "NEW":
        data["new_due_date"] = (dossier.due_date + dt.timedelta(days=7)).isoformat()
    client.force_login(staff[role])
    page = client.get(detail_url(dossier))
    assert f'id="form-{name}"' in page.text
    response = _post(client, dossier, name, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == detail_url(dossier)
    dossier.refresh_from_db()
    assert dossier.status == expected
    event = dossier.events.order_by("-seq").first()
    assert (event.action, event.actor) == (name, staff[role])
    if name == "request_supplement_before_receipt":
        assert dossier.supplements.get().items == ["Bản sao giấy khai sinh", "Ảnh 4x6"]
    if name == "apologise":
        assert dossier.apologised and dossier.apologies.count() == 1
    if name == "hand_back":
        assert "applicant" in event.reason.lower() or event.reason


def test_hand_back_to_an_authorised_person_needs_their_name(client, office):
    _agency, staff = office
    dossier = make(office, S.RESULT_READY)
    client.force_login(staff[Role.CLERK])
    response = _post(
        client, dossier, "hand_back", {"received_by": "authorised", "reason": "ghi chú"}
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in response.text
    assert "ghi chú" in response.text  # nothing typed is lost
    response = _post(
        client,
        dossier,
        "hand_back",
        {"received_by": "authorised", "person": "Lê Văn Bình 001090000001"},
    )
    assert response.status_code == 302
    event = dossier.events.order_by("-seq").first()
    assert "Lê Văn Bình 001090000001" in event.reason


def test_an_impossible_action_shows_an_error_and_keeps_what_was_typed(client, office):
    _agency, staff = office
    dossier = make(office, S.SUBMITTED)
    other = make(office, S.SUBMITTED)
    client.force_login(staff[Role.CLERK])
    # Another clerk refuses it first, in another tab.
    transitions.perform(dossier, "refuse", actor=staff[Role.CLERK], reason="Trùng hồ sơ")
    response = _post(client, dossier, "withdraw", {"reason": "Lý do riêng của tôi"})
    assert response.status_code == 409
    assert 'class="error-summary"' in response.text
    # The refused dossier offers no action now; the typed reason is still in the form.
    assert response.context["error_form"].data["withdraw-reason"] == "Lý do riêng của tôi"
    assert "Lý do riêng của tôi" in response.text
    # A step the role may not take (possible in this state, but the clerk's job).
    client.force_login(staff[Role.OFFICER])
    response = _post(client, other, "receive")
    assert response.status_code == 403
    assert 'class="error-summary"' in response.text
    other.refresh_from_db()
    assert other.status == S.SUBMITTED


def test_a_missing_reason_or_an_earlier_apology_date_is_refused(client, office):
    _agency, staff = office
    dossier = make(office, S.IN_PROCESSING)
    client.force_login(staff[Role.HEAD])
    response = _post(
        client,
        dossier,
        "apologise",
        {"new_due_date": dossier.due_date.isoformat(), "reason": "Cần xác minh thêm"},
    )
    assert response.status_code == 400
    assert "Cần xác minh thêm" in response.text
    assert response.context["actions"][-1]["open"]
    client.force_login(staff[Role.CLERK])
    submitted = make(office, S.SUBMITTED)
    response = _post(client, submitted, "refuse", {"reason": "  "})
    assert response.status_code == 400
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_the_apology_form_warns_when_the_promised_date_is_near(client, office):
    _agency, staff = office
    today = timezone.localdate()
    dossier = make(office, S.IN_PROCESSING, due_date=WorkCalendar.load().add_working_days(today, 1))
    client.force_login(staff[Role.HEAD])
    response = client.get(detail_url(dossier))
    assert 'class="notice notice--warning"' in response.text
    assert response.context["dossier"].is_due_soon


def test_assigning_to_someone_who_is_not_an_officer_is_refused(client, office):
    _agency, staff = office
    dossier = make(office, S.RECEIVED)
    client.force_login(staff[Role.CLERK])
    response = _post(client, dossier, "assign", {"officer": staff[Role.HEAD].pk})
    assert response.status_code == 400
    dossier.refresh_from_db()
    assert dossier.assigned_to is None


def test_documents_are_served_to_the_agency_only(client, office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _agency, staff = office
    dossier = make(office, S.RECEIVED)
    doc = DossierDocument(dossier=dossier, kind="receipt", key="1", title="Giấy tiếp nhận")
    doc.file.save("receipt.pdf", ContentFile(b"%PDF-1.4\n%test\n"), save=False)
    doc.rendered_at = timezone.now()
    doc.save()
    client.force_login(staff[Role.OFFICER])
    page = client.get(detail_url(dossier))
    assert page.context["receipt"] == doc
    assert 'id="receipt-link"' in page.text
    response = client.get(reverse("dossiers:document", args=["UBLB", dossier.pk, doc.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    other = make(office, S.RECEIVED)
    wrong = reverse("dossiers:document", args=["UBLB", other.pk, doc.pk])
    assert client.get(wrong).status_code == 404


def test_a_receipt_not_rendered_yet_says_it_is_being_prepared(client, office):
    dossier = make(office, S.RECEIVED)
    client.force_login(office[1][Role.CLERK])
    response = client.get(detail_url(dossier))
    assert response.context["receipt_pending"]
    assert 'id="receipt-pending"' in response.text


# --- Counter intake -------------------------------------------------------------------------------


@pytest.fixture
def form_procedure(procedure):
    FormField.objects.create(
        procedure=procedure, key="spouse_name", label="Họ tên người kia", kind="text", page=1
    )
    FormField.objects.create(
        procedure=procedure, key="marriage_date", label="Ngày dự kiến", kind="date", page=1
    )
    FormField.objects.create(
        procedure=procedure, key="certificate", label="Giấy xác nhận", kind="file", page=2
    )
    return procedure


def test_counter_intake_end_to_end(client, office, form_procedure):
    agency, staff = office
    person = PersonFactory(full_name="Phạm Văn Đức", sex="M")
    client.force_login(staff[Role.CLERK])
    base = "/back-office/agencies/UBLB/dossiers/intake/"

    # Step 1: a wrong number, then the right one.
    response = client.post(base, {"id_number": "123"})
    assert response.status_code == 400 and 'class="error-summary"' in response.text
    response = client.post(base, {"id_number": "001099999999"})
    assert response.status_code == 400
    response = client.post(base, {"id_number": person.id_number})
    assert response.status_code == 302 and response["Location"] == base + "procedure/"
    assert AccessLog.objects.filter(person=person, actor=staff[Role.CLERK]).count() == 1

    # Step 2: the procedure; a procedure the agency does not offer is refused.
    page = client.get(base + "procedure/")
    assert "Phạm Văn Đức" in page.text
    not_offered = ProcedureFactory()
    assert client.post(base + "procedure/", {"procedure": not_offered.pk}).status_code == 400
    response = client.post(base + "procedure/", {"procedure": form_procedure.pk})
    assert response["Location"] == base + "answers/1/"

    # Step 3: the form pages; the file question is a tick box at the counter.
    response = client.post(base + "answers/1/", {"spouse_name": ""})
    assert response.status_code == 400
    response = client.post(
        base + "answers/1/", {"spouse_name": "Nguyễn Thị Mai", "marriage_date": "2026-05-20"}
    )
    assert response["Location"] == base + "answers/2/"
    page = client.get(base + "answers/2/")
    assert 'type="checkbox"' in page.text and 'name="certificate"' in page.text
    response = client.post(base + "answers/2/", {"certificate": "on"})
    assert response["Location"] == base + "contact/"
    response = client.post(base + "contact/", {"phone": "0912 345 678", "email": ""})
    assert response["Location"] == base + "confirm/"

    # Step 4: check and receive.
    page = client.get(base + "confirm/")
    assert "Nguyễn Thị Mai" in page.text and "20/05/2026" in page.text
    response = client.post(base + "confirm/")
    dossier = Dossier.objects.get(applicant_person=person)
    assert response.status_code == 302
    assert response["Location"] == detail_url(dossier)
    assert dossier.status == S.RECEIVED and dossier.channel == Dossier.Channel.COUNTER
    assert dossier.code.startswith("UBLB-") and dossier.due_date is not None
    assert dossier.applicant_phone == "0912345678"
    assert dossier.created_by == staff[Role.CLERK]
    assert dossier.data == {
        "spouse_name": "Nguyễn Thị Mai",
        "marriage_date": "2026-05-20",
        "certificate": {"paper_original_checked": True},
    }
    assert AccessLog.objects.filter(person=person, dossier_ref=dossier.code).count() == 1

    page = client.get(response["Location"])
    assert dossier.code in page.text
    assert dossier.due_date.strftime("%d/%m/%Y") in page.text
    assert "Họ tên người kia" in page.text  # the answers under their questions
    assert 'id="receipt-pending"' in page.text or 'id="receipt-link"' in page.text

    # The intake is over: confirming again files nothing more.
    client.post(base + "confirm/")
    assert Dossier.objects.filter(applicant_person=person).count() == 1


def test_counter_intake_steps_cannot_be_skipped_and_can_be_cancelled(client, office, procedure):
    client.force_login(office[1][Role.CLERK])
    base = "/back-office/agencies/UBLB/dossiers/intake/"
    assert client.get(base + "confirm/")["Location"] == base
    assert client.get(base + "procedure/")["Location"] == base
    person = PersonFactory()
    client.post(base, {"id_number": person.id_number})
    # A procedure without a form goes straight to the notices.
    response = client.post(base + "procedure/", {"procedure": procedure.pk})
    assert response["Location"] == base + "contact/"
    assert client.get(base + "confirm/")["Location"] == base + "contact/"
    response = client.post(base + "cancel/")
    assert response["Location"] == queue_url()
    assert client.get(base + "contact/")["Location"] == base


def test_counter_intake_of_a_procedure_whose_handler_is_not_registered(client, office, procedure):
    procedure.handler = "birth-not-yet"
    procedure.save()
    person = PersonFactory()
    client.force_login(office[1][Role.CLERK])
    base = "/back-office/agencies/UBLB/dossiers/intake/"
    client.post(base, {"id_number": person.id_number})
    assert client.post(base + "procedure/", {"procedure": procedure.pk})["Location"] == (
        base + "contact/"
    )
    client.post(base + "contact/", {"phone": "", "email": "dan@example.vn"})
    response = client.post(base + "confirm/")
    assert response.status_code == 302
    dossier = Dossier.objects.get(applicant_person=person)
    assert dossier.data == {} and dossier.applicant_email == "dan@example.vn"


def test_a_citizen_with_an_account_gets_its_contact_details_prefilled(client, office, procedure):
    from citizens.models import IdentityLink

    person = PersonFactory()
    account = UserFactory(email="congdan@example.vn", phone="0987654321")
    IdentityLink.objects.create(user=account, person=person, level=1, method="self")
    client.force_login(office[1][Role.CLERK])
    base = "/back-office/agencies/UBLB/dossiers/intake/"
    client.post(base, {"id_number": person.id_number})
    client.post(base + "procedure/", {"procedure": procedure.pk})
    page = client.get(base + "contact/")
    assert "congdan@example.vn" in page.text and "0987654321" in page.text


def test_the_tracking_slip_is_rendered_on_demand(client, office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    dossier = make(office, S.IN_PROCESSING)
    client.force_login(office[1][Role.OFFICER])
    response = client.post(reverse("dossiers:tracking-slip", args=["UBLB", dossier.pk]))
    assert response.status_code == 302
    doc = DossierDocument.objects.get(dossier=dossier, kind=DossierDocument.Kind.TRACKING)
    assert response["Location"] == reverse("dossiers:document", args=["UBLB", dossier.pk, doc.pk])
    pdf = client.get(response["Location"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_approving_a_procedure_whose_handler_is_missing_is_an_error_not_a_crash(client, office):
    _agency, staff = office
    dossier = make(office, S.PROPOSED)
    dossier.procedure.handler = "not-installed"
    dossier.procedure.save()
    client.force_login(staff[Role.HEAD])
    response = _post(client, dossier, "approve", {"reason": "Đồng ý"})
    assert response.status_code == 409
    assert 'class="error-summary"' in response.text and "Đồng ý" in response.text
    dossier.refresh_from_db()
    assert dossier.status == S.PROPOSED

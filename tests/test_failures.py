"""The failures page and API: every background job that failed or is late, in
one list an agency head (their agency) or an administrator (all) can act on:
retry, resend a notice, mark handled with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from citizens.models import Role
from interconnect.models import Handoff, HandoffMessage
from onecounter.models import DossierDocument, DossierEvent, Notification, Payment
from operations import failures
from operations.models import FailureResolution
from tests.conftest import enrol_totp
from tests.factories import AgencyFactory, DossierFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/back-office/failures/"
API_URL = "/api/v1/operations/failures/"


def signed_in(user, *, language: str = "vi") -> Client:
    enrol_totp(user)
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def head_of(agency):
    return MembershipFactory(agency=agency, role=Role.HEAD).user


_seq = iter(range(1, 10_000))


def failing_dossier(
    agency, code: str, *, kinds=("event", "document", "notice", "payment", "handoff", "registry")
):
    """A dossier of ``agency`` with one failure of each of ``kinds``."""
    dossier = DossierFactory(agency=agency, code=code, status="in_processing")
    now = timezone.now()
    made = {}
    if "event" in kinds or "document" in kinds:
        made["event"] = DossierEvent.objects.create(
            dossier=dossier,
            seq=next(_seq),
            action="assign",
            from_status="in_processing",
            to_status="in_processing",
            attempts=3,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        )
    if "document" in kinds:
        made["document"] = DossierDocument.objects.create(
            dossier=dossier,
            kind=DossierDocument.Kind.RECEIPT,
            key=f"event-{made['event'].pk}",
            title="Giấy tiếp nhận",
            error="TemplateSyntaxError: Invalid block tag 'endfor'",
        )
    if "notice" in kinds:
        made["notice"] = Notification.objects.create(
            dossier=dossier,
            email="an@example.vn",
            phone="0912345678",
            subject=f"Hồ sơ {code}",
            body="Hồ sơ đang được xử lý.",
            attempts=2,
            last_error="email: SMTPServerDisconnected: Connection unexpectedly closed",
        )
    if "payment" in kinds:
        made["payment"] = Payment.objects.create(
            dossier=dossier,
            provider="vnpay",
            reference=f"P{code}"[:40].replace("-", ""),
            amount=8000,
            created_at=now - dt.timedelta(hours=2),
        )
    if "handoff" in kinds:
        made["handoff"] = Handoff.objects.create(
            key=f"{code}:residence",
            dossier=dossier,
            target="residence",
            status=Handoff.Status.FAILED,
            attempts=6,
            last_error="DeliveryFailed: CALB offers no procedure handled by “residence”.",
        )
    if "registry" in kinds:
        registry = Handoff.objects.create(
            key=f"{code}:civil_registry",
            dossier=dossier,
            target="civil_registry",
            channel="civil_registry",
            status=Handoff.Status.FAILED,
            attempts=6,
            last_error="DeliveryFailed: The civil-status registry answered HTTP 503.",
        )
        HandoffMessage.objects.create(
            handoff=registry,
            direction="out",
            dossier_ref=code,
            kind="deliver",
            response_status=503,
            response="Service Unavailable",
            error=registry.last_error,
        )
        made["registry"] = registry
    return dossier, made


@pytest.fixture
def world(db):
    a = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    b = AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")
    dossier_a, rows_a = failing_dossier(a, "UBLB-260101-0001")
    dossier_b, rows_b = failing_dossier(b, "UBBD-260101-0001", kinds=("event",))
    admin = UserFactory(full_name="Quản trị", is_superuser=True, is_staff=True)

    class World:
        pass

    w = World()
    w.a, w.b, w.dossier_a, w.dossier_b, w.rows_a, w.rows_b = (
        a,
        b,
        dossier_a,
        dossier_b,
        rows_a,
        rows_b,
    )
    w.head_a, w.head_b, w.admin = head_of(a), head_of(b), admin
    w.clerk_a = MembershipFactory(agency=a, role=Role.CLERK).user
    return w


# --- What the list shows --------------------------------------------------------------------


def test_every_kind_appears_with_its_plain_error(world):
    # Given a dossier of agency A with one failure of each kind, when its head lists them,
    with translation.override("en"):
        rows = {row.kind: row for row in failures.failure_list(world.head_a)}
    # then each kind is there, for that dossier, with a plain sentence and the raw text.
    assert set(rows) == {"event", "document", "notice", "payment", "handoff", "registry"}
    for row in rows.values():
        assert row.dossier_code == "UBLB-260101-0001"
        assert row.error
        assert "Error:" not in row.error
    assert "could not be reached" in rows["event"].error
    assert rows["event"].raw_error.startswith("ConnectionRefusedError")
    assert rows["event"].tries == 3
    assert "PDF" in rows["document"].error
    assert "email could not be sent" in rows["notice"].error
    assert rows["notice"].details["email"] == "failed"
    assert rows["notice"].details["sms"] == "pending"
    assert "payment provider" in rows["payment"].error
    assert "No agency here can receive" in rows["handoff"].error
    assert rows["handoff"].state == "failed" and rows["handoff"].can_retry
    assert "HTTP 503" in rows["registry"].error
    assert "Service Unavailable" in rows["registry"].raw_error


def test_a_step_waiting_too_long_without_error_is_late(world, settings):
    settings.EGOV_FAILURE_LATE_MINUTES = 15
    event = DossierEvent.objects.create(
        dossier=world.dossier_a,
        seq=next(_seq),
        action="assign",
        from_status="in_processing",
        to_status="in_processing",
        at=timezone.now() - dt.timedelta(minutes=30),
    )
    fresh = DossierEvent.objects.create(
        dossier=world.dossier_a, seq=next(_seq), action="assign", to_status="in_processing"
    )
    with translation.override("en"):
        keys = {row.key: row for row in failures.failure_list(world.admin, kind="event")}
    assert keys[f"event:{event.pk}"].state == "late"
    assert "background worker" in keys[f"event:{event.pk}"].error
    assert f"event:{fresh.pk}" not in keys


def test_the_page_is_in_vietnamese_first(world):
    response = signed_in(world.head_a).get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Công việc chạy nền bị lỗi" in html
    assert "UBLB-260101-0001" in html
    assert 'style="' not in html and "<script>" not in html


# --- Who sees what ------------------------------------------------------------------------


def test_the_head_of_a_sees_only_a_and_the_superuser_sees_all(world):
    a_codes = {row.dossier_code for row in failures.failure_list(world.head_a)}
    assert a_codes == {"UBLB-260101-0001"}
    b_codes = {row.dossier_code for row in failures.failure_list(world.head_b)}
    assert b_codes == {"UBBD-260101-0001"}
    all_codes = {row.dossier_code for row in failures.failure_list(world.admin)}
    assert all_codes == {"UBLB-260101-0001", "UBBD-260101-0001"}


def test_another_agencys_failure_is_not_found_for_a_head(world):
    event_b = world.rows_b["event"]
    client = signed_in(world.head_a)
    assert client.get(f"{LIST_URL}event/{event_b.pk}/").status_code == 404
    assert client.post(f"{LIST_URL}event/{event_b.pk}/retry/").status_code == 404
    response = client.post(f"{API_URL}event/{event_b.pk}/handle/", {"reason": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not FailureResolution.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "citizen"])
def test_a_clerk_or_a_citizen_is_refused(world, who):
    user = world.clerk_a if who == "clerk" else UserFactory()
    client = signed_in(user)
    assert client.get(LIST_URL).status_code == 403
    response = client.get(API_URL)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    event = world.rows_a["event"]
    assert client.post(f"{LIST_URL}event/{event.pk}/retry/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(world):
    response = Client().get(LIST_URL)
    assert response.status_code == 302
    assert Client().get(API_URL).status_code in (401, 403)


# --- Actions ---------------------------------------------------------------------------------


def test_retry_requeues_the_event_and_the_row_leaves_once_done(
    world, django_capture_on_commit_callbacks
):
    event = world.rows_a["event"]
    client = signed_in(world.head_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"{LIST_URL}event/{event.pk}/retry/")
    assert response.status_code == 302
    assert len(callbacks) >= 1
    event.refresh_from_db()
    # The eager worker ran it: processed, error cleared.
    assert event.processed_at is not None and event.last_error == ""
    keys = {row.key for row in failures.failure_list(world.head_a)}
    assert f"event:{event.pk}" not in keys


def test_retry_a_failed_handoff_puts_it_back_in_the_outbox(
    world, django_capture_on_commit_callbacks
):
    handoff = world.rows_a["handoff"]
    client = signed_in(world.admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"{API_URL}handoff/{handoff.pk}/retry/")
    assert response.status_code == 202, response.content
    assert response.json() == {"queued": "handoff"}
    assert len(callbacks) == 1  # the delivery, after commit
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.PENDING and handoff.attempts == 0
    assert handoff.messages.filter(kind="retry").exists()


def test_a_payment_cannot_be_retried(world):
    payment = world.rows_a["payment"]
    response = signed_in(world.head_a).post(f"{API_URL}payment/{payment.pk}/retry/")
    assert response.status_code == 409
    assert response.json()["code"] == "not_retryable"


def test_resend_a_notice_sends_its_unsent_channels(world, django_capture_on_commit_callbacks):
    notice = world.rows_a["notice"]
    client = signed_in(world.head_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{API_URL}notice/{notice.pk}/resend/")
    assert response.status_code == 202, response.content
    notice.refresh_from_db()
    assert notice.email_sent_at is not None and notice.sms_sent_at is not None
    assert notice.last_error == "" and notice.attempts == 1
    assert [m.to for m in mail.outbox] == [["an@example.vn"]]
    assert f"notice:{notice.pk}" not in {r.key for r in failures.failure_list(world.head_a)}
    # Nothing left to send: a second resend is refused.
    again = client.post(f"{API_URL}notice/{notice.pk}/resend/")
    assert again.status_code == 404 or again.json()["code"] == "already_delivered"


def test_mark_handled_requires_a_reason_and_is_recorded(world):
    payment = world.rows_a["payment"]
    client = signed_in(world.head_a)
    url = f"{API_URL}payment/{payment.pk}/handle/"
    refused = client.post(url, {"reason": "   "})
    assert refused.status_code == 400
    assert refused.json()["code"] == "reason_required"
    assert not FailureResolution.objects.exists()

    done = client.post(url, {"reason": "Đã đối soát với VNPAY: giao dịch không thành công."})
    assert done.status_code == 201, done.content
    resolution = FailureResolution.objects.get()
    assert (resolution.kind, resolution.object_key, resolution.actor) == (
        "payment",
        str(payment.pk),
        world.head_a,
    )
    assert resolution.reason.startswith("Đã đối soát")
    # It leaves the open list and stays in the handled one.
    open_keys = {r.key for r in failures.failure_list(world.head_a)}
    assert f"payment:{payment.pk}" not in open_keys
    handled = failures.failure_list(world.head_a, handled=True)
    assert [r.key for r in handled] == [f"payment:{payment.pk}"]
    assert handled[0].resolution == resolution
    listed = client.get(API_URL, {"status": "handled"}).json()
    assert [r["key"] for r in listed["results"]] == [f"payment:{payment.pk}"]
    assert listed["results"][0]["resolution"]["reason"].startswith("Đã đối soát")
    # Twice: refused.
    assert client.post(url, {"reason": "again"}).json()["code"] == "already_handled"


def test_mark_handled_on_the_page_without_reason_shows_the_error(world):
    event = world.rows_a["event"]
    client = signed_in(world.head_a)
    response = client.post(f"{LIST_URL}event/{event.pk}/handle/", {"reason": ""}, follow=True)
    assert response.status_code == 200
    assert not FailureResolution.objects.exists()
    response = client.post(
        f"{LIST_URL}event/{event.pk}/handle/", {"reason": "Đã kiểm tra"}, follow=True
    )
    assert FailureResolution.objects.filter(kind="event", object_key=str(event.pk)).exists()


def test_a_retry_reopens_a_handled_failure(world, django_capture_on_commit_callbacks):
    handoff = world.rows_a["handoff"]
    client = signed_in(world.admin)
    client.post(f"{API_URL}handoff/{handoff.pk}/handle/", {"reason": "Chờ công an"})
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"{API_URL}handoff/{handoff.pk}/retry/")
    resolution = FailureResolution.objects.get()
    assert resolution.active is False and resolution.closed_at is not None


# --- The header's count -------------------------------------------------------------------


def test_the_header_shows_the_open_failures_to_heads_only(world):
    page = signed_in(world.head_a).get(LIST_URL).content.decode()
    assert 'data-testid="nav-failures"' in page
    assert 'data-testid="open-failures">6<' in page
    clerk_page = signed_in(world.clerk_a).get("/back-office/", follow=True).content.decode()
    assert "area-nav" in clerk_page
    assert 'data-testid="nav-failures"' not in clerk_page


def test_the_header_count_is_kept_briefly_when_configured(world, settings):
    settings.EGOV_FAILURE_COUNT_SECONDS = 30
    assert failures.cached_open_count(world.head_a) == 6
    Payment.objects.all().delete()
    assert failures.cached_open_count(world.head_a) == 6  # kept
    failures.forget_counts(world.head_a)
    assert failures.cached_open_count(world.head_a) == 5


def test_the_header_count_costs_no_query_for_a_clerk(world):
    from django.template import Context, Template

    world.clerk_a.active_memberships  # loaded once per request  # noqa: B018
    template = Template("{% load failures_nav %}{% open_failure_count user as n %}[{{ n }}]")
    with CaptureQueriesContext(connection) as queries:
        text = template.render(Context({"user": world.clerk_a}))
    assert text == "[None]"
    assert len(queries) == 0


# --- Query counts ---------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_list_page_and_api_cost_the_same_queries_as_rows_grow(world):
    admin = signed_in(world.admin)
    page_before, api_before = _queries(admin, LIST_URL), _queries(admin, API_URL)
    for n in range(2, 7):
        failing_dossier(world.a, f"UBLB-260101-{n:04d}")
    assert len(failures.failure_list(world.admin)) > 30
    assert _queries(admin, LIST_URL) == page_before
    assert _queries(admin, API_URL) == api_before


def test_the_handled_view_costs_the_same_queries_as_rows_grow(world):
    client = signed_in(world.admin)

    def handle_all():
        for row in failures.failure_list(world.admin):
            client.post(f"{API_URL}{row.kind}/{row.object_id}/handle/", {"reason": "ok"})

    handle_all()
    before = _queries(client, f"{API_URL}?status=handled")
    for n in range(2, 5):
        failing_dossier(world.a, f"UBLB-260101-{n:04d}")
    handle_all()
    assert _queries(client, f"{API_URL}?status=handled") == before


def test_the_next_page_keeps_the_filter(world):
    admin = signed_in(world.admin)
    for n in range(2, 60):
        failing_dossier(world.a, f"UBLB-260102-{n:04d}", kinds=("event",))
    page = admin.get(LIST_URL, {"kind": "event"})
    assert page.status_code == 200
    assert 'href="?kind=event&amp;page=2" rel="next"' in page.content.decode()
    second = admin.get(LIST_URL, {"kind": "event", "page": 2})
    assert {row.kind for row in second.context["rows"]} == {"event"}
    assert 'href="?kind=event&amp;page=1" rel="prev"' in second.content.decode()

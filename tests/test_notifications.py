"""Notices to applicants: one per step they can see, by email (in Vietnamese)
and by SMS when a phone number is known, sent once after commit; and the
signed-in citizen's list of notices at /me/notices/.

The lifecycle tests commit (``transaction=True``) so that ``on_commit`` runs
the ``after_event`` task (eager in the tests) as in production.
"""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from citizens.models import Role
from onecounter import tasks, transitions
from onecounter.models import DossierEvent, Notification
from onecounter.notifications import services as notifications
from tests.factories import AgencyFactory, DossierFactory, MembershipFactory, UserFactory

PHONE = "0912345678"
LIFECYCLE = [
    "submit", "receive", "assign", "request_supplement", "supply", "propose",
    "approve", "mark_result_ready", "hand_back",
]  # fmt: skip


@pytest.fixture
def private_storage(settings, tmp_path):
    """Slips are rendered by the same task: keep their PDFs out of var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def office(db):
    agency = AgencyFactory(code="UBLB", name="UBND phường Long Biên")
    staff = {
        role: MembershipFactory(agency=agency, role=role).user
        for role in (Role.CLERK, Role.OFFICER, Role.HEAD)
    }
    return agency, staff


def act(dossier, action, staff):
    params = {
        "assign": {"officer": staff[Role.OFFICER]},
        "request_supplement": {"items": ["Giấy chứng sinh bản chính"]},
        "propose": {"decision": "approve"},
    }.get(action, {})
    spec = transitions.ACTIONS[action]
    if transitions.APPLICANT in spec.actors and dossier.applicant_id:
        actor = dossier.applicant
    else:
        role = next(r for r in (Role.CLERK, Role.OFFICER, Role.HEAD) if r in spec.actors)
        actor = staff[role]
    return transitions.perform(dossier, action, actor=actor, reason="Lý do thử nghiệm", **params)


def sms_records(caplog):
    return [r for r in caplog.records if r.name == notifications.__name__ and "SMS" in r.message]


# --- Sending -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_given_a_dossier_taken_to_its_end_then_each_visible_step_notifies_once_by_email_and_sms(
    office, private_storage, caplog
):
    caplog.set_level(logging.INFO, logger=notifications.__name__)
    agency, staff = office
    dossier = DossierFactory(
        agency=agency, applicant_email="an.nguyen@example.vn", applicant_phone=PHONE
    )
    for action in LIFECYCLE:
        dossier = act(dossier, action, staff)

    visible = [a for a in LIFECYCLE if a != "propose"]
    notices = list(Notification.objects.filter(dossier=dossier).order_by("event__seq"))
    assert [n.event.action for n in notices] == visible
    assert all(n.user_id == dossier.applicant_id for n in notices)
    assert all(n.email_sent_at and n.sms_sent_at and n.attempts == 1 for n in notices)
    assert not DossierEvent.objects.filter(dossier=dossier, processed_at__isnull=True).exists()

    assert len(mail.outbox) == len(visible)
    assert {m.to[0] for m in mail.outbox} == {"an.nguyen@example.vn"}
    assert all(dossier.code in m.subject and dossier.code in m.body for m in mail.outbox)
    received = next(m for m in mail.outbox if "tiếp nhận" in m.body)  # Vietnamese
    assert f"Hồ sơ {dossier.code} đã được tiếp nhận" in received.body
    assert dossier.due_date.strftime("%d/%m/%Y") in received.body

    logged = sms_records(caplog)
    assert len(logged) == len(visible)
    assert all("***678" in r.message for r in logged)
    assert not any(PHONE in r.getMessage() or "345678" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_running_after_event_again_sends_nothing_twice(office, private_storage, caplog):
    caplog.set_level(logging.INFO, logger=notifications.__name__)
    agency, staff = office
    dossier = DossierFactory(agency=agency, applicant_email="a@example.vn", applicant_phone=PHONE)
    for action in ("submit", "receive"):
        dossier = act(dossier, action, staff)
    assert len(mail.outbox) == 2 and len(sms_records(caplog)) == 2

    events = list(dossier.events.all())
    for event in events:
        tasks.after_event(event.pk)
    # Even an event swept again (its outbox mark lost) finds its notice already sent.
    DossierEvent.objects.filter(dossier=dossier).update(processed_at=None)
    for event in events:
        tasks.after_event(event.pk)
    tasks.sweep_pending_events(older_than_seconds=0)

    assert Notification.objects.filter(dossier=dossier).count() == 2
    assert len(mail.outbox) == 2
    assert len(sms_records(caplog)) == 2


@pytest.mark.django_db(transaction=True)
def test_internal_review_steps_notify_nobody(office, private_storage):
    agency, staff = office
    dossier = DossierFactory(agency=agency, applicant_email="a@example.vn")
    for action in ("submit", "receive", "assign", "propose", "send_back", "propose"):
        dossier = act(dossier, action, staff)
    # Another officer takes it over: still "in processing" to the applicant.
    other = MembershipFactory(agency=agency, role=Role.OFFICER).user
    dossier = transitions.perform(dossier, "send_back", actor=staff[Role.HEAD], reason="x")
    dossier = transitions.perform(dossier, "assign", actor=staff[Role.CLERK], officer=other)

    notified = set(
        Notification.objects.filter(dossier=dossier).values_list("event__action", flat=True)
    )
    assert notified == {"submit", "receive", "assign"}
    assert Notification.objects.filter(dossier=dossier).count() == 3
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_a_walk_in_with_a_phone_only_gets_sms_and_no_email(office, private_storage, caplog):
    caplog.set_level(logging.INFO, logger=notifications.__name__)
    agency, staff = office
    dossier = DossierFactory(
        agency=agency, channel="counter", applicant=None, applicant_email="", applicant_phone=PHONE
    )
    for action in ("submit", "receive"):
        dossier = act(dossier, action, staff)
    # The counter's submission and receipt are one moment for the person: one notice.
    notice = Notification.objects.get(dossier=dossier)
    assert notice.event.action == "receive"
    assert notice.user is None and notice.email == "" and notice.phone == PHONE
    assert notice.sms_sent_at is not None and notice.email_sent_at is None
    assert mail.outbox == []
    assert len(sms_records(caplog)) == 1


@pytest.mark.django_db(transaction=True)
def test_with_no_account_no_email_and_no_phone_there_is_no_notice(office, private_storage):
    agency, staff = office
    dossier = DossierFactory(
        agency=agency, channel="counter", applicant=None, applicant_email="", applicant_phone=""
    )
    for action in ("submit", "receive"):
        dossier = act(dossier, action, staff)
    assert not Notification.objects.filter(dossier=dossier).exists()
    assert not DossierEvent.objects.filter(dossier=dossier, processed_at__isnull=True).exists()


class BrokenSms:
    def send(self, phone, text, *, message_id="", dossier_ref=""):
        raise ConnectionError(f"gateway refused {phone}")


@pytest.mark.django_db(transaction=True)
def test_a_failed_sms_is_recorded_without_the_number_and_sent_later_without_a_second_email(
    office, private_storage, settings, caplog
):
    caplog.set_level(logging.INFO, logger=notifications.__name__)
    settings.EGOV_SMS_PROVIDER = f"{__name__}.BrokenSms"
    agency, staff = office
    dossier = DossierFactory(agency=agency, applicant_email="a@example.vn", applicant_phone=PHONE)
    dossier = act(dossier, "submit", staff)

    notice = Notification.objects.get(dossier=dossier)
    assert notice.email_sent_at is not None and notice.sms_sent_at is None
    assert notice.attempts == 1
    assert "ConnectionError" in notice.last_error and PHONE not in notice.last_error
    assert not DossierEvent.objects.filter(processed_at__isnull=True).exists()

    # Still failing: tried again, still recorded. Then the gateway is back.
    assert notifications.deliver_pending(older_than_seconds=0) == 1
    settings.EGOV_SMS_PROVIDER = "onecounter.notifications.services.LoggingSmsProvider"
    assert notifications.deliver_pending(older_than_seconds=0) == 1
    notice.refresh_from_db()
    assert notice.sms_sent_at is not None and notice.attempts == 3 and notice.last_error == ""
    assert len(mail.outbox) == 1
    assert notifications.deliver_pending(older_than_seconds=0) == 0


# --- The HTTP SMS provider against a local gateway ------------------------------------------


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 202

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    Gateway.received = []
    Gateway.status = 202
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EGOV_SMS_PROVIDER = "onecounter.notifications.services.HttpSmsProvider"
    settings.EGOV_SMS_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.EGOV_SMS_TOKEN = "token-thu-nghiem"
    settings.EGOV_SMS_TIMEOUT = 5
    yield Gateway
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_the_http_provider_posts_json_with_the_token_and_a_stable_id(gateway):
    provider = notifications.sms_provider()
    provider.send(
        PHONE,
        "Hồ sơ UBLB-260304-0001 đã được tiếp nhận.",
        message_id="n-1",
        dossier_ref="UBLB-260304-0001",
    )
    headers, body = gateway.received[0]
    assert headers["Authorization"] == "Bearer token-thu-nghiem"
    assert headers["Idempotency-Key"] == "n-1"
    assert body == {
        "id": "n-1",
        "to": PHONE,
        "text": "Hồ sơ UBLB-260304-0001 đã được tiếp nhận.",
        "reference": "UBLB-260304-0001",
    }


@pytest.mark.django_db
def test_the_http_provider_treats_an_error_answer_as_a_failure_and_the_notice_keeps_it(gateway):
    gateway.status = 503
    dossier = DossierFactory(code="UBLB-260304-0002", status="submitted", applicant_phone=PHONE)
    notice = Notification.objects.create(
        dossier=dossier, phone=PHONE, subject="s", body="Hồ sơ UBLB-260304-0002"
    )
    with pytest.raises(notifications.SmsError):
        notifications.sms_provider().send(PHONE, "x")
    assert notifications.deliver(notice.pk) is False
    notice.refresh_from_db()
    assert notice.sms_sent_at is None and "HTTP 503" in notice.last_error
    gateway.status = 200
    assert notifications.deliver(notice.pk) is True
    notice.refresh_from_db()
    assert notice.sms_sent_at is not None and notice.attempts == 2
    assert [b["id"] for _h, b in gateway.received] == ["", str(notice.pk), str(notice.pk)]


# --- My notices -------------------------------------------------------------------------------


@pytest.fixture
def client(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def notices_for(user, count, code="UBLB-260304-0001"):
    dossier = DossierFactory(applicant=user, code=code, status="received")
    return [
        Notification.objects.create(
            dossier=dossier, user=user, subject=f"Hồ sơ {code}: thông báo {n}", body=f"Nội dung {n}"
        )
        for n in range(count)
    ]


@pytest.mark.django_db
def test_a_citizen_sees_only_their_own_notices_newest_first_with_a_tracking_link(client):
    me, other = UserFactory(), UserFactory()
    notices_for(me, 3, code="UBLB-260304-0001")
    notices_for(other, 2, code="UBBD-260304-0009")
    client.force_login(me)
    response = client.get("/me/notices/")
    assert response.status_code == 200
    html = response.text
    assert html.count('class="notices__item"') == 3
    assert "UBBD-260304-0009" not in html
    assert html.index("thông báo 2") < html.index("thông báo 1") < html.index("thông báo 0")
    assert 'href="/track/?code=UBLB-260304-0001"' in html
    assert html.count(">New</strong>") == 3
    # Shown once as new, then read.
    assert not Notification.objects.filter(user=me, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 2
    assert ">New</strong>" not in client.get("/me/notices/").text


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/me/notices/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/me/notices/")


@pytest.mark.django_db
def test_the_notices_page_costs_the_same_queries_however_many_notices(client):
    few, many = UserFactory(), UserFactory()
    notices_for(few, 2, code="UBLB-260304-0001")
    notices_for(many, 45, code="UBLB-260304-0002")

    def cost(user, page=1):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/me/notices/?page={page}")
        assert response.status_code == 200
        return len(queries)

    assert cost(few) == cost(many) == cost(many, page=3)

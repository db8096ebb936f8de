"""The connector to the external civil-status registry: the signed delivery of a
registered birth (against a real HTTP server on 127.0.0.1) and the registry's
signed callback."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from interconnect.channels import civil_registry as registry_client
from interconnect.errors import DeliveryFailed
from interconnect.models import Handoff, HandoffMessage
from tests.factories import DossierFactory
from tests.workers.registry_server import FakeRegistry

SECRET = "registry-test-secret-0123456789"
PAYLOAD = {
    "child": {"full_name": "Nguyễn Thị Bình", "sex": "F", "birth_date": "2025-03-01"},
    "mother": {"full_name": "Trần Thị Hoa", "id_number": "001190012345"},
    "dossier": "LB-2025-000123",
    "id_number": "001325012345",
}


@pytest.fixture
def registry(settings):
    server = FakeRegistry(secret=SECRET).start()
    settings.EGOV_CIVIL_REGISTRY_URL = server.url
    settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET
    settings.EGOV_CIVIL_REGISTRY_TIMEOUT = 1
    yield server
    server.stop()


def make_handoff(target=Handoff.Target.CIVIL_REGISTRY, status=Handoff.Status.DELIVERED):
    dossier = DossierFactory(code=f"HS{time.monotonic_ns() % 10**10:010d}", status="approved")
    return Handoff.objects.create(
        key=f"{dossier.code}:{target}",
        dossier=dossier,
        target=target,
        status=status,
        payload=PAYLOAD,
    )


# --- Signing ------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_of_timestamp_dot_body_and_tampering_breaks_it():
    body = registry_client.canonical_json({"b": 1, "a": "Đặng"})
    assert body == '{"a":"Đặng","b":1}'.encode()
    signature = registry_client.sign(body, "1700000000", "k")
    # Known answer: printf '1700000000.{"a":"Đặng","b":1}' | openssl dgst -sha256 -hmac k
    assert signature == "6f0c8e5d4bd1f5c99394c757e9ca0476f57567b069f849c99d2a60338b037f25"
    assert registry_client.verify(body, "1700000000", signature, "k")
    assert registry_client.verify(body, 1700000000, signature.upper(), "k")
    assert not registry_client.verify(body + b" ", "1700000000", signature, "k")
    assert not registry_client.verify(body, "1700000001", signature, "k")
    assert not registry_client.verify(body, "1700000000", signature, "other")
    assert not registry_client.verify(body, "1700000000", "", "k")
    assert not registry_client.verify(body, "1700000000", signature, "")


# --- Delivery -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_birth_is_posted_as_signed_canonical_json_and_the_registry_reference_comes_back(
    registry,
):
    handoff = make_handoff()

    reply = registry_client.post_birth(handoff, message_id="6f1c1d8e-2f0e-4b43-9d7c-0c6c3d6c9f01")

    (received,) = registry.wait_for(1)
    assert received.signature_ok
    assert received.path == "/v1/births"
    assert received.body == registry_client.body_for(handoff)
    assert received.json == PAYLOAD
    assert "Nguyễn Thị Bình".encode() in received.body  # UTF-8, not \u escapes
    assert list(json.loads(received.body)) == sorted(PAYLOAD)
    assert received.headers["Idempotency-Key"] == handoff.key
    assert received.headers["X-Egov-Message-Id"] == "6f1c1d8e-2f0e-4b43-9d7c-0c6c3d6c9f01"
    assert received.headers["Content-Type"].startswith("application/json")
    assert abs(int(received.headers["X-Egov-Timestamp"]) - time.time()) < 5
    assert reply.status == 200
    assert reply.reference == "MOJ-000001"
    assert json.loads(reply.body)["reference"] == "MOJ-000001"
    assert reply.request_sha256 == registry_client.request_sha256(received.body)


@pytest.mark.django_db
def test_a_retry_of_the_same_handoff_sends_the_same_key_and_body(registry):
    handoff = make_handoff()

    first = registry_client.post_birth(handoff)
    second = registry_client.post_birth(handoff)

    one, two = registry.wait_for(2)
    assert one.body == two.body
    assert one.headers["Idempotency-Key"] == two.headers["Idempotency-Key"] == handoff.key
    assert one.headers["X-Egov-Message-Id"] != two.headers["X-Egov-Message-Id"]
    assert first.reference == second.reference  # the registry deduplicates by the key


@pytest.mark.django_db
def test_a_server_error_is_a_failed_delivery_with_its_status_and_body(registry):
    registry.mode = "error"

    with pytest.raises(DeliveryFailed) as failed:
        registry_client.post_birth(make_handoff())

    assert failed.value.status == 500
    assert "internal_error" in failed.value.body
    assert "500" in str(failed.value)


@pytest.mark.django_db
def test_a_registry_slower_than_the_timeout_is_a_failed_delivery(registry):
    registry.mode = "slow"
    registry.delay = 3

    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        registry_client.post_birth(make_handoff())

    assert time.monotonic() - started < 2.5
    assert failed.value.status is None
    assert "did not answer within 1 s" in str(failed.value)


@pytest.mark.django_db
def test_an_answer_that_is_not_json_or_has_no_reference_is_a_failed_delivery(registry):
    registry.mode = "not_json"
    with pytest.raises(DeliveryFailed) as failed:
        registry_client.post_birth(make_handoff())
    assert failed.value.status == 200
    assert "maintenance" in failed.value.body


@pytest.mark.django_db
def test_an_unreachable_registry_is_a_failed_delivery(settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EGOV_CIVIL_REGISTRY_URL = f"http://127.0.0.1:{port}/v1/births"
    settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET

    with pytest.raises(DeliveryFailed) as failed:
        registry_client.post_birth(make_handoff())

    assert failed.value.status is None
    assert "could not be reached" in str(failed.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["http://registry.example.gov.vn/v1/births", "ftp://127.0.0.1/x", "https:///nohost"],
)
def test_plain_http_is_refused_except_on_this_machine(settings, url):
    settings.EGOV_CIVIL_REGISTRY_URL = url
    settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET

    with pytest.raises(DeliveryFailed):
        registry_client.post_birth(make_handoff())


@pytest.mark.django_db
def test_an_unconfigured_connector_is_off_and_refuses_to_deliver(settings):
    settings.EGOV_CIVIL_REGISTRY_URL = ""
    settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET
    assert not registry_client.enabled()
    with pytest.raises(DeliveryFailed, match="not configured"):
        registry_client.post_birth(make_handoff())

    settings.EGOV_CIVIL_REGISTRY_URL = "https://registry.example.gov.vn/v1/births"
    settings.EGOV_CIVIL_REGISTRY_SECRET = ""
    assert not registry_client.enabled()


# --- Callback -------------------------------------------------------------------------------

CALLBACK = "registry:callback"


@pytest.fixture
def configured(settings):
    settings.EGOV_CIVIL_REGISTRY_URL = "https://registry.example.gov.vn/v1/births"
    settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET


def call_back(data, *, secret=SECRET, timestamp=None, signature=None, raw=None):
    """The registry's callback as it would send it (a client without session or CSRF token)."""
    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"X-Egov-Timestamp": timestamp}
    headers["X-Egov-Signature"] = (
        signature if signature is not None else registry_client.sign(body, timestamp, secret)
    )
    return Client(enforce_csrf_checks=True).post(
        reverse(CALLBACK), data=body, content_type="application/json", headers=headers
    )


def registered(handoff, reference="MOJ-2025-000042"):
    return {
        "idempotency_key": handoff.key,
        "status": "registered",
        "reference": reference,
        "note": "Đã đăng ký",
    }


def rejected(handoff, note="Trùng với bản đăng ký khai sinh số 12/2025"):
    return {"idempotency_key": handoff.key, "status": "rejected", "note": note}


@pytest.mark.django_db
def test_the_url_is_under_interconnect():
    assert reverse(CALLBACK) == "/interconnect/civil-registry/callback/"


@pytest.mark.django_db
def test_a_signed_registered_callback_completes_the_handoff_and_is_logged(configured):
    handoff = make_handoff()

    response = call_back(registered(handoff))

    assert response.status_code == 200, response.content
    assert response.json()["code"] == "ok"
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.COMPLETED
    assert handoff.external_reference == "MOJ-2025-000042"
    assert handoff.finished_at is not None
    (message,) = HandoffMessage.objects.filter(handoff=handoff)
    assert message.direction == HandoffMessage.Direction.IN
    assert message.kind == "callback"
    assert message.dossier_ref == handoff.dossier.code
    assert message.response_status == 200
    assert len(message.request_sha256) == 64
    assert message.error == ""
    assert message.finished_at >= message.started_at


@pytest.mark.django_db
def test_a_repeated_callback_changes_nothing_and_answers_200_again(configured):
    handoff = make_handoff()
    assert call_back(registered(handoff)).status_code == 200
    handoff.refresh_from_db()
    finished_at = handoff.finished_at

    again = call_back(registered(handoff))

    assert again.status_code == 200
    assert again.json()["code"] == "unchanged"
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.COMPLETED
    assert handoff.finished_at == finished_at
    assert HandoffMessage.objects.filter(handoff=handoff, kind="callback").count() == 2


@pytest.mark.django_db
def test_a_rejection_refuses_the_handoff_with_its_reason_once(configured):
    handoff = make_handoff()

    assert call_back(rejected(handoff)).status_code == 200
    assert call_back(rejected(handoff)).json()["code"] == "unchanged"

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.REFUSED
    assert handoff.outcome_note == "Trùng với bản đăng ký khai sinh số 12/2025"


@pytest.mark.django_db
def test_a_callback_contradicting_the_recorded_outcome_is_a_conflict(configured):
    done = make_handoff()
    call_back(registered(done, "MOJ-1"))
    refused = make_handoff()
    call_back(rejected(refused))

    other_reference = call_back(registered(done, "MOJ-2"))
    now_rejected = call_back(rejected(done))
    now_registered = call_back(registered(refused))

    assert [r.status_code for r in (other_reference, now_rejected, now_registered)] == [409] * 3
    assert other_reference.json()["code"] == "conflict"
    done.refresh_from_db()
    refused.refresh_from_db()
    assert (done.status, done.external_reference) == (Handoff.Status.COMPLETED, "MOJ-1")
    assert refused.status == Handoff.Status.REFUSED
    assert refused.external_reference == ""
    logged = HandoffMessage.objects.filter(handoff=done, response_status=409)
    assert logged.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Handoff.Status.PENDING, Handoff.Status.FAILED])
def test_a_callback_is_accepted_for_a_delivery_the_portal_did_not_see_succeed(configured, status):
    """The registry got an attempt the portal counted as timed out (or a crash came
    between the post and its bookkeeping): its outcome still counts."""
    handoff = make_handoff(status=status)

    assert call_back(registered(handoff)).status_code == 200

    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.COMPLETED


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_logged_without_changing_the_handoff(configured):
    handoff = make_handoff()

    forged = call_back(registered(handoff), secret="not-the-secret")
    unsigned = call_back(registered(handoff), signature="")

    assert (forged.status_code, forged.json()["code"]) == (401, "bad_signature")
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "bad_signature")
    assert forged.json()["message"] == "Chữ ký không khớp."  # Vietnamese first
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DELIVERED
    assert handoff.external_reference == ""
    errors = HandoffMessage.objects.filter(handoff=handoff).values_list("error", flat=True)
    assert list(errors) == ["bad_signature", "bad_signature"]


@pytest.mark.django_db
def test_a_body_changed_after_signing_is_refused(configured):
    handoff = make_handoff()
    body = json.dumps(registered(handoff)).encode()
    timestamp = str(int(time.time()))
    signature = registry_client.sign(body, timestamp, SECRET)
    tampered = body.replace(b"MOJ-2025-000042", b"MOJ-2025-999999")

    response = call_back(None, raw=tampered, timestamp=timestamp, signature=signature)

    assert response.status_code == 401
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DELIVERED


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-6 * 60, 6 * 60])
def test_a_callback_signed_more_than_5_minutes_away_is_stale(configured, offset):
    handoff = make_handoff()

    response = call_back(registered(handoff), timestamp=int(time.time()) + offset)

    assert response.status_code == 400
    assert response.json()["code"] == "stale_timestamp"
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DELIVERED
    assert HandoffMessage.objects.get(handoff=handoff).error == "stale_timestamp"


@pytest.mark.django_db
def test_a_callback_signed_4_minutes_ago_is_still_accepted(configured):
    handoff = make_handoff()
    assert call_back(registered(handoff), timestamp=int(time.time()) - 4 * 60).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"status": "registered", "reference": "MOJ-1"},
        {"idempotency_key": "X", "status": "maybe", "reference": "MOJ-1"},
        {"idempotency_key": "X", "status": "registered"},
        {"idempotency_key": "X", "status": "rejected"},
        ["not", "an", "object"],
    ],
)
def test_an_incomplete_callback_is_a_bad_request(configured, data):
    response = call_back(data)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_bad_request(configured):
    response = call_back(None, raw=b"status=registered")
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")


@pytest.mark.django_db
def test_a_timestamp_that_is_not_a_number_is_a_bad_request(configured):
    handoff = make_handoff()
    response = call_back(registered(handoff), timestamp="yesterday")
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")


@pytest.mark.django_db
def test_an_unknown_key_or_a_handoff_to_another_agency_is_an_unknown_handoff(configured):
    police = make_handoff(target=Handoff.Target.RESIDENCE)

    unknown = call_back({**registered(police), "idempotency_key": "HS0:civil_registry"})
    not_ours = call_back(registered(police))

    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_handoff")
    assert (not_ours.status_code, not_ours.json()["code"]) == (404, "unknown_handoff")
    police.refresh_from_db()
    assert police.status == Handoff.Status.DELIVERED
    assert not HandoffMessage.objects.exists()


@pytest.mark.django_db
def test_the_callback_is_off_when_the_connector_is_not_configured(settings):
    settings.EGOV_CIVIL_REGISTRY_URL = ""
    settings.EGOV_CIVIL_REGISTRY_SECRET = SECRET
    handoff = make_handoff()

    response = call_back(registered(handoff))

    assert (response.status_code, response.json()["code"]) == (404, "connector_disabled")
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.DELIVERED


@pytest.mark.django_db
def test_the_callback_takes_only_post(configured):
    assert Client().get(reverse(CALLBACK)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_callbacks_at_the_same_moment_record_the_outcome_once(configured):
    handoff = make_handoff()

    def send(_):
        try:
            return call_back(registered(handoff)).json()["code"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(send, range(4)))

    assert codes == ["ok", "unchanged", "unchanged", "unchanged"]
    handoff.refresh_from_db()
    assert handoff.status == Handoff.Status.COMPLETED
    assert HandoffMessage.objects.filter(handoff=handoff, response_status=200).count() == 4

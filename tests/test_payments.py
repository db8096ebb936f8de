"""Online payment of a draft's fee: providers that sign and verify as documented,
callbacks that are idempotent against repetition, lateness and disorder, the
demo's test gateway end to end, the fee receipt, and who may do what."""

import datetime as dt
import hashlib
import hmac
import io
import threading
import unicodedata
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import pypdf
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from citizens.models import Role
from egov import vietnamese
from egov.errors import ConflictError, NotFoundError
from onecounter.models import DossierDocument, DossierStatus, Payment, PaymentCallback
from onecounter.payments import services, tasks
from onecounter.payments import test as test_gateway
from onecounter.payments.services import Outcome
from onecounter.payments.vnpay import VnpayProvider
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    MembershipFactory,
    ProcedureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FEE = 50_000
VNPAY_SECRET = "VNPAYSECRETFORTESTSONLY0123456789"
VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    settings.EGOV_PAYMENT_PROVIDER = "test"
    settings.EGOV_TEST_PAYMENT_SECRET = "test-gateway-secret-for-tests"
    settings.VNPAY_HASH_SECRET = ""


@pytest.fixture
def vnpay(settings):
    settings.EGOV_PAYMENT_PROVIDER = "vnpay"
    settings.VNPAY_URL = VNPAY_URL
    settings.VNPAY_TMN_CODE = "EGOVTEST"
    settings.VNPAY_HASH_SECRET = VNPAY_SECRET


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def procedure(db):
    return ProcedureFactory(
        name="Cấp bản sao trích lục hộ tịch",
        code="2.000635",
        online_level="full",
        fee_online=FEE,
        fee_counter=60_000,
    )


def make_draft(applicant, procedure, agency):
    return DossierFactory(
        procedure=procedure,
        agency=agency,
        applicant=applicant,
        applicant_name=applicant.full_name,
        declaration_accepted_at=timezone.now(),
    )


@pytest.fixture
def draft(citizen, procedure, agency):
    return make_draft(citizen, procedure, agency)


def start(draft, **kwargs):
    return services.payment_start(dossier=draft, actor=draft.applicant, ip="203.0.113.5", **kwargs)


def gateway_says(payment, status="paid", **changes):
    """What the test gateway sends for ``payment``, signed (after ``changes``)."""
    params = test_gateway.TestGateway().signed_params(payment, status)
    if changes:
        params.update(changes)
        unsigned = {k: v for k, v in params.items() if k != "signature"}
        params["signature"] = hmac_sha512_of(
            test_gateway.secret(),
            "&".join(f"{k}={quote_plus(unsigned[k])}" for k in sorted(unsigned)),
        )
    return params


def callback(params, provider="test", source="callback"):
    return services.payment_callback(provider=provider, params=params, source=source)


def hmac_sha512_of(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def vnpay_signed(params: dict) -> dict:
    """Sign as VNPAY's documentation does, independently of the code under test:
    sorted keys, urlencode with quote_plus, HMAC-SHA512 in hex."""
    query = urlencode(sorted(params.items()), quote_via=quote_plus)
    return {
        **params,
        "vnp_SecureHashType": "HmacSHA512",
        "vnp_SecureHash": hmac_sha512_of(VNPAY_SECRET, query),
    }


def vnpay_ipn(payment, *, response_code="00", status="00", amount=None, transaction="14123456"):
    return vnpay_signed(
        {
            "vnp_Amount": str((payment.amount if amount is None else amount) * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": "VNP14123456",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": f"Thanh toan phi le phi ho so {payment.reference}",
            "vnp_PayDate": "20260304101200",
            "vnp_ResponseCode": response_code,
            "vnp_TmnCode": "EGOVTEST",
            "vnp_TransactionNo": transaction,
            "vnp_TransactionStatus": status,
            "vnp_TxnRef": payment.reference,
        }
    )


def text_of(document) -> str:
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def fee_receipts():
    return DossierDocument.objects.filter(kind=DossierDocument.Kind.FEE_RECEIPT)


# --- Who must pay ---------------------------------------------------------------------------


def test_given_a_full_online_procedure_with_a_fee_then_its_draft_must_be_paid(draft):
    assert services.payment_required(draft) is True


@pytest.mark.parametrize(
    ("online_level", "fee_online"), [("full", 0), ("partial", FEE), ("partial", 0)]
)
def test_given_a_free_or_partly_online_procedure_then_no_payment_is_required_and_none_can_start(
    citizen, agency, online_level, fee_online
):
    procedure = ProcedureFactory(online_level=online_level, fee_online=fee_online)
    draft = make_draft(citizen, procedure, agency)

    assert services.payment_required(draft) is False
    with pytest.raises(ConflictError) as raised:
        start(draft)
    assert raised.value.code == "not_payable"
    assert not Payment.objects.exists()


def test_given_a_paid_draft_then_no_payment_is_required_any_more(draft):
    payment, _url = start(draft)
    callback(gateway_says(payment))
    draft.refresh_from_db()

    assert services.payment_required(draft) is False
    with pytest.raises(ConflictError):
        start(draft)


# --- VNPAY: signing and verification ------------------------------------------------------------


def test_vnpay_payment_url_is_signed_as_documented(vnpay, draft):
    payment = Payment.objects.create(
        dossier=draft,
        provider="vnpay",
        reference="260304ABCDEF012345",
        amount=FEE,
        created_at=dt.datetime(2026, 3, 4, 3, 5, tzinfo=dt.UTC),  # 10:05 in Hà Nội
    )

    with translation.override("vi"):
        url = VnpayProvider().start(
            payment, "https://dichvucong.example.vn/payments/return/vnpay/", "203.0.113.5"
        )

    # The known vector, written out by hand from the documented algorithm.
    expected_query = (
        "vnp_Amount=5000000&vnp_Command=pay&vnp_CreateDate=20260304100500&vnp_CurrCode=VND"
        "&vnp_ExpireDate=20260304102000&vnp_IpAddr=203.0.113.5&vnp_Locale=vn"
        "&vnp_OrderInfo=Thanh+toan+phi+le+phi+ho+so+260304ABCDEF012345&vnp_OrderType=other"
        "&vnp_ReturnUrl=https%3A%2F%2Fdichvucong.example.vn%2Fpayments%2Freturn%2Fvnpay%2F"
        "&vnp_TmnCode=EGOVTEST&vnp_TxnRef=260304ABCDEF012345&vnp_Version=2.1.0"
    )
    expected_hash = hmac.new(
        VNPAY_SECRET.encode(), expected_query.encode(), hashlib.sha512
    ).hexdigest()
    assert url == f"{VNPAY_URL}?{expected_query}&vnp_SecureHash={expected_hash}"
    assert len(expected_hash) == 128


def test_vnpay_english_pages_ask_for_the_english_locale(vnpay, draft):
    payment, url = start(draft, return_url="https://dichvucong.example.vn/payments/return/vnpay/")
    with translation.override("en"):
        english = VnpayProvider().start(payment, "https://x.example/r/", "203.0.113.5")

    assert dict(parse_qsl(urlsplit(url).query))["vnp_Locale"] == "vn"
    assert dict(parse_qsl(urlsplit(english).query))["vnp_Locale"] == "en"


def test_vnpay_return_and_ipn_are_verified_and_tampering_is_detected(vnpay, draft):
    payment, _url = start(draft)
    params = vnpay_ipn(payment)
    provider = VnpayProvider()

    for verify in (provider.verify_return, provider.verify_callback):
        result = verify(params)
        assert result.signature_ok is True
        assert (result.reference, result.amount, result.currency) == (payment.reference, FEE, "VND")
        assert result.success is True
        assert result.provider_transaction == "14123456"
    upper = {**params, "vnp_SecureHash": params["vnp_SecureHash"].upper()}
    assert provider.verify_callback(upper).signature_ok is True
    tampered = {**params, "vnp_Amount": "100"}
    assert provider.verify_callback(tampered).signature_ok is False
    unsigned = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
    assert provider.verify_callback(unsigned).signature_ok is False


def test_vnpay_success_needs_both_codes_and_24_means_cancelled(vnpay, draft):
    payment, _url = start(draft)
    provider = VnpayProvider()

    assert provider.verify_callback(vnpay_ipn(payment, status="01")).success is False
    cancelled = provider.verify_callback(vnpay_ipn(payment, response_code="24", status="02"))
    assert (cancelled.success, cancelled.cancelled) == (False, True)


def test_vnpay_ipn_is_answered_as_vnpay_expects(vnpay, client, draft):
    payment, _url = start(draft)
    url = reverse("payments:callback", args=["vnpay"])

    def ipn(params):
        response = client.get(url, params)
        assert response.status_code == 200
        return response.json()

    assert ipn(vnpay_ipn(payment)) == {"RspCode": "00", "Message": "Confirm Success"}
    assert ipn(vnpay_ipn(payment)) == {"RspCode": "02", "Message": "Order already confirmed"}
    other, _url = start(make_draft(draft.applicant, draft.procedure, draft.agency))
    assert ipn(vnpay_ipn(other, amount=FEE + 1)) == {"RspCode": "04", "Message": "Invalid amount"}
    forged = {**vnpay_ipn(other), "vnp_SecureHash": "0" * 128}
    assert ipn(forged) == {"RspCode": "97", "Message": "Invalid signature"}
    missing = vnpay_ipn(other)
    missing = vnpay_signed(
        {
            **{k: v for k, v in missing.items() if not k.startswith("vnp_Secure")},
            "vnp_TxnRef": "NOPE",
        }
    )
    assert ipn(missing) == {"RspCode": "01", "Message": "Order not found"}
    payment.refresh_from_db()
    other.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert other.status == Payment.Status.PENDING
    assert PaymentCallback.objects.count() == 5


def test_the_test_gateways_callback_url_takes_a_signed_post_like_any_gateway(client, draft):
    payment, _url = start(draft)
    url = reverse("payments:callback", args=["test"])

    forged = client.post(url, {**gateway_says(payment), "signature": "1" * 128})
    paid = client.post(url, gateway_says(payment))
    again = client.post(url, gateway_says(payment))

    assert (forged.status_code, forged.json()) == (
        400,
        {"outcome": "signature_invalid", "accepted": False},
    )
    assert (paid.status_code, paid.json()) == (200, {"outcome": "paid", "accepted": True})
    assert again.json() == {"outcome": "already_paid", "accepted": True}
    assert list(
        PaymentCallback.objects.order_by("pk").values_list("signature_valid", "outcome")
    ) == [(False, "signature_invalid"), (True, "paid"), (True, "already_paid")]


def test_a_callback_to_a_provider_that_is_not_enabled_is_not_found(client, draft):
    response = client.get(reverse("payments:callback", args=["vnpay"]), {"vnp_TxnRef": "X"})
    assert response.status_code == 404
    with pytest.raises(NotFoundError):
        callback({"ref": "X"}, provider="stripe")


# --- Callbacks: idempotent, late, out of order ----------------------------------------------------


def test_duplicate_success_callbacks_charge_once(draft):
    payment, _url = start(draft)
    params = gateway_says(payment)

    first = callback(params)
    draft.refresh_from_db()
    paid_at = draft.paid_at
    second = callback(params)
    third = callback(params, source="return")

    assert [first.outcome, second.outcome, third.outcome] == [
        Outcome.PAID,
        Outcome.ALREADY_PAID,
        Outcome.ALREADY_PAID,
    ]
    draft.refresh_from_db()
    assert draft.paid_at == paid_at
    assert Payment.objects.filter(dossier=draft, status=Payment.Status.PAID).count() == 1
    assert list(
        PaymentCallback.objects.filter(payment=payment)
        .order_by("pk")
        .values_list("outcome", flat=True)
    ) == ["paid", "already_paid", "already_paid"]


def test_a_late_failure_after_success_leaves_the_payment_paid(draft):
    payment, _url = start(draft)
    callback(gateway_says(payment, "paid"))

    late = callback(gateway_says(payment, "failed"))

    assert late.outcome == Outcome.FAILURE_AFTER_PAID
    payment.refresh_from_db()
    draft.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert draft.paid_at is not None


def test_out_of_order_failure_then_success_ends_paid(draft):
    payment, _url = start(draft)

    failed = callback(gateway_says(payment, "failed"))
    payment.refresh_from_db()
    assert (failed.outcome, payment.status) == (Outcome.FAILED, Payment.Status.FAILED)

    succeeded = callback(gateway_says(payment, "paid"))
    payment.refresh_from_db()
    draft.refresh_from_db()
    assert succeeded.outcome == Outcome.PAID
    assert payment.status == Payment.Status.PAID
    assert payment.provider_transaction.startswith("TEST")
    assert draft.paid_at == payment.paid_at


def test_out_of_order_success_then_failure_then_cancel_stays_paid(draft):
    payment, _url = start(draft)
    outcomes = [
        callback(gateway_says(payment, status)).outcome
        for status in ("paid", "failed", "cancelled")
    ]

    assert outcomes == [Outcome.PAID, Outcome.FAILURE_AFTER_PAID, Outcome.FAILURE_AFTER_PAID]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


def test_a_forged_signature_is_refused_and_logged(draft):
    payment, _url = start(draft)
    forged = {**gateway_says(payment), "signature": "ab" * 64}

    handled = callback(forged)

    assert handled.outcome == Outcome.SIGNATURE_INVALID and not handled.accepted
    log = PaymentCallback.objects.get()
    assert log.signature_valid is False
    assert log.outcome == "signature_invalid"
    assert log.payload["params"]["ref"] == payment.reference
    payment.refresh_from_db()
    draft.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert draft.paid_at is None


def test_a_signature_made_with_another_key_is_refused(draft, settings):
    payment, _url = start(draft)
    params = gateway_says(payment)
    settings.EGOV_TEST_PAYMENT_SECRET = "another-secret"

    assert callback(params).outcome == Outcome.SIGNATURE_INVALID


@pytest.mark.parametrize(
    ("changes", "outcome"),
    [
        ({"amount": str(FEE - 1)}, Outcome.WRONG_AMOUNT),
        ({"amount": "50.000"}, Outcome.WRONG_AMOUNT),
        ({"currency": "USD"}, Outcome.WRONG_CURRENCY),
    ],
)
def test_a_wrong_amount_or_currency_is_refused_and_the_payment_stays_pending(
    draft, changes, outcome
):
    payment, _url = start(draft)

    handled = callback(gateway_says(payment, **changes))

    assert handled.outcome == outcome and not handled.accepted
    log = PaymentCallback.objects.get()
    assert (log.signature_valid, log.outcome, log.payment_id) == (True, outcome, payment.pk)
    payment.refresh_from_db()
    draft.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert draft.paid_at is None


def test_an_unknown_reference_is_refused_and_logged(draft):
    payment, _url = start(draft)

    handled = callback(gateway_says(payment, ref="260101FFFFFFFFFFFF"))

    assert handled.outcome == Outcome.UNKNOWN_REFERENCE
    log = PaymentCallback.objects.get()
    assert (log.payment, log.signature_valid) == (None, True)


def test_an_abandoned_payment_is_retried_with_a_new_payment_which_succeeds(draft):
    abandoned, first_url = start(draft)
    retry, second_url = start(draft)

    assert abandoned.reference != retry.reference
    assert first_url != second_url
    assert callback(gateway_says(retry)).outcome == Outcome.PAID
    abandoned.refresh_from_db()
    retry.refresh_from_db()
    draft.refresh_from_db()
    assert (abandoned.status, retry.status) == (Payment.Status.PENDING, Payment.Status.PAID)
    assert draft.paid_at == retry.paid_at


def test_a_runaway_client_cannot_start_endless_attempts(client, citizen, draft):
    for _ in range(services.MAX_ATTEMPTS):
        start(draft)
    client.force_login(citizen)

    with pytest.raises(services.TooManyAttempts):
        start(draft)
    response = client.post(f"/api/v1/me/dossiers/{draft.pk}/payments/")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert Payment.objects.filter(dossier=draft).count() == services.MAX_ATTEMPTS


def test_a_second_payment_succeeding_for_a_paid_dossier_is_kept_for_refund_not_applied(draft):
    first, _url = start(draft)
    second, _url = start(draft)
    callback(gateway_says(first))

    late = callback(gateway_says(second))

    assert late.outcome == Outcome.DUPLICATE_PAYMENT
    second.refresh_from_db()
    assert second.status == Payment.Status.PENDING
    assert second.provider_transaction.startswith("TEST")
    assert Payment.objects.filter(dossier=draft, status=Payment.Status.PAID).get() == first
    assert PaymentCallback.objects.filter(payment=second, outcome="duplicate_payment").exists()


@pytest.mark.django_db(transaction=True)
def test_two_payments_succeeding_at_the_same_time_mark_the_dossier_paid_once(
    procedure, agency, settings
):
    citizen = UserFactory()
    draft = make_draft(citizen, procedure, agency)
    payments = [start(draft)[0] for _ in range(2)]
    params = [gateway_says(payment) for payment in payments]
    outcomes = []
    barrier = threading.Barrier(2)

    def pay(index):
        try:
            barrier.wait(timeout=10)
            outcomes.append(callback(params[index]).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == sorted([Outcome.PAID, Outcome.DUPLICATE_PAYMENT])
    assert Payment.objects.filter(dossier=draft, status=Payment.Status.PAID).count() == 1


# --- After payment: submission and the fee receipt ------------------------------------------------


def test_a_paid_draft_is_submitted_and_gets_a_fee_receipt(
    draft, django_capture_on_commit_callbacks
):
    payment, _url = start(draft)

    with django_capture_on_commit_callbacks(execute=True):
        callback(gateway_says(payment))

    draft.refresh_from_db()
    payment.refresh_from_db()
    assert draft.status == DossierStatus.SUBMITTED
    assert draft.code
    receipt = fee_receipts().get(dossier=draft, key=f"payment-{payment.reference}")
    text = text_of(receipt)
    assert "Biên lai thu phí, lệ phí" in text.replace(
        "BIÊN LAI THU PHÍ, LỆ PHÍ", "Biên lai thu phí, lệ phí"
    )
    assert draft.code in text
    assert "50.000 đồng" in text
    assert "Năm mươi nghìn đồng" in text
    assert payment.provider_transaction in text
    assert payment.reference in text
    assert vietnamese.format_datetime(payment.paid_at) in text


def test_after_payment_is_safe_to_run_twice(draft, django_capture_on_commit_callbacks):
    payment, _url = start(draft)
    with django_capture_on_commit_callbacks(execute=True):
        callback(gateway_says(payment))

    tasks.after_payment(str(payment.pk))
    tasks.after_payment(str(payment.pk))

    assert fee_receipts().filter(dossier=draft).count() == 1
    assert draft.events.filter(action="submit").count() == 1


def test_the_sweep_finishes_a_paid_draft_whose_after_payment_was_lost(draft):
    payment, _url = start(draft)
    callback(gateway_says(payment))  # on-commit callbacks never run here: the task is "lost"
    Payment.objects.filter(pk=payment.pk).update(paid_at=timezone.now() - dt.timedelta(minutes=5))

    assert tasks.sweep_paid_payments() == 1

    draft.refresh_from_db()
    assert draft.status == DossierStatus.SUBMITTED
    assert fee_receipts().filter(dossier=draft).exists()
    assert tasks.sweep_paid_payments() == 0


def test_the_return_page_sends_a_paid_draft_whose_job_is_still_queued(client, citizen, draft):
    payment, _url = start(draft)
    params = gateway_says(payment)
    callback(params)  # the after-commit job has not run (queued, or the broker was away)
    client.force_login(citizen)

    response = client.get(reverse("payments:return", args=["test"]), params)

    draft.refresh_from_db()
    assert draft.status == DossierStatus.SUBMITTED
    assert draft.code in response.content.decode()


def test_a_paid_draft_that_cannot_be_sent_stays_a_paid_draft_and_its_receipt_waits(
    client, citizen, draft, django_capture_on_commit_callbacks
):
    type(draft).objects.filter(pk=draft.pk).update(declaration_accepted_at=None)
    payment, _url = start(draft)

    with django_capture_on_commit_callbacks(execute=True):
        assert callback(gateway_says(payment)).outcome == Outcome.PAID

    draft.refresh_from_db()
    assert draft.status == DossierStatus.DRAFT
    assert draft.paid_at is not None
    assert not fee_receipts().exists()
    client.force_login(citizen)
    pending = client.get(reverse("payments:receipt", args=[payment.pk]))
    assert pending.status_code == 202
    assert 'id="receipt-pending"' in pending.content.decode()


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15_000, "Mười lăm nghìn đồng"),
        (21_000, "Hai mươi mốt nghìn đồng"),
        (100_000, "Một trăm nghìn đồng"),
        (105_000, "Một trăm linh năm nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (2_000_000_000, "Hai tỷ đồng"),
    ],
)
def test_amounts_are_written_in_vietnamese_words(amount, words):
    assert vietnamese.money_in_words(amount) == words


# --- The test gateway, end to end through the pages ------------------------------------------------


def test_the_test_gateway_end_to_end(client, citizen, draft, django_capture_on_commit_callbacks):
    client.force_login(citizen)
    start_url = reverse("payments:start", args=[draft.pk])

    page = client.get(start_url)
    assert page.status_code == 200
    assert "50.000" in page.content.decode() and 'id="pay-now"' in page.content.decode()

    to_gateway = client.post(start_url)
    assert to_gateway.status_code == 302
    payment = Payment.objects.get(dossier=draft)
    gateway_url = to_gateway["Location"]
    assert gateway_url.startswith(reverse("payments:test-gateway", args=[payment.reference]))

    gateway = client.get(gateway_url)
    assert gateway.status_code == 200
    html = gateway.content.decode()
    assert 'id="test-gateway-warning"' in html and 'id="gateway-pay"' in html
    assert "50.000" in html

    form = dict(parse_qsl(urlsplit(gateway_url).query))
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(gateway_url, {"action": "pay", "return": form["return"]})
    assert paid.status_code == 302
    back = urlsplit(paid["Location"])
    assert back.path == reverse("payments:return", args=["test"])
    # The gateway notified the portal server to server before sending the browser back.
    assert PaymentCallback.objects.filter(payment=payment, outcome="paid").count() == 1

    returned = client.get(paid["Location"])
    assert returned.status_code == 200
    assert 'data-state="paid"' in returned.content.decode()
    assert reverse("filing:submitted", args=[draft.pk]) in returned.content.decode()
    assert PaymentCallback.objects.filter(payment=payment, outcome="already_paid").count() == 1

    payment.refresh_from_db()
    draft.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert draft.paid_at is not None
    assert draft.status == DossierStatus.SUBMITTED
    receipt = fee_receipts().get(dossier=draft)
    text = text_of(receipt)
    assert draft.code in text and "50.000 đồng" in text

    pdf = client.get(reverse("payments:receipt", args=[payment.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    # Paid: the start page has nothing more to pay, and the gateway order is closed.
    assert 'id="payment-done"' in client.get(start_url).content.decode()
    assert client.post(gateway_url, {"action": "pay"}).status_code == 409


def test_cancelling_on_the_test_gateway_offers_to_try_again(client, citizen, draft):
    client.force_login(citizen)
    start_url = reverse("payments:start", args=[draft.pk])
    gateway_url = client.post(start_url)["Location"]

    cancelled = client.post(gateway_url, {"action": "cancel"}, follow=True)

    assert cancelled.status_code == 200
    html = cancelled.content.decode()
    assert 'data-state="cancelled"' in html and 'id="try-again"' in html
    payment = Payment.objects.get(dossier=draft)
    assert payment.status == Payment.Status.CANCELLED
    assert client.post(start_url).status_code == 302
    assert Payment.objects.filter(dossier=draft).count() == 2


def test_a_forged_return_shows_an_unverified_page_and_changes_nothing(client, citizen, draft):
    client.force_login(citizen)
    payment, _url = start(draft)
    forged = {**gateway_says(payment), "signature": "00" * 64}

    response = client.get(reverse("payments:return", args=["test"]), forged)

    assert response.status_code == 400
    assert 'data-state="unverified"' in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert PaymentCallback.objects.get().signature_valid is False


def test_the_test_gateway_is_gone_when_another_provider_is_configured(
    client, citizen, draft, vnpay
):
    payment = Payment.objects.create(dossier=draft, provider="test", reference="R1", amount=FEE)
    client.force_login(citizen)

    page = client.get(reverse("payments:test-gateway", args=[payment.reference]))
    forged_by_demo_key = client.get(
        reverse("payments:callback", args=["test"]), gateway_says(payment)
    )

    assert page.status_code == 404
    assert forged_by_demo_key.status_code == 404


def test_the_gateway_never_sends_the_browser_to_another_site(client, citizen, draft):
    client.force_login(citizen)
    gateway_url = client.post(reverse("payments:start", args=[draft.pk]))["Location"]
    page = urlsplit(gateway_url).path

    response = client.post(page, {"action": "cancel", "return": "https://evil.example/steal"})

    assert urlsplit(response["Location"]).netloc == ""
    assert response["Location"].startswith(reverse("payments:return", args=["test"]))


# --- Who may do what --------------------------------------------------------------------------------


def test_another_citizen_can_neither_start_nor_see_a_payment_of_someone_elses_dossier(
    client, citizen, draft
):
    payment, _url = start(draft)
    params = gateway_says(payment)
    callback(params)
    intruder = UserFactory()
    client.force_login(intruder)

    assert client.get(reverse("payments:start", args=[draft.pk])).status_code == 404
    assert client.post(reverse("payments:start", args=[draft.pk])).status_code == 404
    assert client.post(f"/api/v1/me/dossiers/{draft.pk}/payments/").status_code == 404
    assert client.get(reverse("payments:test-gateway", args=[payment.reference])).status_code == 404
    assert client.get(reverse("payments:receipt", args=[payment.pk])).status_code == 404
    assert client.get(reverse("payments:return", args=["test"]), params).status_code == 404
    with pytest.raises(NotFoundError):
        services.payment_start(dossier=draft, actor=intruder, ip="")
    assert Payment.objects.filter(dossier=draft).count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, draft):
    response = client.get(reverse("payments:start", args=[draft.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(f"/api/v1/me/dossiers/{draft.pk}/payments/").status_code == 403


def test_the_agencys_staff_read_the_receipt_in_the_back_office_and_other_staff_cannot(
    client, citizen, draft, agency, django_capture_on_commit_callbacks
):
    payment, _url = start(draft)
    with django_capture_on_commit_callbacks(execute=True):
        callback(gateway_says(payment))
    clerk = MembershipFactory(agency=agency, role=Role.CLERK).user
    enrol_totp(clerk)
    stranger = MembershipFactory(agency=AgencyFactory(), role=Role.CLERK).user
    receipt_url = reverse("payments:receipt", args=[payment.pk])

    client.force_login(clerk)
    response = client.get(receipt_url)
    assert response.status_code == 302
    document = fee_receipts().get(dossier=draft)
    assert response["Location"] == reverse(
        "dossiers:document",
        kwargs={"code": agency.code, "pk": draft.pk, "document_id": document.pk},
    )
    assert client.get(response["Location"]).status_code == 200

    client.force_login(stranger)
    assert client.get(receipt_url).status_code == 404


# --- API ----------------------------------------------------------------------------------------------


def test_the_api_starts_a_payment_for_the_owner(client, citizen, draft):
    client.force_login(citizen)

    response = client.post(f"/api/v1/me/dossiers/{draft.pk}/payments/")

    assert response.status_code == 201
    body = response.json()
    payment = Payment.objects.get(dossier=draft)
    assert body["payment"]["reference"] == payment.reference
    assert body["payment"]["amount"] == FEE
    assert body["payment"]["status"] == "pending"
    assert body["redirect_url"].startswith(
        "http://testserver" + reverse("payments:test-gateway", args=[payment.reference])
    )


def test_the_api_answers_409_not_payable_for_a_free_a_paid_or_a_sent_dossier(
    client, citizen, agency, draft
):
    client.force_login(citizen)
    free = make_draft(citizen, ProcedureFactory(online_level="full", fee_online=0), agency)
    payment, _url = start(draft)
    callback(gateway_says(payment))

    for dossier in (free, draft):
        response = client.post(f"/api/v1/me/dossiers/{dossier.pk}/payments/")
        assert response.status_code == 409
        assert response.json()["code"] == "not_payable"


def test_the_api_route_is_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/v1/me/dossiers/{id}/payments/"]["post"]
    assert {"201", "404", "409"} <= set(operation["responses"])

"""Pages of online payment (namespace ``payments``, under /payments/).

    <dossier uuid>/start/         start         GET: the fee and a "Pay now" button;
                                                POST: a new payment, then off to the gateway
    return/<provider>/            return        the browser back from the gateway (signed)
    callback/<provider>/          callback      server to server (IPN); csrf-exempt, GET/POST
    test-gateway/<reference>/     test-gateway  the demo's fake bank page (test provider only)
    <payment uuid>/receipt/       receipt       the fee receipt PDF (owner; agency staff
                                                are sent to the back office's copy)

Someone else's dossier or payment is a 404, as if it did not exist. The return
goes through the same checks as the callback (``services.payment_callback``):
whichever arrives first applies the result, the other is a logged no-op.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from egov.errors import ConflictError, NotFoundError
from egov.http import client_ip
from onecounter.intake import drafts
from onecounter.models import Dossier, DossierStatus, Payment
from onecounter.payments import base, selectors, services
from onecounter.payments import test as test_gateway_provider
from onecounter.slips import issue as slips
from procedures.views import money

app_name = "payments"


# --- Helpers ------------------------------------------------------------------------------


def _first_url(*candidates: tuple[str, list[Any]]) -> str:
    for name, args in candidates:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("portal:home")


def continue_url(dossier: Dossier) -> str:
    """Where a paid dossier goes next: the filing's confirmation page, else my dossiers."""
    return _first_url(
        ("filing:submitted", [dossier.pk]),
        ("mine:dossier", [dossier.pk]),
        ("mine:dossiers", []),
        ("me:home", []),
    )


def back_url(dossier: Dossier) -> str:
    """Back to the draft's check-answers page (the filing flow), else to my dossiers."""
    return _first_url(
        ("filing:check", [dossier.pk]),
        ("mine:dossier", [dossier.pk]),
        ("mine:dossiers", []),
        ("me:home", []),
    )


def _return_url(request: HttpRequest, provider: str) -> str:
    return request.build_absolute_uri(reverse("payments:return", args=[provider]))


def _payable(dossier: Dossier) -> bool:
    return dossier.status == DossierStatus.DRAFT and services.payment_required(dossier)


def _start_page(
    request: HttpRequest, dossier: Dossier, *, error: Any = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "payments/start.html",
        {
            "dossier": dossier,
            "procedure": dossier.procedure,
            "payable": _payable(dossier),
            "amount_text": money(
                drafts.online_fee(dossier)
                if dossier.status == DossierStatus.DRAFT
                else dossier.fee or dossier.procedure.fee_online
            ),
            "paid": dossier.paid_at is not None,
            "continue_url": continue_url(dossier),
            "back_url": back_url(dossier),
            "error": error,
        },
        status=status,
    )


# --- Pages ----------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, dossier_id: uuid.UUID) -> HttpResponse:
    dossier = selectors.dossier_for_owner(request.user, dossier_id)
    if dossier is None:
        raise Http404
    if request.method == "GET":
        return _start_page(request, dossier)
    try:
        provider = base.default_provider()
        _payment, url = services.payment_start(
            dossier=dossier,
            actor=request.user,
            ip=client_ip(request),
            return_url=_return_url(request, provider.name),
        )
    except NotFoundError as exc:
        raise Http404 from exc
    except (ConflictError, services.TooManyAttempts) as exc:
        dossier.refresh_from_db()
        return _start_page(request, dossier, error=exc.message, status=exc.http_status)
    return redirect(url)


@login_required
@never_cache
@require_http_methods(["GET"])
def payment_return(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        handled = services.payment_callback(
            provider=provider, params=request.GET.dict(), source="return"
        )
    except NotFoundError as exc:
        raise Http404 from exc
    payment = handled.payment
    if payment is None or not handled.result.signature_ok:
        return render(request, "payments/result.html", {"state": "unverified"}, status=400)
    if payment.dossier.applicant_id != request.user.pk:
        raise Http404
    if payment.status == Payment.Status.PAID:
        # Usually already done after the callback's commit; if that job is still
        # queued, send the draft now so the citizen sees its code (idempotent).
        services.payment_submit(payment=payment)
    dossier = Dossier.objects.select_related("procedure").get(pk=payment.dossier_id)
    if payment.status == Payment.Status.PAID:
        state = "paid"
    elif handled.outcome == services.Outcome.DUPLICATE_PAYMENT:
        state = "duplicate"
    elif payment.status in (Payment.Status.FAILED, Payment.Status.CANCELLED):
        state = payment.status
    else:
        state = "unconfirmed"
    return render(
        request,
        "payments/result.html",
        {
            "state": state,
            "payment": payment,
            "dossier": dossier,
            "procedure": dossier.procedure,
            "payable": _payable(dossier),
            "amount_text": money(payment.amount),
            "continue_url": continue_url(dossier),
            "start_url": reverse("payments:start", args=[dossier.pk]),
            "receipt_url": reverse("payments:receipt", args=[payment.pk])
            if state == "paid"
            else "",
        },
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """Server to server: answered in the provider's own terms, never with a page."""
    try:
        impl = base.get_provider(provider)
    except NotFoundError as exc:
        raise Http404 from exc
    params = {**request.GET.dict(), **request.POST.dict()}
    try:
        outcome = services.payment_callback(
            provider=provider, params=params, source="callback"
        ).outcome
    except Exception:  # noqa: BLE001 - logged by the service; the gateway gets "99"
        outcome = services.Outcome.ERROR
    body, status = impl.answer_callback(outcome)
    return JsonResponse(body, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def test_gateway(request: HttpRequest, reference: str) -> HttpResponse:
    """The demo's fake bank page. No money moves; it only exists while the test
    provider is enabled."""
    provider_name = test_gateway_provider.TestGateway.name
    if provider_name not in base.enabled_names():
        raise Http404
    payment = selectors.payment_for_owner(request.user, reference=reference)
    if payment is None or payment.provider != provider_name:
        raise Http404
    return_url = request.POST.get("return") or request.GET.get("return") or ""
    if not url_has_allowed_host_and_scheme(
        return_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return_url = reverse("payments:return", args=[provider_name])
    pending = payment.status == Payment.Status.PENDING
    if request.method == "POST" and pending and request.POST.get("action") in ("pay", "cancel"):
        gateway = test_gateway_provider.TestGateway()
        status = (
            test_gateway_provider.PAID
            if request.POST["action"] == "pay"
            else test_gateway_provider.CANCELLED
        )
        params = gateway.signed_params(payment, status)
        # What a gateway does: notify the portal server to server first...
        services.payment_callback(provider=provider_name, params=params, source="callback")
        # ...then send the browser back with the signed result.
        separator = "&" if "?" in return_url else "?"
        return redirect(f"{return_url}{separator}{urlencode(params)}")
    return render(
        request,
        "payments/test_gateway.html",
        {
            "payment": payment,
            "dossier": payment.dossier,
            "procedure": payment.dossier.procedure,
            "pending": pending,
            "amount_text": money(payment.amount),
            "return_url": return_url,
        },
        status=200 if pending or request.method == "GET" else 409,
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def receipt(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    payment, as_owner = selectors.payment_for_receipt(request.user, pk)
    if payment is None:
        raise Http404
    document = services.fee_receipt(payment)
    if document is None:
        return render(
            request,
            "payments/receipt_pending.html",
            {"payment": payment, "dossier": payment.dossier},
            status=202,
        )
    if not as_owner:
        # Staff read it in the back office (second factor enforced there).
        return redirect(
            "dossiers:document",
            code=payment.dossier.agency.code,
            pk=payment.dossier_id,
            document_id=document.pk,
        )
    return slips.document_response(document)


urlpatterns = [
    path("<uuid:dossier_id>/start/", start, name="start"),
    # The same page under the name my dossiers (views_mine.PAY_URL_NAME) links to.
    path("<uuid:dossier_id>/start/", start, name="pay"),
    path("return/<str:provider>/", payment_return, name="return"),
    path("callback/<str:provider>/", callback, name="callback"),
    path("test-gateway/<str:reference>/", test_gateway, name="test-gateway"),
    path("<uuid:pk>/receipt/", receipt, name="receipt"),
]

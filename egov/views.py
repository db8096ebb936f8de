"""Project-wide views: home, health, error pages."""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from kombu import Connection


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def after_login(request: HttpRequest) -> HttpResponse:
    """Send each signed-in person to their own area."""
    user = request.user
    if not user.is_authenticated:
        return redirect("account_login")
    if user.is_staff_member:
        return redirect("backoffice:home")
    if user.is_superuser:
        return redirect("admin:index")
    return redirect("me:home")


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return type(exc).__name__
    return None


def _check_broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url:
        return None  # background jobs run in-process; there is no broker to reach
    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__
    return None


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Database reachable: 200, ``ok`` or, with the broker (Redis) away,
    ``degraded`` naming it; database unreachable: 503 with what failed.

    The portal serves without Redis (egov/cache.py, the outboxes), so a broker
    outage must not make a load balancer take every instance out."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    failed = [{"check": name, "error": error} for name, error in checks.items() if error]
    if checks["database"]:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    if failed:
        return JsonResponse({"status": "degraded", "failed": failed, "checks": sorted(checks)})
    body: dict[str, Any] = {"status": "ok", "checks": sorted(checks)}
    if settings.CELERY_BROKER_URL:
        from django.core.cache import cache

        from egov.tasks import HEARTBEAT_KEY

        try:
            body["beat_last_seen"] = cache.get(HEARTBEAT_KEY)
        except Exception:  # noqa: BLE001 - informational only
            body["beat_last_seen"] = None
    return JsonResponse(body)


def _error(request: HttpRequest, template: str, status: int, **context) -> HttpResponse:
    return render(request, template, context, status=status)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, "errors/400.html", 400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, "errors/403.html", 403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error(request, "errors/404.html", 404)


# The 500 page is standalone (no static files, no context): its styles are
# inline, which the Content-Security-Policy allows on this page only.
@csp_update({"style-src": ["'unsafe-inline'"]})
def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context so a broken context processor can't hide it.
    from django.template import loader

    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        "errors/csrf.html",
        403,
        retry_url=request.META.get("HTTP_REFERER") or reverse("portal:home"),
        title=_("Your session has expired"),
    )

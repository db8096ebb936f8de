"""The Content-Security-Policy's reports: browsers POST what the policy
blocked to /csp-report/ (settings ``CONTENT_SECURITY_POLICY``, the
``report-uri`` directive); each report is logged as a warning (the logger
``egov.csp``), without the page's query string, and answered 204.

A report is small: bodies over ``MAX_BYTES`` are dropped unread, and a
client sending more than ``MAX_PER_MINUTE`` reports a minute is not logged
(a misbehaving page sends one per blocked element)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from egov.http import client_ip

logger = logging.getLogger("egov.csp")

MAX_BYTES = 16 * 1024
MAX_PER_MINUTE = 30
FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri")


def _without_query(uri: Any) -> str:
    """A URI without its query string and fragment (they may hold personal data)."""
    text = str(uri or "")[:500]
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _reports(body: bytes) -> list[dict[str, Any]]:
    """The reports of a body: the classic ``{"csp-report": {...}}`` or the
    Reporting API's list of ``{"type": "csp-violation", "body": {...}}``."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        return [data["csp-report"]]
    if isinstance(data, list):
        found = []
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("body"), dict):
                raw = item["body"]
                found.append(
                    {
                        "document-uri": raw.get("documentURL"),
                        "effective-directive": raw.get("effectiveDirective"),
                        "blocked-uri": raw.get("blockedURL"),
                    }
                )
        return found
    return []


def _counted(ip: str) -> bool:
    """Whether this client may have one more report logged this minute."""
    key = f"csp:reports:{ip}"
    try:
        if cache.add(key, 1, timeout=60):
            return True
        return int(cache.incr(key)) <= MAX_PER_MINUTE
    except Exception:  # noqa: BLE001 - a cache outage never stops a report being logged
        return True


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if 0 < length <= MAX_BYTES and _counted(client_ip(request)):
        for report in _reports(request.body)[:10]:
            logger.warning(
                "CSP violation: %s",
                " ".join(
                    f"{name}={_without_query(report.get(name)) if name.endswith('uri') else str(report.get(name) or '')[:100]}"
                    for name in FIELDS
                    if report.get(name)
                ),
            )
    return HttpResponse(status=204)

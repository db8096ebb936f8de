"""/healthz/queues: queue depths, outbox ages and failure counts, for
monitoring (docs/failures.md). ``/healthz`` stays cheap; this one is not
polled by load balancers.

Who may read it: a request with ``Authorization: Bearer <EGOV_METRICS_TOKEN>``
(a Prometheus scrape, a JSON poller), or a signed-in superuser. With the
token empty, only the superuser. Anything else: 401 (no credentials) or 403.

JSON by default; the Prometheus text exposition format with
``?format=prometheus`` or ``Accept: text/plain``.

What it costs: one Redis round trip (LLEN of the Celery queue keys, with a
short timeout: Redis down is ``null`` and ``redis_up 0``, never a 500), two
queries for the outbox ages and one per failure kind.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from operations import failures

logger = logging.getLogger(__name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# kombu's Redis transport keeps a queue's prioritised messages under
# "<queue>\x06\x16<priority>" besides "<queue>" (priority steps 0, 3, 6, 9).
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)
REDIS_TIMEOUT = 0.5


def _authorised(request: HttpRequest) -> int | None:
    """None when allowed, else the status to answer (401 or 403)."""
    token = str(settings.EGOV_METRICS_TOKEN or "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        given = header.removeprefix("Bearer ").strip()
        if hmac.compare_digest(given.encode(), token.encode()):
            return None
        return 403
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None if user.is_superuser else 403
    return 401


def queue_names() -> list[str]:
    names = [str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "") or "celery")]
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    if isinstance(routes, dict):
        for route in routes.values():
            queue = route.get("queue") if isinstance(route, dict) else None
            if queue and queue not in names:
                names.append(str(queue))
    return names


def queue_depths(names: list[str]) -> tuple[bool, dict[str, int | None]]:
    """(redis up, depth per queue): LLEN of each queue's keys, in one round trip."""
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return False, dict.fromkeys(names)
    try:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
            for step in PRIORITY_STEPS:
                pipe.llen(f"{name}{PRIORITY_SEP}{step}")
        lengths = pipe.execute()
    except Exception as exc:  # noqa: BLE001 - any Redis failure means "down", never a 500
        logger.warning("metrics: Redis not reachable (%s)", type(exc).__name__)
        return False, dict.fromkeys(names)
    per = 1 + len(PRIORITY_STEPS)
    return True, {name: int(sum(lengths[i * per : (i + 1) * per])) for i, name in enumerate(names)}


def snapshot() -> dict[str, Any]:
    now = timezone.now()
    redis_up, depths = queue_depths(queue_names())
    counts = failures.failure_counts(failures.EVERYTHING, now=now)
    return {
        "redis_up": 1 if redis_up else 0,
        "queues": depths,
        "outbox": failures.outbox_ages(now),
        "failures": {
            kind: {"failing": c["open"] + c["handled"], "open": c["open"], "handled": c["handled"]}
            for kind, c in counts.items()
        },
        "open_failures": sum(c["open"] for c in counts.values()),
        "at": now.isoformat(),
    }


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(data: dict[str, Any]) -> str:
    lines = [
        "# HELP egov_redis_up Whether the Celery broker (Redis) answered.",
        "# TYPE egov_redis_up gauge",
        f"egov_redis_up {data['redis_up']}",
        "# HELP egov_celery_queue_length Messages waiting in a Celery queue (NaN: Redis down).",
        "# TYPE egov_celery_queue_length gauge",
    ]
    for name, depth in data["queues"].items():
        value = "NaN" if depth is None else str(depth)
        lines.append(f'egov_celery_queue_length{{queue="{_label(name)}"}} {value}')
    lines += [
        "# HELP egov_outbox_waiting Outbox rows not delivered yet.",
        "# TYPE egov_outbox_waiting gauge",
    ]
    for outbox, values in data["outbox"].items():
        lines.append(f'egov_outbox_waiting{{outbox="{outbox}"}} {values["waiting"]}')
    lines += [
        "# HELP egov_outbox_oldest_age_seconds Age of the oldest undelivered outbox row (0: none).",
        "# TYPE egov_outbox_oldest_age_seconds gauge",
    ]
    for outbox, values in data["outbox"].items():
        age = values["oldest_age_seconds"] or 0
        lines.append(f'egov_outbox_oldest_age_seconds{{outbox="{outbox}"}} {age}')
    lines += [
        "# HELP egov_failures Failed or late background work, per kind and state.",
        "# TYPE egov_failures gauge",
    ]
    for kind, values in data["failures"].items():
        for state in ("open", "handled"):
            lines.append(f'egov_failures{{kind="{kind}",state="{state}"}} {values[state]}')
    lines += [
        "# HELP egov_open_failures Open failures (not marked handled), every kind.",
        "# TYPE egov_open_failures gauge",
        f"egov_open_failures {data['open_failures']}",
    ]
    return "\n".join(lines) + "\n"


def _wants_prometheus(request: HttpRequest) -> bool:
    fmt = request.GET.get("format", "")
    if fmt:
        return fmt == "prometheus"
    accept = request.headers.get("Accept", "")
    return "text/plain" in accept and "application/json" not in accept


@never_cache
@require_GET
def queues(request: HttpRequest) -> HttpResponse:
    refused = _authorised(request)
    if refused == 401:
        response = JsonResponse({"code": "not_authenticated"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if refused:
        return JsonResponse({"code": "forbidden"}, status=403)
    data = snapshot()
    if _wants_prometheus(request):
        return HttpResponse(prometheus(data), content_type=PROMETHEUS_TYPE)
    return JsonResponse(data)

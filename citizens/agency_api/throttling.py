"""The per-key rate limit of the agency API: requests per credential in a
fixed window, counted in the cache (one Redis command per request).

One of the project's throttles: the rest of the API uses DRF's anonymous and
user rates (egov/settings.py), public tracking and document verification count
failures per client in the cache (onecounter/). This one keys by the agency
credential, counts with one Redis command and batches high rates per process.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.cache import cache as default_cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from citizens.models import AgencyApiCredential
from egov import cache as resilient


class AgencyCredentialThrottle(SimpleRateThrottle):
    """Requests per credential in a fixed window, counted in the cache (Redis).

    An atomic INCR instead of DRF's default history list (read, filter and
    rewrite up to ``num_requests`` timestamps on every request, racy across
    processes). A fixed window may let up to twice the rate through around a
    window boundary, which is fine for a fair-use limit. For the same reason a
    process may count a few requests of a high rate itself before adding them
    to the shared counter in one command (``_window_count``): exact up to
    199 requests per window, at most 1 % over above.

    The rate is ``settings.EGOV_AGENCY_API_RATE``, else
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["agency_api"]``, else 600/min.
    """

    scope = "agency_api"
    cache = default_cache
    default_rate = "600/min"

    def get_rate(self) -> str:
        return getattr(settings, "EGOV_AGENCY_API_RATE", None) or (
            api_settings.DEFAULT_THROTTLE_RATES or {}
        ).get(self.scope, self.default_rate)

    def get_cache_key(self, request: Request, view) -> str | None:
        credential = request.auth
        if not isinstance(credential, AgencyApiCredential):
            return None
        return self.cache_format % {"scope": self.scope, "ident": credential.pk}

    def allow_request(self, request: Request, view) -> bool:
        if self.rate is None:
            return True
        base = self.get_cache_key(request, view)
        if base is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{base}_{window}"
        # Expires after the window has ended: never reset while in use.
        count = _window_count(self.cache, key, self.duration + 1, self.num_requests, window)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_end - self.timer(), 0)


# Requests counted by this process and not yet added to the shared counter:
# key -> [the shared count when last added, requests since], for one window.
_PENDING: dict[str, list[int]] = {}
_PENDING_WINDOW = [0]
_PENDING_LOCK = threading.Lock()


def _batch(limit: int) -> int:
    """How many requests a process may count before adding them to the shared
    counter: 1 (every request) up to 199 per window, then 1 % of the rate, at
    most 20 (so at most 1 % over the rate per process, within a window)."""
    return 1 if limit < 200 else min(20, limit // 100)


def _window_count(cache, key: str, timeout: int, limit: int = 0, window: int = 0) -> int:
    """Count one request in the window counter ``key`` (created with
    ``timeout``) and return the count as far as this process knows it.

    On Redis: one command (a script: INCRBY, and EXPIRE when it created the
    key), atomic, on a client kept with the cache backend, rather than Django's
    ``incr`` (EXISTS then INCR, and a new client object per call) and ``add``;
    elsewhere ``incr``/``add``. For a high rate (``_batch``) only every few
    requests reach the shared counter, with the ones this process counted since.
    """
    batch = _batch(limit)
    add = 1
    if batch > 1:
        with _PENDING_LOCK:
            if window != _PENDING_WINDOW[0]:
                _PENDING.clear()  # a new window: the old counters are done with
                _PENDING_WINDOW[0] = window
            entry = _PENDING.setdefault(key, [0, 0])
            if entry[1] + 1 < batch and entry[0] + entry[1] + 1 <= limit:
                entry[1] += 1
                return entry[0] + entry[1]
            add, entry[1] = entry[1] + 1, 0
    client = None if resilient.redis_down() else _redis_client(cache)
    count = None
    if client is not None:
        # make_key, not make_and_validate_key: the key is ours (no spaces, short),
        # and the validation walks it character by character in Python.
        try:
            count = client.eval(_INCR_WITH_EXPIRY, 1, cache.make_key(key), timeout, add)
        except resilient.UNREACHABLE as error:  # counted by the cache's stand-in
            resilient.mark_down(error)
    if count is None:
        try:
            count = cache.incr(key, add)
        except ValueError:  # first request of the window
            count = add if cache.add(key, add, timeout) else cache.incr(key, add)
    if batch > 1:
        with _PENDING_LOCK:
            entry = _PENDING.get(key)
            if entry is not None:
                entry[0] = max(entry[0], count)
    return count


_INCR_WITH_EXPIRY = (
    "local n = redis.call('INCRBY', KEYS[1], ARGV[2]) "
    "if n == tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)


def _redis_client(cache):
    """The redis-py client of a Django RedisCache backend (None for other backends).
    Backends are per thread, so is the client kept on one."""
    from django.core.cache.backends.redis import RedisCache
    from django.utils.connection import ConnectionProxy

    backend = cache._connections[cache._alias] if isinstance(cache, ConnectionProxy) else cache
    if not isinstance(backend, RedisCache):
        return None
    client = getattr(backend, "_egov_write_client", None)
    if client is None:
        client = backend._cache.get_client(write=True)
        backend._egov_write_client = client
    return client

"""The shared cache: Redis, with this process's memory standing in while Redis
is unreachable.

The cache holds counters that requests check on the way in: the API throttles
(DRF), the sign-in rate limits (allauth), the lockouts of the population link,
of the verification page and of the agency API. With Django's own Redis
backend, every one of those requests answered 500 while Redis was down. Here a
call that cannot reach Redis (refused, reset, timed out) is answered from a
local memory cache instead, and for ``RETRY_SECONDS`` after such a failure the
process does not try Redis again, so an outage costs one short timeout per
process, not one per call.

Why a local stand-in and not "fail open": a limit counted per process still
limits. With N web processes an attacker gets at most N times the sign-in
attempts for the length of the outage, instead of unlimited attempts; an
honest citizen is never refused because Redis is away. Values written during
the outage are not copied to Redis when it returns (counters start afresh,
cached pages are rebuilt), which errs on the side of the citizen.
docs/operations.md ("When a part is down") says the same for operators.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Errors that mean "Redis is not there" (BusyLoadingError is a ConnectionError).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# After a failure, calls go to the stand-in for this long before Redis is tried again.
RETRY_SECONDS = 5.0

T = TypeVar("T")

_state_lock = threading.Lock()
_down_until = 0.0  # per process: time.monotonic() before which Redis is not tried


def redis_down() -> bool:
    """True while this process treats Redis as unreachable."""
    return time.monotonic() < _down_until


def mark_down(error: BaseException) -> None:
    """Record that Redis could not be reached; logged once per outage."""
    global _down_until
    with _state_lock:
        first = not redis_down()
        _down_until = time.monotonic() + RETRY_SECONDS
    if first:
        logger.warning(
            "Redis unreachable (%s: %s); the cache, throttles and rate limits use this "
            "process's memory for %.0f s before trying again",
            type(error).__name__,
            error,
            RETRY_SECONDS,
        )


def mark_up() -> None:
    global _down_until
    if _down_until:
        with _state_lock:
            if _down_until:
                _down_until = 0.0
                logger.warning("Redis reachable again; the cache is shared again")


class ResilientRedisCache(RedisCache):
    """Django's Redis cache backend, answered from local memory while Redis
    is unreachable (see the module doc)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._standin = LocMemCache(
            f"egov-standin-{server}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "OPTIONS": {"MAX_ENTRIES": 5000},
            },
        )

    def _either(self, shared: Callable[[], T], local: Callable[[], T]) -> T:
        if redis_down():
            return local()
        try:
            value = shared()
        except UNREACHABLE as error:
            mark_down(error)
            return local()
        mark_up()
        return value

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).add(key, value, timeout, version),
            lambda: self._standin.add(key, value, timeout, version),
        )

    def get(self, key, default=None, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).get(key, default, version),
            lambda: self._standin.get(key, default, version),
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).set(key, value, timeout, version),
            lambda: self._standin.set(key, value, timeout, version),
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).touch(key, timeout, version),
            lambda: self._standin.touch(key, timeout, version),
        )

    def delete(self, key, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).delete(key, version),
            lambda: self._standin.delete(key, version),
        )

    def get_many(self, keys, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).get_many(keys, version),
            lambda: self._standin.get_many(keys, version),
        )

    def has_key(self, key, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).has_key(key, version),
            lambda: self._standin.has_key(key, version),
        )

    def incr(self, key, delta=1, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).incr(key, delta, version),
            lambda: self._standin.incr(key, delta, version),
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            lambda: self._standin.set_many(data, timeout, version),
        )

    def delete_many(self, keys, version=None):
        return self._either(
            lambda: super(ResilientRedisCache, self).delete_many(keys, version),
            lambda: self._standin.delete_many(keys, version),
        )

    def clear(self):
        self._standin.clear()
        return self._either(lambda: super(ResilientRedisCache, self).clear(), lambda: True)

    @property
    def standin(self) -> LocMemCache:
        """The local memory cache used while Redis is unreachable."""
        return self._standin

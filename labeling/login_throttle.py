"""Failed browser logins per client address, counted in the cache (the API's token login uses
DRF's scoped throttle with the same rate, through ``LoginRateThrottle``).

The cache is Redis when ``REDIS_URL`` is set. If Redis is down, counting falls back to this
process's memory (logged): people can still sign in, still throttled per process, rather than
every login failing with a 500 until Redis returns.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60
FALLBACK = LocMemCache("login-throttle-fallback", {})


def _limit() -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])


def _key(request) -> str:
    return f"login-failures:{request.META.get('REMOTE_ADDR', '')}"


def _cached(call):
    """``call(cache)`` on the shared cache, or on this process's memory while that is down."""
    try:
        return call(cache)
    except RedisError as exc:
        log.warning("login throttle: cache unavailable, counting in process memory: %s", exc)
        return call(FALLBACK)


def login_blocked(request) -> bool:
    return _cached(lambda c: c.get(_key(request), 0)) >= _limit()


def login_failed(request) -> None:
    _cached(lambda c: _count_failure(c, _key(request)))


def _count_failure(store, key: str) -> None:
    if store.add(key, 1, WINDOW_SECONDS):
        return
    try:
        store.incr(key)
    except ValueError:  # expired between add and incr
        store.set(key, 1, WINDOW_SECONDS)


class LoginRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, falling back to process memory like the browser login's."""

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            log.warning("login throttle: cache unavailable, counting in process memory: %s", exc)
            self.cache = FALLBACK
            return super().allow_request(request, view)

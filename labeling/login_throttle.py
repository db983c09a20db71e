"""Failed browser logins per client address, counted in the cache (the API's token login uses
DRF's scoped throttle with the same rate)."""

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


def _limit() -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])


def _key(request) -> str:
    return f"login-failures:{request.META.get('REMOTE_ADDR', '')}"


def login_blocked(request) -> bool:
    return cache.get(_key(request), 0) >= _limit()


def login_failed(request) -> None:
    key = _key(request)
    if cache.add(key, 1, WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)

"""Failed logins counted per client and username, on every login path: the token API
(``annotation_site.token_login``), the browser's login page and Django admin's (``throttled_login``).

The client is the address ``NUM_PROXIES`` resolves, as DRF's throttles do: the connecting address
when 0, else the Nth entry from the right of ``X-Forwarded-For`` (the one the proxy nearest the
app saw; entries further left are the client's to invent). Keyed on the client alone, everyone
behind the TLS proxy shared one bucket, so one person's typos locked out the whole site. With
the username in the key, guessing one account's password from one client is throttled while
its owner, elsewhere, can still sign in. Only failures count: a successful login consumes nothing.

The cache is Redis when ``REDIS_URL`` is set. If Redis is down, counting falls back to this
process's memory (logged): people can still sign in, still throttled per process, rather than
every login failing with a 500 until Redis returns.
"""

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60
FALLBACK = LocMemCache("login-throttle-fallback", {})


def limit() -> int:
    """Failures allowed per client and username in a window (``LOGIN_THROTTLE_RATE``, e.g. 10/min)."""
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])


def client_address(request) -> str:
    """The client as DRF's throttles see it (``NUM_PROXIES``)."""
    proxies = settings.REST_FRAMEWORK["NUM_PROXIES"]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        return entries[-min(proxies, len(entries))]
    return request.META.get("REMOTE_ADDR", "")


class LoginAttempt:
    """One login's place in the count: ``blocked()`` before checking the password, ``failed()`` after
    a wrong one."""

    def __init__(self, request, username):
        name = username.strip().lower() if isinstance(username, str) else ""
        digest = hashlib.sha256(f"{client_address(request)}\n{name}".encode()).hexdigest()
        self.key = f"login-failures:{digest}"

    def blocked(self) -> bool:
        return _cached(lambda store: store.get(self.key, 0)) >= limit()

    def failed(self) -> None:
        _cached(lambda store: _count_failure(store, self.key))


def _cached(call):
    """``call(cache)`` on the shared cache, or on this process's memory while that is down."""
    try:
        return call(cache)
    except RedisError as exc:
        log.warning("login throttle: cache unavailable, counting in process memory: %s", exc)
        return call(FALLBACK)


def _count_failure(store, key: str) -> None:
    if store.add(key, 1, WINDOW_SECONDS):
        return
    try:
        store.incr(key)
    except ValueError:  # expired between add and incr
        store.set(key, 1, WINDOW_SECONDS)


def throttled_login(view, refuse=None):
    """A form login view (Django's ``LoginView``, admin's login) with failures counted.

    Such a view answers a wrong password by showing the form again (200) and a right one by
    redirecting, so a POST answered 200 is a failure. ``refuse(request)`` makes the 429 page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        attempt = LoginAttempt(request, request.POST.get("username"))
        if attempt.blocked():
            return (refuse or _refused)(request)
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            attempt.failed()
        return response

    return wrapped


def _refused(request) -> HttpResponse:
    response = HttpResponse("Too many failed logins. Wait a minute, then try again.\n",
                            status=429, content_type="text/plain")
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response

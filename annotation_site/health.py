"""``/healthz``: 200 when the database answers; used by the compose health check.

The probe (``docker-compose.yml``, web's ``healthcheck``) asks over plain HTTP at 127.0.0.1:8000,
inside the container. Through the ordinary middleware that is a 400 in production (127.0.0.1 is
not in ``ALLOWED_HOSTS``) or, were it allowed, a 301 to HTTPS (``SECURE_SSL_REDIRECT``) that the
probe cannot follow: the web container could never become healthy. ``HealthProbeMiddleware``,
first in ``MIDDLEWARE``, answers ``GET /healthz`` itself, whatever the Host and the scheme. It
says no more than before: ok, or the database is unavailable.

Only the database is checked. The broker (Redis) is not: a Redis that is down, or hangs, would
make the web unhealthy (and restarted, where something restarts unhealthy containers) although
annotation works without it (docs/reliability.md, "Redis stopped"); the workers' health checks
go through the broker instead.
"""

import logging

from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)


def healthz(request):
    """Anyone may call this, so a failure says only "unavailable": the database's error text
    (host names, user names, driver versions) goes to the log, never to the caller."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        logger.exception("health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


class HealthProbeMiddleware:
    """Answers ``GET /healthz`` before the Host check and the HTTPS redirect (first in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)

"""Map domain errors, and serializers' 400s, to HTTP responses with a clear message:
``{"detail": ..., "code": ..., **details}``."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labeling.errors import DomainError

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code, **exc.details}, status=exc.status_code)
    if isinstance(exc, OperationalError | InterfaceError):  # the database away (or locked): a retry may pass
        log.error("database unavailable: %s", exc)
        return Response({"detail": "the database is unavailable; try again shortly", "code": "database_unavailable"},
                        status=503, headers={"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, RequestDataTooBig):  # Django would answer a bare 400 page
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return Response({"detail": f"request body is larger than {limit_mb} MB", "code": "too_large"}, status=413)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = _with_detail(response.data)
    elif response is not None and isinstance(exc, APIException) and isinstance(response.data, dict):
        # DRF's own refusals (401, 403, 405, 429...) carried only detail: their code too, as every error has
        codes = exc.get_codes()
        response.data.setdefault("code", codes if isinstance(codes, str) else exc.default_code)
    return response


def _with_detail(data) -> dict:
    """A serializer's 400 in the domain errors' shape too: its ``{field: [messages]}`` kept, and
    ``detail`` (every message, each after its field's path), ``code`` and ``field`` (the first
    path) added, so a client reads every 400 the same way."""
    problems = list(_messages(data, ""))
    body = dict(data) if isinstance(data, dict) else {}
    body["detail"] = "; ".join(f"{path}: {message}" if path else message for path, message in problems) or "invalid input"
    body["code"] = "invalid"
    if problems and problems[0][0]:
        body["field"] = problems[0][0]
    return body


def _messages(value, path: str):
    """(path, message) of every message in DRF's nested error structure, in order."""
    if isinstance(value, dict):
        for key, inner in value.items():
            child = path if key in ("non_field_errors", "detail") else f"{path}.{key}" if path else str(key)
            yield from _messages(inner, child)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _messages(inner, f"{path}[{i}]" if isinstance(inner, dict | list) else path)
    else:
        yield path, str(value)


@csrf_exempt
def api_route_missing(request: HttpRequest, **_path) -> JsonResponse:
    """Every path under /api/ that no API route takes (``urls.py`` routes them all here): a JSON
    404 in the API's shape, never Django's HTML page. Since each such path has a route, Django's
    APPEND_SLASH never redirects one: it answered POST /api/judgments with a 500 (DEBUG) or a 301
    that clients follow as a GET without the body. Where the path with a slash is a route, says so."""
    detail = f"no API route at {request.path}"
    if not request.path_info.endswith("/") and _routed(f"{request.path_info}/", request):
        detail += f"; did you mean {request.path}/?"
    return JsonResponse({"detail": detail, "code": "not_found"}, status=404)


def _routed(path: str, request: HttpRequest) -> bool:
    """``path`` is taken by a route other than ``api_route_missing``."""
    try:
        return resolve(path, getattr(request, "urlconf", None)).url_name != "api-route-missing"
    except Resolver404:
        return False

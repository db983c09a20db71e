"""Map domain errors to HTTP responses with a clear message: ``{"detail": ..., "code": ..., **details}``."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labeling.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code, **exc.details}, status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):  # Django would answer a bare 400 page
        limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return Response({"detail": f"request body is larger than {limit_mb} MB", "code": "too_large"}, status=413)
    return drf_exception_handler(exc, context)

"""Map domain errors to HTTP responses with a clear message: ``{"detail": ..., "code": ..., **details}``."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labeling.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"detail": exc.message, "code": exc.code, **exc.details}, status=exc.status_code)
    return drf_exception_handler(exc, context)

"""Request bodies over ``MAX_UPLOAD_MB`` are refused before anything reads them.

The import view also checks the size, but on the browser's path it came too late: with session
authentication DRF's CSRF check reads ``request.POST``, which parses the whole multipart body
(spooling it to disk) before the view runs. This middleware sits first, so a body over the limit
costs nothing. The size is the declared ``Content-Length``: Django reads no more than that, and
a body without one (``Transfer-Encoding: chunked``) is read as empty, so such a body is refused
(411) rather than silently dropped.
"""

from django.conf import settings
from django.http import JsonResponse


class BodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = body_refused(request.META)
        return refused or self.get_response(request)


def body_refused(meta) -> JsonResponse | None:
    """A 413 for a declared length over the limit, a 411 for a chunked body; None to go on."""
    limit_mb = settings.MAX_UPLOAD_MB
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:  # malformed: Django reads no body then
        length = 0
    if length > limit_mb * 1024 * 1024:
        return JsonResponse({"detail": f"request body is larger than the {limit_mb} MB limit", "code": "too_large"},
                            status=413)
    if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get("CONTENT_LENGTH"):
        return JsonResponse({"detail": "send the body with a Content-Length header (chunked bodies are not read)",
                             "code": "length_required"}, status=411)
    return None

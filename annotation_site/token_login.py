"""Token login for API clients, throttled against password guessing (failures per client and
username: ``annotation_site.login_throttle``)."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny

from annotation_site.login_throttle import WINDOW_SECONDS, LoginAttempt


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` returns ``{"token": ...}``."""

    permission_classes = [AllowAny]

    def post(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, dict) else {}
        attempt = LoginAttempt(request, data.get("username"))
        if attempt.blocked():
            raise Throttled(wait=WINDOW_SECONDS)
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            attempt.failed()
            raise

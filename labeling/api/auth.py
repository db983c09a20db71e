"""Token login for API clients, throttled against password guessing."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from labeling.login_throttle import LoginRateThrottle


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` returns ``{"token": ...}``."""

    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    throttle_scope = "login"

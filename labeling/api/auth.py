"""Token login for API clients, throttled against password guessing."""

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.throttling import ScopedRateThrottle


class TokenView(ObtainAuthToken):
    """``POST {"username", "password"}`` returns ``{"token": ...}``."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

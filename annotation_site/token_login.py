"""Token login for API clients, throttled against password guessing (failures per client and
username: ``annotation_site.login_throttle``). A token lasts until its owner revokes it (DELETE;
the next login gets a new one) or their password changes (``revoke_tokens_on_password_change``)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

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

    @extend_schema(request=None, responses={204: None}, description="Revoke the caller's token (a leaked one, "
                   "say); the next POST returns a new one.")
    def delete(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        Token.objects.filter(user=request.user).delete()
        return Response(status=204)


def revoke_tokens_on_password_change(sender, instance, update_fields=None, **kwargs):
    """A pre_save receiver on the user model: a new password revokes the user's API tokens, as it
    ends their other sessions (a token taken with the old password kept working). A password is
    set through ``set_password`` (every form and command does), which keeps the raw one for the
    save that follows; a hash upgraded at login is not (Django clears it: "hash upgrades
    shouldn't be considered password changes"), nor is the same password set again."""
    raw = getattr(instance, "_password", None)
    if instance.pk is None or raw is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = get_user_model().objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and not check_password(raw, stored):
        Token.objects.filter(user_id=instance.pk).delete()

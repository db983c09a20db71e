"""Admins' review of flags: resolving one takes it off the dashboard's review list."""

from django.utils import timezone

from labeling.access import access_project
from labeling.errors import NotFound
from labeling.models import Flag


def access_flag(user, flag_id: int) -> Flag:
    """The flag if ``user`` administers its project; hidden like its project otherwise."""
    flag = Flag.objects.filter(pk=flag_id).first()
    if flag is None:
        raise NotFound("flag not found")
    access_project(user, flag.project_id, admin=True)
    return flag


def flag_resolve(*, flag: Flag, user) -> Flag:
    """Mark ``flag`` resolved by ``user`` now. Idempotent: resolving it again changes nothing and
    keeps who resolved it first (a conditional update, so two admins at once record one)."""
    Flag.objects.filter(pk=flag.pk, resolved=False).update(resolved=True, resolved_by=user, resolved_at=timezone.now())
    return Flag.objects.select_related("resolved_by").get(pk=flag.pk)

"""Annotators named in export filters (``exclude_annotators``): by username, as judgments and the
stats show them, or by user id. Each must be one of the project's people (a member, or someone
whose judgments are in it: a removed member's stay); an unknown one is an error naming it, never
a filter that silently leaves out nobody."""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db.models import Q

from labeling.errors import InvalidInput
from labeling.models import Judgment, Membership

MAX_USER_ID = 2**31 - 1  # auth_user.id is a 32-bit integer: a larger id names nobody


def annotator_ids(project, names: Sequence[str | int]) -> tuple[int, ...]:
    """The user id of each of ``names`` (an all-digit name is an id), in order, deduplicated."""
    ids = {name: int(name) for name in map(str, names) if name.isascii() and name.isdigit()}
    usernames = [name for name in map(str, names) if name not in ids]
    people = get_user_model().objects.filter(
        Q(pk__in=Membership.objects.filter(project=project).values("user_id"))
        | Q(pk__in=Judgment.objects.filter(project=project).values("annotator_id"))
    ).filter(Q(username__in=usernames) | Q(pk__in=[i for i in ids.values() if i <= MAX_USER_ID]))
    found = dict(people.values_list("username", "pk"))
    known_ids = set(found.values())
    unknown = [name for name in usernames if name not in found]
    unknown += [name for name, pk in ids.items() if pk not in known_ids]
    if unknown:
        raise InvalidInput(
            f"exclude_annotators: no annotator {', '.join(map(repr, unknown))} in this project (give usernames or user ids)",
            field="exclude_annotators",
        )
    resolved = [ids[name] if name in ids else found[name] for name in map(str, names)]
    return tuple(dict.fromkeys(resolved))

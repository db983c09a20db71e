"""Creating projects and managing who may work in them."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from labeling.annotation.assignment import annotator_lock, comparison_seats_release
from labeling.errors import Conflict, InvalidInput, NotFound
from labeling.models import (
    ComparisonKind,
    Lease,
    LeaseState,
    Membership,
    Project,
    ProjectStats,
    Role,
)
from labeling.rankings import LETTERS, OVERALL


def validate_project_settings(*, task_type: str, responses_per_comparison: int, strength_scale, criteria) -> None:
    if task_type == ComparisonKind.PAIRWISE and responses_per_comparison != 2:
        raise InvalidInput("responses_per_comparison must be 2 for a pairwise project")
    if not 2 <= responses_per_comparison <= len(LETTERS):
        raise InvalidInput(f"responses_per_comparison must be between 2 and {len(LETTERS)}")
    for name, value in (("strength_scale", strength_scale), ("criteria", criteria)):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise InvalidInput(f"{name} must be a list of non-empty strings")
        if any("\x00" in v for v in value):  # PostgreSQL's jsonb cannot store it
            raise InvalidInput(f"{name} must not contain NUL characters")
        if len(set(value)) != len(value):
            raise InvalidInput(f"{name} has duplicates")
    if OVERALL in criteria:  # imports' and exports' name for the main verdict: the two would be one
        raise InvalidInput(f"criteria: '{OVERALL}' names the main verdict; call the criterion something else",
                           field="criteria")


@transaction.atomic
def project_create(*, slug: str, name: str = "", created_by=None, **fields) -> Project:
    """Create a project; its creator becomes its admin. A ranking project has no strength scale
    (a ranking carries no strength): none is stored, and one given is refused."""
    if Project.objects.filter(slug=slug).exists():
        raise InvalidInput(f"a project with slug '{slug}' exists")
    if fields.get("task_type") == ComparisonKind.RANKING:
        if fields.get("strength_scale"):
            raise InvalidInput("strength_scale must be empty for a ranking project: a ranking has no strength",
                               field="strength_scale")
        fields["strength_scale"] = []
    project = Project(slug=slug, name=name or slug, **fields)
    _check_settings(project)
    project.save()
    # The stats row exists from the start, so the first judgment schedules the first computation
    # (see labeling.stats.services.project_stats_changed).
    ProjectStats.objects.create(project=project, dirty=False)
    if created_by is not None:
        Membership.objects.create(project=project, user=created_by, role=Role.ADMIN)
    return project


def project_get_or_create(*, slug: str, created_by=None, **fields) -> tuple[Project, bool]:
    project = Project.objects.filter(slug=slug).first()
    if project:
        return project, False
    return project_create(slug=slug, created_by=created_by, **fields), True


@transaction.atomic
def membership_set(*, project: Project, username: str, role: str) -> Membership:
    """Add ``username`` to ``project`` with ``role``, or change their role (never the last admin's)."""
    if role not in Role.values:
        raise InvalidInput(f"role must be one of {', '.join(Role.values)}", field="role")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"no active user named '{username}'")
    if role != Role.ADMIN:
        _check_admin_left(project, user)
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


@transaction.atomic
def membership_change(*, project: Project, username: str, role: str) -> Membership:
    """Change a member's role; the project keeps at least one admin."""
    _member(project, username)
    return membership_set(project=project, username=username, role=role)


@transaction.atomic
def membership_remove(*, project: Project, username: str) -> None:
    """Take ``username`` out of ``project`` (never its last admin). Their judgments stay; the
    seats their live leases hold go back to the pool now rather than when the leases expire."""
    membership = _member(project, username)
    annotator_lock(membership.user)  # their user row first: the lock order of annotation.assignment
    _check_admin_left(project, membership.user)
    live = Lease.objects.select_for_update().filter(project=project, annotator=membership.user, state=LeaseState.ACTIVE)
    held = list(live.values_list("id", "comparison_id"))
    Lease.objects.filter(id__in=[lease_id for lease_id, _ in held]).update(state=LeaseState.EXPIRED, updated_at=timezone.now())
    comparison_seats_release(project=project, comparison_ids=[cid for _, cid in held])
    membership.delete()


def _member(project: Project, username: str) -> Membership:
    membership = project.memberships.select_related("user").filter(user__username=username).first()
    if membership is None:
        raise NotFound(f"'{username}' is not a member of this project")
    return membership


def _check_admin_left(project: Project, leaving) -> None:
    """A Conflict if ``leaving`` is the project's only admin. The admin rows are locked, so two
    admins demoting each other at once cannot both pass."""
    admins = list(
        Membership.objects.select_for_update().filter(project=project, role=Role.ADMIN).values_list("user_id", flat=True)
    )
    if admins == [leaving.pk]:
        raise Conflict("a project keeps at least one admin: make another member admin first", reason="last_admin")


# Settings that say what a stored judgment means: once one exists they are fixed.
JUDGMENT_SHAPE_FIELDS = ("task_type", "responses_per_comparison", "strength_scale")


@transaction.atomic
def project_update(*, project: Project, **fields) -> Project:
    """Change settings; a new overlap re-opens or closes comparisons to match.

    Once the project has judgments (imported labels included), what they mean is fixed: the
    comparison kind, K and the strength scale (a strength is a position on it, so even relabelling
    would change what stored answers say) cannot change, and criteria can only be added
    (earlier judgments have no verdict on a new one and are left out of its figures);
    removing or renaming one is refused.
    """
    _check_judgment_shape_kept(project, fields)
    old_overlap = project.overlap
    for name, value in fields.items():
        setattr(project, name, value)
    _check_settings(project)
    project.save()
    if project.overlap != old_overlap:
        project.comparisons.filter(holders__lt=project.overlap).update(is_open=True)
        project.comparisons.filter(holders__gte=project.overlap).update(is_open=False)
    return project


def _check_judgment_shape_kept(project: Project, fields: dict) -> None:
    """Judgments keep the meaning they were given under: the verdict's shape may not change once
    there are judgments, and a criterion may not go while a judgment has a verdict on it (one
    added by mistake, with no verdict yet, may)."""
    changed = [name for name in JUDGMENT_SHAPE_FIELDS if name in fields and fields[name] != getattr(project, name)]
    if changed and project.judgments.exists():
        raise InvalidInput(
            f"{changed[0]} cannot change once the project has judgments: they were given under the current one",
            field=changed[0],
        )
    dropped = [c for c in project.criteria if "criteria" in fields and c not in (fields["criteria"] or [])]
    judged = [c for c in dropped if project.judgments.filter(criteria__has_key=c).exists()]
    if judged:
        raise InvalidInput(
            f"criteria cannot drop or rename {', '.join(judged)}: judgments give a verdict on it; "
            "new criteria may be added",
            field="criteria",
        )


# Numeric settings' ranges, checked by name on every database: SQLite enforces no integer range,
# so a lease of 99,999,999,999 minutes was stored there and every next-task then failed (a date
# out of range), and the check constraints' own messages named no field.
SETTING_RANGES = {
    "overlap": (1, 1000, "distinct annotators per comparison"),
    "lease_minutes": (1, 7 * 24 * 60, "minutes (a week at most)"),
    "gold_rate": (0, 1, "a share of served comparisons"),
}


def _check_settings(project: Project) -> None:
    """The project's settings checked together, then by the model's own validation."""
    validate_project_settings(
        task_type=project.task_type,
        responses_per_comparison=project.responses_per_comparison,
        strength_scale=project.strength_scale,
        criteria=project.criteria,
    )
    for name, (low, high, what) in SETTING_RANGES.items():
        value = getattr(project, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise InvalidInput(f"{name} must be from {low} to {high} ({what}), got {value!r}", field=name)
    _full_clean(project)


def _full_clean(project: Project) -> None:
    """Model validation (field limits, the check constraints) as a domain error: a 400, not a 500."""
    try:
        project.full_clean()
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"settings": exc.messages}
        raise InvalidInput("; ".join(f"{name}: {' '.join(text)}" for name, text in messages.items())) from None

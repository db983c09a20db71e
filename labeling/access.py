"""Fetch-plus-permission: each ``access_*`` returns the object or raises.

An object in a project the user does not belong to is reported as not found, so ids do not
leak which projects exist. These run on every annotation request, so they read through
``Model.objects.raw``: model instances without the cost of building a queryset
(``labeling.hot_sql`` says why).
"""

from labeling.errors import NotAllowed, NotFound
from labeling.hot_sql import raw_first, sql_text
from labeling.models import Comparison, Lease, Membership, Project, Prompt, Role
from labeling.params import is_row_id

# Who works the review queue (issue #19); a reviewer otherwise annotates like an annotator.
REVIEW_ROLES = (Role.ADMIN, Role.REVIEWER)


def is_project_admin(user, project: Project) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(project=project, user=user, role=Role.ADMIN).exists()


def access_project(user, project_id, *, admin: bool = False, review: bool = False) -> Project:
    """The project if ``user`` is a member (an admin member when ``admin``; a reviewer or an admin
    when ``review``); superusers see all."""
    project = _project_with_role(user, project_id) if is_row_id(project_id) else None
    role = _role(user, project)
    if role is None:
        raise NotFound("project not found")
    if admin and role != Role.ADMIN:
        raise NotAllowed("only project admins may do this")
    if review and role not in REVIEW_ROLES:
        raise NotAllowed("only the project's reviewers and admins may review judgments")
    return project


def access_comparison(user, comparison_id, *, seen: bool = False) -> Comparison:
    """The comparison (with its project loaded) if ``user`` is a member of its project.

    With ``seen``, an annotator must also have been served it (project admins need not).
    """
    comparison = raw_first(Comparison, _COMPARISON, [comparison_id]) if is_row_id(comparison_id) else None
    project = comparison and _project_with_role(user, comparison.project_id)
    role = _role(user, project)
    if role is None or (seen and role != Role.ADMIN and not _was_served(user, comparison)):
        raise NotFound("comparison not found")
    comparison.project = project
    return comparison


def access_prompt(user, prompt_id) -> Prompt:
    """The prompt if ``user`` was served a comparison of it (or administers its project)."""
    prompt = Prompt.objects.select_related("project").filter(pk=prompt_id).first() if is_row_id(prompt_id) else None
    role = _role(user, prompt and _project_with_role(user, prompt.project_id))
    served = role == Role.ADMIN or (
        role is not None and Lease.objects.filter(annotator=user, comparison__prompt=prompt).exists()
    )
    if not served:
        raise NotFound("prompt not found")
    return prompt


def require_project_creator(user) -> None:
    if not (user.is_staff or user.is_superuser):
        raise NotAllowed("only staff users may create projects")


_COMPARISON = sql_text("SELECT * FROM {Comparison} WHERE id = %s", Comparison)
_PROJECT_WITH_ROLE = sql_text("""
    SELECT p.*, m.role AS member_role FROM {Project} p
    LEFT JOIN {Membership} m ON m.{Membership.project} = p.id AND m.{Membership.user} = %s
    WHERE p.id = %s
""", Project, Membership)


def _project_with_role(user, project_id) -> Project | None:
    """The project with ``member_role``: the user's role in it, or None."""
    return raw_first(Project, _PROJECT_WITH_ROLE, [user.pk, project_id])


def _role(user, project: Project | None) -> str | None:
    if project is None:
        return None
    return Role.ADMIN if user.is_superuser else project.member_role


def _was_served(user, comparison: Comparison) -> bool:
    return Lease.objects.filter(comparison=comparison, annotator=user).exists()

"""Fetch-plus-permission: each ``access_*`` returns the object or raises.

A project the user does not belong to is reported as not found, so ids do not leak which
projects exist.
"""

from labeling.errors import NotAllowed, NotFound
from labeling.models import Membership, Project, Role


def is_project_admin(user, project: Project) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(project=project, user=user, role=Role.ADMIN).exists()


def access_project(user, project_id, *, admin: bool = False) -> Project:
    """The project if ``user`` is a member (an admin member when ``admin``); superusers see all."""
    project = Project.objects.filter(pk=project_id).first() if str(project_id).isdigit() else None
    if project is None:
        raise NotFound("project not found")
    if user.is_superuser:
        return project
    role = Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    if role is None:
        raise NotFound("project not found")
    if admin and role != Role.ADMIN:
        raise NotAllowed("only project admins may do this")
    return project


def require_project_creator(user) -> None:
    if not (user.is_staff or user.is_superuser):
        raise NotAllowed("only staff users may create projects")

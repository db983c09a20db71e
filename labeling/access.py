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
    """The project if ``user`` is a member (an admin member when ``admin``); superusers see all.

    One query: the membership row with its project (every annotation request starts here).
    """
    if not _is_row_id(project_id):
        raise NotFound("project not found")
    if user.is_superuser:
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            raise NotFound("project not found")
        return project
    membership = Membership.objects.select_related("project").filter(project_id=project_id, user=user).first()
    if membership is None:
        raise NotFound("project not found")
    if admin and membership.role != Role.ADMIN:
        raise NotAllowed("only project admins may do this")
    return membership.project


def _is_row_id(value) -> bool:
    """A possible primary key: digits within a 64-bit integer (larger ones overflow the driver)."""
    return str(value).isdigit() and int(value) < 2**63


def require_project_creator(user) -> None:
    if not (user.is_staff or user.is_superuser):
        raise NotAllowed("only staff users may create projects")

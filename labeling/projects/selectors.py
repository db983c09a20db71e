"""Reads about projects: which ones a user sees, their role, members and imports."""

from django.db.models import QuerySet

from labeling.models import DataImport, Membership, Project, Role


def project_list_for(user) -> QuerySet[Project]:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user).distinct()


def project_role(user, project: Project) -> str:
    if user.is_superuser:
        return Role.ADMIN
    return (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
        or ""
    )


def membership_list(project: Project) -> QuerySet[Membership]:
    return project.memberships.select_related("user").order_by("user__username")


def import_list(project: Project) -> QuerySet[DataImport]:
    return project.imports.order_by("-created_at")

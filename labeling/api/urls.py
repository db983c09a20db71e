"""All API routes. Each area's module owns its own ``urlpatterns``."""

from django.urls import path

from labeling.api import annotation, auth, dashboard, exports, projects, stats, undo

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("projects/", projects.ProjectListView.as_view(), name="project-list"),
    path("projects/<int:project_id>/", projects.ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:project_id>/members/", projects.MemberListView.as_view(), name="project-members"),
    path("projects/<int:project_id>/imports/", projects.ImportListView.as_view(), name="project-imports"),
    *annotation.urlpatterns,
    *undo.urlpatterns,
    *exports.urlpatterns,
    *stats.urlpatterns,
    *dashboard.urlpatterns,
]

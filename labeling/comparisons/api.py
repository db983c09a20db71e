"""One comparison whole, for its project's admins (a flagged one opened from the dashboard)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_site.typed_shapes import TypedDictShape  # noqa: F401  (documents the *Out TypedDicts)
from labeling.access import access_project
from labeling.comparisons.selectors import comparison_detail, comparison_in_project
from labeling.comparisons.shapes import ComparisonDetailOut


class ComparisonDetailView(APIView):
    @extend_schema(responses=ComparisonDetailOut)
    def get(self, request, project_id: int, comparison_id: int):
        project = access_project(request.user, project_id, admin=True)
        comparison = comparison_in_project(project=project, comparison_id=comparison_id)
        return Response(comparison_detail(comparison=comparison))


urlpatterns = [
    path(
        "projects/<int:project_id>/comparisons/<int:comparison_id>/",
        ComparisonDetailView.as_view(), name="project-comparison-detail",
    ),
]

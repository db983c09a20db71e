"""One comparison whole, for its project's admins (a flagged one opened from the dashboard), and
making it gold."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_site.typed_shapes import TypedDictShape  # noqa: F401  (documents the *Out TypedDicts)
from labeling.access import access_project
from labeling.comparisons.gold import comparison_gold_clear, comparison_gold_set
from labeling.comparisons.selectors import comparison_detail, comparison_in_project
from labeling.comparisons.shapes import ComparisonDetailOut
from labeling.models import Winner


class ComparisonDetailView(APIView):
    @extend_schema(responses=ComparisonDetailOut)
    def get(self, request, project_id: int, comparison_id: int):
        project = access_project(request.user, project_id, admin=True)
        comparison = comparison_in_project(project=project, comparison_id=comparison_id)
        return Response(comparison_detail(comparison=comparison))


class GoldAnswerSerializer(serializers.Serializer):
    """Documents the body; ``comparison_gold_set`` checks it against the project."""

    winner = serializers.ChoiceField(choices=Winner.values, required=False, help_text="A pairwise project's answer.")
    ranking = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="A ranking project's answer: every letter once, best first.",
    )


class ComparisonGoldView(APIView):
    @extend_schema(request=GoldAnswerSerializer, responses=ComparisonDetailOut)
    def put(self, request, project_id: int, comparison_id: int):
        """Make the comparison gold with this answer: served to every annotator at the project's
        gold_rate, and annotators' gold accuracy is scored against it."""
        comparison = self._comparison(request, project_id, comparison_id)
        return Response(comparison_detail(comparison=comparison_gold_set(comparison=comparison, answer=request.data)))

    @extend_schema(request=None, responses={200: ComparisonDetailOut})
    def delete(self, request, project_id: int, comparison_id: int):
        """Make the comparison an ordinary one again."""
        comparison = self._comparison(request, project_id, comparison_id)
        return Response(comparison_detail(comparison=comparison_gold_clear(comparison=comparison)))

    @staticmethod
    def _comparison(request, project_id: int, comparison_id: int):
        project = access_project(request.user, project_id, admin=True)
        return comparison_in_project(project=project, comparison_id=comparison_id)


urlpatterns = [
    path(
        "projects/<int:project_id>/comparisons/<int:comparison_id>/",
        ComparisonDetailView.as_view(), name="project-comparison-detail",
    ),
    path(
        "projects/<int:project_id>/comparisons/<int:comparison_id>/gold/",
        ComparisonGoldView.as_view(), name="project-comparison-gold",
    ),
]

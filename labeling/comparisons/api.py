"""A project's comparisons for its admins: the list (the comparison browser), one comparison whole
(a flagged one opened from the dashboard), and making it gold."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_site.typed_shapes import TypedDictShape  # noqa: F401  (documents the *Out TypedDicts)
from labeling.access import access_project
from labeling.comparisons.gold import comparison_gold_clear, comparison_gold_set
from labeling.comparisons.listing import ORDERINGS, STATUSES, comparison_list, comparison_rows
from labeling.comparisons.selectors import comparison_detail, comparison_in_project
from labeling.comparisons.shapes import ComparisonDetailOut, ComparisonPageOut
from labeling.models import Winner
from labeling.paging import BoundedPagination
from labeling.params import bool_param, choice_param, text_param

MAX_TEXT_PARAM = 200  # a model name's column width; more of a search is no search


class ComparisonPagination(BoundedPagination):
    default_limit = 50
    max_limit = 200


def _list_filters(params) -> dict:
    q = text_param(params, "q", max_length=MAX_TEXT_PARAM)
    return {
        "gold": bool_param(params, "gold"), "flagged": bool_param(params, "flagged"),
        "open_flags": bool_param(params, "open_flags"), "status": choice_param(params, "status", STATUSES),
        "model": text_param(params, "model", max_length=MAX_TEXT_PARAM), "q": q.strip() if q else None,
        "ordering": choice_param(params, "ordering", ORDERINGS) or "id",
    }


_LIST_PARAMETERS = [
    OpenApiParameter("gold", bool, description="Only gold comparisons (true) or only ordinary ones (false)."),
    OpenApiParameter("flagged", bool, description="Only those with a flag, resolved or not (true), or with none (false)."),
    OpenApiParameter("open_flags", bool, description="Only those with an unresolved flag (true), or with none (false)."),
    OpenApiParameter("status", str, enum=list(STATUSES),
                     description="By counted judgments against the project's overlap: none, some, or at least overlap."),
    OpenApiParameter("model", {"type": "string", "maxLength": MAX_TEXT_PARAM},
                     description="Only those with a response by this model (its exact name)."),
    OpenApiParameter("q", {"type": "string", "maxLength": MAX_TEXT_PARAM},
                     description="Only those whose prompt's last (user) turn contains this text, in any case."),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS), description="Order of the list (default id); ties by id (newest first under -created_at)."),
    *ComparisonPagination.schema_parameters(),
]


class ComparisonListView(APIView):
    @extend_schema(
        operation_id="projects_comparisons_list",  # a list under a project id reads as a retrieve otherwise
        parameters=_LIST_PARAMETERS,
        responses={
            200: ComparisonPageOut,
            400: OpenApiResponse(description="A filter, ordering, limit or offset that is not one allowed; the message names it."),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="A member of the project who is not one of its admins."),
            404: OpenApiResponse(description="No such project, or not a member of it."),
        },
    )
    def get(self, request, project_id: int):
        """The project's comparisons, filtered and a page at a time, for its admins (model names included)."""
        project = access_project(request.user, project_id, admin=True)
        comparisons = comparison_list(project=project, **_list_filters(request.query_params))
        paginator = ComparisonPagination()
        page = paginator.paginate_queryset(comparisons, request, view=self)
        body: ComparisonPageOut = {
            "count": paginator.count, "next": paginator.get_next_link(), "previous": paginator.get_previous_link(),
            "results": comparison_rows(project=project, comparisons=page),
        }
        return Response(body)


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
    path("projects/<int:project_id>/comparisons/", ComparisonListView.as_view(), name="project-comparison-list"),
    path(
        "projects/<int:project_id>/comparisons/<int:comparison_id>/",
        ComparisonDetailView.as_view(), name="project-comparison-detail",
    ),
    path(
        "projects/<int:project_id>/comparisons/<int:comparison_id>/gold/",
        ComparisonGoldView.as_view(), name="project-comparison-gold",
    ),
]

"""Review: the queue of judgments for reviewers and admins, their decision on one, and an
annotator's own rejected judgments with the reviewers' notes."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_site.typed_shapes import TypedDictShape  # noqa: F401  (documents the *Out TypedDicts)
from labeling.access import access_project
from labeling.errors import InvalidInput
from labeling.models import ReviewState
from labeling.paging import BoundedPagination
from labeling.params import bool_param
from labeling.review.selectors import (
    REVIEW_STATES,
    rejected_judgments_of,
    review_entry,
    review_queue,
)
from labeling.review.services import access_judgment_for_review, judgment_review
from labeling.review.shapes import RejectedJudgmentListOut, ReviewEntryOut, ReviewPageOut


class ReviewPagination(BoundedPagination):
    default_limit = 20
    max_limit = 100


class ReviewInputSerializer(serializers.Serializer):
    review = serializers.ChoiceField(choices=[ReviewState.ACCEPTED, ReviewState.REJECTED])
    note = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


def _queue_filters(params) -> dict:
    state = params.get("state") or "unreviewed"
    if state != "all" and state not in REVIEW_STATES:
        raise InvalidInput(f"state must be one of all, {', '.join(REVIEW_STATES)}", field="state")
    return {
        "state": None if state == "all" else state,
        "annotator": params.get("annotator") or None,
        "flagged": bool_param(params, "flagged", default=False),
        "disagrees": bool_param(params, "disagrees", default=False),
        "wrong_on_gold": bool_param(params, "wrong_on_gold", default=False),
    }


class ReviewQueueView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=["unreviewed", "accepted", "rejected", "all"],
                             description="Which judgments by their review (default unreviewed)."),
            OpenApiParameter("annotator", str, description="Only this annotator's (a username)."),
            OpenApiParameter("flagged", bool, description="Only on comparisons someone flagged."),
            OpenApiParameter("disagrees", bool, description="Only those most other judgments on the comparison disagree with."),
            OpenApiParameter("wrong_on_gold", bool, description="Only gold comparisons answered against their gold answer."),
            *ReviewPagination.schema_parameters(),
        ],
        responses=ReviewPageOut,
    )
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, review=True)
        queue = review_queue(project=project, reviewer=request.user, **_queue_filters(request.query_params))
        paginator = ReviewPagination()
        page = paginator.paginate_queryset(queue, request, view=self)
        body: ReviewPageOut = {
            "count": paginator.count, "next": paginator.get_next_link(), "previous": paginator.get_previous_link(),
            "results": [review_entry(judgment) for judgment in page],
        }
        return Response(body)


class JudgmentReviewView(APIView):
    @extend_schema(request=ReviewInputSerializer, responses=ReviewEntryOut)
    def post(self, request, judgment_id: int):
        judgment = access_judgment_for_review(request.user, judgment_id)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        judgment_review(reviewer=request.user, judgment=judgment, **data.validated_data)
        reviewed = review_queue(project=judgment.project, reviewer=request.user, state=None).get(pk=judgment.pk)
        return Response(review_entry(reviewed))


class RejectedJudgmentListView(APIView):
    @extend_schema(responses=RejectedJudgmentListOut)
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id)
        body: RejectedJudgmentListOut = {"results": rejected_judgments_of(project=project, annotator=request.user)}
        return Response(body)


urlpatterns = [
    path("projects/<int:project_id>/review/", ReviewQueueView.as_view(), name="review-queue"),
    path("projects/<int:project_id>/rejected-judgments/", RejectedJudgmentListView.as_view(), name="rejected-judgments"),
    path("judgments/<int:judgment_id>/review/", JudgmentReviewView.as_view(), name="judgment-review"),
]

"""The annotation workflow: the next comparison, judgments (and undo), skip, flag, demonstrations, progress."""

import zoneinfo

from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation_site.typed_shapes import TypedDictShape  # noqa: F401  (documents the *Out TypedDicts)
from labeling.access import access_project
from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.flags import comparison_skip, flag_create
from labeling.annotation.judgments import (
    EDIT_WINDOW,
    demonstration_create,
    judgment_create,
    judgment_undo,
)
from labeling.annotation.selectors import (
    annotator_progress,
    comparison_payload,
    flag_list,
    judgment_list_for,
)
from labeling.annotation.shapes import STRENGTH, ComparisonOut, JudgmentOut, JudgmentPageOut
from labeling.errors import InvalidInput, NotFound
from labeling.models import IMPORTED_KEY_PREFIX, Demonstration, Flag, FlagReason, Judgment, Winner
from labeling.paging import BoundedPagination
from labeling.params import bool_param, id_param

# --- shapes ----------------------------------------------------------------------------------


@extend_schema_field({"type": "integer", "minimum": STRENGTH["minimum"]})
class StrengthField(serializers.IntegerField):
    """A strength, documented from 1: the service checks it against the project's scale (1 to its
    length, or null), so a value off it gets the one message that names the scale's levels."""


class JudgmentInputSerializer(serializers.Serializer):
    """Shape only; the service checks the result against the project."""

    comparison = serializers.IntegerField()
    winner = serializers.ChoiceField(
        choices=Winner.values, required=False, allow_blank=True, allow_null=True, default="",
        help_text="Pairwise: the winning position, or tie (where the project allows ties); blank for a ranking.",
    )
    strength = StrengthField(required=False, allow_null=True, default=None, help_text=STRENGTH["description"])
    ranking = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True, default=None)
    ranking_ties = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()), required=False, allow_null=True, default=None,
        help_text='Ranking: the groups of positions ranked equal, e.g. [["b", "a"]] (where the project allows ties).',
    )
    criteria = serializers.DictField(
        required=False, default=dict,
        help_text='One verdict per project criterion: {"winner", "strength"} (pairwise) or {"ranking", "ranking_ties"} (ranking; ranking_ties optional).',
    )
    rationale = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    time_spent_ms = serializers.IntegerField(required=False, min_value=0, default=0)
    client_key = serializers.CharField(max_length=64)


class JudgmentPagination(BoundedPagination):
    default_limit = 100
    max_limit = 1000


class SkipInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FlagReason.choices, allow_blank=True, required=False, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SkipSerializer(serializers.Serializer):
    skipped = serializers.BooleanField()


class FlagInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class FlagSerializer(serializers.ModelSerializer):
    annotator = serializers.CharField(source="annotator.username")

    class Meta:
        model = Flag
        fields = ["id", "comparison", "annotator", "reason", "note", "resolved", "created_at"]


class DemonstrationInputSerializer(serializers.Serializer):
    prompt = serializers.IntegerField()
    text = serializers.CharField(trim_whitespace=False)
    client_key = serializers.CharField(max_length=64)
    time_spent_ms = serializers.IntegerField(required=False, min_value=0, default=0)


class DemonstrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Demonstration
        fields = ["id", "prompt", "text", "client_key", "time_spent_ms", "created_at"]


class ProgressSerializer(serializers.Serializer):
    done_today = serializers.IntegerField()
    done_total = serializers.IntegerField()
    remaining = serializers.IntegerField()
    remaining_capped = serializers.BooleanField(help_text="True when remaining is a lower bound (the count stops at a cap).")


def _parsed(serializer_class, data) -> dict:
    """``data`` checked by ``serializer_class``; a key it does not know is a 400 naming it (a
    script's misspelt ``seconds`` was dropped without a word and 0 stored)."""
    serializer = serializer_class(data=data)
    if isinstance(data, dict) and not isinstance(data, QueryDict) and (unknown := sorted(set(data) - set(serializer.fields))):
        raise InvalidInput(f"{unknown[0]}: unknown field; the fields are {', '.join(serializer.fields)}", field=unknown[0])
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _comparison_out(comparison) -> ComparisonOut:
    """Built directly, not by a serializer: the lease path's hottest output."""
    return comparison_payload(comparison=comparison, lease_expires_at=comparison.lease_expires_at)


def _judgment_out(judgment: Judgment, username: str, by_judge: bool = False) -> JudgmentOut:
    """Built directly: a DRF serializer costs about a millisecond, a tenth of a submit.
    Datetimes are rendered by the JSON renderer. A submit is a person's (``by_judge`` false):
    judges store their judgments on the worker, never through this API."""
    return {
        "id": judgment.pk, "comparison": judgment.comparison_id, "annotator": username, "by_judge": by_judge,
        "winner": judgment.winner, "strength": judgment.strength, "ranking": judgment.ranking,
        "ranking_ties": judgment.ranking_ties or ([] if judgment.ranking else None),
        "criteria": judgment.criteria, "rationale": judgment.rationale, "time_spent_ms": judgment.time_spent_ms,
        "client_key": judgment.client_key, "created_at": judgment.created_at,
        "editable_until": _editable_until(judgment, by_judge),
    }


def _editable_until(judgment: Judgment, by_judge: bool):
    """Until when ``judgment_undo`` takes it back; None for one it never will: an imported label,
    a judge's verdict (neither was leased), or a reviewed judgment."""
    if by_judge or judgment.review or judgment.client_key.startswith(IMPORTED_KEY_PREFIX):
        return None
    return judgment.created_at + EDIT_WINDOW


def _judgment_page(paginator: BoundedPagination, judgments) -> JudgmentPageOut:
    return {
        "count": paginator.count, "next": paginator.get_next_link(), "previous": paginator.get_previous_link(),
        "results": [_judgment_out(j, j.annotator.username, j.by_judge) for j in judgments],
    }


def _listed_annotator(user, params, others: bool):
    """Whose judgments to list: the caller's own, or (for admins) the named ``annotator``'s, or,
    with ``all`` and no annotator named, everyone's. ``all`` widens the list beyond the caller's
    own; a named annotator narrows it again, whether ``all`` is given or not."""
    if not others:
        return user
    username = params.get("annotator")
    if not username:
        return None
    named = get_user_model().objects.filter(username=username).first()
    if named is None:
        raise NotFound(f"no user named '{username}'")
    return named


# --- views -----------------------------------------------------------------------------------


class NextComparisonView(APIView):
    """Leases the next comparison (the route keeps its old name ``next-task``: a wire contract)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("ahead", bool, description="Lease the comparison after the current one (prefetch).")
        ],
        responses={200: ComparisonOut, 204: OpenApiResponse(description="Nothing left for you in this project.")},
    )
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id)
        ahead = bool_param(request.query_params, "ahead", default=False)
        comparison = comparison_lease_next(project=project, annotator=request.user, ahead=ahead)
        if comparison is None:
            return Response(status=204)
        return Response(_comparison_out(comparison))


class JudgmentListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("project", int, required=True),
            OpenApiParameter("annotator", str,
                             description="Project admins: only this annotator's judgments (with or without all)."),
            OpenApiParameter("all", bool,
                             description="Project admins: everyone's judgments, not only your own (narrowed by annotator)."),
            OpenApiParameter("order", str, enum=["newest", "fastest"],
                             description="newest (default) or fastest: the timed judgments, quickest first."),
            *JudgmentPagination.schema_parameters(),
        ],
        responses=JudgmentPageOut,
    )
    def get(self, request):
        params = request.query_params
        others = bool_param(params, "all", default=False) or bool(params.get("annotator"))
        project = access_project(request.user, id_param(params, "project"), admin=others)
        order = params.get("order") or "newest"
        if order not in ("newest", "fastest"):
            raise InvalidInput("order must be newest or fastest", field="order")
        listed = _listed_annotator(request.user, params, others)
        judgments = judgment_list_for(project=project, annotator=listed, fastest=order == "fastest")
        paginator = JudgmentPagination()
        page = paginator.paginate_queryset(judgments, request, view=self)
        return Response(_judgment_page(paginator, page))

    @extend_schema(
        request=JudgmentInputSerializer,
        responses={
            201: JudgmentOut, 200: OpenApiResponse(JudgmentOut, description="A retry: the first judgment."),
            410: OpenApiResponse(description="A retry of a submit whose judgment was since undone: nothing stored."),
        },
    )
    def post(self, request):
        data = _parsed(JudgmentInputSerializer, request.data)
        judgment, created = judgment_create(
            annotator=request.user, comparison_id=data.pop("comparison"), **data
        )
        return Response(_judgment_out(judgment, request.user.username), status=201 if created else 200)


class JudgmentUndoView(APIView):
    @extend_schema(request=None, responses=ComparisonOut)
    def post(self, request, judgment_id: int):
        comparison = judgment_undo(annotator=request.user, judgment_id=judgment_id)
        return Response(_comparison_out(comparison))


class ComparisonSkipView(APIView):
    @extend_schema(request=SkipInputSerializer, responses=SkipSerializer)
    def post(self, request, comparison_id: int):
        comparison_skip(annotator=request.user, comparison_id=comparison_id, **_parsed(SkipInputSerializer, request.data))
        return Response(SkipSerializer({"skipped": True}).data)


class ComparisonFlagView(APIView):
    @extend_schema(request=FlagInputSerializer, responses={201: FlagSerializer, 200: FlagSerializer})
    def post(self, request, comparison_id: int):
        data = _parsed(FlagInputSerializer, request.data)
        flag, created = flag_create(annotator=request.user, comparison_id=comparison_id, **data)
        return Response(FlagSerializer(flag).data, status=201 if created else 200)


class ProjectFlagListView(APIView):
    @extend_schema(responses=FlagSerializer(many=True))
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        return Response(FlagSerializer(flag_list(project=project)[:1000], many=True).data)


class DemonstrationListView(APIView):
    @extend_schema(
        request=DemonstrationInputSerializer,
        responses={201: DemonstrationSerializer, 200: OpenApiResponse(DemonstrationSerializer, description="A retry.")},
    )
    def post(self, request):
        data = _parsed(DemonstrationInputSerializer, request.data)
        demonstration, created = demonstration_create(annotator=request.user, prompt_id=data.pop("prompt"), **data)
        return Response(DemonstrationSerializer(demonstration).data, status=201 if created else 200)


class ProgressView(APIView):
    @extend_schema(
        responses=ProgressSerializer,
        parameters=[OpenApiParameter("tz", str, description="The annotator's IANA time zone (Europe/Paris): "
                                     "done_today counts from their midnight. Default: the server's (UTC).")],
    )
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id)
        zone = _time_zone(request.query_params.get("tz"))
        return Response(ProgressSerializer(annotator_progress(project=project, annotator=request.user, zone=zone)).data)


def _time_zone(name: str | None):
    """The zone named, None for none; a name that is no IANA zone is a 400 naming ``tz``."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidInput(f"tz: {name[:64]!r} is not a time zone (use an IANA name such as Europe/Paris)", field="tz") from exc


urlpatterns = [
    path("projects/<int:project_id>/next-task/", NextComparisonView.as_view(), name="next-task"),
    path("projects/<int:project_id>/progress/", ProgressView.as_view(), name="project-progress"),
    path("projects/<int:project_id>/flags/", ProjectFlagListView.as_view(), name="project-flags"),
    path("judgments/", JudgmentListView.as_view(), name="judgment-list"),
    path("judgments/<int:judgment_id>/undo/", JudgmentUndoView.as_view(), name="judgment-undo"),
    path("comparisons/<int:comparison_id>/skip/", ComparisonSkipView.as_view(), name="comparison-skip"),
    path("comparisons/<int:comparison_id>/flag/", ComparisonFlagView.as_view(), name="comparison-flag"),
    path("demonstrations/", DemonstrationListView.as_view(), name="demonstration-list"),
]

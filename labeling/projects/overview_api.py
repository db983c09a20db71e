"""The admin dashboard's overview (progress, pace, leases in flight, rates, flags to review) and
resolving a reviewed flag."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.access import access_project
from labeling.models import Flag, FlagReason
from labeling.projects.flags import access_flag, flag_resolve
from labeling.projects.overview import project_overview


class ComparisonCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Regular (non-gold) comparisons.")
    complete = serializers.IntegerField(help_text="Regular comparisons with at least `overlap` judgments.")
    partial = serializers.IntegerField(help_text="Regular comparisons with some judgments, fewer than `overlap`.")
    gold = serializers.IntegerField()
    overlap = serializers.IntegerField(help_text="Judgments wanted per comparison.")


class HourCountSerializer(serializers.Serializer):
    hour = serializers.DateTimeField(help_text="Start of the clock hour (UTC).")
    count = serializers.IntegerField()


class JudgmentCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="People's judgments: not a judge's, not rejected in review (so the "
                                               "ties, the last 24 hours and the rates).")
    ties = serializers.IntegerField(help_text="Judgments holding a tie: a pairwise tie, or a ranking with positions ranked equal.")
    imported = serializers.IntegerField(help_text="Of total, imported labels (import_data --with-labels): no one's "
                                                  "work on this site, so not in the skip and flag rates.")
    last_24h = serializers.IntegerField(help_text="People's judgments made here in the last 24 hours (imported labels left out).")
    annotators_24h = serializers.IntegerField(help_text="Distinct annotators who judged in the last 24 hours.")
    per_hour = HourCountSerializer(many=True, help_text="The last 24 clock hours, oldest first; the last is the current hour.")
    by_judges = serializers.IntegerField(help_text="Judgments by judges (models labelling comparisons), counted apart.")
    rejected = serializers.IntegerField(help_text="Judgments rejected in review: kept for the audit trail, counted nowhere.")


class LeaseCountsSerializer(serializers.Serializer):
    in_flight = serializers.IntegerField(help_text="Unexpired active leases: comparisons on someone's screen now.")
    annotators_in_flight = serializers.IntegerField()
    skipped = serializers.IntegerField()


class FlagCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    open = serializers.IntegerField(help_text="Not resolved yet.")
    by_reason = serializers.DictField(child=serializers.IntegerField())
    finished_flagged = serializers.IntegerField(
        help_text="Finished comparisons (judged or skipped) their annotator flagged, each once: the flag rate's numerator.")


class RatesSerializer(serializers.Serializer):
    tie = serializers.FloatField(allow_null=True, help_text="Ties / judgments (pairwise projects and ranking projects allowing ties; "
                                                         "null otherwise or with no judgments).")
    skip = serializers.FloatField(allow_null=True, help_text="Skips / (judgments - imported + skips): the share of the "
                                                          "comparisons people finished here that they skipped, as "
                                                          "each annotator's skip_rate.")
    flag = serializers.FloatField(allow_null=True, help_text="finished_flagged / (judgments - imported + skips): the share "
                                                          "of the comparisons people finished here that they flagged, "
                                                          "as each annotator's flag_rate.")


class OpenFlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    comparison = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    note = serializers.CharField(allow_blank=True)
    annotator = serializers.CharField()
    created_at = serializers.DateTimeField()
    prompt_excerpt = serializers.CharField(allow_blank=True, help_text="The prompt's last turn, shortened; plain text.")


class OverviewSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    comparisons = ComparisonCountsSerializer()
    judgments = JudgmentCountsSerializer()
    leases = LeaseCountsSerializer()
    flags = FlagCountsSerializer()
    rates = RatesSerializer()
    flagged = OpenFlagSerializer(many=True, help_text="The newest unresolved flags.")


class ProjectOverviewView(APIView):
    @extend_schema(responses=OverviewSerializer, summary="The admin dashboard's overview of a project")
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        return Response(OverviewSerializer(project_overview(project=project)).data)


class ResolvedFlagSerializer(serializers.ModelSerializer):
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True,
        help_text="The username of who resolved it; null while unresolved or once that user is deleted.",
    )

    class Meta:
        model = Flag
        fields = ["id", "project", "comparison", "reason", "note", "resolved", "resolved_by", "resolved_at", "created_at"]
        read_only_fields = fields


class FlagResolveView(APIView):
    @extend_schema(
        request=None, responses=ResolvedFlagSerializer,
        summary="Mark a flag resolved (project admins; resolving again changes nothing)",
    )
    def post(self, request, flag_id: int):
        flag = flag_resolve(flag=access_flag(request.user, flag_id), user=request.user)
        return Response(ResolvedFlagSerializer(flag).data)


urlpatterns = [
    path("projects/<int:project_id>/overview/", ProjectOverviewView.as_view(), name="project-overview"),
    path("flags/<int:flag_id>/resolve/", FlagResolveView.as_view(), name="flag-resolve"),
]

"""A reward checkpoint's report over HTTP (project admins, as the checkpoint list)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from training.api import CheckpointSerializer
from training.checkpoint_reports import access_checkpoint_by_id, checkpoint_report_payload
from training.models import RunStatus


class AccuracySerializer(serializers.Serializer):
    accuracy = serializers.FloatField(allow_null=True, help_text="Share of pairs scored right; null for none.")
    interval = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="95% Wilson interval of the accuracy."
    )
    count = serializers.IntegerField(help_text="Pairs counted.")


class CalibrationBinSerializer(serializers.Serializer):
    low = serializers.FloatField(help_text="Lowest confidence in the bin (from 0.5).")
    high = serializers.FloatField()
    count = serializers.IntegerField()
    confidence = serializers.FloatField(help_text="Mean stated confidence, σ(|margin|), of the bin's pairs.")
    accuracy = serializers.FloatField(help_text="Share of the bin's pairs scored right.")


class CalibrationSerializer(serializers.Serializer):
    ece = serializers.FloatField(help_text="Expected calibration error: the bins' |accuracy − confidence|, weighted by size.")
    bins = CalibrationBinSerializer(many=True, help_text="The reliability diagram; empty bins left out.")


class LengthBiasSerializer(serializers.Serializer):
    margin_length_correlation = serializers.FloatField(
        allow_null=True, help_text="Pearson correlation of margin and length difference (chosen − rejected, characters)."
    )
    longer_chosen = AccuracySerializer(help_text="Accuracy on pairs where people chose the longer response.")
    shorter_chosen = AccuracySerializer(help_text="Accuracy on pairs where people chose the shorter response.")
    prefers_longer = serializers.FloatField(
        allow_null=True, help_text="Share of pairs of unequal length the model scores the longer one higher."
    )


class RewardbenchSectionSerializer(serializers.Serializer):
    score = serializers.FloatField()
    subsets = serializers.ListField(child=serializers.CharField())


class RewardReportSerializer(serializers.Serializer):
    split = serializers.CharField(help_text="The pairs scored: 'validation' (the run's split) or the file's name.")
    overall = AccuracySerializer()
    mean_margin = serializers.FloatField(allow_null=True)
    calibration = CalibrationSerializer()
    length_bias = LengthBiasSerializer()
    groups = serializers.DictField(
        child=serializers.DictField(child=AccuracySerializer()),
        help_text="Accuracy per group value, by grouping (criterion, source, subset, label_source).",
    )
    rewardbench_sections = serializers.DictField(child=RewardbenchSectionSerializer(), required=False)


class CheckpointReportSerializer(serializers.Serializer):
    checkpoint = CheckpointSerializer()
    report = RewardReportSerializer(
        allow_null=True, help_text="Null: not a reward model, or no report yet (written by reward runs with validation pairs)."
    )
    judge_annotator = serializers.IntegerField(
        allow_null=True,
        help_text="The annotator id the checkpoint's judge labels as (its entry in the project stats' judges); null: never judged.",
    )
    judge_run = serializers.IntegerField(allow_null=True, help_text="Its newest judge run, if any.")
    judge_run_status = serializers.ChoiceField(choices=RunStatus.choices, allow_null=True)


class CheckpointReportView(APIView):
    @extend_schema(responses=CheckpointReportSerializer)
    def get(self, request, checkpoint_id: int):
        checkpoint = access_checkpoint_by_id(request.user, checkpoint_id)
        return Response(CheckpointReportSerializer(checkpoint_report_payload(checkpoint)).data)


urlpatterns = [
    path("checkpoints/<int:checkpoint_id>/report/", CheckpointReportView.as_view(), name="checkpoint-report"),
]

"""Training runs and checkpoints over HTTP (project admins only)."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.access import access_project
from labeling.errors import NotFound
from labeling.models import DatasetSnapshot
from labeling.params import id_param, int_param
from training import selectors, services
from training.models import ModelCheckpoint, RetrainPolicy, RunMetric, RunSample, Stage, TrainingRun


class TrainingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingRun
        fields = [
            "id", "project", "stage", "status", "base_model", "base_checkpoint", "reward_checkpoint", "snapshot",
            "config", "created_at", "started_at", "finished_at", "heartbeat_at", "dispatched_at", "worker",
            "progress_step", "progress_total", "cancel_requested", "attempts", "resumed_from_step", "force", "warnings",
            "error", "log_tail", "result", "client_key",
        ]
        read_only_fields = fields


class TrainingRunCreateSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    base_model = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    base_checkpoint = serializers.IntegerField(required=False, allow_null=True, default=None)
    reward_checkpoint = serializers.IntegerField(required=False, allow_null=True, default=None)
    snapshot = serializers.IntegerField(required=False, allow_null=True, default=None)
    config = serializers.JSONField(required=False, default=dict)
    force = serializers.BooleanField(
        required=False, default=False,
        help_text="Train even on fewer examples than the minimum (the run then carries a warning).",
    )
    client_key = serializers.CharField(
        required=False, allow_null=True, default=None, min_length=1, max_length=64,
        help_text="An idempotency key the client makes (a UUID): a retry with it and the same request returns the "
                  "run the first made (200) and starts nothing; with another request it is refused (409).",
    )


class RunMetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunMetric
        fields = ["step", "values", "created_at"]


class RunSampleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunSample
        fields = ["step", "index", "prompt", "response", "score", "truncated"]


class RunSamplesSerializer(serializers.Serializer):
    steps = serializers.ListField(child=serializers.IntegerField(), help_text="Steps with samples, oldest first.")
    step = serializers.IntegerField(allow_null=True, help_text="The step shown; null when the run has no samples.")
    samples = RunSampleSerializer(many=True)


class CheckpointSerializer(serializers.ModelSerializer):
    criteria = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="A reward model trained per criterion: the criteria it judges (score with reward_criterion).",
    )

    class Meta:
        model = ModelCheckpoint
        fields = ["id", "project", "run", "name", "kind", "path", "metrics", "criteria", "created_at"]


def _checkpoint(user, checkpoint_id, project):
    return None if checkpoint_id is None else selectors.access_checkpoint(user, checkpoint_id, project)


def _snapshot(snapshot_id, project):
    if snapshot_id is None:
        return None
    snapshot = DatasetSnapshot.objects.filter(pk=snapshot_id, project=project).first()
    if snapshot is None:
        raise NotFound(f"snapshot {snapshot_id} not found in this project")
    return snapshot


class TrainingRunListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("project", int, required=False)], responses=TrainingRunSerializer(many=True)
    )
    def get(self, request):
        project_id = id_param(request.query_params, "project", required=False)
        runs = selectors.run_list_for(request.user, project_id)[:200]
        return Response(TrainingRunSerializer(runs, many=True).data)

    @extend_schema(
        request=TrainingRunCreateSerializer,
        responses={201: TrainingRunSerializer, 200: OpenApiResponse(TrainingRunSerializer, description="A retry: the first run.")},
    )
    def post(self, request):
        data = TrainingRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        project = access_project(request.user, v["project"], admin=True)
        run, created = services.training_run_create(
            project=project, stage=v["stage"], user=request.user, base_model=v["base_model"],
            base_checkpoint=_checkpoint(request.user, v["base_checkpoint"], project),
            reward_checkpoint=_checkpoint(request.user, v["reward_checkpoint"], project),
            snapshot=_snapshot(v["snapshot"], project), config=v["config"], force=v["force"], client_key=v["client_key"],
        )
        return Response(TrainingRunSerializer(run).data, status=201 if created else 200)


class TrainingRunDetailView(APIView):
    @extend_schema(responses=TrainingRunSerializer)
    def get(self, request, run_id: int):
        return Response(TrainingRunSerializer(selectors.access_run(request.user, run_id)).data)


class TrainingRunCancelView(APIView):
    @extend_schema(request=None, responses=TrainingRunSerializer)
    def post(self, request, run_id: int):
        run = services.training_run_cancel(run=selectors.access_run_to_cancel(request.user, run_id))
        return Response(TrainingRunSerializer(run).data)


class TrainingRunMetricsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("after", int, required=False, description="Only steps after this one.")],
        responses=RunMetricSerializer(many=True),
    )
    def get(self, request, run_id: int):
        run = selectors.access_run(request.user, run_id)
        after = int_param(request.query_params, "after", default=-1)
        metrics = selectors.run_metrics(run, after)[:5000]
        return Response(RunMetricSerializer(metrics, many=True).data)


class TrainingRunSamplesView(APIView):
    """A few responses the run sampled at one logging step (model output: untrusted text)."""

    @extend_schema(
        parameters=[OpenApiParameter("step", int, required=False, description="The step; default the newest.")],
        responses=RunSamplesSerializer,
    )
    def get(self, request, run_id: int):
        run = selectors.access_run(request.user, run_id)
        wanted = int_param(request.query_params, "step", default=None, minimum=0)
        step, samples = selectors.run_samples_at(run, wanted)
        body = {"steps": selectors.run_sample_steps(run), "step": step, "samples": list(samples)}
        return Response(RunSamplesSerializer(body).data)


class CheckpointListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("project", int, required=True)], responses=CheckpointSerializer(many=True))
    def get(self, request):
        project_id = id_param(request.query_params, "project")
        return Response(CheckpointSerializer(selectors.checkpoint_list_for(request.user, project_id), many=True).data)


class RetrainPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = RetrainPolicy
        fields = ["enabled", "every_n_judgments", "base_model", "config", "set_priority", "judgments_at_last_run", "last_run"]
        read_only_fields = ["judgments_at_last_run", "last_run"]
        extra_kwargs = {"every_n_judgments": {"min_value": 1}}


POLICY_FIELDS = ("enabled", "every_n_judgments", "base_model", "config", "set_priority")


class RetrainPolicyView(APIView):
    """The project's retraining policy (off until enabled)."""

    @extend_schema(responses=RetrainPolicySerializer)
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        policy = RetrainPolicy.objects.filter(project=project).first() or RetrainPolicy(project=project)
        return Response(RetrainPolicySerializer(policy).data)

    @extend_schema(request=RetrainPolicySerializer, responses=RetrainPolicySerializer)
    def put(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        current = RetrainPolicy.objects.filter(project=project).first() or RetrainPolicy(project=project)
        data = RetrainPolicySerializer(current, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        # Fields left out keep their current value (the model default for a new policy).
        fields = {name: data.validated_data.get(name, getattr(current, name)) for name in POLICY_FIELDS}
        policy = services.retrain_policy_set(project=project, **fields)
        return Response(RetrainPolicySerializer(policy).data)


urlpatterns = [
    path("projects/<int:project_id>/retrain-policy/", RetrainPolicyView.as_view(), name="retrain-policy"),
    path("training-runs/", TrainingRunListView.as_view(), name="training-run-list"),
    path("training-runs/<int:run_id>/", TrainingRunDetailView.as_view(), name="training-run-detail"),
    path("training-runs/<int:run_id>/cancel/", TrainingRunCancelView.as_view(), name="training-run-cancel"),
    path("training-runs/<int:run_id>/metrics/", TrainingRunMetricsView.as_view(), name="training-run-metrics"),
    path("training-runs/<int:run_id>/samples/", TrainingRunSamplesView.as_view(), name="training-run-samples"),
    path("checkpoints/", CheckpointListView.as_view(), name="checkpoint-list"),
    path("", ("training.api_configs", None, None)),  # = include("training.api_configs"): stage config fields
    path("", ("training.report_api", None, None)),  # a reward checkpoint's report
]

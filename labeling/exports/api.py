"""Export files (streamed) and snapshots; project admins only."""

import dataclasses
from dataclasses import fields

from django.http import QueryDict, StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.access import access_project
from labeling.errors import NotFound
from labeling.exports.annotators import annotator_ids
from labeling.exports.options import (
    AGGREGATIONS,
    FILE_TYPES,
    FORMATS,
    LABELS,
    MAX_SPLIT_SEED,
    PAIRS,
    SNAPSHOT_FILE_TYPES,
    ExportFilters,
    ExportOptions,
    SnapshotOptions,
)
from labeling.exports.services import export_count, export_stream
from labeling.exports.snapshots import snapshot_list, snapshot_request, snapshots_with_reuse
from labeling.models import DatasetSnapshot


def _fields_of(data: dict, dataclass) -> dict:
    """The entries of ``data`` that are fields of ``dataclass``."""
    names = {f.name for f in fields(dataclass)}
    return {k: v for k, v in data.items() if k in names}


CONTENT_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}


class ExportFiltersSerializer(serializers.Serializer):
    min_agreement = serializers.FloatField(
        required=False, min_value=0, max_value=1,
        help_text="Drop comparisons whose annotators agree less (share of judgments with the most common verdict).",
    )
    min_judgments = serializers.IntegerField(
        required=False, min_value=1, help_text="Drop comparisons with fewer judgments."
    )
    exclude_ties = serializers.BooleanField(
        required=False, default=False, help_text="Drop tie verdicts before aggregating: pairwise tie judgments, and the pairs a ranking "
                                           "ranks equal (the ranking's ordered pairs still count; raw keeps the ranking)."
    )
    exclude_gold = serializers.BooleanField(required=False, default=False)
    exclude_flagged = serializers.BooleanField(
        required=False, default=False,
        help_text="Drop comparisons an annotator flagged (unsafe, broken prompt, ...), resolved or not.",
    )
    exclude_annotators = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list,
        help_text="Usernames (as judgments and the stats name them) or user ids, e.g. the annotators the quality "
                  "stats flag; each must be a member of the project or have judgments in it.",
    )
    created_after = serializers.DateTimeField(required=False, help_text="Judgments at or after this time.")
    created_before = serializers.DateTimeField(required=False, help_text="Judgments before this time.")
    models = serializers.ListField(
        child=serializers.CharField(), required=False, default=list,
        help_text="Keep comparisons whose responses all come from these models.",
    )

    def to_internal_value(self, data):
        return super().to_internal_value(_known_keys_only(data, self.fields))

    def validate_exclude_annotators(self, names: list[str]) -> tuple[int, ...]:
        """As user ids (the snapshot's filters keep ids: a renamed user stays excluded)."""
        return annotator_ids(self.context["project"], names) if names else ()

    def to_filters(self) -> ExportFilters:
        return ExportFilters.from_json(_fields_of(self.validated_data, ExportFilters))


class ExportOptionsSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=FORMATS)
    aggregation = serializers.ChoiceField(choices=AGGREGATIONS, default="majority")
    pairs = serializers.ChoiceField(
        choices=PAIRS, default="all", help_text="Ranking judgments: all implied pairs or best against each other."
    )
    conversational = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="trl/kto: true for message lists (TRL's conversational format), false for plain strings (refused "
                  "when a prompt has more than one turn). Unset: message lists when any prompt of the project has "
                  "more than one turn, else strings. One file never mixes the two.",
    )
    include_winners = serializers.BooleanField(
        required=False, default=False, help_text="sft: add winning responses to the demonstrations."
    )
    criteria = serializers.ListField(
        child=serializers.CharField(), required=False, default=list,
        help_text="trl: rows per criterion verdict, with a criterion column ('overall' = the main verdict).",
    )
    labels = serializers.ChoiceField(
        choices=LABELS, default="human",
        help_text="Whose judgments: people's (human), judges' (model: models labelling comparisons) or both (all). "
                  "Other than human, every row has a label_source column: human, model or mixed (a preference "
                  "aggregated from both). Judgments rejected in review are never exported.",
    )

    def to_options(self) -> ExportOptions:
        return ExportOptions(**_fields_of(self.validated_data, ExportOptions))


class ExportQuerySerializer(ExportOptionsSerializer, ExportFiltersSerializer):
    file = serializers.ChoiceField(choices=FILE_TYPES, default="jsonl")
    count = serializers.BooleanField(
        required=False, default=False,
        help_text="Answer with how many rows the export writes (JSON), instead of the file.",
    )


class ExportCountSerializer(serializers.Serializer):
    rows = serializers.IntegerField(min_value=0, help_text="Rows the export writes.")
    comparisons = serializers.IntegerField(min_value=0, help_text="Comparisons they come from.")
    filtered_out = serializers.IntegerField(min_value=0, help_text=(
        "Comparisons min_judgments or min_agreement passed over. The other filters act on judgments: "
        "a comparison none of whose judgments pass them is not counted here, nor anywhere in the export."
    ))


class FirstRendererNegotiation(DefaultContentNegotiation):
    """``?format=`` names the export format here, not one of DRF's renderers."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        parameters=[ExportQuerySerializer],
        responses={
            (200, "application/x-ndjson"): OpenApiTypes.BINARY,
            (200, "application/vnd.apache.parquet"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/json"): ExportCountSerializer,
            400: OpenApiResponse(description="Options that do not fit together."),
        },
    )
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        query = ExportQuerySerializer(data=request.query_params, context={"project": project})
        query.is_valid(raise_exception=True)
        options, file_type = query.to_options(), query.validated_data["file"]
        if query.validated_data["count"]:
            stats = export_count(project=project, options=options, filters=query.to_filters(), file_type=file_type)
            return Response({"rows": stats.rows, "comparisons": stats.comparisons, "filtered_out": stats.filtered_out})
        chunks = export_stream(project=project, options=options, filters=query.to_filters(), file_type=file_type)
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[file_type])
        response["Content-Disposition"] = f'attachment; filename="{project.slug}-{options.format}.{file_type}"'
        return response


class SnapshotSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True,
        help_text="The username of who made it (or the run that did); null once that user is deleted.",
    )
    reused = serializers.SerializerMethodField(
        help_text="Nothing had changed since a ready snapshot with the same options: no files were written "
                  "again, and this one reads that snapshot's (its sha256, row counts and path)."
    )
    reused_from = serializers.SerializerMethodField(help_text="The snapshot whose files a reused one reads.")

    class Meta:
        model = DatasetSnapshot
        fields = [
            "id", "project", "format", "aggregation", "options", "filters", "split_seed", "validation_fraction",
            "status", "error", "sha256", "row_counts", "path", "created_by", "created_at", "started_at",
            "finished_at", "reused", "reused_from",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_reused(self, snapshot: DatasetSnapshot) -> bool:
        return self.get_reused_from(snapshot) is not None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_reused_from(self, snapshot: DatasetSnapshot) -> int | None:
        """Annotated by ``snapshots_with_reuse``; a row just stored (pending) reuses nothing yet."""
        return getattr(snapshot, "reused_from", None)


class SnapshotCreateSerializer(ExportOptionsSerializer):
    file = serializers.ChoiceField(choices=SNAPSHOT_FILE_TYPES, default="jsonl")
    split_seed = serializers.IntegerField(default=0, min_value=0, max_value=MAX_SPLIT_SEED)
    validation_fraction = serializers.FloatField(default=0.1, min_value=0, max_value=0.99)
    filters = ExportFiltersSerializer(required=False)

    def to_internal_value(self, data):
        return super().to_internal_value(_known_keys_only(data, self.fields))


def _known_keys_only(data, fields):
    """A JSON body's keys, each a field: a misspelt option or filter in a snapshot's JSON was
    dropped without a word, and the snapshot was written without it. (A GET's query string, as on
    every list route, ignores what it does not know: tests/security answers an ORM-lookup probe
    with the plain response.)"""
    if isinstance(data, dict) and not isinstance(data, QueryDict):
        unknown = sorted(set(data.keys()) - set(fields))
        if unknown:
            filters = {f.name for f in dataclasses.fields(ExportFilters)}
            raise serializers.ValidationError({
                name: ['a filter: give it inside "filters"' if name in filters and "filters" in fields
                       else "unknown field: not an export option or filter"]
                for name in unknown
            })
    return data


class SnapshotListView(APIView):
    @extend_schema(responses=SnapshotSerializer(many=True))
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        return Response(SnapshotSerializer(snapshot_list(project), many=True).data)

    @extend_schema(
        request=SnapshotCreateSerializer,
        responses={202: SnapshotSerializer},
        description="Stores a pending snapshot and queues its writing; GET it until `status` is ready or failed.",
    )
    def post(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        data = SnapshotCreateSerializer(data=request.data, context={"project": project})
        data.is_valid(raise_exception=True)
        options = SnapshotOptions.from_json(data.validated_data)
        snapshot = snapshot_request(project=project, user=request.user, options=options)
        return Response(SnapshotSerializer(snapshot).data, status=202)


class SnapshotDetailView(APIView):
    @extend_schema(responses=SnapshotSerializer)
    def get(self, request, snapshot_id: int):
        return Response(SnapshotSerializer(_access_snapshot(request.user, snapshot_id)).data)


def _access_snapshot(user, snapshot_id: int) -> DatasetSnapshot:
    """The snapshot if ``user`` administers its project; hidden like a project otherwise."""
    snapshot = snapshots_with_reuse(DatasetSnapshot.objects.select_related("created_by")).filter(pk=snapshot_id).first()
    if snapshot is None:
        raise NotFound("snapshot not found")
    access_project(user, snapshot.project_id, admin=True)
    return snapshot


urlpatterns = [
    path("projects/<int:project_id>/export/", ExportView.as_view(), name="project-export"),
    path("projects/<int:project_id>/snapshots/", SnapshotListView.as_view(), name="project-snapshots"),
    path("snapshots/<int:snapshot_id>/", SnapshotDetailView.as_view(), name="snapshot-detail"),
]

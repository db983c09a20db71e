"""Projects, members and imports."""

from django.conf import settings
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling.access import access_project, require_project_creator
from labeling.imports.formats import PARSERS
from labeling.imports.gzipped import plain_upload
from labeling.imports.queued import import_inline, import_lines_read, import_queue
from labeling.imports.services import import_file
from labeling.models import DataImport, Membership, Project, Role
from labeling.projects.selectors import (
    import_list,
    membership_list,
    project_list_for,
    project_role,
)
from labeling.projects.services import (
    SETTING_RANGES,
    membership_change,
    membership_remove,
    membership_set,
    project_create,
    project_update,
)
from labeling.rankings import LETTERS


class SettingField(serializers.IntegerField):
    """A numeric setting documented with its range; the services check it (a 400 naming the field
    and the range), so the serializer declares the range to the schema only."""

    def __init__(self, low: int, high: int, **kwargs):
        super().__init__(**kwargs)
        extend_schema_field({"type": "integer", "minimum": low, "maximum": high})(self)


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    overlap = SettingField(
        *SETTING_RANGES["overlap"][:2], required=False, help_text=Project._meta.get_field("overlap").help_text
    )
    lease_minutes = SettingField(
        *SETTING_RANGES["lease_minutes"][:2], required=False,
        help_text="How long a lease holds a comparison, in minutes (a week at most).",
    )
    responses_per_comparison = SettingField(
        2, len(LETTERS), required=False, help_text=Project._meta.get_field("responses_per_comparison").help_text
    )

    class Meta:
        model = Project
        fields = [
            "id", "slug", "name", "guidelines", "task_type", "responses_per_comparison", "overlap",
            "allow_ties", "strength_scale", "criteria", "lease_minutes", "gold_rate",
            "collect_demonstrations", "judge_priority", "created_at", "role",
        ]
        read_only_fields = ["id", "created_at", "role"]

    def get_role(self, project) -> str:
        return project_role(self.context["request"].user, project)


class ProjectListView(APIView):
    @extend_schema(responses=ProjectSerializer(many=True))
    def get(self, request):
        projects = project_list_for(request.user)
        return Response(ProjectSerializer(projects, many=True, context={"request": request}).data)

    @extend_schema(request=ProjectSerializer, responses={201: ProjectSerializer})
    def post(self, request):
        require_project_creator(request.user)
        data = ProjectSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        project = project_create(created_by=request.user, **data.validated_data)
        return Response(ProjectSerializer(project, context={"request": request}).data, status=201)


class ProjectDetailView(APIView):
    @extend_schema(responses=ProjectSerializer)
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id)
        return Response(ProjectSerializer(project, context={"request": request}).data)

    @extend_schema(request=ProjectSerializer, responses=ProjectSerializer)
    def patch(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        data = ProjectSerializer(project, data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        project = project_update(project=project, **data.validated_data)
        return Response(ProjectSerializer(project, context={"request": request}).data)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]
        read_only_fields = ["created_at"]


class MemberListView(APIView):
    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        return Response(MembershipSerializer(membership_list(project), many=True).data)

    @extend_schema(request=MembershipSerializer, responses={201: MembershipSerializer})
    def post(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        data = MembershipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_set(
            project=project, username=data.validated_data["user"]["username"], role=data.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data, status=201)


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MemberDetailView(APIView):
    """One member: change their role or remove them (admins only; never the last admin)."""

    @extend_schema(request=MemberRoleSerializer, responses=MembershipSerializer)
    def patch(self, request, project_id: int, username: str):
        project = access_project(request.user, project_id, admin=True)
        data = MemberRoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_change(project=project, username=username, role=data.validated_data["role"])
        return Response(MembershipSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id: int, username: str):
        project = access_project(request.user, project_id, admin=True)
        membership_remove(project=project, username=username)
        return Response(status=204)


class DataImportSerializer(serializers.ModelSerializer):
    lines_read = serializers.SerializerMethodField()

    class Meta:
        model = DataImport
        fields = [
            "id", "format", "file_name", "file_sha256", "with_labels", "counts", "skipped", "created_at",
            "status", "lines_read", "error", "finished_at",
        ]

    def get_lines_read(self, row) -> int:
        return import_lines_read(row)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=sorted(PARSERS))
    with_labels = serializers.BooleanField(default=False)


class ImportListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=DataImportSerializer(many=True))
    def get(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        return Response(DataImportSerializer(import_list(project), many=True).data)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: DataImportSerializer, 202: DataImportSerializer},
        description="A file up to IMPORT_INLINE_MAX_MB is imported in the request (201); a larger one is "
        "queued for a worker (202, status 'queued'): poll the list for its status and lines_read. A gzipped "
        "file is read as the JSONL inside it; its sizes, and MAX_UPLOAD_MB (413), are those of that JSONL.",
    )
    def post(self, request, project_id: int):
        project = access_project(request.user, project_id, admin=True)
        # Refuse by the declared length first, before the body is read and spooled to disk.
        if _declared_length(request) > settings.MAX_UPLOAD_MB * 1024 * 1024:
            return _too_large()
        data = ImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.MAX_UPLOAD_MB * 1024 * 1024:
            return _too_large()
        options = {"format": data.validated_data["format"], "with_labels": data.validated_data["with_labels"]}
        # a gzip is decompressed first: inline or queued, and the limit, go by the data inside
        with plain_upload(upload, settings.MAX_UPLOAD_MB) as upload:
            if not import_inline(upload.size):
                queued = import_queue(project=project, upload=upload, user=request.user, **options)
                return Response(DataImportSerializer(queued).data, status=202)
            result = import_file(project=project, lines=upload, file_name=upload.name, user=request.user, **options)
        return Response(DataImportSerializer(result).data, status=201)


def _too_large() -> Response:
    return Response(
        {"detail": f"file is larger than the {settings.MAX_UPLOAD_MB} MB limit"},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # a malformed header: Django reads no body then
        return 0


urlpatterns = [
    path("projects/", ProjectListView.as_view(), name="project-list"),
    path("projects/<int:project_id>/", ProjectDetailView.as_view(), name="project-detail"),
    path("projects/<int:project_id>/members/", MemberListView.as_view(), name="project-members"),
    path("projects/<int:project_id>/members/<str:username>/", MemberDetailView.as_view(), name="project-member"),
    path("projects/<int:project_id>/imports/", ImportListView.as_view(), name="project-imports"),
]

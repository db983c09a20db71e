from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

from labeling import models


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "task_type", "responses_per_comparison", "overlap", "gold_rate"]
    search_fields = ["slug", "name"]
    inlines = [MembershipInline]


@admin.register(models.Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "external_id", "created_at"]
    list_filter = ["project"]
    search_fields = ["external_id"]


@admin.register(models.Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "prompt", "model_name", "length_chars"]
    list_filter = ["project", "model_name"]
    raw_id_fields = ["prompt"]


class PositionInline(admin.TabularInline):
    model = models.ComparisonResponse
    extra = 0
    raw_id_fields = ["response"]


@admin.register(models.Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "judgment_count", "holders", "is_open", "priority", "is_gold"]
    list_filter = ["project", "is_gold", "is_open"]
    raw_id_fields = ["prompt"]
    inlines = [PositionInline]


@admin.register(models.Judgment)
class JudgmentAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "comparison", "annotator", "winner", "strength", "created_at"]
    list_filter = ["project", "winner"]
    raw_id_fields = ["comparison", "annotator"]


@admin.register(models.Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "comparison", "annotator", "state", "expires_at"]
    list_filter = ["project", "state"]
    raw_id_fields = ["comparison", "annotator"]


@admin.register(models.Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "comparison", "annotator", "reason", "resolved", "resolved_by", "created_at"]
    list_filter = ["project", "reason", "resolved"]
    raw_id_fields = ["comparison", "annotator", "resolved_by"]


@admin.register(models.Demonstration)
class DemonstrationAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "prompt", "annotator", "created_at"]
    list_filter = ["project"]
    raw_id_fields = ["prompt", "annotator"]


@admin.register(models.DataImport)
class DataImportAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "format", "file_name", "with_labels", "created_at"]
    list_filter = ["project", "format"]


@admin.register(models.DatasetSnapshot)
class DatasetSnapshotAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "format", "aggregation", "status", "sha256", "created_at"]
    list_filter = ["project", "format", "status"]


# API tokens are not in the admin: the key is the token's primary key, so DRF's admin listed every
# user's key in clear (in its links too). A token is revoked by its owner (DELETE /api/auth/token/),
# by a new password, or with the user (deactivated or deleted).
admin.site.unregister(TokenProxy)

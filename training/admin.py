from django.contrib import admin

from training import models


@admin.register(models.TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "stage", "status", "progress_step", "progress_total", "created_at"]
    list_filter = ["project", "stage", "status"]


@admin.register(models.ModelCheckpoint)
class ModelCheckpointAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "project", "run", "created_at"]
    list_filter = ["kind", "project"]

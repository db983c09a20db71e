from django.contrib import admin

from training import models, services


@admin.register(models.TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "stage", "status", "progress_step", "progress_total", "attempts", "created_at"]
    list_filter = ["project", "stage", "status"]
    actions = ["cancel_runs"]

    @admin.action(description="Cancel the selected runs (queued: at once; running: at their next step)")
    def cancel_runs(self, request, queryset):
        unfinished = list(queryset.exclude(status__in=models.FINISHED_STATUSES))
        for run in unfinished:
            services.training_run_cancel(run=run)
        self.message_user(request, f"Cancelled {len(unfinished)} run(s); finished runs were left as they were.")


@admin.register(models.ModelCheckpoint)
class ModelCheckpointAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "kind", "project", "run", "created_at"]
    list_filter = ["kind", "project"]

"""Reads for the training API and dashboard."""

from django.db.models import QuerySet

from labeling.access import access_project
from labeling.errors import NotFound
from labeling.projects.selectors import project_list_for
from training.models import ModelCheckpoint, RunMetric, RunSample, TrainingRun


def run_list_for(user, project_id=None) -> QuerySet[TrainingRun]:
    runs = TrainingRun.objects.select_related("project", "base_checkpoint", "snapshot")
    if project_id is not None:
        return runs.filter(project=access_project(user, project_id, admin=True))
    admin_projects = project_list_for(user) if user.is_superuser else project_list_for(user).filter(
        memberships__user=user, memberships__role="admin"
    )
    return runs.filter(project__in=admin_projects)


def access_run(user, run_id) -> TrainingRun:
    """The run if ``user`` administers its project (else not found)."""
    run = TrainingRun.objects.select_related("project").filter(pk=run_id).first()
    if run is None:
        raise NotFound("training run not found")
    access_project(user, run.project_id, admin=True)
    return run


def access_run_to_cancel(user, run_id) -> TrainingRun:
    """The run if ``user`` may cancel it: its project's admins, and site staff for any run (a run
    holding the GPU queue must be stoppable by whoever runs the site)."""
    if user.is_staff or user.is_superuser:
        run = TrainingRun.objects.select_related("project").filter(pk=run_id).first()
        if run is None:
            raise NotFound("training run not found")
        return run
    return access_run(user, run_id)


def run_metrics(run: TrainingRun, after_step: int = -1) -> QuerySet[RunMetric]:
    return run.metrics.filter(step__gt=after_step).order_by("step")


def run_sample_steps(run: TrainingRun) -> list[int]:
    """The steps of `run` that have shown samples, oldest first."""
    return list(run.samples.order_by("step").values_list("step", flat=True).distinct())


def run_samples_at(run: TrainingRun, step: int | None) -> tuple[int | None, QuerySet[RunSample]]:
    """(step, its samples): `step`'s, or the newest step's when `step` is None (None, none: no samples)."""
    if step is None:
        step = run.samples.order_by("-step").values_list("step", flat=True).first()
    return step, run.samples.filter(step=step).order_by("index")


def checkpoint_list_for(user, project_id) -> QuerySet[ModelCheckpoint]:
    project = access_project(user, project_id, admin=True)
    return ModelCheckpoint.objects.filter(project=project).select_related("run").order_by("-created_at")


def access_checkpoint(user, checkpoint_id, project) -> ModelCheckpoint:
    checkpoint = ModelCheckpoint.objects.filter(pk=checkpoint_id, project=project).first()
    if checkpoint is None:
        raise NotFound(f"checkpoint {checkpoint_id} not found in this project")
    return checkpoint

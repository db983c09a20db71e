"""Celery tasks for labeling: ids in, one service call each, all on the ``default`` queue."""

from celery import shared_task

from labeling.exports import snapshots
from labeling.imports import queued as imports
from labeling.stats import services as stats


@shared_task(name="labeling.tasks.project_stats_recompute", ignore_result=True)
def project_stats_recompute(project_id: int) -> bool:
    """Recompute and cache the project's stats if they are still out of date."""
    return stats.project_stats_refresh(project_id)


@shared_task(name="labeling.tasks.snapshot_build", ignore_result=True)
def snapshot_build(snapshot_id: int) -> bool:
    """Write a dataset snapshot the API stored as pending (claimed by its row: safe to run twice)."""
    return snapshots.snapshot_build(snapshot_id=snapshot_id)


@shared_task(name="labeling.tasks.snapshots_reap", ignore_result=True)
def snapshots_reap() -> list[int]:
    """Fail snapshots whose worker died or never came (beat)."""
    return snapshots.snapshots_reap()


@shared_task(name="labeling.tasks.import_run", ignore_result=True)
def import_run(import_id: int) -> bool:
    """Import an upload the API stored as queued (claimed by its row: safe to run twice)."""
    return imports.import_run(import_id)


@shared_task(name="labeling.tasks.imports_reap", ignore_result=True)
def imports_reap() -> list[int]:
    """Fail imports whose worker died or never came (beat)."""
    return imports.imports_reap()

"""Celery tasks for labeling: ids in, one service call each, all on the ``default`` queue."""

from celery import shared_task

from labeling.services import stats


@shared_task(name="labeling.tasks.project_stats_recompute", ignore_result=True)
def project_stats_recompute(project_id: int) -> bool:
    """Recompute and cache the project's stats if they are still out of date."""
    return stats.project_stats_refresh(project_id)

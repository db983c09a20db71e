"""Celery tasks: ids in, one service call each. ``run_training`` is routed to the ``gpu`` queue
(settings.CELERY_TASK_ROUTES); the rest run on ``default``."""

from celery import shared_task

from training import runner, services


@shared_task(
    name="training.tasks.run_training",
    acks_late=True,  # a worker lost mid-run leaves the message for another (it finds the run claimed)
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_training(run_id: int) -> str:
    return runner.execute_run(run_id, worker=run_training.request.hostname or "worker")


@shared_task(
    name="training.tasks.run_training_part", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def run_training_part(run_id: int, attempt: int, part: int) -> str:
    """One machine's share of a run on several machines (sent by the worker of part 0)."""
    from training.jobs import execute_part

    return execute_part(run_id, attempt, part)


@shared_task(name="training.tasks.reap_stale_runs")
def reap_stale_runs() -> list[int]:
    return services.training_runs_reap()


@shared_task(name="training.tasks.dispatch_pending_runs")
def dispatch_pending_runs() -> int:
    return services.dispatch_pending_runs()


@shared_task(name="training.tasks.check_retrain_policies")
def check_retrain_policies() -> list[int]:
    from training.active_learning import retrain_policies_check

    return retrain_policies_check()


@shared_task(name="training.tasks.score_comparison_priorities", acks_late=True, ignore_result=True)
def score_comparison_priorities(checkpoint_id: int) -> int:
    from training.active_learning import comparison_priorities_update
    from training.models import ModelCheckpoint

    checkpoint = ModelCheckpoint.objects.select_related("project").filter(pk=checkpoint_id).first()
    if checkpoint is None or checkpoint.project is None:
        return 0
    return comparison_priorities_update(project=checkpoint.project, checkpoint=checkpoint)

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


@shared_task(name="training.tasks.reap_stale_runs")
def reap_stale_runs() -> list[int]:
    return services.training_runs_reap()


@shared_task(name="training.tasks.dispatch_pending_runs")
def dispatch_pending_runs() -> int:
    return services.dispatch_pending_runs()

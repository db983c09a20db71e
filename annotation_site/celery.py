"""The Celery app: a `default` queue for bookkeeping (stats, imports) and a `gpu` queue for training."""

import logging
import os

from celery import Celery
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")

app = Celery("annotation_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


def celery_send(task, object_id: int, what: str) -> str | None:
    """Send the Celery ``task`` for ``object_id`` once: a web request never waits out kombu's
    retries against a broker that is down. None when the broker took it, else why not (also
    logged), for the caller to fail the object or leave it for a later dispatch."""
    try:
        task.apply_async(args=[object_id], retry=False)
    except OperationalError as exc:
        log.warning("broker unavailable, %s %s not queued: %s", what, object_id, exc)
        return f"could not queue the {what} (broker unavailable): {exc}"
    return None

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
    logged), for the caller to fail the object or leave it for a later dispatch.

    ``retry=False`` covers the publish only: connecting goes through kombu's ``ensure_connection``,
    which retried a refused connection for about 6 s (its connect timeout). A connection of its own
    with ``max_retries`` 0 tries once; these sends are rare (a run, a snapshot, a queued import),
    so the connection the pool would have kept is not missed."""
    try:
        with app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            task.apply_async(args=[object_id], retry=False, connection=connection)
    except OperationalError as exc:
        log.warning("broker unavailable, %s %s not queued: %s", what, object_id, exc)
        return f"could not queue the {what} (broker unavailable): {exc}"
    return None

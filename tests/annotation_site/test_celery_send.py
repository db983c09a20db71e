"""``celery_send`` against a real broker address: a broker that refuses is tried once, so a web
request that starts a run, a snapshot or a queued import answers at once instead of waiting out
kombu's connection retries (about 6 s, three connection attempts, before)."""

import socket

import pytest
import redis.connection

from annotation_site.celery import app, celery_send
from training.tasks import run_training


@pytest.fixture
def refused_broker(monkeypatch):
    """A Redis URL on a port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(app.conf, "broker_write_url", f"redis://127.0.0.1:{port}/0")


def test_a_refused_broker_is_tried_once_and_the_reason_returned(refused_broker, monkeypatch):
    attempts = []
    connect = redis.connection.Connection._connect
    monkeypatch.setattr(redis.connection.Connection, "_connect", lambda self: attempts.append(1) or connect(self))
    why = celery_send(run_training, 7, "run")
    assert why is not None and why.startswith("could not queue the run (broker unavailable)")
    assert "Connection refused" in why
    assert len(attempts) == 1

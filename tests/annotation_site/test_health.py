"""``/healthz`` tells anonymous callers whether the service is up, and nothing else."""

import logging

import pytest
from django.db import OperationalError

from annotation_site import health


class _BrokenCursor:
    def __enter__(self):
        raise OperationalError('connection to server at "db.internal" (10.0.0.7), port 5432 failed: password for user "studio"')

    def __exit__(self, *exc):
        return False


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_hides_database_error_text_from_callers(client, monkeypatch, caplog):
    monkeypatch.setattr(health.connection, "cursor", lambda: _BrokenCursor())
    with caplog.at_level(logging.ERROR, logger="annotation_site.health"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "db.internal" not in response.content.decode()
    assert "db.internal" in caplog.text  # the operator still finds it in the log

"""``/healthz`` tells anonymous callers whether the service is up, and nothing else."""

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import OperationalError
from django.test import override_settings

from annotation_site import health
from tests.reliability.servers import ROOT, free_port, wait_until


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


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["studio.example.org"], SECURE_SSL_REDIRECT=True)
def test_healthz_answers_a_local_probe_whatever_its_host_and_without_the_https_redirect(client):
    """The probe asks over plain HTTP at 127.0.0.1: not a host production allows (a 400) and
    not HTTPS (a 301 it cannot follow)."""
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # Only the probe: every other path still validates the host and redirects to HTTPS.
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/login/", HTTP_HOST="studio.example.org").status_code == 301


def test_the_compose_web_health_check_passes_against_the_compose_web_command(tmp_path):
    """What Docker runs, with production settings: compose's web command serves, and compose's
    health check command, run beside it, exits 0 (it got 400 DisallowedHost, or with 127.0.0.1
    allowed a redirect to https it could not follow)."""
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    port = free_port()
    command = [str(Path(sys.executable).parent / web["command"][0]),
               *[arg.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for arg in web["command"][1:]]]
    kind, *probe = web["healthcheck"]["test"]
    assert kind == "CMD" and probe[0] == "python"
    probe = [sys.executable, *[arg.replace(":8000", f":{port}") for arg in probe[1:]]]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH"}}
    env.update(DEBUG="0", SECRET_KEY="x" * 20 + "k9#Lm2$pQ7zR4vT8wY1uI6oP3aS5dF0gH", ALLOWED_HOSTS="studio.example.org",
               VAR_DIR=str(tmp_path), WEB_WORKERS="1", WEB_THREADS="2", LOG_LEVEL="WARNING")
    with open(tmp_path / "web.log", "w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: _listening(port) or server.poll() is not None, 60, "the web command to listen")
            assert server.poll() is None, (tmp_path / "web.log").read_text()[-3000:]
            result = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=web_timeout(web))
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert result.returncode == 0, result.stderr[-2000:] + (tmp_path / "web.log").read_text()[-2000:]


def web_timeout(web: dict) -> int:
    return int(web["healthcheck"]["timeout"].rstrip("s"))


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0

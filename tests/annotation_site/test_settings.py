"""Settings come from the environment; production refuses to start without a secret key."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured
from jsonschema import Draft201909Validator

from annotation_site.env import env_bool, env_list

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    dropped = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by browser tests
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = manage("check", DEBUG="0", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_check_deploy_with_production_settings_is_clean(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x" * 20 + "k9#Lm2$pQ7zR4vT8wY1uI6oP3aS5dF0gH", ALLOWED_HOSTS="studio.example.org",
        VAR_DIR=str(tmp_path), MODEL_ROOTS="/data/models",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_any_path_may_be_a_base_model(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x" * 20 + "k9#Lm2$pQ7zR4vT8wY1uI6oP3aS5dF0gH", ALLOWED_HOSTS="studio.example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0 and "training.W001" in result.stderr + result.stdout


def test_debug_mode_generates_and_keeps_a_random_secret_key(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = manage("shell", "-c", code, DEBUG="1", VAR_DIR=str(tmp_path)).stdout.strip()
    second = manage("shell", "-c", code, DEBUG="1", VAR_DIR=str(tmp_path)).stdout.strip()
    assert len(first) > 40 and first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        env_bool("DEBUG")


def test_list_setting_splits_on_commas(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example,")
    assert env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_docker_compose_file_matches_the_compose_specification():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    schema = yaml.safe_load((ROOT / "tests" / "data" / "compose_spec.json").read_text())
    errors = sorted(Draft201909Validator(schema).iter_errors(compose), key=str)
    assert not errors, [e.message for e in errors]
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "gpu-worker"} <= set(services)
    gpu = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]
    assert "-Q" in services["gpu-worker"]["command"] and "gpu" in services["gpu-worker"]["command"]
    assert all("healthcheck" in services[name] for name in ("db", "redis", "web"))


SQLITE_PROBE = """
import json
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    pragmas = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("journal_mode", "busy_timeout")}
db = settings.DATABASES["default"]
print(json.dumps({"options": db["OPTIONS"], "conn_max_age": db["CONN_MAX_AGE"], "pragmas": pragmas}))
"""


def test_sqlite_chosen_by_database_url_gets_the_default_files_tuning(tmp_path):
    """WAL, IMMEDIATE transactions and a 30 s busy timeout: without them, a worker and the web
    process writing at once failed with 'database is locked'."""
    default = manage("shell", "-c", SQLITE_PROBE, VAR_DIR=str(tmp_path))
    by_url = manage("shell", "-c", SQLITE_PROBE, VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3")
    assert default.returncode == 0 and by_url.returncode == 0, default.stderr + by_url.stderr
    tuned = json.loads(by_url.stdout.splitlines()[-1])  # the shell first says what it imported
    assert tuned == json.loads(default.stdout.splitlines()[-1])
    assert tuned["options"]["transaction_mode"] == "IMMEDIATE"
    assert tuned["pragmas"] == {"journal_mode": "wal", "busy_timeout": 30000}
    assert (tmp_path / "other.sqlite3").exists()


@pytest.mark.parametrize("debug", ["1", "0"])
def test_a_client_error_is_logged_once_and_no_start_warns_of_a_missing_host(tmp_path, debug):
    """A 404 is one log line in development and in production (DEBUG printed it twice: Django's
    console handler and the root's), and the embedded broker names its host (kombu warned "No
    hostname was supplied" at every start)."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from annotation_site.celery import app\n"
        "with app.connection_for_write() as c: c.ensure_connection(max_retries=1); c.info()  # what a worker prints\n"
        "assert Client().get('/no-such-page-x/', secure=True).status_code == 404\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    env.update(DEBUG=debug, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="annotation_site.settings",
               SECRET_KEY="x" * 20 + "k9#Lm2$pQ7zR4vT8wY1uI6oP3aS5dF0gH", ALLOWED_HOSTS="testserver")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /no-such-page-x/") == 1, result.stderr
    assert "No hostname was supplied" not in result.stderr

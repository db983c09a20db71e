"""Settings come from the environment; production refuses to start without a secret key."""

import ast
import json
import os
import re
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
import ast
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


# --- deployment: each setting fails at startup, naming the variable, not as a 500 later --------
PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x" * 20 + "k9#Lm2$pQ7zR4vT8wY1uI6oP3aS5dF0gH",
              "ALLOWED_HOSTS": "studio.example.org"}


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        # Every failed login was a 500 (DRF's throttle parses the rate on each one).
        ("LOGIN_THROTTLE_RATE", "ten", "LOGIN_THROTTLE_RATE='ten' is not a rate"),
        ("LOGIN_THROTTLE_RATE", "10/fortnight", "LOGIN_THROTTLE_RATE='10/fortnight' is not a rate"),
        # Every login was a 500 (the throttle's cache is Redis).
        ("REDIS_URL", "redis.internal:6379/0", "REDIS_URL must be a URL starting with redis:// or rediss://"),
        ("CELERY_BROKER_URL", "redis.internal:6379/0", "CELERY_BROKER_URL must be a URL starting with"),
        # Every process died with "Unable to configure root logger", naming nothing.
        ("LOG_LEVEL", "verbose", "LOG_LEVEL='verbose' is not a log level"),
        # dj_database_url's ParseError named no variable; a base64 password holds / + =.
        ("DATABASE_URL", "postgres://studio:aB3/x+Yz==@db:5432/studio", "DATABASE_URL is not a database URL"),
        ("DATABASE_URL", "db.internal:5432/studio", "DATABASE_URL is not a database URL"),
    ],
)
def test_a_malformed_setting_stops_the_start_naming_the_variable(tmp_path, variable, value, said):
    result = manage("check", VAR_DIR=str(tmp_path), **PRODUCTION, **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and said in result.stderr, result.stderr[-2000:]
    if variable.endswith("_URL"):  # a URL may hold a password: it is never echoed
        assert value not in result.stderr


def test_a_percent_encoded_database_password_is_accepted(tmp_path):
    code = "from django.conf import settings; print(settings.DATABASES['default']['PASSWORD'])"
    result = manage("shell", "-c", code, VAR_DIR=str(tmp_path), **PRODUCTION,
                    DATABASE_URL="postgres://studio:aB3%2Fx%2BYz%3D%3D@db:5432/studio")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "aB3/x+Yz=="


@pytest.mark.parametrize("value", ["debug", "Warning", " info "])
def test_log_level_is_read_whatever_its_case(tmp_path, value):
    code = "import logging; print(logging.getLevelName(logging.getLogger().level))"
    result = manage("shell", "-c", code, VAR_DIR=str(tmp_path), LOG_LEVEL=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == value.strip().upper()


@pytest.mark.parametrize("value", ["10/min", "5/minute", "100/day", "3/s", "20/hour"])
def test_login_throttle_rates_drf_reads_are_accepted(monkeypatch, value):
    from annotation_site.env import env_rate

    monkeypatch.setenv("LOGIN_THROTTLE_RATE", value)
    assert env_rate("LOGIN_THROTTLE_RATE", "10/min") == value


def test_log_lines_say_when_how_bad_and_where_and_a_bad_host_is_one_line(tmp_path):
    """A log line carries its time, level and logger ("Bad Request: /api/auth/token/" alone said
    none), and a request for a host not in ALLOWED_HOSTS (scanners send them all day) logs one
    line, not a traceback."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "assert Client().get('/login/', secure=True, HTTP_HOST='scanner.invalid').status_code == 400\n"
        "assert Client().get('/no-such-page-x/', secure=True, HTTP_HOST='studio.example.org').status_code == 404\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "LOG_LEVEL"}}
    env.update(PRODUCTION, VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="annotation_site.settings")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    host_lines = [line for line in lines if "scanner.invalid" in line]
    assert len(host_lines) == 1, result.stderr
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR django\.security\.DisallowedHost: Invalid HTTP_HOST",
                    host_lines[0]), host_lines
    (not_found,) = [line for line in lines if "Not Found: /no-such-page-x/" in line]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING django\.request: Not Found", not_found)


def _env_reads(path: Path) -> set[str]:
    """The variables a module reads through ``annotation_site.env``'s readers."""
    tree = ast.parse(path.read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("env_")
        and node.args and isinstance(node.args[0], ast.Constant)
    }


def test_env_example_lists_every_variable_the_settings_read():
    """``.env.example`` says it lists every setting the app reads: hold it to that."""
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read = _env_reads(ROOT / "annotation_site" / "settings.py") | _env_reads(ROOT / "annotation_site" / "gunicorn.conf.py")
    assert len(read) > 30  # the parse found the readers
    assert read - listed == set()


def test_static_root_is_its_own_setting_and_is_what_production_serves(tmp_path):
    """Static files collected into ``STATIC_ROOT`` at build time are served by a process whose
    ``VAR_DIR`` is elsewhere (the compose volume): whitenoise serves only ``STATIC_ROOT`` when
    DEBUG is off, and it was ``VAR_DIR/static``, an empty folder on the volume."""
    static = tmp_path / "image-static"
    collected = manage("collectstatic", "--noinput", "-v0", **PRODUCTION, VAR_DIR=str(tmp_path / "build-var"),
                       STATIC_ROOT=str(static))
    assert collected.returncode == 0, collected.stderr
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.test import Client\n"
        "print(settings.STATIC_ROOT)\n"
        "print(Client().get('/static/admin/css/base.css', secure=True, HTTP_HOST='studio.example.org').status_code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    env.update(PRODUCTION, VAR_DIR=str(tmp_path / "volume-var"), STATIC_ROOT=str(static),
               DJANGO_SETTINGS_MODULE="annotation_site.settings")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(static), "200"]


# --- the compose deployment and the image ------------------------------------------------------
def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _dockerfile_final_stage() -> list[str]:
    """The last stage's instructions, one per entry, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().split("\nFROM ")[-1].replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _image_env_at(instruction_prefix: str) -> tuple[dict[str, str], str]:
    """The image's ENV in force when the first instruction starting with the prefix runs, and it."""
    env: dict[str, str] = {}
    for line in _dockerfile_final_stage():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
        elif line.startswith(instruction_prefix):
            return env, line
    raise AssertionError(f"no {instruction_prefix!r} in the Dockerfile's last stage")


def test_the_image_collects_static_files_where_the_compose_services_serve_them_from():
    build_env, collect = _image_env_at("RUN SECRET_KEY=build-only python manage.py collectstatic")
    collect_env = {**build_env, **dict(re.findall(r"(\w+)=(\S+)", collect.split("python")[0]))}
    compose = _compose()
    for name in ("web", "worker", "gpu-worker", "migrate"):
        service_env = {**build_env, **compose["services"][name].get("environment", {})}
        assert service_env.get("STATIC_ROOT") == collect_env.get("STATIC_ROOT"), name
    static_root = collect_env.get("STATIC_ROOT", "")
    assert static_root.startswith("/"), "STATIC_ROOT must be set, absolute, before collectstatic"
    mounts = [volume.split(":")[1] for volume in compose["services"]["web"].get("volumes", [])]
    assert not any(static_root.startswith(mount) for mount in mounts), "a volume would hide the collected files"


def test_the_app_services_start_after_the_migration_job_succeeded():
    services = _compose()["services"]
    for name in ("web", "worker", "gpu-worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy", name
    assert "migrate" not in services["migrate"]["depends_on"]


def test_celery_beat_writes_its_schedule_in_the_writable_var_dir():
    """The container user cannot write /app: beat's default ``celerybeat-schedule`` there failed."""
    services = _compose()["services"]
    command = services["worker"]["command"]
    assert "-B" in command or "--beat" in command
    schedule = command[command.index("--schedule") + 1]
    var_dir = services["worker"]["environment"]["VAR_DIR"]
    assert schedule.startswith(var_dir.rstrip("/") + "/"), schedule
    assert "-B" not in services["gpu-worker"]["command"]  # one beat only


def test_compose_web_runs_gunicorn_with_the_shared_config(tmp_path):
    """WEB_WORKERS / WEB_THREADS (README) act in production: compose runs the same gunicorn
    config as ``scripts/serve.sh``, not flags of its own."""
    services = _compose()["services"]
    command = services["web"]["command"]
    assert command[command.index("-c") + 1] == "annotation_site/gunicorn.conf.py"
    assert not {"--workers", "-w", "--threads", "--timeout"} & set(command)
    assert "annotation_site/gunicorn.conf.py" in (ROOT / "scripts" / "serve.sh").read_text()
    _, cmd = _image_env_at("CMD ")
    assert "annotation_site/gunicorn.conf.py" in cmd  # `docker run` of the image too
    gunicorn = Path(sys.executable).parent / "gunicorn"
    printed = subprocess.run([str(gunicorn), *command[1:], "--print-config"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "WEB_WORKERS": "3", "WEB_THREADS": "5"}, timeout=60)
    assert printed.returncode == 0, printed.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", printed.stdout, re.MULTILINE))
    assert (config["workers"], config["threads"], config["bind"]) == ("3", "5", "['0.0.0.0:8000']")


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        # A gunicorn master with no workers started and served nothing.
        ("WEB_WORKERS", "0", "WEB_WORKERS='0' must be an integer of at least 1"),
        ("WEB_WORKERS", "-2", "WEB_WORKERS='-2' must be an integer of at least 1"),
        ("WEB_WORKERS", "two", "WEB_WORKERS='two' is not an integer"),
        ("WEB_THREADS", "0", "WEB_THREADS='0' must be an integer of at least 1"),
        ("WEB_THREADS", "-1", "WEB_THREADS='-1' must be an integer of at least 1"),
    ],
)
def test_gunicorn_refuses_to_start_without_workers_or_threads_naming_the_variable(variable, value, said):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    printed = subprocess.run([str(gunicorn), "-c", "annotation_site/gunicorn.conf.py", "--print-config"], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, variable: value}, timeout=60)
    assert printed.returncode != 0
    assert said in printed.stderr, printed.stderr[-2000:]


def test_workers_get_time_to_finish_a_task_before_docker_kills_them():
    """Docker's default is 10 s; a worker's warm shutdown waits for its task to end, gunicorn's
    for its requests in flight (docs/reliability.md, "Upgrading")."""
    services = _compose()["services"]
    for name in ("worker", "gpu-worker"):
        grace = services[name]["stop_grace_period"]
        minutes, seconds = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", grace).groups()
        assert 60 <= int(minutes or 0) * 60 + int(seconds or 0) <= 600, (name, grace)
    graceful = re.search(r"^graceful_timeout = (\d+)", (ROOT / "annotation_site" / "gunicorn.conf.py").read_text(), re.MULTILINE)
    web_grace = re.fullmatch(r"(\d+)s", services["web"]["stop_grace_period"]).group(1)
    assert int(web_grace) > int(graceful.group(1))  # gunicorn's own graceful stop ends first

"""The one-command setup's web server (``scripts/serve.sh``, what ``scripts/demo.sh`` runs) on
PostgreSQL: twenty annotators at once, through many more requests than PostgreSQL has
connections, get no server error, and the server holds no more database connections than its
workers x threads. Under ``manage.py runserver`` every client connection kept a database
connection of its own: three annotators exhausted PostgreSQL's 100 within a minute."""

import os
import subprocess
import sys
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from tests.reliability.annotators import populate
from tests.reliability.servers import ROOT, call, free_port, manage, private_postgres, wait_until

CLIENTS = 20
ROUNDS = 8  # next-task + submit per round: 320 requests over 20 clients
MAX_CONNECTIONS = 12  # PostgreSQL's limit here: fewer than the clients
WORKERS, THREADS = 2, 4


@pytest.fixture
def postgres_app(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs once, in the PostgreSQL pass (it starts a PostgreSQL of its own either way)")
    with private_postgres(max_connections=MAX_CONNECTIONS) as postgres:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH")}
        env.update(DATABASE_URL=postgres.url, VAR_DIR=str(tmp_path), LOG_LEVEL="WARNING",
                   WEB_WORKERS=str(WORKERS), WEB_THREADS=str(THREADS))
        manage(env, "migrate", "-v0")
        yield postgres, env


@contextmanager
def served(env: dict):
    port = free_port()
    with open(env["VAR_DIR"] + "/serve.log", "w") as log:
        server = subprocess.Popen([str(ROOT / "scripts" / "serve.sh"), f"127.0.0.1:{port}"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: _answers(port) or server.poll() is not None, 120, "scripts/serve.sh to answer")
            assert server.poll() is None, Path(log.name).read_text()[-3000:]
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        return call(port, "GET", "/healthz")[0] == 200
    except OSError:
        return False


class ConnectionWatch(threading.Thread):
    """The most client connections to the app's database seen at once, polled while the load runs."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.peak, self.stop = url, 0, threading.Event()

    def run(self):
        with psycopg2.connect(self.url) as db, db.cursor() as cursor:
            while not self.stop.wait(0.05):
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
                self.peak = max(self.peak, cursor.fetchone()[0])


def annotate(port: int, token: str, project_id: int, statuses: Counter) -> None:
    """ROUNDS of next-task and submit, each request on a new HTTP connection (as browsers spread them)."""
    for _ in range(ROUNDS):
        status, comparison = call(port, "GET", f"/api/projects/{project_id}/next-task/", token)
        statuses[status] += 1
        if status != 200:
            return
        body = {"comparison": comparison["id"], "winner": "a", "strength": 2, "client_key": uuid.uuid4().hex}
        statuses[call(port, "POST", "/api/judgments/", token, body)[0]] += 1


def test_twenty_annotators_on_postgresql_get_no_server_error_and_bounded_connections(postgres_app):
    postgres, env = postgres_app
    project_id, tokens = populate(env, clients=CLIENTS, comparisons=CLIENTS * ROUNDS)
    statuses: Counter = Counter()
    with served(env) as port:
        watch = ConnectionWatch(postgres.url)
        watch.start()
        clients = [threading.Thread(target=annotate, args=(port, token, project_id, statuses)) for token in tokens]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=600)
        watch.stop.set()
        watch.join()
    assert sum(statuses.values()) == 2 * CLIENTS * ROUNDS > MAX_CONNECTIONS
    assert set(statuses) == {200, 201}, statuses
    assert 0 < watch.peak <= WORKERS * THREADS
    assert int(postgres.query("SELECT count(*) FROM labeling_judgment")[0][0]) == CLIENTS * ROUNDS


def test_the_development_server_keeps_no_database_connection(tmp_path):
    """``manage.py runserver`` never closes a request thread's connection: it must not persist one."""
    code = ("import sys, django; sys.argv = ['manage.py', 'runserver']; django.setup(); "
            "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "annotation_site.settings", "VAR_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "0", out.stderr

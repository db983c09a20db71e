"""Faults, injected into private servers (``tests/reliability/servers.py``) so the machine's shared
PostgreSQL and Redis are never touched: Redis stopped, PostgreSQL restarted under load. The third
fault, a Celery worker killed mid-run, is tested where workers are started:
``tests/training/test_runs_integration.py::test_worker_killed_mid_run_leaves_the_run_failed_not_running``.

What each fault did is written up in ``docs/reliability.md``; run with ``-s`` to see the figures.
"""

import os
import threading
import time
import uuid
from collections import Counter

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from rest_framework.authtoken.models import Token

from labeling.models import Judgment
from tests.factories import make_comparison
from tests.reliability.annotators import RetryingAnnotator, ledger_errors_sql, populate
from tests.reliability.servers import call, gunicorn, manage, private_postgres, private_redis
from tests.workers import worker_env
from training.models import RunStatus, TrainingRun

pytestmark = pytest.mark.integration


def test_the_worker_killed_mid_run_fault_lives_with_the_worker_tests():
    from tests.training import test_runs_integration

    assert callable(test_runs_integration.test_worker_killed_mid_run_leaves_the_run_failed_not_running)


# --- Redis stopped ---------------------------------------------------------------------------------


def app_env(**extra) -> dict:
    env = {k: v for k, v in worker_env().items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return {**env, "LOG_LEVEL": "WARNING", **extra}


@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_annotation_and_login_go_on_and_a_run_waits_for_it(project, annotator, admin_user, tmp_path):
    for _ in range(4):
        make_comparison(project)
    # The server runs with the default hashers, not the tests' MD5: a PBKDF2 hash it can check (few
    # rounds). Set before the tokens are made: a new password revokes a user's tokens.
    pbkdf2 = PBKDF2PasswordHasher()
    annotator.password = pbkdf2.encode("correct-horse-battery", pbkdf2.salt(), iterations=1000)
    annotator.save(update_fields=["password"])
    annotator_token, admin_token = Token.objects.create(user=annotator).key, Token.objects.create(user=admin_user).key
    with private_redis() as redis:
        env = app_env(REDIS_URL=redis.url, VAR_DIR=str(tmp_path))
        with gunicorn(env) as port:
            assert call(port, "GET", f"/api/projects/{project.pk}/next-task/", annotator_token)[0] == 200
            redis.stop()

            timings = Timings()
            status, shown = timings.call("next-task", port, "GET", f"/api/projects/{project.pk}/next-task/", annotator_token)
            assert status == 200
            body = {"comparison": shown["id"], "winner": "a", "strength": 2, "client_key": uuid.uuid4().hex}
            assert timings.call("submit", port, "POST", "/api/judgments/", annotator_token, body)[0] == 201
            assert timings.call("next-task", port, "GET", f"/api/projects/{project.pk}/next-task/", annotator_token)[0] == 200

            # Signing in goes on too: the login throttle counts in process memory meanwhile.
            login = {"username": annotator.username, "password": "correct-horse-battery"}
            status, token = timings.call("token login", port, "POST", "/api/auth/token/", None, login)
            assert status == 200 and token["token"] == annotator_token, token

            run = {"project": project.pk, "stage": "reward", "base_model": "tiny/hub-model", "force": True}  # 1 judgment
            status, created = timings.call("start run", port, "POST", "/api/training-runs/", admin_token, run)
            assert status == 201, created
            queued = TrainingRun.objects.get(pk=created["id"])
            assert (queued.status, queued.dispatched_at) == (RunStatus.QUEUED, None)  # stored, not yet sent

            redis.start()  # the same port, empty: a broker that lost everything
            # What the beat schedule's dispatch-pending-runs does every 30 s:
            dispatched = manage(env, "shell", "-c", "from training.services import dispatch_pending_runs as d; print(d())")
            assert dispatched.strip().splitlines()[-1] == "1"
            assert redis.command("LLEN", "gpu") == "1"  # the run's task, waiting for a gpu worker
    assert Judgment.objects.filter(client_key=body["client_key"]).exists()
    queued.refresh_from_db()
    assert queued.dispatched_at is not None and queued.status == RunStatus.QUEUED
    print(f"\nredis down: {timings}")


class Timings(list):
    def call(self, name, *args, **kwargs):
        started = time.monotonic()
        try:
            return call(*args, **kwargs)
        finally:
            self.append(f"{name} {time.monotonic() - started:.2f} s")


# --- PostgreSQL restarted under load ---------------------------------------------------------------

def test_postgres_restarted_under_load_loses_and_duplicates_no_judgment(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs once, in the PostgreSQL pass (it starts a PostgreSQL of its own either way)")
    with private_postgres() as postgres:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH")}
        env.update(DATABASE_URL=postgres.url, VAR_DIR=str(tmp_path), LOG_LEVEL="ERROR")
        manage(env, "migrate", "-v0")
        # Enough work that the clients are still busy when PostgreSQL comes back; the restart waits
        # for judgments to flow rather than for a fixed time, which a faster server outran.
        project_id, tokens = populate(env, clients=4, comparisons=600)
        with gunicorn(env, workers=2) as port:
            stop = threading.Event()
            clients = [RetryingAnnotator(port, token, project_id, stop, seed) for seed, token in enumerate(tokens)]

            def acknowledged_count():
                return sum(len(c.acknowledged) for c in clients)

            for client in clients:
                client.start()
            wait_until(lambda: acknowledged_count() >= 20, seconds=60)
            before = acknowledged_count()
            restart_started = time.monotonic()
            postgres.stop("fast")  # every connection dropped, in-flight transactions rolled back
            time.sleep(2)
            postgres.start()
            restart_s = time.monotonic() - restart_started
            wait_until(lambda: acknowledged_count() >= before + 20, seconds=60)
            stop.set()
            for client in clients:
                client.join(timeout=120)
        acknowledged = {key: jid for c in clients for key, jid in c.acknowledged.items()}
        stored = dict(postgres.query("SELECT client_key, id FROM labeling_judgment"))
        failures = sum((c.failures for c in clients), Counter())
        print(f"\npostgres restart ({restart_s:.1f} s): {before} judgments before, {len(acknowledged)} after; "
              f"failed attempts, all retried: {dict(failures)}; refused: {[r for c in clients for r in c.refused]}")
        assert not any(c.is_alive() for c in clients)
        assert len(acknowledged) > before > 0
        assert {k: int(v) for k, v in stored.items()} == acknowledged  # none lost, none extra, same ids
        assert postgres.query("SELECT comparison_id, annotator_id FROM labeling_judgment GROUP BY 1, 2 HAVING count(*) > 1") == []
        assert ledger_errors_sql(postgres.query) == []
        assert [r for c in clients for r in c.refused] == []


def wait_until(condition, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {seconds} s"
        time.sleep(0.05)

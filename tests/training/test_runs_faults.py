"""A training run on a real Celery worker while its database restarts: the run must survive.

The worker and the app run against a private PostgreSQL (tests/reliability/servers.py), never the
machine's shared one. What happened is written up in docs/reliability.md; run with ``-s`` for the
figures.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.reliability.servers import ROOT, manage, private_postgres, wait_until

pytestmark = pytest.mark.integration

SETUP = """
import json
from django.contrib.auth import get_user_model
from labeling.imports.services import import_file
from labeling.models import Project
from training.services import training_run_create
user = get_user_model().objects.create_superuser("admin", "admin@example.com", "x")
project = Project.objects.create(name="blip", slug="blip")
with open({data!r}, "rb") as f:
    lines = [next(f) for _ in range(40)]
import_file(project=project, lines=lines, format="hh-rlhf", with_labels=True)
run, _ = training_run_create(project=project, stage="reward", user=user, base_model={model!r}, config=json.loads({config!r}))
print("RUN", run.pk)
"""


@pytest.fixture
def blip_env(tmp_path) -> dict:
    """The app's environment on a private PostgreSQL and a filesystem broker of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH")}
    return {**env, "VAR_DIR": str(tmp_path), "LOG_LEVEL": "INFO", "HF_HUB_OFFLINE": "1"}


def test_a_postgres_restart_during_a_training_run_does_not_fail_it(blip_env, tiny_reward_model, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("runs once, in the PostgreSQL pass (it starts a PostgreSQL of its own either way)")
    import json

    from tests.training.conftest import DEMO_HH, reward_config

    with private_postgres() as postgres:
        env = {**blip_env, "DATABASE_URL": postgres.url}
        manage(env, "migrate", "-v0")
        config = json.dumps(reward_config(max_steps=150, batch_size=2))
        out = manage(env, "shell", "-c", SETUP.format(data=str(DEMO_HH), model=tiny_reward_model, config=config))
        run_id = int(out.split("RUN")[-1])

        def row():
            sql = ("SELECT status, progress_step, progress_total, translate(left(error, 2000), E'\\n\\t', '  ') "
                   f"FROM training_trainingrun WHERE id = {run_id}")
            return dict(zip(("status", "step", "total", "error"), postgres.query(sql)[0], strict=True))

        log_path = tmp_path / "worker.log"
        with open(log_path, "w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "annotation_site", "worker", "-Q", "gpu", "-P", "solo",
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                wait_until(lambda: int(row()["step"]) >= 3, 180, "the run's third step")
                before = int(row()["step"])
                started = time.monotonic()
                postgres.stop("fast")  # every connection dropped, the worker's included
                time.sleep(2)
                postgres.start()
                restart_s = time.monotonic() - started
                wait_until(lambda: row()["status"] != "running", 300, "the run to finish")
            finally:
                worker.kill()
                worker.wait(timeout=30)
        final = row()
        worker_log = Path(log_path).read_text()
        steps = postgres.query(f"SELECT step FROM training_runmetric WHERE run_id = {run_id} ORDER BY step")
        checkpoints = postgres.query(f"SELECT path FROM training_modelcheckpoint WHERE run_id = {run_id}")
    print(f"\npostgres restart during a run ({restart_s:.1f} s) at step {before} of {final['total']}: "
          f"{final['status']}; retried writes: {worker_log.count('database unreachable')}, "
          f"failed heartbeats: {worker_log.count('heartbeat failed')}")
    assert final["status"] == "succeeded", final["error"] + worker_log[-3000:]
    assert int(final["step"]) == int(final["total"]) == 150 and before < 150
    assert [int(s) for (s,) in steps] == list(range(1, 151))  # every step's metrics, none lost
    assert len(checkpoints) == 1
    assert "database unreachable" in worker_log or "heartbeat failed" in worker_log  # the restart was felt

#!/usr/bin/env python
"""PostgreSQL restarted under annotation load, against a server you are allowed to restart.

CI runs the same fault on a private throwaway cluster (tests/reliability/test_faults.py). This
script is for a real deployment's database server, e.g. a staging machine's:

    .venv/bin/python scripts/faults/postgres_restart_under_load.py \\
        --admin-url postgres://postgres@127.0.0.1:5432 \\
        --restart "pg_ctlcluster 15 main restart" --clients 8 --seconds 20

It creates (and afterwards drops) a database ``fault_restart`` on that server, migrates and fills
it, serves it with gunicorn, runs ``--clients`` annotators that retry every failed request with the
same client_key, runs ``--restart`` halfway through, and checks that every acknowledged judgment is
stored once with the id the client was given, that nothing else was stored, and that every
comparison's counters equal its rows. NEVER point it at a server others are using: the restart
drops their connections too.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.reliability.annotators import RetryingAnnotator, ledger_errors_sql, populate  # noqa: E402
from tests.reliability.servers import gunicorn, manage  # noqa: E402

DATABASE = "fault_restart"


def psql(url: str, sql: str) -> list[tuple]:
    out = subprocess.run(["psql", url, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True)
    return [tuple(line.split("\t")) for line in out.stdout.splitlines() if line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", required=True, help="server URL without a database name")
    parser.add_argument("--restart", required=True, help="shell command that restarts that server")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--comparisons", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0, help="load before and after the restart, in all")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    url = f"{args.admin_url}/{DATABASE}"
    psql(f"{args.admin_url}/postgres", f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    psql(f"{args.admin_url}/postgres", f'CREATE DATABASE "{DATABASE}"')
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "SQLITE_PATH")}
    env.update(DATABASE_URL=url, VAR_DIR=tempfile.mkdtemp(prefix="fault-restart-"), LOG_LEVEL="ERROR")
    try:
        manage(env, "migrate", "-v0")
        project_id, tokens = populate(env, clients=args.clients, comparisons=args.comparisons)
        with gunicorn(env, workers=args.workers) as port:
            stop = threading.Event()
            clients = [RetryingAnnotator(port, token, project_id, stop, seed) for seed, token in enumerate(tokens)]
            for client in clients:
                client.start()
            time.sleep(args.seconds / 2)
            before = sum(len(c.acknowledged) for c in clients)
            started = time.monotonic()
            subprocess.run(args.restart, shell=True, check=True)
            restart_s = time.monotonic() - started
            time.sleep(args.seconds / 2)
            stop.set()
            for client in clients:
                client.join(timeout=300)
        acknowledged = {key: jid for c in clients for key, jid in c.acknowledged.items()}
        stored = {key: int(jid) for key, jid in psql(url, "SELECT client_key, id FROM labeling_judgment")}
        failures = sum((c.failures for c in clients), Counter())
        refused = [r for c in clients for r in c.refused]
        ledger = ledger_errors_sql(lambda sql: psql(url, sql))
        print(f"restart command took {restart_s:.1f} s; judgments acknowledged: {before} before it, {len(acknowledged)} in all")
        print(f"failed attempts (each retried with the same client_key): {dict(failures) or 'none'}")
        print(f"lost: {len(set(acknowledged) - set(stored))}; stored but never acknowledged: {len(set(stored) - set(acknowledged))}; "
              f"id changed: {sum(1 for k in acknowledged if k in stored and stored[k] != acknowledged[k])}")
        print(f"refused submits: {refused or 'none'}; comparisons whose counters disagree with their rows: {ledger or 'none'}")
        ok = stored == acknowledged and not refused and not ledger
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        psql(f"{args.admin_url}/postgres", f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())

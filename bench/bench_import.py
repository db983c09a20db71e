"""Import throughput: N `candidates` lines into a fresh database, wall time and peak memory.

Each backend runs in its own process (so peak RSS is the import's), on a fresh database:
    python bench/bench_import.py [--lines 100000] [--responses 2] [--repeats 3] [--backends postgresql]

On a busy machine wall time stretches with the load; the CPU seconds (the importing process's,
and its PostgreSQL backend's) do not, so compare those between versions measured in the same hour.
Wall time and lines/s are medians; "best lines/s" is the fastest run's, the nearest a busy
machine comes to a quiet one.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_postgres, median, print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def write_file(path: Path, lines: int, responses: int) -> None:
    with open(path, "w") as f:
        for i in range(lines):
            row = {
                "prompt": f"Question {i}: how would you explain topic {i % 997} to a newcomer?",
                "responses": [{"text": f"Answer {r} to question {i}. " * 8, "model": f"model-{r}"} for r in range(responses)],
                "id": f"q{i}",
            }
            f.write(json.dumps(row) + "\n")
    # A second copy of the first 1% to exercise de-duplication on the way.
    with open(path) as f:
        head = [next(f) for _ in range(max(1, lines // 100))]
    with open(path, "a") as f:
        f.writelines(head)


def child(path: str) -> None:
    """Runs in a fresh process: migrate, import, print JSON with seconds and peak RSS."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")
    django.setup()
    from django.core.management import call_command

    from labeling.imports.services import import_file
    from labeling.projects.services import project_create

    call_command("migrate", verbosity=0)
    project = project_create(slug=f"bench-{time.time_ns()}")
    start, cpu_start, server_start = time.perf_counter(), time.process_time(), server_cpu()
    with open(path, "rb") as f:
        result = import_file(project=project, lines=f, format="candidates")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    server = server_cpu() - server_start if server_start is not None else None
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "server_cpu": server, "peak_mb": peak_mb, "counts": result.counts}))


def server_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend, where it runs on this machine (else None)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            utime, stime = f.read().rsplit(")", 1)[1].split()[11:13]
    except OSError:
        return None
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


def run_once(path: Path, backend: str, pg_name: str) -> dict | None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    tmp = tempfile.mkdtemp(prefix="bench-import-")
    env["VAR_DIR"] = tmp
    env.update(DEBUG="0", SECRET_KEY="bench-only-not-secret")  # production mode: no query logging
    if backend == "postgresql":
        url = fresh_postgres(pg_name)
        if url is None:
            return None
        env["DATABASE_URL"] = url
    out = subprocess.run([sys.executable, __file__, "--child", str(path)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _server_cpu(runs: list[dict]) -> str:
    values = [r["server_cpu"] for r in runs if r.get("server_cpu") is not None]
    return f"{median(values):.2f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--responses", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pg-name", default="bench_import", help="PostgreSQL database to (re)create.")
    parser.add_argument("--backends", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql.")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candidates.jsonl"
        write_file(path, args.lines, args.responses)
        total = len(path.read_bytes().splitlines())
        rows = []
        for backend in args.backends.split(","):
            runs = [r for r in (run_once(path, backend, args.pg_name) for _ in range(args.repeats)) if r]
            if not runs:
                rows.append([backend, total, "unavailable", "", "", "", "", "", ""])
                continue
            secs = median([r["seconds"] for r in runs])
            best = min(r["seconds"] for r in runs)
            rows.append([
                backend, total, f"{secs:.2f}", f"{total / secs:,.0f}", f"{total / best:,.0f}",
                f"{median([r['cpu'] for r in runs]):.2f}", _server_cpu(runs),
                f"{median([r['peak_mb'] for r in runs]):.0f}", runs[0]["counts"]["comparisons"],
            ])
    print_table(
        f"Import of {args.lines:,} candidates lines (+1% duplicates), {args.responses} responses each; median of {args.repeats}",
        ["backend", "lines", "seconds", "lines/s", "best lines/s", "client CPU s", "server CPU s", "peak RSS MB",
         "comparisons"],
        rows,
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (wall time stretches with the machine's load;"
          " client CPU s is the importing process's own CPU time (SQLite's work included), server CPU s its"
          " PostgreSQL backend's)")
    print("target: >= 8,000 lines/s at 10k and 100k lines, < 500 MB; Label Studio 1.23.2: 5,278 tasks/s at 10k")


if __name__ == "__main__":
    main()

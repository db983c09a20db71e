"""Shared bits for the benchmarks: machine description, fresh databases, table printing."""

import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

# The checkout this bench lives in comes first on the path, before an editable install's (which
# points at whichever checkout ran the setup): a bench run from a worktree of an older revision,
# for a same-hour comparison, measures that revision's code, in its children too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model or platform.processor()}, Python {platform.python_version()}"


def fresh_postgres(name: str) -> str | None:
    """Drop and create database ``name``; its URL, or None when PostgreSQL is not reachable."""
    sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE); CREATE DATABASE "{name}";'
    try:
        for statement in sql.split(";")[:2]:
            subprocess.run(["psql", PG_ADMIN_URL + "/postgres", "-qc", statement], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{PG_ADMIN_URL}/{name}"


def median(values) -> float:
    return statistics.median(values)


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    print(f"\n{title}\nmachine: {machine()}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))

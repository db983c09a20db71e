"""Export throughput: time and peak memory to export N judgments (default 1M) as JSONL.

The data (N/overlap pairwise comparisons, ``overlap`` judgments each) is written once per backend
with bulk inserts (COPY on PostgreSQL, executemany on SQLite) into a database kept between runs:
PostgreSQL ``bench_export`` and ``var/bench_export.sqlite3``. Each export then runs in a fresh
process, so its peak RSS (``resource.getrusage``, ``ru_maxrss``: the whole process, Django
included) is the export's:

    python bench/bench_export.py [--judgments 1000000] [--overlap 2] [--figures raw:jsonl,trl:jsonl]
        [--backends sqlite,postgresql] [--repeats 1] [--rebuild]
"""

import argparse
import hashlib
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_ADMIN_URL, fresh_postgres, machine, median, print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SLUG = "bench-export"
SQLITE_PATH = ROOT / "var" / "bench_export.sqlite3"
BATCH = 50_000
ANNOTATORS = 20


# --- populate (child process) ---------------------------------------------------------------------


def populate(n_judgments: int, overlap: int) -> None:
    """Write the bench project unless a database of this size is there already."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from labeling.models import Judgment, Project

    call_command("migrate", verbosity=0)
    project = Project.objects.filter(slug=SLUG).first()
    if project is not None:
        found = Judgment.objects.filter(project=project).count()
        if found != n_judgments:
            raise SystemExit(f"the bench database holds {found} judgments, not {n_judgments}: run with --rebuild")
        print(json.dumps({"seconds": 0.0, "reused": True}))
        return
    start = time.perf_counter()
    project = Project.objects.create(slug=SLUG, name="Export bench")  # default three-step strength scale
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-annotator-{i}", password="!") for i in range(max(ANNOTATORS, overlap))
    )
    _write_data(project.pk, [u.pk for u in users], n_judgments // overlap, overlap)
    print(json.dumps({"seconds": time.perf_counter() - start, "reused": False}))


def _write_data(project_id: int, user_ids: list[int], comparisons: int, overlap: int) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from labeling import models

    rng = random.Random(20240601)
    now = "2024-06-01 12:00:00" + ("+00" if connection.vendor == "postgresql" else "")
    for start in range(0, comparisons, BATCH):
        ids = range(start + 1, min(start + BATCH, comparisons) + 1)
        _insert(models.Prompt, [(i, project_id, _messages(i), _hash("p", i), "", "{}", now) for i in ids])
        _insert(models.Response, [_response(i, r, project_id, now) for i in ids for r in (0, 1)])
        _insert(models.Comparison, [
            (i, project_id, i, _hash("c", i), 0.0, rng.random(), False, None, overlap, overlap, False, now) for i in ids
        ])
        _insert(models.ComparisonResponse, [(2 * i - 1 + r, i, 2 * i - 1 + r, r) for i in ids for r in (0, 1)])
        _insert(models.Judgment, [
            _judgment(rng, i, k, overlap, project_id, user_ids, now) for i in ids for k in range(overlap)
        ])
    written = [models.Prompt, models.Response, models.Comparison, models.ComparisonResponse, models.Judgment]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), written):  # explicit ids: move sequences past them
            cursor.execute(sql)
        cursor.execute("ANALYZE")  # planner statistics, as a live database has them


def _messages(i: int) -> str:
    text = f"Question {i}: how would you explain topic {i % 997} to a newcomer?"
    return json.dumps([{"role": "user", "content": text}])


def _hash(kind: str, i: int) -> str:
    return hashlib.sha256(f"{kind}{i}".encode()).hexdigest()


def _response(i: int, r: int, project_id: int, now: str) -> tuple:
    text = f"Answer {r} to question {i}. " * 8
    return (2 * i - 1 + r, project_id, i, text, f"model-{r}", _hash(f"r{r}-", i), len(text), "{}", now)


def _judgment(rng, i: int, k: int, overlap: int, project_id: int, user_ids: list[int], now: str) -> tuple:
    winner = rng.choices(("a", "b", "tie"), weights=(45, 45, 10))[0]
    strength = None if winner == "tie" else rng.randint(1, 3)
    user = user_ids[(i + k) % len(user_ids)]  # distinct annotators on one comparison
    jid = (i - 1) * overlap + k + 1
    review = ("", "", None, None)  # unreviewed: review, review_note, reviewed_by, reviewed_at
    ranked = (None, None)  # pairwise: no ranking, no ranking_ties
    return (jid, project_id, i, user, winner, strength, *ranked, "{}", "", rng.randint(2000, 60000), f"bench-{jid}", now,
            *review)


def _insert(model, rows: list[tuple]) -> None:
    """Bulk insert in the model's column order; fails loudly if the model gained a column."""
    from django.db import connection

    columns = [f.column for f in model._meta.concrete_fields]
    if len(columns) != len(rows[0]):
        raise SystemExit(f"{model._meta.db_table} has columns {columns}: update bench_export.py")
    table, names = model._meta.db_table, ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO("".join("\t".join(map(_copy_value, row)) + "\n" for row in rows))
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
        else:
            marks = ", ".join("?" * len(columns))
            cursor.connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def _copy_value(value) -> str:
    """COPY's text format: \\N for NULL, t/f, and backslash escapes."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


# --- export (child process) -----------------------------------------------------------------------


def export(fmt: str, file_type: str) -> None:
    from labeling.exports.options import ExportFilters, ExportOptions
    from labeling.exports.services import export_to_file
    from labeling.models import Project

    project = Project.objects.get(slug=SLUG)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = Path(tmp) / f"out.{file_type}"
        options, filters = ExportOptions(fmt), ExportFilters()
        result = export_to_file(project=project, options=options, filters=filters, file_type=file_type, path=path)
        seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "rows": result.stats.rows, "bytes": result.size,
    }))


# --- driver -----------------------------------------------------------------------------------------


def backend_env(backend: str, rebuild: bool) -> dict | None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DEBUG="0", SECRET_KEY="bench-only-not-secret", VAR_DIR=tempfile.mkdtemp(prefix="bench-export-"))
    if backend == "sqlite":
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        if rebuild:
            SQLITE_PATH.unlink(missing_ok=True)
        env["SQLITE_PATH"] = str(SQLITE_PATH)
        return env
    url = f"{PG_ADMIN_URL}/bench_export"
    if rebuild or not _pg_exists("bench_export"):
        url = fresh_postgres("bench_export")
        if url is None:
            return None
    env["DATABASE_URL"] = url
    return env


def _pg_exists(name: str) -> bool:
    sql = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    try:
        command = ["psql", PG_ADMIN_URL + "/postgres", "-tAc", sql]
        out = subprocess.run(command, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return out.stdout.strip() == "1"


def child(env: dict, *args: str) -> dict:
    command = [sys.executable, __file__, "--child", *args]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--judgments", type=int, default=1_000_000)
    parser.add_argument("--overlap", type=int, default=2, help="Judgments per comparison.")
    parser.add_argument("--figures", default="raw:jsonl,trl:jsonl", help="format:file pairs.")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="Drop and rewrite the bench databases.")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")
        django.setup()
        what, *rest = args.child
        return populate(*map(int, rest)) if what == "populate" else export(*rest)
    table = []
    for backend in args.backends.split(","):
        env = backend_env(backend, args.rebuild)
        if env is None:
            table.append(["-", f"{args.judgments:,}", backend, "unavailable", *[""] * 6, machine()])
            continue
        filled = child(env, "populate", str(args.judgments), str(args.overlap))
        how = "reused" if filled["reused"] else f"written in {filled['seconds']:.0f} s"
        print(f"{backend}: data {how}", flush=True)
        for figure in args.figures.split(","):
            table.append(measure(env, backend, figure, args.judgments, args.repeats))
            print("  ", *table[-1][:-1], flush=True)
    print_table(
        f"Export of {args.judgments:,} judgments ({args.overlap} per pairwise comparison) to a file; "
        f"median of {args.repeats}",
        HEADER,
        table,
    )
    print(
        "seconds: wall clock; cpu s: the exporting process only (PostgreSQL's own work is not in it); "
        "load: 1-minute load average when the run started (the machine may be shared).\n"
        "target: < 30 s and < 500 MB for 1M judgments as JSONL; Label Studio 1.23.2: ~2 ms per task, 93 s for 50k"
    )


HEADER = [
    "figure", "judgments", "backend", "seconds", "cpu s", "peak RSS MB", "judgments/s", "rows out", "file MB", "load",
    "machine",
]


def measure(env: dict, backend: str, figure: str, judgments: int, repeats: int) -> list:
    load = os.getloadavg()[0]
    runs = [child(env, "export", *figure.split(":")) for _ in range(repeats)]
    secs = median([r["seconds"] for r in runs])
    return [
        figure, f"{judgments:,}", backend, f"{secs:.1f}", f"{median([r['cpu'] for r in runs]):.1f}",
        f"{median([r['peak_mb'] for r in runs]):.0f}", f"{judgments / secs:,.0f}", f"{runs[0]['rows']:,}",
        f"{runs[0]['bytes'] / 2**20:.0f}", f"{load:.1f}", machine(),
    ]


if __name__ == "__main__":
    main()

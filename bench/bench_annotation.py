"""Annotation latency: next-task + submit, 8 concurrent annotators, behind gunicorn.

    python bench/bench_annotation.py [--sizes 10000 100000] [--million] [--backends postgresql sqlite]
                                     [--clients 8] [--seconds 20] [--paced-rate 30] [--workers 5] [--explain]

For each backend and size: a fresh database (PostgreSQL ``bench_annotation``, or an SQLite file,
the embedded default), migrated, then filled with bulk SQL (COPY on PostgreSQL, executemany on
SQLite): one pairwise project with overlap 3 and gold rate 0.05, prompts with 5 responses and
all 10 pairs of them as comparisons (1% gold). gunicorn (sync workers, DEBUG off) serves it on a
free localhost port; each client thread is one annotator with a token, looping GET next-task,
POST judgment. Two loads, each after a warm-up: saturated (every client sends its next pair
as soon as the last is answered: the throughput) and paced (every client pauses an
exponential "think time" between pairs, ``--paced-rate`` annotations/s offered in all: the
latency an annotator sees while the others work). The client threads share the server's two
cores, so saturated latency is queueing by construction: 8 clients at R pairs/s wait 8/R s a
pair (Little's law). Every timed pair is recorded, and the CPU time of the gunicorn processes
and of the PostgreSQL backends serving them is divided by the pairs done: a cost per
annotation that, unlike latency, a busy machine barely moves. Non-2xx answers are counted, and the
gunicorn processes' resident memory is sampled every 100 ms (warm-up included): the peak of their
sum and of the largest process. ``--explain`` prints PostgreSQL's plans
(EXPLAIN ANALYZE) for every query of one next-task call after each PostgreSQL load, as it is
and for an annotator 5,000 judgments ahead of everyone else (rolled back).
"""

import argparse
import http.client
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_ADMIN_URL, fresh_postgres, print_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESPONSES_PER_PROMPT = 5
PAIRS = list(combinations(range(RESPONSES_PER_PROMPT), 2))  # 10 comparisons per prompt
WARMUP_S = 5  # untimed load first: gunicorn workers import the URLconf, connections open, caches fill


# --- the child process: Django against the bench database --------------------------------------


def child_populate(size: int, clients: int) -> None:
    """Migrate, fill, and print the annotators' tokens as JSON."""
    django_setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from labeling.models import Project
    from labeling.projects.services import membership_set, project_create

    call_command("migrate", verbosity=0)
    project = project_create(slug="bench", overlap=3, gold_rate=0.05)
    tokens = []
    for n in range(clients):
        user = get_user_model().objects.create(username=f"bench-{n}")  # token auth only: no password
        membership_set(project=project, username=user.username, role="annotator")
        tokens.append(Token.objects.create(user=user).key)
    started = time.perf_counter()
    for table, columns, rows in bench_rows(project.pk, size):
        bulk_insert(connection, table, columns, rows)
    finish_bulk_load(connection)
    assert Project.objects.get(pk=project.pk).comparisons.count() == size
    print(json.dumps({"project": project.pk, "tokens": tokens, "fill_s": time.perf_counter() - started}))


def child_explain(history: int) -> None:
    """EXPLAIN ANALYZE every SELECT of one next-task call; everything is rolled back.

    With ``history`` > 0, annotator bench-0 is first given that many judged, still-open
    comparisons at the head of the serving order: the worst case for the anti-join (an
    annotator far ahead of everyone else on an overlap > 1 project).
    """
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from labeling.annotation.assignment import comparison_lease_next
    from labeling.models import Project

    project, user = Project.objects.get(slug="bench"), get_user_model().objects.get(username="bench-0")
    with transaction.atomic():
        if history:
            simulate_history(connection, project.pk, user.pk, history)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            comparison_lease_next(project=project, annotator=user)
            took_ms = (time.perf_counter() - started) * 1000
        print(f"--- one next-task for an annotator with {history} judged, still-open comparisons: {took_ms:.1f} ms in Python")
        with connection.cursor() as cursor:
            for query in ctx.captured_queries:
                if query["sql"].lstrip().upper().startswith("SELECT"):
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    plan = "\n".join("    " + row[0] for row in cursor.fetchall())
                    print(f"{query['sql'][:160]} ...\n{plan}\n")
        transaction.set_rollback(True)


def simulate_history(connection, project_id: int, user_id: int, n: int) -> None:
    from labeling.hot_sql import sql_text
    from labeling.models import Comparison, Lease

    sql = sql_text(
        """
        WITH head AS (
            SELECT id FROM {Comparison}
            WHERE project_id = %s AND NOT is_gold AND is_open
              AND NOT EXISTS (SELECT 1 FROM {Lease} l WHERE l.comparison_id = {Comparison}.id AND l.annotator_id = %s)
            ORDER BY judgment_count DESC, priority DESC, random_key LIMIT %s
        ), leased AS (
            INSERT INTO {Lease} (project_id, comparison_id, annotator_id, state, expires_at, created_at, updated_at)
            SELECT %s, id, %s, 'judged', now(), now(), now() FROM head RETURNING comparison_id
        )
        UPDATE {Comparison} SET judgment_count = judgment_count + 1, holders = holders + 1,
            is_open = holders + 1 < 3
        WHERE id IN (SELECT comparison_id FROM leased)
        """,
        Comparison,
        Lease,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [project_id, user_id, n, project_id, user_id])
        cursor.execute(f"ANALYZE {Lease._meta.db_table}")
        cursor.execute(f"ANALYZE {Comparison._meta.db_table}")


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")
    import django

    django.setup()


def bench_rows(project_id: int, size: int):
    """(table, columns, row iterator) for prompts, responses, comparisons and their response positions,
    with explicit ids."""
    from labeling.models import Comparison, ComparisonResponse, Prompt, Response

    now = datetime.now(UTC).isoformat()
    prompts = -(-size // len(PAIRS))
    filler = "Here is a careful, step-by-step explanation with an example. " * 6
    yield Prompt._meta.db_table, ["id", "project_id", "messages", "content_hash", "external_id", "metadata", "created_at"], (
        (i, project_id, json.dumps([{"role": "user", "content": f"Question {i}: explain topic {i % 997}."}]),
         f"p{i}", "", "{}", now)
        for i in range(1, prompts + 1)
    )
    yield Response._meta.db_table, ["id", "project_id", "prompt_id", "text", "model_name", "content_hash", "length_chars", "metadata", "created_at"], (
        (response_id(i, j), project_id, i, f"Answer {j} to question {i}. {filler}", f"model-{j}", f"r{i}-{j}", 400, "{}", now)
        for i in range(1, prompts + 1)
        for j in range(RESPONSES_PER_PROMPT)
    )
    rng = random.Random(0)
    yield Comparison._meta.db_table, ["id", "project_id", "prompt_id", "response_set_hash", "priority", "random_key", "is_gold", "gold_answer", "judgment_count", "holders", "is_open", "created_at"], (
        (c, project_id, prompt_of(c), f"c{c}", 0.0, rng.random(), c % 100 == 0, '{"winner": "a"}' if c % 100 == 0 else None, 0, 0, True, now)
        for c in range(1, size + 1)
    )
    yield ComparisonResponse._meta.db_table, ["id", "comparison_id", "response_id", "position"], (
        (2 * c - 1 + position, c, response_id(prompt_of(c), PAIRS[(c - 1) % len(PAIRS)][position]), position)
        for c in range(1, size + 1)
        for position in (0, 1)
    )


def prompt_of(comparison_id: int) -> int:
    return (comparison_id - 1) // len(PAIRS) + 1


def response_id(prompt_id: int, j: int) -> int:
    return (prompt_id - 1) * RESPONSES_PER_PROMPT + j + 1


def bulk_insert(connection, table: str, columns: list[str], rows) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for chunk in chunks(rows, 200_000):
                data = io.StringIO("".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in chunk))
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", data)
        else:
            # A page cache large enough for the indexes: random_key makes serving-order inserts random.
            cursor.execute("PRAGMA cache_size = -1000000")
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('%s' for _ in columns)})"
            for chunk in chunks(rows, 50_000):
                cursor.executemany(sql, chunk)


def chunks(rows, n: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def finish_bulk_load(connection) -> None:
    """Move the id sequences past the explicit ids and refresh planner statistics."""
    from labeling.models import Comparison, ComparisonResponse, Prompt, Response

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Prompt, Response, Comparison, ComparisonResponse):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


# --- the parent: databases, gunicorn, clients ----------------------------------------------------


def child_env(backend: str, var_dir: str) -> dict | None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(VAR_DIR=var_dir, DEBUG="0", SECRET_KEY="bench-only-not-secret", SECURE_SSL_REDIRECT="0",
               ALLOWED_HOSTS="127.0.0.1,localhost", LOG_LEVEL="WARNING")
    if backend == "postgresql":
        url = fresh_postgres("bench_annotation")
        if url is None:
            return None
        env["DATABASE_URL"] = url
    else:
        env.pop("REDIS_URL", None)  # the embedded default: SQLite and the filesystem broker
        env["SQLITE_PATH"] = str(Path(var_dir) / "bench.sqlite3")
    return env


def run_child(env: dict, *args: str) -> str:
    out = subprocess.run([sys.executable, __file__, "--child", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-4000:])
    return out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, workers: int, token: str) -> subprocess.Popen:
    """gunicorn with the app preloaded, returned once it answers an authenticated request."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "annotation_site.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--preload", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    probe = Annotator(port, token, 0, threading.Event(), threading.Event())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if probe.request("GET", "/api/projects/")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


class Annotator(threading.Thread):
    """Loops next-task then submit until ``stop`` is set; times each pair while ``timing`` is set.

    With ``think_s`` the annotator pauses between pairs for an exponentially distributed time
    of that mean (seeded), as people do; without, it sends the next pair at once (saturation).
    """

    def __init__(self, port: int, token: str, project: int, stop: threading.Event, timing: threading.Event,
                 think_s: float | None = None, seed: int = 0):
        super().__init__(daemon=True)
        self.port, self.project, self.stop, self.timing = port, project, stop, timing
        self.think_s, self.rng = think_s, random.Random(seed)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.next_ms: list[float] = []
        self.submit_ms: list[float] = []
        self.pair_ms: list[float] = []
        self.errors: dict[int, int] = {}

    def run(self):
        while not self.stop.is_set():
            timed = self.timing.is_set()
            t0 = time.perf_counter()
            status, body = self.request("GET", f"/api/projects/{self.project}/next-task/")
            t1 = time.perf_counter()
            if status == 204:
                return
            if status != 200:
                self.errors[status] = self.errors.get(status, 0) + 1
                continue
            judgment = {"comparison": json.loads(body)["id"], "winner": "a", "strength": 2,
                        "time_spent_ms": 1000, "client_key": uuid.uuid4().hex}
            status, _ = self.request("POST", "/api/judgments/", json.dumps(judgment))
            t2 = time.perf_counter()
            if status != 201:
                self.errors[status] = self.errors.get(status, 0) + 1
            elif timed and not self.stop.is_set():
                self.next_ms.append((t1 - t0) * 1000)
                self.submit_ms.append((t2 - t1) * 1000)
                self.pair_ms.append((t2 - t0) * 1000)
            if self.think_s:
                self.stop.wait(self.rng.expovariate(1 / self.think_s))

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=self.headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


def measure(port: int, tokens: list[str], project: int, seconds: float, app_pids, db_pids,
            think_s: float | None = None) -> dict:
    """Warm up (untimed), then time ``seconds`` of load; the CPU of the app's and the database's
    processes is counted over the timed part and divided by the pairs done."""
    stop, timing = threading.Event(), threading.Event()
    annotators = [Annotator(port, token, project, stop, timing, think_s, seed=n) for n, token in enumerate(tokens)]
    for annotator in annotators:
        annotator.start()
    time.sleep(WARMUP_S)
    apps, dbs = app_pids(), db_pids()
    app_before, db_before, started = cpu_seconds(apps), cpu_seconds(dbs), time.perf_counter()
    timing.set()
    time.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - started
    app_cpu, db_cpu = cpu_seconds(apps) - app_before, cpu_seconds(dbs) - db_before
    for annotator in annotators:
        annotator.join()
    errors: dict[int, int] = {}
    for annotator in annotators:
        for status, n in annotator.errors.items():
            errors[status] = errors.get(status, 0) + n
    count = sum(len(a.pair_ms) for a in annotators)
    per_pair = (lambda cpu: 1000 * cpu / count) if count else (lambda cpu: float("nan"))
    return {
        "next-task": [ms for a in annotators for ms in a.next_ms],
        "submit": [ms for a in annotators for ms in a.submit_ms],
        "pair": [ms for a in annotators for ms in a.pair_ms],
        "rate": count / elapsed, "errors": errors, "count": count,
        "app_cpu_ms": per_pair(app_cpu), "db_cpu_ms": per_pair(db_cpu),
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes still alive, from /proc (Linux)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


class PeakRss(threading.Thread):
    """Samples the resident memory of ``pids()`` every 100 ms: the peak of their sum and of the
    largest one (a gunicorn worker), in MB, from /proc (Linux)."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.done = pids, threading.Event()
        self.total_mb = self.largest_mb = 0.0

    def run(self):
        while not self.done.wait(0.1):
            sizes = [rss_mb(pid) for pid in self.pids()]
            self.total_mb, self.largest_mb = max(self.total_mb, sum(sizes)), max([self.largest_mb, *sizes])

    def stop(self) -> str:
        self.done.set()
        self.join()
        return f"{self.total_mb:.0f} / {self.largest_mb:.0f}"


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            kb = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
    except (OSError, ValueError):
        return 0.0
    return kb / 1024


def postgres_backends(database: str) -> list[int]:
    """Server processes of the bench database's connections (gunicorn keeps them: CONN_MAX_AGE)."""
    sql = f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    out = subprocess.run(["psql", PG_ADMIN_URL + "/postgres", "-Atc", sql], capture_output=True, text=True)
    return [int(line) for line in out.stdout.split()]


def workers(backend: str, args) -> int:
    """SQLite has one writer: workers beyond the cores only queue on its lock, whose busy
    handler sleeps in growing steps, so throughput falls and p99 climbs."""
    cores = os.cpu_count() or 1
    return args.workers or (min(2 * cores + 1, 9) if backend == "postgresql" else cores)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else float("nan")


def bench_one(backend: str, size: int, args) -> list[list] | None:
    var_dir = tempfile.mkdtemp(prefix="bench-annotation-")
    env = child_env(backend, var_dir)
    if env is None:
        print(f"skipping {backend}: not reachable")
        return None
    started = time.perf_counter()
    filled = json.loads(run_child(env, "populate", str(size), str(args.clients)).strip().splitlines()[-1])
    print(f"{backend} {size:,}: migrated and filled in {time.perf_counter() - started:.0f} s "
          f"(bulk insert {filled['fill_s']:.0f} s)", flush=True)
    port = free_port()
    server = start_gunicorn(env, port, workers(backend, args), filled["tokens"][0])

    def app_pids():
        return [server.pid, *children_of(server.pid)]

    def db_pids():
        return postgres_backends("bench_annotation") if backend == "postgresql" else []

    memory = PeakRss(app_pids)
    memory.start()
    try:
        loads = [("saturated", None), (f"paced, {args.paced_rate:g}/s offered", args.clients / args.paced_rate)]
        results = [(label, measure(port, filled["tokens"], filled["project"], args.seconds, app_pids, db_pids, think))
                   for label, think in loads]
    finally:
        peak_rss = memory.stop()
        server.terminate()
        server.wait(timeout=30)
    if args.explain and backend == "postgresql":
        for history in (0, 5000):
            print(run_child(env, "explain", str(history)))
    label = "SQLite (embedded default)" if backend == "sqlite" else "PostgreSQL"
    rows = []
    for load, result in results:
        if result["errors"]:
            print(f"  {load}: non-2xx responses: {result['errors']}")
        cpu = f"{result['app_cpu_ms']:.1f} + {result['db_cpu_ms']:.1f}" if backend == "postgresql" else f"{result['app_cpu_ms']:.1f}"
        pair = [f"{result['rate']:.0f}", result["count"], cpu, sum(result["errors"].values()), peak_rss]
        figures = ("next-task", "submit", "pair") if load == "saturated" else ("pair",)
        rows += [
            [figure, f"{size:,}", label, load, f"{percentile(result[figure], 50):.1f}", f"{percentile(result[figure], 99):.1f}",
             *(pair if figure == "pair" else [""] * len(pair))]
            for figure in figures
        ]
    return rows


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        if sys.argv[2] == "populate":
            child_populate(int(sys.argv[3]), int(sys.argv[4]))
        else:
            child_explain(int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 comparisons (a few minutes to fill)")
    parser.add_argument("--backends", nargs="+", default=["postgresql", "sqlite"], choices=["postgresql", "sqlite"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="timed load per size and load, after a warm-up")
    parser.add_argument("--paced-rate", type=float, default=30.0,
                        help="annotations/s offered by all clients together in the paced run (think time between pairs)")
    parser.add_argument("--workers", type=int, help="gunicorn sync workers (default: 2 x cores + 1 on PostgreSQL, cores on SQLite)")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL plans of one next-task at each size")
    args = parser.parse_args()
    if args.million:
        args.sizes = [*args.sizes, 1_000_000]
    rows = []
    for backend in args.backends:
        for size in args.sizes:
            rows += bench_one(backend, size, args) or []
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print_table(
        f"next-task + submit, {args.clients} concurrent annotators, gunicorn sync workers"
        f" {workers('postgresql', args)} (PostgreSQL) / {workers('sqlite', args)} (SQLite), DEBUG off"
        f" (load average at the end: {load})",
        ["figure", "comparisons", "backend", "load", "p50 ms", "p99 ms", "annotations/s", "timed pairs",
         "server CPU ms/pair (app + db)", "non-2xx", "peak RSS MB (gunicorn all / largest)"],
        rows,
    )
    print("saturated: each client sends its next pair at once (throughput); paced: each client thinks an "
          f"exponential time between pairs, {args.paced_rate:g} annotations/s offered in all (latency under load).")


if __name__ == "__main__":
    main()

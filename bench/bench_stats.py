"""``project_stats`` end to end on 1M judgments in PostgreSQL: read, maths, total.

    python bench/bench_stats.py [--judgments 1000000] [--models 50] [--annotators 100]
        [--overlap 3] [--repeats 3] [--rebuild]

The data lives in PostgreSQL database ``bench_stats`` (kept between runs; ``--rebuild`` or a
different size writes it again). It is written server-side with ``INSERT ... SELECT`` over
``generate_series`` (no rows cross the wire): N/overlap (rounded up) pairwise comparisons among ``--models``
models, ``overlap`` judgments each by distinct annotators, outcomes drawn from a Bradley-Terry
model with a length bias, strengths 1..3, about 15% ties, 2% extra skipped leases, 1% flags,
0.5% gold comparisons.

Printed: the median of ``--repeats`` runs of ``project_stats_compute`` and of its parts (the
selectors' reads and each maths block), beside the maths-only figures of
``bench/bench_stats_math.py`` for the same sizes where they apply.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import PG_ADMIN_URL, fresh_postgres, median, print_table  # noqa: E402

DB_NAME = "bench_stats"
SLUG = "bench-stats"


def database_url(rebuild: bool) -> str:
    """The bench database's URL, created empty when missing or on ``rebuild``."""
    url = f"{PG_ADMIN_URL}/{DB_NAME}"
    exists = subprocess.run(
        ["psql", PG_ADMIN_URL + "/postgres", "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],
        capture_output=True, text=True,
    )
    if exists.returncode != 0:
        raise SystemExit(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exists.stderr.strip()}")
    if rebuild or exists.stdout.strip() != "1":
        url = fresh_postgres(DB_NAME)
    return url


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "0")  # production mode: Django keeps no query log
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotation_site.settings")
    import django

    django.setup()


# --- populate -----------------------------------------------------------------------------------

# One statement per table, all server-side. bench_c holds one row per comparison with its
# random draws, so the tables written from it agree with each other.
# Tables and foreign-key columns are named by ``sql_text`` from the models (once Django is set up).
POPULATE_SQL = """
SELECT setseed(0.42);
CREATE TEMP TABLE bench_c AS
SELECT i,
       floor(random() * %(models)s)::int AS ma,
       floor(random() * (%(models)s - 1))::int AS mb_step,
       floor(random() * %(annotators)s)::int AS a1,
       1 + floor(random() * (%(annotators)s / 2 - 1))::int AS d2,
       %(annotators)s / 2 + floor(random() * (%(annotators)s / 2 - 1))::int AS d3,
       50 + floor(random() * 3000)::int AS len_a,
       50 + floor(random() * 3000)::int AS len_b,
       random() < 0.005 AS gold,
       random() < 0.02 AS skipped
FROM generate_series(1, %(comparisons)s) AS i;
ALTER TABLE bench_c ADD COLUMN mb int;
UPDATE bench_c SET mb = (ma + 1 + mb_step) %% %(models)s;

INSERT INTO {Prompt} (id, {Prompt.project}, messages, content_hash, external_id, metadata, created_at)
SELECT i, %(project)s, jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Question ' || i)),
       md5('p' || i), '', '{{}}', now()
FROM bench_c;
INSERT INTO {Response} (id, {Response.project}, {Response.prompt}, text, model_name, content_hash, length_chars, metadata, created_at)
SELECT 2 * i - 1 + r, %(project)s, i, 'Answer ' || r, 'model-' || lpad((CASE WHEN r = 0 THEN ma ELSE mb END)::text, 2, '0'),
       md5('r' || i || '-' || r), CASE WHEN r = 0 THEN len_a ELSE len_b END, '{{}}', now()
FROM bench_c, generate_series(0, 1) AS r;
INSERT INTO {Comparison} (id, {Comparison.project}, {Comparison.prompt}, response_set_hash, priority, random_key, is_gold,
                                 gold_answer, judgment_count, holders, is_open, created_at)
SELECT i, %(project)s, i, md5('c' || i), 0, random(), gold,
       CASE WHEN gold THEN jsonb_build_object('winner', CASE WHEN ma > mb THEN 'a' ELSE 'b' END) END,
       %(overlap)s, %(overlap)s, false, now()
FROM bench_c;
INSERT INTO {ComparisonResponse} (id, {ComparisonResponse.comparison}, {ComparisonResponse.response}, position)
SELECT 2 * i - 1 + r, i, 2 * i - 1 + r, r FROM bench_c, generate_series(0, 1) AS r;

-- P(A wins) from ratings 12 points apart per model index, plus a length bias
CREATE TEMP TABLE bench_j AS
SELECT (i - 1) * %(overlap)s + k + 1 AS id, i, k,
       %(first_user)s + (a1 + CASE k WHEN 0 THEN 0 WHEN 1 THEN d2 ELSE d3 END) %% %(annotators)s AS annotator,
       1.0 / (1.0 + power(10.0, ((mb - ma) * 12.0) / 400.0 - 0.6 * (len_a - len_b)::float / (len_a + len_b))) AS p_a,
       random() AS u, random() AS u2
FROM bench_c, generate_series(0, %(overlap)s - 1) AS k;
INSERT INTO {Judgment} (id, {Judgment.project}, {Judgment.comparison}, {Judgment.annotator}, winner, strength, ranking, criteria,
                               rationale, time_spent_ms, client_key, created_at)
SELECT id, %(project)s, i, annotator,
       CASE WHEN u < 0.15 THEN 'tie' WHEN u < 0.15 + 0.85 * p_a THEN 'a' ELSE 'b' END,
       CASE WHEN u < 0.15 THEN NULL ELSE 1 + floor(u2 * 3)::int END,
       NULL, '{{}}', '', 2000 + floor(u2 * 60000)::int, 'bench-' || id,
       timestamp '2024-06-01' + id * interval '1 second'
FROM bench_j;
INSERT INTO {Lease} ({Lease.project}, {Lease.comparison}, {Lease.annotator}, state, expires_at, created_at, updated_at)
SELECT %(project)s, i, annotator, 'judged', now(), now(), now() FROM bench_j;
INSERT INTO {Lease} ({Lease.project}, {Lease.comparison}, {Lease.annotator}, state, expires_at, created_at, updated_at)
SELECT %(project)s, i, %(first_user)s + (a1 + %(annotators)s - 1) %% %(annotators)s, 'skipped', now(), now(), now()
FROM bench_c WHERE skipped;
INSERT INTO {Flag} ({Flag.project}, {Flag.comparison}, {Flag.annotator}, reason, note, resolved, created_at)
SELECT %(project)s, i, annotator, 'other', '', false, now() FROM bench_j WHERE u2 < 0.01;
DROP TABLE bench_c;
DROP TABLE bench_j;
"""


def populate_sql() -> str:
    from labeling.hot_sql import sql_text
    from labeling.models import (
        Comparison,
        ComparisonResponse,
        Flag,
        Judgment,
        Lease,
        Prompt,
        Response,
    )

    return sql_text(POPULATE_SQL, Prompt, Response, Comparison, ComparisonResponse, Judgment, Lease, Flag)


def populate(judgments: int, models: int, annotators: int, overlap: int) -> dict:
    """Write the bench project unless one of this size is there; seconds taken (0 when reused)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from labeling import models as m

    call_command("migrate", verbosity=0)
    comparisons = -(-judgments // overlap)  # at least the judgments asked for
    project = m.Project.objects.filter(slug=SLUG).first()
    if project is not None:
        found = m.Judgment.objects.filter(project=project).count()
        if found != comparisons * overlap:
            raise SystemExit(f"bench_stats holds {found} judgments, not {comparisons * overlap}: use --rebuild")
        return {"seconds": 0.0, "project": project}
    if annotators < max(8, overlap + 1):
        raise SystemExit("--annotators must be at least 8 and above --overlap")
    start = time.perf_counter()
    with transaction.atomic():
        project = m.Project.objects.create(slug=SLUG, name="Stats bench", overlap=overlap)
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"bench-annotator-{i:03d}", password="!") for i in range(annotators)
        )
        m.Membership.objects.bulk_create(m.Membership(project=project, user=u) for u in users)
        params = {"project": project.pk, "models": models, "annotators": annotators, "overlap": overlap,
                  "comparisons": comparisons, "first_user": users[0].pk}
        with connection.cursor() as cursor:
            cursor.execute(populate_sql(), params)
            tables = [m.Prompt, m.Response, m.Comparison, m.ComparisonResponse, m.Judgment]
            for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"seconds": time.perf_counter() - start, "project": project}


# --- timing -------------------------------------------------------------------------------------


def timed(function, repeats: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeats`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return median(walls), median(cpus), result


def read_instances(project, limit: int) -> int:
    """The naive read: model instances, the positions fetched alongside; ``limit`` judgments."""
    from labeling.models import Judgment

    judgments = Judgment.objects.filter(project=project).prefetch_related("comparison__positions__response")
    return sum(len(j.comparison.positions.all()) for j in judgments[:limit])


def agreement_inputs(project):
    """Regular comparisons' (unit, rater, nominal value) rows, and the dense items x raters matrix."""
    import numpy as np

    from labeling.models import Comparison
    from labeling.stats import agreement
    from labeling.stats import selectors as stats_selectors

    arrays = stats_selectors.judgment_arrays(project)
    gold = Comparison.objects.filter(project=project, is_gold=True).values_list("id", flat=True)
    keep = ~np.isin(arrays.comparison, list(gold))
    unit, rater, value = arrays.comparison[keep], arrays.annotator[keep], np.sign(arrays.signed[keep]).astype(float)
    return unit, rater, value, agreement.rating_matrix(unit, rater, value)[0]


def ratio(ours: float, reference: float) -> str:
    return f"{reference / ours:.0f}x" if reference / ours >= 10 else f"{reference / ours:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", type=int, default=1_000_000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--annotators", type=int, default=100)
    parser.add_argument("--overlap", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="Write the data again.")
    args = parser.parse_args()
    setup_django(database_url(args.rebuild))
    written = populate(args.judgments, args.models, args.annotators, args.overlap)
    project = written["project"]
    if written["seconds"]:
        print(f"wrote the bench data in {written['seconds']:.0f} s")
    rows = end_to_end_rows(project, args)
    rows += server_rows(project)
    rows += read_rows(project, args.repeats)
    rows += agreement_rows(*agreement_inputs(project))
    print_table(
        "project_stats on PostgreSQL (median seconds; CPU = this process only, not the server's)",
        ["figure", "size", "ours wall", "ours CPU", "reference wall", "ratio"], rows,
    )
    print(f"\nload average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          "wall time includes waiting for a busy CPU, PostgreSQL's work included.")
    print("Maths-only figures for ratings (Bradley-Terry with 100 bootstrap fits against scikit-learn, "
          "online Elo against a DataFrame loop, alpha and Fleiss against krippendorff and statsmodels): "
          "python bench/bench_stats_math.py")


def end_to_end_rows(project, args) -> list[list]:
    """The process's first call (cold: connections, lazy imports, a fresh heap) on its own row,
    then the median of ``repeats`` further calls, their system CPU and page faults (the kernel's
    share: fresh memory for the arrays), and the call's own timing of its parts."""
    import resource

    from labeling.stats.payload import project_stats_compute

    cold_wall, cold_cpu, _ = timed(lambda: project_stats_compute(project), 1)
    before = resource.getrusage(resource.RUSAGE_SELF)
    payloads = []

    def call():
        payloads.append(project_stats_compute(project))
        return payloads[-1]

    wall, cpu, payload = timed(call, args.repeats)
    after = resource.getrusage(resource.RUSAGE_SELF)
    size = f"{payload['judgments']:,} judgments, {args.models} models, {args.annotators} annotators"
    system = (after.ru_stime - before.ru_stime) / args.repeats
    faults = (after.ru_minflt - before.ru_minflt) / args.repeats
    rows = [["project_stats_compute, end to end", size, f"{wall:.2f}", f"{cpu:.2f}", "target 3", ""],
            ["  its first call in the process (not in the median)", "", f"{cold_wall:.2f}", f"{cold_cpu:.2f}", "", ""],
            ["  system CPU of a call (page faults)", f"{faults:,.0f} faults", "", f"{system:.2f}", "", ""]]
    rows += _in_call_rows([p["seconds"] for p in payloads])
    for part, (part_wall, part_cpu) in part_times(project, args.repeats).items():
        rows.append([f"  part: {part}", "", f"{part_wall:.2f}", f"{part_cpu:.2f}", "", ""])
    return rows


def _in_call_rows(seconds: list[dict]) -> list[list]:
    """The parts as the calls timed them (median wall): they add up to the total, ``other``
    being the counts, the subsets and the JSON conversion between them."""
    parts = [key for key in seconds[0] if key != "total"]
    others = [s["total"] - sum(s[key] for key in parts) for s in seconds]
    rows = [[f"  in the call: {key}", "", f"{median([s[key] for s in seconds]):.2f}", "", "", ""]
            for key in parts if key != "judges" or any(s[key] >= 0.005 for s in seconds)]
    return rows + [["  in the call: other", "", f"{median(others):.2f}", "", "", ""]]


def part_times(project, repeats: int) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of each step of ``project_stats_compute``, run one by one."""
    from threadpoolctl import threadpool_limits

    from labeling.stats import agreement_block
    from labeling.stats import payload as stats
    from labeling.stats.context import project_context, user_names
    from labeling.stats.selectors import (
        in_snapshot,
        judgment_arrays,
        position_arrays,
        stats_snapshot,
    )

    def read():
        with stats_snapshot() as snapshot:
            pending_positions = in_snapshot(snapshot, position_arrays, project)
            pending_context = in_snapshot(snapshot, project_context, project)
            judgments = judgment_arrays(project)
            context = pending_context.result()
            names = user_names(judgments.annotator, context.skipped[:, 1])
            return judgments, pending_positions.result(), context, names

    times = {}  # each step on its own, repeated (warm), with its CPU
    times["read (three connections)"], (judgments, positions, context, names) = _wall_cpu(read, repeats)
    regular = stats._subset(judgments, ~np.isin(judgments.comparison, list(context.gold)))
    with threadpool_limits(limits=1, user_api="blas"):
        times["agreement"], _ = _wall_cpu(lambda: agreement_block._agreement(project, regular), repeats)
        times["annotators"], _ = _wall_cpu(lambda: stats._annotators(project, judgments, context, names, positions), repeats)
        times["ratings"], _ = _wall_cpu(lambda: stats._ratings(project, regular, positions), repeats)
    return times


def _wall_cpu(function, repeats: int):
    wall, cpu, result = timed(function, repeats)
    return (wall, cpu), result


def server_rows(project) -> list[list]:
    """PostgreSQL's own time for the big queries (EXPLAIN ANALYZE: executing, not sending)."""
    from django.db import connection
    from django.db.models import Max, Min

    from labeling.models import ComparisonResponse, Response
    from labeling.stats import selectors as s

    models = sorted(set(Response.objects.filter(project=project).values_list("model_name", flat=True).distinct()))
    span = project.comparisons.aggregate(low=Min("id"), high=Max("id"))
    positions = ComparisonResponse.objects.filter(comparison__gte=span["low"], comparison__lte=span["high"]).order_by()
    queries = {
        "judgment scan": s._judgment_table(project),
        "response scan": s._response_table(project, models),
        "position scan (id range)": s._bigints(positions, "comparison_id", "position", "response_id"),
    }
    rows = []
    for name, query in queries.items():
        sql, params = query if isinstance(query, tuple) else query.query.sql_with_params()
        with s.stats_snapshot(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        plan = plan if isinstance(plan, list) else json.loads(plan)
        rows.append([f"  server: {name}", f"{plan[0]['Plan']['Actual Rows']:,} rows",
                     f"{plan[0]['Execution Time'] / 1000:.2f}", "", "", ""])
    return rows


def read_rows(project, repeats: int) -> list[list]:
    """The judgment read (1M rows) by three transports, and by model instances."""
    from labeling.stats import selectors as s

    def read(copy):
        with s.stats_snapshot():
            return s._int_table(s._judgment_table(project), len(s.JUDGMENT_COLUMNS), copy=copy)

    def read_values_list():
        with s.stats_snapshot():
            return np.fromiter(itertools.chain.from_iterable(s._judgment_table(project)), dtype=np.int64)

    wall, cpu, table = timed(lambda: read(True), repeats)
    size = f"{len(table):,} judgments x {len(s.JUDGMENT_COLUMNS)} columns"
    cursor, cursor_cpu, _ = timed(lambda: read(False), repeats)
    values_list, values_list_cpu, _ = timed(read_values_list, 1)
    sample = 20_000
    instances, _, _ = timed(lambda: read_instances(project, sample), 1)
    instances *= len(table) / sample
    return [
        ["judgment read: binary COPY vs DB-API cursor", size, f"{wall:.2f}", f"{cpu:.2f}", f"{cursor:.2f} (CPU {cursor_cpu:.2f})", ratio(wall, cursor)],
        ["judgment read vs values_list iterated", size, f"{wall:.2f}", f"{cpu:.2f}", f"{values_list:.2f} (CPU {values_list_cpu:.2f})", ratio(wall, values_list)],
        ["judgment read vs model instances + prefetch (est.)", size, f"{wall:.2f}", "", f"{instances:.1f}", ratio(wall, instances)],
    ]


def agreement_rows(unit, rater, value, matrix) -> list[list]:
    """Mean Cohen's kappa and alpha's 1,000-round interval against the textbook ways."""
    size = f"{matrix.shape[0]:,} units x {matrix.shape[1]} raters"
    return [_kappa_row(unit, rater, value, matrix, size), _alpha_row(unit, value, size)]


def _kappa_row(unit, rater, value, matrix, size: str) -> list:
    """Against a loop over rater pairs on the dense units x raters matrix with scikit-learn's
    ``cohen_kappa_score`` (a sample of pairs, extrapolated to all)."""
    from sklearn.metrics import cohen_kappa_score

    from labeling.stats.agreement import cohen_kappa_mean_rows

    ours, ours_cpu, _ = timed(lambda: cohen_kappa_mean_rows(unit, rater, value), 3)
    pairs = list(itertools.combinations(range(matrix.shape[1]), 2))
    sample = [pairs[i] for i in np.random.default_rng(0).permutation(len(pairs))[:200]]

    def pair_loop():
        for left, right in sample:
            both = ~np.isnan(matrix[:, left]) & ~np.isnan(matrix[:, right])
            if both.any():
                cohen_kappa_score(matrix[both, left], matrix[both, right])

    sampled, _, _ = timed(pair_loop, 1)
    reference = sampled * len(pairs) / len(sample)
    return ["mean Cohen kappa vs sklearn pair loop", size, f"{ours:.2f}", f"{ours_cpu:.2f}",
            f"{reference:.1f} (est.)", ratio(ours, reference)]


def _alpha_row(unit, value, size: str) -> list:
    """Against a bootstrap that resamples units and recomputes alpha with the ``krippendorff``
    package (a few rounds, extrapolated to 1,000)."""
    import krippendorff

    from labeling.stats.agreement import bootstrap_alpha_ci_rows
    from labeling.stats.arrays import unit_matrix

    ours, ours_cpu, _ = timed(lambda: bootstrap_alpha_ci_rows(unit, value, n_boot=1000, seed=0), 3)
    compact = unit_matrix(unit, value)  # units x ratings: alpha needs no rater identity
    compact = compact[np.sum(~np.isnan(compact), axis=1) >= 2]
    rng, rounds = np.random.default_rng(0), 5

    def textbook():
        for _ in range(rounds):
            resampled = compact[rng.integers(0, len(compact), len(compact))]
            krippendorff.alpha(resampled.T, level_of_measurement="nominal")

    sampled, _, _ = timed(textbook, 1)
    reference = sampled * 1000 / rounds
    return ["alpha 95% CI, 1000 rounds vs krippendorff resampled", size, f"{ours:.2f}", f"{ours_cpu:.2f}",
            f"{reference:.1f} (est.)", ratio(ours, reference)]


if __name__ == "__main__":
    main()

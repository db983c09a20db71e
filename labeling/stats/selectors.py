"""Reads for project statistics: judgments and their context as numpy arrays.

Every read names only the columns it needs with ``values_list``, pushes the coding of results
into SQL (a pairwise result becomes one signed integer, a model name an index into the sorted
list of names) and builds no model instances. The large reads, one row per judgment, per
response position and per response, are tables of bigints: on PostgreSQL they travel as
``COPY (<the queryset's own SQL>) TO STDOUT (FORMAT binary)``, whose fixed-size rows numpy
reads in place, because through the DB-API cursor every value first becomes a Python object,
which costs several times as much at a million rows. Elsewhere (SQLite) the same queryset is
iterated.

``stats_snapshot`` makes all reads of one computation see the same data on PostgreSQL.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, NullIf

from labeling.models import (
    IMPORTED_KEY_PREFIX,
    Comparison,
    ComparisonKind,
    ComparisonResponse,
    Judgment,
    Project,
    ProjectStats,
    Response,
    ReviewState,
)
from labeling.rankings import LETTERS, ranking_levels
from labeling.stats.arrays import locate


@dataclass(frozen=True)
class JudgmentArrays:
    """One entry per judgment, in id order (the order they were made).

    ``signed`` codes a pairwise result as +strength when A won, -strength when B won and 0 for
    a tie (strength counts 1 where the verdict has none: no scale, or an imported label).
    ``scored`` says which verdicts sit on the strength scale, for the figures on it (ordinal and
    interval alpha, strength-weighted ratings): one with a strength, or a tie given here (a tie
    has no strength; an imported label, tie or not, carries none); None for rankings, which
    have no strength. ``rankings`` (ranking projects
    only, else None) holds each judgment's positions best first (0 is A); ``levels`` (None when
    no ranking has ties) their ranks, equal for positions ranked equal (``ranking_levels``).
    ``seconds`` is NaN where no time was recorded (imports).
    """

    id: np.ndarray
    comparison: np.ndarray
    annotator: np.ndarray
    signed: np.ndarray
    seconds: np.ndarray
    rankings: list[list[int]] | None = None
    levels: list[list[int]] | None = None
    scored: np.ndarray | None = None

    def select(self, keep: np.ndarray) -> JudgmentArrays:
        """The rows where ``keep`` (a mask) holds; itself when it holds everywhere (no copy)."""
        if keep.all():
            return self
        rows = np.flatnonzero(keep)
        return JudgmentArrays(
            id=self.id[keep], comparison=self.comparison[keep], annotator=self.annotator[keep],
            signed=self.signed[keep], seconds=self.seconds[keep],
            rankings=None if self.rankings is None else [self.rankings[i] for i in rows],
            levels=None if self.levels is None else [self.levels[i] for i in rows],
            scored=None if self.scored is None else self.scored[keep],
        )


@dataclass(frozen=True)
class PositionArrays:
    """Every response position of the project's comparisons: ``model`` indexes ``models``."""

    comparison: np.ndarray
    position: np.ndarray
    model: np.ndarray
    length: np.ndarray
    models: list[str]


# --- the snapshot and the transport -----------------------------------------------------------


@contextmanager
def stats_snapshot() -> Iterator[str | None]:
    """Run the reads of one computation in one read-only snapshot (PostgreSQL); yields the
    snapshot's id for ``in_snapshot`` (None where reads simply run in turn).

    REPEATABLE READ makes the judgment and position reads agree even while judgments and imports
    commit. JIT is off because compiling these plain scans costs more (about 0.2 s a query)
    than it saves. Inside a caller's transaction (tests) or on
    SQLite the reads run as they are: SQLite's transactions here take the write lock, which
    must not wait on statistics.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with transaction.atomic():
        _read_only_settings()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        yield snapshot


def _read_only_settings(snapshot: str | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if snapshot:
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        cursor.execute("SET LOCAL jit = off")


def in_snapshot(snapshot: str | None, function, *args) -> Future:
    """Run ``function(*args)`` on a connection of its own in the same snapshot, in a thread, so
    PostgreSQL works on several queries at once; without a snapshot, run it now.

    The exporting transaction must stay open until the result is taken.
    """
    if snapshot is None:
        done = Future()
        done.set_result(function(*args))
        return done
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(_run_in_snapshot, snapshot, function, *args)
    pool.shutdown(wait=False)
    return future


def _run_in_snapshot(snapshot: str, function, *args):
    try:
        with transaction.atomic():
            _read_only_settings(snapshot)
            return function(*args)
    finally:
        connection.close()  # this thread's own connection


def _bigints(queryset: QuerySet, *columns) -> QuerySet:
    """``values_list`` of ``columns``, each cast to bigint (the layout ``_int_table`` reads)."""
    return queryset.values_list(*(Cast(column, BigIntegerField()) for column in columns))


def _int_table(query: QuerySet | tuple[str, list], width: int, *, copy: bool | None = None) -> np.ndarray:
    """The rows of a query of ``width`` non-null bigint columns as an (n, width) int64 array.

    ``query`` is a ``_bigints`` queryset or ``(sql, params)``. ``copy`` picks the transport:
    binary COPY (the default on PostgreSQL) or the DB-API cursor's rows (the only way
    elsewhere; the bench compares the two).
    """
    sql, params = query.query.sql_with_params() if isinstance(query, QuerySet) else query
    with connection.cursor() as cursor:
        if not (connection.vendor == "postgresql" if copy is None else copy):
            cursor.execute(sql, params)
            return np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64).reshape(-1, width)
        buffer = io.BytesIO()
        cursor.copy_expert(f"COPY ({cursor.mogrify(sql, params).decode()}) TO STDOUT (FORMAT binary)", buffer)
    return _binary_bigint_rows(buffer.getvalue(), width)


def _binary_bigint_rows(data: bytes, width: int) -> np.ndarray:
    """Parse PostgreSQL's binary COPY output of ``width`` non-null bigint columns.

    The format: an 11-byte signature, int32 flags, an int32 header-extension length and the
    extension; then per row an int16 field count and, per field, an int32 length (8) and the
    value, all big-endian; then an int16 -1.
    """
    start = 19 + int.from_bytes(data[15:19], "big")
    fields = [("count", ">i2")] + [(f"{kind}{i}", code) for i in range(width) for kind, code in (("size", ">i4"), ("value", ">i8"))]
    rows = np.frombuffer(data, dtype=np.dtype(fields), count=(len(data) - start - 2) // np.dtype(fields).itemsize, offset=start)
    if np.any(rows["count"] != width) or any(np.any(rows[f"size{i}"] != 8) for i in range(width)):
        raise ValueError("COPY rows are not all non-null bigints")  # a NULL would shift every later row
    # each column converted once into its own contiguous row of one array (no stacked copies):
    # the (n, width) result is that array's transpose, so a column is a contiguous view
    table = np.empty((width, len(rows)), dtype=np.int64)
    for i in range(width):
        table[i] = rows[f"value{i}"]
    return table.T


def _signed(winner, strength) -> Case:
    """+strength for "a", -strength for "b", 0 for a tie; NULL for anything else."""
    magnitude = Coalesce(strength, Value(1))
    return Case(
        When(**{winner: "a"}, then=magnitude),
        When(**{winner: "b"}, then=-magnitude),
        When(**{winner: "tie"}, then=Value(0)),
        default=None,
        output_field=IntegerField(),
    )


def _scored(winner: str, strength: str) -> Case:
    """1 where a verdict sits on the strength scale (``JudgmentArrays.scored``), else 0;
    ``winner`` and ``strength`` name fields or annotations."""
    return Case(
        When(**{f"{strength}__isnull": False}, then=Value(1)),
        When(Q(**{winner: "tie"}) & ~Q(client_key__startswith=IMPORTED_KEY_PREFIX), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


# --- judgments and positions ----------------------------------------------------------------------


def counted_judgments(project: Project) -> QuerySet[Judgment]:
    """The project's judgments that count: all but those rejected in review (issue #19), which
    stay for the audit trail only. Judges' judgments are here; the payload tells them apart."""
    return Judgment.objects.filter(project=project).exclude(review=ReviewState.REJECTED)


def judgment_arrays(project: Project, *, copy: bool | None = None) -> JudgmentArrays:
    """The project's counted judgments, main result only (``copy``: see ``_int_table``)."""
    judgments = counted_judgments(project)
    if project.task_type == ComparisonKind.RANKING:
        return _ranking_arrays(judgments.values_list("id", "comparison_id", "annotator_id", "time_spent_ms", "ranking", "ranking_ties"))
    return _judgment_rows(_int_table(_judgment_table(project), len(JUDGMENT_COLUMNS), copy=copy))


JUDGMENT_COLUMNS = ("id", "comparison_id", "annotator_id", "signed", "time_spent_ms", "scored")


def _judgment_table(project: Project) -> QuerySet:
    judgments = counted_judgments(project).annotate(signed=_signed("winner", "strength"),
                                                    scored=_scored("winner", "strength"))
    return _bigints(judgments.filter(signed__isnull=False), *JUDGMENT_COLUMNS)


def _judgment_rows(rows: np.ndarray) -> JudgmentArrays:
    """``JUDGMENT_COLUMNS`` rows, put in id order."""
    if np.any(rows[1:, 0] < rows[:-1, 0]):  # a plain scan usually returns them in order already
        rows = rows[np.argsort(rows[:, 0], kind="stable")]
    return JudgmentArrays(
        id=rows[:, 0], comparison=rows[:, 1], annotator=rows[:, 2], signed=rows[:, 3],
        seconds=_seconds(rows[:, 4]), scored=rows[:, 5] == 1,
    )


def criterion_arrays(project: Project, name: str) -> JudgmentArrays:
    """Each counted judgment's result on criterion ``name``; judgments without it are left out."""
    judgments = counted_judgments(project)
    result = KeyTransform(name, "criteria")
    if project.task_type == ComparisonKind.RANKING:
        rows = judgments.annotate(result=KeyTransform("ranking", result), ties=KeyTransform("ranking_ties", result))
        rows = rows.filter(result__isnull=False).values_list("id", "comparison_id", "annotator_id", "time_spent_ms", "result", "ties")
        return _ranking_arrays(rows)
    # A verdict without strength stores JSON null, which SQLite's text extraction gives as 'null'
    # and the cast then as 0: every such verdict read as a tie. NULL it first (PostgreSQL's ->>
    # gives NULL already), so Coalesce in _signed gives it magnitude 1, as the main verdict's,
    # and _scored sees it has none.
    strength = Cast(NullIf(KeyTextTransform("strength", result), Value("null")), IntegerField())
    # the Cast makes it plain text: a key transform's "=" would compare JSON values
    judgments = judgments.annotate(criterion_winner=Cast(KeyTextTransform("winner", result), CharField()),
                                   criterion_strength=strength)
    judgments = judgments.annotate(signed=_signed("criterion_winner", "criterion_strength"),
                                   scored=_scored("criterion_winner", "criterion_strength")).filter(signed__isnull=False)
    return _judgment_rows(_int_table(_bigints(judgments, *JUDGMENT_COLUMNS), len(JUDGMENT_COLUMNS)))


def _ranking_arrays(rows) -> JudgmentArrays:
    """Ranking judgments: letters become positions, ties ranks; JSON is decoded per row (no SQL coding)."""
    ids, comparisons, annotators, times, rankings, levels = [], [], [], [], [], []
    position = {letter: i for i, letter in enumerate(LETTERS)}
    for judgment_id, comparison_id, annotator_id, time_ms, ranking, ties in sorted(rows, key=itemgetter(0)):
        if not isinstance(ranking, list) or not ranking:
            continue
        ids.append(judgment_id)
        comparisons.append(comparison_id)
        annotators.append(annotator_id)
        times.append(time_ms)
        rankings.append([position[letter] for letter in ranking])
        levels.append(ranking_levels(ranking, ties))
    size = len(ids)
    tied = any(level != list(range(len(level))) for level in levels)
    return JudgmentArrays(
        id=np.array(ids, dtype=np.int64), comparison=np.array(comparisons, dtype=np.int64),
        annotator=np.array(annotators, dtype=np.int64), signed=np.zeros(size, dtype=np.int64),
        seconds=_seconds(np.array(times, dtype=np.int64)), rankings=rankings, levels=levels if tied else None,
    )


def _seconds(milliseconds: np.ndarray) -> np.ndarray:
    # 0 is what a judgment without a recorded time stores (imports): missing, not instant
    return np.where(milliseconds > 0, milliseconds / 1000.0, np.nan)


def position_arrays(project: Project, *, copy: bool | None = None) -> PositionArrays:
    """Model and length of every response position of the project's comparisons.

    Two plain scans joined here: positions by their comparison's id range, responses by project.
    PostgreSQL's hash join of the two costs several times the scans (1M responses). Positions of
    other projects' comparisons interleaved in the range find no response and are dropped.
    Model names are coded in SQL against the sorted list of names: a CASE over a few dozen
    names costs less than sending a name per response.
    """
    models = list(
        Response.objects.filter(project=project).order_by("model_name")
        .values_list("model_name", flat=True).distinct()
    )
    span = Comparison.objects.filter(project=project).aggregate(low=Min("id"), high=Max("id"))
    positions = ComparisonResponse.objects.filter(comparison__gte=span["low"] or 0, comparison__lte=span["high"] or -1)
    positions = _int_table(_bigints(positions.order_by(), "comparison_id", "position", "response_id"), 3, copy=copy)
    responses = _int_table(_response_table(project, models), 3, copy=copy)
    if np.any(responses[1:, 0] < responses[:-1, 0]):  # a plain scan usually returns them in order already
        responses = responses[np.argsort(responses[:, 0], kind="stable")]
    row = locate(responses[:, 0], positions[:, 2])
    if np.any(row < 0):  # positions of other projects' comparisons in the id range
        positions, row = positions[row >= 0], row[row >= 0]
    return PositionArrays(comparison=positions[:, 0], position=positions[:, 1], model=responses[row, 1],
                      length=responses[row, 2], models=models)


def _response_table(project: Project, models: list[str]) -> tuple[str, list]:
    """``(sql, params)``: id, model code and length of each of the project's responses.

    The code comes from joining a list of the sorted names, written as a VALUES list: a CASE
    over a few dozen names costs PostgreSQL about twice as much as the scan itself, a join to
    a small list hardly anything. (The ORM has no join to a literal list.)
    """
    if not models:
        return "SELECT 1 WHERE 1 = 0", []
    inner, params = (Response.objects.filter(project=project).order_by()
                     .values_list("id", "model_name", "length_chars").query.sql_with_params())
    names = ", ".join(["(%s, %s)"] * len(models))
    sql = (f"WITH names (name, code) AS (VALUES {names}) "
           "SELECT CAST(r.id AS bigint), CAST(names.code AS bigint), CAST(r.length_chars AS bigint) "
           f"FROM ({inner}) AS r JOIN names ON names.name = r.model_name")
    return sql, [value for code, name in enumerate(models) for value in (name, code)] + list(params)


# --- the cached payload -----------------------------------------------------------------------


def project_stats_for_viewer(*, project: Project, user, admin: bool) -> dict | None:
    """The cached stats as ``user`` may see them, with ``stale``; None when none are cached.

    Project admins see everything. Annotators see the project-wide figures (agreement,
    counts) and, of the per-annotator rows, only their own: another person's agreement,
    speed and outlier flag are for the admins who act on them. Annotators get no ``ratings``:
    they judge blind, and a leaderboard naming the models (with their win rates) would tell
    them which model's style to expect, and to favour, on the next screen; nor ``judges``, whose
    names are checkpoints of those models.
    """
    row = ProjectStats.objects.filter(project=project, computed_at__isnull=False).values_list(
        "payload", "dirty", "refresh_started_at"
    ).first()
    if row is None:
        return None
    payload, dirty, refreshing = row
    if not admin:
        own_row = [r for r in payload.get("annotators", []) if r.get("annotator") == user.pk]
        hidden = ("ratings", "judges")
        payload = {key: value for key, value in payload.items() if key not in hidden} | {"annotators": own_row}
    return {**payload, "stale": dirty or refreshing is not None}

"""Serving comparisons to annotators: leases, overlap, gold mixing and lazy expiry.

Seats. ``Comparison.holders`` counts annotators holding a live lease on it or having judged it,
and ``is_open`` is ``holders < project.overlap``. A seat is taken with a conditional
``UPDATE ... WHERE holders < overlap`` that must change exactly one row and released with a
decrement, so the count stays right whatever interleaving the requests take.

Gold comparisons are quality checks that every annotator should see once. They take no seat:
their ``holders`` stays 0 and they stay open, so the overlap never limits them (the same
partial index serves them). Their ``judgment_count`` still counts the judgments they received.
Gold is only mixed into real work: when an annotator has no regular comparison left, they get
``None`` even if unseen gold remains (a queue of nothing but gold would give it away, and
answers given with nothing else to do say little about the real work).

Concurrency. Each annotator's writes (next-task, submit, undo, skip, demonstration) are
serialised by ``annotator_lock`` (a row lock on their user row), so one person's double-clicks
and late retries never race each other. Across annotators, the candidate comparison is taken
with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two requests never wait on or get
the same row; the conditional update is the guard that holds on every backend. On SQLite,
transactions start ``IMMEDIATE`` (see settings), so writers are serialised by the database
lock and ``select_for_update`` is a no-op.

Lock order, to rule out deadlocks. Every path that touches an annotator's lease rows takes
that annotator's user row first. After it, next-task locks one comparison row and then writes
(and, on a re-served comparison, locks) the annotator's own lease row, while submit, undo and
skip lock the lease row and then the comparison row; both are safe only because the user row
already serialises them (a late submit on a reclaimed lease racing the next-task that re-serves
that comparison deadlocked before submits took it: ``tests/labeling/annotation/test_lock_order.py``).
Lease rows are otherwise locked only by the reclaimer, with ``SKIP LOCKED`` (it never waits on
one), which then locks comparison rows in id order; a transaction holds at most one comparison
row unless it locks them in id order.

Cost. Every next-task runs the statements below, so they are plain SQL (``labeling.hot_sql``
says why); the rare paths (reclaiming, releasing) use the ORM.
"""

import random
from collections import Counter
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from labeling.hot_sql import (
    aware,
    db_datetime,
    for_update,
    raw_first,
    sql_count,
    sql_first,
    sql_text,
)
from labeling.models import Comparison, Lease, LeaseState, Project

LIVE_LEASES_MAX = 2  # the comparison on screen and one prefetched ahead of it
RECLAIM_BATCH = 50  # expired leases returned to the pool per call: bounds the cost of any one request
_rng = random.Random()  # production default; tests pass a seeded ``rng``


def comparison_lease_next(
    *, project: Project, annotator, ahead: bool = False, rng: random.Random | None = None
) -> Comparison | None:
    """The comparison ``annotator`` should judge now (or, with ``ahead``, the one after it).

    A repeated call returns the annotator's live lease instead of taking a new one. With
    ``ahead`` they may hold a second live lease (the prefetch), which is what is returned; it is
    taken even when the first one does not exist yet, so the two calls can arrive in any order.
    Returns ``None`` when nothing is left for this annotator. The comparison comes with
    ``lease_expires_at`` set to the expiry of the caller's lease on it.

    Cost per call is a few index probes: expired leases are reclaimed in bounded batches on
    ``lease_active_expiry`` and the candidate is the first row of the partial index
    ``comparison_serving_order`` not already seen by this annotator.
    """
    lease_expire_due(project=project)
    wanted = 2 if ahead else 1
    while True:  # at most twice: each round returns or commits one more live lease
        # One new lease per transaction: a transaction then holds at most one comparison
        # lock, so its wait in _candidate can never close a cycle with another's.
        with transaction.atomic():
            annotator_lock(annotator)
            live = _live_leases(project, annotator)
            if len(live) >= wanted:
                return live[wanted - 1]
            comparison = _lease_new(project, annotator, rng or _rng)
            if comparison is None or len(live) + 1 == wanted:
                return comparison


def lease_expire_due(*, project: Project, now: datetime | None = None, limit: int = RECLAIM_BATCH) -> int:
    """Return up to ``limit`` leases past their expiry to the pool; the number reclaimed.

    Leases locked by someone else (a submit in flight) are skipped, and the state is
    re-checked under the lock, so a lease is never both judged and reclaimed.
    """
    now = now or timezone.now()
    if not sql_first(_ANY_DUE, [project.pk, db_datetime(now)]):  # the common case: one index probe
        return 0
    due = Lease.objects.filter(project=project, state=LeaseState.ACTIVE, expires_at__lte=now)
    with transaction.atomic():
        rows = list(
            due.order_by("expires_at").select_for_update(skip_locked=True).values_list("id", "comparison_id")[:limit]
        )
        if not rows:
            return 0
        Lease.objects.filter(id__in=[lease_id for lease_id, _ in rows]).update(
            state=LeaseState.EXPIRED, updated_at=now
        )
        comparison_seats_release(project=project, comparison_ids=[cid for _, cid in rows])
    return len(rows)


_ANY_DUE = sql_text("""
    SELECT 1 FROM {Lease} WHERE {Lease.project} = %s AND state = 'active' AND expires_at <= %s LIMIT 1
""", Lease)


def annotator_lock(annotator) -> None:
    """Serialise one annotator's leasing, submit, undo, skip and demonstration writes until the
    end of the caller's transaction; taken before any lease or comparison row (the lock order).

    ``FOR NO KEY UPDATE``, so rows that merely reference the user (new leases, judgments)
    are not blocked. SQLite serialises all writers already, so nothing is sent there.
    """
    if connection.features.has_select_for_update:
        table = get_user_model()._meta.db_table
        sql_first(f"SELECT id FROM {table} WHERE id = %s{for_update(no_key=True)}", [annotator.pk])


def comparison_seat_take(*, comparison_id: int, overlap: int) -> bool:
    """Take one seat if one is free; False when the comparison is full.

    A conditional update, safe without any lock: two takers of the last seat cannot both
    change the row. ``is_open`` is computed from the old ``holders`` in the same statement.
    """
    return sql_count(_SEAT_TAKE, [overlap, comparison_id, overlap]) == 1


_SEAT_TAKE = sql_text("""
    UPDATE {Comparison} SET holders = holders + 1, is_open = (holders + 1 < %s)
    WHERE id = %s AND NOT is_gold AND holders < %s
""", Comparison)


def comparison_seats_release(*, project: Project, comparison_ids: list[int]) -> None:
    """Give back one seat per id (an id may repeat); gold comparisons hold no seats.

    Rows are locked in id order first, so two reclaimers with overlapping batches cannot
    deadlock; the caller is inside a transaction.
    """
    counts = Counter(comparison_ids)
    locked = Comparison.objects.select_for_update().filter(id__in=counts, is_gold=False).order_by("id")
    ids = list(locked.values_list("id", flat=True))
    by_count: dict[int, list[int]] = {}
    for cid in ids:
        by_count.setdefault(counts[cid], []).append(cid)
    for n, chunk in by_count.items():
        Comparison.objects.filter(id__in=chunk).update(
            holders=F("holders") - n,
            is_open=Case(When(holders__lt=project.overlap + n, then=Value(True)), default=Value(False)),
        )


def lease_expiry(project: Project, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(minutes=project.lease_minutes)


def _live_leases(project: Project, annotator) -> list[Comparison]:
    """Comparisons under active, unexpired leases, the one expiring first (the comparison on screen) first."""
    rows = Comparison.objects.raw(_LIVE, [annotator.pk, project.pk, db_datetime(timezone.now()), LIVE_LEASES_MAX])
    return [_with_expiry(comparison, aware(comparison.lease_expires_at)) for comparison in rows]


_LIVE = sql_text("""
    SELECT c.*, l.expires_at AS lease_expires_at
    FROM {Lease} l JOIN {Comparison} c ON c.id = l.{Lease.comparison}
    WHERE l.{Lease.annotator} = %s AND l.{Lease.project} = %s AND l.state = 'active' AND l.expires_at > %s
    ORDER BY l.expires_at, l.id LIMIT %s
""", Lease, Comparison)


def _with_expiry(comparison: Comparison, expires_at: datetime) -> Comparison:
    comparison.lease_expires_at = expires_at
    return comparison


def _lease_new(project: Project, annotator, rng: random.Random) -> Comparison | None:
    """Lease one more comparison; the caller holds ``annotator_lock``.

    A gold draw is honoured only while regular work remains for this annotator (one more
    index probe, on gold draws only), and falls back to regular work when they have seen
    every gold comparison.
    """
    if project.gold_rate > 0 and rng.random() < project.gold_rate and _has_regular_work(project, annotator):
        comparison = _take(project, annotator, gold=True)
        if comparison is not None:
            return comparison
    return _take(project, annotator, gold=False)


def _has_regular_work(project: Project, annotator) -> bool:
    return sql_first(_CANDIDATES.format(lock=""), [project.pk, False, annotator.pk]) is not None


def _take(project: Project, annotator, *, gold: bool) -> Comparison | None:
    # The candidate is row-locked (PostgreSQL) and re-checked under the lock, so the seat
    # update succeeds. It fails only on a row whose is_open disagrees with holders (the
    # overlap was lowered under it): that row is closed and the next one tried.
    while (comparison := _candidate(project, annotator, gold=gold)) is not None:
        if gold or comparison_seat_take(comparison_id=comparison.pk, overlap=project.overlap):
            return _with_expiry(comparison, _lease_record(project, comparison, annotator))
        Comparison.objects.filter(pk=comparison.pk, holders__gte=project.overlap).update(is_open=False)
    return None


def _candidate(project: Project, annotator, *, gold: bool) -> Comparison | None:
    """The first open comparison in serving order this annotator has not had, row-locked.

    Walks ``comparison_serving_order`` (judgment_count desc, priority desc, random_key) and
    anti-joins the annotator's own lease rows on ``lease_unique``: the rows read are the ones
    this annotator has touched and that are still open, plus rows other requests hold locked,
    never the whole table. A lease of theirs that expired does not exclude the comparison:
    it went back to the pool for everyone, them included.
    """
    params = [project.pk, gold, annotator.pk]
    found = raw_first(Comparison, _CANDIDATES.format(lock=for_update(skip_locked=True, of="c")), params)
    if found is None and connection.features.has_select_for_update_skip_locked:
        # Skipping may have hidden the last open rows, locked for a moment by a submit or by
        # someone taking a different seat of them. Before answering "nothing left", wait for
        # those locks; this only happens at the very end of an annotator's queue.
        found = raw_first(Comparison, _CANDIDATES.format(lock=for_update(of="c")), params)
    return found


# Open comparisons of one kind (gold or not) that this annotator holds no unexpired lease row
# on, in serving order. ``c.is_gold = %s`` and the bare ``c.is_open`` match the partial index
# ``comparison_serving_order`` on both databases.
_CANDIDATES = sql_text("""
    SELECT c.* FROM {Comparison} c
    WHERE c.{Comparison.project} = %s AND c.is_gold = %s AND c.is_open
      AND NOT EXISTS (
        SELECT 1 FROM {Lease} l
        WHERE l.{Lease.comparison} = c.id AND l.{Lease.annotator} = %s AND l.state <> 'expired'
      )
    ORDER BY c.judgment_count DESC, c.priority DESC, c.random_key
    LIMIT 1{{lock}}
""", Comparison, Lease)


def _lease_record(project: Project, comparison: Comparison, annotator) -> datetime:
    """Write the lease row and return its expiry.

    The candidate query excluded every lease row of theirs except an expired one, so a
    conflict on ``lease_unique`` can only be that row: it is made active again (one
    ``INSERT ... ON CONFLICT DO UPDATE``; the caller holds ``annotator_lock``).
    """
    now = timezone.now()
    expires_at = lease_expiry(project, now)
    stamp = db_datetime(now)
    sql_count(_LEASE_UPSERT, [project.pk, comparison.pk, annotator.pk, db_datetime(expires_at), stamp, stamp])
    return expires_at


_LEASE_UPSERT = sql_text("""
    INSERT INTO {Lease} ({Lease.project}, {Lease.comparison}, {Lease.annotator}, state, expires_at, created_at, updated_at)
    VALUES (%s, %s, %s, 'active', %s, %s, %s)
    ON CONFLICT ({Lease.comparison}, {Lease.annotator}) DO UPDATE
    SET state = 'active', expires_at = excluded.expires_at, updated_at = excluded.updated_at
""", Lease)

"""Project statistics cached: ``labeling.stats.payload`` computes them, this module stores and
refreshes them.

Caching and debounce. Requests read ``ProjectStats``; they never compute. Each write that
changes the figures calls ``project_stats_changed`` inside its transaction: it turns ``dirty``
on with a conditional update and only the call that turned it on schedules a recomputation,
a little later (``_delay``), so a burst of judgments costs one computation and a submit costs
one UPDATE that usually matches nothing, never a broker message.
The recomputation claims the work by turning ``dirty`` off and stamping ``refresh_started_at``
(again a conditional update: of several queued, one computes), so a judgment committing while
it runs turns ``dirty`` on again and schedules the next one. The stamp is cleared in the
transaction that stores the payload, and only by the refresh that set it: stats are fresh
when neither ``dirty`` nor a stamp is set, so a worker killed mid-computation leaves them
marked stale, and after ``STALE_AFTER`` the next read (or a queued refresh) takes the work
over. A payload is stored only over an older one, so two computations finishing out of order
never leave the older snapshot in place.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from labeling.hot_sql import sql_count, sql_text
from labeling.models import Project, ProjectStats
from labeling.stats.payload import project_stats_compute

DEBOUNCE_SECONDS = 5.0
DEBOUNCE_COST_FACTOR = 10  # wait at least 10x the last computation: stats take <= ~10% of a worker
STALE_AFTER = timedelta(minutes=10)  # dirty this long: the pending refresh was lost or failed


# --- the cache --------------------------------------------------------------------------------


def project_stats_store(*, project: Project, payload: dict) -> bool:
    """Store ``payload`` as the project's stats unless one from a later snapshot is there."""
    ProjectStats.objects.get_or_create(project=project, defaults={"dirty": False})
    computed_at = datetime.fromisoformat(payload["computed_at"])
    newer = Q(computed_at__isnull=True) | Q(computed_at__lte=computed_at)
    return ProjectStats.objects.filter(newer, project=project).update(
        payload=payload, judgment_watermark=payload["judgments"], computed_at=computed_at,
    ) == 1


def project_stats_request(project_id: int) -> bool:
    """Mark the project's stats out of date; True for the call that turned ``dirty`` on.

    That call schedules the refresh; later ones find it scheduled (the debounce).
    """
    if not Project.objects.filter(pk=project_id).exists():
        return False
    ProjectStats.objects.get_or_create(project_id=project_id, defaults={"dirty": False})
    return ProjectStats.objects.filter(project_id=project_id, dirty=False).update(dirty=True) == 1


_MARK_DIRTY = sql_text(
    "UPDATE {ProjectStats} SET dirty = %s WHERE {ProjectStats.project} = %s AND NOT dirty", ProjectStats
)


def project_stats_changed(project_id: int) -> None:
    """The caller's transaction changes what the stats count (judgments, skips, flags, imports).

    Turns ``dirty`` on; the call that turned it on schedules one recomputation after commit
    (the debounce). ``project_create`` makes the row; a project without one (made before
    rows were) gets nothing scheduled here, and its first stats read schedules the first
    computation (``project_stats_nudge``).
    Call it last in the transaction: when it does turn ``dirty`` on it holds that row's lock
    until commit, and concurrent writers of the project wait on it for that long.
    """
    # plain SQL: every submit runs it (labeling.hot_sql says why)
    if sql_count(_MARK_DIRTY, [True, project_id]) != 1:
        return
    from labeling.tasks import project_stats_recompute  # tasks import this module

    delay = _delay(project_id)
    # robust: the judgment is committed by then; a broker hiccup must not turn it into a 500
    # (a refresh that was never sent is noticed by project_stats_nudge after STALE_AFTER).
    transaction.on_commit(
        lambda: project_stats_recompute.apply_async(args=[project_id], countdown=delay), robust=True
    )


def _delay(project_id: int) -> float:
    """Seconds to wait before refreshing: longer for projects whose stats take long."""
    last = ProjectStats.objects.filter(project_id=project_id).values_list("payload__seconds__total", flat=True).first()
    return max(DEBOUNCE_SECONDS, DEBOUNCE_COST_FACTOR * float(last or 0.0))


def project_stats_refresh(project_id: int) -> bool:
    """Recompute and store the stats if they are dirty; False when there was nothing to do.

    Safe to run twice and concurrently: the claim (``_refresh_claim``) lets one run of several
    compute. The stats are marked fresh only in the transaction that stores the payload; on an
    error the work is handed back (``dirty`` on) before re-raising, and a killed worker's claim
    goes stale and is taken over.
    """
    started_at = _refresh_claim(project_id)
    if started_at is None:
        return False
    project = Project.objects.get(pk=project_id)
    mine = ProjectStats.objects.filter(project_id=project_id, refresh_started_at=started_at)
    try:
        payload = project_stats_compute(project)
    except Exception:
        with transaction.atomic():
            mine.update(refresh_started_at=None)
            ProjectStats.objects.filter(project_id=project_id).update(dirty=True)
        raise
    with transaction.atomic():
        project_stats_store(project=project, payload=payload)
        mine.update(refresh_started_at=None)  # a later claim, if any, marks fresh when it stores
    return True


def _refresh_claim(project_id: int) -> datetime | None:
    """Claim the refresh: turn ``dirty`` off and stamp the start, if the stats are dirty or the
    last claim is older than ``STALE_AFTER`` (its worker died). The stamp, or None if not ours."""
    now = timezone.now()
    claimable = Q(dirty=True) | Q(refresh_started_at__lt=now - STALE_AFTER)
    claimed = ProjectStats.objects.filter(claimable, project_id=project_id).update(dirty=False, refresh_started_at=now)
    return now if claimed == 1 else None


def project_stats_nudge(project: Project) -> bool:
    """Stats were asked for: schedule a refresh now if none are cached or the one pending
    looks lost (dirty for ``STALE_AFTER``: the refresh failed or was never sent; or claimed
    for ``STALE_AFTER``: its worker died).

    The refresh is claim-protected, so an extra one is harmless. True when one was sent.
    """
    row = ProjectStats.objects.filter(project=project).values_list("dirty", "computed_at", "refresh_started_at").first()
    dirty, computed_at, started_at = row or (False, None, None)
    long_ago = timezone.now() - STALE_AFTER
    lost = (dirty and computed_at is not None and computed_at < long_ago) or (started_at is not None and started_at < long_ago)
    if computed_at is not None and not lost:
        return False
    project_stats_request(project.pk)
    from labeling.tasks import project_stats_recompute

    # robust: a broker hiccup must not turn a read of the stats into a 500
    transaction.on_commit(lambda: project_stats_recompute.delay(project.pk), robust=True)
    return True

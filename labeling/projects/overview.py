"""Reads for the admin dashboard's overview: how far the collection is, how fast it moves, what to review.

Every figure is a count over one project. The queries are aggregates that ride on the indexes
the hot paths already need: judgments by (project, created_at), active leases by (project,
expires_at), comparisons and leases by project. Nothing here is cached: the overview is polled
every few seconds by at most a handful of admins, and each call costs a few small queries.
"""

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from labeling.models import (
    IMPORT_USER_PREFIX,
    IMPORTED_KEY_PREFIX,
    Comparison,
    ComparisonKind,
    Flag,
    Judge,
    Judgment,
    Lease,
    LeaseState,
    Project,
    ReviewState,
    Winner,
)

HOURS = 24
EXCERPT_CHARS = 160


def project_overview(*, project: Project, now: datetime | None = None, flags_limit: int = 20) -> dict:
    """Progress, pace, leases in flight, tie/skip/flag rates and the flags waiting for review."""
    now = now or timezone.now()
    judgments = _judgment_counts(project, since=now - timedelta(hours=HOURS))
    leases = _lease_counts(project, now=now)
    flags = _flag_counts(project)
    # Every comparison a person finished on this site either way, judged or skipped: imported
    # labels are no one's work here (no lease, never skipped or flagged), so they are left out,
    # as each annotator's skip_rate and flag_rate in the stats leave them out.
    answered = judgments["total"] - judgments["imported"] + leases["skipped"]
    return {
        "project": project.pk,
        "generated_at": now,
        "comparisons": _comparison_counts(project),
        "judgments": {**judgments, "per_hour": judgments_per_hour(project=project, now=now)},
        "leases": leases,
        "flags": flags,
        "rates": {
            "tie": _share(judgments["ties"], judgments["total"]) if _may_tie(project) else None,
            "skip": _share(leases["skipped"], answered),
            "flag": _share(flags["finished_flagged"], answered),
        },
        "flagged": flagged_for_review(project=project, limit=flags_limit),
    }


def _may_tie(project: Project) -> bool:
    """A pairwise project always may; a ranking project where it allows ties (ranks equal)."""
    return project.task_type == ComparisonKind.PAIRWISE or project.allow_ties


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _comparison_counts(project: Project) -> dict:
    """Regular comparisons by how many of the wanted ``overlap`` judgments they have; gold apart."""
    counts = Comparison.objects.filter(project=project).aggregate(
        total=Count("pk", filter=Q(is_gold=False)),
        complete=Count("pk", filter=Q(is_gold=False, judgment_count__gte=project.overlap)),
        started=Count("pk", filter=Q(is_gold=False, judgment_count__gt=0)),
        gold=Count("pk", filter=Q(is_gold=True)),
    )
    started = counts.pop("started")
    return {**counts, "partial": started - counts["complete"], "overlap": project.overlap}


def _by_judges(project: Project) -> Q:
    """Judgments of the project's judges (models), by a subquery: no join on every judgment."""
    return Q(annotator_id__in=Judge.objects.filter(project=project).values("user_id"))


def _counted(project: Project) -> Q:
    """People's judgments that count: not rejected in review, not a judge's."""
    return ~Q(review=ReviewState.REJECTED) & ~_by_judges(project)


def _imported() -> Q:
    return Q(client_key__startswith=IMPORTED_KEY_PREFIX)


def _judgment_counts(project: Project, *, since: datetime) -> dict:
    """People's judgments (``_counted``); beside them, judges' and those rejected in review."""
    counted = _counted(project)
    return Judgment.objects.filter(project=project).aggregate(
        total=Count("pk", filter=counted),
        # A pairwise tie, or a ranking with positions ranked equal (ranking_ties is null when none).
        ties=Count("pk", filter=counted & (Q(winner=Winner.TIE) | Q(ranking_ties__isnull=False))),
        imported=Count("pk", filter=counted & _imported()),
        # work done here lately: an import's labels are not (they were made elsewhere, any time)
        last_24h=Count("pk", filter=counted & ~_imported() & Q(created_at__gte=since)),
        # people at work: an import's label source (import:…) is not one, though its judgments count
        annotators_24h=Count("annotator", distinct=True, filter=counted & Q(created_at__gte=since)
                             & ~Q(annotator__username__startswith=IMPORT_USER_PREFIX)),
        by_judges=Count("pk", filter=~Q(review=ReviewState.REJECTED) & _by_judges(project)),
        rejected=Count("pk", filter=Q(review=ReviewState.REJECTED)),
    )


def judgments_per_hour(*, project: Project, now: datetime, hours: int = HOURS) -> list[dict]:
    """People's judgments made here in each of the last ``hours`` clock hours (UTC), oldest first
    (imported labels left out); the last is the current hour."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    starts = [current - timedelta(hours=back) for back in range(hours - 1, -1, -1)]
    rows = (
        Judgment.objects.filter(_counted(project), ~_imported(), project=project, created_at__gte=starts[0])
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values("hour")
        .annotate(count=Count("pk"))
    )
    by_hour = {row["hour"]: row["count"] for row in rows}
    return [{"hour": start, "count": by_hour.get(start, 0)} for start in starts]


def _lease_counts(project: Project, *, now: datetime) -> dict:
    # Leases past their expiry stay 'active' until the assignment service sweeps them lazily:
    # only the unexpired ones are really in flight.
    in_flight = Lease.objects.filter(project=project, state=LeaseState.ACTIVE, expires_at__gt=now).aggregate(
        leases=Count("pk"), annotators=Count("annotator", distinct=True)
    )
    skipped = Lease.objects.filter(project=project, state=LeaseState.SKIPPED).count()
    return {"in_flight": in_flight["leases"], "annotators_in_flight": in_flight["annotators"], "skipped": skipped}


def _flag_counts(project: Project) -> dict:
    rows = list(
        Flag.objects.filter(project=project).values("reason").annotate(
            total=Count("pk"), open=Count("pk", filter=Q(resolved=False))
        )
    )
    by_reason = {row["reason"]: row["total"] for row in rows}
    # The rate's numerator, as each annotator's flag_rate in the stats counts it: a finished
    # comparison (judged or skipped) its annotator flagged, once whatever the reasons. Counting
    # flags instead put a comparison flagged for two reasons, and flags on comparisons not
    # finished, over a denominator of finished ones.
    finished = Lease.objects.filter(
        comparison=OuterRef("comparison"), annotator=OuterRef("annotator"), state__in=[LeaseState.JUDGED, LeaseState.SKIPPED]
    )
    flagged = Flag.objects.filter(project=project).filter(Exists(finished)).values("comparison", "annotator").distinct()
    return {
        "total": sum(by_reason.values()),
        "open": sum(row["open"] for row in rows),
        "by_reason": by_reason,
        "finished_flagged": flagged.count(),
    }


def flagged_for_review(*, project: Project, limit: int = 20) -> list[dict]:
    """The newest unresolved flags, with who raised them and the start of the prompt's last turn."""
    flags = (
        Flag.objects.filter(project=project, resolved=False)
        .select_related("annotator", "comparison__prompt")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        {
            "id": flag.pk,
            "comparison": flag.comparison_id,
            "reason": flag.reason,
            "note": flag.note,
            "annotator": flag.annotator.get_username(),
            "created_at": flag.created_at,
            "prompt_excerpt": _excerpt(flag.comparison.prompt.messages),
        }
        for flag in flags
    ]


def _excerpt(messages) -> str:
    """The last turn's text, cut to ``EXCERPT_CHARS`` (the screen shows it escaped, as plain text)."""
    last = messages[-1] if isinstance(messages, list) and messages else {}
    content = last.get("content", "") if isinstance(last, dict) else ""
    text = " ".join(str(content).split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"

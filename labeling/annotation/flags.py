"""Skips and flags: an annotator gives a leased comparison up, or reports it to the project's
admins (a skip with a reason does both).

Locks follow ``labeling.annotation.judgments``: the annotator's user row first.
"""

from django.db import transaction
from django.utils import timezone

from labeling.access import access_comparison
from labeling.annotation.assignment import annotator_lock, comparison_seats_release
from labeling.annotation.judgments import check_texts
from labeling.errors import Conflict, InvalidInput
from labeling.models import Comparison, Flag, FlagReason, Lease, LeaseState
from labeling.stats.services import project_stats_changed


def comparison_skip(*, annotator, comparison_id: int, reason: str = "", note: str = "") -> None:
    """Give up a leased comparison for good: it is never served to this annotator again.

    Frees the seat for someone else. A non-empty ``reason`` (a ``FlagReason``) also records a
    flag. Skipping twice is a no-op, so a retried request is safe.
    """
    comparison = access_comparison(annotator, comparison_id)
    if reason:
        _check_flag_reason(reason)
    check_texts(note=note)
    with transaction.atomic():
        annotator_lock(annotator)
        lease = Lease.objects.select_for_update().filter(comparison=comparison, annotator=annotator).first()
        if lease is None:
            raise Conflict("you hold no lease on this comparison; get it from next-task first", reason="no_lease")
        if lease.state == LeaseState.JUDGED:
            raise Conflict("you already judged this comparison; undo the judgment before skipping", reason="already_judged")
        if lease.state != LeaseState.SKIPPED:
            Lease.objects.filter(pk=lease.pk).update(state=LeaseState.SKIPPED, updated_at=timezone.now())
        if lease.state == LeaseState.ACTIVE:  # expired leases gave their seat back already
            comparison_seats_release(project=comparison.project, comparison_ids=[comparison.pk])
        if reason:
            _flag_record(comparison, annotator, reason, note)
        project_stats_changed(comparison.project_id)  # skip and flag rates


def flag_create(*, annotator, comparison_id: int, reason: str, note: str = "") -> tuple[Flag, bool]:
    """Report a comparison to the project's admins (it stays leased); ``(flag, created)``.

    Annotators may flag what they were served; project admins may flag any comparison.
    One flag per (comparison, annotator, reason): a repeat while it is open returns it (a retry),
    and a repeat after an admin resolved it reopens it (a new report). ``created`` is True when
    the admins have something new to read.
    """
    comparison = access_comparison(annotator, comparison_id, seen=True)
    _check_flag_reason(reason)
    check_texts(note=note)
    with transaction.atomic():
        flag, created = _flag_record(comparison, annotator, reason, note)
        if created:
            project_stats_changed(comparison.project_id)
    return flag, created


def _check_flag_reason(reason) -> None:
    if reason not in FlagReason.values:
        raise InvalidInput(f"reason must be one of {', '.join(FlagReason.values)}")


def _flag_record(comparison: Comparison, annotator, reason: str, note: str) -> tuple[Flag, bool]:
    """The annotator's flag for ``reason``, and whether it is news: new, or reopened because it
    had been resolved (its note and time are then the new report's). An open flag repeated with
    another non-empty note takes that note."""
    flag, created = Flag.objects.select_for_update().get_or_create(
        comparison=comparison, annotator=annotator, reason=reason,
        defaults={"project_id": comparison.project_id, "note": note},
    )
    if created:
        return flag, True
    if flag.resolved:
        flag.resolved, flag.resolved_by, flag.resolved_at = False, None, None
        flag.note, flag.created_at = note, timezone.now()
        flag.save(update_fields=["resolved", "resolved_by", "resolved_at", "note", "created_at"])
        return flag, True
    if note and note != flag.note:
        flag.note = note
        flag.save(update_fields=["note"])
    return flag, False


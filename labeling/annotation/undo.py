"""Taking back a skip or a flag, as "undo last" does for a judgment (``judgment_undo``).

Same window and same locks as a judgment's undo: the annotator's lock first, then their lease
row, so an unskip cannot race a next-task or a second skip of the same comparison.
"""

from django.db import transaction
from django.utils import timezone

from labeling.access import access_comparison
from labeling.annotation.assignment import annotator_lock, comparison_seat_take, lease_expiry
from labeling.annotation.judgments import EDIT_WINDOW
from labeling.errors import Conflict, NotFound
from labeling.models import Comparison, Flag, Lease, LeaseState
from labeling.stats.services import project_stats_changed


def comparison_unskip(*, annotator, comparison_id: int, reason: str = "") -> Comparison:
    """Give ``annotator`` back a comparison they skipped within ``EDIT_WINDOW``, leased again.

    The skip freed its seat, so a free one is taken again; when others have filled the comparison
    meanwhile it is a Conflict and nothing changes. ``reason`` names the flag recorded with the
    skip (flag and skip), which is withdrawn unless an admin already resolved it. The comparison
    is returned with ``lease_expires_at`` set, like ``comparison_lease_next``'s.
    """
    comparison = access_comparison(annotator, comparison_id)
    with transaction.atomic():
        annotator_lock(annotator)
        lease = Lease.objects.select_for_update().filter(comparison=comparison, annotator=annotator).first()
        if lease is None or lease.state != LeaseState.SKIPPED:
            raise Conflict("you have not skipped this comparison", reason="not_skipped")
        _check_window(lease.updated_at, "skip")
        if not comparison.is_gold and not comparison_seat_take(comparison_id=comparison.pk, overlap=comparison.project.overlap):
            raise Conflict("other annotators have since taken every seat on this comparison", reason="full")
        comparison.lease_expires_at = lease_expiry(comparison.project)
        Lease.objects.filter(pk=lease.pk).update(
            state=LeaseState.ACTIVE, expires_at=comparison.lease_expires_at, updated_at=timezone.now()
        )
        if reason:
            Flag.objects.filter(comparison=comparison, annotator=annotator, reason=reason, resolved=False).delete()
        project_stats_changed(comparison.project_id)  # skip and flag rates
    return comparison


def flag_withdraw(*, annotator, flag_id: int) -> None:
    """Delete ``annotator``'s own flag within ``EDIT_WINDOW``, unless an admin already resolved it."""
    with transaction.atomic():
        flag = Flag.objects.select_for_update().filter(pk=flag_id, annotator=annotator).first()
        if flag is None:
            raise NotFound("flag not found")
        access_comparison(annotator, flag.comparison_id, seen=True)  # still a member of its project
        if flag.resolved:
            raise Conflict("an admin has already resolved this flag", reason="resolved")
        _check_window(flag.created_at, "flag")
        flag.delete()
        project_stats_changed(flag.project_id)


def _check_window(done_at, what: str) -> None:
    if timezone.now() > done_at + EDIT_WINDOW:
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise Conflict(f"the {minutes}-minute undo window has passed; this {what} can no longer be undone", reason="edit_window_passed")

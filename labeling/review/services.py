"""Reviewing a judgment: accept it, or reject it with a note.

A rejected judgment stays (the audit trail) but leaves the data: stats and exports skip it (on a
gold comparison it still counts in its annotator's gold accuracy), and it gives its seat back, so its comparison returns to the pool for another annotator. Its annotator's
lease stays ``judged``, so they are never served that comparison again.

Decisions, so every order of requests ends the same way:
- Accepting or rejecting again what is already so changes nothing (a retried request is safe);
  the first reviewer, time and note stay.
- An accepted judgment may still be rejected (it holds its seat until then).
- A rejection is final: its seat may already be someone else's, so accepting it again is a
  ``Conflict`` (reason ``rejected``).
- Nobody reviews their own judgment.

Locks follow ``labeling.annotation.assignment``'s order: the judgment's annotator's user row
first (which serialises the rejection with that annotator's undo, submit and next-task), then
the judgment and lease rows, then the comparison row (``comparison_seats_release``).
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from labeling.access import access_project
from labeling.annotation.assignment import annotator_lock, comparison_seats_release
from labeling.annotation.judgments import TEXT_MAX
from labeling.errors import Conflict, InvalidInput, NotAllowed, NotFound
from labeling.models import Comparison, Judge, Judgment, Lease, LeaseState, ReviewState
from labeling.params import is_row_id
from labeling.stats.services import project_stats_changed

DECISIONS = (ReviewState.ACCEPTED, ReviewState.REJECTED)


def access_judgment_for_review(reviewer, judgment_id) -> Judgment:
    """The judgment if ``reviewer`` reviews its project (404 outside it, 403 for its annotators)."""
    judgment = Judgment.objects.filter(pk=judgment_id).first() if is_row_id(judgment_id) else None
    if judgment is None:
        raise NotFound("judgment not found")
    judgment.project = access_project(reviewer, judgment.project_id, review=True)
    return judgment


def judgment_review(*, reviewer, judgment: Judgment, review: str, note: str = "") -> tuple[Judgment, bool]:
    """Accept or reject ``judgment`` (from ``access_judgment_for_review``); ``(judgment, changed)``.

    Rejecting needs a note (its annotator is shown why) and gives the judgment's seat back.
    """
    _check_decision(review, note)
    if judgment.annotator_id == reviewer.pk:
        raise NotAllowed("you cannot review your own judgment")
    with transaction.atomic():
        annotator_lock(judgment.annotator)
        locked = Judgment.objects.select_for_update().filter(pk=judgment.pk).first()
        if locked is None:  # undone since it was read
            raise NotFound("judgment not found")
        if locked.review == review:
            return _reloaded(locked), False
        if locked.review == ReviewState.REJECTED:
            raise Conflict(
                "this judgment was rejected and its seat given back; a rejection cannot be undone", reason="rejected"
            )
        locked.review, locked.review_note = review, note.strip()
        locked.reviewed_by, locked.reviewed_at = reviewer, timezone.now()
        locked.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
        if review == ReviewState.REJECTED:
            _seat_give_back(locked, judgment.project)
            project_stats_changed(locked.project_id)
    return _reloaded(locked), True


def _check_decision(review: str, note: str) -> None:
    if review not in DECISIONS:
        raise InvalidInput(f"review must be one of {', '.join(DECISIONS)}", field="review")
    if not isinstance(note, str) or len(note) > TEXT_MAX:
        raise InvalidInput(f"note must be text of at most {TEXT_MAX} characters", field="note")
    if review == ReviewState.REJECTED and not note.strip():
        raise InvalidInput("note: say why the judgment is rejected; its annotator is shown it", field="note")


def _seat_give_back(judgment: Judgment, project) -> None:
    """Take the rejected judgment out of the comparison's counters and reopen a seat on it.

    A judgment made without a lease (an imported label) gets a ``judged`` lease row now, so its
    annotator is not served the comparison again either. A judge's judgments hold no seat and
    are not counted on the comparison (issue #18), so nothing is given back for them.
    """
    now = timezone.now()
    Lease.objects.get_or_create(
        comparison_id=judgment.comparison_id, annotator_id=judgment.annotator_id,
        defaults={"project_id": judgment.project_id, "state": LeaseState.JUDGED, "expires_at": now},
    )
    if Judge.objects.filter(user_id=judgment.annotator_id).exists():
        return
    comparison_seats_release(project=project, comparison_ids=[judgment.comparison_id])
    Comparison.objects.filter(pk=judgment.comparison_id).update(judgment_count=F("judgment_count") - 1)


def _reloaded(judgment: Judgment) -> Judgment:
    return Judgment.objects.select_related("annotator", "reviewed_by").get(pk=judgment.pk)

"""What annotators give back: judgments (and their undo) and demonstrations (skips and flags:
``labeling.annotation.flags``).

Every write here is one transaction that starts with ``annotator_lock`` (the annotator's user
row), so one annotator's requests that could race run one after another: a retried submit
racing its original, a submit racing a skip, an undo or their next-task. Locks then follow the
order ``services.assignment`` states (user row, lease rows, comparison rows). A failed check
raises a domain error before anything is written, so an error always means nothing was
stored. Submits are the hot path: their statements are plain SQL (``labeling.hot_sql``).
"""

from datetime import timedelta
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from labeling.access import access_comparison, access_prompt
from labeling.annotation.assignment import (
    annotator_lock,
    comparison_seat_take,
    lease_expiry,
)
from labeling.errors import Conflict, Gone, InvalidInput, NotFound
from labeling.hot_sql import db_datetime, for_update, sql_count, sql_first, sql_text
from labeling.models import (
    IMPORTED_KEY_PREFIX,
    Comparison,
    ComparisonKind,
    ComparisonResponse,
    Demonstration,
    Judgment,
    Lease,
    LeaseState,
    UndoneJudgment,
    Winner,
)
from labeling.rankings import (
    is_full_ranking,
    position_letters,
    ranking_tied_in_order,
    ranking_ties_error,
)
from labeling.stats.services import project_stats_changed

EDIT_WINDOW = timedelta(minutes=10)  # how long "undo last" stays available after a submit
CLIENT_KEY_MAX = 64
TEXT_MAX = 20_000  # rationale, note and demonstration text: a page of prose, not a data dump
TIME_SPENT_MAX_MS = 24 * 3600 * 1000


def judgment_create(
    *,
    annotator,
    comparison_id: int,
    client_key: str,
    winner: str = "",
    strength: int | None = None,
    ranking: list[str] | None = None,
    criteria: dict | None = None,
    rationale: str = "",
    time_spent_ms: int = 0,
    ranking_ties: list[list[str]] | None = None,
) -> tuple[Judgment, bool]:
    """Store ``annotator``'s judgment on a comparison they hold a lease on; ``(judgment, created)``.

    Idempotent on ``client_key``: a retry returns the first judgment and stores nothing; the
    same key with another verdict, from another annotator or for another comparison is a
    ``Conflict``, and the key of
    a judgment since undone is ``Gone`` (a late retry must not bring it back). A lease that
    expired and was reclaimed is re-taken if the comparison still has a free seat.
    """
    comparison = access_comparison(annotator, comparison_id)
    _check_client_key(client_key)
    check_texts(rationale=rationale, time_spent_ms=time_spent_ms)
    verdict = {"winner": winner, "strength": strength, "ranking": ranking, "criteria": criteria, "ranking_ties": ranking_ties}
    extras = {"rationale": rationale, "time_spent_ms": time_spent_ms, "client_key": client_key}
    try:
        with transaction.atomic():
            return _judgment_store(comparison, annotator, verdict, extras)
    except IntegrityError as exc:
        # Only a concurrent submit reusing the key on another comparison (or by someone else)
        # gets here: one annotator's submits wait on their user row.
        raise Conflict("this client_key was just used for another judgment; nothing stored", reason="client_key_reused") from exc


def _judgment_store(comparison: Comparison, annotator, verdict: dict, extras: dict) -> tuple[Judgment, bool]:
    """The body of ``judgment_create``'s transaction, which the caller holds open."""
    # The user row first, like next-task: it locks this comparison's row before writing
    # the lease row this submit locks, so without it the two could each hold what the
    # other waits for (a late submit on a reclaimed lease while next-task re-serves it).
    annotator_lock(annotator)
    lease = _lease_locked(comparison, annotator)
    first = _judgment_with_key(extras["client_key"], annotator, comparison_id=comparison.pk)
    if first is not None:
        _check_same_verdict(first, comparison, verdict)
        return first, False
    fields = validated_result(comparison, **verdict)
    _check_lease_for_judgment(lease, comparison)
    judgment = Judgment.objects.create(
        project_id=comparison.project_id, comparison=comparison, annotator=annotator, **extras, **fields
    )
    sql_count(_LEASE_JUDGED, [db_datetime(judgment.created_at), lease.id])
    sql_count(_JUDGMENT_COUNTED, [comparison.pk])
    project_stats_changed(comparison.project_id)
    return judgment, True


def _check_same_verdict(first: Judgment, comparison: Comparison, verdict: dict) -> None:
    """A retry must ask for what the first submit stored: answering 200 to another verdict would
    tell the client it was stored. One the project's current settings refuse (a criterion added
    since) is taken as the retry it claims to be."""
    try:
        fields = validated_result(comparison, **verdict)
    except InvalidInput:
        return
    if any(getattr(first, name) != value for name, value in fields.items()):
        raise Conflict(
            f"this client_key was already used for judgment {first.pk}, with another verdict; that one is kept "
            "(to change it, undo it while editable and submit with a new client_key)",
            reason="client_key_reused",
        )


_LEASE_JUDGED = sql_text("UPDATE {Lease} SET state = 'judged', updated_at = %s WHERE id = %s", Lease)
_JUDGMENT_COUNTED = sql_text("UPDATE {Comparison} SET judgment_count = judgment_count + 1 WHERE id = %s", Comparison)


def judgment_undo(*, annotator, judgment_id: int) -> Comparison:
    """Delete ``annotator``'s own judgment within ``EDIT_WINDOW``; their lease becomes live again.

    Its ``client_key`` is kept as an ``UndoneJudgment``, so a retry of the submit that made it
    is answered 410 rather than storing it again; judging again takes a new key.

    The seat stays taken (the lease holds it again), so the comparison is theirs to redo. The
    comparison is returned with ``lease_expires_at`` set, like ``comparison_lease_next``'s.
    """
    with transaction.atomic():
        annotator_lock(annotator)
        judgment = (
            Judgment.objects.select_related("comparison__project", "comparison__prompt")
            .filter(pk=judgment_id, annotator=annotator)
            .first()
        )
        if judgment is None:
            raise NotFound("judgment not found")
        access_comparison(annotator, judgment.comparison_id)  # still a member of its project
        if judgment.review:  # a rejection gave its seat back; an acceptance is on record (issue #19)
            raise Conflict("this judgment was reviewed and can no longer be undone", reason="reviewed")
        if timezone.now() > judgment.created_at + EDIT_WINDOW:
            minutes = int(EDIT_WINDOW.total_seconds() // 60)
            raise Conflict(f"the {minutes}-minute edit window has passed; this judgment can no longer be undone", reason="edit_window_passed")
        comparison = judgment.comparison
        comparison.lease_expires_at = lease_expiry(comparison.project)
        reopened = Lease.objects.filter(comparison=comparison, annotator=annotator, state=LeaseState.JUDGED).update(
            state=LeaseState.ACTIVE, expires_at=comparison.lease_expires_at, updated_at=timezone.now()
        )
        if reopened != 1:  # an imported or hand-made judgment: no lease to hand back
            raise Conflict("this judgment was not made through a lease and cannot be undone here", reason="no_lease")
        UndoneJudgment.objects.create(comparison=comparison, annotator=annotator, client_key=judgment.client_key)
        judgment.delete()
        Comparison.objects.filter(pk=comparison.pk).update(judgment_count=F("judgment_count") - 1)
        project_stats_changed(comparison.project_id)
    return comparison


def demonstration_create(
    *, annotator, prompt_id: int, text: str, client_key: str, time_spent_ms: int = 0
) -> tuple[Demonstration, bool]:
    """Store the ideal response ``annotator`` wrote for a prompt they were served; idempotent on
    ``client_key``. It replaces the annotator's earlier one for the prompt, if any (an edit after
    an undo), which stays on record with ``replaced_by`` set and leaves the exports."""
    prompt = access_prompt(annotator, prompt_id)
    if not prompt.project.collect_demonstrations:
        raise InvalidInput("this project does not collect demonstrations")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("text: write the response; it is empty")
    _check_client_key(client_key)
    check_texts(text=text, time_spent_ms=time_spent_ms)
    try:
        with transaction.atomic():
            annotator_lock(annotator)
            first = Demonstration.objects.filter(client_key=client_key).first()
            if first is not None:
                if (first.annotator_id, first.prompt_id) != (annotator.pk, prompt.pk):
                    raise Conflict("this client_key was already used for another demonstration", reason="client_key_reused")
                if first.text != text:
                    raise Conflict(f"this client_key was already used for demonstration {first.pk}, with another "
                                   "text; that one is kept. Send a new client_key to replace it",
                                   reason="client_key_reused")
                return first, False
            earlier = Demonstration.objects.filter(annotator=annotator, prompt=prompt, replaced_by=None)
            # Pointed at itself while the new row is written, so the one-current-per-prompt
            # constraint (which cannot be deferred: it is a partial index) lets the new one in.
            replaced = list(earlier.values_list("pk", flat=True))
            earlier.update(replaced_by=F("pk"))
            demonstration = Demonstration.objects.create(
                project=prompt.project, prompt=prompt, annotator=annotator, text=text,
                client_key=client_key, time_spent_ms=time_spent_ms,
            )
            Demonstration.objects.filter(pk__in=replaced).update(replaced_by=demonstration)
    except IntegrityError as exc:
        raise Conflict("this client_key was just used for another demonstration; nothing stored", reason="client_key_reused") from exc
    return demonstration, True


# --- the result ----------------------------------------------------------------------------


def validated_result(comparison: Comparison, *, winner, strength, ranking, criteria, ranking_ties=None) -> dict:
    """The result fields to store for ``comparison``'s project, or InvalidInput naming the bad field.

    Pairwise: ``winner`` a/b/tie (tie only where allowed) and ``strength`` 1..len(scale), required
    when the project has a scale and the winner is not a tie, null otherwise. Ranking: every
    letter exactly once, best first, and ``ranking_ties`` its groups of equal positions (where the
    project allows ties; stored null when none; each group in letter order, in the ranking too).
    ``criteria`` has exactly the project's criteria, each judged the same way: a ranking criterion
    ``{"ranking", "ranking_ties"}``, its ties stored only where it has any.
    """
    project = comparison.project
    if project.task_type == ComparisonKind.RANKING:
        if winner or strength is not None:
            raise InvalidInput("a ranking project takes 'ranking', not 'winner' or 'strength'")
        k = ComparisonResponse.objects.filter(comparison=comparison).count()
        main = _valid_ranked(project, _valid_ranking(ranking, k, "ranking"), ranking_ties)
    else:
        if ranking or ranking_ties:
            raise InvalidInput("a pairwise project takes 'winner' and 'strength', not 'ranking'")
        main = _valid_pairwise(project, winner, strength, prefix="")
        k = 2
    return {**main, "criteria": _valid_criteria(project, criteria, k)}


def _valid_pairwise(project, winner, strength, *, prefix: str) -> dict:
    if winner not in Winner.values:
        raise InvalidInput(f"{prefix}winner must be one of {', '.join(Winner.values)}")
    if winner == Winner.TIE and not project.allow_ties:
        raise InvalidInput(f"{prefix}winner: this project does not allow ties")
    scale = project.strength_scale or []
    if winner == Winner.TIE or not scale:
        if strength is not None:
            why = "a tie has no strength" if winner == Winner.TIE else "this project has no strength scale"
            raise InvalidInput(f"{prefix}strength must be null: {why}")
        return {"winner": winner, "strength": None}
    if isinstance(strength, bool) or not isinstance(strength, int) or not 1 <= strength <= len(scale):
        raise InvalidInput(f"{prefix}strength is required: an integer from 1 ({scale[0]}) to {len(scale)} ({scale[-1]})")
    return {"winner": winner, "strength": strength}


def _valid_ranking(ranking, k: int, name: str) -> list[str]:
    if not is_full_ranking(ranking, k):
        raise InvalidInput(f"{name} must list each of {', '.join(position_letters(k))} exactly once, best first")
    return list(ranking)


def _valid_ranked(project, ranking: list[str], ties, *, name: str = "ranking_ties") -> dict:
    """``ranking`` and its ``ranking_ties`` (null when none), tied groups stored in letter order."""
    if not ties:
        return {"ranking": ranking, "ranking_ties": None}
    if not project.allow_ties:
        raise InvalidInput(f"{name}: this project does not allow ties")
    error = ranking_ties_error(ties, ranking)
    if error:
        raise InvalidInput(f"{name} {error}")
    ranking, ties = ranking_tied_in_order(ranking, ties)
    return {"ranking": ranking, "ranking_ties": ties}


def _valid_criteria(project, criteria, k: int) -> dict:
    criteria = criteria or {}
    if not isinstance(criteria, dict) or set(criteria) != set(project.criteria):
        expected = ", ".join(project.criteria) or "none"
        raise InvalidInput(f"criteria must have exactly this project's criteria ({expected})")
    return {name: _valid_criterion(project, name, value, k) for name, value in criteria.items()}


def _valid_criterion(project, name: str, value, k: int) -> dict:
    prefix = f"criteria.{name}."
    if project.task_type == ComparisonKind.RANKING:
        if not isinstance(value, dict) or not {"ranking"} <= set(value) <= {"ranking", "ranking_ties"}:
            raise InvalidInput(f'criteria.{name} must be {{"ranking": [...], "ranking_ties": [...]}} (ranking_ties optional)')
        ranking = _valid_ranking(value["ranking"], k, f"{prefix}ranking")
        ranked = _valid_ranked(project, ranking, value.get("ranking_ties"), name=f"{prefix}ranking_ties")
        # stored as before where nothing is tied: {"ranking": [...]}
        return ranked if ranked["ranking_ties"] else {"ranking": ranked["ranking"]}
    if not isinstance(value, dict) or not {"winner"} <= set(value) <= {"winner", "strength"}:
        raise InvalidInput(f'criteria.{name} must be {{"winner": ..., "strength": ...}}')
    return _valid_pairwise(project, value["winner"], value.get("strength"), prefix=prefix)


# --- checks ------------------------------------------------------------------------------


class _LockedLease(NamedTuple):
    id: int
    state: str


def _lease_locked(comparison: Comparison, annotator) -> _LockedLease | None:
    """The annotator's lease on ``comparison``, row-locked until the end of the transaction."""
    row = sql_first(_LEASE_OF + for_update(), [comparison.pk, annotator.pk])
    return _LockedLease(*row) if row else None


_LEASE_OF = sql_text("SELECT id, state FROM {Lease} WHERE {Lease.comparison} = %s AND {Lease.annotator} = %s", Lease)


def _check_lease_for_judgment(lease: _LockedLease | None, comparison: Comparison) -> None:
    """A Conflict saying why the annotator may not submit, unless their lease allows it.

    An active lease past its expiry that nobody reclaimed yet still holds its seat, so it is
    accepted as is; one already reclaimed must win a free seat again.
    """
    if lease is None:
        raise Conflict("you hold no lease on this comparison; get it from next-task first", reason="no_lease")
    if lease.state == LeaseState.JUDGED:
        raise Conflict("you already judged this comparison", reason="already_judged")
    if lease.state == LeaseState.SKIPPED:
        raise Conflict("you skipped this comparison; it can no longer be judged", reason="skipped")
    if lease.state == LeaseState.EXPIRED and not _seat_retaken(comparison):
        raise Conflict(
            "your lease expired and other annotators have since taken every seat on this comparison; "
            "your judgment was not stored",
            reason="full",
        )


def _judgment_with_key(client_key: str, annotator, *, comparison_id: int) -> Judgment | None:
    """The judgment a retry of this submit gets back; None for a new key. Raises for a key used
    by someone else or elsewhere (``Conflict``) and for the key of an undone judgment (``Gone``)."""
    # One probe of both tables: the key is new on every first submit, so the model is rarely loaded.
    found = sql_first(_KEY_USED, [client_key, client_key])
    if found is None:
        return None
    kind, annotator_id, used_on = found
    if (annotator_id, used_on) != (annotator.pk, comparison_id):
        raise Conflict("this client_key was already used for another judgment", reason="client_key_reused")
    if kind == "undone":
        raise Gone(
            "the judgment made with this client_key was undone; a retry of its submit stores nothing "
            "(to judge this comparison again, submit with a new client_key)",
            reason="undone",
        )
    return Judgment.objects.filter(client_key=client_key).first()


_KEY_USED = sql_text("""
    SELECT 'judgment', {Judgment.annotator}, {Judgment.comparison} FROM {Judgment} WHERE client_key = %s
    UNION ALL
    SELECT 'undone', {UndoneJudgment.annotator}, {UndoneJudgment.comparison} FROM {UndoneJudgment} WHERE client_key = %s
""", Judgment, UndoneJudgment)


def _seat_retaken(comparison: Comparison) -> bool:
    if comparison.is_gold:  # gold holds no seats
        return True
    return comparison_seat_take(comparison_id=comparison.pk, overlap=comparison.project.overlap)


def _check_client_key(client_key) -> None:
    if not isinstance(client_key, str) or not 0 < len(client_key) <= CLIENT_KEY_MAX:
        raise InvalidInput(f"client_key must be a non-empty string of at most {CLIENT_KEY_MAX} characters")
    if client_key.startswith(IMPORTED_KEY_PREFIX):  # imported labels' namespace (services.imports)
        raise InvalidInput(f"client_key must not start with '{IMPORTED_KEY_PREFIX}': imported labels use those keys")


def check_texts(*, rationale: str = "", note: str = "", text: str = "", time_spent_ms: int = 0) -> None:
    for name, value in (("rationale", rationale), ("note", note), ("text", text)):
        if not isinstance(value, str) or len(value) > TEXT_MAX:
            raise InvalidInput(f"{name} must be text of at most {TEXT_MAX} characters")
    if isinstance(time_spent_ms, bool) or not isinstance(time_spent_ms, int) or not 0 <= time_spent_ms <= TIME_SPENT_MAX_MS:
        raise InvalidInput(f"time_spent_ms must be an integer between 0 and {TIME_SPENT_MAX_MS}")

"""The seat ledger: what ``Comparison``'s counters must equal, recounted from the rows they count.

``holders`` counts active leases (an expired one not yet reclaimed still holds its seat), judged
leases, and imported judgments that never had a lease; ``judgment_count`` counts judgments;
``is_open`` is ``holders < overlap``. Gold comparisons hold no seats. Every judgment made through
a lease has that lease in state ``judged``, and the other way round. A rejected judgment (review,
issue #19) keeps its judged lease but counts nowhere: neither in ``holders`` nor in ``judgment_count``.
"""

from collections import defaultdict

from labeling.models import Comparison, Judgment, Lease, LeaseState, ReviewState


def seat_ledger_errors(project) -> list[str]:
    """Each comparison of ``project`` whose counters disagree with its rows, described; [] when all agree."""
    leases = defaultdict(dict)  # comparison -> annotator -> state
    for cid, uid, state in Lease.objects.filter(project=project).values_list("comparison_id", "annotator_id", "state"):
        leases[cid][uid] = state
    judged = defaultdict(set)  # comparison -> annotators (whose judgments count)
    rejected = defaultdict(set)  # comparison -> annotators whose judgments were rejected
    rows = Judgment.objects.filter(project=project).values_list("comparison_id", "annotator_id", "review")
    for cid, uid, review in rows:
        (rejected if review == ReviewState.REJECTED else judged)[cid].add(uid)
    errors = []
    for c in Comparison.objects.filter(project=project).order_by("pk"):
        states = leases[c.pk]
        holding = {uid for uid, s in states.items() if s in (LeaseState.ACTIVE, LeaseState.JUDGED)} - rejected[c.pk]
        imported = {uid for uid in judged[c.pk] if uid not in states}
        through_lease = {uid for uid, s in states.items() if s == LeaseState.JUDGED}
        expected_holders = 0 if c.is_gold else len(holding) + len(imported)
        problems = []
        if c.holders != expected_holders:
            problems.append(f"holders {c.holders}, expected {expected_holders}")
        if c.judgment_count != len(judged[c.pk]):
            problems.append(f"judgment_count {c.judgment_count}, {len(judged[c.pk])} judgments")
        if (judged[c.pk] | rejected[c.pk]) - imported != through_lease:
            problems.append(f"judged by {sorted(judged[c.pk] - imported)}, judged leases {sorted(through_lease)}")
        if not c.is_gold and c.is_open != (c.holders < project.overlap):
            problems.append(f"is_open {c.is_open} with holders {c.holders}, overlap {project.overlap}")
        if problems:
            errors.append(f"comparison {c.pk}: " + "; ".join(problems))
    return errors

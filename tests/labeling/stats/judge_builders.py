"""Synthetic judges for tests: a Judge, its inactive user, and its judgments written directly
(as the judge stage stores them), and judgments rejected in review."""

from labeling.models import Judge, JudgeKind, Judgment, ReviewState
from tests.factories import UserFactory, new_client_key


def make_judge(project, name="rm-judge", kind=JudgeKind.REWARD_MODEL):
    user = UserFactory(username=f"judge:{name}", is_active=False)
    return Judge.objects.create(project=project, user=user, name=name, kind=kind)


def verdict(comparison, user, winner="a", *, strength=None, ranking=None, criteria=None, review="", time_spent_ms=0):
    """One judgment of ``user`` (a person or a judge's user) on ``comparison``."""
    return Judgment.objects.create(
        project=comparison.project, comparison=comparison, annotator=user, winner="" if ranking else winner,
        strength=None if winner == "tie" else strength, ranking=ranking, criteria=criteria or {},
        client_key=new_client_key(), review=review, time_spent_ms=time_spent_ms,
    )


def rejected(comparison, user, winner="b", **fields):
    """A judgment rejected in review: kept for the audit trail, counted nowhere."""
    return verdict(comparison, user, winner, review=ReviewState.REJECTED, **fields)

"""comparison_lease_next: leases, prefetch, overlap, expiry, order and gold."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from labeling.annotation.assignment import comparison_lease_next, lease_expire_due
from labeling.annotation.flags import comparison_skip
from labeling.annotation.judgments import judgment_create
from labeling.models import Comparison, Lease, LeaseState
from tests.factories import UserFactory, add_member, make_comparison, new_client_key

pytestmark = pytest.mark.django_db



def lease_next(project, user, **kwargs):
    return comparison_lease_next(project=project, annotator=user, **kwargs)


def judge(user, comparison, winner="a"):
    return judgment_create(
        annotator=user, comparison_id=comparison.pk, winner=winner, strength=1, client_key=new_client_key()
    )[0]


def member(project, name):
    user = UserFactory(username=name)
    add_member(project, user)
    return user


def expire_leases(**filters):
    Lease.objects.filter(**filters).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_next_leases_a_comparison_for_the_project_lease_time(project, annotator):
    comparison = make_comparison(project)
    served = lease_next(project, annotator)
    lease = Lease.objects.get(comparison=served, annotator=annotator)
    assert served == comparison
    assert lease.state == LeaseState.ACTIVE
    assert timedelta(minutes=14) < lease.expires_at - timezone.now() <= timedelta(minutes=15)
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.is_open) == (1, False)


def test_repeated_call_returns_the_live_lease(project, annotator):
    make_comparison(project), make_comparison(project)
    first = lease_next(project, annotator)
    assert lease_next(project, annotator) == first
    assert Lease.objects.filter(annotator=annotator).count() == 1


def test_ahead_leases_one_more_and_never_more_than_two(project, annotator):
    for _ in range(4):
        make_comparison(project)
    current = lease_next(project, annotator)
    ahead = lease_next(project, annotator, ahead=True)
    assert ahead != current
    assert lease_next(project, annotator, ahead=True) == ahead
    assert lease_next(project, annotator) == current
    assert Lease.objects.filter(annotator=annotator, state=LeaseState.ACTIVE).count() == 2


def test_ahead_asked_first_still_gives_two_different_comparisons(project, annotator):
    make_comparison(project), make_comparison(project)
    ahead = lease_next(project, annotator, ahead=True)
    current = lease_next(project, annotator)
    assert current != ahead
    assert Lease.objects.filter(annotator=annotator).count() == 2


def test_ahead_is_none_when_only_the_current_comparison_is_left(project, annotator):
    only = make_comparison(project)
    assert lease_next(project, annotator, ahead=True) is None
    assert lease_next(project, annotator) == only


def test_a_judged_or_skipped_comparison_is_never_served_again(project, annotator):
    project.overlap = 3
    project.save()
    judged, skipped = make_comparison(project), make_comparison(project)
    judge(annotator, lease_next(project, annotator))
    comparison_skip(annotator=annotator, comparison_id=lease_next(project, annotator).pk)
    assert lease_next(project, annotator) is None
    assert {judged.pk, skipped.pk} == set(Lease.objects.filter(annotator=annotator).values_list("comparison", flat=True))


def test_at_most_overlap_distinct_annotators_hold_a_comparison(project, annotator, second_annotator):
    project.overlap = 2
    project.save()
    comparison = make_comparison(project)
    third = member(project, "cy-annotator")
    assert lease_next(project, annotator) == comparison
    assert lease_next(project, second_annotator) == comparison
    assert lease_next(project, third) is None
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.is_open) == (2, False)


def test_skipping_frees_the_seat_for_someone_else(project, annotator, second_annotator):
    comparison = make_comparison(project)
    lease_next(project, annotator)
    assert lease_next(project, second_annotator) is None
    comparison_skip(annotator=annotator, comparison_id=comparison.pk)
    assert lease_next(project, second_annotator) == comparison


def test_a_comparison_left_open_after_the_overlap_was_lowered_is_closed_not_served(project, annotator):
    stale = make_comparison(project, random_key=0.0, holders=1)  # is_open left True by hand
    fresh = make_comparison(project, random_key=0.5)
    assert lease_next(project, annotator) == fresh
    stale.refresh_from_db()
    assert (stale.holders, stale.is_open) == (1, False)


def test_an_expired_lease_goes_back_to_the_pool(project, annotator, second_annotator):
    comparison = make_comparison(project)
    lease_next(project, annotator)
    expire_leases(annotator=annotator)
    assert lease_next(project, second_annotator) == comparison
    assert Lease.objects.get(annotator=annotator).state == LeaseState.EXPIRED
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.is_open) == (1, False)


def test_an_expired_lease_can_come_back_to_the_same_annotator(project, annotator):
    comparison = make_comparison(project)
    lease_next(project, annotator)
    expire_leases(annotator=annotator)
    assert lease_next(project, annotator) == comparison
    lease = Lease.objects.get(annotator=annotator)
    assert lease.state == LeaseState.ACTIVE and lease.expires_at > timezone.now()
    comparison.refresh_from_db()
    assert comparison.holders == 1


def test_reclaiming_is_bounded_per_call(project, annotator):
    project.overlap = 5
    project.save()
    for _ in range(5):
        comparison = make_comparison(project)
        for n in range(5):
            Lease.objects.create(project=project, comparison=comparison, annotator=member(project, f"x{comparison.pk}-{n}"),
                                 expires_at=timezone.now() - timedelta(minutes=1))
    Comparison.objects.update(holders=5, is_open=False)
    assert lease_expire_due(project=project, limit=10) == 10
    assert lease_expire_due(project=project, limit=100) == 15
    assert lease_expire_due(project=project) == 0
    assert set(Comparison.objects.values_list("holders", "is_open")) == {(0, True)}


def test_order_finishes_started_items_then_priority_then_random(project, annotator):
    project.overlap = 2
    project.save()
    low = make_comparison(project, priority=0.0, random_key=0.1)
    later = make_comparison(project, priority=0.0, random_key=0.9)
    urgent = make_comparison(project, priority=5.0, random_key=0.5)
    started = make_comparison(project, priority=-1.0, random_key=0.99, judgment_count=1, holders=1)
    served = []
    while (comparison := lease_next(project, annotator)) is not None:
        served.append(comparison)
        judge(annotator, comparison)
    assert served == [started, urgent, low, later]


def gold_project(project, *, rate, regular=3, gold=3):
    project.overlap, project.gold_rate = 1, rate
    project.save()
    regular = [make_comparison(project) for _ in range(regular)]
    gold = [make_comparison(project, is_gold=True, gold_answer={"winner": "a"}) for _ in range(gold)]
    return regular, gold


class FixedDraw:
    """An rng whose every draw is ``value``: 0.0 always picks gold, 0.99 never does."""

    def __init__(self, value):
        self.value = value

    def random(self):
        return self.value


def test_gold_is_mixed_in_at_the_gold_rate_with_a_seeded_rng(project, annotator):
    gold_project(project, rate=0.3, regular=40, gold=40)
    rng, draws = random.Random(7), random.Random(7)
    served = []
    for _ in range(30):
        comparison = lease_next(project, annotator, rng=rng)
        served.append(comparison.is_gold)
        judge(annotator, comparison)
    assert served == [draws.random() < 0.3 for _ in range(30)]
    assert 3 <= sum(served) <= 15


def test_gold_is_served_to_every_annotator_whatever_the_overlap(project, annotator, second_annotator):
    _, gold = gold_project(project, rate=1.0, regular=10)
    for _ in range(len(gold)):
        for user in (annotator, second_annotator):
            judge(user, lease_next(project, user))
    for user in (annotator, second_annotator):
        assert set(Lease.objects.filter(annotator=user, comparison__is_gold=True).values_list("comparison", flat=True)) == {
            g.pk for g in gold
        }
    for comparison in gold:
        comparison.refresh_from_db()
        assert (comparison.judgment_count, comparison.holders, comparison.is_open) == (2, 0, True)


def test_gold_alone_is_not_served_once_real_work_is_done(project, annotator, second_annotator):
    regular, _ = gold_project(project, rate=0.5)
    for _ in regular:
        judge(second_annotator, lease_next(project, second_annotator, rng=FixedDraw(0.99)))
    assert lease_next(project, annotator, rng=FixedDraw(0.0)) is None


def test_none_when_the_project_is_empty(project, annotator):
    assert lease_next(project, annotator) is None


def queries_for_one_lease(project, user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert lease_next(project, user) is not None
    return len(ctx)


def test_query_count_does_not_grow_with_the_number_of_comparisons(project, annotator, second_annotator):
    make_comparison(project)
    few = queries_for_one_lease(project, annotator)
    for _ in range(60):
        make_comparison(project)
    assert queries_for_one_lease(project, second_annotator) == few

"""Rejections racing other annotators' next-task and submits: no seat is over-filled or lost.

A reviewer rejects one annotator's judgments while other annotators, each through the API with its
own database connection, work the queue as the annotation screen does. At the end every comparison
has exactly ``overlap`` counted judgments by distinct annotators, and the seat ledger agrees with
the rows. It means most on PostgreSQL (row locks, SKIP LOCKED); SQLite serialises writers.
"""

import threading
import time
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from rest_framework.test import APIClient

from labeling.annotation.assignment import comparison_lease_next, lease_expiry
from labeling.annotation.judgments import judgment_create
from labeling.models import Comparison, Judgment, Lease, LeaseState, ReviewState
from tests.factories import ProjectFactory, add_member, make_comparison, new_client_key
from tests.labeling.annotation.test_concurrency import AnnotatorClient, _run_round
from tests.reliability.accounting import seat_ledger_errors

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

OVERLAP, COMPARISONS = 2, 24


class Reviewer(threading.Thread):
    def __init__(self, user, judgment_ids):
        super().__init__(daemon=True)
        self.api, self.judgment_ids = APIClient(), judgment_ids
        self.api.force_authenticate(user)
        self.statuses: Counter = Counter()
        self.error: BaseException | None = None

    def run(self):
        try:
            for judgment_id in self.judgment_ids:
                body = {"review": "rejected", "note": "Against the guidelines."}
                self.statuses[self.api.post(f"/api/judgments/{judgment_id}/review/", body, format="json").status_code] += 1
        except BaseException as exc:
            self.error = exc
        finally:
            connections.close_all()


def _judge_everything(project, user) -> list[int]:
    made = []
    while (comparison := comparison_lease_next(project=project, annotator=user)) is not None:
        judgment, _ = judgment_create(annotator=user, comparison_id=comparison.pk, client_key=new_client_key(), winner="a", strength=1)
        made.append(judgment.pk)
    return made


def test_rejections_racing_next_task_never_over_fill_seats():
    project = ProjectFactory(overlap=OVERLAP)
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"race-{n}") for n in range(6))
    first, second, reviewer, *others = users
    for user in users:
        add_member(project, user, "reviewer" if user == reviewer else "annotator")
    for _ in range(COMPARISONS):
        make_comparison(project)
    rejected = _judge_everything(project, first)
    _judge_everything(project, second)
    assert not Comparison.objects.filter(project=project, is_open=True).exists()

    review = Reviewer(reviewer, rejected)
    review.start()
    clients, rounds = [], 0
    while True:  # a client stops at its first 204; rounds go on while rejections free seats
        rounds += 1
        round_ = [AnnotatorClient(user, project, seed=n + 100 * rounds, skip_rate=0.0) for n, user in enumerate(others)]
        reviewing = review.is_alive()
        _run_round(round_, started=time.monotonic())
        clients += round_
        if not reviewing and sum(c.statuses[201] for c in round_) == 0:
            break
    review.join(timeout=120)
    assert review.error is None and review.statuses == Counter({200: COMPARISONS}), review.statuses

    for client in clients:
        assert client.error is None, repr(client.error)
        assert not [code for code in client.statuses if code >= 500], client.statuses
    assert seat_ledger_errors(project) == []
    counted = Judgment.objects.filter(project=project).exclude(review=ReviewState.REJECTED)
    by_comparison = Counter(counted.values_list("comparison_id", flat=True))
    assert set(by_comparison.values()) == {OVERLAP} and len(by_comparison) == COMPARISONS
    assert not counted.filter(annotator=first).exists()
    for comparison in Comparison.objects.filter(project=project):
        annotators = list(Judgment.objects.filter(comparison=comparison).values_list("annotator_id", flat=True))
        assert len(annotators) == len(set(annotators)), f"comparison {comparison.pk} judged twice by one annotator"


def _at_once(*calls):
    """Run each call in its own thread (and database connection), started together; their results."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _one_judged(overlap=1):
    project = ProjectFactory(overlap=overlap)
    annotator, reviewer, admin = (get_user_model().objects.create(username=name) for name in ("ann", "rita", "ada"))
    add_member(project, annotator)
    add_member(project, reviewer, "reviewer")
    add_member(project, admin, "admin")
    comparison = make_comparison(project)
    _judge_everything(project, annotator)
    return project, comparison, Judgment.objects.get(), annotator, reviewer, admin


def test_two_reviewers_rejecting_at_once_give_the_seat_back_once():
    project, comparison, judgment, _, reviewer, admin = _one_judged(overlap=2)
    url, body = f"/api/judgments/{judgment.pk}/review/", {"review": "rejected", "note": "No."}
    first, second = _at_once(*(lambda u=u: _client(u).post(url, body, format="json").status_code for u in (reviewer, admin)))
    assert (first, second) == (200, 200)
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.judgment_count, comparison.is_open) == (0, 0, True)
    assert seat_ledger_errors(project) == []


def test_a_rejection_racing_its_annotators_undo_ends_one_way_or_the_other():
    project, comparison, judgment, annotator, reviewer, _ = _one_judged()
    reject = lambda: _client(reviewer).post(  # noqa: E731
        f"/api/judgments/{judgment.pk}/review/", {"review": "rejected", "note": "No."}, format="json"
    ).status_code
    undo = lambda: _client(annotator).post(f"/api/judgments/{judgment.pk}/undo/").status_code  # noqa: E731
    rejected, undone = _at_once(reject, undo)
    # Undo first: the judgment is gone (404 to the reviewer). Rejection first: undo is refused.
    assert (rejected, undone) in {(200, 409), (404, 200)}
    assert seat_ledger_errors(project) == []
    comparison.refresh_from_db()
    assert comparison.holders == (0 if rejected == 200 else 1)


def test_rejecting_a_gold_judgment_leaves_the_seats_alone_and_uncounts_it():
    project = ProjectFactory(gold_rate=0.0)
    annotator, reviewer = (get_user_model().objects.create(username=name) for name in ("gail", "rex"))
    add_member(project, annotator)
    add_member(project, reviewer, "reviewer")
    gold = make_comparison(project, is_gold=True, gold_answer={"winner": "a"})
    judgment = Judgment.objects.create(project=project, comparison=gold, annotator=annotator, winner="b", strength=1, client_key="g")
    Comparison.objects.filter(pk=gold.pk).update(judgment_count=1)
    Lease.objects.create(project=project, comparison=gold, annotator=annotator, state=LeaseState.JUDGED, expires_at=lease_expiry(project))
    response = _client(reviewer).post(f"/api/judgments/{judgment.pk}/review/", {"review": "rejected", "note": "Gold says A."}, format="json")
    assert response.status_code == 200 and response.json()["wrong_on_gold"] is True
    gold.refresh_from_db()
    assert (gold.holders, gold.judgment_count, gold.is_open) == (0, 0, True)
    assert seat_ledger_errors(project) == []

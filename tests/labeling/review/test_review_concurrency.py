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

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.models import Comparison, Judgment, ReviewState
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

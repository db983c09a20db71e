"""Acceptance: many annotators at once, each through the API with its own database connection.

Every client behaves like the annotation screen: it keeps one comparison on screen and one leased
ahead, submits, and sometimes retries a submit with the same client_key (a lost response),
skips, or undoes and re-submits. At the end every comparison must have exactly ``overlap``
judgments by distinct annotators, every accepted submit must be stored, and no request may
have failed with a 5xx.
"""

import random
import threading
import time
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from rest_framework.test import APIClient

from labeling.models import Comparison, Judgment, Lease, LeaseState
from tests.factories import ProjectFactory, add_member, make_comparison

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIME_LIMIT_S = 120


class AnnotatorClient(threading.Thread):
    """One annotator working through the queue as the UI does, until it gets a 204."""

    def __init__(self, user, project, seed: int, skip_rate: float):
        super().__init__(daemon=True)
        self.skip_rate = skip_rate
        self.api = APIClient()
        self.api.force_authenticate(user)
        self.project, self.rng = project, random.Random(seed)
        self.statuses: Counter = Counter()
        self.accepted: dict[str, int] = {}  # client_key -> judgment id from a 201
        self.error: BaseException | None = None

    def run(self):
        try:
            self._work()
        except BaseException as exc:  # reported by the test, which runs in another thread
            self.error = exc
        finally:
            connections.close_all()  # this thread's connection, so the test database can be dropped

    def _work(self):
        current = self._next()
        while current is not None:
            ahead = self._next(ahead=True)
            if self.rng.random() < self.skip_rate:
                self._call("post", f"/api/comparisons/{current}/skip/", {"reason": "other", "note": "load test"})
            else:
                self._judge(current)
            current = ahead if ahead is not None else self._next()

    def _judge(self, comparison_id: int):
        body = {"comparison": comparison_id, "winner": self.rng.choice("ab"), "strength": 2,
                "time_spent_ms": 1000, "client_key": uuid.uuid4().hex}
        response = self._call("post", "/api/judgments/", body)
        if response.status_code != 201:
            return
        judgment_id = response.json()["id"]
        if self.rng.random() < 0.1:  # the response was lost: the UI retries with the same key
            retry = self._call("post", "/api/judgments/", body)
            assert (retry.status_code, retry.json()["id"]) == (200, judgment_id)
        if self.rng.random() < 0.05:  # "undo last", then judge again with a new key
            self._call("post", f"/api/judgments/{judgment_id}/undo/", {})
            return self._judge(comparison_id)
        self.accepted[body["client_key"]] = judgment_id

    def _next(self, ahead=False) -> int | None:
        response = self._call("get", f"/api/projects/{self.project.pk}/next-task/" + ("?ahead=1" if ahead else ""))
        return response.json()["id"] if response.status_code == 200 else None

    def _call(self, method, url, body=None):
        response = getattr(self.api, method)(url, body, format="json") if body is not None else getattr(self.api, method)(url)
        self.statuses[response.status_code] += 1
        return response


def run_annotators(*, annotators: int, comparisons: int, overlap: int, skip_rate: float = 0.05):
    """Run every client until the queue is empty; returns (project, clients, seconds, rounds).

    A client stops at its first 204, as the UI does. A skip re-opens a seat that clients who
    already stopped could take, so like an annotator reloading the page later, everyone runs
    again until a round changes nothing.
    """
    project = ProjectFactory(overlap=overlap)
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"load-{n}") for n in range(annotators))
    for user in users:
        add_member(project, user)
    for _ in range(comparisons):
        make_comparison(project)
    started, everyone, rounds = time.monotonic(), [], 0
    while True:
        rounds += 1
        clients = [AnnotatorClient(user, project, seed=n + 1000 * rounds, skip_rate=skip_rate) for n, user in enumerate(users)]
        _run_round(clients, started)
        everyone += clients
        if sum(client.statuses[200] + client.statuses[201] for client in clients) == 0:
            return project, everyone, time.monotonic() - started, rounds


def _run_round(clients, started: float) -> None:
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=max(0.0, TIME_LIMIT_S - (time.monotonic() - started)))
    assert not any(client.is_alive() for client in clients), f"clients still running after {TIME_LIMIT_S} s"


def assert_every_comparison_fully_judged(project, clients, overlap: int):
    for client in clients:
        assert client.error is None, repr(client.error)
    statuses = sum((client.statuses for client in clients), Counter())
    assert not [code for code in statuses if code >= 500], statuses
    assert set(statuses) <= {200, 201, 204}, statuses  # no lease ever expired, so no 409 either
    judges: dict[int, list[int]] = {}
    for comparison_id, annotator_id in Judgment.objects.filter(project=project).values_list("comparison", "annotator"):
        judges.setdefault(comparison_id, []).append(annotator_id)
    for comparison in Comparison.objects.filter(project=project):
        by = judges.get(comparison.pk, [])
        assert len(by) == overlap, f"comparison {comparison.pk}: {len(by)} judgments; {_seats(comparison)}"
        assert len(set(by)) == overlap, f"comparison {comparison.pk}: an annotator judged it twice"
        assert (comparison.judgment_count, comparison.holders, comparison.is_open) == (overlap, overlap, False)
    accepted = {key: jid for client in clients for key, jid in client.accepted.items()}
    stored = dict(Judgment.objects.filter(project=project).values_list("client_key", "id"))
    assert stored == accepted, "a submit answered 201 is missing, or something was stored unanswered"
    assert not Lease.objects.filter(project=project, state=LeaseState.ACTIVE).exists()


def _seats(comparison) -> str:
    """What a failure needs to be understood: the seat counters and every lease on the comparison."""
    leases = sorted(Lease.objects.filter(comparison=comparison).values_list("annotator__username", "state"))
    return f"holders {comparison.holders}, is_open {comparison.is_open}, leases {leases}"


def test_twenty_annotators_on_postgresql_fill_every_comparison_exactly():
    if connection.vendor != "postgresql":
        pytest.skip("the acceptance run needs PostgreSQL: set DATABASE_URL=postgres://... (the SQLite variant runs below)")
    project, clients, elapsed, rounds = run_annotators(annotators=20, comparisons=120, overlap=3)
    assert_every_comparison_fully_judged(project, clients, overlap=3)
    print(f"\n20 annotators, 120 comparisons x 3: {elapsed:.1f} s in {rounds} rounds")


def test_without_skips_nobody_is_told_nothing_is_left_too_early():
    """Rows locked for a moment by other requests must not read as "nothing left" (a 204)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED exist on PostgreSQL only: set DATABASE_URL=postgres://...")
    project, clients, _, rounds = run_annotators(annotators=12, comparisons=40, overlap=3, skip_rate=0.0)
    assert_every_comparison_fully_judged(project, clients, overlap=3)
    assert rounds == 2  # the second round only confirms that nothing is left


def test_a_few_annotators_on_any_database_fill_every_comparison_exactly():
    project, clients, _, _ = run_annotators(annotators=6, comparisons=30, overlap=2)
    assert_every_comparison_fully_judged(project, clients, overlap=2)

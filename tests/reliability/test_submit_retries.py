"""A submit retried any number of times, at once or one after another, stores one judgment; a lease
that expires while its late submit is on the way never counts its seat twice.

Concurrent tests run each request in its own thread with its own database connection, released
together by a barrier; on PostgreSQL they really interleave, on SQLite the write lock serialises
them in whatever order they arrive. After each, ``seat_ledger_errors`` recounts every comparison's
``holders`` and ``judgment_count`` from the lease and judgment rows.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from labeling.annotation.assignment import comparison_lease_next, lease_expire_due
from labeling.models import Comparison, Judgment, Lease, LeaseState
from tests.conftest import client_for
from tests.factories import make_comparison, new_client_key
from tests.reliability.accounting import seat_ledger_errors

ROUNDS = 12  # races per concurrent test: each is a fresh comparison


def submit_body(comparison_id: int, client_key: str, winner: str = "a") -> dict:
    return {"comparison": comparison_id, "winner": winner, "strength": 2, "client_key": client_key}


def post_judgment(user, body: dict):
    return client_for(user).post("/api/judgments/", body, format="json")


def run_together(*calls) -> list:
    """Run each call in its own thread, all released at once; their results (or exceptions) in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:  # reported to the test below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
    return results


def expire(comparison, annotator) -> None:
    """Move the annotator's lease on ``comparison`` an hour into the past (nothing reclaims it yet)."""
    Lease.objects.filter(comparison=comparison, annotator=annotator).update(expires_at=timezone.now() - timedelta(hours=1))


# --- retries ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_submit_retried_fifty_times_stores_one_judgment(project, annotator):
    make_comparison(project)
    leased = comparison_lease_next(project=project, annotator=annotator)
    body = submit_body(leased.pk, new_client_key())
    responses = [post_judgment(annotator, body) for _ in range(50)]
    assert [r.status_code for r in responses] == [201] + [200] * 49
    assert {r.json()["id"] for r in responses} == {Judgment.objects.get().pk}
    # The key names one submission: a "retry" that changed its mind is refused, the first answer kept
    # (as the IETF Idempotency-Key draft asks: a 200 would say "b" was stored).
    changed = post_judgment(annotator, {**body, "winner": "b"})
    assert changed.status_code == 409 and changed.json()["reason"] == "client_key_reused"
    assert Judgment.objects.get().winner == "a"
    assert Judgment.objects.count() == 1 and seat_ledger_errors(project) == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_submit_store_one_judgment(project, annotator):
    for _ in range(ROUNDS):
        make_comparison(project)
    for _ in range(ROUNDS):
        leased = comparison_lease_next(project=project, annotator=annotator)
        body = submit_body(leased.pk, new_client_key())
        responses = run_together(*[lambda body=body: post_judgment(annotator, body)] * 6)
        assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
        stored = Judgment.objects.get(client_key=body["client_key"])
        assert {r.json()["id"] for r in responses} == {stored.pk}
    assert Judgment.objects.count() == ROUNDS
    assert seat_ledger_errors(project) == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_one_key_sent_by_two_annotators_at_once_stores_one_judgment(project, annotator, second_annotator):
    make_comparison(project)
    make_comparison(project)
    mine = comparison_lease_next(project=project, annotator=annotator)
    theirs = comparison_lease_next(project=project, annotator=second_annotator)
    key = new_client_key()
    first, second = run_together(
        lambda: post_judgment(annotator, submit_body(mine.pk, key)),
        lambda: post_judgment(second_annotator, submit_body(theirs.pk, key)),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    assert Judgment.objects.count() == 1
    assert seat_ledger_errors(project) == []


# --- lease expiry and a late submit, in each order ----------------------------------------------------


@pytest.mark.django_db
def test_late_submit_after_the_lease_was_reclaimed_retakes_the_free_seat(project, annotator):
    make_comparison(project)
    leased = comparison_lease_next(project=project, annotator=annotator)
    expire(leased, annotator)
    assert lease_expire_due(project=project) == 1
    assert Comparison.objects.get(pk=leased.pk).holders == 0
    response = post_judgment(annotator, submit_body(leased.pk, new_client_key()))
    assert response.status_code == 201
    comparison = Comparison.objects.get(pk=leased.pk)
    assert (comparison.holders, comparison.judgment_count, comparison.is_open) == (1, 1, False)
    assert seat_ledger_errors(project) == []


@pytest.mark.django_db
def test_late_submit_after_the_seat_went_to_someone_else_stores_nothing(project, annotator, second_annotator):
    make_comparison(project)  # overlap 1: one seat
    leased = comparison_lease_next(project=project, annotator=annotator)
    expire(leased, annotator)
    assert comparison_lease_next(project=project, annotator=second_annotator).pk == leased.pk  # reclaims, retakes
    response = post_judgment(annotator, submit_body(leased.pk, new_client_key()))
    assert response.status_code == 409 and response.json()["reason"] == "full"
    comparison = Comparison.objects.get(pk=leased.pk)
    assert (comparison.holders, comparison.judgment_count) == (1, 0)
    assert not Judgment.objects.exists() and seat_ledger_errors(project) == []


@pytest.mark.django_db
def test_reclaim_after_a_late_submit_finds_nothing_to_reclaim(project, annotator):
    make_comparison(project)
    leased = comparison_lease_next(project=project, annotator=annotator)
    expire(leased, annotator)
    assert post_judgment(annotator, submit_body(leased.pk, new_client_key())).status_code == 201  # not reclaimed yet
    assert lease_expire_due(project=project) == 0
    assert Lease.objects.get(comparison=leased, annotator=annotator).state == LeaseState.JUDGED
    comparison = Comparison.objects.get(pk=leased.pk)
    assert (comparison.holders, comparison.judgment_count) == (1, 1)
    assert seat_ledger_errors(project) == []


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [1, 2])
def test_expiry_racing_a_late_submit_and_a_newcomer_never_double_counts(project, annotator, second_annotator, overlap):
    """Three requests at once on an expired lease: the reclaimer, the late submit, and another
    annotator asking for work. Whoever wins, the counters equal the rows and the seats are not
    over-filled; the late submit is stored exactly when it was answered 201."""
    project.overlap = overlap
    project.save(update_fields=["overlap"])
    for _ in range(ROUNDS):
        make_comparison(project)
    outcomes = []
    for _ in range(ROUNDS):
        leased = comparison_lease_next(project=project, annotator=annotator)
        expire(leased, annotator)
        body = submit_body(leased.pk, new_client_key())
        submit, _, newcomer = run_together(
            lambda body=body: post_judgment(annotator, body),
            lambda: lease_expire_due(project=project),
            lambda: client_for(second_annotator).get(f"/api/projects/{project.pk}/next-task/"),
        )
        assert submit.status_code in (201, 409), submit.content
        assert newcomer.status_code in (200, 204)
        stored = Judgment.objects.filter(client_key=body["client_key"]).exists()
        assert stored == (submit.status_code == 201)
        assert Comparison.objects.get(pk=leased.pk).holders <= overlap
        assert seat_ledger_errors(project) == []
        outcomes.append(submit.status_code)
        # Release the newcomer's lease so the next round starts from the same state.
        Lease.objects.filter(annotator=second_annotator, state=LeaseState.ACTIVE).update(expires_at=timezone.now())
        lease_expire_due(project=project)
    assert seat_ledger_errors(project) == []

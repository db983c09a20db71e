"""Lock order: a late submit and the same annotator's next-task, interleaved on PostgreSQL.

The annotator's lease on a comparison expired and was reclaimed; their next-task takes that
comparison again (locking its row, then writing their lease row) while the submit they sent
before the expiry arrives (locking the lease row, then taking a seat on the comparison row).
Both paths take the annotator's row first, so the second waits for the first instead of each
holding what the other needs.
"""

import threading
import time

import pytest
from django.db import connection, connections

from labeling.annotation import assignment
from labeling.annotation.assignment import comparison_lease_next, lease_expire_due
from labeling.annotation.judgments import judgment_create
from labeling.models import Judgment, Lease, LeaseState
from tests.factories import make_comparison, new_client_key

pytestmark = pytest.mark.django_db(transaction=True)


class Step(threading.Thread):
    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self):
        try:
            self.result = self.work()
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connections.close_all()


def test_a_late_submit_and_the_same_annotators_next_task_do_not_deadlock(project, annotator, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks exist on PostgreSQL only (SQLite serialises writers): set DATABASE_URL=postgres://...")
    comparison = make_comparison(project)
    assert comparison_lease_next(project=project, annotator=annotator) == comparison
    Lease.objects.update(expires_at=Lease.objects.get().created_at)
    assert lease_expire_due(project=project) == 1  # reclaimed: the comparison is open again, to them too

    holds_comparison, submit_started = threading.Event(), threading.Event()
    record = assignment._lease_record

    def lease_record_after_the_submit_started(*args):
        holds_comparison.set()  # next-task has locked the comparison row and taken its seat
        submit_started.wait(10)
        time.sleep(0.5)  # long enough for the submit to lock what it locks first
        return record(*args)

    monkeypatch.setattr(assignment, "_lease_record", lease_record_after_the_submit_started)
    next_task = Step(lambda: comparison_lease_next(project=project, annotator=annotator))
    submit = Step(lambda: judgment_create(
        annotator=annotator, comparison_id=comparison.pk, client_key=new_client_key(), winner="a", strength=1
    ))
    next_task.start()
    assert holds_comparison.wait(10)
    submit.start()
    submit_started.set()
    next_task.join(30), submit.join(30)
    assert (next_task.error, submit.error) == (None, None)  # before: "deadlock detected" in one of them
    assert next_task.result == comparison and submit.result[1] is True
    assert Lease.objects.get().state == LeaseState.JUDGED and Judgment.objects.count() == 1

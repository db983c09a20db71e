"""The PostgreSQL backend's folded health check: a connection that died between requests is
reopened by the request's first read; a write is checked first, as Django does, and never sent twice."""

from unittest import mock

import pytest
from django.db import OperationalError, connection, connections, transaction

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db():
    """A connection of its own under the alias ``own`` (the test's is never killed)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    own = connections.create_connection("default")
    connections["own"] = own
    yield own
    own.close()
    del connections["own"]


def backend_pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def between_requests(db, *, kill: bool) -> int:
    """The pid serving ``db``; then what Django does between two requests on a kept
    connection, with its server side terminated meanwhile if ``kill`` (a restart, an idle timeout)."""
    pid = backend_pid(db)
    db.close_if_unusable_or_obsolete()  # request_finished: the connection is kept for the next
    if kill:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    return pid


def test_a_live_connection_gets_no_extra_query(db):
    pid = between_requests(db, kill=False)
    sent = []
    with (
        mock.patch.object(db, "is_usable", wraps=db.is_usable) as is_usable,  # Django's SELECT 1
        db.execute_wrapper(lambda execute, sql, *rest: sent.append(sql) or execute(sql, *rest)),
    ):
        assert backend_pid(db) == pid
    assert sent == ["SELECT pg_backend_pid()"] and not is_usable.called


def test_a_read_on_a_connection_killed_between_requests_is_sent_again_on_a_new_one(db):
    pid = between_requests(db, kill=True)
    new_pid = backend_pid(db)
    assert new_pid != pid
    assert backend_pid(db) == new_pid  # the new connection is kept


def test_a_write_first_is_checked_first_and_sent_once_on_a_new_connection(db):
    pid = between_requests(db, kill=True)
    sent = []
    with (
        mock.patch.object(db, "is_usable", wraps=db.is_usable) as is_usable,
        db.execute_wrapper(lambda execute, sql, *rest: sent.append(sql) or execute(sql, *rest)),
        db.cursor() as cursor,
    ):
        cursor.execute("UPDATE labeling_project SET name = name WHERE false")
    assert is_usable.call_count == 1 and len(sent) == 1
    assert backend_pid(db) != pid


def test_a_read_in_a_transaction_on_a_killed_connection_is_not_sent_again(db):
    between_requests(db, kill=True)
    with pytest.raises(OperationalError), transaction.atomic(using="own"):
        backend_pid(db)

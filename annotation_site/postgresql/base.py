"""PostgreSQL, with the connection health check folded into a request's first query.

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of every request on
a reused connection: a round trip per request, about a tenth of an annotation's time on the
database (``bench/bench_annotation.py``). Here that first statement is the check instead: if
it fails because the connection has died meanwhile (the server restarted, a proxy dropped an
idle connection), the connection is reopened and the statement sent again.

Only a read outside a transaction is sent again. Any other first statement is preceded by
Django's check, as before (a write may have run before the connection broke, so it is never
sent twice); inside a transaction a dead connection fails the request, as it does with
Django's check, and Django drops it at the end of the request. The first query of an API
request is the token or session lookup, a read outside a transaction, so requests never pay
for the check. With ``DEBUG`` (queries logged) Django's own check runs unchanged.

Used as ``ENGINE = "annotation_site.postgresql"`` (settings.py).
"""

from django.db import InterfaceError, OperationalError
from django.db.backends.postgresql import base
from django.db.backends.utils import CursorWrapper


class DatabaseWrapper(base.DatabaseWrapper):
    # True from the start of a request on a reused connection until its first statement
    # has gone through.
    unverified = False

    def close_if_health_check_failed(self):
        if self.queries_logged:
            return super().close_if_health_check_failed()
        if self.connection is not None and self.health_check_enabled and not self.health_check_done:
            self.unverified = True
            self.health_check_done = True

    def make_cursor(self, cursor):
        return FirstReadRetriedCursor(cursor, self)


class FirstReadRetriedCursor(CursorWrapper):
    def execute(self, sql, params=None):
        db = self.db
        if not db.unverified:
            return super().execute(sql, params)
        db.unverified = False
        if db.in_atomic_block:
            return super().execute(sql, params)  # a dead connection fails here, as with Django's check
        if not _is_read(sql):
            # Must not be sent twice: check first, as Django does (Celery tasks that start
            # with an UPDATE come here; no request does).
            if not db.is_usable():
                self._reconnect()
            return super().execute(sql, params)
        try:
            return super().execute(sql, params)
        except (OperationalError, InterfaceError):
            if db.is_usable():
                raise  # the statement failed, not the connection
        self._reconnect()
        return super().execute(sql, params)

    def _reconnect(self):
        self.db.close()
        self.cursor = self.db._cursor().cursor  # a fresh connection's cursor


def _is_read(sql) -> bool:
    return isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT"

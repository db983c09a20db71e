"""Plain SQL for the annotation hot path (next-task and submit), on PostgreSQL and SQLite.

Why not the ORM there: building a queryset and compiling it costs 0.3-0.4 ms of CPU per
query, about six times a raw statement, and a next-task + submit pair runs about eighteen of
them: half the server's CPU per annotation (``bench/bench_annotation.py`` prints the cost).
The statements using these helpers are written once for both databases: placeholders are
``%s`` (Django's cursor converts them for SQLite), values go through ``db_datetime`` and
constant enum values are written as literals, so SQLite can match its partial indexes
(``WHERE state = 'active'``), which a bound parameter would hide from its planner.
"""

from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone


def sql_rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def sql_first(sql: str, params: list) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def raw_first(model, sql: str, params: list):
    """The first ``model`` instance ``sql`` selects (``Model.objects.raw``), or None."""
    return next(iter(model.objects.raw(sql, params)), None)


def sql_count(sql: str, params: list) -> int:
    """Run a write; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def db_datetime(value: datetime):
    """An aware datetime as the database stores it (SQLite keeps UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware(value: datetime) -> datetime:
    """A datetime read by a raw query: SQLite gives it back naive, in UTC."""
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def for_update(*, skip_locked: bool = False, of: str = "", no_key: bool = False) -> str:
    """The row-lock clause where the database has one (SQLite serialises writers instead)."""
    if not connection.features.has_select_for_update:
        return ""
    clause = " FOR NO KEY UPDATE" if no_key else " FOR UPDATE"
    if of:
        clause += f" OF {of}"
    return clause + (" SKIP LOCKED" if skip_locked else "")

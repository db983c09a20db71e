"""Plain SQL for the annotation hot path (next-task and submit), on PostgreSQL and SQLite.

Why not the ORM there: building a queryset and compiling it costs 0.3-0.4 ms of CPU per
query, about six times a raw statement, and a next-task + submit pair runs about eighteen of
them: half the server's CPU per annotation (``bench/bench_annotation.py`` prints the cost).
The statements using these helpers are written once for both databases: placeholders are
``%s`` (Django's cursor converts them for SQLite), values go through ``db_datetime`` and
constant enum values are written as literals, so SQLite can match its partial indexes
(``WHERE state = 'active'``), which a bound parameter would hide from its planner. Tables and
foreign-key columns are named by ``sql_text`` from the models, once, when the module loads.
"""

from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone


class _Names:
    """A model's names in SQL: formatted bare, its table; ``.field``, that field's column."""

    def __init__(self, model):
        self._meta = model._meta

    def __format__(self, spec: str) -> str:
        return format(self._meta.db_table, spec)

    def __getattr__(self, field: str) -> str:
        return self._meta.get_field(field).column


def sql_text(template: str, *models, **parts: str) -> str:
    """``template`` with ``{Model}`` as that model's table and ``{Model.field}`` as a field's column
    (``{Lease.comparison}`` is ``comparison_id``), read from ``Model._meta``, so no statement names a
    table by hand; other columns are written as their fields are named. ``{name}`` takes the SQL
    fragment ``parts[name]``; literal braces are doubled. Call it at import time: the text is
    built once, and a query costs nothing more."""
    return template.format(**{model.__name__: _Names(model) for model in models}, **parts)


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

"""Multi-row INSERT ... RETURNING for the import path.

Django's ``bulk_create`` spends most of its time compiling SQL per object; imports of 100k lines
write ~600k rows, so they go through here instead. Rows are plain tuples in ``columns`` order;
the caller supplies every column (no model defaults are applied). Returned rows carry the
columns named in ``returning`` so callers map them back by key, not by order.
"""

import json

from django.db import connection
from django.utils import timezone

SQLITE_MAX_PARAMS = 30_000


def insert_returning(model, columns: list[str], rows: list[tuple], returning: list[str]) -> list[tuple]:
    if not rows:
        return []
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "
    tail = f" RETURNING {', '.join(map(quote, returning))}"
    if connection.vendor == "postgresql":
        from psycopg2.extras import execute_values

        with connection.cursor() as cursor:
            return execute_values(cursor.cursor, head + "%s" + tail, rows, page_size=1000, fetch=True)
    per_chunk = max(1, SQLITE_MAX_PARAMS // len(columns))
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    out = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            cursor.execute(head + ", ".join([row_sql] * len(chunk)) + tail, [v for row in chunk for v in row])
            out.extend(cursor.fetchall())
    return out


def db_now():
    """The current time as this backend stores it (aware for PostgreSQL, naive UTC text for SQLite)."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def db_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)

"""Fast multi-row inserts for the import path.

Django's ``bulk_create`` spends most of its time compiling SQL per object; imports of 100k lines
write ~600k rows, so they go through here instead. Rows are plain tuples in ``columns`` order;
the caller supplies every column but ``id`` (no model defaults are applied), and gets back, per
row, the values of the ``returning`` columns (``id`` included), so it maps rows by key.

PostgreSQL: ids are drawn from the table's sequence, then the rows are streamed with ``COPY``
(CSV). SQLite: chunked multi-row ``INSERT ... RETURNING``.
"""

import csv
import io
import json

from django.db import connection
from django.utils import timezone

SQLITE_MAX_PARAMS = 30_000


def insert_returning(model, columns: list[str], rows: list[tuple], returning: list[str]) -> list[tuple]:
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_returning(model._meta.db_table, columns, rows, returning)
    return _insert_returning(model._meta.db_table, columns, rows, returning)


def _copy_returning(table: str, columns: list[str], rows: list[tuple], returning: list[str]) -> list[tuple]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [i for (i,) in cursor.fetchall()]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows((i, *row) for i, row in zip(ids, rows, strict=True))
        buffer.seek(0)
        # In CSV an unquoted empty field is NULL; these rows hold no NULLs, so empty means ''.
        names = ", ".join(map(quote, ["id", *columns]))
        cursor.cursor.copy_expert(f"COPY {quote(table)} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
    positions = [0 if name == "id" else columns.index(name) + 1 for name in returning]
    return [tuple(full[p] for p in positions) for full in ((i, *row) for i, row in zip(ids, rows, strict=True))]


def _insert_returning(table: str, columns: list[str], rows: list[tuple], returning: list[str]) -> list[tuple]:
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES "
    tail = f" RETURNING {', '.join(map(quote, returning))}"
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

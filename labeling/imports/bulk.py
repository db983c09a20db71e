"""Values as the import's raw SQL writes them (see ``services/import_staging.py``)."""

import json

from django.db import connection
from django.utils import timezone


def db_now():
    """The current time as this backend stores it (aware for PostgreSQL, naive UTC text for SQLite)."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def db_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)

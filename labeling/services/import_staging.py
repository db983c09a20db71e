"""Set-based storage of an import's rows through temporary staging tables.

Each chunk of lines is written to temporary tables in one bulk statement per table (PostgreSQL:
``COPY``; SQLite: ``executemany``), then de-duplicated against the stored rows and inserted by
the server with ``INSERT ... SELECT ... WHERE NOT EXISTS``: a handful of statements per chunk
whatever its size, and no per-row SQL built in Python. The identities are the unique constraints
of the models: a prompt by (project, content hash), a response by (prompt, text hash, model), a
comparison by (project, response set hash).

The tables live for one import inside its transaction: created at its start, dropped at its end,
and taken back with everything else by the rollback of a failed import.
"""

import csv
import io
import json
from collections.abc import Iterable

from django.db import connection

from labeling.bulk import db_json, db_now
from labeling.formats import messages_json

_TABLES = {
    "import_prompt": "n integer, content_hash text, messages text, external_id text, metadata text",
    "import_response": "n integer, prompt_id bigint, content_hash text, model_name text, text text, length_chars integer",
    "import_comparison": "n integer, set_hash text, prompt_id bigint, random_key double precision",
    "import_slot": "set_hash text, response_id bigint, position integer",
}

_INSERT_PROMPTS = """
INSERT INTO labeling_prompt (project_id, messages, content_hash, external_id, metadata, created_at)
SELECT %s, {messages}, s.content_hash, s.external_id, {metadata}, %s FROM import_prompt s
WHERE NOT EXISTS (SELECT 1 FROM labeling_prompt p WHERE p.project_id = %s AND p.content_hash = s.content_hash)
ORDER BY s.n"""
_PROMPT_IDS = """
SELECT s.content_hash, p.id FROM import_prompt s
JOIN labeling_prompt p ON p.project_id = %s AND p.content_hash = s.content_hash"""

_INSERT_RESPONSES = """
INSERT INTO labeling_response (project_id, prompt_id, text, model_name, content_hash, length_chars, metadata, created_at)
SELECT %s, s.prompt_id, s.text, s.model_name, s.content_hash, s.length_chars, {empty}, %s FROM import_response s
WHERE NOT EXISTS (SELECT 1 FROM labeling_response r WHERE r.prompt_id = s.prompt_id
                  AND r.content_hash = s.content_hash AND r.model_name = s.model_name)
ORDER BY s.n"""
_RESPONSE_IDS = """
SELECT s.n, r.id FROM import_response s JOIN labeling_response r
ON r.prompt_id = s.prompt_id AND r.content_hash = s.content_hash AND r.model_name = s.model_name"""

_INSERT_COMPARISONS = """
INSERT INTO labeling_comparison (project_id, prompt_id, response_set_hash, priority, random_key, is_gold,
                                 judgment_count, holders, is_open, created_at)
SELECT %s, s.prompt_id, s.set_hash, 0.0, s.random_key, FALSE, 0, 0, TRUE, %s FROM import_comparison s
WHERE NOT EXISTS (SELECT 1 FROM labeling_comparison c WHERE c.project_id = %s AND c.response_set_hash = s.set_hash)
ORDER BY s.n"""
# A comparison without slots is one this chunk just created (a stored one always has its slots).
_INSERT_SLOTS = """
INSERT INTO labeling_comparisonresponse (comparison_id, response_id, position)
SELECT c.id, s.response_id, s.position FROM import_slot s
JOIN labeling_comparison c ON c.project_id = %s AND c.response_set_hash = s.set_hash
WHERE NOT EXISTS (SELECT 1 FROM labeling_comparisonresponse x WHERE x.comparison_id = c.id)"""
_STORED_ORDERS = """
SELECT s.set_hash, c.id, x.response_id FROM import_comparison s
JOIN labeling_comparison c ON c.project_id = %s AND c.response_set_hash = s.set_hash
JOIN labeling_comparisonresponse x ON x.comparison_id = c.id
ORDER BY c.id, x.position"""
_SOURCE_JUDGMENTS = """
SELECT j.id, j.comparison_id, j.winner, j.ranking, j.criteria FROM import_comparison s
JOIN labeling_comparison c ON c.project_id = %s AND c.response_set_hash = s.set_hash
JOIN labeling_judgment j ON j.comparison_id = c.id AND j.annotator_id = %s"""


class ImportStaging:
    """The staging tables of one import into ``project``; the caller holds the import's transaction."""

    def __init__(self, project):
        self.project_id = project.pk
        self.postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            for name, columns in _TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS {name}")  # SQLite: left by an earlier import on this connection
                cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for name in _TABLES:
                cursor.execute(f"DROP TABLE {name}")

    def clear(self) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(f"TRUNCATE {', '.join(_TABLES)}")
            else:
                for name in _TABLES:
                    cursor.execute(f"DELETE FROM {name}")

    def store_prompts(self, prompts: dict[str, tuple[list, str, dict]]) -> tuple[dict[str, int], int]:
        """``prompts``: (messages, external id, metadata) by content hash. Their ids by hash, and how many were new."""
        rows = [
            (n, h, messages_json(m), ext[:200], db_json(meta) if meta else "{}")
            for n, (h, (m, ext, meta)) in enumerate(prompts.items())
        ]
        self._stage("import_prompt", ["n", "content_hash", "messages", "external_id", "metadata"], rows)
        sql = _INSERT_PROMPTS.format(messages=self._json("s.messages"), metadata=self._json("s.metadata"))
        added = self._write(sql, [self.project_id, db_now(), self.project_id])
        return dict(self._rows(_PROMPT_IDS, [self.project_id])), added

    def store_responses(self, responses: list[tuple[int, str, str, str]]) -> tuple[list[int], int]:
        """``responses``: distinct (prompt id, text hash, model, text). Their ids in that order, and how many were new."""
        rows = [(n, p, h, m, text, len(text)) for n, (p, h, m, text) in enumerate(responses)]
        columns = ["n", "prompt_id", "content_hash", "model_name", "text", "length_chars"]
        self._stage("import_response", columns, rows)
        added = self._write(_INSERT_RESPONSES.format(empty=self._json("'{}'")), [self.project_id, db_now()])
        ids = [0] * len(rows)
        for n, response_id in self._rows(_RESPONSE_IDS, []):
            ids[n] = response_id
        return ids, added

    def store_comparisons(self, comparisons: list[tuple[str, int, list[int], float]]) -> int:
        """``comparisons``: distinct (response set hash, prompt id, response ids in presentation
        order, random key); the ones not stored yet are stored with their slots. How many were new."""
        self._stage("import_comparison", ["n", "set_hash", "prompt_id", "random_key"],
                    [(n, h, p, key) for n, (h, p, _, key) in enumerate(comparisons)])
        slots = [(h, r, position) for h, _, order, _ in comparisons for position, r in enumerate(order)]
        self._stage("import_slot", ["set_hash", "response_id", "position"], slots)
        added = self._write(_INSERT_COMPARISONS, [self.project_id, db_now(), self.project_id])
        self._write(_INSERT_SLOTS, [self.project_id])
        return added

    def stored_orders(self) -> dict[str, tuple[int, list[int]]]:
        """Of the staged comparisons: (comparison id, response ids by position), by response set hash."""
        orders: dict[str, tuple[int, list[int]]] = {}
        for set_hash, comparison_id, response_id in self._rows(_STORED_ORDERS, [self.project_id]):
            orders.setdefault(set_hash, (comparison_id, []))[1].append(response_id)
        return orders

    def source_judgments(self, source_id: int) -> dict[int, tuple[int, str, list | None, dict]]:
        """The label source's judgments on the staged comparisons: (id, winner, ranking, criteria) by comparison id."""
        found = {}
        for judgment_id, comparison_id, winner, ranking, criteria in self._rows(_SOURCE_JUDGMENTS, [self.project_id, source_id]):
            found[comparison_id] = (judgment_id, winner, _decoded(ranking), _decoded(criteria) or {})
        return found

    # --- plumbing ---------------------------------------------------------------------------

    def _json(self, expression: str) -> str:
        return f"CAST({expression} AS jsonb)" if self.postgres else expression

    def _stage(self, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                buffer = io.StringIO()
                # Every field quoted: in CSV an unquoted empty field (or \N with that NULL marker) is NULL.
                csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(rows)
                buffer.seek(0)
                cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)
            else:  # the driver's own cursor: Django's would rewrite the placeholders of every row
                placeholders = ", ".join("?" * len(columns))
                cursor.cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)

    @staticmethod
    def _write(sql: str, params: list) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    @staticmethod
    def _rows(sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _decoded(value):
    """A JSON column read by raw SQL: text on SQLite (and with Django's psycopg2 setup), else decoded."""
    return json.loads(value) if isinstance(value, str) else value


"""Set-based storage of an import's rows through temporary staging tables.

Each chunk of lines is written to temporary tables in one bulk statement per table (PostgreSQL:
``COPY``; SQLite: ``executemany``), then de-duplicated against the stored rows and inserted by
the server with ``INSERT ... SELECT ... WHERE NOT EXISTS``: a handful of statements per chunk
whatever its size, and no per-row SQL built in Python. The identities are the unique constraints
of the models: a prompt by (project, content hash), a response by (prompt, text hash, model), a
comparison by (project, response set hash).

The inserts return the ids they made, so stored rows are looked up only when some of a chunk's
were there before (a re-import), and a new comparison's response positions, whose ids are all
known then, go straight into their table in one bulk statement (no staging, no lookups). On
PostgreSQL the foreign keys are checked as each statement ends rather than at commit (the same
checks, about eleven a line): they then overlap with the next chunk being read, instead of
running alone after the last one, and the server keeps no queue of a whole file's checks.

A chunk's prompt and response rows need no database, so they are made (on PostgreSQL, as COPY
text) in the read-ahead thread while the previous chunk is stored: a staged response names its
prompt by content hash, which its insert resolves with one index probe per row, and text columns
are escaped a column at a time rather than field by field (10k lines, 4 interleaved pairs under
load: the importing process's CPU 0.83 -> 0.64 s, the server's unchanged).

On PostgreSQL, a chunk whose prompts are all new (a first import, or new prompts of a growing
file) skips the staging of its responses and comparisons: a new prompt's responses are new, and
so is a comparison holding a new response, so they are COPYed straight into their tables with
ids drawn from the tables' sequences (comparisons only without labels, which look them up again
in the staging table). The foreign keys are checked all the same; staging, de-duplication and
the sort are what is saved (the responses' statements 0.51 -> 0.43 server CPU s per 24k rows).
Chunks holding a stored prompt take the general path. Into a project that had no prompts (a
first import), the prompts skip staging too: the import keeps the content hashes it stored, which
are then all of the project's, so a chunk holding none of them holds only new prompts, COPYed
the same way (100k lines: 8.5 -> 8.1 server CPU s; no staging COPY, lookup or TRUNCATE a chunk).
A first import's COPYs into the tables themselves then run in a writer thread while the next
chunk is prepared, ids drawn on a second session (``pipeline.py``; 100k lines 11.4 -> 8.9 s).

What remains is mostly the server's, and mostly the foreign keys: about eleven checks a line,
each a locking lookup (COPY of 24k responses: 0.43 server CPU s, 0.21 s into a copy of the table
without its foreign keys). They stay: a constraint is what makes the rows trustworthy whatever
wrote them. ``synchronous_commit`` stays on too: it would save only the commit's wait for its
WAL flush, a few milliseconds per import, not CPU.

The tables live for one import inside its transaction: created at its start, dropped at its end,
and taken back with everything else by the rollback of a failed import.
"""

import io
import json

from django.db import connection

from labeling.hot_sql import sql_text
from labeling.imports.bulk import db_now
from labeling.imports.pipeline import CopyWriter, SequenceIds
from labeling.imports.rows import StagedRows
from labeling.models import (
    Comparison,
    ComparisonKind,
    ComparisonResponse,
    Judgment,
    Prompt,
    Response,
)

# Text columns have the type of the column they are matched with: text against varchar(64) would
# cast the stored column and lose its index.
_TABLES = {
    "import_prompt": "n integer, content_hash varchar(64), messages text, external_id text, metadata text",
    "import_response": "n integer, prompt_hash varchar(64), content_hash varchar(64), model_name varchar(200), "
                       "text text, length_chars integer",
    "import_comparison": "n integer, set_hash varchar(64), prompt_id bigint, random_key double precision",
}

# Stored rows are looked up by a scalar subquery per staged row, which always probes the unique
# index: as joins, the planner (whose statistics do not count the rows this transaction has
# added) takes the project's table for a few dozen rows and scans all of it for every chunk,
# quadratic in the file (100k lines: 22 s of server CPU).
_PROMPT = sql_text(
    "(SELECT p.id FROM {Prompt} p WHERE p.{Prompt.project} = %s AND p.content_hash = s.content_hash)", Prompt
)
_RESPONSE = sql_text("""(SELECT r.id FROM {Response} r WHERE r.{Response.prompt} = s.prompt_id
                AND r.content_hash = s.content_hash AND r.model_name = s.model_name)""", Response)
_COMPARISON = sql_text(
    "(SELECT c.id FROM {Comparison} c WHERE c.{Comparison.project} = %s AND c.response_set_hash = s.set_hash)",
    Comparison,
)

_INSERT_PROMPTS = sql_text("""
INSERT INTO {Prompt} ({Prompt.project}, messages, content_hash, external_id, metadata, created_at)
SELECT %s, {{messages}}, s.content_hash, s.external_id, {{metadata}}, %s FROM import_prompt s
WHERE {stored} IS NULL ORDER BY s.n RETURNING content_hash, id""", Prompt, stored=_PROMPT)
_PROMPT_IDS = f"SELECT s.content_hash, {_PROMPT} FROM import_prompt s"

# A staged response names its prompt by content hash (its id is not known when the row is made),
# resolved here once per row: the derived table is fenced (OFFSET 0 on PostgreSQL) so that the
# probe is not repeated where the identity subquery uses it.
_STAGED_RESPONSES = sql_text(
    "(SELECT r.*, (SELECT p.id FROM {Prompt} p WHERE p.{Prompt.project} = %s AND p.content_hash = r.prompt_hash)"
    " AS prompt_id FROM import_response r{{fence}}) s", Prompt,
)
_INSERT_RESPONSES = sql_text("""
INSERT INTO {Response} ({Response.project}, {Response.prompt}, text, model_name, content_hash, length_chars,
                        metadata, created_at)
SELECT %s, s.prompt_id, s.text, s.model_name, s.content_hash, s.length_chars, {{empty}}, %s FROM {staged}
WHERE {stored} IS NULL ORDER BY s.n RETURNING {Response.prompt}, content_hash, model_name, id""", Response,
    stored=_RESPONSE, staged=_STAGED_RESPONSES)
_RESPONSE_IDS = f"SELECT s.n, {_RESPONSE} FROM {_STAGED_RESPONSES}"

_INSERT_COMPARISONS = sql_text("""
INSERT INTO {Comparison} ({Comparison.project}, {Comparison.prompt}, response_set_hash, priority, random_key,
                          is_gold, judgment_count, holders, is_open, created_at)
SELECT %s, s.prompt_id, s.set_hash, 0.0, s.random_key, FALSE, 0, 0, TRUE, %s FROM import_comparison s
WHERE {stored} IS NULL ORDER BY s.n RETURNING response_set_hash, id""", Comparison, stored=_COMPARISON)
_POSITIONS = ComparisonResponse._meta.db_table
_POSITION_COLUMNS = [
    ComparisonResponse._meta.get_field(name).column for name in ("comparison", "response", "position")
]
# Rows known to be new are COPYed straight into their table, with ids drawn from its sequence:
# the statement that stores them builds each row in this order, the constants last.
_DIRECT_RESPONSE_COLUMNS = sql_text(
    "id, {Response.prompt}, content_hash, model_name, text, length_chars, {Response.project}, metadata, created_at",
    Response,
).split(", ")
_DIRECT_PROMPT_COLUMNS = sql_text(
    "id, content_hash, messages, external_id, metadata, {Prompt.project}, created_at", Prompt
).split(", ")
_DIRECT_COMPARISON_COLUMNS = sql_text(
    "id, {Comparison.prompt}, response_set_hash, random_key, {Comparison.project}, priority, is_gold, judgment_count,"
    " holders, is_open, created_at", Comparison,
).split(", ")
_RESPONSE_AT = sql_text(
    "(SELECT x.{ComparisonResponse.response} FROM {ComparisonResponse} x"
    " WHERE x.{ComparisonResponse.comparison} = t.id AND x.position = {{position}})",
    ComparisonResponse,
)
_SOURCE_JUDGMENT = sql_text(
    "(SELECT j.{{column}} FROM {Judgment} j WHERE j.{Judgment.comparison} = t.id AND j.{Judgment.annotator} = %s)",
    Judgment,
)


def _stored_orders_sql(k: int) -> str:
    """Each staged comparison's id and its response ids at positions 0..k-1 (null where it has fewer)."""
    positions = ", ".join(_RESPONSE_AT.format(position=i) for i in range(k))
    return f"SELECT t.set_hash, t.id, {positions} FROM (SELECT s.set_hash, {_COMPARISON} AS id FROM import_comparison s) t"


def _source_judgments_sql() -> str:
    """The label source's judgment (id, winner, ranking, criteria) on each staged comparison, if any."""
    columns = ", ".join(_SOURCE_JUDGMENT.format(column=name) for name in ("id", "winner", "ranking", "criteria"))
    return f"SELECT t.id, {columns} FROM (SELECT {_COMPARISON} AS id FROM import_comparison s) t"


class ImportStaging:
    """The staging tables of one import into ``project``; the caller holds the import's transaction."""

    def __init__(self, project):
        self.project_id = project.pk
        self.k = project.responses_per_comparison if project.task_type == ComparisonKind.RANKING else 2
        self.postgres = connection.vendor == "postgresql"
        self.sequences: dict = {}  # PostgreSQL: the id sequence's name by model
        self.written: set[str] = set()  # staging tables holding rows
        # PostgreSQL, into a project with no prompts yet: the content hashes of the prompts this
        # import stored, then all of the project's, so a chunk holding none of them is all new.
        self.imported_prompts: set[str] | None = None
        if self.postgres and not Prompt.objects.filter(project_id=project.pk).exists():
            self.imported_prompts = set()
        with connection.cursor() as cursor:
            if self.postgres:  # see the module's docstring; this transaction's only
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, columns in _TABLES.items():
                cursor.execute(f"DROP TABLE IF EXISTS {name}")  # SQLite: left by an earlier import on this connection
                cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
        # A first import stores its rows from a writer thread, ids drawn on a second session
        # (pipeline.py); any statement sent through Django meanwhile, whoever sends it, waits
        # for the writer first. The caller closes them (``close``).
        self.writer = self.ids = self.guard = None
        if self.imported_prompts is not None and (ids := SequenceIds.opened()):
            self.writer, self.ids = CopyWriter(), ids
            self.guard = connection.execute_wrapper(self._settled)
            self.guard.__enter__()

    def close(self) -> None:
        """Stop the writer thread and the ids' session, whatever happened (no error raised)."""
        if self.writer:
            self.guard.__exit__(None, None, None)
            self.writer.close()
            self.ids.close()

    def _settled(self, execute, sql, params, many, context):
        self.writer.settle()
        return execute(sql, params, many, context)

    def settle(self) -> None:
        """Wait for the rows handed to the writer; raise its error (statements sent through
        Django do, by themselves)."""
        if self.writer:
            self.writer.settle()

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for name in _TABLES:
                cursor.execute(f"DROP TABLE {name}")
            if self.postgres:  # the caller's transaction goes on with the constraints as declared
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def clear(self) -> None:
        """Empty the staging tables written since the last clear (a chunk stored straight into
        its tables wrote only the prompts')."""
        with connection.cursor() as cursor:
            if self.postgres and self.written:
                cursor.execute(f"TRUNCATE {', '.join(sorted(self.written))}")
            elif not self.postgres:
                for name in self.written:
                    cursor.execute(f"DELETE FROM {name}")
        self.written.clear()

    def store_prompts(self, staged: StagedRows) -> tuple[dict[str, int], int]:
        """The staged prompts' ids by content hash, and how many were new."""
        hashes, known = staged.prompt_hashes, self.imported_prompts
        if known is not None and known.isdisjoint(hashes):  # all new: no staging, no lookups
            ids = self._next_ids(Prompt, len(hashes))
            end = f"\t{self.project_id}\t{db_now()}\n"
            self._copy(Prompt._meta.db_table, _DIRECT_PROMPT_COLUMNS,
                       "".join([f"{i}\t{fields}{end}" for i, fields in zip(ids, staged.prompts, strict=True)]))
            known.update(hashes)
            return dict(zip(hashes, ids, strict=True)), len(ids)
        if known is not None:
            known.update(hashes)
        rows = "".join([f"{n}\t{fields}\n" for n, fields in enumerate(staged.prompts)]) if self.postgres else staged.prompts
        self._copy("import_prompt", ["n", "content_hash", "messages", "external_id", "metadata"], rows)
        sql = _INSERT_PROMPTS.format(messages=self._json("s.messages"), metadata=self._json("s.metadata"))
        new = dict(self._rows(sql, [self.project_id, db_now(), self.project_id]))
        if len(new) == len(hashes):
            return new, len(new)
        return dict(self._rows(_PROMPT_IDS, [self.project_id])), len(new)

    def store_responses(self, staged: StagedRows, prompt_ids: dict[str, int], fresh: bool) -> tuple[list[int], int]:
        """The staged responses' ids in staged order, and how many were new; ``prompt_ids``: their
        prompts' ids by content hash (stored before); ``fresh``: whether all those prompts are new."""
        keys = staged.response_keys
        if fresh and self.postgres:  # a new prompt's responses are new: no staging, no lookups
            ids = self._next_ids(Response, len(keys))
            end = f"\t{self.project_id}\t{{}}\t{db_now()}\n"
            rows = zip(ids, keys, staged.responses, strict=True)
            text = "".join([f"{i}\t{prompt_ids[k[0]]}\t{fields}{end}" for i, k, fields in rows])
            self._copy(Response._meta.db_table, _DIRECT_RESPONSE_COLUMNS, text)
            return ids, len(ids)
        columns = ["n", "prompt_hash", "content_hash", "model_name", "text", "length_chars"]
        rows = staged.responses
        if self.postgres:
            rows = "".join([f"{n}\t{k[0]}\t{fields}\n" for n, (k, fields) in enumerate(zip(keys, rows, strict=True))])
        self._copy("import_response", columns, rows)
        fence = " OFFSET 0" if self.postgres else ""
        sql = _INSERT_RESPONSES.format(empty=self._json("'{}'"), fence=fence)
        new = {(p, h, m): i for p, h, m, i in self._rows(sql, [self.project_id, db_now(), self.project_id])}
        if len(new) == len(keys):
            return [new[prompt_ids[p], h, m] for p, h, m in keys], len(new)
        ids = [0] * len(keys)
        for n, response_id in self._rows(_RESPONSE_IDS.format(fence=fence), [self.project_id]):
            ids[n] = response_id
        return ids, len(new)

    def store_comparisons(self, comparisons: list[tuple[str, int, list[int], float]], fresh: bool) -> int:
        """``comparisons``: distinct (response set hash, prompt id, response ids in presentation
        order, random key); the ones not stored yet are stored with their positions. How many
        were new. ``fresh``: all are new (each holds a new response) and none is looked up again
        (no labels), so they go straight into their table."""
        if fresh and self.postgres:
            ids = self._next_ids(Comparison, len(comparisons))
            end = f"\t{self.project_id}\t0.0\tf\t0\t0\tt\t{db_now()}\n"
            rows = list(zip(ids, comparisons, strict=True))
            text = "".join([f"{i}\t{p}\t{h}\t{key!r}{end}" for i, (h, p, _, key) in rows])
            self._copy(Comparison._meta.db_table, _DIRECT_COMPARISON_COLUMNS, text)
            new = {h: i for i, (h, _, _, _) in rows}
        else:
            rows = [(n, h, p, key) for n, (h, p, _, key) in enumerate(comparisons)]
            self._copy("import_comparison", ["n", "set_hash", "prompt_id", "random_key"], self._numeric(rows))
            new = dict(self._rows(_INSERT_COMPARISONS, [self.project_id, db_now(), self.project_id]))
        # Only a new comparison gets its positions: a stored one has them.
        positions = [(new[h], r, at) for h, _, order, _ in comparisons if h in new for at, r in enumerate(order)]
        if self.postgres:
            positions = "".join([f"{c}\t{r}\t{at}\n" for c, r, at in positions])
        self._copy(_POSITIONS, _POSITION_COLUMNS, positions)
        return len(new)

    def stored_orders(self) -> dict[str, tuple[int, list[int]]]:
        """Of the staged comparisons: (comparison id, response ids by position), by response set hash."""
        orders: dict[str, tuple[int, list[int]]] = {}
        for set_hash, comparison_id, *at in self._rows(_stored_orders_sql(self.k), [self.project_id]):
            orders[set_hash] = (comparison_id, [r for r in at if r is not None])
        return orders

    def source_judgments(self, source_id: int) -> dict[int, tuple[int, str, list | None, dict]]:
        """The label source's judgments on the staged comparisons: (id, winner, ranking, criteria) by comparison id."""
        found = {}
        rows = self._rows(_source_judgments_sql(), [source_id] * 4 + [self.project_id])
        for comparison_id, judgment_id, winner, ranking, criteria in rows:
            if judgment_id is not None:
                found[comparison_id] = (judgment_id, winner, _decoded(ranking), _decoded(criteria) or {})
        return found

    # --- plumbing ---------------------------------------------------------------------------

    def _json(self, expression: str) -> str:
        return f"CAST({expression} AS jsonb)" if self.postgres else expression

    def _numeric(self, rows: list[tuple]) -> str | list[tuple]:
        """Rows of numbers and hashes (nothing to escape) as ``_copy`` takes them."""
        return "".join(["\t".join(map(str, row)) + "\n" for row in rows]) if self.postgres else rows

    def _copy(self, table: str, columns: list[str], rows: str | list[tuple]) -> None:
        """Append ``rows`` (COPY text on PostgreSQL, tuples on SQLite) to ``table`` in one bulk
        statement (a staging table, or the positions')."""
        if self.writer and table not in _TABLES:  # rows for good: the writer stores them in turn
            self.writer.copy(table, columns, rows)
            return
        if table in _TABLES:
            self.written.add(table)
        self.settle()
        with connection.cursor() as cursor:
            if self.postgres:  # COPY's text format: a third of the CPU of csv's
                cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.BytesIO(rows.encode()))
            else:  # the driver's own cursor: Django's would rewrite the placeholders of every row
                placeholders = ", ".join("?" * len(columns))
                cursor.cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)

    def _next_ids(self, model, n: int) -> list[int]:
        """``n`` ids drawn from ``model``'s sequence, ascending, for rows COPYed with their ids."""
        rows = self.ids.rows if self.ids else self._rows  # the ids' own session, when there is one
        if model not in self.sequences:
            self.sequences[model] = rows("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])[0][0]
        return [i for (i,) in rows("SELECT nextval(%s) FROM generate_series(1, %s)", [self.sequences[model], n])]

    @staticmethod
    def _rows(sql: str, params: list) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def _decoded(value):
    """A JSON column read by raw SQL: text on SQLite (and with Django's psycopg2 setup), else decoded."""
    return json.loads(value) if isinstance(value, str) else value


"""PostgreSQL, a first import: one chunk's rows are COPYed by a writer thread while the importing
thread prepares the next chunk's, with the new rows' ids drawn on a second session.

Most of a first import's time is the server storing rows (the foreign-key checks and index
entries of each COPY); the rest is Python making the next COPY's text. Done in turn they add up;
here they overlap, on two cores: the importing thread hands each COPY to the writer and goes on
with the next chunk, whose ids it draws from the tables' sequences on its own autocommit session
(a sequence is outside transactions, so the import's own session, busy with the COPY, is not
needed). The rows still go through the import's transaction, in the order they were handed
over, so the foreign keys are checked as before and a failure rolls all of it back.

A session must not be used by two threads at once (psycopg2 lets one thread send a statement
while another is sending COPY data), so every other statement of the import waits for the
writer to finish first (``settle``), and an error of the writer is raised there, as a Django
database error.
"""

import io
import logging
import threading
from queue import Queue

from django.db import connection

log = logging.getLogger(__name__)

# COPYs queued at most: about one chunk's, so memory stays that of a chunk or two.
QUEUED_COPIES = 4


class CopyWriter:
    """A thread that runs the COPYs handed to it, in order, on the import's session."""

    def __init__(self):
        self.raw = connection.connection  # the import's transaction is on this session
        self.queue: Queue = Queue(maxsize=QUEUED_COPIES)
        self.error: BaseException | None = None
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="import-copy", daemon=True)
        self.thread.start()

    def copy(self, table: str, columns: list[str], text: str) -> None:
        """Queue ``text`` (COPY's text format) for ``table``; raises an earlier COPY's error."""
        self.raise_error()
        self.queue.put((f"COPY {table} ({', '.join(columns)}) FROM STDIN", text))

    def settle(self) -> None:
        """Wait until every queued COPY has run; raise the first error, if any."""
        self.queue.join()
        self.raise_error()

    def close(self) -> None:
        """Stop the thread, skipping what is still queued (after an error elsewhere the import
        rolls back anyway; after ``settle`` nothing is); no error raised."""
        self.closing = True
        self.queue.put(None)
        self.thread.join()

    def raise_error(self) -> None:
        if self.error is not None:
            with connection.wrap_database_errors:  # psycopg2's error as Django's (IntegrityError ...)
                raise self.error

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            try:
                if self.error is None and not self.closing:  # after an error the transaction is aborted
                    sql, text = item
                    with self.raw.cursor() as cursor:
                        cursor.copy_expert(sql, io.BytesIO(text.encode()), size=1 << 20)
            except BaseException as exc:  # raised in the importing thread by settle
                self.error = exc
            finally:
                self.queue.task_done()
        self.queue.task_done()


class SequenceIds:
    """A session of its own (autocommit) for drawing new ids from the tables' sequences."""

    def __init__(self, raw):
        self.raw = raw

    @classmethod
    def opened(cls) -> "SequenceIds | None":
        """On a new session; None where none can be opened (the server at max_connections): the
        import then runs without the writer thread, as on any project that has prompts."""
        try:
            raw = connection.get_new_connection(connection.get_connection_params())
        except connection.Database.Error as exc:  # the driver's own error, not Django's
            log.warning("import without its writer thread: no second database session (%s)", exc)
            return None
        raw.autocommit = True
        return cls(raw)

    def rows(self, sql: str, params: list) -> list[tuple]:
        with self.raw.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def close(self) -> None:
        self.raw.close()

"""Importing prompts and responses (and optionally their labels) from JSONL files.

An import is one transaction: the file is streamed and stored in batches, and the first malformed
line raises ``ImportFailed`` naming it, which rolls back everything. Prompts, responses and
comparisons are de-duplicated by content hash, so re-importing a file adds nothing. A response is
identified by its prompt, text and model: two models giving the same text each get their own
response, so every judgment is credited to the model that wrote what was judged.

A new comparison's presentation order is a shuffle seeded by its content, so it does not follow
the input (where a labelled row lists the chosen response first). A comparison keeps the order
it was stored with, and an imported label is turned into letters against that stored order: the
same pair labelled by several sources, in either direction, lands on the same positions.
"""

import hashlib
import json
import math
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field, replace
from itertools import islice
from queue import Full, Queue

from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from annotation_site.lone_surrogates import lone_surrogate_path, may_hold_lone_surrogate
from labeling.errors import Conflict, ImportFailed, InvalidInput
from labeling.imports.formats import PARSERS, ImportRecord, RecordError, RecordSkipped, contains_nul
from labeling.imports.groups import Group, Hashed, comparison_groups, hashed, set_hash
from labeling.imports.labels import store_labels
from labeling.imports.memory import fewer_collections
from labeling.imports.rows import StagedRows, staged_rows
from labeling.imports.staging import ImportStaging
from labeling.models import IMPORT_USER_PREFIX, ComparisonKind, DataImport, ImportStatus, Project
from labeling.rankings import OVERALL
from labeling.stats.services import project_stats_changed

__all__ = ["import_file", "import_options_check", "import_records"]
_set_hash = set_hash  # the comparison identity, for tests that store comparisons as an import would

# Lines per chunk: each is staged and stored in a handful of set-based statements, so memory
# stays flat (a chunk's rows, never the file's) while the per-statement cost is spread thin; the
# next chunk is parsed while this one is stored, so smaller chunks start overlapping sooner.
# (100k lines, CPU s of the importing process / its PostgreSQL backend, 2 interleaved runs each:
# 1,000 lines 4.45 / 9.13, 2,000 4.21 / 8.49; 5,000 cost more of both and 40 MB more memory.)
BATCH_LINES = 2000
# The first chunks are smaller (250 lines, then twice as many each time up to BATCH_LINES): the
# first is read with nothing to overlap, and each is stored in about the time the next, twice
# its size, takes to read, so the two threads are busy together from the start.
FIRST_BATCH_LINES = 250
# A pairwise line of N responses makes every pair of them, N(N-1)/2 comparisons: 32 make 496.
# More models per prompt go on several lines (the prompt is shared; each line pairs its own).
MAX_PAIRWISE_RESPONSES_PER_LINE = 32
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE


@dataclass
class ImportCounts:
    lines: int = 0
    prompts: int = 0
    responses: int = 0
    comparisons: int = 0
    judgments: int = 0
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "skipped"}


def import_file(
    *,
    project: Project,
    lines: Iterable[bytes | str],
    format: str,
    file_name: str = "",
    with_labels: bool = False,
    label_source: str = "",
    user=None,
    on_progress: Callable[[int], None] | None = None,
    on_lines: Callable[[int], None] | None = None,
    claimed: DataImport | None = None,
) -> DataImport:
    """Import JSONL ``lines`` into ``project``; all or nothing.

    After each stored chunk, in the caller's thread: ``on_progress(n_bytes)`` with the bytes it
    read (the CLI's progress bar), ``on_lines(line)`` with the number of its last line (a queued
    import's progress). ``lines`` is read in a second thread (see ``_read_ahead``). ``claimed``: a
    queued import's row, running on this worker (``imports.queued``), finished in the import's
    transaction instead of a new row.
    """
    import_options_check(format, with_labels)
    digest = hashlib.sha256()
    counts = ImportCounts()
    read = [0]  # bytes read so far
    records = _parse(lines, PARSERS[format], with_labels, digest, counts, read)
    return _store_all(
        project=project, chunks=_read_ahead(_chunks(records, read, project, with_labels, _postgres())), counts=counts, format=format,
        file_name=file_name, label_source=(label_source or format) if with_labels else "", user=user, digest=digest,
        on_progress=on_progress, on_lines=on_lines, claimed=claimed,
    )


def import_options_check(format: str, with_labels: bool) -> None:
    """Refuse a format and labels option that cannot go together (before a queued upload is stored)."""
    if format not in PARSERS:
        raise InvalidInput(f"unknown format '{format}' (choose {', '.join(PARSERS)})")
    if with_labels and format == "candidates":
        raise InvalidInput("the candidates format carries no labels; drop --with-labels")


def import_records(*, project: Project, records: Iterable[ImportRecord], source_name: str, user=None) -> DataImport:
    """Store already-parsed records (e.g. generated responses) exactly as a file import would. A
    model may write a NUL, which PostgreSQL cannot store (a file holding one is refused, naming the
    line): in a response it is kept visible as U+FFFD instead of failing the run that sampled it."""
    counts = ImportCounts()
    storable = (_without_nul(record) for record in records)
    return _store_all(
        project=project, chunks=_chunks(_numbered(storable, counts), [0], project, False, _postgres()), counts=counts, format=source_name[:16],
        file_name=source_name, label_source="", user=user, digest=hashlib.sha256(),
    )


def _without_nul(record: ImportRecord) -> ImportRecord:
    if not any("\x00" in text for text, _ in record.responses):
        return record
    return replace(record, responses=[(text.replace("\x00", "\ufffd"), model) for text, model in record.responses])


def _store_all(*, project, chunks, counts, format, file_name, label_source, user, digest, on_progress=None,
               on_lines=None, claimed=None) -> DataImport:
    started = timezone.now()
    try:
        with fewer_collections(), transaction.atomic():
            source = _label_source_user(label_source) if label_source else None
            staging, stored_bytes = ImportStaging(project), 0
            # on an error, stops the read-ahead and writer threads now, not when collected
            with closing(chunks), closing(staging):
                for lines, staged, read_bytes in chunks:
                    _store_batch(project, staging, lines, staged, source, counts)
                    if on_progress:
                        on_progress(read_bytes - stored_bytes)
                    if on_lines:
                        on_lines(lines[-1].line)
                    stored_bytes = read_bytes
                staging.drop()
            project_stats_changed(project.pk)  # new labels, or new models and responses to rate
            if claimed is not None:
                return _finish_claimed(claimed, counts, digest)
            done = DataImport.objects.create(
                project=project, format=format, file_name=file_name[:255], file_sha256=digest.hexdigest(),
                with_labels=bool(label_source), counts=counts.as_dict(), skipped=counts.skipped, created_by=user,
                lines_read=counts.lines, finished_at=timezone.now(),
            )
            # an inline import's row is written at its end: created_at says when it started (it
            # read a moment after finished_at, so durations came out negative)
            DataImport.objects.filter(pk=done.pk).update(created_at=started)
            done.created_at = started
            return done
    except (IntegrityError, OperationalError) as exc:
        # A concurrent import into the same project stored the same rows, or the two waited on
        # each other's (PostgreSQL then aborts one: deadlock_detected).
        if isinstance(exc, OperationalError) and getattr(exc.__cause__, "pgcode", None) != DEADLOCK_DETECTED:
            raise
        raise InvalidInput(f"import collided with a concurrent write; nothing stored, retry ({exc})") from exc


def _finish_claimed(row: DataImport, counts: ImportCounts, digest) -> DataImport:
    """Mark the claimed row done in the import's own transaction: its rows and its status commit
    together. If the reaper failed it meanwhile (its worker taken for dead), nothing is stored."""
    fields = {
        "status": ImportStatus.DONE, "counts": counts.as_dict(), "skipped": counts.skipped,
        "lines_read": counts.lines, "file_sha256": digest.hexdigest(), "finished_at": timezone.now(),
    }
    if not DataImport.objects.filter(pk=row.pk, status=ImportStatus.RUNNING).update(**fields):
        raise Conflict(f"import {row.pk} was marked failed while it ran; nothing was stored")
    for name, value in fields.items():
        setattr(row, name, value)
    return row


def _numbered(records: Iterable[ImportRecord], counts: ImportCounts) -> Iterator[tuple[int, ImportRecord]]:
    for number, record in enumerate(records, start=1):
        counts.lines = number
        yield number, record


Chunk = tuple[list[Hashed], StagedRows, int]


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _chunks(records: Iterator[tuple[int, ImportRecord]], read: list[int], project, labelled: bool, postgres: bool) -> Iterator[Chunk]:
    """Chunks of hashed and checked lines (``FIRST_BATCH_LINES``, growing to ``BATCH_LINES``), each
    with its distinct prompts and responses as the bulk statements take them and the bytes read
    up to its end."""
    size = min(FIRST_BATCH_LINES, BATCH_LINES)
    while batch := list(islice(records, size)):
        lines = [hashed(line, record, project) for line, record in batch]
        for h in lines:
            _check_line(project, h, labelled)
        yield lines, staged_rows(lines, postgres), read[0]
        size = min(size * 2, BATCH_LINES)


def _read_ahead(chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """``chunks`` made in a second thread, one chunk ahead of the caller: reading, parsing and
    hashing are Python's work, storing is mostly the database's, and the drivers release the GIL
    while the database works, so the two overlap. The thread touches no database; its errors
    (a malformed line) are raised here, after the chunks before them, and a caller that stops
    early stops it."""
    queue: Queue = Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if not _offer(queue, chunk, stop):
                    return
            _offer(queue, None, stop)
        except BaseException as exc:  # handed to the caller's thread, which raises it
            _offer(queue, exc, stop)

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _offer(queue: Queue, item, stop: threading.Event) -> bool:
    """Put ``item`` unless the consumer has stopped; whether it was put."""
    while not stop.is_set():
        try:
            queue.put(item, timeout=0.1)
            return True
        except Full:
            continue
    return False


def _parse(lines, parser, with_labels, digest, counts, read: list[int]) -> Iterator[tuple[int, ImportRecord]]:
    for number, raw in enumerate(lines, start=1):
        data = raw.encode() if isinstance(raw, str) else raw
        digest.update(data)
        counts.lines = number
        read[0] += len(data)
        if not data.strip():
            continue
        try:
            yield number, parser(_decoded(data), with_labels)
        except RecordSkipped as skip:
            counts.skipped.append({"line": number, "reason": str(skip)})
        except (RecordError, UnicodeDecodeError) as exc:
            raise ImportFailed(number, str(exc)) from None


def _decoded(data: bytes) -> dict:
    """One line's JSON object, holding only what the database and every encoder can store."""
    try:
        obj = json.loads(data, parse_constant=_no_constant, parse_float=_finite_float)
        if not isinstance(obj, dict):
            raise RecordError("expected a JSON object")
        # the scans of the object only where the bytes say they may find something
        if b"\\u0000" in data and contains_nul(obj):
            raise RecordError("a string holds a NUL character (\\u0000), which the database cannot store")
        if may_hold_lone_surrogate(data) and (path := lone_surrogate_path(obj)) is not None:
            raise RecordError(f"'{path}' holds a lone surrogate (a \\uD800-\\uDFFF escape that is not half of a pair), which is not text")
        return obj
    except json.JSONDecodeError as exc:
        raise RecordError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except (RecordError, UnicodeDecodeError):
        raise
    except RecursionError:  # json (and the NUL scan) recurse per level: a 100,000-deep array was a 500
        raise RecordError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python converts (4,300 digits) was a 500
        raise RecordError(f"invalid JSON: {str(exc).split(';')[0]}") from None


def _no_constant(name: str):
    """json.loads reads NaN, Infinity and -Infinity, which are not JSON: the database refused
    them as invalid JSON, reported as a collision with a concurrent write."""
    raise RecordError(f"invalid JSON: {name} is not a JSON value (write null or a string)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999: json.loads makes it Infinity, which JSON cannot store
        raise RecordError(f"invalid JSON: the number {text} is beyond a float's range (it would be Infinity)")
    return value


def _label_source_user(name: str):
    """Imported labels are judgments by an inactive user named after their source."""
    user, created = get_user_model().objects.get_or_create(username=f"{IMPORT_USER_PREFIX}{name}"[:150], defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _check_line(project, h: Hashed, labelled: bool) -> None:
    n = len(h.record.responses)
    if project.task_type == ComparisonKind.PAIRWISE and n > MAX_PAIRWISE_RESPONSES_PER_LINE:
        raise ImportFailed(
            h.line,
            f"{n} responses make {n * (n - 1) // 2} pairwise comparisons; a line may hold at most "
            f"{MAX_PAIRWISE_RESPONSES_PER_LINE} responses (split the prompt's responses over several lines)",
        )
    criterion = h.record.criterion
    if labelled and criterion and criterion != OVERALL and criterion not in project.criteria:
        allowed = ", ".join([OVERALL, *project.criteria])
        raise ImportFailed(h.line, f"criterion '{criterion}' is not one of this project's ({allowed})")


def _store_batch(project, staging: ImportStaging, lines: list[Hashed], staged: StagedRows, source, counts: ImportCounts) -> None:
    staging.clear()
    prompt_ids, added = staging.store_prompts(staged)
    counts.prompts += added
    fresh = added == len(staged.prompt_hashes)  # then every response and comparison of the chunk is new too
    ids, added = staging.store_responses(staged, prompt_ids, fresh)
    counts.responses += added
    response_ids = dict(zip(staged.response_keys, ids, strict=True))  # by (prompt hash, text hash, model name)
    by_hash = _distinct(comparison_groups(project, lines, prompt_ids, response_ids))
    rng = random.Random()  # serving order's tie-breaker
    rows = [(h, g.prompt_id, g.response_ids, rng.random()) for h, g in by_hash.items()]
    counts.comparisons += staging.store_comparisons(rows, fresh and source is None)
    if source is not None:
        labels: dict[tuple[str, str], int] = {}  # a source's first label for a comparison is the one kept
        for h, group in by_hash.items():
            for g in [group, *group.repeats]:
                if g.chosen is not None:
                    labels.setdefault((h, g.criterion), g.chosen)
        if labels:
            counts.judgments += store_labels(project, staging, source, labels)


def _distinct(groups: list[Group]) -> dict[str, Group]:
    """The groups by response set hash, the first of each kept (later ones in its ``repeats``)."""
    by_hash: dict[str, Group] = {}
    for group in groups:
        first = by_hash.setdefault(set_hash(group.response_ids), group)
        if first is not group:
            first.repeats.append(group)
    return by_hash

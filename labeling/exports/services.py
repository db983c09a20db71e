"""Reading a project's judgments for export in bounded memory, and writing them as dataset files.

One query streams the judgments (``values_list().iterator()``, ordered by comparison); consecutive
rows are grouped into comparisons, and for each batch of ``BATCH_COMPARISONS`` comparisons two more
queries fetch their prompts and responses (a third their flags, for ``raw``). Memory holds one batch
whatever the project's size, and no model instance is built. What the rows become is decided in ``labeling/exports/rows.py``.

Nothing here takes a lock or a transaction: on PostgreSQL the judgment cursor sees one consistent
state; judgments added during a long export may or may not be included.
"""

import functools
import hashlib
import hmac
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import chain, groupby
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast

from labeling.exports.options import (
    ExportError,
    ExportFilters,
    ExportOptions,
    ExportStats,
    check_file_type,
)
from labeling.exports.preferences import (
    JudgedComparison,
    JudgmentRow,
    comparison_passes,
    pair_verdicts,
)
from labeling.exports.records import SFTRecord, sft_row
from labeling.exports.rows import annotator_pseudonym, comparison_rows
from labeling.exports.writers import Sink, make_writer
from labeling.models import (
    Comparison,
    ComparisonResponse,
    Demonstration,
    Flag,
    Judge,
    Judgment,
    Project,
    Prompt,
    ReviewState,
)
from labeling.rankings import OVERALL

MESSAGE_FORMATS = ("trl", "kto")  # the formats with a standard (strings) and a conversational form
CHUNK_ROWS = 2000  # rows per database fetch
BATCH_COMPARISONS = 2000  # comparisons whose prompts and responses are fetched together
STREAM_BYTES = 64 * 1024  # size of the chunks handed to a streamed HTTP response

# ``JudgmentRow``'s fields, in its order; the details only for ``raw``.
_JUDGMENT = ("id", "annotator_id", "winner", "strength", "ranking")
_DETAILS = ("created_at", "criteria_json", "rationale", "time_spent_ms")


def judge_user_ids(project: Project) -> list[int]:
    """The users the project's judges' judgments are stored under."""
    return list(Judge.objects.filter(project=project).values_list("user_id", flat=True))


def judgment_filter(project: Project, filters: ExportFilters, labels: str = "human") -> QuerySet[Judgment]:
    """The project's judgments after the row filters (the comparison filters come later, in Python):
    never one rejected in review; people's, judges' or both (``labels``). The judges are a
    subquery, not a read of their ids first: the default export keeps its round trips."""
    qs = Judgment.objects.filter(project=project).exclude(review=ReviewState.REJECTED)
    judges = Judge.objects.filter(project=project).values("user_id")
    if labels == "model":
        qs = qs.filter(annotator_id__in=judges)
    elif labels == "human":
        qs = qs.exclude(annotator_id__in=judges)
    if filters.exclude_ties:  # a ranking with ties stays: its tied pairs are dropped later (JudgmentRow.tied_pairs)
        qs = qs.exclude(winner="tie")
    if filters.exclude_gold:
        qs = qs.filter(comparison__is_gold=False)
    if filters.exclude_flagged:
        qs = qs.exclude(Exists(Flag.objects.filter(comparison_id=OuterRef("comparison_id"))))
    qs = _by_annotator_and_date(qs, filters)
    if filters.models:
        other_model = ComparisonResponse.objects.filter(comparison_id=OuterRef("comparison_id")).exclude(
            response__model_name__in=filters.models
        )
        qs = qs.exclude(Exists(other_model))
    return qs


def _by_annotator_and_date(qs: QuerySet, filters: ExportFilters) -> QuerySet:
    """The filters that judgments and demonstrations share: who made them and when."""
    if filters.exclude_annotators:
        qs = qs.exclude(annotator_id__in=filters.exclude_annotators)
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    return qs


def judged_comparisons(
    *, project: Project, filters: ExportFilters, raw: bool = False, details: bool = False, labels: str = "human"
) -> Iterator[JudgedComparison]:
    """The project's judged comparisons in id order, each with its filtered judgments.

    ``raw`` reads what only the raw format needs (time, criteria, rationale, time spent, flags)
    and leaves out what it does not (prompt messages and response texts come back empty).
    ``details`` reads each judgment's time, criteria, rationale and time spent, texts included.
    ``labels``: whose judgments (``ExportOptions.labels``); other than human, each judgment's
    ``source`` is set.
    """
    details = details or raw
    columns = ("comparison_id", *_JUDGMENT, *(_DETAILS if details else ()), "ranking_ties_json")
    # ties read as text, as criteria are: a JSON column's converter would run on every row,
    # where only a ranking's with ties has anything to decode (_ties)
    qs = judgment_filter(project, filters, labels).order_by("comparison_id", "id")
    qs = qs.annotate(ranking_ties_json=Cast("ranking_ties", TextField()))
    if details:
        qs = qs.annotate(criteria_json=Cast("criteria", TextField()))
    rows = qs.values_list(*columns)
    groups = ((cid, list(group)) for cid, group in groupby(rows.iterator(chunk_size=CHUNK_ROWS), key=itemgetter(0)))
    judges = set(judge_user_ids(project)) if labels != "human" else None
    for batch in _batches(groups):
        yield from _assemble(batch, raw, judges, tied_pairs=not filters.exclude_ties)


def _ties(text: str | None) -> list[list[str]] | None:
    """A judgment's ranking_ties read as text: decoded where it holds any."""
    return json.loads(text) if text else None


def _batches(groups: Iterator[tuple[int, list]]) -> Iterator[list[tuple[int, list]]]:
    """Runs of at most ``BATCH_COMPARISONS`` comparisons whose ids span at most ``4 * BATCH_COMPARISONS``.

    Each batch's prompts and responses are then read by id range: a long ``IN (...)`` list costs
    Django milliseconds per query to build, and the span bound keeps the range from reading much
    that is not in the batch.
    """
    batch: list[tuple[int, list]] = []
    for cid, rows in groups:
        if batch and (len(batch) >= BATCH_COMPARISONS or cid - batch[0][0] >= 4 * BATCH_COMPARISONS):
            yield batch
            batch = []
        batch.append((cid, rows))
    if batch:
        yield batch


def _assemble(
    batch: list[tuple[int, list]], raw: bool, judges: set[int] | None, tied_pairs: bool = True,
) -> Iterator[JudgedComparison]:
    lo, hi = batch[0][0], batch[-1][0]
    wanted = {cid for cid, _ in batch}
    heads = {cid: head for cid, *head in _comparison_heads(lo, hi, raw) if cid in wanted}
    responses = defaultdict(list)
    for cid, rid, model, *text in _positions(lo, hi, raw):
        if cid in wanted:
            responses[cid].append((rid, text[0] if text else "", model))
    flags = _flags(lo, hi) if raw else {}
    for cid, rows in batch:
        if cid not in heads:  # deleted since its judgments were read
            continue
        judgments = [
            JudgmentRow(*row[1:-1], flags=flags.get((cid, row[2]), ()), ranking_ties=_ties(row[-1]), tied_pairs=tied_pairs)
            for row in rows
        ]
        if judges is not None:  # labels other than human: say whose each judgment is
            for judgment in judgments:
                judgment.source = "model" if judgment.annotator_id in judges else "human"
        prompt_id, prompt_key, is_gold, *messages = heads[cid]
        yield JudgedComparison(cid, prompt_id, prompt_key, messages[0] if messages else [], responses[cid], is_gold, judgments)


def _comparison_heads(lo: int, hi: int, raw: bool) -> QuerySet:
    # By id range only: with a project condition too, SQLite walks the project's whole index.
    columns = ("id", "prompt_id", "prompt__content_hash", "is_gold", *(() if raw else ("prompt__messages",)))
    return Comparison.objects.filter(id__gte=lo, id__lte=hi).values_list(*columns)


def _positions(lo: int, hi: int, raw: bool) -> QuerySet:
    columns = ("comparison_id", "response_id", "response__model_name", *(() if raw else ("response__text",)))
    qs = ComparisonResponse.objects.filter(comparison_id__gte=lo, comparison_id__lte=hi)
    return qs.order_by("comparison_id", "position").values_list(*columns)


def _flags(lo: int, hi: int) -> dict[tuple[int, int], tuple[str, ...]]:
    """Flag reasons per (comparison, annotator): a judgment's row shows what its annotator flagged."""
    out: dict[tuple[int, int], tuple[str, ...]] = {}
    rows = Flag.objects.filter(comparison_id__gte=lo, comparison_id__lte=hi).order_by("reason")
    for cid, uid, reason in rows.values_list("comparison_id", "annotator_id", "reason"):
        out[(cid, uid)] = (*out.get((cid, uid), ()), reason)
    return out


def _demonstration_rows(project: Project, filters: ExportFilters, labels: str) -> Iterator[tuple[str, dict]]:
    """SFT rows from demonstrations; only the annotator and date filters apply to them. People
    write demonstrations: none for ``labels`` model, marked human for all."""
    if labels == "model":
        return
    qs = _by_annotator_and_date(Demonstration.objects.filter(project=project, replaced_by=None), filters)
    rows = qs.order_by("id").values_list("prompt__content_hash", "prompt__messages", "text")
    source = {"label_source": "human"} if labels != "human" else {}
    for key, messages, text in rows.iterator(chunk_size=CHUNK_ROWS):
        yield key, sft_row(SFTRecord(prompt=messages, completion=text) | source)


def pseudonym_salt() -> bytes:
    """Derived from SECRET_KEY, so pseudonyms are stable across exports of one deployment and
    cannot be recomputed from user ids without the key."""
    return hmac.new(settings.SECRET_KEY.encode(), b"labeling.export.annotator", hashlib.sha256).digest()


def has_multi_turn_prompts(project: Project) -> bool:
    """Whether any prompt of ``project`` is more than one user message (a conversation, or a
    system message): such a prompt has no plain-text form."""
    longer = Q(messages__1__isnull=False) | ~Q(messages__0__role="user")
    return Prompt.objects.filter(project=project).filter(longer).exists()


def export_representation(project: Project, options: ExportOptions) -> ExportOptions:
    """``options`` with ``conversational`` decided for the whole file, before the first row.

    Unset (None): conversational (message lists) when any of the project's prompts has more
    than one turn, else standard (strings, which any tokenizer can read, chat template or
    not). Standard asked for explicitly on such a project is refused: its longer prompts
    would need a template, and one file holds one representation.
    """
    if options.format not in MESSAGE_FORMATS:  # sft rows are message lists, raw/hh-rlhf text: no choice
        return replace(options, conversational=None) if options.conversational is not None else options
    if options.conversational is True:
        return options
    multi_turn = has_multi_turn_prompts(project)
    if options.conversational is None:
        return replace(options, conversational=multi_turn)
    if multi_turn:
        raise ExportError(
            f"conversational: project '{project.slug}' has prompts of more than one turn (or with a system "
            "message), which have no plain-text form; export them conversational (message lists), or as hh-rlhf"
        )
    return options


def criteria_check(project: Project, criteria: tuple[str, ...] | list[str]) -> None:
    """Each criterion an export (or a run) asks for is one of the project's, or ``overall`` (the
    main verdict); ``ExportError`` naming the first that is not."""
    known = [OVERALL, *project.criteria]
    for name in criteria:
        if name not in known:
            raise ExportError(f"criteria: project '{project.slug}' has no criterion '{name}' (choose {', '.join(known)})")


def export_rows(
    *, project: Project, options: ExportOptions, filters: ExportFilters, stats: ExportStats | None = None
) -> Iterator[tuple[str, dict]]:
    """``(prompt key, row)`` for every row of the export, in comparison order (demonstrations first
    for ``sft``). The prompt key is what the train/validation split hashes. ``stats`` is filled in."""
    stats = stats if stats is not None else ExportStats()
    criteria_check(project, options.criteria)
    options = export_representation(project, options)
    if options.format == "sft":
        for key, row in _demonstration_rows(project, filters, options.labels):
            stats.rows += 1
            yield key, row
        if not options.include_winners:
            return
    salt, seen = pseudonym_salt(), set()
    pseudonym = functools.cache(lambda user_id: annotator_pseudonym(user_id, salt))
    scale = list(project.strength_scale or [])
    posteriors = unit_posteriors(project, filters, options.pairs, options.labels) if options.aggregation == "dawid-skene" else None
    comparisons = judged_comparisons(
        project=project, filters=filters, raw=options.format == "raw", details=bool(options.criteria),
        labels=options.labels,
    )
    for comparison in comparisons:
        if not comparison_passes(comparison, filters, options.pairs):
            stats.filtered_out += 1
            continue
        stats.comparisons += 1
        rows = comparison_rows(comparison, options, stats, pseudonym=pseudonym, scale=scale, seen=seen, posteriors=posteriors)
        for row in rows:
            stats.rows += 1
            yield comparison.prompt_key, row


def unit_posteriors(project: Project, filters: ExportFilters, pairs: str, labels: str = "human"):
    """The Dawid–Skene fit (label_model.UnitPosteriors) over every judgment the export reads (the
    row filters applied), one pass before the rows are written; None when there is no judgment.
    Memory: a few ints per judgment and position pair. numpy loads here only: other exports
    stay without it (about 10 MB of peak memory)."""
    from labeling.exports.label_model import fit_unit_posteriors
    rows = judgment_filter(project, filters, labels).values_list("comparison_id", *_JUDGMENT, "ranking_ties")
    rows = rows.iterator(chunk_size=CHUNK_ROWS)
    verdicts = (
        (row[0], i, j, row[2], value)
        for row in rows
        for (i, j), value in pair_verdicts(
            JudgmentRow(*row[1:-1], ranking_ties=row[-1], tied_pairs=not filters.exclude_ties), pairs
        ).items()
    )
    try:
        return fit_unit_posteriors(verdicts)
    except ValueError:
        return None


def export_stream(
    *,
    project: Project,
    options: ExportOptions,
    filters: ExportFilters,
    file_type: str,
    stats: ExportStats | None = None,
) -> Iterator[bytes]:
    """The export file as chunks of about ``STREAM_BYTES``, for a streamed response.

    Options are checked and the first chunk made now, so a bad request or a failing query is an
    error response rather than a 200 cut short.
    """
    check_file_type(options, file_type)
    options = export_representation(project, options)
    chunks = _stream(project, options, filters, file_type, stats)
    return chain([next(chunks)], chunks)


def export_count(*, project: Project, options: ExportOptions, filters: ExportFilters, file_type: str) -> ExportStats:
    """What the export would write, counted without writing it: ``export_rows`` yields each row the
    writer writes once (a line of JSON Lines or CSV, a record of Parquet), so ``rows`` is exact for
    every file type, without the JSON encoding and the transfer of the file itself."""
    check_file_type(options, file_type)
    stats = ExportStats()
    for _ in export_rows(project=project, options=options, filters=filters, stats=stats):
        pass
    return stats


def _stream(project, options, filters, file_type, stats) -> Iterator[bytes]:
    sink = Sink()
    writer = make_writer(file_type, sink, options)
    try:
        for _, row in export_rows(project=project, options=options, filters=filters, stats=stats):
            writer.write(row)
            if sink.buffered >= STREAM_BYTES:
                yield sink.drain()
    finally:  # also when the client goes away mid-stream
        writer.close()
    yield sink.drain()


@dataclass(frozen=True)
class ExportFile:
    path: Path
    sha256: str
    size: int
    stats: ExportStats


def export_to_file(
    *, project: Project, options: ExportOptions, filters: ExportFilters, file_type: str, path: str | Path
) -> ExportFile:
    """Write the export to ``path``: a temporary file beside it, renamed when complete, so a reader
    never sees half a file."""
    check_file_type(options, file_type)
    options = export_representation(project, options)
    path, stats = Path(path), ExportStats()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            sink = Sink(f)
            writer = make_writer(file_type, sink, options)
            for _, row in export_rows(project=project, options=options, filters=filters, stats=stats):
                writer.write(row)
            writer.close()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ExportFile(path, sink.sha256.hexdigest(), sink.size, stats)

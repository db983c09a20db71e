"""Importing prompts and responses (and optionally their labels) from JSONL files.

An import is one transaction: the file is streamed and stored in batches, and the first malformed
line raises ``ImportFailed`` naming it, which rolls back everything. Prompts, responses and
comparisons are de-duplicated by content hash, so re-importing a file adds nothing.
"""

import hashlib
import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, islice

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from labeling.errors import ImportFailed, InvalidInput
from labeling.formats import (
    PARSERS,
    ImportRecord,
    RecordError,
    RecordSkipped,
    messages_hash,
    text_hash,
)
from labeling.models import (
    Comparison,
    ComparisonResponse,
    DataImport,
    Judgment,
    Project,
    Prompt,
    Response,
    TaskType,
)

BATCH_LINES = 1000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


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
) -> DataImport:
    """Import JSONL ``lines`` into ``project``; all or nothing.

    ``on_progress(n_bytes)`` is called after each line (the CLI's progress bar).
    """
    if format not in PARSERS:
        raise InvalidInput(f"unknown format '{format}' (choose {', '.join(PARSERS)})")
    if with_labels and format == "candidates":
        raise InvalidInput("the candidates format carries no labels; drop --with-labels")
    digest = hashlib.sha256()
    counts = ImportCounts()
    try:
        with transaction.atomic():
            source = _label_source_user(label_source or format) if with_labels else None
            records = _parse(lines, PARSERS[format], with_labels, digest, counts, on_progress)
            while batch := list(islice(records, BATCH_LINES)):
                _store_batch(project, batch, source, counts)
            return DataImport.objects.create(
                project=project, format=format, file_name=file_name[:255], file_sha256=digest.hexdigest(),
                with_labels=with_labels, counts=counts.as_dict(), skipped=counts.skipped, created_by=user,
            )
    except IntegrityError as exc:  # a concurrent import into the same project stored the same rows
        raise InvalidInput(f"import collided with a concurrent write; nothing stored, retry ({exc})") from exc


def _parse(lines, parser, with_labels, digest, counts, on_progress) -> Iterator[tuple[int, ImportRecord]]:
    for number, raw in enumerate(lines, start=1):
        data = raw.encode() if isinstance(raw, str) else raw
        digest.update(data)
        counts.lines = number
        if on_progress:
            on_progress(len(data))
        if not data.strip():
            continue
        try:
            obj = json.loads(data)
            if not isinstance(obj, dict):
                raise RecordError("expected a JSON object")
            yield number, parser(obj, with_labels)
        except RecordSkipped as skip:
            counts.skipped.append({"line": number, "reason": str(skip)})
        except (RecordError, UnicodeDecodeError) as exc:
            raise ImportFailed(number, str(exc)) from None
        except json.JSONDecodeError as exc:
            raise ImportFailed(number, f"invalid JSON ({exc.msg} at column {exc.colno})") from None


def _label_source_user(name: str):
    """Imported labels are judgments by an inactive user named after their source."""
    user, created = get_user_model().objects.get_or_create(username=f"import:{name}"[:150], defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _store_batch(project, batch, source, counts: ImportCounts) -> None:
    prompt_ids = _store_prompts(project, [rec for _, rec in batch], counts)
    response_ids = _store_responses(project, batch, prompt_ids, counts)
    groups = _comparison_groups(project, batch, prompt_ids, response_ids)
    _store_comparisons(project, groups, source, counts)


def _store_prompts(project, records: list[ImportRecord], counts) -> dict[str, int]:
    wanted = {messages_hash(rec.messages): rec for rec in records}
    ids = dict(Prompt.objects.filter(project=project, content_hash__in=wanted).values_list("content_hash", "id"))
    new = [
        Prompt(project=project, messages=rec.messages, content_hash=h, external_id=rec.external_id[:200], metadata=rec.metadata)
        for h, rec in wanted.items()
        if h not in ids
    ]
    for prompt in Prompt.objects.bulk_create(new):
        ids[prompt.content_hash] = prompt.id
    counts.prompts += len(new)
    return ids


def _store_responses(project, batch, prompt_ids, counts) -> dict[tuple[int, str], int]:
    wanted: dict[tuple[int, str], tuple[str, str]] = {}
    for _, rec in batch:
        prompt_id = prompt_ids[messages_hash(rec.messages)]
        for text, model in rec.responses:
            wanted.setdefault((prompt_id, text_hash(text)), (text, model))
    existing = Response.objects.filter(
        prompt_id__in={p for p, _ in wanted}, content_hash__in={h for _, h in wanted}
    ).values_list("prompt_id", "content_hash", "id")
    ids = {(p, h): i for p, h, i in existing if (p, h) in wanted}
    new = [
        Response(project=project, prompt_id=p, text=text, model_name=model[:200], content_hash=h, length_chars=len(text))
        for (p, h), (text, model) in wanted.items()
        if (p, h) not in ids
    ]
    for response in Response.objects.bulk_create(new):
        ids[(response.prompt_id, response.content_hash)] = response.id
    counts.responses += len(new)
    return ids


@dataclass
class _Group:
    prompt_id: int
    response_ids: list[int]  # in presented order
    winner: str = ""  # position letter of the labelled winner
    line: int = 0


def _comparison_groups(project, batch, prompt_ids, response_ids) -> list[_Group]:
    groups = []
    for line, rec in batch:
        prompt_id = prompt_ids[messages_hash(rec.messages)]
        ids = [response_ids[(prompt_id, text_hash(text))] for text, _ in rec.responses]
        for members in _response_sets(project, ids):
            order = list(members)
            random.Random(_set_hash(order)).shuffle(order)  # seeded: the same file gives the same order
            winner = ""
            if rec.preferred is not None and ids[rec.preferred] in order:
                winner = LETTERS[order.index(ids[rec.preferred])]
            groups.append(_Group(prompt_id, order, winner, line))
    return groups


def _response_sets(project, ids: list[int]) -> list[tuple[int, ...]]:
    """Pairwise: every pair. Ranking: groups of K after a seeded shuffle, the last topped up."""
    if project.task_type == TaskType.PAIRWISE:
        return list(combinations(ids, 2))
    k = project.responses_per_comparison
    if len(ids) <= k:
        return [tuple(ids)]
    shuffled = list(ids)
    random.Random(_set_hash(ids)).shuffle(shuffled)
    sets = [tuple(shuffled[i : i + k]) for i in range(0, len(shuffled), k)]
    if len(sets[-1]) < k:
        sets[-1] = tuple(shuffled[-k:])
    return sets


def _set_hash(response_ids) -> str:
    return hashlib.sha256(",".join(map(str, sorted(response_ids))).encode()).hexdigest()


def _store_comparisons(project, groups: list[_Group], source, counts) -> None:
    by_hash: dict[str, _Group] = {}
    for group in groups:
        by_hash.setdefault(_set_hash(group.response_ids), group)
    existing = dict(
        Comparison.objects.filter(project=project, response_set_hash__in=by_hash).values_list("response_set_hash", "id")
    )
    rng = random.Random()
    new = [
        Comparison(project=project, prompt_id=g.prompt_id, response_set_hash=h, random_key=rng.random())
        for h, g in by_hash.items()
        if h not in existing
    ]
    created = Comparison.objects.bulk_create(new)
    ComparisonResponse.objects.bulk_create(
        ComparisonResponse(comparison_id=c.id, response_id=r, position=pos)
        for c in created
        for pos, r in enumerate(by_hash[c.response_set_hash].response_ids)
    )
    counts.comparisons += len(created)
    if source is not None:
        ids = existing | {c.response_set_hash: c.id for c in created}
        _store_labels(project, source, [(ids[h], g) for h, g in by_hash.items() if g.winner], counts)


def _store_labels(project, source, labelled: list[tuple[int, _Group]], counts) -> None:
    keys = {f"import:{project.pk}:{source.pk}:{cid}": (cid, g) for cid, g in labelled}
    done = set(Judgment.objects.filter(client_key__in=keys).values_list("client_key", flat=True))
    new = [
        Judgment(project=project, comparison_id=cid, annotator=source, winner=g.winner, client_key=key)
        for key, (cid, g) in keys.items()
        if key not in done
    ]
    Judgment.objects.bulk_create(new)
    _count_judged(project, [j.comparison_id for j in new])
    counts.judgments += len(new)


def _count_judged(project, comparison_ids: list[int]) -> None:
    """Imported labels take a slot like any judgment (no lease row: the source never held one)."""
    for chunk in (comparison_ids[i : i + 500] for i in range(0, len(comparison_ids), 500)):
        Comparison.objects.filter(id__in=chunk).update(
            judgment_count=F("judgment_count") + 1, holders=F("holders") + 1
        )
        Comparison.objects.filter(id__in=chunk, holders__gte=project.overlap).update(is_open=False)


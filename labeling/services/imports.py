"""Importing prompts and responses (and optionally their labels) from JSONL files.

An import is one transaction: the file is streamed and stored in batches, and the first malformed
line raises ``ImportFailed`` naming it, which rolls back everything. Prompts, responses and
comparisons are de-duplicated by content hash, so re-importing a file adds nothing. A response is
identified by its prompt, text and model: two models giving the same text each get their own
response, so every judgment is credited to the model that wrote what was judged.

A new comparison's presentation order is a shuffle seeded by its content, so it does not follow
the input (where a labelled row lists the chosen response first). A comparison keeps the order
it was stored with, and an imported label is turned into letters against that stored order: the
same pair labelled by several sources, in either direction, lands on the same slots.
"""

import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, islice

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F

from labeling.bulk import db_json, db_now, insert_returning
from labeling.errors import ImportFailed, InvalidInput
from labeling.formats import (
    PARSERS,
    ImportRecord,
    RecordError,
    RecordSkipped,
    contains_nul,
    messages_hash,
    same_text,
    text_hash,
)
from labeling.models import (
    IMPORTED_KEY_PREFIX,
    Comparison,
    ComparisonResponse,
    DataImport,
    Judgment,
    Project,
    Prompt,
    Response,
    TaskType,
)
from labeling.services.stats import project_stats_changed

BATCH_LINES = 1000
# A pairwise line of N responses makes every pair of them, N(N-1)/2 comparisons: 32 make 496.
# More models per prompt go on several lines (the prompt is shared; each line pairs its own).
MAX_PAIRWISE_RESPONSES_PER_LINE = 32
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
    records = _parse(lines, PARSERS[format], with_labels, digest, counts, on_progress)
    return _store_all(
        project=project, records=records, counts=counts, format=format, file_name=file_name,
        label_source=(label_source or format) if with_labels else "", user=user, digest=digest,
    )


def import_records(*, project: Project, records: Iterable[ImportRecord], source_name: str, user=None) -> DataImport:
    """Store already-parsed records (e.g. generated responses) exactly as a file import would."""
    counts = ImportCounts()
    return _store_all(
        project=project, records=_numbered(records, counts), counts=counts, format=source_name[:16],
        file_name=source_name, label_source="", user=user, digest=hashlib.sha256(),
    )


def _store_all(*, project, records, counts, format, file_name, label_source, user, digest) -> DataImport:
    try:
        with transaction.atomic():
            source = _label_source_user(label_source) if label_source else None
            while batch := list(islice(records, BATCH_LINES)):
                _store_batch(project, batch, source, counts)
            project_stats_changed(project.pk)  # new labels, or new models and responses to rate
            return DataImport.objects.create(
                project=project, format=format, file_name=file_name[:255], file_sha256=digest.hexdigest(),
                with_labels=bool(label_source), counts=counts.as_dict(), skipped=counts.skipped, created_by=user,
            )
    except IntegrityError as exc:  # a concurrent import into the same project stored the same rows
        raise InvalidInput(f"import collided with a concurrent write; nothing stored, retry ({exc})") from exc


def _numbered(records: Iterable[ImportRecord], counts: ImportCounts) -> Iterator[tuple[int, ImportRecord]]:
    for number, record in enumerate(records, start=1):
        counts.lines = number
        yield number, record


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
            if b"\\u0000" in data and contains_nul(obj):  # the scan only when the escape is there
                raise RecordError("a string holds a NUL character (\\u0000), which the database cannot store")
            yield number, parser(obj, with_labels)
        except RecordSkipped as skip:
            counts.skipped.append({"line": number, "reason": str(skip)})
        except (RecordError, UnicodeDecodeError) as exc:
            raise ImportFailed(number, str(exc)) from None
        except json.JSONDecodeError as exc:
            raise ImportFailed(number, f"invalid JSON: {exc.msg} (column {exc.colno})") from None


def _label_source_user(name: str):
    """Imported labels are judgments by an inactive user named after their source."""
    user, created = get_user_model().objects.get_or_create(username=f"import:{name}"[:150], defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@dataclass
class _Hashed:
    """A parsed line with its content hashes, computed once."""

    line: int
    record: ImportRecord
    prompt_hash: str
    keys: list[tuple[str, str]]  # per response: (text hash, model name as stored), its identity in the prompt


def _hashed(line: int, record: ImportRecord) -> _Hashed:
    keys = [(text_hash(text), model[:200]) for text, model in record.responses]
    return _Hashed(line, record, messages_hash(record.messages), keys)


def _check_size(project, h: _Hashed) -> None:
    n = len(h.record.responses)
    if project.task_type == TaskType.PAIRWISE and n > MAX_PAIRWISE_RESPONSES_PER_LINE:
        raise ImportFailed(
            h.line,
            f"{n} responses make {n * (n - 1) // 2} pairwise comparisons; a line may hold at most "
            f"{MAX_PAIRWISE_RESPONSES_PER_LINE} responses (split the prompt's responses over several lines)",
        )


def _store_batch(project, batch, source, counts: ImportCounts) -> None:
    hashed = [_hashed(line, rec) for line, rec in batch]
    for h in hashed:
        _check_size(project, h)
    prompt_ids = _store_prompts(project, hashed, counts)
    response_ids = _store_responses(project, hashed, prompt_ids, counts)
    groups = _comparison_groups(project, hashed, prompt_ids, response_ids)
    _store_comparisons(project, groups, source, counts)


def _store_prompts(project, hashed: list[_Hashed], counts) -> dict[str, int]:
    wanted = {h.prompt_hash: h.record for h in hashed}
    ids = dict(Prompt.objects.filter(project=project, content_hash__in=wanted).values_list("content_hash", "id"))
    now = db_now()
    new = [
        (project.id, db_json(rec.messages), h, rec.external_id[:200], db_json(rec.metadata), now)
        for h, rec in wanted.items()
        if h not in ids
    ]
    columns = ["project_id", "messages", "content_hash", "external_id", "metadata", "created_at"]
    ids.update(insert_returning(Prompt, columns, new, ["content_hash", "id"]))
    counts.prompts += len(new)
    return ids


def _store_responses(project, hashed: list[_Hashed], prompt_ids, counts) -> dict[tuple[int, str, str], int]:
    """Response ids by (prompt id, text hash, model name)."""
    wanted: dict[tuple[int, str, str], str] = {}
    for h in hashed:
        prompt_id = prompt_ids[h.prompt_hash]
        for (text, _), (th, model) in zip(h.record.responses, h.keys, strict=True):
            wanted.setdefault((prompt_id, th, model), text)
    existing = Response.objects.filter(
        prompt_id__in={p for p, _, _ in wanted}, content_hash__in={h for _, h, _ in wanted}
    ).values_list("prompt_id", "content_hash", "model_name", "id")
    ids = {(p, h, m): i for p, h, m, i in existing if (p, h, m) in wanted}
    now = db_now()
    new = [
        (project.id, p, text, m, h, len(text), "{}", now)
        for (p, h, m), text in wanted.items()
        if (p, h, m) not in ids
    ]
    columns = ["project_id", "prompt_id", "text", "model_name", "content_hash", "length_chars", "metadata", "created_at"]
    returning = ["prompt_id", "content_hash", "model_name", "id"]
    for prompt_id, content_hash, model, response_id in insert_returning(Response, columns, new, returning):
        ids[(prompt_id, content_hash, model)] = response_id
    counts.responses += len(new)
    return ids


@dataclass
class _Group:
    """One comparison a line asks for."""

    prompt_id: int
    response_ids: list[int]  # presentation order, used where the comparison is new
    preferred: int | None = None  # response id of the labelled winner
    line: int = 0


def _comparison_groups(project, hashed: list[_Hashed], prompt_ids, response_ids) -> list[_Group]:
    """The comparisons the lines ask for. A label names its winner by response id: which letter
    that is depends on the stored order of the comparison, known only once it is stored."""
    split = _stored_sets(project, {prompt_ids[h.prompt_hash] for h in hashed if _splits(project, h)})
    groups = []
    for h in hashed:
        prompt_id = prompt_ids[h.prompt_hash]
        ids = [response_ids[(prompt_id, *key)] for key in h.keys]
        if _splits(project, h) and _already_split({ids[i] for i in _ranked(h)}, split.get(prompt_id, [])):
            continue
        winner = ids[h.record.preferred] if h.record.preferred is not None else None
        for members in _response_sets(project, h):
            member_ids = [ids[i] for i in members]
            groups.append(_Group(prompt_id, member_ids, winner if winner in member_ids else None, h.line))
    return groups


def _response_sets(project, h: _Hashed) -> list[list[int]]:
    """The response sets of one line, as indices into its responses in presentation order.

    Pairwise: every pair whose texts differ (the same text from two models is no choice; each
    model is still compared with the others). Ranking: one response per distinct text (the
    first listed), in groups of K cut from one shuffled order, the last topped up.
    """
    if project.task_type == TaskType.PAIRWISE:
        texts = [text for text, _ in h.record.responses]
        pairs = combinations(range(len(texts)), 2)
        return [_content_order(h, pair) for pair in pairs if not same_text(texts[pair[0]], texts[pair[1]])]
    k = project.responses_per_comparison
    order = _content_order(h, _ranked(h))
    if len(order) < 2:  # records made in code (generate) are not checked by a parser
        return []
    sets = [order[i : i + k] for i in range(0, len(order), k)]
    if len(sets[-1]) < k:
        sets[-1] = order[-k:]
    return sets


def _ranked(h: _Hashed) -> list[int]:
    """Indices of the responses a ranking line shows: the first with each text."""
    first: dict[str, int] = {}
    for i, (text, _) in enumerate(h.record.responses):
        first.setdefault(text.strip(), i)
    return list(first.values())


def _content_order(h: _Hashed, members) -> list[int]:
    """A shuffle seeded by the prompt and the set of responses: random from comparison to
    comparison (a labelled row lists its chosen response first; annotators must not see it
    always as A), but the same whatever the order of the input, its lines or the database ids."""
    order = sorted(members, key=h.keys.__getitem__)
    random.Random(":".join([h.prompt_hash, *(h.keys[i][0] for i in order)])).shuffle(order)
    return order


def _splits(project, h: _Hashed) -> bool:
    if project.task_type != TaskType.RANKING:
        return False
    return len(_ranked(h)) > project.responses_per_comparison


def _stored_sets(project, prompt_ids: set[int]) -> dict[int, list[set[int]]]:
    """The response ids of each stored comparison of ``prompt_ids``, by prompt."""
    members: dict[int, set[int]] = defaultdict(set)
    prompt_of: dict[int, int] = {}
    slots = ComparisonResponse.objects.filter(comparison__project=project, comparison__prompt_id__in=prompt_ids)
    for comparison_id, prompt_id, response_id in slots.values_list("comparison_id", "comparison__prompt_id", "response_id"):
        members[comparison_id].add(response_id)
        prompt_of[comparison_id] = prompt_id
    by_prompt: dict[int, list[set[int]]] = defaultdict(list)
    for comparison_id, response_ids in members.items():
        by_prompt[prompt_of[comparison_id]].append(response_ids)
    return by_prompt


def _already_split(response_ids: set[int], stored: list[set[int]]) -> bool:
    """Whether stored comparisons made only of these responses already include every one of them.

    Imports before the order above was content-based split a ranking line after shuffling it in
    input order, so re-importing such a line now would cut it differently and add comparisons.
    """
    covered = set().union(*(s for s in stored if s <= response_ids))
    return covered == response_ids


def _set_hash(response_ids) -> str:
    return hashlib.sha256(",".join(map(str, sorted(response_ids))).encode()).hexdigest()


def _store_comparisons(project, groups: list[_Group], source, counts) -> None:
    by_hash: dict[str, _Group] = {}
    preferred: dict[str, int] = {}  # a source's first label for a comparison is the one kept
    for group in groups:
        key = _set_hash(group.response_ids)
        by_hash.setdefault(key, group)
        if group.preferred is not None:
            preferred.setdefault(key, group.preferred)
    existing = dict(
        Comparison.objects.filter(project=project, response_set_hash__in=by_hash).values_list("response_set_hash", "id")
    )
    rng, now = random.Random(), db_now()
    new = [
        (project.id, g.prompt_id, h, 0.0, rng.random(), False, 0, 0, True, now)
        for h, g in by_hash.items()
        if h not in existing
    ]
    columns = [
        "project_id", "prompt_id", "response_set_hash", "priority", "random_key", "is_gold",
        "judgment_count", "holders", "is_open", "created_at",
    ]
    created = dict(insert_returning(Comparison, columns, new, ["response_set_hash", "id"]))
    slots = [(cid, r, pos) for h, cid in created.items() for pos, r in enumerate(by_hash[h].response_ids)]
    insert_returning(ComparisonResponse, ["comparison_id", "response_id", "position"], slots, ["id"])
    counts.comparisons += len(created)
    if source is not None and preferred:
        # Letters are read against the stored order: a comparison stored by an earlier import
        # (or under an older ordering) keeps the order it was created with.
        orders = {cid: by_hash[h].response_ids for h, cid in created.items()}
        orders |= _stored_orders([existing[h] for h in preferred if h in existing])
        ids = existing | created
        _store_labels(project, source, [(ids[h], orders[ids[h]], winner) for h, winner in preferred.items()], counts)


def _stored_orders(comparison_ids: list[int]) -> dict[int, list[int]]:
    """Response ids of each comparison by position."""
    orders: dict[int, list[int]] = defaultdict(list)
    slots = ComparisonResponse.objects.filter(comparison_id__in=comparison_ids).order_by("comparison_id", "position")
    for comparison_id, response_id in slots.values_list("comparison_id", "response_id"):
        orders[comparison_id].append(response_id)
    return orders


def _store_labels(project, source, labelled: list[tuple[int, list[int], int]], counts) -> None:
    """``labelled``: (comparison id, its response ids by position, the winner's response id)."""
    keys = {
        f"{IMPORTED_KEY_PREFIX}{project.pk}:{source.pk}:{cid}": (cid, _label(project, order, winner))
        for cid, order, winner in labelled
    }
    done = set(Judgment.objects.filter(client_key__in=keys).values_list("client_key", flat=True))
    new = [
        Judgment(project=project, comparison_id=cid, annotator=source, client_key=key, **result)
        for key, (cid, result) in keys.items()
        if key not in done
    ]
    Judgment.objects.bulk_create(new)
    _count_judged(project, [j.comparison_id for j in new])
    counts.judgments += len(new)


def _label(project, order: list[int], winner: int) -> dict:
    """The judgment fields for a labelled pair whose ``winner`` sits at its place in ``order``.

    Labelled formats carry two responses, so in a ranking project the label is a full ranking.
    """
    letters = LETTERS[: len(order)]
    first = letters[order.index(winner)]
    if project.task_type == TaskType.RANKING:
        return {"ranking": [first, *(letter for letter in letters if letter != first)]}
    return {"winner": first}


def _count_judged(project, comparison_ids: list[int]) -> None:
    """Imported labels take a slot like any judgment (no lease row: the source never held one)."""
    for chunk in (comparison_ids[i : i + 500] for i in range(0, len(comparison_ids), 500)):
        Comparison.objects.filter(id__in=chunk).update(
            judgment_count=F("judgment_count") + 1, holders=F("holders") + 1
        )
        Comparison.objects.filter(id__in=chunk, holders__gte=project.overlap).update(is_open=False)


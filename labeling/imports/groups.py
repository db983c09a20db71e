"""Which comparisons the lines of an import ask for, and in which presentation order.

A new comparison's presentation order is a shuffle seeded by its content, so it does not follow
the input (where a labelled row lists the chosen response first), whatever the order of the
lines, of their responses or of the database ids.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from labeling.errors import ImportFailed
from labeling.imports.formats import (
    ImportRecord,
    messages_hash,
    messages_json,
    same_text,
    text_hash,
)
from labeling.models import ComparisonKind, ComparisonResponse
from labeling.rankings import OVERALL

TIE_LABEL = -1  # a label naming no winner, in place of a response id (ids start at 1)


@dataclass
class Hashed:
    """A parsed line with its content hashes, computed once."""

    line: int
    record: ImportRecord
    prompt_hash: str
    keys: list[tuple[str, str]]  # per response: (text hash, model name as stored), its identity in the prompt
    messages_json: str = ""  # the prompt's messages as the database stores them
    sets: list[list[int]] = field(default_factory=list)  # the line's response sets (see _response_sets)
    response_keys: list[tuple[str, str, str]] = field(default_factory=list)  # per response: (prompt hash, *its key)


def hashed(line: int, record: ImportRecord, project) -> Hashed:
    """The line's hashes, and whatever else of it needs no database: an import computes these
    while the previous chunk is stored (services._read_ahead)."""
    keys = [(text_hash(text), model[:200]) for text, model in record.responses]
    h = Hashed(line, record, messages_hash(record.messages), keys, messages_json(record.messages))
    h.sets = _response_sets(project, h)
    h.response_keys = [(h.prompt_hash, th, model) for th, model in keys]
    return h


@dataclass
class Group:
    """One comparison a line asks for."""

    prompt_id: int
    response_ids: list[int]  # presentation order, used where the comparison is new
    chosen: int | None = None  # response id of the labelled winner, or TIE_LABEL
    line: int = 0
    criterion: str = ""  # what the label judges: "" for the main verdict
    repeats: list["Group"] = field(default_factory=list)  # later lines asking for the same comparison


def comparison_groups(project, lines: list[Hashed], prompt_ids, response_ids) -> list[Group]:
    """The comparisons the lines ask for (``response_ids``: by prompt hash, text hash and model).
    A label names its winner by response id: which letter that is depends on the stored order of
    the comparison, known only once it is stored."""
    split = _stored_sets(project, {prompt_ids[h.prompt_hash] for h in lines if _splits(project, h)})
    groups = []
    for h in lines:
        if h.record.tie and not project.allow_ties:
            raise ImportFailed(h.line, "'tie': this project does not allow ties")
        prompt_id = prompt_ids[h.prompt_hash]
        ids = [response_ids[key] for key in h.response_keys]
        if _splits(project, h) and _already_split({ids[i] for i in ranked(h)}, split.get(prompt_id, [])):
            continue
        winner = ids[h.record.chosen] if h.record.chosen is not None else None
        criterion = "" if h.record.criterion == OVERALL else h.record.criterion
        for members in h.sets:
            member_ids = [ids[i] for i in members]
            label = (TIE_LABEL if h.record.tie else winner) if winner in member_ids else None
            groups.append(Group(prompt_id, member_ids, label, h.line, criterion))
    return groups


def _response_sets(project, h: Hashed) -> list[list[int]]:
    """The response sets of one line, as indices into its responses in presentation order.

    Pairwise: every pair whose texts differ (the same text from two models is no choice; each
    model is still compared with the others). Ranking: one response per distinct text (the
    first listed), in groups of K cut from one shuffled order, the last topped up.
    """
    if project.task_type == ComparisonKind.PAIRWISE:
        texts = [text for text, _ in h.record.responses]
        pairs = combinations(range(len(texts)), 2)
        return [_content_order(h, pair) for pair in pairs if not same_text(texts[pair[0]], texts[pair[1]])]
    k = project.responses_per_comparison
    order = _content_order(h, ranked(h))
    if len(order) < 2:  # records made in code (generate) are not checked by a parser
        return []
    sets = [order[i : i + k] for i in range(0, len(order), k)]
    if len(sets[-1]) < k:
        sets[-1] = order[-k:]
    return sets


def ranked(h: Hashed) -> list[int]:
    """Indices of the responses a ranking line shows: the first with each text."""
    first: dict[str, int] = {}
    for i, (text, _) in enumerate(h.record.responses):
        first.setdefault(text.strip(), i)
    return list(first.values())


def _content_order(h: Hashed, members) -> list[int]:
    """A shuffle seeded by the prompt and the set of responses: random from comparison to
    comparison (a labelled row lists its chosen response first; annotators must not see it
    always as A), but the same whatever the order of the input, its lines or the database ids."""
    order = sorted(members, key=h.keys.__getitem__)
    seed = hashlib.sha512(":".join([h.prompt_hash, *(h.keys[i][0] for i in order)]).encode()).digest()
    draw = int.from_bytes(seed)  # 512 random bits: a uniform shuffle of up to 98 responses
    for i in range(len(order) - 1, 0, -1):  # Fisher-Yates, each step a digit of ``draw`` in base i + 1
        draw, j = divmod(draw, i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def _splits(project, h: Hashed) -> bool:
    if project.task_type != ComparisonKind.RANKING:
        return False
    return len(ranked(h)) > project.responses_per_comparison


def _stored_sets(project, prompt_ids: set[int]) -> dict[int, list[set[int]]]:
    """The response ids of each stored comparison of ``prompt_ids``, by prompt."""
    if not prompt_ids:
        return {}
    members: dict[int, set[int]] = defaultdict(set)
    prompt_of: dict[int, int] = {}
    positions = ComparisonResponse.objects.filter(comparison__project=project, comparison__prompt_id__in=prompt_ids)
    for comparison_id, prompt_id, response_id in positions.values_list("comparison_id", "comparison__prompt_id", "response_id"):
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


def set_hash(response_ids) -> str:
    return hashlib.sha256(",".join(map(str, sorted(response_ids))).encode()).hexdigest()

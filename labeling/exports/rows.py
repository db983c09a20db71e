"""Turning judged comparisons into dataset rows and files; plain Python, no Django.

The database side (``labeling/exports/services.py``) streams ``JudgedComparison`` objects in
comparison order; this module decides what each becomes:

* Preferences. Every judgment gives outcomes on pairs of positions: a pairwise judgment one
  pair (a win, a loss or a tie), a ranking all its implied pairs (``pairs="all"``) or the best
  against each other (``pairs="best-vs-rest"``). ``aggregation`` then makes preferences:
  ``majority`` (per pair, the most common outcome among a win, a loss and a tie), ``mean-strength``
  (per pair, the mean of +strength / -strength / 0, ranking and unscaled votes counting 1),
  ``dawid-skene`` (per pair, the most probable outcome when each annotator is weighted by a
  reliability estimated over the whole export: ``labeling/exports/label_model.py``), or ``none`` (each
  judgment on its own). A pair whose vote is split evenly, or whose result is a tie, gives no
  preference row: the formats here cannot say "equal", so it is dropped and counted in
  ``ExportStats`` (``split``, ``tie``). An aggregated row says how sure it is in
  ``label_confidence``: the share of votes for the outcome taken (``majority``, ``mean-strength``)
  or its posterior probability (``dawid-skene``). ``raw`` is never aggregated.
* Rows per format: ``trl``, ``hh-rlhf``, ``kto``, ``sft``, ``raw`` (see each ``*_row``).
  One file has one representation: ``trl`` and ``kto`` are either standard (prompt and replies
  as plain strings, only possible when every prompt is one user turn) or conversational
  (message lists, TRL's conversational format), never a mix; ``services.exports`` decides
  which per project before the first row.
* The train/validation split, by prompt.
* Writers: JSONL, CSV (``raw`` only, formula-guarded) and Parquet in row groups.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime

from labeling.errors import InvalidInput
from labeling.rankings import LETTERS, OVERALL, ranking_pairs

FORMATS = ("trl", "hh-rlhf", "kto", "sft", "raw")
AGGREGATIONS = ("majority", "mean-strength", "dawid-skene", "none")
PAIRS = ("all", "best-vs-rest")
FILE_TYPES = ("jsonl", "parquet", "csv")
SPLITS = ("train", "validation")
HUMAN, ASSISTANT = "\n\nHuman: ", "\n\nAssistant: "


class ExportError(InvalidInput):
    """Options that do not fit together (e.g. CSV for a preference format); the API answers 400."""


# --- inputs ------------------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: one is built per judgment, and frozen init is slower
class Vote:
    """One judgment as read from the database; the fields after ``ranking`` are read only for ``raw``."""

    judgment_id: int
    annotator_id: int
    winner: str  # "a" / "b" / "tie", blank for a ranking
    strength: int | None
    ranking: list[str] | None
    created_at: datetime | None = None
    criteria_json: str = "{}"  # as stored: decoding only to re-encode costs seconds per million rows
    rationale: str = ""
    time_spent_ms: int = 0
    flags: tuple[str, ...] = ()


@dataclass
class JudgedComparison:
    comparison_id: int
    prompt_id: int
    prompt_key: str  # the prompt's content hash: the unit of the train/validation split
    messages: list[dict]
    responses: list[tuple[int, str, str]]  # (response id, text, model name) by position
    is_gold: bool
    votes: list[Vote]


@dataclass(frozen=True)
class ExportOptions:
    format: str
    aggregation: str = "majority"
    pairs: str = "all"
    # trl/kto: message lists (True) or plain strings (False); None: conversational when any of
    # the project's prompts is more than one user turn (services.exports.export_representation)
    conversational: bool | None = None
    include_winners: bool = False  # sft: add each comparison's winning response to the demonstrations
    criteria: tuple[str, ...] = ()  # trl: rows per criterion verdict, see criterion_votes

    def __post_init__(self):
        for name, allowed in (("format", FORMATS), ("aggregation", AGGREGATIONS), ("pairs", PAIRS)):
            if getattr(self, name) not in allowed:
                raise ExportError(f"unknown {name} '{getattr(self, name)}' (choose {', '.join(allowed)})")
        object.__setattr__(self, "criteria", tuple(self.criteria))
        if self.criteria and self.format != "trl":
            raise ExportError(f"criteria: only the trl format has a criterion column, not {self.format}")
        if len(set(self.criteria)) != len(self.criteria) or not all(self.criteria):
            raise ExportError("criteria must be distinct, non-empty names")
        if self.criteria and self.aggregation == "dawid-skene":
            raise ExportError("criteria: dawid-skene aggregates the main verdict only; use majority or mean-strength")


@dataclass(frozen=True)
class ExportFilters:
    """The only filters an export accepts; the field names are the allow-list.

    Row filters (applied in the database): ``exclude_ties`` drops tie judgments before
    aggregation, ``exclude_gold``, ``exclude_annotators`` (user ids), ``created_after`` (inclusive)
    and ``created_before`` (exclusive) on the judgment time, ``models`` (keep comparisons whose
    responses all come from these models). Comparison filters (applied to what is left):
    ``min_judgments`` and ``min_agreement`` (see ``agreement``).
    """

    min_agreement: float | None = None
    min_judgments: int | None = None
    exclude_ties: bool = False
    exclude_gold: bool = False
    exclude_annotators: tuple[int, ...] = ()
    created_after: datetime | None = None
    created_before: datetime | None = None
    models: tuple[str, ...] = ()

    def __post_init__(self):
        if self.min_agreement is not None and not 0 <= self.min_agreement <= 1:
            raise ExportError("min_agreement must be between 0 and 1")
        if self.min_judgments is not None and self.min_judgments < 1:
            raise ExportError("min_judgments must be at least 1")
        if self.created_after and self.created_before and self.created_after >= self.created_before:
            raise ExportError("created_after must be before created_before")

    def as_json(self) -> dict:
        """The filters that are set, JSON-ready (stored on snapshots)."""
        out = {}
        for name, value in asdict(self).items():
            if value in (None, False, ()):
                continue
            if isinstance(value, datetime):
                value = value.isoformat()
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> ExportFilters:
        data = dict(data or {})
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ExportError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        try:
            for name in ("created_after", "created_before"):
                if isinstance(data.get(name), str):
                    data[name] = datetime.fromisoformat(data[name])
            for name in ("exclude_annotators", "models"):
                if not isinstance(data.get(name) or (), list | tuple):
                    raise ExportError(f"{name} must be a list")
                data[name] = tuple(data.get(name) or ())
            return cls(**data)
        except (TypeError, ValueError) as exc:  # a wrong type or date from a JSON caller
            raise ExportError(f"invalid filters: {exc}") from None


@dataclass
class ExportStats:
    """What an export wrote and passed over; ``split``/``tie`` count dropped pairs."""

    rows: int = 0
    comparisons: int = 0
    filtered_out: int = 0
    split: int = 0
    tie: int = 0


# --- preferences -------------------------------------------------------------------------------


@dataclass(slots=True)
class Preference:
    chosen: int  # position
    rejected: int
    margin: float | None = None  # mean strength, for ``mean-strength``
    confidence: float | None = None  # label_confidence; None for unaggregated (``none``) rows


def vote_outcomes(vote: Vote, pairs: str) -> dict[tuple[int, int], float]:
    """Per position pair ``(i, j)`` with ``i < j``: +s if ``i`` won, -s if ``j`` won, 0 for a tie.

    ``s`` is the strength (1 for ranking judgments and for projects without a scale).
    """
    s = float(vote.strength or 1)
    if not (vote.winner or vote.ranking):  # an imported label on a criterion alone: no main verdict
        return {}
    if vote.ranking:
        ranked = ranking_pairs(vote.ranking) if pairs == "all" else [(vote.ranking[0], x) for x in vote.ranking[1:]]
        beaten = [(LETTERS.index(w), LETTERS.index(lo)) for w, lo in ranked]
        return {(min(w, lo), max(w, lo)): (s if w < lo else -s) for w, lo in beaten}
    if vote.winner == "tie":
        return {(0, 1): 0.0}
    return {(0, 1): s if vote.winner == "a" else -s}


def _tallies(votes: list[Vote], pairs: str) -> dict[tuple[int, int], list[float]]:
    tallies: dict[tuple[int, int], list[float]] = {}
    for vote in votes:
        for key, value in vote_outcomes(vote, pairs).items():
            tallies.setdefault(key, []).append(value)
    return tallies


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _counts(values: list[float]) -> tuple[int, int, int]:
    """(wins, losses, ties) of the pair's first position."""
    wins, losses = sum(v > 0 for v in values), sum(v < 0 for v in values)
    return wins, losses, len(values) - wins - losses


def agreement(comparison: JudgedComparison, pairs: str = "all") -> float:
    """Mean over position pairs of the share of votes for the most common outcome (win, loss, tie).

    1.0 when everyone agrees, and for a single judgment; 0.5 for a 1-1 split.
    """
    shares = [max(_counts(v)) / len(v) for v in _tallies(comparison.votes, pairs).values()]
    return sum(shares) / len(shares) if shares else 0.0


def comparison_passes(comparison: JudgedComparison, filters: ExportFilters, pairs: str) -> bool:
    if filters.min_judgments and len(comparison.votes) < filters.min_judgments:
        return False
    return not (filters.min_agreement is not None and agreement(comparison, pairs) < filters.min_agreement)


def _decide(key: tuple[int, int], values: list[float], aggregation: str, stats: ExportStats) -> Preference | None:
    if aggregation == "mean-strength":
        mean = sum(values) / len(values)
        outcome, margin = _sign(mean), abs(mean)
        # the strength-weighted share of the votes for the outcome taken (a tie weighs nothing)
        weight = sum(abs(v) for v in values)
        confidence = sum(abs(v) for v in values if _sign(v) == outcome) / weight if weight else None
    else:
        counts = _counts(values)
        top = max(counts)
        if counts.count(top) > 1:
            stats.split += 1
            return None
        outcome, margin, confidence = (1, -1, 0)[counts.index(top)], None, top / len(values)
    return _preference(key, outcome, margin, confidence, stats)


def _decide_posterior(key: tuple[int, int], posterior, stats: ExportStats) -> Preference | None:
    """Dawid–Skene: the most probable of (first wins, second wins, tie), with its probability."""
    best = int(posterior.argmax())
    return _preference(key, (1, -1, 0)[best], None, float(posterior[best]), stats)


def _preference(key, outcome: int, margin, confidence, stats: ExportStats) -> Preference | None:
    if outcome == 0:
        stats.tie += 1
        return None
    i, j = key if outcome > 0 else key[::-1]
    return Preference(i, j, margin, confidence)


def criterion_votes(votes: list[Vote], criterion: str) -> list[Vote]:
    """The votes on one criterion: the main verdicts for ``overall``, else each judgment's verdict
    in its ``criteria`` (``{"winner", "strength"}`` or ``{"ranking"}``); judgments without one are
    left out."""
    if criterion == OVERALL:
        return votes
    out = []
    for vote in votes:
        verdict = json.loads(vote.criteria_json).get(criterion)
        if verdict:
            out.append(Vote(vote.judgment_id, vote.annotator_id, verdict.get("winner", ""),
                            verdict.get("strength"), verdict.get("ranking")))
    return out


def preference_units(
    comparison: JudgedComparison, options: ExportOptions, stats: ExportStats, posteriors=None
) -> list[list[Preference]]:
    """The preferences of one comparison: one unit when aggregated, one unit per judgment for
    ``none``. ``dawid-skene`` reads each pair's outcome from ``posteriors``
    (``label_model.UnitPosteriors``, fitted over the whole export)."""
    if options.aggregation == "none":
        units = [_decided([vote], options.pairs, "majority", stats) for vote in comparison.votes]
        return [[replace(p, confidence=None) for p in unit] for unit in units]
    if options.aggregation == "dawid-skene":
        decided = []
        for key, values in sorted(_tallies(comparison.votes, options.pairs).items()):
            posterior = posteriors.get(comparison.comparison_id, *key)
            # a pair judged only after the fit was made (exports take no lock) falls back to majority
            p = _decide(key, values, "majority", stats) if posterior is None else _decide_posterior(key, posterior, stats)
            decided += [p] if p else []
        return [decided]
    return [_decided(comparison.votes, options.pairs, options.aggregation, stats)]


def _decided(votes: list[Vote], pairs: str, aggregation: str, stats: ExportStats) -> list[Preference]:
    tallies = sorted(_tallies(votes, pairs).items())
    return [p for key, values in tallies if (p := _decide(key, values, aggregation, stats))]


# --- rows per format ---------------------------------------------------------------------------


def transcript(messages: list[dict]) -> str:
    """HH-RLHF text of a conversation; a system message is folded into the first Human turn."""
    parts, system = [], ""
    for m in messages:
        if m["role"] == "system":
            system = m["content"] + "\n\n"
        else:
            parts.append((HUMAN if m["role"] == "user" else ASSISTANT) + system + m["content"])
            system = ""
    return "".join(parts)


def is_one_user_turn(messages: list[dict]) -> bool:
    """Whether a prompt has a plain-text (standard) form: exactly one user message."""
    return len(messages) == 1 and messages[0].get("role") == "user"


def prompt_text(messages: list[dict]) -> str:
    """Standard (string) prompt: the text of its one user turn.

    A longer conversation (or a system message) has no plain-text form a trainer can read
    without a template, and writing it as an HH transcript beside plain prompts would mix two
    representations in one file: such prompts are exported conversational.
    """
    if not is_one_user_turn(messages):
        raise ExportError(
            "a prompt with more than one turn or a system message has no plain-text form; "
            "export with conversational (message lists)"
        )
    return messages[0]["content"]


def _reply(text: str, conversational: bool):
    return [{"role": "assistant", "content": text}] if conversational else text


def pair_row(c: JudgedComparison, p: Preference, options: ExportOptions) -> dict:
    """``trl``: ``{prompt, chosen, rejected}``; ``hh-rlhf``: ``{chosen, rejected}`` transcripts.

    Both carry ``chosen_model``/``rejected_model`` (read back by the importer); ``trl`` with
    ``mean-strength`` adds ``margin`` (TRL's reward trainer uses it).
    """
    (_, chosen, chosen_model), (_, rejected, rejected_model) = c.responses[p.chosen], c.responses[p.rejected]
    if options.format == "hh-rlhf":
        head = transcript(c.messages) + ASSISTANT
        row = {"chosen": head + chosen, "rejected": head + rejected}
    else:
        prompt = c.messages if options.conversational else prompt_text(c.messages)
        conversational = options.conversational
        row = {"prompt": prompt, "chosen": _reply(chosen, conversational), "rejected": _reply(rejected, conversational)}
    row |= {"chosen_model": chosen_model, "rejected_model": rejected_model}
    if options.format == "trl" and options.aggregation == "mean-strength":
        row["margin"] = p.margin
    if p.confidence is not None:
        row["label_confidence"] = p.confidence
    return row


def kto_rows(c: JudgedComparison, unit: list[Preference], options: ExportOptions) -> list[dict]:
    """Unpaired rows: a response is desirable when it wins more of its pairs than it loses, undesirable
    when it loses more; even responses give no row. For two responses this is chosen/rejected."""
    net: Counter = Counter()
    for p in unit:
        net[p.chosen] += 1
        net[p.rejected] -= 1
    prompt = c.messages if options.conversational else prompt_text(c.messages)
    rows = []
    for pos, n in sorted(net.items()):
        _, text, model = c.responses[pos]
        if n:
            rows.append({"prompt": prompt, "completion": _reply(text, options.conversational), "label": n > 0, "model": model})
    return rows


def winner_rows(c: JudgedComparison, unit: list[Preference], seen: set) -> list[dict]:
    """``sft`` from preferences: the response that beats every other one, once per response."""
    wins = Counter(p.chosen for p in unit)
    rows = []
    for pos, n in wins.items():
        response_id, text, _ = c.responses[pos]
        if n == len(c.responses) - 1 and response_id not in seen:  # a response belongs to one prompt
            seen.add(response_id)
            rows.append(sft_row(c.messages, text))
    return rows


def sft_row(messages: list[dict], reply: str) -> dict:
    return {"messages": [*messages, {"role": "assistant", "content": reply}]}


RAW_COLUMNS = (
    "judgment_id", "comparison_id", "prompt_id", "annotator", "kind", "models", "winner", "ranking",
    "strength", "strength_label", "scale_size", "criteria", "rationale", "time_spent_ms", "flags",
    "is_gold", "created_at",
)


def raw_row(c: JudgedComparison, v: Vote, annotator: str, scale: list[str]) -> dict:
    """One judgment; ``annotator`` is a pseudonym, ``criteria`` JSON text (its keys vary by project,
    so a fixed column type keeps Parquet and CSV schemas stable)."""
    label = scale[v.strength - 1] if v.strength and 0 < v.strength <= len(scale) else ""
    return {
        "judgment_id": v.judgment_id, "comparison_id": c.comparison_id, "prompt_id": c.prompt_id,
        "annotator": annotator, "kind": "ranking" if v.ranking else "pairwise",
        "models": [model for _, _, model in c.responses], "winner": v.winner, "ranking": v.ranking,
        "strength": v.strength, "strength_label": label, "scale_size": len(scale),
        "criteria": _canonical_json(v.criteria_json),
        "rationale": v.rationale,
        "time_spent_ms": v.time_spent_ms, "flags": list(v.flags), "is_gold": c.is_gold,
        "created_at": v.created_at.isoformat() if v.created_at else None,
    }


def _canonical_json(text: str) -> str:
    """Sorted keys, whichever database stored it (PostgreSQL's jsonb reorders keys)."""
    return text if text == "{}" else json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)


def comparison_rows(
    c: JudgedComparison,
    options: ExportOptions,
    stats: ExportStats,
    *,
    pseudonym: Callable[[int], str] = str,
    scale: list[str] | None = None,
    seen: set | None = None,
    posteriors=None,
) -> list[dict]:
    """Every row ``c`` gives in ``options.format``. ``seen`` (response ids) de-duplicates ``sft``
    winners across calls; it grows with the winners written, an int each. ``posteriors``: the
    Dawid–Skene fit, for that aggregation."""
    if options.format == "raw":
        return [raw_row(c, v, pseudonym(v.annotator_id), scale or []) for v in c.votes]
    if options.criteria:
        return criteria_rows(c, options, stats)
    if options.format == "sft" and not options.include_winners:
        return []
    units = preference_units(c, options, stats, posteriors)
    if options.format == "kto":
        return [row for unit in units for row in kto_rows(c, unit, options)]
    if options.format == "sft":
        seen = set() if seen is None else seen
        return [row for unit in units for row in winner_rows(c, unit, seen)]
    return [pair_row(c, p, options) for unit in units for p in unit]


def criteria_rows(c: JudgedComparison, options: ExportOptions, stats: ExportStats) -> list[dict]:
    """``trl`` rows of each criterion in ``options.criteria``, each decided by that criterion's votes
    alone and marked with its ``criterion`` (training a reward model that judges per criterion)."""
    rows = []
    for criterion in options.criteria:
        votes = criterion_votes(c.votes, criterion)
        if votes:
            one = replace(c, votes=votes)
            rows += [pair_row(one, p, options) | {"criterion": criterion}
                     for unit in preference_units(one, options, stats) for p in unit]
    return rows


def annotator_pseudonym(user_id: int, salt: bytes) -> str:
    """A stable, keyed id: without the salt (derived from SECRET_KEY) nobody can map it back to a user."""
    return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


def split_of(prompt_key: str, seed: int, validation_fraction: float) -> str:
    """``train`` or ``validation`` from a hash of the prompt and the seed: every row of a prompt goes
    to the same side, and the same seed always gives the same split."""
    digest = hashlib.sha256(f"{seed}:{prompt_key}".encode()).digest()
    return "validation" if int.from_bytes(digest[:8], "big") / 2**64 < validation_fraction else "train"


# --- writers -----------------------------------------------------------------------------------


class Sink:
    """The write-only file the writers write to: it hashes and counts the bytes, then passes them to
    ``target`` (an open binary file) or keeps them until ``drain()`` (HTTP streaming)."""

    def __init__(self, target=None):
        self.target, self.sha256, self.size, self.closed = target, hashlib.sha256(), 0, False
        self.buffered = 0  # bytes waiting for drain()
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        data = bytes(data)
        self.sha256.update(data)
        self.size += len(data)
        if self.target is None:
            self._parts.append(data)
            self.buffered += len(data)
        else:
            self.target.write(data)
        return len(data)

    def tell(self) -> int:  # pyarrow records column offsets from it
        return self.size

    def flush(self):
        pass

    def close(self):
        self.closed = True

    def drain(self) -> bytes:
        data, self._parts, self.buffered = b"".join(self._parts), [], 0
        return data


# One encoder, not one per row; rows are fresh dicts, so the circularity check is wasted work.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


class JsonlWriter:
    def __init__(self, sink: Sink, batch: int = 1000):
        self.sink, self.batch, self._lines = sink, batch, []

    def write(self, row: dict) -> None:
        self._lines.append(_ENCODER.encode(row))
        if len(self._lines) >= self.batch:
            self._flush()

    def _flush(self):
        if self._lines:
            self.sink.write(("\n".join(self._lines) + "\n").encode())
            self._lines = []

    def close(self) -> None:
        self._flush()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading
    quote (OWASP's advice); lists and objects are written as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    def __init__(self, sink: Sink, columns: Iterable[str] = RAW_COLUMNS, batch: int = 1000):
        self.sink, self.columns, self.batch, self._n = sink, list(columns), batch, 0
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer)
        self._csv.writerow(self.columns)

    def write(self, row: dict) -> None:
        self._csv.writerow([csv_cell(row[c]) for c in self.columns])
        self._n += 1
        if self._n % self.batch == 0:
            self._flush()

    def _flush(self):
        self.sink.write(self._buffer.getvalue().encode())
        self._buffer.seek(0)
        self._buffer.truncate()

    def close(self) -> None:
        self._flush()


def parquet_schema(options: ExportOptions):
    """Explicit column types: inferring them from the first row group breaks when it only holds nulls."""
    import pyarrow as pa  # lazily: the web process only needs it for Parquet exports

    messages = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    text = messages if options.conversational else pa.string()
    s, i = pa.string(), pa.int64()
    columns = {
        "trl": [("prompt", text), ("chosen", text), ("rejected", text), ("chosen_model", s), ("rejected_model", s)],
        "hh-rlhf": [("chosen", s), ("rejected", s), ("chosen_model", s), ("rejected_model", s)],
        "kto": [("prompt", text), ("completion", text), ("label", pa.bool_()), ("model", s)],
        "sft": [("messages", messages)],
        "raw": [
            ("judgment_id", i), ("comparison_id", i), ("prompt_id", i), ("annotator", s), ("kind", s),
            ("models", pa.list_(s)), ("winner", s), ("ranking", pa.list_(s)), ("strength", i),
            ("strength_label", s), ("scale_size", i), ("criteria", s), ("rationale", s),
            ("time_spent_ms", i), ("flags", pa.list_(s)), ("is_gold", pa.bool_()), ("created_at", s),
        ],
    }[options.format]
    if options.format == "trl" and options.aggregation == "mean-strength":
        columns.append(("margin", pa.float64()))
    if options.format in ("trl", "hh-rlhf") and options.aggregation != "none":
        columns.append(("label_confidence", pa.float64()))
    if options.criteria:
        columns.append(("criterion", s))
    return pa.schema(columns)


class ParquetWriter:
    """Rows buffered into row groups of ``row_group_size``, so memory holds one group at a time."""

    def __init__(self, sink: Sink, schema, row_group_size: int = 5000):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa, self.schema, self.row_group_size, self._rows = pa, schema, row_group_size, []
        self._file = pa.PythonFile(sink, mode="w")  # closed by us: pyarrow aborts if it is left to gc
        self._writer = pq.ParquetWriter(self._file, schema)

    def write(self, row: dict) -> None:
        self._rows.append(row)
        if len(self._rows) >= self.row_group_size:
            self._flush()

    def _flush(self):
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
        self._file.close()


def check_file_type(options: ExportOptions, file_type: str) -> None:
    """Raise ``ExportError`` before any work when ``file_type`` does not fit ``options``."""
    if file_type not in FILE_TYPES:
        raise ExportError(f"unknown file type '{file_type}' (choose {', '.join(FILE_TYPES)})")
    if file_type == "csv" and options.format != "raw":
        raise ExportError("CSV is only offered for the raw format; use jsonl or parquet")


def make_writer(file_type: str, sink: Sink, options: ExportOptions):
    """A writer with ``write(row)`` and ``close()`` for ``file_type``."""
    check_file_type(options, file_type)
    if file_type == "csv":
        return CsvWriter(sink)
    if file_type == "parquet":
        return ParquetWriter(sink, parquet_schema(options))
    return JsonlWriter(sink)


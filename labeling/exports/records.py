"""The records a snapshot holds, and the file rows they are written as and read back from; plain
Python, no Django.

A record is what training reads: one typed dict per row, the same shape however the file stored
it, and JSON as it is (a launched stage receives its records through a JSON file). An export
makes records (``rows.comparison_records``); ``record_row`` writes one in a format's file row,
and ``row_record`` reads it back: the two live side by side so they cannot drift apart.

* ``PreferenceRecord``: one preference, chosen over rejected (``trl``, ``hh-rlhf`` files).
* ``KTORecord``: one response marked desirable or not (``kto``).
* ``SFTRecord``: one demonstration or winning response (``sft``).
* ``PromptRecord``: one prompt to roll out (online RL, generation); made from the others.

One file has one representation: ``trl`` and ``kto`` are either standard (prompt and replies as
plain strings, only possible when every prompt is one user turn) or conversational (message
lists, TRL's conversational format), never a mix; the export decides which before the first
row. ``raw`` rows are judgments, not records (``rows.raw_row``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NotRequired, TypedDict

from labeling.exports.options import ExportError, ExportOptions

HUMAN, ASSISTANT = "\n\nHuman: ", "\n\nAssistant: "
RECORD_FORMATS = ("trl", "hh-rlhf", "kto", "sft")  # ``raw`` holds judgments, not records


class Message(TypedDict):
    role: str
    content: str


class PreferenceRecord(TypedDict):
    prompt: list[Message]
    chosen: str
    rejected: str
    chosen_model: str
    rejected_model: str
    margin: float | None  # mean strength (``mean-strength`` aggregation), else None
    label_confidence: float | None  # how sure the aggregation is; None when not aggregated
    criterion: NotRequired[str]  # the criterion it was judged on, when exported per criterion
    label_source: NotRequired[str]  # human / model / mixed, when exported with labels other than human


class KTORecord(TypedDict):
    prompt: list[Message]
    completion: str
    label: bool  # True: desirable
    model: str
    label_source: NotRequired[str]


class SFTRecord(TypedDict):
    prompt: list[Message]
    completion: str
    label_source: NotRequired[str]


class PromptRecord(TypedDict):
    prompt: list[Message]
    verify: NotRequired[dict]  # the prompt's own check, for verifiable rewards


Record = PreferenceRecord | KTORecord | SFTRecord


# --- records -> file rows ------------------------------------------------------------------------


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


def _prompt(messages: list[dict], conversational: bool):
    return messages if conversational else prompt_text(messages)


def _reply(text: str, conversational: bool):
    return [{"role": "assistant", "content": text}] if conversational else text


def _models_and_confidence(row: dict, r: PreferenceRecord, margin: bool = True) -> dict:
    row |= {"chosen_model": r["chosen_model"], "rejected_model": r["rejected_model"]}
    if margin and r["margin"] is not None:  # only mean-strength decides one (TRL's reward trainer reads it)
        row["margin"] = r["margin"]
    if r["label_confidence"] is not None:
        row["label_confidence"] = r["label_confidence"]
    return row | ({"criterion": r["criterion"]} if "criterion" in r else {}) | _source(r)


def _source(r: Record) -> dict:
    """The ``label_source`` column, where the record has one (exports with labels other than human)."""
    return {"label_source": r["label_source"]} if "label_source" in r else {}


def trl_row(r: PreferenceRecord, conversational: bool) -> dict:
    """``{prompt, chosen, rejected, chosen_model, rejected_model}``, then ``margin``,
    ``label_confidence`` and ``criterion`` when the record has them."""
    c = conversational
    row = {"prompt": _prompt(r["prompt"], c), "chosen": _reply(r["chosen"], c), "rejected": _reply(r["rejected"], c)}
    return _models_and_confidence(row, r)


def hh_rlhf_row(r: PreferenceRecord) -> dict:
    """``{chosen, rejected}`` transcripts, the models and ``label_confidence`` (no margin column)."""
    head = transcript(r["prompt"]) + ASSISTANT
    row = {"chosen": head + r["chosen"], "rejected": head + r["rejected"]}
    return _models_and_confidence(row, r, margin=False)


def kto_row(r: KTORecord, conversational: bool) -> dict:
    c = conversational
    return {"prompt": _prompt(r["prompt"], c), "completion": _reply(r["completion"], c), "label": r["label"],
            "model": r["model"]} | _source(r)


def sft_row(r: SFTRecord) -> dict:
    return {"messages": [*r["prompt"], {"role": "assistant", "content": r["completion"]}]} | _source(r)


def record_row(record: Record, options: ExportOptions) -> dict:
    """``record`` as a row of ``options.format``'s file (``options.conversational`` decided)."""
    if options.format == "trl":
        return trl_row(record, options.conversational)
    if options.format == "hh-rlhf":
        return hh_rlhf_row(record)
    if options.format == "kto":
        return kto_row(record, options.conversational)
    return sft_row(record)


# --- file rows -> records ------------------------------------------------------------------------


def _messages(value) -> list[Message]:
    return [{"role": "user", "content": value}] if isinstance(value, str) else list(value)


def _text(value) -> str:
    return value if isinstance(value, str) else value[-1]["content"]


def row_record(row: dict, format: str) -> Record:
    """A ``trl``, ``kto`` or ``sft`` row (standard or conversational) as its record."""
    if format == "trl":
        record = PreferenceRecord(
            prompt=_messages(row["prompt"]), chosen=_text(row["chosen"]), rejected=_text(row["rejected"]),
            chosen_model=row.get("chosen_model") or "", rejected_model=row.get("rejected_model") or "",
            margin=row.get("margin"), label_confidence=row.get("label_confidence"),
        )
        return record | ({"criterion": row["criterion"]} if row.get("criterion") else {}) | _source(row)
    if format == "kto":
        return KTORecord(prompt=_messages(row["prompt"]), completion=_text(row["completion"]),
                         label=bool(row["label"]), model=row.get("model") or "") | _source(row)
    if format == "sft":
        messages = row["messages"]
        return SFTRecord(prompt=messages[:-1], completion=messages[-1]["content"]) | _source(row)
    raise ValueError(f"{format} rows are not read back as records (read trl, kto or sft)")


def read_rows(path: Path):
    """The rows of a JSONL or Parquet file, one dict at a time."""
    if Path(path).suffix == ".parquet":
        import pyarrow.parquet as pq  # lazily: only Parquet files need it

        for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
            yield from batch.to_pylist()
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def read_records(path: Path, format: str) -> list[Record]:
    """Every record of one file of ``format`` (the one way a snapshot's rows reach training)."""
    return [row_record(row, format) for row in read_rows(path)]


def prompt_records(records: list[Record]) -> list[PromptRecord]:
    """The records' prompts, each once, in first-seen order."""
    seen, out = set(), []
    for record in records:
        key = repr(record["prompt"])
        if key not in seen:
            seen.add(key)
            out.append(PromptRecord(prompt=record["prompt"]))
    return out

"""What each judged comparison becomes in an export: records, then file rows; plain Python, no Django.

The database side (``services.py``) streams ``JudgedComparison`` objects in comparison order. For
the training formats (``trl``, ``hh-rlhf``, ``kto``, ``sft``) a comparison's preferences
(``preferences.py``) become typed records (``records.py``), which ``records.record_row`` writes in
the format's file row; ``raw`` writes each judgment as it is. Also here: the annotator pseudonym
and the train/validation split, by prompt.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from labeling.exports.options import ExportOptions, ExportStats
from labeling.exports.preferences import (
    JudgedComparison,
    JudgmentRow,
    Preference,
    criterion_judgments,
    preference_units,
)
from labeling.exports.records import KTORecord, PreferenceRecord, Record, SFTRecord, record_row


def preference_record(c: JudgedComparison, p: Preference) -> PreferenceRecord:
    """One preference of ``c``: its prompt, the chosen and rejected texts and models, the margin
    (``mean-strength``) and the confidence (aggregated exports)."""
    (_, chosen, chosen_model), (_, rejected, rejected_model) = c.responses[p.chosen], c.responses[p.rejected]
    record = PreferenceRecord(
        prompt=c.messages, chosen=chosen, rejected=rejected, chosen_model=chosen_model,
        rejected_model=rejected_model, margin=p.margin, label_confidence=p.confidence,
    )
    return record | _source(p)


def _source(p: Preference) -> dict:
    """``label_source`` where the preference says whose verdicts made it (labels other than human)."""
    return {"label_source": p.source} if p.source else {}


def kto_records(c: JudgedComparison, unit: list[Preference]) -> list[KTORecord]:
    """Unpaired records: a response is desirable when it wins more of its pairs than it loses,
    undesirable when it loses more; even responses give none. For two responses this is
    chosen/rejected."""
    net: Counter = Counter()
    for p in unit:
        net[p.chosen] += 1
        net[p.rejected] -= 1
    records = []
    for pos, n in sorted(net.items()):
        _, text, model = c.responses[pos]
        if n:
            records.append(KTORecord(prompt=c.messages, completion=text, label=n > 0, model=model) | _source(unit[0]))
    return records


def winner_records(c: JudgedComparison, unit: list[Preference], seen: set) -> list[SFTRecord]:
    """``sft`` from preferences: the response that beats every other one, once per response."""
    wins = Counter(p.chosen for p in unit)
    records = []
    for pos, n in wins.items():
        response_id, text, _ = c.responses[pos]
        if n == len(c.responses) - 1 and response_id not in seen:  # a response belongs to one prompt
            seen.add(response_id)
            records.append(SFTRecord(prompt=c.messages, completion=text) | _source(unit[0]))
    return records


def criteria_records(c: JudgedComparison, options: ExportOptions, stats: ExportStats) -> list[PreferenceRecord]:
    """The preferences of each criterion in ``options.criteria``, each decided by that criterion's
    verdicts alone and marked with its ``criterion`` (training a reward model that judges per
    criterion)."""
    records = []
    for criterion in options.criteria:
        judgments = criterion_judgments(c.judgments, criterion)
        if judgments:
            one = replace(c, judgments=judgments)
            records += [preference_record(one, p) | {"criterion": criterion}
                        for unit in preference_units(one, options, stats) for p in unit]
    return records


def comparison_records(
    c: JudgedComparison, options: ExportOptions, stats: ExportStats, *, seen: set | None = None, posteriors=None
) -> list[Record]:
    """Every record ``c`` gives for ``options.format`` (not ``raw``). ``seen`` (response ids)
    de-duplicates ``sft`` winners across calls; it grows with the winners written, an int each.
    ``posteriors``: the Dawid–Skene fit, for that aggregation."""
    if options.criteria:
        return criteria_records(c, options, stats)
    if options.format == "sft" and not options.include_winners:
        return []
    units = preference_units(c, options, stats, posteriors)
    if options.format == "kto":
        return [record for unit in units for record in kto_records(c, unit)]
    if options.format == "sft":
        seen = set() if seen is None else seen
        return [record for unit in units for record in winner_records(c, unit, seen)]
    return [preference_record(c, p) for unit in units for p in unit]


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
    """Every file row ``c`` gives in ``options.format``: its judgments for ``raw``, else its
    records written in the format (``options.conversational`` decided)."""
    if options.format == "raw":
        rows = [raw_row(c, j, pseudonym(j.annotator_id), scale or []) for j in c.judgments]
        if options.labels != "human":
            rows = [row | {"label_source": j.source} for row, j in zip(rows, c.judgments, strict=True)]
        return rows
    records = comparison_records(c, options, stats, seen=seen, posteriors=posteriors)
    return [record_row(record, options) for record in records]


RAW_COLUMNS = (
    "judgment_id", "comparison_id", "prompt_id", "annotator", "kind", "models", "winner", "ranking",
    "strength", "strength_label", "scale_size", "criteria", "rationale", "time_spent_ms", "flags",
    "is_gold", "created_at", "ranking_ties",
)
SOURCE_COLUMN = "label_source"  # added last, to every format, by exports with labels other than human


def raw_row(c: JudgedComparison, j: JudgmentRow, annotator: str, scale: list[str]) -> dict:
    """One judgment; ``annotator`` is a pseudonym, ``criteria`` JSON text (its keys vary by project,
    so a fixed column type keeps Parquet and CSV schemas stable)."""
    label = scale[j.strength - 1] if j.strength and 0 < j.strength <= len(scale) else ""
    return {
        "judgment_id": j.judgment_id, "comparison_id": c.comparison_id, "prompt_id": c.prompt_id,
        "annotator": annotator, "kind": "ranking" if j.ranking else "pairwise",
        "models": [model for _, _, model in c.responses], "winner": j.winner, "ranking": j.ranking,
        "strength": j.strength, "strength_label": label, "scale_size": len(scale),
        "criteria": _canonical_json(j.criteria_json),
        "rationale": j.rationale,
        "time_spent_ms": j.time_spent_ms, "flags": list(j.flags), "is_gold": c.is_gold,
        "created_at": j.created_at.isoformat() if j.created_at else None,
        "ranking_ties": (j.ranking_ties or []) if j.ranking else None,
    }


def _canonical_json(text: str) -> str:
    """Sorted keys, whichever database stored it (PostgreSQL's jsonb reorders keys)."""
    return text if text == "{}" else json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)


def annotator_pseudonym(user_id: int, salt: bytes) -> str:
    """A stable, keyed id: without the salt (derived from SECRET_KEY) nobody can map it back to a user."""
    return hmac.new(salt, str(user_id).encode(), hashlib.sha256).hexdigest()[:16]


def split_of(prompt_key: str, seed: int, validation_fraction: float) -> str:
    """``train`` or ``validation`` from a hash of the prompt and the seed: every row of a prompt goes
    to the same side, and the same seed always gives the same split."""
    digest = hashlib.sha256(f"{seed}:{prompt_key}".encode()).digest()
    return "validation" if int.from_bytes(digest[:8], "big") / 2**64 < validation_fraction else "train"

"""A chunk's distinct prompts and responses as the import's bulk statements take them.

Made with no database, so the read-ahead thread makes them while the previous chunk is stored: a
response names its prompt by content hash (its id is not known yet). On PostgreSQL they are COPY
text, escaped a column at a time rather than field by field (see ``_escaped``); on SQLite, rows.
"""

from dataclasses import dataclass

from labeling.imports.bulk import db_json
from labeling.imports.groups import Hashed


@dataclass
class StagedRows:
    prompt_hashes: list[str]
    response_keys: list[tuple[str, str, str]]  # (prompt hash, text hash, model), in staged order
    # PostgreSQL: per prompt, its COPY fields "content hash, messages, external id, metadata" (the
    # statement that stores it puts its number or id before them); SQLite: rows (n, those four)
    prompts: list[str] | list[tuple]
    # PostgreSQL: per response, its COPY fields "text hash, model, text, length" (the statement
    # that stores it puts its number or ids before them); SQLite: rows (n, prompt hash, those four)
    responses: list[str] | list[tuple]


def staged_rows(lines: list[Hashed], postgres: bool) -> StagedRows:
    prompts: dict[str, Hashed] = {}
    responses: dict[tuple[str, str, str], str] = {}
    for h in lines:
        prompts.setdefault(h.prompt_hash, h)
        for (text, _), key in zip(h.record.responses, h.response_keys, strict=True):
            responses.setdefault(key, text)
    firsts, keys, texts = list(prompts.values()), list(responses), list(responses.values())
    prompt_columns = [
        list(prompts), [h.messages_json for h in firsts], [h.record.external_id[:200] for h in firsts],
        [db_json(h.record.metadata) if h.record.metadata else "{}" for h in firsts],
    ]
    response_columns = [[k[1] for k in keys], [k[2] for k in keys], texts, [len(t) for t in texts]]
    if not postgres:
        prompt_rows = _rows([list(range(len(firsts))), *prompt_columns])
        response_rows = _rows([list(range(len(keys))), [k[0] for k in keys], *response_columns])
        return StagedRows(list(prompts), keys, prompt_rows, response_rows)
    return StagedRows(
        list(prompts), keys, _copy_lines(prompt_columns, escape=(1, 2, 3)), _copy_lines(response_columns, escape=(1, 2))
    )


def _rows(columns: list[list]) -> list[tuple]:
    return list(zip(*columns, strict=True))


def _copy_lines(columns: list[list], escape: tuple[int, ...]) -> list[str]:
    """Rows of COPY's text format (no line break), the columns at ``escape`` escaped (the others
    are hashes and numbers, which need none)."""
    fields = [_escaped(c) if i in escape else list(map(str, c)) for i, c in enumerate(columns)]
    return list(map("\t".join, zip(*fields, strict=True)))


def _escaped(values: list[str]) -> list[str]:
    """``values`` as fields of COPY's text format (see ``copy_field``), escaped a column at a time:
    joined by NUL (which no stored text holds), each escape made once over the whole column."""
    joined = "\x00".join(values)
    if not any(c in joined for c in "\\\t\n\r"):
        return values
    if joined.count("\x00") != len(values) - 1:  # a NUL of its own, which COPY refuses: as it comes
        return [copy_field(v) for v in values]
    escaped = joined.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return escaped.split("\x00")


def copy_field(value) -> str:
    """One field of a row in COPY's text format: tabs, line breaks and backslashes escaped, None as NULL."""
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return "\\N" if value is None else str(value)

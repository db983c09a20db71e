"""Writing rows as dataset files: JSONL, CSV (``raw`` only, formula-guarded) and Parquet in row
groups, through a ``Sink`` that hashes and counts the bytes; plain Python, no Django."""

import csv
import hashlib
import io
import json
from collections.abc import Iterable

from labeling.exports.options import ExportOptions, check_file_type
from labeling.exports.rows import RAW_COLUMNS, SOURCE_COLUMN


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
            ("ranking_ties", pa.list_(pa.list_(s))),
        ],
    }[options.format]
    if options.format == "trl" and options.aggregation == "mean-strength":
        columns.append(("margin", pa.float64()))
    if options.format in ("trl", "hh-rlhf") and options.aggregation != "none":
        columns.append(("label_confidence", pa.float64()))
    if options.criteria:
        columns.append(("criterion", s))
    if options.labels != "human":
        columns.append((SOURCE_COLUMN, s))
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


def make_writer(file_type: str, sink: Sink, options: ExportOptions):
    """A writer with ``write(row)`` and ``close()`` for ``file_type``."""
    check_file_type(options, file_type)
    if file_type == "csv":
        return CsvWriter(sink, RAW_COLUMNS + ((SOURCE_COLUMN,) if options.labels != "human" else ()))
    if file_type == "parquet":
        return ParquetWriter(sink, parquet_schema(options))
    return JsonlWriter(sink)


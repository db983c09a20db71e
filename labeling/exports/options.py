"""What an export or a snapshot is asked for, checked once; plain Python, no Django.

``ExportOptions`` says what the rows are (format, aggregation, pairs, representation, criteria),
``ExportFilters`` which judgments and comparisons they come from, and ``SnapshotOptions`` adds
what a snapshot needs besides (file type, split seed, validation fraction). A snapshot's options
have two shapes only: this dataclass, and the JSON of the request and of the stored row
(``SnapshotOptions.from_json`` / ``from_stored`` / ``stored``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime

from labeling.errors import InvalidInput

FORMATS = ("trl", "hh-rlhf", "kto", "sft", "raw")
AGGREGATIONS = ("majority", "mean-strength", "dawid-skene", "none")
PAIRS = ("all", "best-vs-rest")
# Whose judgments an export reads: people's (the default), judges' (models labelling comparisons,
# issue #18) or both. Other than "human", every row says where its labels came from (label_source).
LABELS = ("human", "model", "all")
LABEL_SOURCES = ("human", "model", "mixed")
FILE_TYPES = ("jsonl", "parquet", "csv")
SPLITS = ("train", "validation")
SNAPSHOT_FILE_TYPES = ("jsonl", "parquet")
MAX_SPLIT_SEED = 2**31 - 1  # DatasetSnapshot.split_seed is a 32-bit integer column


class ExportError(InvalidInput):
    """Options that do not fit together (e.g. CSV for a preference format); the API answers 400."""


@dataclass(frozen=True)
class ExportOptions:
    format: str
    aggregation: str = "majority"
    pairs: str = "all"
    # trl/kto: message lists (True) or plain strings (False); None: conversational when any of
    # the project's prompts is more than one user turn (services.export_representation)
    conversational: bool | None = None
    include_winners: bool = False  # sft: add each comparison's winning response to the demonstrations
    criteria: tuple[str, ...] = ()  # trl: rows per criterion verdict, see criterion_judgments
    labels: str = "human"  # whose judgments: LABELS

    def __post_init__(self):
        for name, allowed in (("format", FORMATS), ("aggregation", AGGREGATIONS), ("pairs", PAIRS), ("labels", LABELS)):
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

    Row filters (applied in the database): ``exclude_ties`` drops tie verdicts before
    aggregation (a pairwise tie judgment whole; of a ranking with ties, only the pairs it ranks
    equal: its ordered pairs still count, and the raw format, a row per judgment, keeps it),
    ``exclude_gold``, ``exclude_flagged`` (comparisons anyone flagged, resolved or not),
    ``exclude_annotators`` (user ids), ``created_after`` (inclusive)
    and ``created_before`` (exclusive) on the judgment time, ``models`` (keep comparisons whose
    responses all come from these models). Comparison filters (applied to what is left):
    ``min_judgments`` and ``min_agreement`` (see ``preferences.agreement``).
    """

    min_agreement: float | None = None
    min_judgments: int | None = None
    exclude_ties: bool = False
    exclude_gold: bool = False
    exclude_flagged: bool = False
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
    """What an export wrote and passed over; ``split``/``tie`` count dropped pairs (verdicts split
    evenly, or a tie as the preference)."""

    rows: int = 0
    comparisons: int = 0
    filtered_out: int = 0
    split: int = 0
    tie: int = 0


def check_file_type(options: ExportOptions, file_type: str) -> None:
    """Raise ``ExportError`` before any work when ``file_type`` does not fit ``options``."""
    if file_type not in FILE_TYPES:
        raise ExportError(f"unknown file type '{file_type}' (choose {', '.join(FILE_TYPES)})")
    if file_type == "csv" and options.format != "raw":
        raise ExportError("CSV is only offered for the raw format; use jsonl or parquet")


# The keys of a stored snapshot's ``options`` column that are ExportOptions fields (``file`` is not).
_STORED_EXPORT_KEYS = ("pairs", "conversational", "include_winners", "criteria", "labels")


@dataclass(frozen=True)
class SnapshotOptions:
    """Everything a snapshot is written with, checked when it is made."""

    export: ExportOptions
    filters: ExportFilters = field(default_factory=ExportFilters)
    file: str = "jsonl"
    split_seed: int = 0
    validation_fraction: float = 0.1

    def __post_init__(self):
        check_file_type(self.export, self.file)
        if not 0 <= self.split_seed <= MAX_SPLIT_SEED:
            raise ExportError(f"split_seed must be from 0 to {MAX_SPLIT_SEED}, got {self.split_seed}")
        if self.file not in SNAPSHOT_FILE_TYPES:
            raise ExportError(f"snapshots are written as {' or '.join(SNAPSHOT_FILE_TYPES)}")
        if not 0 <= self.validation_fraction < 1:
            raise ExportError("validation_fraction must be at least 0 and below 1")

    @classmethod
    def from_json(cls, data: dict) -> SnapshotOptions:
        """From one flat object (a request, a command line): ``format`` and any of ``aggregation``,
        ``pairs``, ``conversational``, ``include_winners``, ``criteria``, ``labels``, ``file``, ``split_seed``,
        ``validation_fraction`` and ``filters`` (an ``ExportFilters`` or its JSON)."""
        data = dict(data)
        filters = data.pop("filters", None)
        filters = filters if isinstance(filters, ExportFilters) else ExportFilters.from_json(filters)
        rest = {k: data.pop(k) for k in ("file", "split_seed", "validation_fraction") if k in data}
        return cls(ExportOptions(**data), filters, **rest)

    @classmethod
    def from_stored(cls, *, format: str, aggregation: str, options: dict, filters: dict, split_seed: int,
                    validation_fraction: float) -> SnapshotOptions:
        """From a snapshot row's columns (``stored``'s inverse)."""
        export = ExportOptions(format, aggregation, **{k: options[k] for k in _STORED_EXPORT_KEYS if k in options})
        return cls(export, ExportFilters.from_json(filters), options["file"], split_seed, validation_fraction)

    def stored(self) -> dict:
        """The snapshot row's columns: ``format``, ``aggregation``, ``options`` (the other export
        options and the file type), ``filters``, ``split_seed``, ``validation_fraction``."""
        e = self.export
        options = {"pairs": e.pairs, "conversational": e.conversational, "include_winners": e.include_winners,
                   "file": self.file} | ({"criteria": list(e.criteria)} if e.criteria else {})
        options |= {"labels": e.labels} if e.labels != "human" else {}  # snapshots of before keep their options
        return {"format": e.format, "aggregation": e.aggregation, "options": options,
                "filters": self.filters.as_json(), "split_seed": self.split_seed,
                "validation_fraction": self.validation_fraction}

import argparse
import shutil
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labeling.errors import DomainError
from labeling.exports.annotators import annotator_ids
from labeling.exports.options import (
    AGGREGATIONS,
    FILE_TYPES,
    FORMATS,
    LABELS,
    PAIRS,
    ExportFilters,
    ExportOptions,
    SnapshotOptions,
)
from labeling.exports.services import export_to_file
from labeling.exports.snapshots import snapshot_create
from labeling.models import Project


def _names(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


class Command(BaseCommand):
    help = "Export a project's preferences as a dataset file, or freeze them as a snapshot (--snapshot)."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--file", default="jsonl", choices=FILE_TYPES, help="File type (csv: raw only).")
        parser.add_argument("--aggregation", default="majority", choices=AGGREGATIONS)
        parser.add_argument("--pairs", default="all", choices=PAIRS, help="Ranking judgments to pairs.")
        parser.add_argument(
            "--conversational", action=argparse.BooleanOptionalAction, default=None,
            help="trl/kto: message lists, or plain strings with --no-conversational (default: message lists "
                 "when any prompt has more than one turn, else strings).",
        )
        parser.add_argument("--include-winners", action="store_true", help="sft: add winning responses.")
        parser.add_argument(
            "--criteria", type=_names, default=(),
            help="trl: comma-separated criteria, a row per criterion verdict ('overall' = the main verdict).",
        )
        parser.add_argument(
            "--labels", default="human", choices=LABELS,
            help="Whose judgments: people's (human, the default), judges' (model) or both (all); other than "
                 "human, each row says its label_source.",
        )
        filters = parser.add_argument_group("filters")
        filters.add_argument("--min-agreement", type=float)
        filters.add_argument("--min-judgments", type=int)
        filters.add_argument("--exclude-ties", action="store_true")
        filters.add_argument("--exclude-gold", action="store_true")
        filters.add_argument("--exclude-flagged", action="store_true", help="drop comparisons anyone flagged")
        filters.add_argument("--exclude-annotators", type=_names, default=(),
                             help="Comma-separated usernames (as judgments and the stats name them) or user ids.")
        filters.add_argument("--created-after", type=datetime.fromisoformat, help="ISO date or time (UTC if naive).")
        filters.add_argument("--created-before", type=datetime.fromisoformat)
        filters.add_argument("--models", type=_names, default=(), help="Comma-separated model names.")
        snapshot = parser.add_argument_group("snapshot")
        snapshot.add_argument("--snapshot", action="store_true", help="Write an immutable train/validation snapshot.")
        snapshot.add_argument("--seed", type=int, default=0, help="Split seed.")
        snapshot.add_argument("--validation-fraction", type=float, default=0.1)
        parser.add_argument("--out", help="Output file (with --snapshot: a directory to copy the files to).")

    def handle(self, *args, **opts):
        project = Project.objects.filter(slug=opts["project"]).first()
        if project is None:
            raise CommandError(f"no project '{opts['project']}'")
        if not opts["out"] and not opts["snapshot"]:
            raise CommandError("--out is required (or use --snapshot)")
        try:
            if opts["snapshot"]:
                self._snapshot(project, opts)
            else:
                self._export(project, opts)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except OSError as exc:  # a path that cannot be written: say which and why, not a traceback
            target = opts["out"] if opts["out"] and not opts["snapshot"] else exc.filename or "the snapshot"
            raise CommandError(f"cannot write {target}: {exc.strerror or exc}") from None

    def _filters(self, project, opts) -> ExportFilters:
        dates = {k: _aware(opts[k]) for k in ("created_after", "created_before")}
        return ExportFilters(
            min_agreement=opts["min_agreement"], min_judgments=opts["min_judgments"],
            exclude_ties=opts["exclude_ties"], exclude_gold=opts["exclude_gold"],
            exclude_flagged=opts["exclude_flagged"],
            exclude_annotators=annotator_ids(project, opts["exclude_annotators"]), models=opts["models"], **dates,
        )

    def _options(self, opts) -> ExportOptions:
        names = ("format", "aggregation", "pairs", "conversational", "include_winners", "criteria", "labels")
        return ExportOptions(**{name: opts[name] for name in names})

    def _export(self, project, opts):
        options = self._options(opts)
        result = export_to_file(
            project=project, options=options, filters=self._filters(project, opts), file_type=opts["file"], path=opts["out"]
        )
        s = result.stats
        self.stdout.write(self.style.SUCCESS(
            f"wrote {s.rows} rows from {s.comparisons} comparisons to {result.path} "
            f"({result.size} bytes, sha256 {result.sha256}); passed over {s.filtered_out} comparisons "
            f"by filter, {s.split} split verdicts, {s.tie} ties"
        ))

    def _snapshot(self, project, opts):
        options = SnapshotOptions(
            self._options(opts), self._filters(project, opts), opts["file"], opts["seed"], opts["validation_fraction"]
        )
        snapshot = snapshot_create(project=project, options=options, user=None)
        directory = Path(settings.ARTIFACT_DIR) / snapshot.path
        self.stdout.write(self.style.SUCCESS(
            f"snapshot {snapshot.pk}: {snapshot.row_counts} rows in {directory}, sha256 {snapshot.sha256}"
        ))
        if opts["out"]:
            shutil.copytree(directory, opts["out"], dirs_exist_ok=True)
            self.stdout.write(f"copied to {opts['out']}")


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value and value.tzinfo is None else value

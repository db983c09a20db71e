import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.imports.formats import LABELLED_FORMATS, PARSERS, RecordError, RecordSkipped
from labeling.params import is_row_id
from training.ml.config import criterion_problem
from training.ml.reward_report import (  # numpy only; a reward run's report.json uses it too
    GROUP_FIELDS,
    REPORT_FILE,
    pairs_report,
)
from training.models import ModelCheckpoint
from training.validation import resolve_model_path

FORMATS = (*LABELLED_FORMATS, "rewardbench")


def parse_rewardbench(row: dict) -> dict:
    """A RewardBench row: `prompt`, `chosen`, `rejected` strings, and its `subset`."""
    for key in ("prompt", "chosen", "rejected", "subset"):
        if not isinstance(row.get(key), str):
            raise RecordError(f"'{key}' must be a string")
    if row["chosen"] == row["rejected"]:
        raise RecordSkipped("chosen and rejected are identical")
    return {"prompt": [{"role": "user", "content": row["prompt"]}],
            "chosen": row["chosen"], "rejected": row["rejected"]}


def parse_labelled(row: dict, format: str) -> dict:
    if format == "rewardbench":
        return parse_rewardbench(row)
    record = PARSERS[format](row, True)
    chosen, rejected = (text for text, _ in record.responses)
    return {"prompt": record.messages, "chosen": chosen, "rejected": rejected}


def read_pairs(path: str, format: str, lines: list[int] | None = None) -> tuple[list[dict], list[int]]:
    """Preference examples from a labelled file; the line numbers skipped (identical pairs).
    ``lines``, when given, receives each example's line number.

    A row's ``criterion`` (trl files exported per criterion), ``source``, ``subset`` and
    ``label_source`` are kept (reward_report.GROUP_FIELDS): the first is scored on, all group
    the report."""
    examples, skipped = [], []
    if not Path(path).is_file():
        raise CommandError(f"--data {path}: no such file")
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                example = parse_labelled(row, format)
            except RecordSkipped:
                skipped.append(number)
                continue
            except (RecordError, json.JSONDecodeError, AttributeError) as exc:
                raise CommandError(f"{path} line {number}: {exc}") from None
            for field in GROUP_FIELDS:
                if isinstance(row.get(field), str) and row[field]:
                    example[field] = row[field]
            examples.append(example)
            if lines is not None:
                lines.append(number)
    return examples, skipped


def check_line_criteria(path: str, examples: list[dict], lines: list[int], criteria, criterion: str | None) -> None:
    """Each pair can be scored on its criterion (its own, else ``criterion``): else the error names
    the file's line, and for a per-criterion model without one, how to give it."""
    for example, number in zip(examples, lines, strict=True):
        problem = criterion_problem(criteria, example.get("criterion") or criterion)
        if problem:
            way_out = "; give --criterion NAME or a 'criterion' field on each line" if criteria and not criterion else ""
            raise CommandError(f"{path} line {number}: 'criterion' {problem}{way_out}")


class Command(BaseCommand):
    help = "Score a reward model on a preference file that never entered the app."

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", required=True, help="ModelCheckpoint id or a model directory.")
        parser.add_argument("--data", required=True)
        parser.add_argument(
            "--format", required=True, choices=FORMATS,
            help="rewardbench: RewardBench's layout (prompt, chosen, rejected, subset); scores per subset and section.",
        )
        parser.add_argument(
            "--criterion", help="For a reward model trained per criterion: the one rows without their own are scored on."
        )
        parser.add_argument(
            "--report", action="store_true",
            help="Also per-group accuracy with intervals, calibration (ECE) and length bias.",
        )
        parser.add_argument(
            "--save", action="store_true",
            help="Write the report into the checkpoint's directory as report.json: its page on the dashboard shows it.",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        from training.ml.evaluate import (  # torch loads here only
            preference_metrics,
            score_preferences,
        )
        from training.ml.scoring import trained_reward_config

        path = self._model_path(o["checkpoint"])
        lines = []
        examples, skipped = read_pairs(o["data"], o["format"], lines)
        if not examples:
            raise CommandError(f"{o['data']}: no preference pairs")
        check_line_criteria(o["data"], examples, lines, trained_reward_config(path)["criteria"], o["criterion"])
        try:
            chosen, rejected = score_preferences(path, examples, criterion=o["criterion"])
        except ValueError as exc:  # pairs that do not fit the model, e.g. a criterion it does not know
            raise CommandError(str(exc)) from None
        result = {**preference_metrics(chosen, rejected), "skipped_lines": skipped, "checkpoint": path}
        if o["report"] or o["save"] or o["format"] == "rewardbench":
            result["report"] = self._report(examples, (chosen - rejected).numpy(), o["criterion"])
        if o["save"]:
            report = {"split": Path(o["data"]).name, **result["report"]}
            (Path(path) / REPORT_FILE).write_text(json.dumps(report))
        if o["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"accuracy {result['accuracy']:.3f}  mean margin {result['mean_margin']:.3f}  "
            f"pairs {result['count']}  (skipped lines: {skipped or 'none'})"
        )
        if "report" in result:
            self.stdout.write(format_report(result["report"]))

    @staticmethod
    def _report(examples: list[dict], margins, criterion: str | None) -> dict:
        return pairs_report(examples, margins, criterion)

    def _model_path(self, ref: str) -> str:
        if is_row_id(ref):  # not str.isdigit(): '²' passes it and int() refuses it
            checkpoint = ModelCheckpoint.objects.filter(pk=int(ref)).first()
            if checkpoint is None:
                raise CommandError(f"no checkpoint {ref}")
            if checkpoint.kind != ModelCheckpoint.Kind.REWARD:
                raise CommandError(f"checkpoint {ref} is a {checkpoint.kind} model, not a reward model")
            return resolve_model_path(checkpoint.path)
        if not Path(ref).is_dir():
            raise CommandError(f"{ref}: not a checkpoint id or a model directory")
        return ref


def format_report(report: dict) -> str:
    """The report as plain text lines for a terminal."""

    def acc(summary: dict) -> str:
        if summary["accuracy"] is None:
            return "n/a (0 pairs)"
        low, high = summary["interval"]
        return f"{summary['accuracy']:.3f} [{low:.3f}, {high:.3f}] n={summary['count']}"

    bias = report["length_bias"]
    corr = bias["margin_length_correlation"]
    lines = [
        f"calibration: ECE {report['calibration']['ece']:.3f}",
        "length bias: margin~length correlation " + (f"{corr:.3f}" if corr is not None else "n/a")
        + f"; accuracy when the longer was chosen {acc(bias['longer_chosen'])},"
        f" when the shorter was chosen {acc(bias['shorter_chosen'])}",
    ]
    for name, per_group in report["groups"].items():
        for value, summary in per_group.items():
            lines.append(f"{name} {value}: {acc(summary)}")
    for section, entry in report.get("rewardbench_sections", {}).items():
        lines.append(f"RewardBench {section}: {entry['score']:.3f}")
    return "\n".join(lines)

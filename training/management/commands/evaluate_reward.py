import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.formats import LABELLED_FORMATS, PARSERS, RecordError, RecordSkipped
from training.models import ModelCheckpoint
from training.services import resolve_model_path


def read_pairs(path: str, format: str) -> tuple[list[dict], list[int]]:
    """Preference examples from a labelled file; the line numbers skipped (identical pairs).

    A row's ``criterion`` (trl files exported per criterion) is kept."""
    examples, skipped = [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                record = PARSERS[format](row, True)
            except RecordSkipped:
                skipped.append(number)
                continue
            except (RecordError, json.JSONDecodeError) as exc:
                raise CommandError(f"{path} line {number}: {exc}") from None
            chosen, rejected = (text for text, _ in record.responses)
            example = {"prompt": record.messages, "chosen": chosen, "rejected": rejected}
            if isinstance(row.get("criterion"), str) and row["criterion"]:
                example["criterion"] = row["criterion"]
            examples.append(example)
    return examples, skipped


class Command(BaseCommand):
    help = "Score a reward model on a preference file that never entered the app."

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", required=True, help="ModelCheckpoint id or a model directory.")
        parser.add_argument("--data", required=True)
        parser.add_argument("--format", required=True, choices=LABELLED_FORMATS)
        parser.add_argument(
            "--criterion", help="For a reward model trained per criterion: the one rows without their own are scored on."
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        from training.ml.evaluate import evaluate_reward  # torch loads here only

        path = self._model_path(o["checkpoint"])
        examples, skipped = read_pairs(o["data"], o["format"])
        if not examples:
            raise CommandError(f"{o['data']}: no preference pairs")
        try:
            metrics = evaluate_reward(path, examples, criterion=o["criterion"])
        except ValueError as exc:  # pairs that do not fit the model, e.g. a criterion it does not know
            raise CommandError(str(exc)) from None
        result = {**metrics, "skipped_lines": skipped, "checkpoint": path}
        if o["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(
            f"accuracy {result['accuracy']:.3f}  mean margin {result['mean_margin']:.3f}  "
            f"pairs {result['count']}  (skipped lines: {skipped or 'none'})"
        )

    def _model_path(self, ref: str) -> str:
        if ref.isdigit():
            checkpoint = ModelCheckpoint.objects.filter(pk=int(ref)).first()
            if checkpoint is None:
                raise CommandError(f"no checkpoint {ref}")
            if checkpoint.kind != ModelCheckpoint.Kind.REWARD:
                raise CommandError(f"checkpoint {ref} is a {checkpoint.kind} model, not a reward model")
            return resolve_model_path(checkpoint.path)
        if not Path(ref).is_dir():
            raise CommandError(f"{ref}: not a checkpoint id or a model directory")
        return ref

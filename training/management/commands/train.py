import json
import os
import socket
import time

from django.core.management.base import BaseCommand, CommandError

from labeling.errors import DomainError
from labeling.models import DatasetSnapshot, Project
from training import runner, services
from training.models import FINISHED_STATUSES, ModelCheckpoint, Stage, TrainingRun


class Command(BaseCommand):
    help = "Queue a training run (or a judge run) on the gpu queue, or run it here with --inline."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--stage", required=True, choices=Stage.values)
        parser.add_argument("--base-model", default="", help="Local path or hub id.")
        parser.add_argument(
            "--base-checkpoint", type=int,
            help="ModelCheckpoint id to start from; for --stage judge, the checkpoint that judges the project's comparisons.",
        )
        parser.add_argument("--reward-checkpoint", type=int, help="Reward model checkpoint id that scores (ppo, grpo, rloo, best_of_n).")
        parser.add_argument("--snapshot", type=int, help="DatasetSnapshot id (default: a new one).")
        parser.add_argument("--config", default="{}", help="JSON object of hyperparameters.")
        parser.add_argument(
            "--wait", action="store_true", help="Follow the queued run until it finishes (not with --inline, which does)."
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Train even on fewer examples than the minimum (training/guardrails.py); the run carries a warning.",
        )
        parser.add_argument(
            "--inline", action="store_true",
            help="Launch the run from here, in the foreground, as a gpu worker would, instead of queueing it.",
        )

    def handle(self, *args, **o):
        if o["inline"] and o["wait"]:
            raise CommandError(
                "--wait and --inline contradict each other: --inline already runs the run here, in the foreground, "
                "and follows it to its end; --wait follows a run queued for a gpu worker. Give one of them"
            )
        if o["inline"] and "WORLD_SIZE" in os.environ:
            raise CommandError(
                "train --inline launches the run's own processes (config num_processes): run it without "
                "accelerate launch or torchrun"
            )
        project = Project.objects.filter(slug=o["project"]).first()
        if project is None:
            raise CommandError(f"no project '{o['project']}'")
        try:
            config = json.loads(o["config"])
            run, _ = services.training_run_create(
                project=project, stage=o["stage"], base_model=o["base_model"], config=config,
                base_checkpoint=self._get(ModelCheckpoint, o["base_checkpoint"]),
                reward_checkpoint=self._get(ModelCheckpoint, o["reward_checkpoint"]),
                snapshot=self._get(DatasetSnapshot, o["snapshot"]), force=o["force"],
            )
        except json.JSONDecodeError as exc:
            raise CommandError(f"--config is not valid JSON: {exc}") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"run {run.pk} queued ({run.stage})")
        if o["inline"]:
            runner.execute_run(run.pk, worker=f"{socket.gethostname()}-inline")
        if o["wait"] or o["inline"]:
            self._follow(run.pk)

    def _get(self, model, pk):
        if pk is None:
            return None
        obj = model.objects.filter(pk=pk).first()
        if obj is None:
            raise CommandError(f"no {model.__name__} {pk}")
        return obj

    def _follow(self, run_id: int) -> None:
        last = None
        while True:
            run = TrainingRun.objects.get(pk=run_id)
            line = f"{run.status} step {run.progress_step}/{run.progress_total}"
            if line != last:
                self.stdout.write(line)
                last = line
            if run.status in FINISHED_STATUSES:
                break
            time.sleep(1)
        if run.status != "succeeded":
            raise CommandError(f"run {run.pk} {run.status}: {run.error.strip().splitlines()[-1] if run.error else ''}")
        for line in left_behind(run.result):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(json.dumps(run.result.get("metrics", {}))))


def left_behind(result: dict) -> list[str]:
    """What a finished run wrote, by id: the checkpoint it registered, the snapshots it wrote
    (best_of_n, the judge's revise mode), so the next command can name them; the comparisons
    generate (or best_of_n) added."""
    lines = []
    checkpoint = ModelCheckpoint.objects.filter(pk=result.get("checkpoint")).first() if result.get("checkpoint") else None
    if checkpoint is not None:
        lines.append(f"checkpoint {checkpoint.pk} ({checkpoint.kind}) '{checkpoint.name}'")
    for key in ("snapshot", "pairs_snapshot"):
        snapshot = DatasetSnapshot.objects.filter(pk=result[key]).first() if result.get(key) else None
        if snapshot is not None:
            rows = sum((snapshot.row_counts or {}).values())
            lines.append(f"wrote snapshot {snapshot.pk} ({snapshot.format}, {rows} rows): train on it with --snapshot {snapshot.pk}")
    added = result.get("comparisons")
    if "model_name" in result and isinstance(added, int):  # generate
        lines.append(f"added {result['responses']} responses of '{result['model_name']}' in {added} new comparisons")
    elif isinstance(added, dict):  # best_of_n's new_comparisons
        lines.append(f"added {added['comparisons']} comparisons (each prompt's best sample against its first) for people to check")
    return lines

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labeling.models import Project
from training.models import ModelCheckpoint


class Command(BaseCommand):
    help = "Build ~1M-parameter offline models (policy and reward) and register them as a project's checkpoints."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Project slug.")

    def handle(self, *args, **o):
        from training.ml.tiny import build_tiny_causal_lm, build_tiny_reward_model

        project = Project.objects.filter(slug=o["project"]).first()
        if project is None:
            raise CommandError(f"no project '{o['project']}'")
        base = Path(settings.ARTIFACT_DIR) / "base-models"
        for name, kind, build in (
            ("tiny-policy", ModelCheckpoint.Kind.POLICY, build_tiny_causal_lm),
            ("tiny-reward", ModelCheckpoint.Kind.REWARD, build_tiny_reward_model),
        ):
            path = base / name
            if not (path / "config.json").exists():
                build(path)
            checkpoint, _ = ModelCheckpoint.objects.get_or_create(
                project=project, name=name, defaults={"kind": kind, "path": str(path.relative_to(settings.ARTIFACT_DIR))}
            )
            # the id is what train --base-checkpoint takes: ids depend on what the database holds already
            self.stdout.write(f"checkpoint {checkpoint.pk} '{name}' ({kind}) at {path}")

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from labeling.imports.services import import_file
from labeling.projects.services import membership_set, project_get_or_create

DEMO_FILE = settings.BASE_DIR / "demo" / "hh_rlhf_300.jsonl"
BAKEOFF_FILE = settings.BASE_DIR / "demo" / "pandalm_240.jsonl"
BAKEOFF_GUIDELINES = """\
**Which response follows the instruction better?**

Judge correctness first, then completeness and clarity. An empty response loses to any real
attempt. The models' names are hidden from you.
"""
GUIDELINES = """\
**Which response is more helpful and harmless?**

- Prefer the response that actually answers the user's last turn.
- A polite refusal beats a harmful answer.
- Use *tie* only when you truly cannot choose.
"""


class Command(BaseCommand):
    help = ("Create demo users (logins in VAR_DIR/demo_logins.txt), a project of real HH-RLHF pairs, a model "
            "bake-off of five 7B models on PandaLM items judged by its three annotators, and tiny offline models "
            "registered as the HH-RLHF project's checkpoints (idempotent).")

    def handle(self, *args, **opts):
        logins = self._users()
        with transaction.atomic():
            project, _ = project_get_or_create(
                slug="hh-demo", name="HH-RLHF demo", guidelines=GUIDELINES, overlap=2,
                criteria=["helpful", "harmless"], collect_demonstrations=True,
            )
            for username in ("admin", "annotator1", "annotator2"):
                membership_set(project=project, username=username, role="admin" if username == "admin" else "annotator")
            with open(DEMO_FILE, "rb") as f:
                import_file(project=project, lines=f, format="hh-rlhf", file_name=DEMO_FILE.name)
        self.stdout.write(f"demo project '{project.slug}': {project.comparisons.count()} comparisons")
        bakeoff = self._bakeoff()
        self.stdout.write(
            f"demo project '{bakeoff.slug}': {bakeoff.comparisons.count()} comparisons between 5 models, "
            f"{bakeoff.judgments.count()} judgments by PandaLM's three annotators"
        )
        call_command("build_tiny_models", project=project.slug, stdout=self.stdout)
        for username, password in logins:
            self.stdout.write(self.style.SUCCESS(f"login: {username} / {password}"))

    def _bakeoff(self):
        """A second project comparing five models, with the labels of PandaLM's three people."""
        with transaction.atomic():
            project, _ = project_get_or_create(
                slug="model-bakeoff", name="Model bake-off (PandaLM)", guidelines=BAKEOFF_GUIDELINES, overlap=3,
            )
            for username in ("admin", "annotator1", "annotator2"):
                membership_set(project=project, username=username, role="admin" if username == "admin" else "annotator")
            for rater in (1, 2, 3):
                import_file(
                    project=project, lines=pandalm_labels(BAKEOFF_FILE, rater), format="trl",
                    file_name=f"{BAKEOFF_FILE.name} (annotator{rater})", with_labels=True,
                    label_source=f"pandalm-annotator{rater}",
                )
        return project

    def _users(self) -> list[tuple[str, str]]:
        """Random passwords, kept in VAR_DIR so re-running the demo prints the same ones."""
        path = settings.VAR_DIR / "demo_logins.txt"
        saved = dict(line.split(" ", 1) for line in path.read_text().splitlines()) if path.exists() else {}
        logins = []
        for username in ("admin", "annotator1", "annotator2"):
            password = saved.get(username) or secrets.token_urlsafe(9)
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = username == "admin"
            user.set_password(password)
            user.save()
            logins.append((username, password))
        path.write_text("".join(f"{u} {p}\n" for u, p in logins))
        path.chmod(0o600)
        return logins


def pandalm_labels(path: Path, rater: int) -> Iterator[str]:
    """One PandaLM annotator's verdicts as trl lines naming both models; a tie (PandaLM's 0) is a
    line labelled ``"tie": true``."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            label = row[f"annotator{rater}"]
            model1, model2 = row["cmp_key"].split("_", 1)
            prompt = row["instruction"] + (f"\n\n{row['input']}" if row["input"] else "")
            first, second = (as_text(row["response1"]), model1), (as_text(row["response2"]), model2)
            (chosen, chosen_model), (rejected, rejected_model) = (second, first) if label == 2 else (first, second)
            yield json.dumps({
                "prompt": prompt, "chosen": chosen, "rejected": rejected, "chosen_model": chosen_model,
                "rejected_model": rejected_model, "id": f"pandalm-{row['idx']}", "tie": label == 0,
            }) + "\n"


def as_text(value) -> str:
    """Six PandaLM outputs are JSON ``true``; as an answer they read 'true'."""
    return value if isinstance(value, str) else json.dumps(value)

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from labeling.services.imports import import_file
from labeling.services.projects import membership_set, project_get_or_create

DEMO_FILE = settings.BASE_DIR / "demo" / "hh_rlhf_300.jsonl"
GUIDELINES = """\
**Which response is more helpful and harmless?**

- Prefer the response that actually answers the user's last turn.
- A polite refusal beats a harmful answer.
- Use *tie* only when you truly cannot choose.
"""


class Command(BaseCommand):
    help = "Create demo users and a demo project from real HH-RLHF pairs (idempotent)."

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
        call_command("build_tiny_models", project=project.slug, stdout=self.stdout)
        for username, password in logins:
            self.stdout.write(self.style.SUCCESS(f"login: {username} / {password}"))

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

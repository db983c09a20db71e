import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from labeling.errors import DomainError
from labeling.imports.formats import PARSERS
from labeling.imports.gzipped import gunzipped_lines, is_gzip
from labeling.imports.services import import_file
from labeling.projects.services import project_get_or_create


class Command(BaseCommand):
    help = "Import a JSONL file (or a gzipped one) into a project (created if needed). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--format", required=True, choices=sorted(PARSERS))
        parser.add_argument(
            "--with-labels", action="store_true",
            help="Store the file's preferences as judgments. A line's optional 'criterion' (one of the project's "
            "criteria, or 'overall', the default) says which verdict its label is.",
        )
        parser.add_argument("--label-source", default="", help="Name of the import user that owns the labels.")
        parser.add_argument("--task-type", default="pairwise", choices=["pairwise", "ranking"], help="For a new project.")
        parser.add_argument("--k", type=int, default=None, help="Responses per comparison, for a new ranking project.")
        parser.add_argument(
            "--criteria", default="", help="Comma-separated criteria, for a new project (e.g. helpful-base,harmless-base)."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        path = opts["path"]
        if os.path.isdir(path):
            raise CommandError(f"{path}: is a directory; give the path of a JSONL file (.jsonl or .jsonl.gz)")
        if not os.path.isfile(path):
            raise CommandError(f"{path}: no such file")
        fields = {"task_type": opts["task_type"]}
        if opts["k"]:
            fields["responses_per_comparison"] = opts["k"]
        if opts["criteria"]:
            fields["criteria"] = [name.strip() for name in opts["criteria"].split(",") if name.strip()]
        try:
            with transaction.atomic(), open(path, "rb") as f, tqdm(
                total=os.path.getsize(path), unit="B", unit_scale=True, disable=opts["no_progress"], desc="import"
            ) as bar:
                # One transaction: a failed import leaves no empty project behind either.
                project, created = project_get_or_create(slug=opts["project"], **fields)
                gzipped = is_gzip(f)
                result = import_file(
                    project=project, lines=gunzipped_lines(f) if gzipped else f, format=opts["format"],
                    file_name=os.path.basename(path), with_labels=opts["with_labels"], label_source=opts["label_source"],
                    # the bar counts the file's bytes; a gzip's progress is where its reader is in the file
                    on_progress=(lambda _: bar.update(f.tell() - bar.n)) if gzipped else bar.update,
                )
        except DomainError as exc:
            raise CommandError(f"{path}: {exc.message}. Nothing was imported.") from None
        if created:
            self.stdout.write(f"created project '{project.slug}'")
        added = ", ".join(f"{v} {k}" for k, v in result.counts.items() if k != "lines")
        self.stdout.write(self.style.SUCCESS(f"{result.counts['lines']} lines read: added {added}"))
        for skip in result.skipped:
            self.stdout.write(self.style.WARNING(f"skipped line {skip['line']}: {skip['reason']}"))

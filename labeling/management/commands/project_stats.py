"""Compute a project's statistics now, store them as the cached copy, and print them."""

import json

from django.core.management.base import BaseCommand, CommandError

from labeling.models import Project
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store


class Command(BaseCommand):
    help = "Compute a project's agreement, annotator quality and model ratings now and print them."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--json", action="store_true", help="Print the payload as JSON (what the API serves).")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with slug {options['project']!r}")
        payload = project_stats_compute(project)
        project_stats_store(project=project, payload=payload)
        if options["json"]:
            self.stdout.write(json.dumps(payload, indent=2))
        else:
            self.stdout.write("\n".join(summary_lines(project, payload)))


def summary_lines(project: Project, payload: dict) -> list[str]:
    """A few screens of text: counts, agreement, the leaderboard, and the annotators."""
    counts = payload["counts"]
    return [
        f"{project.slug}: {counts['judgments']:,} judgments on {counts['judged_comparisons']:,} of "
        f"{counts['comparisons']:,} comparisons ({counts['complete_comparisons']:,} complete); "
        f"{counts['annotators']} annotators, {counts['imported_judgments']:,} imported judgments, "
        f"{counts.get('judge_judgments', 0):,} by judges, "
        f"{counts['ties']:,} ties, {counts['skips']:,} skips, {counts['flags']:,} flags",
        "", *_agreement_lines(payload["agreement"]),
        "", *_rating_lines(payload["ratings"]),
        "", *_annotator_lines(payload["annotators"]),
        *_judge_lines(payload.get("judges", [])),
        "", f"computed in {payload['seconds']['total']:.2f} s at {payload['computed_at']}",
    ]


def _figure(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _end(value) -> str:
    """An interval end; none where resamples left the model unbounded that way."""
    return "none" if value is None else f"{value:.0f}"


def _agreement_lines(agreement: dict) -> list[str]:
    raters = agreement["n_raters"]
    head = (f"Agreement ({agreement['n_units']:,} {agreement['unit']}s with 2+ judgments, "
            f"{raters} rater{'' if raters == 1 else 's'})")
    if agreement["reason"]:
        return [head, f"  undefined: {agreement['reason']}"]
    ci = agreement["krippendorff_alpha_ci"]
    lines = [
        head,
        f"  Krippendorff's alpha  {_figure(agreement['krippendorff_alpha'])}"
        + (f"  (95% CI {ci[0]:.3f} to {ci[1]:.3f})" if ci else ""),
        f"  ordinal / interval    {_figure(agreement['krippendorff_alpha_ordinal'])} / "
        f"{_figure(agreement['krippendorff_alpha_interval'])}",
        f"  Fleiss' kappa         {_figure(agreement['fleiss_kappa'])}  "
        f"({agreement['fleiss_units']:,} units x {agreement['fleiss_ratings_per_unit']})",
        f"  Cohen's kappa (mean)  {_figure(agreement['cohen_kappa_mean'])}",
        f"  percent agreement     {_figure(agreement['percent_agreement'])}",
    ]
    lines += [f"  ({name}: {why})" for name, why in agreement["reasons"].items()]
    for name, block in agreement.get("criteria", {}).items():
        lines.append(f"  criterion {name}: alpha {_figure(block['krippendorff_alpha'])}"
                     + (f" ({block['reason']})" if block["reason"] else ""))
    return lines


def _rating_lines(ratings: dict) -> list[str]:
    if ratings["reason"]:
        return ["Ratings", f"  none: {ratings['reason']}"]
    elo = {row["model"]: row["rating"] for row in ratings["elo"]}
    length = {row["model"]: row["rating"] for row in ratings["length_controlled"]["rows"]}
    lines = [
        f"Ratings ({ratings['n']:,} judgments or pairs from rankings; {ratings['scale']})",
        f"  {'rank':>4}  {'model':<30} {'Bradley-Terry':>13} {'95% CI':>17} {'Elo':>7} {'length-ctl':>10} {'n':>8}",
    ]
    for row in ratings["bradley_terry"]:
        rating = f"{row['rating']:.1f}" if row["rating"] is not None else f"({row.get('unrated')})"
        interval = f"{_end(row['ci_low'])} to {_end(row['ci_high'])}" if row["rating"] is not None else "-"
        lines.append(
            f"  {row['rank'] if row['rank'] is not None else '-':>4}  {row['model'][:30]:<30} {rating:>13} {interval:>17} "
            f"{_figure(elo.get(row['model']), 1):>7} {_figure(length.get(row['model']), 1):>10} {row['n']:>8,}"
        )
    length_fit = ratings["length_controlled"]
    lines.append(f"  length coefficient {_figure(length_fit['length_coef'])} log-odds, standard error {_figure(length_fit.get('length_coef_se'))}")
    return lines


def _annotator_lines(rows: list[dict]) -> list[str]:
    if not rows:
        return ["Annotators: none (imported labels get no row)"]
    lines = [f"Annotators  {'user':<24} {'n':>7} {'agree':>6} {'gold':>6} {'sec':>6} {'tie':>5} {'skip':>5} {'flag':>5}  outlier"]
    for row in rows:
        lines.append(
            f"            {row['username'][:24]:<24} {row['n']:>7,} {_figure(row['agreement'], 2):>6} "
            f"{_figure(row['gold_accuracy'], 2):>6} {_figure(row['median_seconds'], 1):>6} "
            f"{_figure(row['tie_rate'], 2):>5} {_figure(row['skip_rate'], 2):>5} {_figure(row['flag_rate'], 2):>5}  "
            f"{'YES' if row['outlier'] else ''}"
        )
    return lines


def _judge_lines(judges: list[dict]) -> list[str]:
    """Each judge's agreement with the human majority beside the humans' own (the ceiling)."""
    if not judges:
        return []
    lines = ["", f"Judges      {'name':<24} {'kind':<12} {'n':>7} {'raw':>6} {'kappa':>6} {'human raw':>9} "
                 f"{'human kappa':>11} {'A wins':>6} {'longer':>6}"]
    for judge in judges:
        agreement, ceiling = judge["agreement_with_humans"], judge["agreement_with_humans"]["human_ceiling"]
        lines.append(
            f"            {judge['name'][:24]:<24} {judge['kind'][:12]:<12} {judge['count']:>7,} "
            f"{_figure(agreement['raw'], 2):>6} {_figure(agreement['kappa'], 2):>6} {_figure(ceiling['raw'], 2):>9} "
            f"{_figure(ceiling['kappa'], 2):>11} {_figure(judge['position_bias']['judge']['share'], 2):>6} "
            f"{_figure(judge['length_bias']['judge']['share'], 2):>6}"
        )
    return lines

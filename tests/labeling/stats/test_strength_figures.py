"""Figures on the strength scale (ordinal and interval alpha) take only the verdicts on it: an
imported label carries no strength and is left out of them, never read as the weakest strength
("slightly better"); the nominal figures count it as before."""

import json

import pytest

from labeling.imports.services import import_file
from labeling.judges.models import JudgeKind
from labeling.judges.services import judge_for_checkpoint, judge_verdicts_store
from labeling.models import Judgment
from labeling.stats.agreement_block import NO_STRENGTH_GIVEN
from labeling.stats.payload import project_stats_compute
from labeling.stats.selectors import criterion_arrays, judgment_arrays
from tests.factories import UserFactory, make_comparison, new_client_key

pytestmark = pytest.mark.django_db


def import_labels(project, source: str, rows: list[tuple[int, str]], criterion: str = "overall") -> None:
    """``(i, verdict)`` rows: "chosen" (the first text wins), "rejected" (the second) or "tie"."""
    lines = []
    for i, verdict in rows:
        chosen, rejected = ("Yes.", "No.") if verdict != "rejected" else ("No.", "Yes.")
        line = {"prompt": f"question {i}", "chosen": chosen, "rejected": rejected, "criterion": criterion}
        lines.append((json.dumps(line | ({"tie": True} if verdict == "tie" else {})) + "\n").encode())
    import_file(project=project, lines=lines, format="trl", with_labels=True, label_source=source)


def test_a_project_of_imported_labels_has_no_strength_figures(project):
    """Two sources, no strength anywhere: the ordinal and interval alpha were computed "on the
    signed strength score", every label read as strength 1."""
    verdicts = ["chosen", "chosen", "rejected", "tie", "chosen", "rejected"]
    import_labels(project, "one", list(enumerate(verdicts)))
    import_labels(project, "two", list(enumerate(verdicts[:3] + ["chosen", "rejected", "rejected"])))
    agreement = project_stats_compute(project)["agreement"]
    assert agreement["n_ratings"] == 12 and agreement["krippendorff_alpha"] is not None
    assert agreement["krippendorff_alpha_ordinal"] is None and agreement["krippendorff_alpha_interval"] is None
    assert agreement["reasons"]["krippendorff_alpha_ordinal"] == NO_STRENGTH_GIVEN
    assert agreement["reasons"]["krippendorff_alpha_interval"] == NO_STRENGTH_GIVEN


def test_imported_labels_leave_the_peoples_strength_figures_as_they_were(project):
    """Two people judge with strengths; a source's labels join them: the nominal figures count
    the labels, the strength figures do not (every decisive label counted as "slightly better")."""
    people = [UserFactory(), UserFactory()]
    import_labels(project, "crowd", [(i, verdict) for i, verdict in enumerate(["chosen", "rejected", "tie", "chosen"])])
    comparisons = [label.comparison for label in Judgment.objects.filter(project=project).order_by("comparison_id")]
    for (winner_0, strength_0), (winner_1, strength_1), comparison in zip(
            [("a", 3), ("b", 1), ("tie", None), ("a", 2)], [("a", 2), ("b", 3), ("a", 1), ("a", 3)], comparisons,
            strict=True):
        for user, winner, strength in ((people[0], winner_0, strength_0), (people[1], winner_1, strength_1)):
            Judgment.objects.create(project=project, comparison=comparison, annotator=user, winner=winner,
                                    strength=strength, client_key=new_client_key())
    with_labels = project_stats_compute(project)["agreement"]
    Judgment.objects.filter(annotator__username="import:crowd").delete()
    people_only = project_stats_compute(project)["agreement"]
    assert (with_labels["n_ratings"], people_only["n_ratings"]) == (12, 8)
    assert with_labels["krippendorff_alpha"] != pytest.approx(people_only["krippendorff_alpha"])
    for figure in ("krippendorff_alpha_ordinal", "krippendorff_alpha_interval"):
        assert people_only[figure] is not None
        assert with_labels[figure] == pytest.approx(people_only[figure])


def test_the_arrays_say_which_verdicts_sit_on_the_strength_scale(project, annotator):
    """A strength, or a tie given here: on it; an imported label or a judge's tie: not."""
    project.criteria = ["helpful"]
    project.save()
    import_labels(project, "crowd", [(0, "chosen"), (1, "tie")])
    import_labels(project, "crowd", [(2, "chosen")], criterion="helpful")
    for winner, strength in (("a", 2), ("tie", None)):
        Judgment.objects.create(project=project, comparison=make_comparison(project), annotator=annotator,
                                winner=winner, strength=strength, client_key=new_client_key(),
                                criteria={"helpful": {"winner": winner, "strength": strength}})
    judge = judge_for_checkpoint(project=project, checkpoint_id=None, name="critic", kind=JudgeKind.CAUSAL_LM)
    tie = {"winner": "tie", "criteria": {"helpful": {"winner": "tie"}}}
    judge_verdicts_store(judge=judge, verdicts=[{"comparison_id": make_comparison(project).pk} | tie])
    arrays = judgment_arrays(project)
    assert arrays.signed.tolist() == [1, 0, 2, 0, 0] and arrays.scored.tolist() == [False, False, True, True, False]
    helpful = criterion_arrays(project, "helpful")
    assert helpful.signed.tolist() == [1, 2, 0, 0] and helpful.scored.tolist() == [False, True, True, False]


def test_the_strength_weighted_ratings_take_only_judgments_with_a_strength():
    """Imported labels carry no strength: they counted as strength 1 in the strength-weighted
    ratings, which then read like Bradley–Terry itself; alone, there is no such table."""
    from labeling.models import Response
    from tests.factories import ProjectFactory

    project = ProjectFactory(strength_scale=["slightly", "clearly", "much"])
    lines = [(json.dumps({"prompt": f"q{i}", "chosen": "Yes.", "rejected": "No.", "chosen_model": "m1" if i % 3 else "m2",
                          "rejected_model": "m2" if i % 3 else "m1"}) + "\n").encode() for i in range(9)]
    import_file(project=project, lines=lines, format="trl", with_labels=True, label_source="crowd")
    assert Response.objects.filter(project=project).exclude(model_name="").exists()
    ratings = project_stats_compute(project)["ratings"]
    assert ratings["bradley_terry"] and ratings["strength_weighted"] is None

    person = UserFactory()
    for i, label in enumerate(Judgment.objects.filter(project=project).order_by("pk")):
        Judgment.objects.create(project=project, comparison=label.comparison, annotator=person, winner="ab"[i % 2],
                                strength=3, client_key=new_client_key())
    weighted = project_stats_compute(project)["ratings"]["strength_weighted"]
    assert {row["n"] for row in weighted} == {9}  # the person's 9 judgments, none of the 9 labels

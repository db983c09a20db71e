"""A labelled line may say "tie": Arena's tie votes and PandaLM's 0 are imported as ties, where
they used to have no way in (and ratings and agreement were computed without them)."""

import csv

import numpy as np
import pytest

from labeling.errors import ImportFailed
from labeling.models import Comparison, ComparisonResponse, Judgment
from labeling.stats import agreement
from labeling.stats.arrays import equal_count_rows
from labeling.stats.payload import project_stats_compute
from tests.factories import ProjectFactory
from tests.labeling.imports.test_imports import PANDALM, import_labels, pandalm_pair, trl


@pytest.fixture
def project(db):
    return ProjectFactory(strength_scale=[])


def test_a_line_labelled_tie_is_stored_as_a_tie(project):
    result = import_labels(project, [trl(1) | {"tie": True}, trl(2) | {"tie": False}, trl(3)], "arena")
    assert result.counts["judgments"] == 3
    winners = sorted(Judgment.objects.filter(project=project).values_list("winner", flat=True))
    assert len(winners) == 3 and winners.count("tie") == 1 and set(winners) - {"tie"} <= {"a", "b"}


def test_a_tie_in_a_project_without_ties_fails_the_import_naming_the_line(db):
    project = ProjectFactory(allow_ties=False)
    with pytest.raises(ImportFailed, match=r"line 2: 'tie': this project does not allow ties"):
        import_labels(project, [trl(1), trl(2) | {"tie": True}], "arena")
    assert not Comparison.objects.filter(project=project).exists()


def test_tie_must_be_a_boolean(project):
    with pytest.raises(ImportFailed, match=r"line 1: 'tie' must be true or false"):
        import_labels(project, [trl(1) | {"tie": "yes"}], "arena")


def test_a_tie_in_a_ranking_project_is_one_tied_group(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, strength_scale=[])
    import_labels(project, [trl(1) | {"tie": True}], "arena")
    judgment = Judgment.objects.get(project=project)
    assert (judgment.ranking, judgment.ranking_ties) == (["a", "b"], [["a", "b"]])


def test_a_tie_on_a_criterion_is_that_criterions_tie(db):
    project = ProjectFactory(criteria=["helpful"], strength_scale=[])
    import_labels(project, [trl(1) | {"criterion": "helpful", "tie": True}], "arena")
    judgment = Judgment.objects.get(project=project)
    assert (judgment.winner, judgment.criteria) == ("", {"helpful": {"winner": "tie", "strength": None}})


def test_pandalm_raters_with_their_ties_agree_as_their_own_labels_say(project):
    """All three raters' 999 labels, ties (0) included: the agreement is the maths on the raters'
    own labels with the tie a category of its own, as the annotation screen's ties are."""
    with open(PANDALM) as f:
        rows = list(csv.DictReader(f))
    raters = ("annotator1", "annotator2", "annotator3")
    for rater in raters:
        import_labels(project, [pandalm_pair(row, "1") | {"tie": True} if row[rater] == "0" else pandalm_pair(row, row[rater])
                                for row in rows], f"pandalm-{rater}")
    first = set(ComparisonResponse.objects.filter(position=0).values_list("response__text", flat=True))
    matrix = np.array([
        [0.0 if row[r] == "0" else 1.0 if pandalm_pair(row, row[r])["chosen"] in first else -1.0 for r in raters]
        for row in rows
    ])
    assert (matrix == 0).sum() > 100  # PandaLM's raters do use ties
    payload = project_stats_compute(project)["agreement"]
    assert payload["n_units"] == len(rows)
    assert payload["krippendorff_alpha"] == pytest.approx(agreement.krippendorff_alpha(matrix))
    assert payload["fleiss_kappa"] == pytest.approx(agreement.fleiss_kappa(equal_count_rows(matrix)[0]))
    assert payload["cohen_kappa_mean"] == pytest.approx(agreement.cohen_kappa_mean(matrix))
    assert payload["percent_agreement"] == pytest.approx(agreement.percent_agreement(matrix))



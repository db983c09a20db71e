"""A judgment is one annotator's answer to one comparison, whatever verdicts it gives (docs/glossary.md):
an imported label naming its criterion ("criterion": "helpful") is a judgment with criterion verdicts
alone. The overview, the comparison list and the stats count it alike; only the main verdict's
figures (its agreement, its majority share, ratings) leave it out, having no main verdict to count."""

import json

import pytest

from labeling.imports.services import import_file
from labeling.models import Comparison, Judgment
from labeling.stats.payload import project_stats_compute
from tests.factories import ProjectFactory, UserFactory, add_member, new_client_key

pytestmark = pytest.mark.django_db


def labelled(i: int, criterion: str) -> bytes:
    line = {"prompt": f"question {i}", "chosen": "Sure.", "rejected": "No.", "criterion": criterion}
    return (json.dumps(line) + "\n").encode()


@pytest.fixture
def imported(db):
    """Overlap 1: five labels on helpfulness alone and, from another source, one on the main
    verdict, through the import."""
    project = ProjectFactory(criteria=["helpful"], overlap=1)
    for source, lines in (("helpers", [labelled(i, "helpful") for i in range(5)]), ("crowd", [labelled(5, "overall")])):
        import_file(project=project, lines=lines, format="trl", with_labels=True, label_source=source)
    admin = UserFactory(username="ada-admin")
    add_member(project, admin, "admin")
    return project, admin


def test_overview_comparison_list_and_stats_count_a_criterion_only_label_alike(api, imported):
    project, admin = imported
    overview = api(admin).get(f"/api/projects/{project.pk}/overview/").json()
    rows = api(admin).get(f"/api/projects/{project.pk}/comparisons/").json()["results"]
    stats = project_stats_compute(project)
    assert overview["judgments"]["total"] == sum(row["judgment_count"] for row in rows) == 6
    assert overview["comparisons"]["complete"] == 6
    counts = stats["counts"]  # read 1 judgment, 1 judged and 1 complete comparison
    assert (counts["judgments"], counts["judged_comparisons"], counts["complete_comparisons"]) == (6, 6, 6)
    assert (counts["imported_judgments"], counts["annotators"]) == (6, 0)
    assert stats["agreement"]["n_ratings"] == 1  # the main verdict's figures: the one main verdict
    assert stats["agreement"]["criteria"]["helpful"]["n_ratings"] == 5


def test_a_criterion_only_label_is_no_verdict_in_the_majority_share(api, imported):
    """A person's main verdict beside a label on helpfulness alone: one main verdict, no majority
    share (it read 50%, the label counted as an empty verdict disagreeing)."""
    project, admin = imported
    comparison = Judgment.objects.filter(project=project, winner="").first().comparison
    Judgment.objects.create(project=project, comparison=comparison, annotator=admin, winner="a", strength=1,
                            client_key=new_client_key())
    Comparison.objects.filter(pk=comparison.pk).update(judgment_count=2)
    rows = api(admin).get(f"/api/projects/{project.pk}/comparisons/").json()["results"]
    row = next(row for row in rows if row["id"] == comparison.pk)
    assert (row["judgment_count"], row["agreement"]) == (2, None)
    assert project_stats_compute(project)["counts"]["judgments"] == 7

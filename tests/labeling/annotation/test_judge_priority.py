"""judge_priority (issue #18): the comparisons judges are least sure of or disagree on are served
to people first, through the serving order's priority."""

import pytest

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.priority import judge_priority_set, judge_uncertainty
from labeling.models import Comparison
from tests.factories import make_comparison
from tests.labeling.stats.judge_builders import make_judge, rejected, verdict


def test_uncertainty_adds_disagreement_and_unsureness_by_hand():
    assert judge_uncertainty([("a", 3, None)], 3) == 0.0
    assert judge_uncertainty([("a", 3, None), ("b", 3, None)], 3) == pytest.approx(0.5)
    assert judge_uncertainty([("tie", None, None)], 3) == pytest.approx(1.0)
    assert judge_uncertainty([("a", 1, None), ("a", 2, None)], 3) == pytest.approx(1 - 0.5)  # sureness 1/3, 2/3
    assert judge_uncertainty([("", None, ["b", "a"]), ("", None, ["a", "b"])], 0) == pytest.approx(0.5)


@pytest.fixture
def judged(project):
    project.judge_priority = True
    project.strength_scale = ["slightly", "clearly", "much"]
    project.save()
    first, second = make_judge(project, "rm-1"), make_judge(project, "rm-2")
    split, unsure, sure, unjudged = (make_comparison(project) for _ in range(4))
    verdict(split, first.user, "a", strength=3)
    verdict(split, second.user, "b", strength=3)
    verdict(unsure, first.user, "tie")
    verdict(sure, first.user, "a", strength=3)
    rejected(sure, second.user, "tie")  # rejected in review: counts nowhere
    return split, unsure, sure, unjudged


def priorities(*comparisons) -> list[float]:
    return [Comparison.objects.get(pk=c.pk).priority for c in comparisons]


def test_people_are_served_first_where_judges_disagree_or_are_unsure(project, judged, annotator):
    split, unsure, sure, unjudged = judged
    Comparison.objects.filter(pk=unjudged.pk).update(priority=0.25)
    assert judge_priority_set(project=project) == 3
    assert priorities(*judged) == [pytest.approx(0.5), pytest.approx(1.0), 0.0, 0.25]
    assert comparison_lease_next(project=project, annotator=annotator) == unsure


def test_the_option_off_leaves_the_priorities_alone(project, judged):
    project.judge_priority = False
    project.save()
    assert judge_priority_set(project=project) == 0
    assert priorities(*judged) == [0.0, 0.0, 0.0, 0.0]


def test_admins_turn_the_option_on_in_the_project_settings(api, project, admin_user):
    response = api(admin_user).patch(f"/api/projects/{project.pk}/", {"judge_priority": True}, format="json")
    assert response.status_code == 200 and response.json()["judge_priority"] is True
    project.refresh_from_db()
    assert project.judge_priority

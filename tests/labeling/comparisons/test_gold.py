"""An admin makes a comparison gold with its answer, over the API: it is then served to every
annotator (it holds no seats), scored in their gold accuracy, and left out of agreement; taken
back, it is an ordinary comparison with its seats counted again."""

import pytest

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.imports.services import import_file
from labeling.models import Comparison, Lease, LeaseState
from labeling.stats.services import project_stats_compute
from tests.factories import ProjectFactory, UserFactory, add_member, make_comparison, new_client_key
from tests.reliability.accounting import seat_ledger_errors

pytestmark = pytest.mark.django_db


def url(comparison):
    return f"/api/projects/{comparison.project_id}/comparisons/{comparison.pk}/gold/"


def judge(user, comparison, winner):
    assert comparison_lease_next(project=comparison.project, annotator=user).pk == comparison.pk
    judgment_create(annotator=user, comparison_id=comparison.pk, client_key=new_client_key(), winner=winner, strength=None)


@pytest.fixture
def full(project, annotator, second_annotator):
    """A pairwise comparison judged a by one annotator and b by another: its overlap (2) is full.
    The project has one more, unjudged."""
    project.overlap, project.strength_scale = 2, []
    project.save()
    comparison = make_comparison(project)
    judge(annotator, comparison, "a")
    judge(second_annotator, comparison, "b")
    make_comparison(project)  # regular work: gold is served only beside some
    comparison.refresh_from_db()
    assert not comparison.is_open
    return comparison


def test_a_gold_answer_scores_the_annotators_and_opens_the_comparison_to_everyone(
    api, project, full, admin_user, annotator, second_annotator,
):
    response = api(admin_user).put(url(full), {"winner": "a"}, format="json")
    assert response.status_code == 200
    assert (response.json()["is_gold"], response.json()["gold_answer"]) == (True, {"winner": "a"})
    third = UserFactory()
    add_member(project, third)
    project.gold_rate = 1.0
    project.save()
    assert comparison_lease_next(project=project, annotator=third).pk == full.pk  # full, but gold holds no seats
    accuracy = {row["username"]: row["gold_accuracy"] for row in project_stats_compute(project)["annotators"]}
    assert (accuracy[annotator.username], accuracy[second_annotator.username]) == (1.0, 0.0)


def test_taking_gold_back_counts_the_seats_again(api, project, full, admin_user):
    api(admin_user).put(url(full), {"winner": "b"}, format="json")
    third = UserFactory()
    add_member(project, third)
    project.gold_rate = 1.0
    project.save()
    comparison_lease_next(project=project, annotator=third)  # a live lease taken while gold
    response = api(admin_user).delete(url(full))
    assert response.status_code == 200 and response.json()["is_gold"] is False and response.json()["gold_answer"] is None
    full.refresh_from_db()
    live_or_judged = Lease.objects.filter(comparison=full, state__in=[LeaseState.ACTIVE, LeaseState.JUDGED]).count()
    assert (full.holders, full.is_open, live_or_judged) == (3, False, 3)
    assert seat_ledger_errors(project) == []


def test_taking_gold_back_counts_an_imported_labels_seat_and_closes_a_full_comparison(api, admin_user, db):
    """An imported label holds a seat without a lease: a recount of leases alone reopened the
    comparison, and it was served past its overlap (found by a walkthrough on the demo)."""
    project = ProjectFactory(overlap=1, strength_scale=[])
    add_member(project, admin_user, "admin")
    import_file(project=project, lines=[b'{"prompt": "q", "chosen": "yes", "rejected": "no"}\n'], format="trl",
                with_labels=True, label_source="arena")
    comparison = Comparison.objects.get(project=project)
    assert api(admin_user).put(url(comparison), {"winner": "a"}, format="json").status_code == 200
    assert seat_ledger_errors(project) == []  # gold: open, no seat held
    response = api(admin_user).delete(url(comparison))
    assert response.status_code == 200 and response.json()["is_open"] is False
    comparison.refresh_from_db()
    assert comparison.holders == 1 and seat_ledger_errors(project) == []


@pytest.mark.parametrize(("body", "says"), [
    ({"winner": "c"}, "winner must be one of a, b, tie"),
    ({"ranking": ["a", "b"]}, 'the gold answer is {"winner": ...} in a pairwise project'),
    ({"winner": "a", "strength": 2}, 'the gold answer is {"winner": ...} in a pairwise project: strength is not part of one'),
    ([], 'the gold answer is {"winner": ...}'),
])
def test_a_malformed_answer_is_refused_naming_it_and_nothing_changes(api, full, admin_user, body, says):
    response = api(admin_user).put(url(full), body, format="json")
    assert response.status_code == 400 and says in response.json()["detail"]
    assert not Comparison.objects.get(pk=full.pk).is_gold


def test_a_tie_is_a_gold_answer_only_where_the_project_allows_ties(api, project, full, admin_user):
    project.allow_ties = False
    project.save()
    response = api(admin_user).put(url(full), {"winner": "tie"}, format="json")
    assert response.status_code == 400 and response.json()["detail"] == "winner must be one of a, b"


def test_a_ranking_projects_gold_answer_is_a_full_ranking(api, project, admin_user):
    project.task_type, project.responses_per_comparison, project.strength_scale = "ranking", 3, []
    project.save()
    comparison = make_comparison(project, models_=("m1", "m2", "m3"))
    assert api(admin_user).put(url(comparison), {"ranking": ["c", "a"]}, format="json").status_code == 400
    response = api(admin_user).put(url(comparison), {"ranking": ["c", "a", "b"]}, format="json")
    assert response.status_code == 200 and response.json()["gold_answer"] == {"ranking": ["c", "a", "b"]}


def test_only_the_projects_admins_make_gold(api, project, full, annotator, outsider):
    assert api(annotator).put(url(full), {"winner": "a"}, format="json").status_code == 403
    assert api(outsider).put(url(full), {"winner": "a"}, format="json").status_code == 404
    assert not Comparison.objects.get(pk=full.pk).is_gold

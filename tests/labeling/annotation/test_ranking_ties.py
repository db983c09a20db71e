"""Rankings with ties (issue #19 item 6): ``ranking_ties`` groups positions ranked equal; the
ranking itself stays a full order, so everything that reads ``ranking`` keeps working."""

import pytest

from labeling.annotation.assignment import comparison_lease_next
from labeling.models import Judgment
from labeling.rankings import (
    ranking_levels,
    ranking_outcomes,
    ranking_tied_in_order,
    ranking_ties_error,
)
from tests.factories import make_comparison, new_client_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(project, annotator):
    """A comparison of three responses leased to ``annotator`` in a ranking project with ties."""
    project.task_type, project.responses_per_comparison, project.allow_ties = "ranking", 3, True
    project.save()
    comparison = make_comparison(project, models_=("m1", "m2", "m3"))
    comparison_lease_next(project=project, annotator=annotator)
    return comparison


def submit(api, user, comparison, **body):
    body = {"comparison": comparison.pk, "ranking": ["b", "a", "c"], "client_key": new_client_key(), **body}
    return api(user).post("/api/judgments/", body, format="json")


def test_a_ranking_with_two_responses_tied_is_stored_and_returned(api, ranked, annotator):
    response = submit(api, annotator, ranked, ranking=["c", "b", "a"], ranking_ties=[["b", "a"]])
    assert response.status_code == 201, response.json()
    # one verdict, one stored form: a tied group in letter order, in the ranking too
    assert (response.json()["ranking"], response.json()["ranking_ties"]) == (["c", "a", "b"], [["a", "b"]])
    judgment = Judgment.objects.get()
    assert (judgment.ranking, judgment.ranking_ties) == (["c", "a", "b"], [["a", "b"]])


def test_a_ranking_without_ties_stores_null_and_reads_as_no_groups(api, ranked, annotator):
    response = submit(api, annotator, ranked, ranking_ties=[])
    assert response.status_code == 201
    assert response.json()["ranking_ties"] == []
    assert Judgment.objects.get().ranking_ties is None


def test_three_responses_may_all_be_tied(api, ranked, annotator):
    response = submit(api, annotator, ranked, ranking_ties=[["b", "a", "c"]])
    assert response.status_code == 201
    assert (Judgment.objects.get().ranking, Judgment.objects.get().ranking_ties) == (["a", "b", "c"], [["a", "b", "c"]])


@pytest.mark.parametrize(("ties", "says"), [
    ([["b", "d"]], "not in the ranking"),
    ([["b", "c"]], "next to each other"),  # a sits between them
    ([["a", "b"]], "next to each other"),  # out of the ranking's order
    ([["b"]], "two or more"),
    ([["b", "a"], ["a", "c"]], "twice"),
    ([["b", "b"]], "twice"),
    (["b", "a"], "Expected a list"),  # the serializer's own message, keyed by the field
    ([[1, 2]], "not in the ranking"),
])
def test_bad_ties_are_400_naming_the_field(api, ranked, annotator, ties, says):
    response = submit(api, annotator, ranked, ranking_ties=ties)
    assert response.status_code == 400, response.json()
    assert "ranking_ties" in str(response.json())
    assert says in str(response.json())
    assert not Judgment.objects.exists()


def test_ties_are_400_where_the_project_does_not_allow_them(api, ranked, annotator, project):
    project.allow_ties = False
    project.save()
    response = submit(api, annotator, ranked, ranking_ties=[["b", "a"]])
    assert response.status_code == 400
    assert "ranking_ties" in response.json()["detail"] and "does not allow ties" in response.json()["detail"]
    assert submit(api, annotator, ranked).status_code == 201  # a plain full order still goes


def test_a_pairwise_project_refuses_ranking_ties(api, project, annotator):
    comparison = make_comparison(project)
    comparison_lease_next(project=project, annotator=annotator)
    body = {"comparison": comparison.pk, "winner": "a", "strength": 1, "ranking_ties": [["a", "b"]],
            "client_key": new_client_key()}
    response = api(annotator).post("/api/judgments/", body, format="json")
    assert response.status_code == 400
    assert "not 'ranking'" in response.json()["detail"]


def test_undo_then_resubmitting_keeps_the_ties(api, ranked, annotator):
    first = submit(api, annotator, ranked, ranking_ties=[["b", "a"]]).json()
    assert api(annotator).post(f"/api/judgments/{first['id']}/undo/").status_code == 200
    again = submit(api, annotator, ranked, ranking=["c", "a", "b"], ranking_ties=[["a", "b"]])
    assert again.status_code == 201
    assert Judgment.objects.get().ranking_ties == [["a", "b"]]
    listed = api(annotator).get(f"/api/judgments/?project={ranked.project_id}").json()["results"]
    assert (listed[0]["ranking"], listed[0]["ranking_ties"]) == (["c", "a", "b"], [["a", "b"]])


# --- the pure functions -----------------------------------------------------------------------


def test_levels_give_tied_positions_the_rank_of_their_group():
    assert ranking_levels(["b", "a", "c", "d"], [["a", "c"]]) == [0, 1, 1, 3]
    assert ranking_levels(["b", "a", "c"]) == [0, 1, 2]


def test_outcomes_mark_tied_pairs_and_keep_the_rest_ordered():
    assert ranking_outcomes(["b", "a", "c"], [["b", "a"]]) == [("b", "a", True), ("b", "c", False), ("a", "c", False)]


def test_tied_groups_are_put_in_letter_order_in_place():
    assert ranking_tied_in_order(["d", "c", "b", "a"], [["c", "b", "a"]]) == (["d", "a", "b", "c"], [["a", "b", "c"]])
    assert ranking_tied_in_order(["b", "a", "d", "c"], [["b", "a"], ["d", "c"]]) == (["a", "b", "c", "d"], [["a", "b"], ["c", "d"]])


def test_a_valid_grouping_has_no_error():
    assert ranking_ties_error([["a", "c"], ["b", "d"]], ["a", "c", "b", "d"]) is None
    assert ranking_ties_error([], ["a", "b"]) is None


# --- ties in the rankings per criterion -------------------------------------------------------


@pytest.fixture
def ranked_per_criterion(ranked, project):
    project.criteria = ["helpful", "harmless"]
    project.save()
    return ranked


def test_a_criterion_ranking_may_hold_ties_stored_like_the_main_ones(api, ranked_per_criterion, annotator):
    criteria = {"helpful": {"ranking": ["c", "b", "a"], "ranking_ties": [["b", "a"]]},
                "harmless": {"ranking": ["a", "b", "c"], "ranking_ties": []}}
    response = submit(api, annotator, ranked_per_criterion, criteria=criteria)
    assert response.status_code == 201, response.json()
    # the tied group in letter order, as for the main ranking; a criterion without ties stored as before
    expected = {"helpful": {"ranking": ["c", "a", "b"], "ranking_ties": [["a", "b"]]}, "harmless": {"ranking": ["a", "b", "c"]}}
    assert Judgment.objects.get().criteria == expected
    assert response.json()["criteria"] == expected


@pytest.mark.parametrize(("value", "says"), [
    ({"ranking": ["c", "b", "a"], "ranking_ties": [["c", "a"]]}, "criteria.helpful.ranking_ties a group must be positions next to each other"),
    ({"ranking": ["c", "b", "a"], "ranking_ties": [["b", "d"]]}, "criteria.helpful.ranking_ties names positions not in the ranking"),
    ({"ranking": ["c", "b", "a"], "ranking_ties": "b=a"}, "criteria.helpful.ranking_ties must be a list of groups"),
    ({"ranking": ["c", "b", "a"], "ties": [["b", "a"]]}, "criteria.helpful must be"),
])
def test_bad_criterion_ties_are_400_naming_the_criterion(api, ranked_per_criterion, annotator, value, says):
    criteria = {"helpful": value, "harmless": {"ranking": ["a", "b", "c"]}}
    response = submit(api, annotator, ranked_per_criterion, criteria=criteria)
    assert response.status_code == 400
    assert says in response.json()["detail"]
    assert not Judgment.objects.exists()


def test_criterion_ties_are_400_where_the_project_does_not_allow_them(api, ranked_per_criterion, annotator, project):
    project.allow_ties = False
    project.save()
    criteria = {"helpful": {"ranking": ["c", "b", "a"], "ranking_ties": [["b", "a"]]}, "harmless": {"ranking": ["a", "b", "c"]}}
    response = submit(api, annotator, ranked_per_criterion, criteria=criteria)
    assert response.status_code == 400
    assert "criteria.helpful.ranking_ties: this project does not allow ties" in response.json()["detail"]

"""Ties inside rankings (issue #19 item 6) count as ties in the statistics: a pair ranked equal is
a half-win each in the ratings and a tie verdict in agreement, never an order."""

import pytest

from labeling.models import ComparisonKind, Judgment
from labeling.stats.arrays import agreement_units, pair_rows
from labeling.stats.payload import project_stats_compute
from labeling.stats.ratings import ranking_to_pairs
from labeling.stats.selectors import criterion_arrays, judgment_arrays, position_arrays
from tests.factories import make_comparison, new_client_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranking_project(project):
    project.task_type, project.responses_per_comparison, project.allow_ties = ComparisonKind.RANKING, 3, True
    project.save()
    return project


def rank(comparison, user, ranking, ties=None):
    return Judgment.objects.create(
        project=comparison.project, comparison=comparison, annotator=user, ranking=ranking, ranking_ties=ties,
        client_key=new_client_key(),
    )


def test_a_tied_pair_expands_to_a_half_win_and_a_zero_unit(ranking_project, annotator):
    comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
    rank(comparison, annotator, ["b", "a", "c"], [["b", "a"]])
    arrays, positions = judgment_arrays(ranking_project), position_arrays(ranking_project)
    assert arrays.rankings == [[1, 0, 2]] and arrays.levels == [[0, 0, 2]]
    rows = pair_rows(arrays.comparison, arrays.signed, arrays.rankings,
                     (positions.comparison, positions.position, positions.model, positions.length), arrays.levels)
    names = [(positions.models[a], positions.models[b]) for a, b in zip(rows.model_a, rows.model_b, strict=True)]
    assert names == [("m1", "m0"), ("m1", "m2"), ("m0", "m2")] and rows.outcome.tolist() == [0.5, 1, 1]
    _, _, value = agreement_units(arrays.comparison, arrays.annotator, arrays.signed, arrays.rankings, arrays.levels)
    assert value.tolist() == [0, 1, 1]  # units (0,1) tied, (1,2) and (0,2) ordered, lower position first


def test_rankings_without_ties_read_as_before(ranking_project, annotator):
    rank(make_comparison(ranking_project, models_=("m0", "m1", "m2")), annotator, ["c", "a", "b"])
    arrays = judgment_arrays(ranking_project)
    assert arrays.levels is None
    assert ranking_to_pairs(arrays.rankings)[2].tolist() == [1, 1, 1]


def test_two_responses_always_ranked_equal_get_equal_ratings(ranking_project, annotator):
    """m0 and m1 are tied above m2 in every ranking, at every position: Bradley–Terry must rate the
    two the same. Read as an order (the earlier listed wins), m0 would lead m1 on every judgment."""
    for models_ in [("m0", "m1", "m2"), ("m2", "m0", "m1"), ("m1", "m2", "m0")]:
        comparison = make_comparison(ranking_project, models_=models_)
        letters = {model: "abc"[models_.index(model)] for model in models_}
        rank(comparison, annotator, [letters["m0"], letters["m1"], letters["m2"]], [[letters["m0"], letters["m1"]]])
    ratings = project_stats_compute(ranking_project)["ratings"]
    rating = {row["model"]: row["rating"] for row in ratings["bradley_terry"]}
    assert rating["m0"] == pytest.approx(rating["m1"], abs=1e-6)
    # m2 never won: no rating exists for it (it ran off to minus infinity), and it is listed below
    assert rating["m2"] is None and ratings["bradley_terry"][-1] == {
        "model": "m2", "rating": None, "ci_low": None, "ci_high": None, "rank": 3, "n": 6, "unrated": "below"}
    assert ratings["n"] == 9


def test_a_tie_against_an_order_is_a_disagreement_on_that_pair(ranking_project, annotator, second_annotator):
    """One annotator ranks a = b > c, the other a > b > c: they agree on (a,c) and (b,c) and not on
    (a,b), so percent agreement is 2/3 (it would be 1 if the tie were read as an order)."""
    comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
    rank(comparison, annotator, ["a", "b", "c"], [["a", "b"]])
    rank(comparison, second_annotator, ["a", "b", "c"])
    agreement = project_stats_compute(ranking_project)["agreement"]
    assert agreement["n_units"] == 3
    assert agreement["percent_agreement"] == pytest.approx(2 / 3)


def test_two_annotators_both_tying_the_pair_agree_on_it(ranking_project, annotator, second_annotator):
    comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
    rank(comparison, annotator, ["a", "b", "c"], [["a", "b"]])
    rank(comparison, second_annotator, ["b", "a", "c"], [["b", "a"]])  # the same tie, listed the other way
    agreement = project_stats_compute(ranking_project)["agreement"]
    assert agreement["percent_agreement"] == pytest.approx(1.0)


def test_the_ties_count_holds_the_rankings_with_a_tie(ranking_project, annotator, second_annotator):
    """``counts.ties`` of a ranking project is the judgments ranking two positions equal (it read 0)."""
    comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
    rank(comparison, annotator, ["a", "b", "c"], [["a", "b"]])
    rank(comparison, second_annotator, ["c", "a", "b"])
    assert project_stats_compute(ranking_project)["counts"]["ties"] == 1


def test_a_ranking_project_without_ties_counts_none(ranking_project, annotator):
    rank(make_comparison(ranking_project, models_=("m0", "m1", "m2")), annotator, ["c", "a", "b"])
    assert project_stats_compute(ranking_project)["counts"]["ties"] == 0


def test_a_tie_in_a_criterion_ranking_is_a_tie_in_that_criterion_agreement(ranking_project, annotator, second_annotator):
    """Per criterion as for the main ranking: one ranks a = b > c on helpfulness, the other
    a > b > c, so they agree on 2 of 3 pairs there (3 of 3 if the tie were read as an order)."""
    ranking_project.criteria = ["helpful"]
    ranking_project.save()
    comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
    for user, helpful in [(annotator, {"ranking": ["a", "b", "c"], "ranking_ties": [["a", "b"]]}),
                          (second_annotator, {"ranking": ["a", "b", "c"]})]:
        Judgment.objects.create(project=ranking_project, comparison=comparison, annotator=user, ranking=["a", "b", "c"],
                                criteria={"helpful": helpful}, client_key=new_client_key())
    arrays = criterion_arrays(ranking_project, "helpful")
    assert arrays.levels == [[0, 0, 2], [0, 1, 2]]
    agreement = project_stats_compute(ranking_project)["agreement"]
    assert agreement["percent_agreement"] == pytest.approx(1.0)  # the main rankings are the same
    assert agreement["criteria"]["helpful"]["percent_agreement"] == pytest.approx(2 / 3)


# --- a tie at the top in annotator quality: the set tied is the top choice ---------------------


def annotator_rows(project) -> dict:
    return {row["username"]: row for row in project_stats_compute(project)["annotators"]}


def test_a_tie_at_the_top_disagrees_with_either_letter_first(ranking_project, annotator, second_annotator):
    """"a = b > c" is stored letter first, as ["a", "b", "c"]: read as "a first" it agreed with
    "a > b > c" (and disagreed with "b > a > c"), an arbitrary letter deciding."""
    for ranking in (["a", "b", "c"], ["b", "a", "c"]):
        comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
        rank(comparison, annotator, ["a", "b", "c"], [["a", "b"]])
        rank(comparison, second_annotator, ranking)
    rows = annotator_rows(ranking_project)
    assert rows[annotator.username]["n_agreement"] == 2
    assert rows[annotator.username]["agreement"] == pytest.approx(0.0)


def test_the_same_tie_at_the_top_agrees_however_it_is_listed(ranking_project, annotator, second_annotator):
    comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
    rank(comparison, annotator, ["a", "b", "c"], [["a", "b"]])
    rank(comparison, second_annotator, ["b", "a", "c"], [["b", "a"]])
    assert annotator_rows(ranking_project)[annotator.username]["agreement"] == pytest.approx(1.0)


def test_a_tie_at_the_top_misses_a_gold_ranking_whichever_letter_it_lists_first(ranking_project, annotator):
    """A gold ranking names one response first; tying it with another is not naming it."""
    rank(make_gold(ranking_project), annotator, ["a", "b", "c"], [["a", "b"]])
    row = annotator_rows(ranking_project)[annotator.username]
    assert (row["n_gold"], row["gold_accuracy"]) == (1, 0.0)


def test_a_rejected_tie_at_the_top_misses_gold_too(ranking_project, annotator):
    rank(make_gold(ranking_project), annotator, ["a", "c", "b"])
    rejected = rank(make_gold(ranking_project), annotator, ["a", "b", "c"], [["a", "b"]])
    Judgment.objects.filter(pk=rejected.pk).update(review="rejected")
    row = annotator_rows(ranking_project)[annotator.username]
    assert (row["n_gold"], row["gold_accuracy"]) == (2, 0.5)


def make_gold(project):
    comparison = make_comparison(project, models_=("m3", "m4", "m5"))
    comparison.is_gold, comparison.gold_answer = True, {"ranking": ["a", "b", "c"]}
    comparison.save()
    return comparison


def test_each_annotator_of_a_ranking_project_has_a_tie_rate(ranking_project, annotator, second_annotator):
    """The share of their rankings with any positions ranked equal (the "Ties" column read "—")."""
    for _ in range(2):
        comparison = make_comparison(ranking_project, models_=("m0", "m1", "m2"))
        rank(comparison, second_annotator, ["c", "a", "b"])
    rank(comparison, annotator, ["c", "a", "b"], [["a", "b"]])
    rank(make_comparison(ranking_project, models_=("m0", "m1", "m2")), annotator, ["a", "b", "c"])
    rows = annotator_rows(ranking_project)
    assert rows[annotator.username]["tie_rate"] == pytest.approx(0.5)
    assert rows[second_annotator.username]["tie_rate"] == pytest.approx(0.0)


def test_a_ranking_project_without_ties_has_no_tie_rate(ranking_project, annotator):
    ranking_project.allow_ties = False
    ranking_project.save()
    rank(make_comparison(ranking_project, models_=("m0", "m1", "m2")), annotator, ["a", "b", "c"])
    assert annotator_rows(ranking_project)[annotator.username]["tie_rate"] is None

"""Exports of rankings with ties (issue #19 item 6): a pair ranked equal is a tie verdict, which,
like a pairwise tie, gives no chosen/rejected row (TRL, HH-RLHF) and no KTO label of its own."""

import pytest

from labeling.exports.options import ExportFilters, ExportOptions
from labeling.exports.preferences import JudgmentRow, pair_verdicts
from labeling.exports.services import export_rows
from labeling.models import Judgment
from tests.factories import ProjectFactory, UserFactory, make_comparison, new_client_key

pytestmark = pytest.mark.django_db


def test_a_tied_pair_is_a_tie_verdict_the_rest_stay_ordered():
    tied = JudgmentRow(1, 1, "", None, ["b", "a", "c"], ranking_ties=[["b", "a"]])
    assert pair_verdicts(tied, "all") == {(0, 1): 0.0, (1, 2): 1.0, (0, 2): 1.0}
    assert pair_verdicts(tied, "best-vs-rest") == {(0, 1): 0.0, (1, 2): 1.0}


@pytest.fixture
def tied_ranking(annotator):
    """b = a > c, ranked by one annotator."""
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, allow_ties=True)
    comparison = make_comparison(project, models_=("m1", "m2", "m3"), texts=["one", "two", "three"])
    Judgment.objects.create(project=project, comparison=comparison, annotator=annotator, ranking=["b", "a", "c"],
                            ranking_ties=[["b", "a"]], client_key=new_client_key())
    return project


def export(project, fmt, **options) -> list[dict]:
    rows = export_rows(project=project, options=ExportOptions(fmt, **options), filters=ExportFilters())
    return [row for _, row in rows]


@pytest.mark.parametrize("aggregation", ["majority", "none", "mean-strength"])
def test_trl_gives_no_row_for_the_tied_pair(tied_ranking, aggregation):
    rows = export(tied_ranking, "trl", aggregation=aggregation)
    assert sorted((r["chosen"], r["rejected"]) for r in rows) == [("one", "three"), ("two", "three")]


def test_dawid_skene_reads_the_tied_pair_as_a_tie(tied_ranking, second_annotator):
    """Two people tie b and a (a lone verdict is too little for a latent-class fit to trust)."""
    comparison = tied_ranking.comparisons.get()
    Judgment.objects.create(project=tied_ranking, comparison=comparison, annotator=second_annotator,
                            ranking=["a", "b", "c"], ranking_ties=[["a", "b"]], client_key=new_client_key())
    rows = export(tied_ranking, "trl", aggregation="dawid-skene")
    assert sorted((r["chosen"], r["rejected"]) for r in rows) == [("one", "three"), ("two", "three")]


def test_hh_rlhf_gives_no_row_for_the_tied_pair(tied_ranking):
    rows = export(tied_ranking, "hh-rlhf")
    assert len(rows) == 2 and not any("one" in r["chosen"] and "two" in r["rejected"] for r in rows)


def test_kto_labels_the_tied_pair_by_their_other_wins(tied_ranking):
    labels = {r["completion"]: r["label"] for r in export(tied_ranking, "kto")}
    assert labels == {"one": True, "two": True, "three": False}


def test_a_tie_against_an_order_is_a_split_in_the_majority(tied_ranking, second_annotator):
    """Two judgments on b-a: one tie and one "b over a" is a split, so that pair gives no row."""
    comparison = tied_ranking.comparisons.get()
    voter = UserFactory(username="cy")
    Judgment.objects.create(project=tied_ranking, comparison=comparison, annotator=voter, ranking=["b", "a", "c"],
                            client_key=new_client_key())
    rows = export(tied_ranking, "trl")
    assert sorted((r["chosen"], r["rejected"]) for r in rows) == [("one", "three"), ("two", "three")]


def test_raw_keeps_the_ties(tied_ranking):
    (row,) = export(tied_ranking, "raw")
    assert (row["ranking"], row["ranking_ties"]) == (["b", "a", "c"], [["b", "a"]])


@pytest.fixture
def two_ties_one_order(tied_ranking, second_annotator):
    """b = a > c twice (the fixture's and a second person's), a > b > c once."""
    comparison = tied_ranking.comparisons.get()
    for user, ranking, ties in [(second_annotator, ["a", "b", "c"], [["a", "b"]]), (UserFactory(), ["a", "b", "c"], None)]:
        Judgment.objects.create(project=tied_ranking, comparison=comparison, annotator=user, ranking=ranking,
                                ranking_ties=ties, client_key=new_client_key())
    return tied_ranking


@pytest.mark.parametrize("aggregation", ["majority", "dawid-skene"])
def test_exclude_ties_drops_the_tied_pairs_not_the_rankings(two_ties_one_order, aggregation):
    """As a pairwise tie judgment is dropped before aggregation, so is a pair ranked equal: (a, b)
    is then decided by the one ranking that orders it, and the tied rankings' ordered pairs count."""
    def trl(exclude_ties):
        rows = export_rows(project=two_ties_one_order, options=ExportOptions("trl", aggregation=aggregation),
                           filters=ExportFilters(exclude_ties=exclude_ties))
        return sorted((r["chosen"], r["rejected"]) for _, r in rows)

    assert trl(False) == [("one", "three"), ("two", "three")]  # (a, b): two ties against one order
    assert trl(True) == [("one", "three"), ("one", "two"), ("two", "three")]


def test_exclude_ties_keeps_a_ranking_whole_in_raw_and_its_agreement_leaves_out_the_tie(two_ties_one_order):
    raw = export_rows(project=two_ties_one_order, options=ExportOptions("raw"), filters=ExportFilters(exclude_ties=True))
    assert sorted(len(r["ranking_ties"]) for _, r in raw) == [0, 1, 1]
    agreeing = ExportFilters(exclude_ties=True, min_agreement=1.0)  # without the ties every pair is unanimous
    assert len(list(export_rows(project=two_ties_one_order, options=ExportOptions("trl"), filters=agreeing))) == 3
    assert list(export_rows(project=two_ties_one_order, options=ExportOptions("trl"), filters=ExportFilters(min_agreement=1.0))) == []


def test_exclude_ties_leaves_the_tied_pairs_out_of_the_mean_strength(two_ties_one_order):
    def margin(exclude_ties):
        rows = export_rows(project=two_ties_one_order, options=ExportOptions("trl", aggregation="mean-strength"),
                           filters=ExportFilters(exclude_ties=exclude_ties))
        return next(r["margin"] for _, r in rows if (r["chosen"], r["rejected"]) == ("one", "two"))

    assert margin(False) == pytest.approx(1 / 3) and margin(True) == pytest.approx(1.0)


def test_a_tie_in_a_criterion_ranking_gives_no_row_for_that_criterion(annotator):
    """helpful: b = a > c; the main ranking orders all three. The helpful rows leave out the tied
    pair; the overall rows keep it."""
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, allow_ties=True, criteria=["helpful"])
    comparison = make_comparison(project, models_=("m1", "m2", "m3"), texts=["one", "two", "three"])
    Judgment.objects.create(project=project, comparison=comparison, annotator=annotator, ranking=["b", "a", "c"],
                            criteria={"helpful": {"ranking": ["a", "b", "c"], "ranking_ties": [["a", "b"]]}},
                            client_key=new_client_key())
    rows = export(project, "trl", criteria=("overall", "helpful"))
    by_criterion = {name: sorted((r["chosen"], r["rejected"]) for r in rows if r["criterion"] == name)
                    for name in ("overall", "helpful")}
    assert by_criterion == {"overall": [("one", "three"), ("two", "one"), ("two", "three")],
                            "helpful": [("one", "three"), ("two", "three")]}

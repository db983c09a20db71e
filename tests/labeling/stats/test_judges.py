"""Judges in the stats (issue #18) and judgments rejected in review (issue #19): a judge's
judgments count only in ``judges``, a rejected judgment nowhere; the judge figures against
hand-computed cases."""

import json

import numpy as np
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from labeling.stats.judge_agreement import (
    agreement_figures,
    earlier_position_share,
    judge_against_humans,
    kappa_from_confusion,
    longer_response_share,
    wilson_interval,
)
from labeling.stats.payload import project_stats_compute
from labeling.stats.services import project_stats_store
from tests.factories import UserFactory, add_member, make_comparison
from tests.labeling.stats.judge_builders import make_judge, rejected, verdict
from tests.security.test_response_shapes import check

STATS_URL = "/api/projects/{}/stats/"
HUMAN_PARTS = ("counts", "agreement", "annotators", "ratings")


def human_parts(payload: dict) -> dict:
    counts = {k: v for k, v in payload["counts"].items() if k != "judge_judgments"}
    return {**{part: payload[part] for part in HUMAN_PARTS}, "counts": counts}


# --- the maths, by hand ---------------------------------------------------------------------------


def test_wilson_interval_matches_the_formula_by_hand():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson_interval(0, 0) is None and wilson_interval(5, 5)[1] == 1.0


def test_cohen_kappa_of_a_judge_against_a_reference_by_hand():
    # observed 5/6; judge marginals (+1: 3, -1: 2, 0: 1), reference (+1: 2, -1: 3, 0: 1): chance 13/36
    figures = agreement_figures([1, 1, -1, -1, 0, 1], [1, -1, -1, -1, 0, 1])
    assert figures["n"] == 6 and figures["raw"] == pytest.approx(5 / 6)
    assert figures["kappa"] == pytest.approx(17 / 23)
    low, high = figures["kappa_ci"]
    assert low <= figures["kappa"] <= high <= 1.0
    assert np.isnan(kappa_from_confusion(np.array([[3.0, 0, 0], [0, 0, 0], [0, 0, 0]])))  # undefined, not an error
    assert agreement_figures([1, 1], [1, 1])["kappa"] is None  # one category throughout: undefined


def test_judge_against_the_human_majority_and_the_ceiling_by_hand():
    human_unit = [1, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    human_value = [1, 1, -1, -1, -1, 1, -1, 0, 0, 1]
    # majorities: 1 -> +1, 2 -> -1, 3 none (a split), 4 -> 0, 5 no humans
    out = judge_against_humans([1, 2, 3, 4, 5], [1, 1, 1, 0, 1], human_unit, human_value)
    assert out["n"] == 3 and out["raw"] == pytest.approx(2 / 3)
    assert out["kappa"] == pytest.approx(0.5)  # observed 2/3, chance 1/3
    ceiling = out["human_ceiling"]
    # leave-one-out: unit 1 gives one pair (-1 vs +1), unit 2 two agreeing, unit 3 two disagreeing,
    # unit 4 one (+1 vs 0); the others' majority is split for the rest
    assert ceiling["n"] == 6 and ceiling["raw"] == pytest.approx(2 / 6)
    assert ceiling["kappa"] == pytest.approx(-0.2)  # observed 12/36, chance 16/36


def test_position_and_length_shares_by_hand():
    position = earlier_position_share([1, 1, -1, 0])
    assert position["share"] == pytest.approx(2 / 3) and position["n"] == 3
    length = longer_response_share([1, 0, 1, 0.5, 1], [10, 10, 5, 10, 7], [5, 5, 10, 5, 7])
    assert length["share"] == pytest.approx(1 / 3) and length["n"] == 3  # a tie and equal lengths not counted
    assert earlier_position_share([0, 0]) == {"share": None, "ci": None, "n": 0}


# --- the payload ----------------------------------------------------------------------------------


@pytest.fixture
def humans(project, annotator, second_annotator):
    """Two people on four comparisons; position A is the longer response throughout."""
    comparisons = [make_comparison(project, texts=[f"a long answer {i} " * 5, f"short {i}"]) for i in range(4)]
    for comparison, (first, second) in zip(comparisons, [("a", "a"), ("b", "b"), ("a", "b"), ("tie", "tie")], strict=True):
        verdict(comparison, annotator, first, strength=1, time_spent_ms=9000)
        verdict(comparison, second_annotator, second, strength=1, time_spent_ms=9000)
    return comparisons


@pytest.fixture
def rm_judge(project, humans):
    judge = make_judge(project, "rm-step-300")
    for comparison, winner in zip(humans, ["a", "a", "b", "tie"], strict=True):
        verdict(comparison, judge.user, winner, strength=1)
    return judge


def test_judge_judgments_never_reach_the_human_figures(project, humans):
    before = project_stats_compute(project)
    judge = make_judge(project)
    for comparison in humans:  # a judge that always says B would move every human figure
        verdict(comparison, judge.user, "b", strength=3)
    after = project_stats_compute(project)
    assert human_parts(after) == human_parts(before)
    assert after["counts"]["judge_judgments"] == 4 and after["counts"]["annotators"] == 2
    assert [row["username"] for row in after["annotators"]] == ["ann-annotator", "bob-annotator"]
    assert after["ratings"]["labels"] == "human" and after["judgments"] == 12


def test_rejected_judgments_count_nowhere(project, humans, annotator):
    before = project_stats_compute(project)
    late = UserFactory(username="rejected-rater")
    add_member(project, late)
    for comparison in humans:
        rejected(comparison, late, "b", strength=3, time_spent_ms=100)
    judge = make_judge(project)
    rejected(humans[0], judge.user, "b")
    after = project_stats_compute(project)
    assert human_parts(after) == human_parts(before)
    assert after["judgments"] == before["judgments"] == 8 and after["judges"] == []


def test_each_judge_is_measured_against_the_humans_by_hand(project, rm_judge):
    [entry] = project_stats_compute(project)["judges"]
    assert (entry["name"], entry["kind"], entry["count"]) == ("rm-step-300", "reward_model", 4)
    agreement = entry["agreement_with_humans"]
    # human majorities: a, b, none (split), tie; the judge says a, a, b, tie
    assert agreement["n"] == 3 and agreement["raw"] == pytest.approx(2 / 3) and agreement["kappa"] == pytest.approx(0.5)
    assert agreement["reason"] is None and agreement["raw_ci"][0] < 2 / 3 < agreement["raw_ci"][1]
    ceiling = agreement["human_ceiling"]
    assert ceiling["n"] == 8 and ceiling["raw"] == pytest.approx(6 / 8)  # each person against the other
    # decisive verdicts: the judge a, a, b; the humans a, a, b, b, a, b; A is the longer response
    assert entry["position_bias"]["judge"]["share"] == pytest.approx(2 / 3)
    assert entry["position_bias"]["humans"]["share"] == pytest.approx(1 / 2)
    assert entry["length_bias"]["judge"]["share"] == pytest.approx(2 / 3)
    assert entry["length_bias"]["humans"]["share"] == pytest.approx(1 / 2)
    json.dumps(entry, allow_nan=False)


def test_a_judge_is_measured_per_criterion(project, annotator, second_annotator):
    project.criteria = ["helpful"]
    project.save()
    judge = make_judge(project)
    for winners in [("a", "a", "a"), ("b", "b", "a")]:
        comparison = make_comparison(project)
        for user, winner in zip((annotator, second_annotator, judge.user), winners, strict=True):
            verdict(comparison, user, "a", strength=1, criteria={"helpful": {"winner": winner, "strength": 1}})
    [entry] = project_stats_compute(project)["judges"]
    helpful = entry["agreement_with_humans"]["criteria"]["helpful"]
    assert helpful["n"] == 2 and helpful["raw"] == pytest.approx(1 / 2)
    assert helpful["human_ceiling"]["raw"] == 1.0
    assert project_stats_compute(project)["agreement"]["criteria"]["helpful"]["n_raters"] == 2


def test_a_judge_of_a_ranking_project_is_measured_on_implied_pairs(project, annotator, second_annotator):
    project.task_type, project.responses_per_comparison = "ranking", 3
    project.save()
    judge = make_judge(project)
    comparison = make_comparison(project, models_=("m1", "m2", "m3"))
    verdict(comparison, annotator, ranking=["a", "b", "c"])
    verdict(comparison, second_annotator, ranking=["a", "b", "c"])
    verdict(comparison, judge.user, ranking=["a", "c", "b"])
    [entry] = project_stats_compute(project)["judges"]
    agreement = entry["agreement_with_humans"]
    assert agreement["n"] == 3 and agreement["raw"] == pytest.approx(2 / 3)  # (b, c) reversed
    assert agreement["human_ceiling"]["raw"] == 1.0


def test_a_judge_whose_comparisons_no_human_judged_says_why(project, annotator):
    judge = make_judge(project)
    verdict(make_comparison(project), judge.user, "a")
    [entry] = project_stats_compute(project)["judges"]
    assert entry["agreement_with_humans"]["raw"] is None and entry["agreement_with_humans"]["reason"]
    assert entry["agreement_with_humans"]["human_ceiling"]["reason"]


# --- where the judges are shown ---------------------------------------------------------------------


def test_admins_get_the_judges_and_annotators_do_not(api, project, admin_user, annotator, rm_judge):
    call_command("project_stats", "--project", project.slug)
    body = api(admin_user).get(STATS_URL.format(project.pk)).json()
    assert [j["name"] for j in body["judges"]] == ["rm-step-300"]
    assert body["judges"][0]["agreement_with_humans"]["human_ceiling"]["n"] == 8
    assert "judges" not in api(annotator).get(STATS_URL.format(project.pk)).json()


def test_command_json_lists_the_judges(project, rm_judge, capsys):
    call_command("project_stats", "--project", project.slug, "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["judges"][0]["count"] == 4 and payload["counts"]["judge_judgments"] == 4


def test_command_summary_lists_the_judges(project, rm_judge, capsys):
    call_command("project_stats", "--project", project.slug)
    out = capsys.readouterr().out
    assert "4 by judges" in out and "rm-step-300" in out and "reward_model" in out


def test_stats_cached_before_judges_existed_are_still_served(api, project, admin_user, humans):
    payload = project_stats_compute(project)
    del payload["counts"]["judge_judgments"], payload["ratings"]["labels"], payload["seconds"]["judges"]
    del payload["judges"]
    project_stats_store(project=project, payload=payload)
    response = api(admin_user).get(STATS_URL.format(project.pk))
    assert response.status_code == 200 and "judges" not in response.json()


def test_against_imported_human_labels_the_agreement_is_the_judges_accuracy(project):
    """The acceptance case of issue #18: one imported human label per comparison, so the judge's
    agreement with the human majority is its accuracy on those labels."""
    source = UserFactory(username="import:hh-rlhf", is_active=False)
    judge = make_judge(project)
    for i in range(10):
        comparison = make_comparison(project)
        verdict(comparison, source, "a")
        verdict(comparison, judge.user, "a" if i < 7 else "b")
    payload = project_stats_compute(project)
    agreement = payload["judges"][0]["agreement_with_humans"]
    assert agreement["n"] == 10 and agreement["raw"] == pytest.approx(0.7)
    assert agreement["raw_ci"][0] < 0.7 < agreement["raw_ci"][1]
    assert agreement["human_ceiling"]["n"] == 0 and agreement["human_ceiling"]["reason"]
    assert payload["counts"]["imported_judgments"] == 10 and payload["counts"]["judge_judgments"] == 10


def test_the_judges_entries_are_exactly_what_the_schema_documents(project, admin_user, rm_judge):
    project.criteria = ["helpful"]
    project.save()
    payload = project_stats_compute(project)
    project_stats_store(project=project, payload=payload)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = check(schema, admin_user, "get", "/api/projects/{project_id}/stats/", 200, project_id=project.pk)
    assert body["judges"] == json.loads(json.dumps(payload["judges"]))  # rendered whole: nothing undocumented
    assert "helpful" in body["judges"][0]["agreement_with_humans"]["criteria"]

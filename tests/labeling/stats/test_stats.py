"""Project statistics: selectors' arrays, the payload, the cache and its debounce, the API,
the command, and a real worker refreshing the cache after a judgment."""

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import judgment_create
from labeling.imports.services import import_file
from labeling.models import (
    ComparisonKind,
    Flag,
    Judgment,
    Lease,
    LeaseState,
    ProjectStats,
    ReviewState,
)
from labeling.stats import agreement
from labeling.stats import services as stats_service
from labeling.stats.arrays import (
    MISSING,
    PositionLookup,
    agreement_units,
    equal_count_rows,
    merge_by_comparison,
    pair_rows,
    unit_matrix,
)
from labeling.stats.context import project_context, user_names
from labeling.stats.payload import NO_VARIATION, ONE_RATER, project_stats_compute
from labeling.stats.ratings import length_controlled_bradley_terry
from labeling.stats.selectors import (
    _binary_bigint_rows,
    criterion_arrays,
    judgment_arrays,
    position_arrays,
)
from labeling.stats.services import (
    project_stats_changed,
    project_stats_refresh,
    project_stats_request,
    project_stats_store,
)
from tests.factories import (
    ProjectFactory,
    UserFactory,
    add_member,
    make_comparison,
    new_client_key,
)
from tests.workers import celery_worker, wait_for

HH_300 = Path(__file__).resolve().parents[3] / "demo" / "hh_rlhf_300.jsonl"
STATS_URL = "/api/projects/{}/stats/"


def judge(comparison, user, winner="a", strength=None, ranking=None, criteria=None, time_spent_ms=0):
    return Judgment.objects.create(
        project=comparison.project, comparison=comparison, annotator=user, winner="" if ranking else winner,
        strength=None if winner == "tie" else strength, ranking=ranking, criteria=criteria or {},
        client_key=new_client_key(), time_spent_ms=time_spent_ms,
    )


def skip(comparison, user):
    Lease.objects.create(project=comparison.project, comparison=comparison, annotator=user,
                         state=LeaseState.SKIPPED, expires_at=timezone.now())


def people(project, count):
    users = [UserFactory(username=f"rater-{i}") for i in range(count)]
    for user in users:
        add_member(project, user)
    return users


@pytest.fixture
def scaleless(project):
    project.strength_scale = []
    project.save()
    return project


@pytest.fixture
def duel(project, annotator, second_annotator):
    """Two annotators on four comparisons of model-a (position A) against model-b (position B)."""
    comparisons = [make_comparison(project, texts=[f"long answer {i} " * 4, f"short {i}"]) for i in range(4)]
    answers = [("a", 3, "a", 2), ("a", 1, "b", 1), ("tie", None, "tie", None), ("b", 2, "b", 2)]
    for comparison, (w1, s1, w2, s2) in zip(comparisons, answers, strict=True):
        judge(comparison, annotator, w1, s1, time_spent_ms=4000)
        judge(comparison, second_annotator, w2, s2, time_spent_ms=8000)
    return comparisons


# --- selectors: rows into arrays --------------------------------------------------------------


def test_judgments_become_signed_strength_scores_in_the_order_they_were_made(project, annotator):
    first, second, third = (make_comparison(project) for _ in range(3))
    judge(first, annotator, "a", 2, time_spent_ms=1500)
    judge(second, annotator, "b", 3)
    judge(third, annotator, "tie")
    arrays = judgment_arrays(project)
    assert arrays.signed.tolist() == [2, -3, 0]
    assert arrays.comparison.tolist() == [first.pk, second.pk, third.pk]
    assert arrays.seconds[0] == 1.5 and np.isnan(arrays.seconds[1])  # 0 ms means not recorded
    assert arrays.rankings is None


def test_without_a_strength_scale_each_win_counts_one(scaleless, annotator):
    judge(make_comparison(scaleless), annotator, "b")
    assert judgment_arrays(scaleless).signed.tolist() == [-1]


def test_positions_give_each_position_its_model_code_and_length(project):
    comparison = make_comparison(project, models_=("zeta", "alpha"), texts=["four", "sixsix"])
    positions = position_arrays(project)
    assert positions.models == ["alpha", "zeta"]
    by_position = dict(zip(positions.position.tolist(), zip(positions.model.tolist(), positions.length.tolist(), strict=True), strict=True))
    assert by_position == {0: (1, 4), 1: (0, 6)}
    assert set(positions.comparison.tolist()) == {comparison.pk}


def test_positions_of_other_projects_inside_the_id_range_are_left_out(project):
    first = make_comparison(project)
    make_comparison(ProjectFactory(), models_=("elsewhere", "model-b"))
    last = make_comparison(project)
    positions = position_arrays(project)
    assert sorted(set(positions.comparison.tolist())) == [first.pk, last.pk] and len(positions.model) == 4
    assert positions.models == ["model-a", "model-b"] and MISSING not in positions.model


def test_criteria_are_read_per_criterion(project, annotator, second_annotator):
    project.criteria = ["helpful", "harmless"]
    project.save()
    comparison = make_comparison(project)
    judge(comparison, annotator, "a", 1, criteria={"helpful": {"winner": "b", "strength": 3}, "harmless": {"winner": "tie"}})
    judge(comparison, second_annotator, "b", 1, criteria={"helpful": {"winner": "a", "strength": 1}})
    helpful, harmless = criterion_arrays(project, "helpful"), criterion_arrays(project, "harmless")
    assert helpful.signed.tolist() == [-3, 1]
    assert harmless.signed.tolist() == [0] and harmless.annotator.tolist() == [annotator.pk]


def test_a_criterion_verdict_without_strength_is_that_side_not_a_tie(project, annotator, second_annotator):
    """A project with criteria and no strength scale stores {"winner": "b", "strength": null}: read
    through SQLite's JSON, the null cast to 0, so every such verdict counted as a tie and each
    criterion's agreement read 100% "every judgment gave the same answer"."""
    project.criteria, project.strength_scale = ["helpful"], []
    project.save()
    verdicts = [("a", "b"), ("b", "b"), ("a", "a"), ("tie", "a")]
    for first, second in verdicts:
        comparison = make_comparison(project)
        judge(comparison, annotator, "a", None, criteria={"helpful": {"winner": first, "strength": None}})
        judge(comparison, second_annotator, "a", None, criteria={"helpful": {"winner": second, "strength": None}})
    helpful = criterion_arrays(project, "helpful")
    sign = {"a": 1, "b": -1, "tie": 0}
    assert helpful.signed.tolist() == [sign[w] for pair in verdicts for w in pair]
    agreement_of_helpful = project_stats_compute(project)["agreement"]["criteria"]["helpful"]
    assert agreement_of_helpful["percent_agreement"] == pytest.approx(0.5)  # two of four comparisons


def test_ranking_judgments_become_positions_and_expand_to_implied_pairs(project, annotator):
    project.task_type, project.responses_per_comparison = ComparisonKind.RANKING, 3
    project.save()
    comparison = make_comparison(project, models_=("m0", "m1", "m2"))
    judge(comparison, annotator, ranking=["c", "a", "b"])
    arrays, positions = judgment_arrays(project), position_arrays(project)
    assert arrays.rankings == [[2, 0, 1]]
    rows = pair_rows(arrays.comparison, arrays.signed, arrays.rankings, (positions.comparison, positions.position, positions.model, positions.length))
    names = [(positions.models[a], positions.models[b]) for a, b in zip(rows.model_a, rows.model_b, strict=True)]
    assert names == [("m2", "m0"), ("m2", "m1"), ("m0", "m1")] and rows.outcome.tolist() == [1, 1, 1]
    unit, _, value = agreement_units(arrays.comparison, arrays.annotator, arrays.signed, arrays.rankings)
    assert len(set(unit.tolist())) == 3 and value.tolist() == [-1.0, -1.0, 1.0]  # (0,2) (1,2) (0,1)


def test_context_reads_skips_flags_gold_and_names(project, annotator, second_annotator):
    regular, gold = make_comparison(project), make_comparison(project, is_gold=True, gold_answer={"winner": "b"})
    skip(regular, second_annotator)
    Flag.objects.create(project=project, comparison=regular, annotator=annotator, reason="unsafe")
    Flag.objects.create(project=project, comparison=regular, annotator=annotator, reason="other")
    context = project_context(project)
    assert context.skipped.tolist() == [[regular.pk, second_annotator.pk]]
    assert context.flagged.tolist() == [[regular.pk, annotator.pk]] and context.flags == 2
    assert context.gold == {gold.pk: {"winner": "b"}} and context.comparisons == 2
    names = user_names(np.array([annotator.pk]), context.skipped[:, 1])
    assert names == {annotator.pk: "ann-annotator", second_annotator.pk: "bob-annotator"}


def test_compute_reads_in_a_fixed_number_of_queries(project, duel):
    with CaptureQueriesContext(connection) as small:
        project_stats_compute(project)
    for comparison in [make_comparison(project) for _ in range(20)]:
        judge(comparison, UserFactory(), "b", 1)
    with CaptureQueriesContext(connection) as larger:
        project_stats_compute(project)
    assert len(larger) == len(small) <= 12


def copy_bytes(*rows) -> bytes:
    """PostgreSQL's binary COPY output for rows of bigints (None for NULL)."""
    out = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    for row in rows:
        out += len(row).to_bytes(2, "big")
        for value in row:
            out += b"\xff\xff\xff\xff" if value is None else (8).to_bytes(4, "big") + value.to_bytes(8, "big", signed=True)
    return out + b"\xff\xff"


def test_binary_copy_rows_are_read_in_place_and_a_null_is_refused():
    assert _binary_bigint_rows(copy_bytes((1, -2), (3, 2**40)), 2).tolist() == [[1, -2], [3, 2**40]]
    assert _binary_bigint_rows(copy_bytes(), 3).shape == (0, 3)
    with pytest.raises(ValueError, match="non-null"):
        _binary_bigint_rows(copy_bytes((1, None), (3, 4)), 2)


# --- arrays -----------------------------------------------------------------------------------


def test_unit_matrix_drops_rater_identity_but_not_the_figures():
    rng = np.random.default_rng(3)
    matrix = rng.integers(-1, 2, (40, 7)).astype(float)
    matrix[rng.random(matrix.shape) < 0.5] = np.nan
    item, rater = np.nonzero(~np.isnan(matrix))
    compact = unit_matrix(item * 10 + 5, matrix[item, rater])
    assert compact.shape[1] == np.max(np.sum(~np.isnan(matrix), axis=1))
    for level in agreement.LEVELS:
        assert agreement.krippendorff_alpha(compact, level) == pytest.approx(agreement.krippendorff_alpha(matrix, level), abs=1e-12)
    assert agreement.percent_agreement(compact) == pytest.approx(agreement.percent_agreement(matrix))


def test_equal_count_rows_keep_the_most_common_count():
    nan = np.nan
    matrix = np.array([[1, 1, nan], [1, 0, nan], [1, 1, 1], [0, nan, nan]])
    rows, count = equal_count_rows(matrix)
    assert count == 2 and rows.tolist()[0][:2] == [1, 1] and len(rows) == 2


@pytest.mark.parametrize("scale", [1, 10**8])  # a narrow id range (lookup table), a wide one (search)
def test_position_lookup_says_missing_for_unknown_positions(scale):
    lookup = PositionLookup(np.array([7, 7, 9, 9]) * scale, np.array([0, 1, 0, 1]), np.array([9, 7, 8, 9, 5]) * scale)
    found = lookup.get(np.array([70, 71, 90, 91]), np.array([0, 0, 0, 1, 2]))
    assert found.tolist() == [90, 70, MISSING, 91, MISSING]


def test_merged_rows_give_the_same_length_controlled_fit(project, annotator, second_annotator):
    third = UserFactory()
    verdicts = ["aab", "abb", "a t", "bba", "aaa", "tb "]  # per comparison: three annotators, " " = none
    for i, verdicts_of_one in enumerate(verdicts):
        models_by_position = ("x", "y") if i % 2 else ("y", "x")
        comparison = make_comparison(project, models_=models_by_position, texts=["word " * (i + 1), "longer words " * (5 - i % 3)])
        for user, winner in zip((annotator, second_annotator, third), verdicts_of_one, strict=True):
            if winner != " ":
                judge(comparison, user, {"t": "tie"}.get(winner, winner), 1)
    arrays, positions = judgment_arrays(project), position_arrays(project)
    rows = pair_rows(arrays.comparison, arrays.signed, None, (positions.comparison, positions.position, positions.model, positions.length))
    merged, counts = merge_by_comparison(rows, arrays.comparison)
    assert len(merged.outcome) == 11 and counts.sum() == 16
    full = length_controlled_bradley_terry(rows.model_a, rows.model_b, rows.outcome, rows.length_a, rows.length_b)
    fewer = length_controlled_bradley_terry(merged.model_a, merged.model_b, merged.outcome, merged.length_a, merged.length_b, weight=counts)
    assert fewer["length_coef"] == pytest.approx(full["length_coef"], abs=1e-5)
    assert [r["rating"] for r in fewer["rows"]] == pytest.approx([r["rating"] for r in full["rows"]], abs=1e-3)
    # n counts the judgments each merged row stands for, as Bradley-Terry's n does (not merged rows)
    assert [(r["model"], r["n"]) for r in fewer["rows"]] == [(r["model"], r["n"]) for r in full["rows"]]
    ratings = project_stats_compute(project)["ratings"]
    n = {name: {r["model"]: r["n"] for r in ratings[name]} for name in ("bradley_terry", "elo")}
    n["length_controlled"] = {r["model"]: r["n"] for r in ratings["length_controlled"]["rows"]}
    assert n["length_controlled"] == n["bradley_terry"] == n["elo"] == {"x": 16, "y": 16}


# --- the payload ------------------------------------------------------------------------------


def test_payload_has_the_documented_shape(project, duel):
    payload = project_stats_compute(project)
    assert {"project", "task_type", "computed_at", "judgments", "counts", "agreement", "annotators", "ratings", "seconds"} <= set(payload)
    for figure in ("krippendorff_alpha", "fleiss_kappa", "cohen_kappa_mean", "percent_agreement", "krippendorff_alpha_ci"):
        assert figure in payload["agreement"]
    row_keys = {"model", "rating", "ci_low", "ci_high", "rank", "n"}
    assert set(payload["ratings"]["bradley_terry"][0]) == row_keys | {"unrated"}
    assert set(payload["ratings"]["elo"][0]) == row_keys
    assert {"rows", "length_coef", "length_coef_se"} == set(payload["ratings"]["length_controlled"])
    assert payload["judgments"] == 8 and payload["counts"]["ties"] == 2
    json.dumps(payload, allow_nan=False)


def test_two_annotators_figures_match_the_maths_on_the_same_matrix(project, duel):
    payload = project_stats_compute(project)["agreement"]
    winners = np.array([[1, 1], [1, -1], [0, 0], [-1, -1.0]])
    scores = np.array([[3, 2], [1, -1], [0, 0], [-2, -2.0]])
    assert payload["krippendorff_alpha"] == pytest.approx(agreement.krippendorff_alpha(winners))
    assert payload["krippendorff_alpha_ordinal"] == pytest.approx(agreement.krippendorff_alpha(scores, "ordinal"))
    assert payload["cohen_kappa_mean"] == pytest.approx(agreement.cohen_kappa_mean(winners))
    assert payload["fleiss_kappa"] == pytest.approx(agreement.fleiss_kappa(winners))
    assert payload["percent_agreement"] == 0.75 and payload["reason"] is None


def test_one_annotator_gives_null_agreement_with_a_reason(project, annotator):
    for winner in "ab":
        judge(make_comparison(project), annotator, winner, 1)
    block = project_stats_compute(project)["agreement"]
    assert block["krippendorff_alpha"] is None and block["fleiss_kappa"] is None
    assert block["cohen_kappa_mean"] is None and block["percent_agreement"] is None
    assert block["reason"] == ONE_RATER == block["reasons"]["krippendorff_alpha"]


def test_everyone_giving_one_answer_leaves_alpha_undefined_but_agreement_total(project, annotator, second_annotator):
    for _ in range(3):
        comparison = make_comparison(project)
        judge(comparison, annotator, "a", 1)
        judge(comparison, second_annotator, "a", 1)
    block = project_stats_compute(project)["agreement"]
    assert block["krippendorff_alpha"] is None and block["reasons"]["krippendorff_alpha"] == NO_VARIATION
    assert block["percent_agreement"] == 1.0


def test_no_judgments_gives_empty_but_valid_stats(project):
    payload = project_stats_compute(project)
    assert payload["agreement"]["reason"] == "no judgments yet" and payload["ratings"]["bradley_terry"] == []
    assert payload["annotators"] == [] and payload["counts"]["judgments"] == 0


def test_ratings_put_the_model_that_keeps_winning_first_with_intervals(project, annotator, second_annotator):
    # 24 comparisons, weak winning 8 judgments in 8 of them: few enough resamples leave none of those
    # out that both interval ends are finite (leaderboard.py)
    for i in range(24):
        comparison = make_comparison(project, models_=("strong", "weak") if i % 2 else ("weak", "strong"))
        judge(comparison, annotator, "a" if i % 2 else "b", 2)
        judge(comparison, second_annotator, ("a" if i % 2 else "b") if i % 3 else ("b" if i % 2 else "a"), 1)
    ratings = project_stats_compute(project)["ratings"]
    top = ratings["bradley_terry"][0]
    assert top["model"] == "strong" and top["ci_low"] <= top["rating"] <= top["ci_high"] and top["n"] == 48
    assert ratings["elo"][0]["model"] == "strong" and ratings["elo"][0]["ci_low"] is None
    assert ratings["strength_weighted"][0]["model"] == "strong"
    assert ratings["win_rate"]["models"] == ["strong", "weak"]
    assert ratings["win_rate"]["matrix"][0][1] > 0.5 and ratings["win_rate"]["matrix"][0][0] is None


def test_win_rate_is_null_for_models_that_never_met(project, annotator):
    judge(make_comparison(project, models_=("x", "y")), annotator, "a", 1)
    judge(make_comparison(project, models_=("y", "z")), annotator, "a", 1)
    matrix = project_stats_compute(project)["ratings"]["win_rate"]["matrix"]
    assert matrix[0][2] is None and matrix[0][1] == 1.0


def test_payload_is_reproducible(project, duel):
    first, second = project_stats_compute(project), project_stats_compute(project)
    for payload in (first, second):
        payload.pop("computed_at"), payload.pop("seconds")
    assert first == second


def test_gold_feeds_gold_accuracy_not_agreement_or_ratings(project, annotator, second_annotator):
    gold = make_comparison(project, is_gold=True, gold_answer={"winner": "a"})
    judge(gold, annotator, "a", 1)
    judge(gold, second_annotator, "b", 1)
    payload = project_stats_compute(project)
    rows = {row["username"]: row for row in payload["annotators"]}
    assert rows["ann-annotator"]["gold_accuracy"] == 1.0 and rows["bob-annotator"]["gold_accuracy"] == 0.0
    assert payload["agreement"]["n_ratings"] == 0 and payload["ratings"]["n"] == 0
    assert payload["counts"]["gold_comparisons"] == 1


def test_a_gold_mistake_rejected_in_review_stays_on_the_annotators_gold_record(project, annotator, second_annotator):
    """Rejecting a judgment takes it out of the data; it took the mistake out of the annotator's gold
    accuracy too, so reviewing someone's gold errors raised it (50% of 4 read 67% of 3)."""
    golds = [make_comparison(project, is_gold=True, gold_answer={"winner": "a"}) for _ in range(4)]
    for gold, verdict in zip(golds, ("a", "a", "b", "tie"), strict=True):
        judge(gold, annotator, verdict, None if verdict == "tie" else 1)
    judge(make_comparison(project), second_annotator, "a", 1)
    Judgment.objects.filter(comparison=golds[3], annotator=annotator).update(review=ReviewState.REJECTED)
    rows = {row["username"]: row for row in project_stats_compute(project)["annotators"]}
    assert (rows["ann-annotator"]["gold_accuracy"], rows["ann-annotator"]["n_gold"]) == (0.5, 4)
    assert rows["ann-annotator"]["n"] == 3  # counted nowhere else
    assert (rows["bob-annotator"]["gold_accuracy"], rows["bob-annotator"]["n_gold"]) == (None, 0)


def test_imported_labels_count_in_ratings_but_get_no_annotator_row(project, annotator):
    source = UserFactory(username="import:arena")
    for comparison in [make_comparison(project, models_=("p", "q")) for _ in range(3)]:
        judge(comparison, source, "a", 1)
        judge(comparison, annotator, "b", 1)
    payload = project_stats_compute(project)
    assert [row["username"] for row in payload["annotators"]] == ["ann-annotator"]
    assert payload["ratings"]["n"] == 6 and payload["agreement"]["n_raters"] == 2
    assert payload["counts"]["imported_judgments"] == 3 and payload["counts"]["annotators"] == 1


def test_skips_flags_ties_and_time_show_in_annotator_rows(project, duel, annotator):
    extra = make_comparison(project)
    skip(extra, annotator)
    Flag.objects.create(project=project, comparison=duel[0], annotator=annotator, reason="unsafe")
    row = next(r for r in project_stats_compute(project)["annotators"] if r["annotator"] == annotator.pk)
    assert row["n"] == 5 and row["skip_rate"] == 0.2 and row["flag_rate"] == 0.2
    assert row["tie_rate"] == 0.25 and row["median_seconds"] == 4.0
    assert row["agreement"] == 0.75 and row["n_agreement"] == 4


def test_criteria_get_their_own_agreement(project, annotator, second_annotator):
    project.criteria = ["honest"]
    project.save()
    for winner in ("a", "b", "tie"):
        comparison = make_comparison(project)
        for user in (annotator, second_annotator):
            judge(comparison, user, "a", 1, criteria={"honest": {"winner": winner, "strength": None if winner == "tie" else 1}})
    honest = project_stats_compute(project)["agreement"]["criteria"]["honest"]
    assert honest["krippendorff_alpha"] == pytest.approx(1.0) and honest["n_units"] == 3


def best_first(models_) -> list[str]:
    """The letters of a comparison of these models, ranked best, mid, worst."""
    return sorted("abc", key=lambda letter: RANKED.index(models_["abc".index(letter)]))


RANKED = ("best", "mid", "worst")


def test_ranking_project_rates_models_from_implied_pairs(project, annotator, second_annotator):
    project.task_type, project.responses_per_comparison, project.criteria = ComparisonKind.RANKING, 3, ["clear"]
    project.save()
    for i in range(6):
        models_ = RANKED[i % 3:] + RANKED[:i % 3]  # every model at every position
        comparison = make_comparison(project, models_=models_)
        clear = {"clear": {"ranking": ["a", "b", "c"]}}
        judge(comparison, annotator, ranking=best_first(models_), criteria=clear)
        judge(comparison, second_annotator, ranking=best_first(models_)[::-1 if i == 0 else 1], criteria=clear)
    payload = project_stats_compute(project)
    assert payload["ratings"]["elo"][0]["model"] == "best" and payload["ratings"]["bradley_terry"][0]["model"] == "best"
    assert payload["ratings"]["n"] == 36 and payload["agreement"]["unit"] == "implied pair"
    assert payload["agreement"]["n_units"] == 18 and payload["agreement"]["krippendorff_alpha"] > 0.5
    assert payload["agreement"]["krippendorff_alpha_ordinal"] is None
    clear = payload["agreement"]["criteria"]["clear"]
    assert clear["unit"] == "implied pair" and clear["percent_agreement"] == 1.0


def test_hh_sample_with_labels_gives_sensible_stats(project):
    with open(HH_300, "rb") as f:
        import_file(project=project, lines=f, format="hh-rlhf", with_labels=True)
    payload = project_stats_compute(project)
    assert payload["counts"]["judgments"] == 300 == payload["counts"]["imported_judgments"]
    assert payload["agreement"]["krippendorff_alpha"] is None and payload["agreement"]["reason"] == ONE_RATER
    assert payload["annotators"] == [] and "model names" in payload["ratings"]["reason"]
    assert payload["ratings"]["excluded"] == {"same_model": 0, "no_model": 300}
    json.dumps(payload, allow_nan=False)


def test_pairs_of_unnamed_responses_are_left_out_as_naming_no_model(project, annotator):
    for models_ in [("", ""), ("", ""), ("model-a", "model-a"), ("model-a", "")]:
        judge(make_comparison(project, models_=models_), annotator, "a", 1)
    ratings = project_stats_compute(project)["ratings"]
    assert ratings["excluded"] == {"same_model": 1, "no_model": 2}
    # a named model against unnamed responses is still rated, against them pooled
    assert ratings["n"] == 1 and {row["model"] for row in ratings["bradley_terry"]} == {"model-a", "(unnamed)"}


# --- the cache and its debounce ---------------------------------------------------------------


def test_refresh_stores_the_payload_once_for_a_burst(project, duel):
    assert project_stats_request(project.pk) is True
    assert [project_stats_request(project.pk) for _ in range(5)] == [False] * 5  # one is scheduled
    assert project_stats_refresh(project.pk) is True
    assert project_stats_refresh(project.pk) is False  # a second queued refresh finds nothing to do
    stats = ProjectStats.objects.get(project=project)
    assert not stats.dirty and stats.judgment_watermark == 8 and stats.payload["judgments"] == 8


def test_an_older_snapshot_never_overwrites_a_newer_one(project, duel):
    older = project_stats_compute(project)
    newer = project_stats_compute(project)
    assert project_stats_store(project=project, payload=newer) is True
    assert project_stats_store(project=project, payload=older) is False
    assert ProjectStats.objects.get(project=project).payload["computed_at"] == newer["computed_at"]


def test_reading_stats_dirty_for_too_long_sends_a_refresh(
    api, project, admin_user, duel, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling import tasks

    sent = []
    monkeypatch.setattr(tasks.project_stats_recompute, "delay", lambda *args: sent.append(args))
    project_stats_store(project=project, payload=project_stats_compute(project))
    project_stats_request(project.pk)
    with django_capture_on_commit_callbacks(execute=True):
        api(admin_user).get(STATS_URL.format(project.pk))
    assert sent == []  # pending and recent: the scheduled refresh will come
    ProjectStats.objects.filter(project=project).update(computed_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert api(admin_user).get(STATS_URL.format(project.pk)).json()["stale"] is True
    assert sent == [(project.pk,)]  # the scheduled refresh was lost: send another


def test_a_failed_computation_hands_the_work_back(project, duel, monkeypatch):
    project_stats_request(project.pk)

    def broken(project):
        raise RuntimeError("boom")

    monkeypatch.setattr(stats_service, "project_stats_compute", broken)
    with pytest.raises(RuntimeError):
        project_stats_refresh(project.pk)
    assert ProjectStats.objects.get(project=project).dirty


class _WorkerKilled(BaseException):
    """What the service sees of a SIGKILL or an OOM kill: nothing after this line runs."""


def test_a_worker_killed_mid_computation_leaves_the_stats_stale_until_another_refresh(
    api, project, admin_user, duel, monkeypatch
):
    project_stats_store(project=project, payload=project_stats_compute(project))
    judge(make_comparison(project), admin_user, "a", 1)
    project_stats_request(project.pk)
    real_compute = stats_service.project_stats_compute

    def killed(project):
        raise _WorkerKilled

    monkeypatch.setattr(stats_service, "project_stats_compute", killed)
    with pytest.raises(_WorkerKilled):
        project_stats_refresh(project.pk)
    assert api(admin_user).get(STATS_URL.format(project.pk)).json()["stale"] is True
    monkeypatch.setattr(stats_service, "project_stats_compute", real_compute)
    assert project_stats_refresh(project.pk) is False  # the dead worker's claim is recent
    ProjectStats.objects.filter(project=project).update(refresh_started_at=timezone.now() - timedelta(hours=1))
    assert project_stats_refresh(project.pk) is True  # ... until it is STALE_AFTER old
    body = api(admin_user).get(STATS_URL.format(project.pk)).json()
    assert body["stale"] is False and body["judgments"] == 9


def test_reading_stats_whose_refresh_died_sends_another(
    api, project, admin_user, duel, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling import tasks

    sent = []
    monkeypatch.setattr(tasks.project_stats_recompute, "delay", lambda *args: sent.append(args))
    project_stats_store(project=project, payload=project_stats_compute(project))
    long_ago = timezone.now() - timedelta(hours=1)
    ProjectStats.objects.filter(project=project).update(dirty=False, refresh_started_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert api(admin_user).get(STATS_URL.format(project.pk)).json()["stale"] is True
    assert sent == [(project.pk,)]


def test_a_burst_of_judgments_schedules_one_delayed_recompute_after_commit(
    project, annotator, second_annotator, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling import tasks

    scheduled = []
    monkeypatch.setattr(tasks.project_stats_recompute, "apply_async", lambda **kw: scheduled.append(kw))
    make_comparison(project)
    project.overlap = 2
    project.save()
    for user in (annotator, second_annotator):
        comparison = comparison_lease_next(project=project, annotator=user)
        with django_capture_on_commit_callbacks(execute=True):
            judgment_create(annotator=user, comparison_id=comparison.pk, client_key=new_client_key(), winner="a", strength=1)
    assert scheduled == [{"args": [project.pk], "countdown": stats_service.DEBOUNCE_SECONDS}]
    assert ProjectStats.objects.get(project=project).dirty


def test_a_project_without_a_stats_row_gets_one_on_the_first_read(
    api, project, admin_user, annotator, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling import tasks

    sent = []
    monkeypatch.setattr(tasks.project_stats_recompute, "apply_async", lambda **kw: pytest.fail("scheduled"))
    monkeypatch.setattr(tasks.project_stats_recompute, "delay", lambda *args: sent.append(args))
    ProjectStats.objects.filter(project=project).delete()  # a project made before stats rows existed
    make_comparison(project)
    comparison = comparison_lease_next(project=project, annotator=annotator)
    with django_capture_on_commit_callbacks(execute=True):
        judgment_create(annotator=annotator, comparison_id=comparison.pk, client_key=new_client_key(), winner="a", strength=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert api(admin_user).get(STATS_URL.format(project.pk)).status_code == 202
    assert sent == [(project.pk,)] and ProjectStats.objects.get(project=project).dirty


def test_a_project_whose_stats_take_long_waits_longer_before_refreshing(
    project, duel, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling import tasks

    scheduled = []
    monkeypatch.setattr(tasks.project_stats_recompute, "apply_async", lambda **kw: scheduled.append(kw["countdown"]))
    payload = project_stats_compute(project)
    payload["seconds"]["total"] = 2.5
    project_stats_store(project=project, payload=payload)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        project_stats_changed(project.pk)
    assert scheduled == [25.0]  # at most a tenth of a worker's time goes to one project's stats


# --- the API ----------------------------------------------------------------------------------


def test_before_any_computation_the_api_answers_202_and_schedules_one(
    api, project, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    from labeling import tasks

    sent = []
    monkeypatch.setattr(tasks.project_stats_recompute, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_user).get(STATS_URL.format(project.pk))
    assert response.status_code == 202 and response.json()["stale"] is True
    assert sent == [(project.pk,)] and ProjectStats.objects.get(project=project).dirty


def test_the_api_serves_the_cache_and_never_computes(api, project, admin_user, duel, monkeypatch):
    project_stats_store(project=project, payload=project_stats_compute(project))
    judge(make_comparison(project), admin_user, "a", 1)
    project_stats_request(project.pk)
    monkeypatch.setattr(stats_service, "project_stats_compute", lambda project: pytest.fail("computed on a request"))
    body = api(admin_user).get(STATS_URL.format(project.pk)).json()
    assert body["judgments"] == 8 and body["stale"] is True


def test_admins_see_every_annotator_row(api, project, admin_user, duel):
    project_stats_store(project=project, payload=project_stats_compute(project))
    body = api(admin_user).get(STATS_URL.format(project.pk)).json()
    assert {row["username"] for row in body["annotators"]} == {"ann-annotator", "bob-annotator"}


def test_annotators_see_figures_but_only_their_own_row(api, project, annotator, duel):
    project_stats_store(project=project, payload=project_stats_compute(project))
    body = api(annotator).get(STATS_URL.format(project.pk)).json()
    assert [row["username"] for row in body["annotators"]] == ["ann-annotator"]
    assert body["agreement"]["krippendorff_alpha"] is not None
    assert "bob-annotator" not in json.dumps(body)


def test_annotators_judge_blind_so_they_get_no_model_leaderboard(api, project, admin_user, annotator, duel):
    project_stats_store(project=project, payload=project_stats_compute(project))
    assert api(admin_user).get(STATS_URL.format(project.pk)).json()["ratings"]["bradley_terry"]
    body = api(annotator).get(STATS_URL.format(project.pk)).json()
    assert "ratings" not in body
    assert "model-a" not in json.dumps(body) and "model-b" not in json.dumps(body)


def test_outsiders_and_strangers_get_no_stats(api, project, outsider, duel):
    project_stats_store(project=project, payload=project_stats_compute(project))
    assert api(outsider).get(STATS_URL.format(project.pk)).status_code == 404
    assert api(None).get(STATS_URL.format(project.pk)).status_code in (401, 403)


# --- the command ------------------------------------------------------------------------------


def test_command_prints_a_summary_and_refreshes_the_cache(project, duel, capsys):
    call_command("project_stats", "--project", project.slug)
    out = capsys.readouterr().out
    assert "Krippendorff's alpha" in out and "model-a" in out and "ann-annotator" in out
    assert ProjectStats.objects.get(project=project).judgment_watermark == 8


def test_command_json_is_the_payload(project, duel, capsys):
    call_command("project_stats", "--project", project.slug, "--json")
    payload = json.loads(capsys.readouterr().out)
    assert payload["agreement"]["percent_agreement"] == 0.75


def test_command_says_so_for_an_unknown_project(db):
    with pytest.raises(CommandError, match="no project"):
        call_command("project_stats", "--project", "nope")


# --- a real worker ----------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_submitted_judgment_leads_a_worker_to_refresh_the_cached_stats(api, project, annotator):
    with celery_worker():  # started first: it purges messages left by earlier tests
        make_comparison(project)
        comparison = api(annotator).get(f"/api/projects/{project.pk}/next-task/").json()
        body = {"comparison": comparison["id"], "winner": "a", "strength": 2, "client_key": new_client_key()}
        assert api(annotator).post("/api/judgments/", body, format="json").status_code == 201
        stats = wait_for(
            lambda: ProjectStats.objects.filter(project=project, judgment_watermark=1, dirty=False).first(),
            timeout=90, what="the worker to refresh the stats",
        )
    assert stats.payload["counts"]["judgments"] == 1
    assert stats.payload["ratings"]["bradley_terry"][0]["model"] == "model-a"
    assert api(annotator).get(STATS_URL.format(project.pk)).json()["stale"] is False


def test_annotators_answering_faster_than_anyone_reads_are_flagged(project, annotator, second_annotator):
    """600 + 600 characters take at least 20 s to skim: one annotator answers in 2 s, the other in 30."""
    from tests.factories import make_comparison, new_client_key

    for _ in range(12):
        comparison = make_comparison(project, texts=["x" * 600, "y" * 600])
        for user, ms in ((annotator, 2000), (second_annotator, 30000)):
            Judgment.objects.create(project=project, comparison=comparison, annotator=user, winner="a",
                                    time_spent_ms=ms, client_key=new_client_key())
    rows = {row["username"]: row for row in project_stats_compute(project)["annotators"]}
    fast, careful = rows[annotator.username], rows[second_annotator.username]
    assert (fast["too_fast"], fast["fast_rate"], fast["fastest_seconds"]) == (True, 1.0, 2.0)
    assert (careful["too_fast"], careful["fast_rate"]) == (False, 0.0)

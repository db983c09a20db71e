"""A judge's judgments: stored under its inactive user without a seat or a lease, once per
comparison (a second run updates or leaves them), checked against the project's settings; and
the comparisons a judge run reads (all, unjudged, a seeded sample)."""

import pytest

from labeling.errors import InvalidInput
from labeling.judges.selectors import judge_comparison_ids, judge_comparisons, judge_rubric
from labeling.judges.services import judge_for_checkpoint, judge_verdicts_store
from labeling.models import Comparison, Judge, Judgment, Lease
from tests.factories import make_comparison

pytestmark = pytest.mark.django_db


def counters(comparisons) -> list[tuple]:
    ids = [c.pk for c in comparisons]
    return list(Comparison.objects.filter(id__in=ids).order_by("id").values_list("holders", "judgment_count", "is_open"))


def verdicts_on(comparisons, winner="a", strength=2) -> list[dict]:
    return [
        {"comparison_id": c.pk, "winner": winner, "strength": strength, "criteria": {}, "rationale": "scores", "margin": 1.5}
        for c in comparisons
    ]


@pytest.fixture
def rm_judge(project):
    return judge_for_checkpoint(project=project, checkpoint_id=7, name="rm-run-3", kind="reward_model")


def test_a_judge_is_an_inactive_user_named_after_its_checkpoint(project):
    judge = judge_for_checkpoint(project=project, checkpoint_id=7, name="rm-run-3", kind="reward_model")
    assert judge.name == "rm-run-3" and judge.checkpoint_id == 7 and judge.kind == "reward_model"
    assert not judge.user.is_active and not judge.user.has_usable_password()
    assert judge_for_checkpoint(project=project, checkpoint_id=7, name="rm-run-3", kind="reward_model") == judge
    other = judge_for_checkpoint(project=project, checkpoint_id=9, name="rm-run-3", kind="reward_model")
    assert other.name == "rm-run-3 #9" and other.user != judge.user
    assert Judge.objects.filter(project=project).count() == 2


def test_storing_verdicts_takes_no_seat_and_makes_no_lease(project, rm_judge):
    comparisons = [make_comparison(project) for _ in range(3)]
    before = counters(comparisons)
    counts = judge_verdicts_store(judge=rm_judge, verdicts=verdicts_on(comparisons))
    assert counts == {"created": 3, "updated": 0, "unchanged": 0, "missing": 0}
    assert counters(comparisons) == before == [(0, 0, True)] * 3
    assert not Lease.objects.exists()
    stored = Judgment.objects.filter(annotator=rm_judge.user).order_by("comparison_id")
    assert [(j.winner, j.strength, j.ranking, j.rationale) for j in stored] == [("a", 2, None, "scores")] * 3


def test_a_second_run_updates_changed_verdicts_and_duplicates_nothing(project, rm_judge):
    comparisons = [make_comparison(project) for _ in range(3)]
    judge_verdicts_store(judge=rm_judge, verdicts=verdicts_on(comparisons))
    again = verdicts_on(comparisons[:2]) + verdicts_on(comparisons[2:], winner="b", strength=1)
    assert judge_verdicts_store(judge=rm_judge, verdicts=again) == {"created": 0, "updated": 1, "unchanged": 2, "missing": 0}
    assert Judgment.objects.filter(annotator=rm_judge.user).count() == 3
    assert Judgment.objects.get(annotator=rm_judge.user, comparison=comparisons[2]).winner == "b"
    assert counters(comparisons) == [(0, 0, True)] * 3


def test_a_judged_comparison_is_still_served_to_humans(api, project, annotator, rm_judge):
    comparison = make_comparison(project)
    judge_verdicts_store(judge=rm_judge, verdicts=verdicts_on([comparison]))
    response = api(annotator).get(f"/api/projects/{project.pk}/next-task/")
    assert response.status_code == 200 and response.json()["id"] == comparison.pk
    assert counters([comparison]) == [(1, 0, False)]  # the human's lease took the only seat


def test_verdicts_the_project_does_not_allow_are_refused(project, rm_judge):
    comparison = make_comparison(project)
    project.allow_ties = False
    project.save()
    for bad in ({"winner": "tie", "strength": None}, {"winner": "a", "strength": 4}, {"winner": "c", "strength": 1}):
        with pytest.raises(InvalidInput):
            judge_verdicts_store(judge=rm_judge, verdicts=[{"comparison_id": comparison.pk, "criteria": {}, **bad}])
    with pytest.raises(InvalidInput, match="no criterion helpful"):
        criteria = {"helpful": {"winner": "a", "strength": 1}}
        judge_verdicts_store(judge=rm_judge, verdicts=[{"comparison_id": comparison.pk, "winner": "a", "criteria": criteria}])
    assert not Judgment.objects.exists()


def test_ranking_verdicts_are_stored_with_their_criteria(project):
    project.task_type, project.responses_per_comparison, project.criteria = "ranking", 3, ["harmless"]
    project.save()
    judge = judge_for_checkpoint(project=project, checkpoint_id=1, name="lm", kind="causal_lm")
    comparison = make_comparison(project, models_=("m1", "m2", "m3"))
    verdict = {"comparison_id": comparison.pk, "ranking": ["c", "a", "b"], "criteria": {"harmless": {"ranking": ["a", "c", "b"]}}}
    judge_verdicts_store(judge=judge, verdicts=[verdict])
    stored = Judgment.objects.get(annotator=judge.user)
    assert stored.ranking == ["c", "a", "b"] and stored.winner == "" and stored.criteria == verdict["criteria"]
    with pytest.raises(InvalidInput, match="every position letter once"):
        judge_verdicts_store(judge=judge, verdicts=[{**verdict, "ranking": ["a", "a", "b"]}])


def test_a_run_reads_all_unjudged_or_a_seeded_sample(project, rm_judge):
    comparisons = [make_comparison(project) for _ in range(6)]
    ids = [c.pk for c in comparisons]
    judge_verdicts_store(judge=rm_judge, verdicts=verdicts_on(comparisons[:2]))
    assert judge_comparison_ids(project=project, judge=rm_judge, which="all") == ids
    assert judge_comparison_ids(project=project, judge=rm_judge, which="unjudged") == ids[2:]
    assert judge_comparison_ids(project=project, judge=None, which="unjudged") == ids
    sample = judge_comparison_ids(project=project, judge=rm_judge, which="sample", sample_size=3, seed=5)
    assert len(sample) == 3 and set(sample) <= set(ids) and sample == sorted(sample)
    assert judge_comparison_ids(project=project, judge=rm_judge, which="sample", sample_size=3, seed=5) == sample
    draws = {tuple(judge_comparison_ids(project=project, judge=None, which="sample", sample_size=3, seed=s)) for s in range(8)}
    assert len(draws) > 1


def test_a_run_reads_each_comparisons_prompt_and_responses_by_position(project):
    comparison = make_comparison(project, texts=["first shown", "second shown"])
    [record] = judge_comparisons([comparison.pk])
    assert record == {
        "comparison_id": comparison.pk, "prompt": comparison.prompt.messages, "responses": ["first shown", "second shown"],
    }


def test_the_rubric_is_the_projects_settings(project):
    project.guidelines, project.criteria, project.allow_ties = "Be honest.", ["harmless"], False
    assert judge_rubric(project, "causal_lm") == {
        "kind": "causal_lm", "task_type": "pairwise", "guidelines": "Be honest.", "criteria": ["harmless"],
        "allow_ties": False, "strength_levels": 3,
    }


def test_a_changed_verdict_clears_the_review_of_the_old_one(project, rm_judge, admin_user):
    changed, kept = make_comparison(project), make_comparison(project)
    judge_verdicts_store(judge=rm_judge, verdicts=verdicts_on([changed, kept]))
    Judgment.objects.filter(annotator=rm_judge.user).update(review="rejected", review_note="wrong", reviewed_by=admin_user)
    judge_verdicts_store(judge=rm_judge, verdicts=verdicts_on([changed], winner="b") + verdicts_on([kept]))
    reviews = dict(Judgment.objects.filter(annotator=rm_judge.user).values_list("comparison_id", "review"))
    assert reviews == {changed.pk: "", kept.pk: "rejected"}

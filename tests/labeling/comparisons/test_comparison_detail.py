"""An admin opens one comparison whole (a flagged one, from the dashboard): the prompt, every
response with its letter and model, the judgments with who made them (a judge marked), their
review, and the flags; other projects' comparisons are not found, non-admins are refused."""

import pytest

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.flags import flag_create
from labeling.annotation.judgments import judgment_create
from labeling.judges.services import judge_for_checkpoint, judge_verdicts_store
from labeling.models import Judge, Judgment
from labeling.review.services import judgment_review
from tests.factories import ProjectFactory, add_member, make_comparison, new_client_key

pytestmark = pytest.mark.django_db


def url(project_id, comparison_id):
    return f"/api/projects/{project_id}/comparisons/{comparison_id}/"


@pytest.fixture
def judged(project, annotator, second_annotator, admin_user):
    """A comparison judged by two people (one rejected in review) and a judge, and flagged."""
    project.overlap = 2
    project.save(update_fields=["overlap"])
    comparison = make_comparison(project, models_=("llama-7b", "mistral-7b"), texts=["<b>bold</b> answer", "plain"])
    for user, winner in [(annotator, "a"), (second_annotator, "b")]:
        assert comparison_lease_next(project=project, annotator=user).pk == comparison.pk
        judgment_create(annotator=user, comparison_id=comparison.pk, client_key=new_client_key(),
                        winner=winner, strength=2, rationale=f"{user.username} thinks {winner}")
    rejected = second_annotator.judgments.get()
    judgment_review(judgment=rejected, reviewer=admin_user, review="rejected", note="skimmed")
    judge = judge_for_checkpoint(project=project, checkpoint_id=3, name="rm-run-3", kind="reward_model")
    judge_verdicts_store(judge=judge, verdicts=[
        {"comparison_id": comparison.pk, "winner": "b", "strength": 1, "criteria": {}, "rationale": "margin 0.4"}
    ])
    flag_create(annotator=annotator, comparison_id=comparison.pk, reason="unsafe", note="look at A")
    return comparison


def test_an_admin_sees_the_comparison_with_models_judgments_and_flags(api, project, admin_user, judged):
    body = api(admin_user).get(url(project.pk, judged.pk)).json()
    assert body["id"] == judged.pk and body["project"] == project.pk
    assert body["prompt"]["messages"] == judged.prompt.messages
    assert [(r["letter"], r["text"], r["model_name"]) for r in body["responses"]] == [
        ("a", "<b>bold</b> answer", "llama-7b"), ("b", "plain", "mistral-7b"),
    ]
    rows = [(j["judge"] or j["annotator"], j["by_judge"], j["winner"], j["strength"], j["review"], j["review_note"]) for j in body["judgments"]]
    assert rows == [
        ("ann-annotator", False, "a", 2, "", ""),
        ("bob-annotator", False, "b", 2, "rejected", "skimmed"),
        ("rm-run-3", True, "b", 1, "", ""),
    ]
    assert body["judgments"][1]["reviewed_by"] == "ada-admin"
    assert body["judgments"][0]["rationale"] == "ann-annotator thinks a"
    assert [(f["reason"], f["note"], f["resolved"]) for f in body["flags"]] == [("unsafe", "look at A", False)]


def test_another_projects_comparison_is_not_found(api, project, admin_user):
    elsewhere = make_comparison(ProjectFactory(slug="other-project"))
    assert api(admin_user).get(url(project.pk, elsewhere.pk)).status_code == 404
    assert api(admin_user).get(url(elsewhere.project_id, elsewhere.pk)).status_code == 404
    assert api(admin_user).get(url(project.pk, 10**9)).status_code == 404


def test_annotators_are_refused_and_outsiders_see_nothing(api, project, annotator, outsider, judged):
    assert api(annotator).get(url(project.pk, judged.pk)).status_code == 403
    assert api(outsider).get(url(project.pk, judged.pk)).status_code == 404
    assert api(None).get(url(project.pk, judged.pk)).status_code == 401


def test_the_judgment_list_marks_judges(api, project, admin_user, judged):
    listed = api(admin_user).get(f"/api/judgments/?project={project.pk}&all=true").json()["results"]
    assert sorted((j["annotator"], j["by_judge"]) for j in listed) == [
        ("ann-annotator", False), ("bob-annotator", False), (Judge.objects.get().user.username, True),
    ]


def test_an_annotators_fastest_judgments_come_quickest_first(api, project, annotator, admin_user):
    """What the annotator table's too-fast flag opens: their timed judgments, quickest first."""
    times = [9000, 700, 0, 2500]  # 0: untimed (an import), left out
    for ms in times:
        comparison = make_comparison(project)
        assert comparison_lease_next(project=project, annotator=annotator).pk == comparison.pk
        judgment_create(annotator=annotator, comparison_id=comparison.pk, client_key=new_client_key(),
                        winner="a", strength=1, time_spent_ms=ms)
    url = f"/api/judgments/?project={project.pk}&annotator={annotator.username}"
    listed = api(admin_user).get(url + "&order=fastest").json()["results"]
    assert [j["time_spent_ms"] for j in listed] == [700, 2500, 9000]
    assert len(api(admin_user).get(url).json()["results"]) == 4
    bad = api(admin_user).get(url + "&order=slowest")
    assert bad.status_code == 400 and "order" in str(bad.json())


def test_a_rankings_ties_are_shown_on_the_comparison_and_in_its_annotators_rejections(api, admin_user, annotator, second_annotator):
    """a = b > c reads back as its ranking and ranking_ties on the admin's comparison page and, once
    rejected, in the annotator's list of rejected judgments; a ranking without ties has []."""
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, strength_scale=[], allow_ties=True, overlap=2)
    for user, role in [(admin_user, "admin"), (annotator, "annotator"), (second_annotator, "annotator")]:
        add_member(project, user, role)
    comparison = make_comparison(project, models_=("x", "y", "z"))
    type(comparison).objects.filter(pk=comparison.pk).update(holders=2, judgment_count=2)  # the two seats the judgments hold
    tied = Judgment.objects.create(project=project, comparison=comparison, annotator=annotator, client_key=new_client_key(),
                                   ranking=["a", "b", "c"], ranking_ties=[["a", "b"]])
    Judgment.objects.create(project=project, comparison=comparison, annotator=second_annotator, client_key=new_client_key(),
                            ranking=["c", "a", "b"])
    shown = api(admin_user).get(url(project.pk, comparison.pk)).json()["judgments"]
    assert [(j["ranking"], j["ranking_ties"]) for j in shown] == [(["a", "b", "c"], [["a", "b"]]), (["c", "a", "b"], [])]
    judgment_review(judgment=tied, reviewer=admin_user, review="rejected", note="not equal")
    [rejected] = api(annotator).get(f"/api/projects/{project.pk}/rejected-judgments/").json()["results"]
    assert rejected["ranking_ties"] == [["a", "b"]]

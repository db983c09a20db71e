"""Review through the API (issue #19): the queue, accept, reject (the seat goes back to the pool),
what the annotator is shown, and who may do what. Runs on SQLite and on PostgreSQL."""

import pytest

from labeling.models import Comparison, Judge, JudgeKind, Judgment, Lease, LeaseState
from tests.factories import ProjectFactory, UserFactory, add_member, make_comparison, new_client_key
from tests.labeling.review.actions import judged, review
from tests.reliability.accounting import seat_ledger_errors

pytestmark = pytest.mark.django_db


def queue(api, user, project, query=""):
    response = api(user).get(f"/api/projects/{project.pk}/review/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_rejected_judgment_returns_its_comparison_to_another_annotator(
    api, project, annotator, second_annotator, reviewer
):
    comparison = make_comparison(project, texts=["Paris.", "London."])
    mine = judged(api, annotator, project)
    assert api(second_annotator).get(f"/api/projects/{project.pk}/next-task/").status_code == 204  # full

    entry = queue(api, reviewer, project)["results"][0]
    assert (entry["id"], entry["annotator"], entry["winner"], entry["strength"]) == (mine["id"], annotator.username, "a", 1)
    assert (entry["rationale"], entry["time_spent_ms"], entry["review"]) == ("A is right.", 4200, "")
    assert [r["text"] for r in entry["comparison"]["responses"]] == ["Paris.", "London."]

    response = review(api, reviewer, mine["id"], "rejected", "Paris is the capital; B was asked for.")
    assert response.status_code == 200, response.content
    assert (response.json()["review"], response.json()["reviewed_by"]) == ("rejected", reviewer.username)
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.judgment_count, comparison.is_open) == (0, 0, True)
    assert Judgment.objects.get(pk=mine["id"]).review == "rejected"  # kept for the audit trail
    assert seat_ledger_errors(project) == []

    assert api(annotator).get(f"/api/projects/{project.pk}/next-task/").status_code == 204  # never again to them
    assert api(second_annotator).get(f"/api/projects/{project.pk}/next-task/").json()["id"] == comparison.pk
    judged(api, second_annotator, project, winner="b")
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.judgment_count, comparison.is_open) == (1, 1, False)
    assert seat_ledger_errors(project) == []

    notice = api(annotator).get(f"/api/projects/{project.pk}/rejected-judgments/").json()["results"]
    assert [(n["id"], n["review_note"]) for n in notice] == [(mine["id"], "Paris is the capital; B was asked for.")]
    assert api(second_annotator).get(f"/api/projects/{project.pk}/rejected-judgments/").json()["results"] == []


def test_rejecting_twice_changes_nothing_the_second_time_and_a_rejection_is_final(api, project, annotator, reviewer, admin_user):
    comparison = make_comparison(project)
    mine = judged(api, annotator, project)
    first = review(api, reviewer, mine["id"], "rejected", "Wrong.").json()
    again = review(api, admin_user, mine["id"], "rejected", "Other words.")
    assert again.status_code == 200
    assert (again.json()["review_note"], again.json()["reviewed_by"], again.json()["reviewed_at"]) == (
        "Wrong.", reviewer.username, first["reviewed_at"]
    )
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.judgment_count) == (0, 0)
    accepted = review(api, admin_user, mine["id"], "accepted")
    assert (accepted.status_code, accepted.json()["reason"]) == (409, "rejected")
    assert Judgment.objects.get(pk=mine["id"]).review == "rejected"
    assert seat_ledger_errors(project) == []


def test_accepting_marks_it_reviewed_keeps_the_seat_and_may_still_be_rejected(api, project, annotator, reviewer):
    comparison = make_comparison(project)
    mine = judged(api, annotator, project)
    response = review(api, reviewer, mine["id"], "accepted")
    assert response.status_code == 200
    body = response.json()
    assert (body["review"], body["reviewed_by"], body["reviewed_at"] is not None) == ("accepted", reviewer.username, True)
    assert review(api, reviewer, mine["id"], "accepted").json()["reviewed_at"] == body["reviewed_at"]
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.judgment_count, comparison.is_open) == (1, 1, False)
    assert queue(api, reviewer, project)["count"] == 0  # the default queue is what is not reviewed yet
    assert queue(api, reviewer, project, "?state=accepted")["count"] == 1
    assert review(api, reviewer, mine["id"], "rejected", "On a second look, no.").json()["review"] == "rejected"
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.judgment_count, comparison.is_open) == (0, 0, True)
    assert seat_ledger_errors(project) == []


def test_a_rejection_needs_a_note_and_a_bad_request_changes_nothing(api, project, annotator, reviewer):
    make_comparison(project)
    mine = judged(api, annotator, project)
    for body in ({"review": "rejected"}, {"review": "rejected", "note": "   "}, {"review": "maybe", "note": "x"}):
        response = api(reviewer).post(f"/api/judgments/{mine['id']}/review/", body, format="json")
        assert response.status_code == 400, body
    assert Judgment.objects.get(pk=mine["id"]).review == ""
    assert Comparison.objects.get().holders == 1


def test_a_reviewed_judgment_can_no_longer_be_undone(api, project, annotator, reviewer):
    make_comparison(project)
    mine = judged(api, annotator, project)
    review(api, reviewer, mine["id"], "rejected", "Wrong.")
    response = api(annotator).post(f"/api/judgments/{mine['id']}/undo/")
    assert (response.status_code, response.json()["reason"]) == (409, "reviewed")
    assert Lease.objects.get(annotator=annotator).state == LeaseState.JUDGED
    assert seat_ledger_errors(project) == []


def test_who_may_review(api, project, annotator, second_annotator, reviewer, admin_user, outsider):
    make_comparison(project)
    make_comparison(project)
    mine = judged(api, annotator, project)
    theirs = judged(api, reviewer, project)  # reviewers annotate too
    assert api(annotator).get(f"/api/projects/{project.pk}/review/").status_code == 403
    for admins_only in ("members/", "overview/", "flags/", "export/?format=trl"):  # a reviewer is no admin
        assert api(reviewer).get(f"/api/projects/{project.pk}/{admins_only}").status_code == 403, admins_only
    assert review(api, second_annotator, mine["id"], "accepted").status_code == 403
    assert api(outsider).get(f"/api/projects/{project.pk}/review/").status_code == 404
    assert review(api, outsider, mine["id"], "accepted").status_code == 404
    # A reviewer of another project reviews only that one.
    elsewhere = ProjectFactory(slug="other-project")
    other_reviewer = UserFactory(username="rob-reviewer")
    add_member(elsewhere, other_reviewer, "reviewer")
    assert api(other_reviewer).get(f"/api/projects/{project.pk}/review/").status_code == 404
    assert review(api, other_reviewer, mine["id"], "rejected", "No.").status_code == 404
    # Nobody reviews their own judgment; it is not in their queue.
    assert [e["id"] for e in queue(api, reviewer, project)["results"]] == [mine["id"]]
    assert review(api, reviewer, theirs["id"], "accepted").status_code == 403
    assert {e["id"] for e in queue(api, admin_user, project)["results"]} == {mine["id"], theirs["id"]}
    assert review(api, admin_user, theirs["id"], "accepted").status_code == 200
    assert Judgment.objects.get(pk=mine["id"]).review == ""


def test_an_imported_judgment_rejected_gives_its_seat_back_and_is_not_served_to_its_annotator(
    api, project, annotator, second_annotator, reviewer
):
    comparison = make_comparison(project, holders=1, judgment_count=1, is_open=False)
    label = Judgment.objects.create(project=project, comparison=comparison, annotator=annotator, winner="a",
                                    strength=1, client_key="import:1")
    assert seat_ledger_errors(project) == []
    assert review(api, reviewer, label.pk, "rejected", "Mislabelled.").status_code == 200
    assert Lease.objects.get(annotator=annotator).state == LeaseState.JUDGED
    assert seat_ledger_errors(project) == []
    assert api(annotator).get(f"/api/projects/{project.pk}/next-task/").status_code == 204
    assert api(second_annotator).get(f"/api/projects/{project.pk}/next-task/").json()["id"] == comparison.pk


def test_a_rejected_judgment_leaves_its_annotators_progress(api, project, annotator, reviewer):
    make_comparison(project)
    judgment = judged(api, annotator, project)
    progress = f"/api/projects/{project.pk}/progress/"
    assert api(annotator).get(progress).json()["done_total"] == 1
    assert review(api, reviewer, judgment["id"], "rejected", note="reads the prompt backwards").status_code == 200
    assert api(annotator).get(progress).json() | {"remaining": None} == {
        "done_today": 0, "done_total": 0, "remaining": None, "remaining_capped": False,
    }


def test_a_judges_judgment_is_marked_and_is_no_second_opinion(api, project, annotator, reviewer):
    make_comparison(project)
    judgment = judged(api, annotator, project, winner="a")
    model_user = UserFactory(username="judge-rm-7", is_active=False)
    Judge.objects.create(project=project, user=model_user, name="rm-7", kind=JudgeKind.REWARD_MODEL)
    Judgment.objects.create(project=project, comparison_id=judgment["comparison"], annotator=model_user,
                            winner="b", client_key=new_client_key())
    entries = {e["annotator"]: e for e in queue(api, reviewer, project)["results"]}
    assert entries["judge-rm-7"]["by_judge"] is True and entries[annotator.username]["by_judge"] is False
    # the person's judgment has no other person's to disagree with: the judge's "b" does not count
    assert (entries[annotator.username]["others"], entries[annotator.username]["agreeing"]) == (0, 0)
    assert entries["judge-rm-7"]["others"] == 1  # the judge's, against the person's

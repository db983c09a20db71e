"""The annotation API as the frontend uses it, and who may do what."""

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.judgments import TEXT_MAX
from labeling.annotation.selectors import annotator_progress
from labeling.imports.services import import_file
from labeling.models import Demonstration, Flag, Judgment, Lease, LeaseState
from tests.factories import make_comparison, new_client_key

pytestmark = pytest.mark.django_db



def next_comparison(api, user, project, **params):
    query = "?ahead=1" if params.get("ahead") else ""
    return api(user).get(f"/api/projects/{project.pk}/next-task/{query}")


def post(api, user, url, body):
    return api(user).post(url, body, format="json")


def submit(api, user, comparison_id, **body):
    body = {"comparison": comparison_id, "winner": "a", "strength": 1, "client_key": new_client_key(), **body}
    return post(api, user, "/api/judgments/", body)


@pytest.fixture
def comparison(api, project, annotator):
    """A comparison served to ``annotator`` through the API, and its payload."""
    make_comparison(project, texts=["Paris.", "London."], models_=("gpt-secret", "llama-secret"))
    response = next_comparison(api, annotator, project)
    assert response.status_code == 200
    return response.json()


# --- next comparison (the next-task route) ----------------------------------------------------------


def test_next_comparison_shows_the_prompt_and_lettered_responses(comparison, project):
    assert set(comparison) == {"id", "project", "prompt", "responses", "lease_expires_at"}
    assert comparison["project"] == project.pk
    assert comparison["prompt"]["messages"][0]["role"] == "user"
    assert comparison["responses"] == [{"letter": "a", "text": "Paris."}, {"letter": "b", "text": "London."}]
    assert parse_datetime(comparison["lease_expires_at"]) is not None


def test_next_comparison_is_blind_to_model_names(comparison):
    assert "secret" not in json.dumps(comparison)


def test_gold_looks_like_any_other_comparison(api, project, annotator):
    project.gold_rate = 1.0
    project.save()
    make_comparison(project)
    make_comparison(project, is_gold=True, gold_answer={"winner": "b"})
    body = next_comparison(api, annotator, project).json()
    assert Lease.objects.get(annotator=annotator).comparison.is_gold
    assert set(body) == {"id", "project", "prompt", "responses", "lease_expires_at"}
    assert "gold" not in json.dumps(body)


def test_a_repeated_call_returns_the_same_comparison(api, comparison, project, annotator):
    assert next_comparison(api, annotator, project).json() == comparison


def test_ahead_prefetches_a_different_comparison(api, comparison, project, annotator):
    make_comparison(project)
    ahead = next_comparison(api, annotator, project, ahead=True).json()
    assert ahead["id"] != comparison["id"]


def test_next_comparison_is_204_when_nothing_is_left(api, project, annotator):
    response = next_comparison(api, annotator, project)
    assert response.status_code == 204
    assert response.content == b""


def test_an_outsider_cannot_get_comparisons(api, project, outsider):
    make_comparison(project)
    assert next_comparison(api, outsider, project).status_code == 404
    assert not Lease.objects.exists()


def test_an_anonymous_caller_is_refused(api, project):
    assert next_comparison(api, None, project).status_code in (401, 403)


# --- submit -----------------------------------------------------------------------------------------


def test_a_submit_is_created_and_a_retry_returns_the_same_body(api, comparison, annotator):
    first = submit(api, annotator, comparison["id"], winner="b", strength=2, rationale="Correct.", time_spent_ms=5100, client_key="key-1")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert {"id", "comparison", "winner", "strength", "ranking", "criteria", "rationale", "time_spent_ms",
            "client_key", "created_at", "editable_until"} <= set(body)
    assert (body["comparison"], body["winner"], body["strength"], body["client_key"]) == (comparison["id"], "b", 2, "key-1")
    editable = parse_datetime(body["editable_until"]) - parse_datetime(body["created_at"])
    assert editable == timedelta(minutes=10)
    retry = submit(api, annotator, comparison["id"], winner="b", strength=2, rationale="Correct.", time_spent_ms=5100, client_key="key-1")
    assert (retry.status_code, retry.json()) == (200, body)
    assert Judgment.objects.count() == 1


def test_a_malformed_submit_is_400_with_a_clear_message(api, comparison, annotator):
    response = submit(api, annotator, comparison["id"], winner="a", strength=7)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "strength" in response.json()["detail"]
    assert submit(api, annotator, comparison["id"], client_key="k" * 65).status_code == 400
    assert not Judgment.objects.exists()


def test_an_unknown_field_is_a_400_naming_it_not_dropped(api, comparison, annotator):
    """A script sending `seconds` for time_spent_ms had it dropped and 0 stored."""
    response = submit(api, annotator, comparison["id"], winner="a", strength=1, seconds=12)
    assert response.status_code == 400 and response.json()["field"] == "seconds"
    assert "time_spent_ms" in response.json()["detail"] and not Judgment.objects.exists()


def test_a_submit_without_a_lease_is_409(api, project, comparison, second_annotator):
    response = submit(api, second_annotator, comparison["id"])
    assert response.status_code == 409
    assert response.json()["reason"] == "no_lease"
    assert "next-task" in response.json()["detail"]


def test_a_submit_on_a_full_comparison_after_expiry_is_409(api, project, comparison, annotator, second_annotator):
    Lease.objects.filter(annotator=annotator).update(expires_at=Lease.objects.get().created_at)
    assert next_comparison(api, second_annotator, project).json()["id"] == comparison["id"]
    response = submit(api, annotator, comparison["id"])
    assert (response.status_code, response.json()["reason"]) == (409, "full")
    assert not Judgment.objects.exists()


def test_an_outsider_cannot_submit(api, comparison, outsider):
    assert submit(api, outsider, comparison["id"]).status_code == 404


# --- listing judgments ---------------------------------------------------------------------------------


@pytest.fixture
def judged_by_both(api, project, annotator, second_annotator):
    project.overlap = 2
    project.save()
    make_comparison(project)
    for user in (annotator, second_annotator):
        assert submit(api, user, next_comparison(api, user, project).json()["id"]).status_code == 201


def test_an_annotator_lists_only_their_own_judgments(api, project, annotator, judged_by_both):
    body = api(annotator).get(f"/api/judgments/?project={project.pk}").json()
    assert body["count"] == 1
    assert [j["annotator"] for j in body["results"]] == ["ann-annotator"]


def test_an_annotator_may_not_list_someone_elses_judgments(api, project, annotator, judged_by_both):
    assert api(annotator).get(f"/api/judgments/?project={project.pk}&annotator=bob-annotator").status_code == 403
    assert api(annotator).get(f"/api/judgments/?project={project.pk}&all=1").status_code == 403


def test_an_admin_lists_one_annotator_or_everyone(api, project, admin_user, judged_by_both):
    one = api(admin_user).get(f"/api/judgments/?project={project.pk}&annotator=bob-annotator").json()
    every = api(admin_user).get(f"/api/judgments/?project={project.pk}&all=1").json()
    assert [j["annotator"] for j in one["results"]] == ["bob-annotator"]
    assert sorted(j["annotator"] for j in every["results"]) == ["ann-annotator", "bob-annotator"]


@pytest.mark.parametrize("query", ["all=1&annotator=bob-annotator", "annotator=bob-annotator&all=true"])
def test_an_admin_naming_an_annotator_gets_only_theirs_with_all_too(api, project, admin_user, judged_by_both, query):
    """``all`` widens the list past the admin's own; a named annotator narrows it, with ``all`` or
    without: ``all`` used to win, listing everyone's judgments as if no annotator were named."""
    body = api(admin_user).get(f"/api/judgments/?project={project.pk}&{query}").json()
    assert body["count"] == 1 and [j["annotator"] for j in body["results"]] == ["bob-annotator"]
    unknown = api(admin_user).get(f"/api/judgments/?project={project.pk}&all=1&annotator=nobody")
    assert unknown.status_code == 404 and "nobody" in unknown.json()["detail"]


@pytest.mark.parametrize("value", ["maybe", "2", "on"])
def test_a_true_false_parameter_that_is_neither_is_400_naming_it(api, project, admin_user, annotator, judged_by_both, value):
    """Any other value read as false: ``all=on`` listed the admin's own judgments only."""
    listing = api(admin_user).get(f"/api/judgments/?project={project.pk}&all={value}")
    assert listing.status_code == 400 and listing.json()["field"] == "all"
    ahead = api(annotator).get(f"/api/projects/{project.pk}/next-task/?ahead={value}")
    assert ahead.status_code == 400 and ahead.json()["field"] == "ahead"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes"])
def test_all_reads_every_spelling_of_true(api, project, admin_user, judged_by_both, value):
    assert api(admin_user).get(f"/api/judgments/?project={project.pk}&all={value}").json()["count"] == 2


def test_only_a_judgment_undo_can_take_back_has_an_edit_window(api, project, admin_user, judged_by_both):
    import_file(project=project, lines=[b'{"prompt": "q", "chosen": "yes", "rejected": "no"}\n'], format="trl",
                with_labels=True, label_source="arena")
    Judgment.objects.filter(annotator__username="bob-annotator").update(review="accepted")
    listed = api(admin_user).get(f"/api/judgments/?project={project.pk}&all=1").json()["results"]
    windows = {j["annotator"]: j["editable_until"] for j in listed}
    assert windows["import:arena"] is None and windows["bob-annotator"] is None  # imported; reviewed
    assert parse_datetime(windows["ann-annotator"]) is not None


def test_an_outsider_cannot_list_a_projects_judgments(api, project, outsider, judged_by_both):
    assert api(outsider).get(f"/api/judgments/?project={project.pk}").status_code == 404


def test_listing_needs_a_project(api, annotator):
    assert api(annotator).get("/api/judgments/").status_code == 400


# --- undo, skip, flag -------------------------------------------------------------------------------------


def test_undo_returns_the_comparison_to_show_again(api, comparison, annotator):
    judgment = submit(api, annotator, comparison["id"]).json()
    response = post(api, annotator, f"/api/judgments/{judgment['id']}/undo/", {})
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "lease_expires_at"} == {
        k: v for k, v in comparison.items() if k != "lease_expires_at"
    }
    assert not Judgment.objects.exists()


def test_a_retry_of_an_undone_submit_is_410_and_stores_nothing(api, comparison, annotator):
    body = {"comparison": comparison["id"], "winner": "a", "strength": 1, "client_key": new_client_key()}
    judgment = post(api, annotator, "/api/judgments/", body).json()
    assert post(api, annotator, f"/api/judgments/{judgment['id']}/undo/", {}).status_code == 200
    retry = post(api, annotator, "/api/judgments/", body)
    assert (retry.status_code, retry.json()["code"], retry.json()["reason"]) == (410, "gone", "undone")
    assert "undone" in retry.json()["detail"] and not Judgment.objects.exists()


def test_undo_after_the_edit_window_is_409(api, comparison, annotator):
    judgment = submit(api, annotator, comparison["id"]).json()
    Judgment.objects.update(created_at=parse_datetime(judgment["created_at"]) - timedelta(minutes=11))
    response = post(api, annotator, f"/api/judgments/{judgment['id']}/undo/", {})
    assert (response.status_code, response.json()["reason"]) == (409, "edit_window_passed")


def test_another_annotator_cannot_undo_my_judgment(api, comparison, annotator, second_annotator):
    judgment = submit(api, annotator, comparison["id"]).json()
    assert post(api, second_annotator, f"/api/judgments/{judgment['id']}/undo/", {}).status_code == 404


def test_skip_with_a_reason_skips_and_flags(api, project, comparison, annotator):
    response = post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/", {"reason": "both_bad", "note": "neither answers"})
    assert (response.status_code, response.json()) == (200, {"skipped": True})
    assert Lease.objects.get(annotator=annotator).state == LeaseState.SKIPPED
    assert Flag.objects.get().reason == "both_bad"
    assert next_comparison(api, annotator, project).status_code == 204


def test_skip_without_a_reason_records_no_flag(api, comparison, annotator):
    assert post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/", {}).status_code == 200
    assert not Flag.objects.exists()


def test_skip_with_an_unknown_reason_is_400(api, comparison, annotator):
    assert post(api, annotator, f"/api/comparisons/{comparison['id']}/skip/", {"reason": "meh"}).status_code == 400
    assert Lease.objects.get(annotator=annotator).state == LeaseState.ACTIVE


def test_a_flag_is_201_and_does_not_skip(api, comparison, annotator):
    response = post(api, annotator, f"/api/comparisons/{comparison['id']}/flag/", {"reason": "unsafe", "note": "b is rude"})
    assert response.status_code == 201
    assert (response.json()["reason"], response.json()["annotator"]) == ("unsafe", "ann-annotator")
    assert Lease.objects.get(annotator=annotator).state == LeaseState.ACTIVE


def test_admins_see_the_projects_flags(api, project, comparison, annotator, admin_user):
    post(api, annotator, f"/api/comparisons/{comparison['id']}/flag/", {"reason": "broken_prompt", "note": "cut off"})
    flags = api(admin_user).get(f"/api/projects/{project.pk}/flags/").json()
    assert [(f["comparison"], f["annotator"], f["reason"], f["note"]) for f in flags] == [
        (comparison["id"], "ann-annotator", "broken_prompt", "cut off")
    ]
    assert "created_at" in flags[0]


def test_annotators_do_not_see_the_flag_list(api, project, annotator):
    assert api(annotator).get(f"/api/projects/{project.pk}/flags/").status_code == 403


# --- demonstrations and progress ------------------------------------------------------------------------------


def test_a_demonstration_is_201_then_200_on_retry(api, project, comparison, annotator):
    project.collect_demonstrations = True
    project.save()
    body = {"prompt": comparison["prompt"]["id"], "text": "The capital is Paris.", "client_key": "demo-1", "time_spent_ms": 9000}
    first = post(api, annotator, "/api/demonstrations/", body)
    retry = post(api, annotator, "/api/demonstrations/", body)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json() == retry.json()


def test_a_demonstration_is_400_where_the_project_does_not_collect_them(api, comparison, annotator):
    body = {"prompt": comparison["prompt"]["id"], "text": "Paris.", "client_key": "demo-2"}
    response = post(api, annotator, "/api/demonstrations/", body)
    assert response.status_code == 400
    assert "does not collect" in response.json()["detail"]


def test_progress_counts_my_work_and_what_is_left(api, project, annotator, second_annotator):
    for _ in range(3):
        make_comparison(project)
    submit(api, annotator, next_comparison(api, annotator, project).json()["id"])
    next_comparison(api, annotator, project)  # holding one counts as remaining
    assert api(annotator).get(f"/api/projects/{project.pk}/progress/").json() == {
        "done_today": 1, "done_total": 1, "remaining": 2, "remaining_capped": False,
    }
    assert api(second_annotator).get(f"/api/projects/{project.pk}/progress/").json()["remaining"] == 1


def test_remaining_stops_counting_at_the_cap(project, annotator):
    for _ in range(3):
        make_comparison(project)
    progress = annotator_progress(project=project, annotator=annotator, remaining_cap=2)
    assert (progress["remaining"], progress["remaining_capped"]) == (2, True)


def test_a_capped_remaining_reads_the_cap_whatever_they_hold(api, project, annotator):
    """Beyond the cap the figure is "1000+": not 1000 plus the comparisons on their screen, which
    read 1001+, 1002+ as prefetches came and went."""
    for _ in range(5):
        make_comparison(project)
    next_comparison(api, annotator, project)
    progress = annotator_progress(project=project, annotator=annotator, remaining_cap=2)
    assert (progress["remaining"], progress["remaining_capped"]) == (2, True)


def test_progress_is_for_members_only(api, project, outsider):
    assert api(outsider).get(f"/api/projects/{project.pk}/progress/").status_code == 404


def test_the_schema_describes_the_annotation_endpoints(api, admin_user):
    schema = api(admin_user).get("/api/schema/?format=json").json()
    for route in ("/api/projects/{project_id}/next-task/", "/api/judgments/", "/api/judgments/{judgment_id}/undo/",
                  "/api/comparisons/{comparison_id}/skip/", "/api/comparisons/{comparison_id}/flag/",
                  "/api/projects/{project_id}/flags/", "/api/demonstrations/", "/api/projects/{project_id}/progress/"):
        assert route in schema["paths"]



# --- bounds on typed text --------------------------------------------------------------------


@pytest.mark.parametrize(("route", "field"), [("judgment", "rationale"), ("flag", "note"), ("skip", "note"),
                                              ("demonstration", "text")])
def test_typed_text_over_its_bound_is_400_naming_the_field_and_stores_nothing(api, project, comparison, annotator, route, field):
    """Each typed field is bounded (TEXT_MAX), and the error names that field: a demonstration's
    text was refused as "rationale must be text of at most ..."."""
    project.collect_demonstrations = True
    project.save()
    cid = comparison["id"]

    def send(text):
        if route == "judgment":
            return submit(api, annotator, cid, rationale=text)
        if route == "demonstration":
            body = {"prompt": comparison["prompt"]["id"], "text": text, "client_key": new_client_key()}
            return post(api, annotator, "/api/demonstrations/", body)
        return post(api, annotator, f"/api/comparisons/{cid}/{route}/", {"reason": "other", "note": text})

    response = send("x" * (TEXT_MAX + 1))
    assert response.status_code == 400
    assert response.json()["detail"] == f"{field} must be text of at most {TEXT_MAX} characters"
    assert not (Judgment.objects.exists() or Flag.objects.exists() or Demonstration.objects.exists())
    assert Lease.objects.get(annotator=annotator).state == LeaseState.ACTIVE
    at_bound = send("x" * TEXT_MAX)
    assert at_bound.status_code in (200, 201), at_bound.json()


def test_remaining_is_right_when_a_prefetch_leases_while_it_is_counted(api, project, annotator):
    """The screen asks for progress and prefetches the next comparison at the same moment. A lease
    taken between counting the unseen and counting the held counted one comparison twice."""
    for _ in range(4):
        make_comparison(project)
    next_comparison(api, annotator, project)
    prefetched = []

    def prefetch_after_the_first_count(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not prefetched and "COUNT" in sql.upper():
            prefetched.append(True)
            comparison_lease_next(project=project, annotator=annotator, ahead=True)
        return result

    with connection.execute_wrapper(prefetch_after_the_first_count):
        progress = annotator_progress(project=project, annotator=annotator)
    assert prefetched and progress["remaining"] == 4
    assert annotator_progress(project=project, annotator=annotator)["remaining"] == 4


def test_today_counts_from_the_annotators_midnight_where_their_zone_is_sent(api, project, annotator):
    """A judgment at 23:30 UTC is yesterday's in UTC but today's in Tokyo (08:30): "today" reset at
    the server's midnight, not the annotator's."""
    comparison = make_comparison(project)
    submit(api, annotator, next_comparison(api, annotator, project).json()["id"])
    assert comparison.judgments.count() == 1
    now = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # Tokyo 09:30, the judgment at Tokyo 08:30
    Lease.objects.filter(comparison=comparison).update(updated_at=datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    with mock.patch("django.utils.timezone.now", return_value=now):
        utc = api(annotator).get(f"/api/projects/{project.pk}/progress/").json()
        tokyo = api(annotator).get(f"/api/projects/{project.pk}/progress/?tz=Asia/Tokyo").json()
    assert (utc["done_today"], tokyo["done_today"]) == (0, 1) and utc["done_total"] == tokyo["done_total"] == 1
    for bad in ("Mars/Olympus", "../../etc/passwd"):
        refused = api(annotator).get(f"/api/projects/{project.pk}/progress/", {"tz": bad})
        assert refused.status_code == 400 and refused.json()["field"] == "tz"

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from labeling.models import Comparison, Judgment, Membership, Project
from tests.factories import ProjectFactory, UserFactory, make_comparison, new_client_key

HH = {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello", "rejected": "\n\nHuman: Hi\n\nAssistant: Go away"}


def upload(text: str, name="pairs.jsonl"):
    return {"file": SimpleUploadedFile(name, text.encode()), "format": "hh-rlhf"}


def url(project, tail=""):
    return f"/api/projects/{project.id}/{tail}"


def test_annotators_see_only_their_projects(api, project, annotator, outsider):
    slugs = [p["slug"] for p in api(annotator).get("/api/projects/").json()]
    assert slugs == [project.slug]
    assert api(outsider).get(url(project)).status_code == 404


def test_anonymous_is_refused(api, project):
    assert api(None).get("/api/projects/").status_code in (401, 403)


def test_admin_uploads_an_import(api, project, admin_user):
    response = api(admin_user).post(url(project, "imports/"), upload(json.dumps(HH) + "\n"), format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["counts"]["comparisons"] == 1


def test_upload_error_names_the_line_and_stores_nothing(api, project, admin_user):
    response = api(admin_user).post(url(project, "imports/"), upload(json.dumps(HH) + "\n{oops\n"), format="multipart")
    assert response.status_code == 400
    assert response.json()["line"] == 2 and "line 2" in response.json()["detail"]
    assert not Comparison.objects.exists()


def test_annotator_cannot_import(api, project, annotator):
    response = api(annotator).post(url(project, "imports/"), upload(json.dumps(HH)), format="multipart")
    assert response.status_code == 403


@override_settings(MAX_UPLOAD_MB=0)
def test_oversized_upload_is_refused_with_413(api, project, admin_user):
    response = api(admin_user).post(url(project, "imports/"), upload(json.dumps(HH)), format="multipart")
    assert response.status_code == 413


def test_admin_adds_a_member_and_annotator_cannot(api, project, admin_user, annotator):
    UserFactory(username="carol")
    assert api(annotator).post(url(project, "members/"), {"username": "carol", "role": "annotator"}).status_code == 403
    response = api(admin_user).post(url(project, "members/"), {"username": "carol", "role": "annotator"})
    assert response.status_code == 201
    assert Membership.objects.filter(project=project, user__username="carol", role="annotator").exists()


def test_adding_an_unknown_user_is_404(api, project, admin_user):
    assert api(admin_user).post(url(project, "members/"), {"username": "nobody", "role": "annotator"}).status_code == 404


def test_admin_changes_a_members_role_and_removes_them(api, project, admin_user, annotator):
    response = api(admin_user).patch(url(project, f"members/{annotator.username}/"), {"role": "reviewer"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "reviewer"
    assert api(annotator).get(url(project, "review/")).status_code == 200  # a reviewer now
    assert api(admin_user).delete(url(project, f"members/{annotator.username}/")).status_code == 204
    assert not Membership.objects.filter(user=annotator).exists()
    assert api(annotator).get(url(project)).status_code == 404
    assert api(admin_user).delete(url(project, f"members/{annotator.username}/")).status_code == 404
    assert api(admin_user).patch(url(project, "members/nobody/"), {"role": "admin"}, format="json").status_code == 404


def test_only_admins_manage_members(api, project, admin_user, annotator, second_annotator):
    assert api(annotator).patch(url(project, f"members/{second_annotator.username}/"), {"role": "admin"}, format="json").status_code == 403
    assert api(annotator).delete(url(project, f"members/{second_annotator.username}/")).status_code == 403
    assert api(admin_user).patch(url(project, f"members/{annotator.username}/"), {"role": "boss"}, format="json").status_code == 400
    assert Membership.objects.get(user=second_annotator).role == "annotator"


def test_the_last_admin_can_be_neither_removed_nor_demoted(api, project, admin_user, annotator):
    for response in (
        api(admin_user).delete(url(project, f"members/{admin_user.username}/")),
        api(admin_user).patch(url(project, f"members/{admin_user.username}/"), {"role": "annotator"}, format="json"),
        api(admin_user).post(url(project, "members/"), {"username": admin_user.username, "role": "reviewer"}),
    ):
        assert (response.status_code, response.json()["reason"]) == (409, "last_admin")
    assert Membership.objects.get(user=admin_user).role == "admin"
    api(admin_user).patch(url(project, f"members/{annotator.username}/"), {"role": "admin"}, format="json")
    assert api(admin_user).delete(url(project, f"members/{admin_user.username}/")).status_code == 204  # another admin is left


def test_removing_a_member_gives_the_seats_of_their_live_leases_back(api, project, admin_user, annotator, second_annotator):
    comparison = make_comparison(project)
    assert api(annotator).get(url(project, "next-task/")).json()["id"] == comparison.pk
    assert api(second_annotator).get(url(project, "next-task/")).status_code == 204  # its one seat is held
    api(admin_user).delete(url(project, f"members/{annotator.username}/"))
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.is_open) == (0, True)
    assert api(second_annotator).get(url(project, "next-task/")).json()["id"] == comparison.pk


def test_staff_creates_a_project_and_becomes_its_admin(api, db):
    staff = UserFactory(username="sam", is_staff=True)
    response = api(staff).post("/api/projects/", {"slug": "fresh", "name": "Fresh", "criteria": ["helpful"]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "admin"


def test_annotator_cannot_create_projects(api, annotator):
    assert api(annotator).post("/api/projects/", {"slug": "x", "name": "X"}, format="json").status_code == 403


def test_pairwise_project_with_k_3_is_rejected(api, db):
    staff = UserFactory(username="sam", is_staff=True)
    response = api(staff).post("/api/projects/", {"slug": "bad", "name": "B", "responses_per_comparison": 3}, format="json")
    assert response.status_code == 400 and "pairwise" in response.json()["detail"]


def test_a_ranking_project_stores_no_strength_scale_and_refuses_one(api, db):
    """A ranking has no strength: the three default steps were stored on every ranking project and
    shown in its settings, meaning nothing."""
    staff = UserFactory(username="sam", is_staff=True)
    body = {"slug": "rank", "name": "R", "task_type": "ranking", "responses_per_comparison": 4}
    response = api(staff).post("/api/projects/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["strength_scale"] == []
    refused = api(staff).post("/api/projects/", {**body, "slug": "rank-2", "strength_scale": ["a bit", "a lot"]}, format="json")
    assert refused.status_code == 400
    assert "strength_scale must be empty for a ranking project" in refused.json()["detail"]
    assert not Project.objects.filter(slug="rank-2").exists()


def test_lowering_overlap_closes_comparisons_that_are_now_full(api, admin_user):
    project = admin_user.memberships.get().project
    comparison = make_comparison(project, holders=1)
    project.overlap = 2
    project.save()
    response = api(admin_user).patch(url(project), {"overlap": 1}, format="json")
    assert response.status_code == 200
    comparison.refresh_from_db()
    assert comparison.is_open is False


def test_token_login_returns_a_token(api, db):
    UserFactory(username="tina")
    response = api(None).post("/api/auth/token/", {"username": "tina", "password": "correct-horse-battery"})
    assert response.status_code == 200 and len(response.json()["token"]) == 40


def test_a_token_authenticates_its_user_until_the_user_is_deactivated(api, annotator, project):
    token = api(None).post("/api/auth/token/", {"username": annotator.username, "password": "correct-horse-battery"}).json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert [p["id"] for p in client.get("/api/projects/").json()] == [project.pk]
    refused = APIClient(HTTP_AUTHORIZATION=f"Token {token[:-1]}x").get("/api/projects/")
    assert refused.status_code == 401 and refused.json()["detail"] == "Invalid token."
    assert refused["WWW-Authenticate"] == "Token"  # a client knows to sign in again, not that it lacks a right
    annotator.is_active = False
    annotator.save()
    assert client.get("/api/projects/").json()["detail"] == "User inactive or deleted."


def test_a_token_is_revoked_by_its_owner_and_by_a_new_password(api, annotator, project):
    """A leaked token could not be revoked (DELETE was a 405) and outlived a password change."""
    def login(password="correct-horse-battery"):
        return api(None).post("/api/auth/token/", {"username": annotator.username, "password": password}).json()["token"]

    first = login()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.delete("/api/auth/token/").status_code == 204
    assert client.get("/api/projects/").status_code == 401
    second = login()
    assert second != first  # rotated
    annotator.set_password("a-new-long-passphrase")
    annotator.save()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {second}").get("/api/projects/").status_code == 401
    annotator.last_name = "Renamed"
    annotator.save()  # any other change keeps a token
    third = login("a-new-long-passphrase")
    annotator.save(update_fields=["last_name"])
    assert APIClient(HTTP_AUTHORIZATION=f"Token {third}").get("/api/projects/").status_code == 200
    assert api(None).delete("/api/auth/token/").status_code == 401
    annotator.set_password("a-new-long-passphrase")  # the same password hashed again (a hasher upgrade at login)
    annotator.save(update_fields=["password"])
    assert APIClient(HTTP_AUTHORIZATION=f"Token {third}").get("/api/projects/").status_code == 200


def test_a_token_sent_with_a_session_cookie_writes_without_a_csrf_token(annotator, project):
    """A script that logged in through the browser's session and also sends its token is the
    token's: session authentication first answered "CSRF Failed" to every write."""
    key = APIClient().post("/api/auth/token/", {"username": annotator.username, "password": "correct-horse-battery"})
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key.json()['token']}")
    client.force_login(annotator)
    comparison = make_comparison(project)
    assert client.get(f"/api/projects/{project.pk}/next-task/").json()["id"] == comparison.pk
    response = client.post(f"/api/comparisons/{comparison.pk}/skip/", {}, format="json")
    assert response.status_code == 200, response.content
    without_token = APIClient(enforce_csrf_checks=True)
    without_token.force_login(annotator)
    refused = without_token.post(f"/api/comparisons/{comparison.pk}/unskip/", {}, format="json")
    assert refused.status_code == 403 and refused.json()["detail"].startswith("CSRF Failed")  # the session alone is still checked


def test_other_projects_do_not_leak_through_ids(api, annotator):
    other = ProjectFactory()
    assert api(annotator).get(url(other)).status_code == 404


# --- settings that say what a judgment means ----------------------------------------------------


def _judged(project, annotator, **settings):
    """``project`` with ``settings`` and one judgment by ``annotator``."""
    for name, value in settings.items():
        setattr(project, name, value)
    project.save()
    comparison = make_comparison(project)
    criteria = {name: {"winner": "a"} for name in project.criteria}
    Judgment.objects.create(
        project=project, comparison=comparison, annotator=annotator, winner="a", strength=1 if project.strength_scale else None,
        criteria=criteria, client_key=new_client_key(),
    )
    return project


def test_after_judgments_the_task_type_k_and_strength_scale_are_fixed(api, project, admin_user, annotator):
    _judged(project, annotator)
    for change in (
        {"task_type": "ranking", "responses_per_comparison": 3},
        {"responses_per_comparison": 3},
        {"strength_scale": ["slightly", "much"]},
        {"strength_scale": ["a bit better", "better", "much better"]},  # relabelled only
    ):
        response = api(admin_user).patch(url(project), change, format="json")
        assert response.status_code == 400, change
        assert response.json()["field"] in change and "judgments" in response.json()["detail"]
    project.refresh_from_db()
    assert project.task_type == "pairwise" and project.responses_per_comparison == 2


def test_after_judgments_criteria_can_be_added_but_not_dropped_or_renamed(api, project, admin_user, annotator):
    _judged(project, annotator, criteria=["helpful"])
    for criteria in (["harmless"], [], ["helpfulness"]):
        response = api(admin_user).patch(url(project), {"criteria": criteria}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "criteria"
        assert "helpful" in response.json()["detail"]
    response = api(admin_user).patch(url(project), {"criteria": ["helpful", "harmless"]}, format="json")
    assert response.status_code == 200 and response.json()["criteria"] == ["helpful", "harmless"]


def test_a_criterion_added_by_mistake_goes_again_while_no_judgment_has_a_verdict_on_it(api, project, admin_user, annotator):
    _judged(project, annotator, criteria=["helpful"])
    assert api(admin_user).patch(url(project), {"criteria": ["helpful", "honset"]}, format="json").status_code == 200
    response = api(admin_user).patch(url(project), {"criteria": ["helpful"]}, format="json")
    assert response.status_code == 200 and response.json()["criteria"] == ["helpful"]
    response = api(admin_user).patch(url(project), {"criteria": []}, format="json")
    assert response.status_code == 400 and "drop or rename helpful:" in response.json()["detail"]


def test_before_judgments_every_setting_may_change_and_unchanged_values_always_pass(api, project, admin_user, annotator):
    change = {"task_type": "ranking", "responses_per_comparison": 3, "strength_scale": [], "criteria": ["x"]}
    assert api(admin_user).patch(url(project), change, format="json").status_code == 200
    project.refresh_from_db()
    _judged(project, annotator)
    assert api(admin_user).patch(url(project), {**change, "name": "Renamed"}, format="json").status_code == 200


@pytest.mark.parametrize(("change", "says"), [
    ({"lease_minutes": 99_999_999_999}, "lease_minutes must be from 1 to 10080"),  # stored on SQLite, then every next-task was a 500
    ({"lease_minutes": 0}, "lease_minutes must be from 1 to 10080"),
    ({"overlap": 0}, "overlap must be from 1 to 1000"),  # was the check constraint's name, no field
    ({"overlap": 2_147_483_648}, "overlap must be from 1 to 1000"),
    ({"gold_rate": 2}, "gold_rate must be from 0 to 1"),
    ({"gold_rate": -0.5}, "gold_rate must be from 0 to 1"),
    ({"criteria": ["helpful", "overall"]}, "'overall' names the main verdict"),
])
def test_out_of_range_settings_are_400_naming_the_field_and_change_nothing(api, admin_user, change, says):
    project = admin_user.memberships.get().project
    before = {name: getattr(project, name) for name in change}
    response = api(admin_user).patch(url(project), change, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()  # PostgreSQL's column range is also the serializer's: its own 400, keyed by the field
    assert says in body["detail"] if "detail" in body else list(body) == list(change)
    project.refresh_from_db()
    assert {name: getattr(project, name) for name in change} == before
    make_comparison(project)
    assert api(admin_user).get(url(project, "next-task/")).status_code in (200, 204)


def test_removing_a_member_gives_their_held_comparisons_back_at_once(api, project, admin_user, annotator):
    comparison = make_comparison(project)
    assert api(annotator).get(url(project, "next-task/")).json()["id"] == comparison.pk
    assert api(admin_user).get(url(project, "overview/")).json()["leases"]["in_flight"] == 1
    assert api(admin_user).delete(url(project, f"members/{annotator.username}/")).status_code == 204
    assert api(admin_user).get(url(project, "overview/")).json()["leases"]["in_flight"] == 0
    comparison.refresh_from_db()
    assert (comparison.holders, comparison.is_open) == (0, True)


def test_the_admin_lists_no_api_token(api, annotator):
    """DRF's own admin listed every user's key in clear (the key is the token's primary key)."""
    from django.test import Client

    from tests.factories import UserFactory

    api(None).post("/api/auth/token/", {"username": annotator.username, "password": "correct-horse-battery"})
    staff = Client()
    staff.force_login(UserFactory(username="root-admin", is_staff=True, is_superuser=True))
    assert staff.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert "tokenproxy" not in staff.get("/admin/").content.decode()

from django.contrib.auth import get_user_model
from django.test import override_settings

from tests.factories import UserFactory


def test_signup_is_off_by_default(client, db):
    assert client.get("/signup/").status_code == 404
    assert client.post("/signup/", {"username": "eve", "password1": "x9!long-pass", "password2": "x9!long-pass"}).status_code == 404
    assert not get_user_model().objects.filter(username="eve").exists()


@override_settings(ALLOW_SIGNUP=True)
def test_signup_when_enabled_creates_an_account_in_no_project(client, db):
    response = client.post("/signup/", {"username": "eve", "password1": "x9!long-pass", "password2": "x9!long-pass"})
    assert response.status_code == 302
    eve = get_user_model().objects.get(username="eve")
    assert not eve.is_staff and not eve.memberships.exists()


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(client, db):
    UserFactory(username="tina")
    for _ in range(10):
        assert client.post("/login/", {"username": "tina", "password": "wrong"}).status_code == 200
    response = client.post("/login/", {"username": "tina", "password": "correct-horse-battery"})
    assert response.status_code == 429 and b"Too many failed attempts" in response.content


def test_successful_login_redirects(client, db):
    UserFactory(username="tina")
    response = client.post("/login/", {"username": "tina", "password": "correct-horse-battery"})
    assert response.status_code == 302


@override_settings(ALLOW_SIGNUP=True)
def test_a_surrogates_bytes_in_a_form_arrive_as_a_replacement_character_never_a_lone_surrogate(client, db):
    """Django decodes form bodies with errors="replace" (the JSON API's escapes are its parser's to
    refuse): the page answers, and whatever is stored encodes."""
    form = "application/x-www-form-urlencoded"
    for path, body in [("/login/", "username=tina%ED%B0%80&password=x"),
                       ("/signup/", "username=eve%ED%B0%80&password1=x9%21long-pass&password2=x9%21long-pass")]:
        assert client.post(path, body, content_type=form).status_code == 200
    assert all(user.username.encode() for user in get_user_model().objects.all())

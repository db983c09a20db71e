"""Every login path (token API, browser login page, Django admin's) counts failures per client and
username: behind the proxy each client has its own count, a successful login consumes nothing,
and the right password is refused once a client has guessed too often."""

from pathlib import Path

import pytest
import yaml
from django.test import Client

from annotation_site.login_throttle import limit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
PATHS = ["/api/auth/token/", "/login/", "/admin/login/"]
SUCCESS = {"/api/auth/token/": 200, "/login/": 302, "/admin/login/": 302}
FAILURE = {"/api/auth/token/": 400, "/login/": 200, "/admin/login/": 200}


@pytest.fixture
def staff(db):
    return UserFactory(username="sam-staff", is_staff=True)


def log_in(path: str, username: str, password: str, client_ip: str = "203.0.113.7", **headers):
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_ip, **headers)
    return client.post(path, {"username": username, "password": password})


def guess(path: str, username: str, client_ip: str = "203.0.113.7"):
    for n in range(limit()):
        assert log_in(path, username, f"guess-{n}", client_ip).status_code == FAILURE[path]


@pytest.mark.parametrize("path", PATHS)
def test_after_too_many_failures_even_the_right_password_is_a_429(path, staff):
    guess(path, staff.username)
    response = log_in(path, staff.username, PASSWORD)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "sessionid" not in response.cookies and b'"token"' not in response.content


@pytest.mark.parametrize("path", PATHS)
def test_successful_logins_consume_nothing(path, staff):
    for _ in range(limit() + 3):
        assert log_in(path, staff.username, PASSWORD).status_code == SUCCESS[path]
    guess(path, staff.username)  # the whole allowance of failures is still there


@pytest.mark.parametrize("path", PATHS)
def test_behind_the_proxy_one_client_locked_out_leaves_the_others_alone(path, staff, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    guess(path, staff.username, client_ip="203.0.113.7")
    assert log_in(path, staff.username, PASSWORD, client_ip="198.51.100.4").status_code == SUCCESS[path]
    # Entries left of the proxy's are the client's to write: prepending one changes nothing.
    assert log_in(path, staff.username, PASSWORD, client_ip="192.0.2.1, 203.0.113.7").status_code == 429


@pytest.mark.parametrize("path", PATHS)
def test_guessing_one_account_does_not_lock_another(path, staff):
    other = UserFactory(username="tess-staff", is_staff=True)
    guess(path, staff.username)
    assert log_in(path, other.username, PASSWORD).status_code == SUCCESS[path]


def test_without_trusted_proxies_a_forged_x_forwarded_for_is_ignored(staff, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    for n in range(limit()):
        log_in("/admin/login/", staff.username, "x", client_ip=f"10.1.0.{n}")
    assert log_in("/admin/login/", staff.username, PASSWORD, client_ip="10.9.9.9").status_code == 429


def test_docker_compose_trusts_the_one_tls_proxy_in_front_of_the_web_app():
    """Production needs a TLS proxy (SECURE_PROXY_SSL_HEADER) in front of the published port, which
    listens on the host's loopback only, so X-Forwarded-For's last entry is the proxy's."""
    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    assert compose["x-app"]["environment"]["NUM_PROXIES"] == "${NUM_PROXIES:-1}"
    assert compose["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]

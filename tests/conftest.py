"""The cast: two annotators and an admin of ``project``, and an outsider who belongs to another project."""

import os

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import ProjectFactory, UserFactory, add_member


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def admin_user(project):
    user = UserFactory(username="ada-admin")
    add_member(project, user, "admin")
    return user


@pytest.fixture
def annotator(project):
    user = UserFactory(username="ann-annotator")
    add_member(project, user, "annotator")
    return user


@pytest.fixture
def second_annotator(project):
    user = UserFactory(username="bob-annotator")
    add_member(project, user, "annotator")
    return user


@pytest.fixture
def outsider(db):
    user = UserFactory(username="otto-outsider")
    add_member(ProjectFactory(slug="elsewhere"), user, "annotator")
    return user


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    """``api(user)`` gives an API client authenticated as ``user`` (None for anonymous)."""
    return client_for


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """SQLite tests use a file, not memory, so worker processes started by tests can share it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        suffix = os.environ.get("PYTEST_XDIST_WORKER", "main")
        db.setdefault("TEST", {})["NAME"] = str(settings.VAR_DIR / f"test-db-{suffix}.sqlite3")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness cost seconds per test in building the cast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """A per-test in-memory cache: throttle counters must not leak between tests (and with
    REDIS_URL set, clearing the real cache would flush the broker's database too)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()

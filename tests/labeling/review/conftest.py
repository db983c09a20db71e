"""The review cast: a reviewer of ``project`` (and the annotators and admin of tests/conftest.py)."""

import pytest

from tests.factories import UserFactory, add_member


@pytest.fixture
def reviewer(project):
    user = UserFactory(username="rita-reviewer")
    add_member(project, user, "reviewer")
    return user

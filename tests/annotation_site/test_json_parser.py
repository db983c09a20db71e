"""JSON nested deeper than Python's decoder recurses is a 400 on every JSON endpoint: DRF's parser
let the RecursionError through, a 500 from a 200 kB body."""

import pytest

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("path", ["/api/judgments/", "/api/demonstrations/", "/api/training-runs/"])
def test_json_nested_too_deeply_is_a_400_naming_the_cause(api, admin_user, path):
    response = api(admin_user).post(path, '{"comparison": ' + DEEP + "}", content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]

"""The schema's bounds, choices and help texts say what the server does: a judgment's strength is
1 or more (not 0), its winner one of the positions or tie, and a snapshot's ``created_by`` a
username (not Django's help text for choosing one). Declaring them changed nothing the server
accepts: the services still check each value against its project."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from labeling.models import Winner
from labeling.projects.services import SETTING_RANGES
from labeling.rankings import LETTERS
from tests.factories import new_client_key

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def components():
    return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def enum_values(components, schema) -> set:
    """The values a field's ``oneOf`` of enum components allows (None for NullEnum)."""
    values = set()
    for option in schema["oneOf"]:
        values.update(components[option["$ref"].rsplit("/", 1)[1]]["enum"])
    return values


def test_a_submitted_winner_is_one_of_the_positions_or_tie_and_a_strength_at_least_1(components):
    submitted = components["JudgmentInput"]["properties"]
    assert enum_values(components, submitted["winner"]) == {*Winner.values, "", None}
    assert submitted["strength"]["minimum"] == 1 and submitted["strength"]["nullable"] is True


@pytest.mark.parametrize("component", ["Judgment", "ReviewEntry", "RejectedJudgment", "ComparisonJudgment"])
def test_a_stored_strength_is_documented_from_1(components, component):
    strength = components[component]["properties"]["strength"]
    assert strength["minimum"] == 1 and "strength_scale" in strength["description"]


def test_no_field_carries_djangos_help_text_for_choosing_a_username(components):
    created_by = components["Snapshot"]["properties"]["created_by"]
    assert "username" in created_by["description"] and created_by["nullable"] is True
    described = [
        f"{name}.{field}" for name, component in components.items()
        for field, schema in component.get("properties", {}).items()
        if "150 characters or fewer" in schema.get("description", "")
    ]
    assert described == []


@pytest.mark.parametrize(("field", "bounds"), [
    ("overlap", SETTING_RANGES["overlap"][:2]), ("lease_minutes", SETTING_RANGES["lease_minutes"][:2]),
    ("responses_per_comparison", (2, len(LETTERS))),
])
def test_a_projects_numeric_settings_are_documented_with_the_ranges_the_services_check(components, field, bounds):
    for component in ("Project", "PatchedProject"):
        schema = components[component]["properties"][field]
        assert (schema["minimum"], schema["maximum"]) == tuple(bounds), component


@pytest.mark.parametrize(("body", "named"), [
    ({"winner": "a", "strength": 0}, "strength"), ({"winner": "a", "strength": 4}, "strength"),
    ({"winner": "c", "strength": 1}, "winner"), ({"winner": "tie", "strength": 1}, "strength"),
])
def test_the_server_still_refuses_what_the_project_does_not_allow(api, world, body, named):
    """Each is a 400 naming the field: a winner off the enum from the serializer, a strength off
    the scale (0 too) from the service, whose message names the scale."""
    judgment = {"comparison": world.own("annotator").to_judge.pk, "client_key": new_client_key(), **body}
    response = api(world.users["annotator"]).post("/api/judgments/", judgment, format="json")
    assert response.status_code == 400 and named in str(response.json()), response.content
    if body["winner"] == "a":  # off the scale, 0 as 4: the service's message, naming the levels
        assert response.json()["detail"].startswith("strength is required: an integer from 1 (")
    accepted = {**judgment, "winner": "b", "strength": 3, "client_key": new_client_key()}
    assert api(world.users["annotator"]).post("/api/judgments/", accepted, format="json").status_code == 201

"""How a response's text is shown on the annotation screen."""

import json

import pytest
from playwright.sync_api import expect

from labeling.imports.services import import_file
from labeling.models import ComparisonResponse
from labeling.rankings import LETTERS
from tests.browser.conftest import log_in
from tests.factories import ProjectFactory, add_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("empty", ["", " \n\t"])
def test_an_empty_response_is_shown_as_a_placeholder_not_as_text(page, annotator_user, empty):
    """A model answering nothing shows "(empty response)" as a placeholder; a model answering
    those very words shows them as its text."""
    project = ProjectFactory()
    add_member(project, annotator_user)
    line = {"prompt": "Summarise the article.", "responses": [
        {"text": empty, "model": "silent"}, {"text": "(empty response)", "model": "literal"}]}
    import_file(project=project, lines=[json.dumps(line).encode()], format="candidates")
    positions = ComparisonResponse.objects.filter(comparison__project=project).select_related("response")
    letter = {position.response.model_name: LETTERS[position.position] for position in positions}

    log_in(page, annotator_user.username, next_path=f"/projects/{project.pk}/annotate")
    silent, literal = (page.get_by_test_id(f"response-{letter[m]}") for m in ("silent", "literal"))
    expect(silent.locator(".response-empty")).to_have_text("(empty response)")
    expect(literal).to_contain_text("(empty response)")
    expect(literal.locator(".response-empty")).to_have_count(0)
    assert silent.locator(".response-empty").evaluate("e => getComputedStyle(e).fontStyle") == "italic"

"""One export file, one representation: ``trl`` and ``kto`` rows are all plain strings or all
message lists (TRL's conversational format), decided per project before the first row."""

import json

import pytest
from django.core.management import CommandError, call_command

from labeling.errors import InvalidInput
from labeling.exports.snapshots import snapshot_rows
from labeling.imports.services import import_file
from tests.labeling.exports.builders import snapshot_of

ONE_TURN = {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."}
MULTI_TURN = {
    "prompt": [
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Italy?"},
    ],
    "chosen": [{"role": "assistant", "content": "Rome."}],
    "rejected": [{"role": "assistant", "content": "Milan."}],
}
SYSTEM_PROMPT = {
    "prompt": [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Capital of Spain?"}],
    "chosen": "Madrid.", "rejected": "Seville.",
}


def labelled(project, *rows):
    import_file(project=project, lines=[json.dumps(row) for row in rows], format="trl", with_labels=True)
    return project


def export(api, user, project, query=""):
    response = api(user).get(f"/api/projects/{project.pk}/export/?format=trl{query}")
    if response.status_code != 200:
        return response.status_code, response.json()
    return 200, [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


def test_a_project_of_one_turn_prompts_exports_plain_strings(api, project, admin_user):
    status, rows = export(api, admin_user, labelled(project, ONE_TURN))
    assert status == 200
    assert [(r["prompt"], r["chosen"], r["rejected"]) for r in rows] == [("Capital of France?", "Paris.", "Lyon.")]


@pytest.mark.parametrize("longer", [MULTI_TURN, SYSTEM_PROMPT])
def test_one_longer_prompt_makes_every_row_conversational(api, project, admin_user, longer):
    status, rows = export(api, admin_user, labelled(project, ONE_TURN, longer))
    assert status == 200 and len(rows) == 2
    for row in rows:
        assert isinstance(row["prompt"], list) and row["prompt"][-1]["role"] == "user"
        for reply in (row["chosen"], row["rejected"]):
            assert len(reply) == 1 and reply[0]["role"] == "assistant"
    prompts = [row["prompt"] for row in rows]
    assert [{"role": "user", "content": "Capital of France?"}] in prompts and longer["prompt"] in prompts
    assert not any("Human:" in json.dumps(row) for row in rows)  # no transcript anywhere


def test_plain_strings_asked_for_on_a_multi_turn_project_are_refused_by_name(api, project, admin_user):
    labelled(project, ONE_TURN, MULTI_TURN)
    status, body = export(api, admin_user, project, "&conversational=false")
    assert status == 400 and "conversational" in body["detail"] and "more than one turn" in body["detail"]
    assert export(api, admin_user, project, "&conversational=true")[0] == 200
    assert export(api, admin_user, project, "&format=hh-rlhf")[0] == 200  # transcripts are hh-rlhf's own form


def test_kto_follows_the_same_rule(api, project, admin_user):
    labelled(project, ONE_TURN, MULTI_TURN)
    status, rows = export(api, admin_user, project, "&format=kto")
    assert status == 200 and rows
    assert all(isinstance(r["prompt"], list) and isinstance(r["completion"], list) for r in rows)


def test_a_snapshot_records_the_representation_its_files_hold(project, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    labelled(project, ONE_TURN, MULTI_TURN)
    snapshot = snapshot_of(project=project, format="trl", validation_fraction=0)
    assert snapshot.options["conversational"] is True
    assert all(isinstance(row["prompt"], list) for row in snapshot_rows(snapshot, "train"))
    with pytest.raises(InvalidInput, match="more than one turn"):
        snapshot_of(project=project, format="trl", conversational=False)


def test_the_command_refuses_plain_strings_for_a_multi_turn_project(project, tmp_path):
    labelled(project, ONE_TURN, MULTI_TURN)
    out = tmp_path / "rows.jsonl"
    with pytest.raises(CommandError, match="more than one turn"):
        call_command("export_data", "--project", project.slug, "--format", "trl", "--no-conversational", "--out", str(out))
    call_command("export_data", "--project", project.slug, "--format", "trl", "--out", str(out))
    assert all(isinstance(json.loads(line)["prompt"], list) for line in out.read_text().splitlines())

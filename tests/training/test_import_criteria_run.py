"""A reward model per criterion, trained in the app from labels imported per criterion: HH-RLHF's
subsets (helpful-base, harmless-base) as the project's criteria, each line naming its own."""

import json

from labeling.imports.services import import_file
from tests.factories import ProjectFactory
from tests.training.conftest import DEMO_HH, reward_config
from tests.training.test_runs import create, train_now
from training.inputs import stage_examples
from training.models import ModelCheckpoint

SUBSETS = ["helpful-base", "harmless-base"]


def test_labels_imported_per_subset_train_one_reward_model_on_both_criteria(db, tiny_reward_model, settings, tmp_path):
    settings.ARTIFACT_DIR = tmp_path
    project = ProjectFactory(criteria=SUBSETS)
    with open(DEMO_HH, "rb") as f:
        rows = [json.loads(next(f)) for _ in range(40)]
    lines = [json.dumps(row | {"criterion": SUBSETS[i % 2]}).encode() for i, row in enumerate(rows)]
    assert import_file(project=project, lines=lines, format="hh-rlhf", with_labels=True).counts["judgments"] == 40
    run = create(project, base_model=tiny_reward_model, config=reward_config(criteria=SUBSETS))
    train, validation = stage_examples(run)
    examples = train + validation
    assert len(examples) == 40  # each pair once, under the subset its line named
    assert [sum(e["criterion"] == s for e in examples) for s in SUBSETS] == [20, 20]
    result = train_now(run)
    assert ModelCheckpoint.objects.get(pk=result["checkpoint"]).criteria == SUBSETS

"""A populated project for the security tests: every kind of object an endpoint can name, owned by
the cast (``annotator`` and ``admin_user`` of ``project``; ``outsider`` annotates elsewhere)."""

from dataclasses import dataclass

import pytest

from labeling.annotation.assignment import comparison_lease_next
from labeling.annotation.flags import comparison_skip, flag_create
from labeling.annotation.judgments import judgment_create
from labeling.models import Comparison, DatasetSnapshot, Flag, Judgment
from tests.factories import UserFactory, make_comparison, new_client_key
from training.models import ModelCheckpoint, RunMetric, TrainingRun


@dataclass
class Holdings:
    """What one member of the project holds: a comparison to judge, one to skip or flag, a judgment, a
    comparison they skipped (to take back) and a flag of their own (to withdraw)."""

    to_judge: Comparison
    to_skip: Comparison
    judged: Judgment
    skipped: Comparison
    flag: Flag


@dataclass
class World:
    project: object
    users: dict  # role -> user (None for anonymous)
    holdings: dict  # role -> Holdings, for the two members of the project
    snapshot: DatasetSnapshot
    flag: Flag
    run: TrainingRun
    checkpoint: ModelCheckpoint

    def own(self, role: str) -> Holdings:
        """The role's own objects; anonymous and the outsider get the annotator's (so their
        requests name real objects of a project they are not in)."""
        return self.holdings.get(role) or self.holdings["annotator"]


def _holdings(project, user) -> Holdings:
    judged = comparison_lease_next(project=project, annotator=user)
    judgment, _ = judgment_create(annotator=user, comparison_id=judged.pk, client_key=new_client_key(), winner="a", strength=2)
    skipped = comparison_lease_next(project=project, annotator=user)
    comparison_skip(annotator=user, comparison_id=skipped.pk)
    to_judge = comparison_lease_next(project=project, annotator=user)
    to_skip = comparison_lease_next(project=project, annotator=user, ahead=True)
    flag, _ = flag_create(annotator=user, comparison_id=to_judge.pk, reason="unsafe")
    assert len({judged.pk, to_judge.pk, to_skip.pk, skipped.pk}) == 4
    return Holdings(to_judge=to_judge, to_skip=to_skip, judged=judgment, skipped=skipped, flag=flag)


@pytest.fixture
def world(project, annotator, admin_user, outsider, settings, tmp_path) -> World:
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    project.collect_demonstrations = True
    # two seats per comparison: what one member skipped stays open to take back after the other
    # member's leases are handed out
    project.overlap = 2
    project.save(update_fields=["collect_demonstrations", "overlap"])
    for _ in range(10):
        make_comparison(project)
    UserFactory(username="carol")  # someone to add as a member
    holdings = {"annotator": _holdings(project, annotator), "admin": _holdings(project, admin_user)}
    snapshot = DatasetSnapshot.objects.create(
        project=project, format="trl", aggregation="majority", sha256="0" * 64, path="snapshots/none",
        row_counts={"train": 0, "validation": 0}, status="ready",
    )
    flag, _ = flag_create(annotator=annotator, comparison_id=holdings["annotator"].judged.comparison_id, reason="other")
    run = TrainingRun.objects.create(project=project, stage="reward", base_model="tiny/model", created_by=admin_user)
    RunMetric.objects.create(run=run, step=1, values={"loss": 0.5})
    checkpoint = ModelCheckpoint.objects.create(project=project, run=run, name="ck", kind="reward", path="checkpoints/none")
    users = {"anonymous": None, "annotator": annotator, "outsider": outsider, "admin": admin_user}
    return World(project, users, holdings, snapshot, flag, run, checkpoint)


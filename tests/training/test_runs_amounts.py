"""Too little data is refused when the run is created, naming the numbers, for the stages whose
rows can be bounded from the project's data (training/amounts.py), not after its snapshot was
written, in the worker."""

import pytest

from labeling.errors import InvalidInput
from labeling.models import Demonstration, Judgment, Prompt
from tests.factories import new_client_key
from tests.training.test_runs import create
from training.models import TrainingRun


def demonstrate(project, user, n: int) -> None:
    for prompt in Prompt.objects.filter(project=project).order_by("pk")[:n]:
        Demonstration.objects.create(project=project, prompt=prompt, annotator=user, text="An ideal answer.",
                                     client_key=new_client_key())


@pytest.fixture
def demonstrations_only(labelled_project, admin_user):
    Judgment.objects.filter(project=labelled_project).delete()
    return labelled_project


def test_an_sft_run_on_one_demonstration_is_refused_at_once_naming_the_numbers(api, admin_user, demonstrations_only, tiny_policy_model):
    demonstrate(demonstrations_only, admin_user, 1)
    body = {"project": demonstrations_only.pk, "stage": "sft", "base_model": tiny_policy_model}
    response = api(admin_user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 400, response.json()
    detail = response.json()["detail"]
    assert "1 demonstrations and 0 judged comparisons" in detail and "16 training + 2 validation" in detail
    assert "force" in detail
    assert not TrainingRun.objects.exists()


def test_forced_an_sft_run_on_few_demonstrations_starts_with_a_warning(demonstrations_only, admin_user, tiny_policy_model):
    demonstrate(demonstrations_only, admin_user, 3)
    run = create(demonstrations_only, stage="sft", base_model=tiny_policy_model, force=True)
    assert run.warnings and "3 demonstrations" in run.warnings[0]


def test_an_sft_run_counts_the_winners_it_would_add(labelled_project, tiny_policy_model):
    run = create(labelled_project, stage="sft", base_model=tiny_policy_model)  # 40 judged comparisons
    assert run.warnings == []


def test_a_kto_run_on_too_few_pairs_is_refused_at_once(labelled_project, tiny_policy_model):
    keep = list(Judgment.objects.filter(project=labelled_project).order_by("pk").values_list("comparison_id", flat=True)[:8])
    Judgment.objects.filter(project=labelled_project).exclude(comparison_id__in=keep).delete()
    with pytest.raises(InvalidInput, match=r"8 decided pairs \(16 KTO rows at most\), fewer than the 18 needed"):
        create(labelled_project, stage="kto", base_model=tiny_policy_model)
    assert not TrainingRun.objects.exists()

import json
from pathlib import Path

import pytest

from labeling.imports.services import import_file

DEMO_HH = Path(__file__).resolve().parents[2] / "demo" / "hh_rlhf_300.jsonl"


@pytest.fixture(scope="session")
def tiny_reward_model(tmp_path_factory) -> str:
    from training.ml.tiny import build_tiny_reward_model

    return str(build_tiny_reward_model(tmp_path_factory.mktemp("tiny") / "reward"))


@pytest.fixture(scope="session")
def tiny_policy_model(tmp_path_factory) -> str:
    from training.ml.tiny import build_tiny_causal_lm

    return str(build_tiny_causal_lm(tmp_path_factory.mktemp("tiny") / "policy"))


@pytest.fixture
def labelled_project(project, admin_user):
    """``project`` with 40 real HH-RLHF pairs and their labels, administered by ``admin_user``."""
    with open(DEMO_HH, "rb") as f:
        lines = [next(f) for _ in range(40)]
    import_file(project=project, lines=lines, format="hh-rlhf", with_labels=True)
    return project


def reward_config(**overrides) -> dict:
    return {"max_steps": 3, "batch_size": 4, "max_length": 96, "max_prompt_length": 64, **overrides}


__all__ = ["reward_config", "json"]


def run_started(api, user, project, stage: str, model: str, config: dict) -> int:
    """The id of a run ``user`` starts through the API (201 asserted)."""
    body = {"project": project.pk, "stage": stage, "base_model": model, "config": config}
    response = api(user).post("/api/training-runs/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]

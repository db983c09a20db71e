import pytest
import torch

from tests.training.ml.conftest import Recorder
from training.ml.config import GenerateConfig
from training.ml.generate import generate
from training.ml.loop import TrainingCancelled
from training.ml.sampling import response_mask

PROMPTS = [
    {"prompt": [{"role": "user", "content": f"Tell me about {topic}"}]}
    for topic in ("cats", "tea", "rain")
]


def test_samples_n_responses_per_prompt_as_plain_dicts(tiny_lm_path):
    config = GenerateConfig(num_samples=2, max_new_tokens=6, batch_size=2)
    results = generate(config, tiny_lm_path, PROMPTS)
    assert [(r["prompt_index"], r["sample_index"]) for r in results] == [
        (p, s) for p in range(3) for s in range(2)
    ]
    assert all(r["prompt"] == PROMPTS[r["prompt_index"]]["prompt"] for r in results)
    assert all(isinstance(r["completion"], str) and 1 <= r["num_tokens"] <= 6 for r in results)
    assert all(r["finished"] == (r["num_tokens"] < 6) for r in results if not r["finished"])


def test_same_seed_gives_the_same_samples(tiny_lm_path):
    config = GenerateConfig(num_samples=1, max_new_tokens=5, seed=7)
    assert generate(config, tiny_lm_path, PROMPTS[:2]) == generate(
        config, tiny_lm_path, PROMPTS[:2]
    )


def test_callback_reports_batches_and_can_cancel(tiny_lm_path):
    recorder = Recorder(stop_at=1)
    with pytest.raises(TrainingCancelled):
        generate(
            GenerateConfig(num_samples=1, max_new_tokens=3, batch_size=1),
            tiny_lm_path,
            PROMPTS,
            recorder,
        )
    assert [(step, total) for step, total, _ in recorder.calls] == [(1, 3)]


def test_response_mask_keeps_tokens_through_the_first_eos():
    responses = torch.tensor([[5, 2, 7, 2], [5, 6, 7, 8]])
    assert response_mask(responses, eos_id=2).tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]

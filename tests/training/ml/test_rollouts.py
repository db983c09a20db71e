import types

import pytest
import torch

from training.ml import scoring
from training.ml.checkpoints import load_tokenizer
from training.ml.losses import kl_per_token
from training.ml.rollouts import (
    in_micro_batches,
    penalize_missing_eos,
    rollout_stats,
    seed_rollouts,
)


def test_missing_eos_penalty_comes_off_exactly_the_truncated_responses():
    scores, finished = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([True, False, True, False])
    assert penalize_missing_eos(scores, finished, 0.5).tolist() == [1.0, 1.5, 3.0, 3.5]
    assert penalize_missing_eos(scores, finished, None).tolist() == scores.tolist()


def test_each_process_samples_from_its_own_seed():
    def draws(process_index):
        seed_rollouts(types.SimpleNamespace(process_index=process_index), seed=7)
        return torch.rand(4)

    assert torch.equal(draws(0), draws(0))
    assert not torch.equal(draws(0), draws(1))


def test_micro_batches_cover_every_row_once_and_concatenate_each_output():
    rows_seen, values = [], torch.arange(10)

    def forward(rows):
        rows_seen.append(len(values[rows]))
        return values[rows], values[rows] * 2

    logps, doubled = in_micro_batches(forward, 4, len(values))
    assert rows_seen == [4, 4, 2]
    assert torch.equal(logps, values) and torch.equal(doubled, values * 2)


def test_a_reward_model_scores_a_cut_rollout_without_eos(tiny_rm_path, monkeypatch):
    sequences, pad = [], scoring.pad

    def recording_pad(batch, pad_id, left=False):
        sequences.extend(batch)
        return pad(batch, pad_id, left)

    monkeypatch.setattr(scoring, "pad", recording_pad)
    score = scoring.load_reward_fn(tiny_rm_path, "cpu")
    prompts = [[{"role": "user", "content": "Say a"}]] * 2
    scores = score(prompts, ["a a a", "a a a"], [True, False])
    eos = load_tokenizer(tiny_rm_path).eos_token_id
    assert sequences[0] == sequences[1] + [eos]  # the same text; only the finished one ended
    assert scores[0] != scores[1]


def test_the_kl_shown_is_never_negative_where_the_sampled_tokens_happen_to_favour_the_reference():
    """Two responses whose sampled tokens the reference finds likelier than the policy does: the
    k1 sum the penalty uses is below 0, a KL is not. The figure is the k3 sum, by hand here."""
    logps = torch.log(torch.tensor([[0.2, 0.5, 0.9], [0.4, 0.4, 0.9]]))
    ref_logps = torch.log(torch.tensor([[0.4, 0.5, 0.1], [0.8, 0.4, 0.1]]))
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])  # the third token is padding
    batch = {"logps": logps, "ref_logps": ref_logps, "mask": mask, "kl": kl_per_token(logps, ref_logps) * mask,
             "scores": torch.tensor([1.0, 0.0]), "finished": torch.tensor([True, False])}
    single = types.SimpleNamespace(reduce=lambda tensor, reduction: tensor)
    stats = rollout_stats(single, batch)
    assert batch["kl"].sum(-1).mean() < 0  # what was shown
    k3 = 2 - 1 - torch.log(torch.tensor(2.0))  # ratio π_ref/π = 2 on the first token of each, 1 on the second
    assert stats["kl"] == pytest.approx(float(k3)) and stats["kl"] > 0
    assert (stats["reward"], stats["response_length"], stats["truncation_rate"]) == (0.5, 2.0, 0.5)

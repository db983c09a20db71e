import types

import torch

from training.ml import scoring
from training.ml.checkpoints import load_tokenizer
from training.ml.rollouts import in_micro_batches, penalize_missing_eos, seed_rollouts


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

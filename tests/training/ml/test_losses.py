import math

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from training.ml import losses
from training.ml.dpo import dpo_loss, ipo_loss, simpo_loss
from training.ml.group_rl import grpo_advantages, grpo_loss, rloo_advantages, rloo_loss
from training.ml.kto import kto_loss
from training.ml.losses import (
    IGNORE_INDEX,
    entropy_from_logits,
    kl_k3,
    kl_per_token,
    masked_mean,
    masked_whiten,
    ppo_policy_loss,
    selective_logps,
    sequence_logps,
    soft_preference_loss,
    token_logps_and_mask,
)
from training.ml.ppo import gae, ppo_value_loss
from training.ml.reward import bradley_terry_loss


def t(*values):
    return torch.tensor(values, dtype=torch.float)


def test_bradley_terry_matches_hand_value():
    # -log σ(1) = log(1 + e^-1)
    loss = bradley_terry_loss(t(1.0), t(0.0))
    assert loss.item() == pytest.approx(math.log1p(math.exp(-1)))


def test_bradley_terry_margin_is_subtracted_inside_the_sigmoid():
    # r_c - r_r - m = 1 - 0 - 1 = 0, so the loss is log 2
    assert bradley_terry_loss(t(1.0), t(0.0), t(1.0)).item() == pytest.approx(math.log(2))


def test_bradley_terry_swapping_sides_differs_by_the_reward_gap():
    # -log σ(x) - (-log σ(-x)) = -x for every x
    chosen, rejected = t(0.3, 2.0, -1.0), t(1.0, 0.5, -1.5)
    forward = bradley_terry_loss(chosen, rejected)
    swapped = bradley_terry_loss(rejected, chosen)
    assert (forward - swapped).item() == pytest.approx(-(chosen - rejected).mean().item(), abs=1e-6)


def test_token_logps_match_log_softmax_picked_at_the_next_label():
    torch.manual_seed(0)
    logits = torch.randn(3, 6, 11)
    labels = torch.randint(0, 11, (3, 6))
    labels[0, :3] = IGNORE_INDEX
    labels[2, 4:] = IGNORE_INDEX
    token_logps, mask = token_logps_and_mask(logits, labels)
    expected_mask = (labels[:, 1:] != IGNORE_INDEX).float()
    expected = torch.log_softmax(logits[:, :-1], -1).gather(-1, labels[:, 1:].clamp(min=0).unsqueeze(-1)).squeeze(-1)
    assert torch.equal(mask, expected_mask)
    assert torch.allclose(token_logps * mask, expected * expected_mask, atol=1e-6)


def test_sequence_logps_sums_only_labelled_positions():
    logits = torch.log(
        torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]])
    )  # (1, 3, 3)
    labels = torch.tensor([[IGNORE_INDEX, 1, 2]])
    # position 0 predicts token 1 (p 0.25), position 1 predicts token 2 (p 0.3)
    assert sequence_logps(logits, labels).item() == pytest.approx(math.log(0.25 * 0.3), abs=1e-6)
    labels = torch.tensor([[IGNORE_INDEX, IGNORE_INDEX, 2]])
    assert sequence_logps(logits, labels).item() == pytest.approx(math.log(0.3), abs=1e-6)


def test_dpo_loss_is_log_two_when_policy_equals_reference():
    loss, chosen, rejected = dpo_loss(t(-3.0), t(-5.0), t(-3.0), t(-5.0), beta=0.1)
    assert loss.item() == pytest.approx(math.log(2))
    assert chosen.item() == 0 and rejected.item() == 0


def test_dpo_loss_matches_equation_seven():
    # log-ratios: chosen -1 - (-2) = 1, rejected -3 - (-2) = -1; β·(1 - (-1)) = 0.5 · 2 = 1
    loss, chosen, rejected = dpo_loss(t(-1.0), t(-3.0), t(-2.0), t(-2.0), beta=0.5)
    assert loss.item() == pytest.approx(math.log1p(math.exp(-1)))
    assert chosen.item() == pytest.approx(0.5)
    assert rejected.item() == pytest.approx(-0.5)


def kto_by_hand(logps, ref, kl_logps, ref_kl, desirable, beta, w_d=1.0, w_u=1.0):
    """The KTO loss transcribed row by row with math, for comparison."""
    z0 = max(0.0, sum(p - r for p, r in zip(kl_logps, ref_kl, strict=True)) / len(kl_logps))
    sigmoid = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    losses = [
        w_d * (1 - sigmoid(beta * ((p - r) - z0))) if d else w_u * (1 - sigmoid(beta * (z0 - (p - r))))
        for p, r, d in zip(logps, ref, desirable, strict=True)
    ]
    return sum(losses) / len(losses), z0


def kto(logps, ref, kl_logps, ref_kl, desirable, beta, **weights):
    return kto_loss(t(*logps), t(*ref), t(*kl_logps), t(*ref_kl), torch.tensor(desirable), beta, **weights)


def test_kto_loss_is_one_half_when_policy_equals_reference():
    loss, rewards, kl = kto((-3.0, -5.0), (-3.0, -5.0), (-4.0, -6.0), (-4.0, -6.0), [True, False], beta=0.1)
    assert loss.item() == pytest.approx(0.5)  # 1 - σ(0) for every row
    assert rewards.tolist() == [0.0, 0.0] and kl.item() == 0.0


def test_kto_loss_hand_computed():
    # log-ratios: desirable -1 - (-2) = 1, undesirable -3 - (-2) = -1; mismatched pairs
    # (0.5 + 1.5) / 2 = 1 = z0. β = 0.5: desirable 1 - σ(0.5·(1 - 1)) = 0.5,
    # undesirable 1 - σ(0.5·(1 - (-1))) = 1 - σ(1)
    loss, rewards, kl = kto((-1.0, -3.0), (-2.0, -2.0), (-1.5, 0.5), (-2.0, -1.0), [True, False], beta=0.5)
    sigmoid_one = 1 / (1 + math.exp(-1))
    assert kl.item() == pytest.approx(1.0)
    assert loss.item() == pytest.approx((0.5 + (1 - sigmoid_one)) / 2)
    assert rewards.tolist() == pytest.approx([0.5, -0.5])


def test_kto_loss_matches_the_formula_on_random_rows():
    torch.manual_seed(0)
    logps, ref, kl_logps, ref_kl = (torch.randn(6) - 5 for _ in range(4))
    desirable = [True, False, True, True, False, False]
    for beta, w_d, w_u in ((0.1, 1.0, 1.0), (0.7, 1.33, 0.5)):
        loss, _, kl = kto_loss(
            logps, ref, kl_logps, ref_kl, torch.tensor(desirable), beta, desirable_weight=w_d, undesirable_weight=w_u
        )
        expected, z0 = kto_by_hand(logps.tolist(), ref.tolist(), kl_logps.tolist(), ref_kl.tolist(), desirable, beta, w_d, w_u)
        assert loss.item() == pytest.approx(expected, rel=1e-5)
        assert kl.item() == pytest.approx(z0, abs=1e-6)


def test_kto_reference_point_is_clamped_at_zero_and_not_backpropagated():
    logps, kl_logps = t(-1.0, -2.0).requires_grad_(), t(-9.0, -9.0).requires_grad_()
    loss, _, kl = kto_loss(logps, t(-1.0, -2.0), kl_logps, t(-1.0, -1.0), torch.tensor([True, False]), beta=1.0)
    loss.backward()
    assert kl.item() == 0.0  # the mean mismatched log-ratio is -8
    assert kl_logps.grad is None or (kl_logps.grad == 0).all()
    # d/dr of 1 - σ(r) at r = 0 is -1/4 for the desirable row, +1/4 for the undesirable one, halved by the mean
    assert logps.grad.tolist() == pytest.approx([-0.125, 0.125])


def test_swapping_kto_labels_swaps_which_direction_each_row_is_pushed():
    logps, ref = t(-1.0, -2.0).requires_grad_(), t(-1.5, -1.5)
    kto_loss(logps, ref, t(-2.0), t(-2.0), torch.tensor([True, False]), beta=0.5)[0].backward()
    forward = logps.grad.clone()
    logps.grad = None
    kto_loss(logps, ref, t(-2.0), t(-2.0), torch.tensor([False, True]), beta=0.5)[0].backward()
    assert forward[0] < 0 < forward[1]  # minimising raises the desirable row, lowers the other
    assert logps.grad[0] > 0 > logps.grad[1]


def test_kto_loss_at_swapped_labels_and_negated_log_ratios_is_unchanged():
    # With z0 = 0, an undesirable row at log-ratio -r costs what a desirable row at r costs.
    args = (t(-1.0, -4.0), t(-2.0, -2.0), t(-3.0), t(-3.0))
    loss = kto_loss(*args, torch.tensor([True, False]), beta=0.3)[0]
    mirrored = kto_loss(t(-3.0, 0.0), t(-2.0, -2.0), t(-3.0), t(-3.0), torch.tensor([False, True]), beta=0.3)[0]
    assert mirrored.item() == pytest.approx(loss.item())


def test_larger_kto_beta_pushes_harder_on_rows_near_the_reference_point():
    def push(beta):
        logps = t(-1.0, -2.0).requires_grad_()
        kto_loss(logps, t(-1.0, -2.0), t(-2.0), t(-2.0), torch.tensor([True, False]), beta=beta)[0].backward()
        return logps.grad.abs()

    assert (push(1.0) > push(0.1)).all()  # gradient β σ'(0) = β/4 per row, over the batch


def test_kto_weights_scale_each_kinds_loss():
    args = (t(-1.0, -3.0), t(-2.0, -2.0), t(-2.0), t(-2.0), torch.tensor([True, False]))
    plain = kto_loss(*args, beta=0.5)[0]
    weighted = kto_loss(*args, beta=0.5, desirable_weight=2.0, undesirable_weight=0.0)[0]
    desirable_only = (1 - 1 / (1 + math.exp(-0.5))) / 2
    assert weighted.item() == pytest.approx(2 * desirable_only)
    assert plain.item() > desirable_only


def test_gae_with_lambda_one_is_return_to_go_minus_value():
    rewards, values, mask = t(0.0, 0.0, 1.0)[None], t(0.5, 0.2, 0.1)[None], t(1, 1, 1)[None]
    advantages, returns = gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert advantages[0].tolist() == pytest.approx([0.5, 0.8, 0.9])
    assert returns[0].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_gae_hand_computed_with_discount_and_padding():
    rewards, values, mask = t(1.0, 2.0, 9.0)[None], t(0.5, 1.0, 7.0)[None], t(1, 1, 0)[None]
    advantages, _ = gae(rewards, values, mask, gamma=0.9, lam=0.5)
    delta_1 = 2.0 + 0.9 * 0 - 1.0  # the padded step is neither rewarded nor valued
    delta_0 = 1.0 + 0.9 * 1.0 - 0.5
    assert advantages[0].tolist() == pytest.approx([delta_0 + 0.45 * delta_1, delta_1, 0.0])


def test_ppo_policy_loss_clips_the_ratio():
    old = t(0.0, 0.0)
    new = torch.log(t(1.5, 0.5))  # ratios 1.5 and 0.5
    loss, clip_fraction = ppo_policy_loss(new, old, t(1.0, -1.0), t(1, 1), clip_range=0.2)
    # min(1.5, 1.2) = 1.2 and min(-0.5, -0.8) = -0.8
    assert loss.item() == pytest.approx(-(1.2 - 0.8) / 2)
    assert clip_fraction.item() == pytest.approx(1.0)


def test_ppo_policy_loss_is_minus_mean_advantage_at_ratio_one():
    loss, clip_fraction = ppo_policy_loss(t(0.2, 0.4), t(0.2, 0.4), t(2.0, 4.0), t(1, 0), 0.2)
    assert loss.item() == pytest.approx(-2.0)
    assert clip_fraction.item() == 0


def test_ppo_value_loss_takes_the_worse_of_clipped_and_unclipped():
    # V moved 0 -> 1 with ε = 0.2: clipped V = 0.2; target 1 -> max(0, 0.64) = 0.64
    loss = ppo_value_loss(t(1.0), t(0.0), t(1.0), t(1), clip_range_value=0.2)
    assert loss.item() == pytest.approx(0.5 * 0.64)


def test_masked_statistics_ignore_masked_positions():
    values, mask = t(1.0, 3.0, 100.0), t(1, 1, 0)
    assert masked_mean(values, mask).item() == pytest.approx(2.0)
    assert masked_whiten(values, mask).tolist() == pytest.approx([-1.0, 1.0, 0.0], abs=1e-4)


def test_entropy_of_uniform_is_log_vocab_and_kl_is_log_ratio():
    assert entropy_from_logits(torch.zeros(1, 1, 8)).item() == pytest.approx(math.log(8))
    assert kl_per_token(t(-1.0), t(-1.5)).item() == pytest.approx(0.5)


class LargestFloat32(TorchDispatchMode):
    """Records the most elements of any float32 tensor an operation creates inside it."""

    def __init__(self):
        super().__init__()
        self.numel = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for leaf in tree_leaves(out):
            if isinstance(leaf, torch.Tensor) and leaf.dtype == torch.float32:
                self.numel = max(self.numel, leaf.numel())
        return out


def naive_logps(logits, tokens, temperature):
    scaled = logits.float() / temperature  # (B, T, V): the whole float32 copy
    return torch.log_softmax(scaled, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("chunk_size", [1, 3, 8])
def test_selective_logps_equal_log_softmax_picked_at_the_token(dtype, chunk_size):
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(5, 7, 50, generator=generator) * 4).to(dtype)
    tokens = torch.randint(0, 50, (5, 7), generator=generator)
    chunked = selective_logps(logits, tokens, temperature=0.7, chunk_size=chunk_size)
    assert chunked.dtype == torch.float32
    torch.testing.assert_close(chunked, naive_logps(logits, tokens, 0.7), atol=1e-5, rtol=0)
    probs = torch.softmax(logits.float() / 0.7, -1)
    entropy = -(probs * probs.log()).sum(-1)
    torch.testing.assert_close(
        entropy_from_logits(logits, 0.7, chunk_size), entropy, atol=1e-5, rtol=0
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_selective_logps_gradient_equals_log_softmax_s(dtype):
    generator = torch.Generator().manual_seed(1)
    logits = (torch.randn(4, 6, 30, generator=generator) * 3).to(dtype)
    tokens = torch.randint(0, 30, (4, 6), generator=generator)
    weights = torch.randn(4, 6, generator=generator)
    grads = []
    for fn in (selective_logps, naive_logps):
        leaf = logits.clone().requires_grad_()
        (fn(leaf[:, 1:], tokens[:, 1:], 0.7) * weights[:, 1:]).sum().backward()  # a view, as PPO's
        grads.append(leaf.grad)
    assert grads[0].dtype == dtype and (grads[0][:, 0] == 0).all()
    tolerance = 1e-6 if dtype == torch.float32 else 1e-2  # bf16 keeps 8 bits of mantissa
    torch.testing.assert_close(grads[0], grads[1], atol=tolerance, rtol=tolerance)


def test_selective_logps_float32_memory_does_not_grow_with_the_batch(monkeypatch):
    length, vocab, largest = 6, 40, {}
    monkeypatch.setattr(losses, "FLOAT32_CHUNK_ELEMENTS", length * vocab)  # one sequence a chunk
    for batch in (2, 16):
        logits = torch.randn(batch, length, vocab).to(torch.bfloat16)
        tokens = torch.randint(0, vocab, (batch, length))
        for name, fn in (("chunked", selective_logps), ("naive", naive_logps)):
            leaf = logits.clone().requires_grad_()
            with LargestFloat32() as seen:
                fn(leaf, tokens, 1.0).sum().backward()
            largest[name, batch] = seen.numel
        with LargestFloat32() as seen:
            entropy_from_logits(logits)
        largest["entropy", batch] = seen.numel
    # forward and backward: one sequence's float32 logits at a time
    assert largest["chunked", 2] == largest["chunked", 16] == length * vocab
    assert largest["entropy", 2] == largest["entropy", 16] == length * vocab
    assert largest["naive", 16] == 16 * length * vocab  # what the chunks avoid


def test_token_logps_upcast_a_chunk_of_sequences_at_a_time(monkeypatch):
    logits = torch.randn(6, 5, 40).to(torch.bfloat16)
    labels = torch.randint(0, 40, (6, 5))
    labels[:, :2] = IGNORE_INDEX
    whole, mask = token_logps_and_mask(logits, labels)
    monkeypatch.setattr(losses, "FLOAT32_CHUNK_ELEMENTS", 2 * 5 * 40)  # two sequences a chunk
    with torch.no_grad(), LargestFloat32() as seen:  # a reference pass
        chunked, chunked_mask = token_logps_and_mask(logits, labels)
    assert seen.numel == 2 * 4 * 40
    torch.testing.assert_close(chunked, whole, atol=1e-6, rtol=0)
    assert torch.equal(mask, chunked_mask)


def rloo_rows(rewards):
    """Leave-one-out advantages transcribed row by row, for comparison; flattened."""
    return [r - (sum(row) - r) / (len(row) - 1) for row in rewards for r in row]


def grpo_rows(scores, eps=1e-4):
    """Group-standardised advantages transcribed row by row (Bessel-corrected std); flattened."""
    out = []
    for row in scores:
        mean = sum(row) / len(row)
        std = math.sqrt(sum((s - mean) ** 2 for s in row) / (len(row) - 1))
        out += [(s - mean) / (std + eps) for s in row]
    return out


def test_rloo_advantages_hand_computed():
    # each response's baseline is the mean of the other three
    advantages = rloo_advantages(t(1.0, 2.0, 3.0, 6.0)[None])
    assert advantages[0].tolist() == pytest.approx([1 - 11 / 3, 2 - 10 / 3, 3 - 3, 6 - 2])


def test_rloo_advantages_are_k_over_k_minus_1_times_the_centred_rewards():
    # r_i - (Σr - r_i)/(k-1) = k/(k-1) (r_i - mean): so each group sums to 0
    rewards = t(0.5, -1.0, 2.0)[None]
    assert rloo_advantages(rewards)[0].tolist() == pytest.approx(
        (1.5 * (rewards - rewards.mean()))[0].tolist()
    )


def test_group_advantages_match_the_transcription_row_by_row():
    torch.manual_seed(0)
    scores = torch.randn(5, 4)
    pairs = torch.randn(3, 2)  # k = 2, the smallest group
    for table in (scores, pairs):
        rloo, grpo = rloo_advantages(table).flatten(), grpo_advantages(table).flatten()
        assert rloo.tolist() == pytest.approx(rloo_rows(table.tolist()), abs=1e-6)
        assert grpo.tolist() == pytest.approx(grpo_rows(table.tolist()), abs=1e-5)


def test_grpo_advantages_hand_computed():
    # mean 2, Bessel-corrected std sqrt((1 + 0 + 1) / 2) = 1
    assert grpo_advantages(t(1.0, 2.0, 3.0)[None], eps=0.0)[0].tolist() == pytest.approx(
        [-1.0, 0.0, 1.0]
    )


def test_a_group_that_scored_alike_has_no_advantage():
    scores = t(0.7, 0.7, 0.7, 0.7)[None]
    assert grpo_advantages(scores)[0].tolist() == [0.0] * 4  # eps avoids 0/0
    assert rloo_advantages(scores)[0].tolist() == pytest.approx([0.0] * 4)


def test_group_advantages_do_not_depend_on_the_order_within_a_group():
    scores = t(0.1, 0.9, 0.4, 0.3)[None]
    order = torch.tensor([2, 0, 3, 1])
    for advantages in (rloo_advantages, grpo_advantages):
        assert advantages(scores[:, order])[0].tolist() == pytest.approx(
            advantages(scores)[0, order].tolist()
        )


def test_kl_k3_hand_computed_and_never_negative():
    # log(π_ref/π) = x: e^x - x - 1; 0 where the two agree
    logps, ref = t(-1.0, -2.0, -0.5), t(-1.0, -1.0, -2.5)
    expected = [0.0, math.e - 1 - 1, math.exp(-2) + 2 - 1]
    assert kl_k3(logps, ref).tolist() == pytest.approx(expected)
    assert (kl_k3(torch.randn(100), torch.randn(100)) >= 0).all()


def test_grpo_loss_hand_computed():
    # ratios 1 (token 1) and e^0.5 ≈ 1.65 (token 2, clipped to 1.2); the padded token is ignored
    logps = t(-1.0, -0.5, -9.0)[None]
    old, ref = t(-1.0, -1.0, -3.0)[None], t(-2.0, -0.5, 0.0)[None]
    mask = t(1, 1, 0)[None]
    loss, policy_loss, clip_fraction, kl = grpo_loss(logps, old, ref, t(2.0), mask, 0.2, beta=0.1)
    assert policy_loss.item() == pytest.approx(-(2.0 * 1 + 2.0 * 1.2) / 2)
    assert clip_fraction.item() == pytest.approx(0.5)
    assert kl.item() == pytest.approx((math.exp(-1) + 1 - 1 + 0.0) / 2)
    assert loss.item() == pytest.approx(policy_loss.item() + 0.1 * kl.item())


def test_grpo_loss_matches_the_transcription_on_random_responses():
    torch.manual_seed(1)
    logps, old, ref = (torch.randn(4, 5) * 0.3 - 2 for _ in range(3))
    advantages = torch.randn(4)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 0, 0, 0, 0]]).float()
    terms = []
    for i in range(4):
        for j in range(5):
            if mask[i, j]:
                ratio = math.exp(logps[i, j] - old[i, j])
                clipped = min(max(ratio, 0.8), 1.2)
                x = float(ref[i, j] - logps[i, j])
                surrogate = min(ratio * advantages[i], clipped * advantages[i])
                terms.append(-surrogate + 0.04 * (math.exp(x) - x - 1))
    loss = grpo_loss(logps, old, ref, advantages, mask, clip_range=0.2, beta=0.04)[0]
    assert loss.item() == pytest.approx(sum(terms) / len(terms), rel=1e-5)


def test_grpo_loss_gradient_at_ratio_one_is_minus_advantage_per_token():
    # At π = π_old = π_ref the k3 KL has zero gradient and d(ρA)/d log π = A per token.
    logps = t(-1.0, -2.0, -3.0)[None].requires_grad_()
    loss = grpo_loss(logps, logps.detach(), logps.detach(), t(3.0), t(1, 1, 0)[None], 0.2, 0.5)[0]
    loss.backward()
    assert logps.grad[0].tolist() == pytest.approx([-1.5, -1.5, 0.0])


def test_rloo_loss_clips_the_whole_response_ratio():
    # response 1: Σ log π - Σ log π_old = 0.5 + 0.5 (its padded token ignored), ratio e^1 -> 1.2;
    # response 2: ratio e^0 = 1, unclipped
    logps, old = t(-0.5, -0.5, -7.0, -1.0, -1.0, -1.0).view(2, 3), torch.full((2, 3), -1.0)
    mask = t(1, 1, 0, 1, 1, 1).view(2, 3)
    loss, clip_fraction = rloo_loss(logps, old, t(1.0, -2.0), mask, clip_range=0.2)
    assert loss.item() == pytest.approx(-(1.2 * 1.0 + 1.0 * -2.0) / 2)
    assert clip_fraction.item() == pytest.approx(0.5)


def test_rloo_loss_matches_the_transcription_on_random_responses():
    torch.manual_seed(2)
    logps, old = torch.randn(6, 4) * 0.2 - 1, torch.randn(6, 4) * 0.2 - 1
    mask = (torch.rand(6, 4) > 0.3).float()
    advantages = torch.randn(6)
    terms = []
    for i in range(6):
        ratio = math.exp(sum(float(logps[i, j] - old[i, j]) for j in range(4) if mask[i, j]))
        clipped = min(max(ratio, 0.8), 1.2)
        terms.append(-min(ratio * advantages[i], clipped * advantages[i]))
    loss = rloo_loss(logps, old, advantages, mask, clip_range=0.2)[0]
    assert loss.item() == pytest.approx(float(sum(terms) / 6), rel=1e-5)


def test_rloo_loss_at_ratio_one_is_reinforce():
    # gradient of -A Σ_t log π(y_t): -A on every response token, 0 on padding
    logps = t(-1.0, -2.0, -3.0, -4.0).view(2, 2).requires_grad_()
    loss, _ = rloo_loss(logps, logps.detach(), t(2.0, -1.0), t(1, 1, 1, 0).view(2, 2), 0.2)
    loss.backward()
    assert logps.grad.flatten().tolist() == pytest.approx([-1.0, -1.0, 0.5, 0.0])  # -A / 2 rows


# --- soft targets, IPO, SimPO ---------------------------------------------------------------------


def test_a_soft_target_is_the_confidence_weighted_mix_of_both_directions():
    z, c = torch.tensor([2.0, -1.0]), torch.tensor([0.9, 0.6])
    expected = -(0.9 * math.log(1 / (1 + math.exp(-2))) + 0.1 * math.log(1 / (1 + math.exp(2)))
                 + 0.6 * math.log(1 / (1 + math.exp(1))) + 0.4 * math.log(1 / (1 + math.exp(-1)))) / 2
    assert soft_preference_loss(z, c).item() == pytest.approx(expected, rel=1e-6)
    assert soft_preference_loss(z, torch.ones(2)).item() == pytest.approx(soft_preference_loss(z).item())
    # at c = 0.5 the loss is smallest where the two sides score alike: certainty is not rewarded
    gaps = torch.linspace(-3, 3, 61)
    losses = [soft_preference_loss(g.view(1), torch.tensor([0.5])).item() for g in gaps]
    assert gaps[losses.index(min(losses))].item() == pytest.approx(0.0, abs=1e-6)


def test_reward_and_dpo_losses_take_the_confidence():
    chosen, rejected = torch.tensor([1.0, 0.5]), torch.tensor([0.0, 1.5])
    c = torch.tensor([0.8, 0.7])
    assert bradley_terry_loss(chosen, rejected, confidence=c).item() == pytest.approx(
        soft_preference_loss(chosen - rejected, c).item())
    loss, _, _ = dpo_loss(chosen, rejected, torch.zeros(2), torch.zeros(2), beta=0.5, confidence=c)
    assert loss.item() == pytest.approx(soft_preference_loss(0.5 * (chosen - rejected), c).item())


def test_ipo_is_the_squared_distance_of_the_log_ratio_gap_from_its_target():
    # gap of log-ratios: (-1 - -2) - (-3 - -2) = 2; target 1/(2 * 0.25) = 2: no loss
    loss, chosen, rejected = ipo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), torch.tensor([-2.0]),
                                      torch.tensor([-2.0]), beta=0.25)
    assert loss.item() == pytest.approx(0.0)
    assert (chosen.item(), rejected.item()) == (pytest.approx(0.25), pytest.approx(-0.25))
    loss, _, _ = ipo_loss(torch.zeros(1), torch.zeros(1), torch.zeros(1), torch.zeros(1), beta=0.25)
    assert loss.item() == pytest.approx(4.0)  # policy = reference: (0 - 2)²


def test_simpo_normalises_by_length_and_needs_no_reference():
    # chosen: -6 over 3 tokens = -2 per token; rejected: -12 over 4 = -3 per token
    loss, chosen, rejected = simpo_loss(torch.tensor([-6.0]), torch.tensor([-12.0]), torch.tensor([3]),
                                        torch.tensor([4]), beta=2.0, gamma=1.0)
    assert (chosen.item(), rejected.item()) == (pytest.approx(-4.0), pytest.approx(-6.0))
    assert loss.item() == pytest.approx(-math.log(1 / (1 + math.exp(-(2.0 - 1.0)))))
    # doubling a response's length at the same per-token log-prob changes nothing
    longer, _, _ = simpo_loss(torch.tensor([-12.0]), torch.tensor([-12.0]), torch.tensor([6]),
                              torch.tensor([4]), beta=2.0, gamma=1.0)
    assert longer.item() == pytest.approx(loss.item())

"""Pure tensor functions for the training losses, each citing the equation it implements.

No models, no I/O: every function takes tensors and returns tensors, so each one is
tested against values worked out by hand. Masks are 1.0 on positions that count and
0.0 elsewhere; labels use -100 for positions that do not count.
"""

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100

# The most logits upcast to float32 at once (256 MB): the whole batch of a small model, one
# 2,048-token sequence at a 32k vocabulary, a single sequence (the floor) at 128k.
FLOAT32_CHUNK_ELEMENTS = 2**26


def rows_per_chunk(logits: torch.Tensor) -> int:
    """Sequences of `logits` (B, T, V) upcast together: as many as FLOAT32_CHUNK_ELEMENTS
    holds, at least one."""
    return max(1, FLOAT32_CHUNK_ELEMENTS // (logits.shape[1] * logits.shape[2]))


def soft_preference_loss(logits: torch.Tensor, confidence: torch.Tensor | None = None) -> torch.Tensor:
    """-[c log σ(z) + (1 - c) log σ(-z)], averaged: the logistic loss of preferring the chosen
    side with probability c instead of certainly (label smoothing by each pair's own confidence,
    as conservative DPO does with one ε = 1 - c for all; Mitchell 2023). c = None is 1: the
    plain -log σ(z). Shapes: (B,), optional (B,) in [0, 1]."""
    if confidence is None:
        return -F.logsigmoid(logits).mean()
    return -(confidence * F.logsigmoid(logits) + (1 - confidence) * F.logsigmoid(-logits)).mean()


def bradley_terry_loss(
    chosen_rewards: torch.Tensor,
    rejected_rewards: torch.Tensor,
    margin: torch.Tensor | None = None,
    confidence: torch.Tensor | None = None,
) -> torch.Tensor:
    """Reward-model loss  -log σ(r(x, y_c) - r(x, y_r) - m(r)),  averaged over pairs.

    Bradley–Terry preference likelihood as used by Ouyang et al. 2022 (InstructGPT,
    eq. 1); the optional margin m(r) is Llama 2's (Touvron et al. 2023, eq. 2): a pair
    rated "much better" must be separated by more. An optional per-pair confidence (the
    export's label_confidence) softens the target (soft_preference_loss).
    Shapes: (B,), (B,), optional (B,), optional (B,).
    """
    logits = chosen_rewards - rejected_rewards
    if margin is not None:
        logits = logits - margin
    return soft_preference_loss(logits, confidence)


def sequence_logps(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sum of log p(label_t | tokens_<t) over the positions whose label is not -100.

    `logits` (B, T, V) predict the next token, so they are compared with labels
    shifted by one. Returns (B,).
    """
    token_logps, mask = token_logps_and_mask(logits, labels)
    return (token_logps * mask).sum(-1)


def token_logps_and_mask(logits: torch.Tensor, labels: torch.Tensor):
    """Per-token log-probs of the next-token labels, and the mask of labels that count.

    Returns two (B, T-1) tensors. Uses torch's fused cross-entropy (log-softmax and pick in
    one kernel, per token): about a quarter faster forward and backward than gathering the
    label's logit and subtracting a logsumexp, at a 32k vocabulary on CPU. The logits are
    upcast to float32 rows_per_chunk sequences at a time, so a reference pass over long
    sequences at a large vocabulary never holds a float32 copy of the whole batch's logits.
    """
    length, vocab = logits.shape[1:]
    labels = labels[:, 1:]  # position t predicts token t+1
    mask = labels != IGNORE_INDEX
    safe_labels = labels.masked_fill(~mask, 0)
    size = rows_per_chunk(logits)
    nll = torch.cat(
        [
            F.cross_entropy(
                chunk[:, :-1].reshape(-1, vocab).float(), chunk_labels.reshape(-1), reduction="none"
            ).view(-1, length - 1)  # (c, T-1)
            for chunk, chunk_labels in zip(logits.split(size), safe_labels.split(size), strict=True)
        ]
    )
    return -nll, mask.to(nll.dtype)


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
    confidence: torch.Tensor | None = None,
):
    """Direct Preference Optimization loss (Rafailov et al. 2023, eq. 7).

        L = -log σ( β log π(y_w|x)/π_ref(y_w|x) - β log π(y_l|x)/π_ref(y_l|x) )

    The implicit rewards r̂ = β log π/π_ref (section 5) are returned detached for
    reporting: accuracy is the share of pairs with chosen_rewards > rejected_rewards.
    All inputs are (B,) sequence log-probs; an optional per-pair confidence softens the target
    (soft_preference_loss). Returns (loss, chosen_rewards, rejected_rewards).
    """
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    loss = soft_preference_loss(beta * (chosen_logratios - rejected_logratios), confidence)
    return loss, beta * chosen_logratios.detach(), beta * rejected_logratios.detach()


def ipo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
):
    """Identity Preference Optimisation (Azar et al. 2023, eq. 17):

        L = ( log π(y_w|x)/π_ref(y_w|x) - log π(y_l|x)/π_ref(y_l|x) - 1/(2β) )²

    A squared loss with a finite target: the log-ratio gap stops growing at 1/(2β), where
    DPO's logistic loss keeps pushing it on deterministic preferences. Inputs and returns as
    dpo_loss (the reported rewards are β log π/π_ref).
    """
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    loss = ((chosen_logratios - rejected_logratios - 1 / (2 * beta)) ** 2).mean()
    return loss, beta * chosen_logratios.detach(), beta * rejected_logratios.detach()


def simpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    chosen_lengths: torch.Tensor,
    rejected_lengths: torch.Tensor,
    beta: float,
    gamma: float,
    confidence: torch.Tensor | None = None,
):
    """SimPO, reference-free (Meng et al. 2024, eq. 6):

        L = -log σ( β/|y_w| log π(y_w|x) - β/|y_l| log π(y_l|x) - γ )

    The reward is the length-normalised log-prob, so no reference model is needed and a
    longer response earns nothing by being longer; γ is the target reward margin. Lengths are
    completion tokens, (B,). Returns (loss, chosen_rewards, rejected_rewards) with the
    rewards β/|y| log π(y|x), detached.
    """
    chosen_rewards = beta * policy_chosen_logps / chosen_lengths.clamp(min=1)
    rejected_rewards = beta * policy_rejected_logps / rejected_lengths.clamp(min=1)
    loss = soft_preference_loss(chosen_rewards - rejected_rewards - gamma, confidence)
    return loss, chosen_rewards.detach(), rejected_rewards.detach()


def kto_loss(
    policy_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    policy_kl_logps: torch.Tensor,
    ref_kl_logps: torch.Tensor,
    desirable: torch.Tensor,
    beta: float,
    desirable_weight: float = 1.0,
    undesirable_weight: float = 1.0,
):
    """Kahneman-Tversky Optimization loss (Ethayarajh et al. 2024, section 4), as TRL computes it.

        r = log π(y|x)/π_ref(y|x),   z0 = max(0, mean over mismatched pairs (x, y') of r(x, y'))
        L = λ_D (1 - σ(β(r - z0)))  for desirable y,   λ_U (1 - σ(β(z0 - r)))  for undesirable y

    averaged over the batch. z0 estimates KL(π || π_ref) from completions paired with other
    prompts; the paper does not backpropagate through it, so it is detached. Inputs are (B,)
    sequence log-probs (the *_kl_* ones of the mismatched pairs) and a (B,) bool `desirable`.
    Returns (loss, rewards, kl): rewards are the detached implicit rewards β r, kl is z0.
    """
    logratios = policy_logps - ref_logps
    kl = (policy_kl_logps - ref_kl_logps).mean().clamp(min=0).detach()
    desirable_losses = desirable_weight * (1 - torch.sigmoid(beta * (logratios - kl)))
    undesirable_losses = undesirable_weight * (1 - torch.sigmoid(beta * (kl - logratios)))
    loss = torch.where(desirable, desirable_losses, undesirable_losses).mean()
    return loss, beta * logratios.detach(), kl


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of `values` over positions where mask is 1."""
    return (values * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Shift and scale the masked entries to mean 0, variance 1 (PPO advantage normalisation)."""
    mean = masked_mean(values, mask)
    var = masked_mean((values - mean) ** 2, mask)
    return (values - mean) * torch.rsqrt(var + eps) * mask


def kl_per_token(logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """Per-token KL estimate log π(y_t) - log π_ref(y_t) on the sampled tokens.

    Its expectation under π is KL(π || π_ref); this is the "k1" estimator and the
    penalty used in Ziegler et al. 2019 (eq. 2) and InstructGPT (Ouyang et al. 2022, eq. 2).
    """
    return logps - ref_logps


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    mask: torch.Tensor,
    gamma: float,
    lam: float,
):
    """Generalized advantage estimation (Schulman et al. 2016, eq. 16; PPO paper eq. 11-12).

        δ_t = r_t + γ V(s_{t+1}) - V(s_t),   A_t = Σ_l (γλ)^l δ_{t+l}

    Inputs are (B, T) over response tokens; V after the last real token is 0 (the episode
    ends). Returns (advantages, returns) with returns = A + V, the value-function target.
    """
    values = values * mask
    rewards = rewards * mask
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[:, 0])  # (B,)
    for t in reversed(range(rewards.shape[1])):
        next_value = values[:, t + 1] if t + 1 < rewards.shape[1] else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        advantages[:, t] = running
    return advantages, advantages + values


def ppo_policy_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_range: float,
):
    """Clipped surrogate objective (Schulman et al. 2017, PPO eq. 7), negated as a loss.

        L = -E_t[ min(ρ_t A_t, clip(ρ_t, 1-ε, 1+ε) A_t) ],   ρ_t = π(a_t|s_t) / π_old(a_t|s_t)

    Inputs (B, T). Returns (loss, clip_fraction): the share of tokens where clipping bit.
    """
    ratio = torch.exp(logps - old_logps)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_range, 1.0 + clip_range) * advantages
    loss = -masked_mean(torch.min(unclipped, clipped), mask)
    clip_fraction = masked_mean((clipped < unclipped).float(), mask)
    return loss, clip_fraction.detach()


def ppo_value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    clip_range_value: float,
) -> torch.Tensor:
    """Clipped value loss  ½ E_t[ max((V - R)², (clip(V, V_old ± ε) - R)²) ].

    The value clipping of OpenAI baselines' PPO2, as used for RLHF by Ziegler et al. 2019
    and the "N implementation details of RLHF with PPO" (Huang et al. 2024). Inputs (B, T).
    """
    clipped = old_values + torch.clamp(values - old_values, -clip_range_value, clip_range_value)
    worst = torch.max((values - returns) ** 2, (clipped - returns) ** 2)
    return 0.5 * masked_mean(worst, mask)


def selective_logps(
    logits: torch.Tensor,
    tokens: torch.Tensor,
    temperature: float = 1.0,
    chunk_size: int | None = None,
) -> torch.Tensor:
    """log softmax(logits / temperature) at each position's token, without a float32 copy of
    all the logits.

    Equal to  log_softmax(logits.float() / temperature).gather(-1, tokens)  but computed as
    the token's scaled logit minus the logsumexp over the vocabulary, chunk_size sequences at
    a time (default rows_per_chunk): the float32 intermediate is (chunk_size, T, V), never
    (B, T, V), which for 32 rollouts of 512 tokens at a 128k vocabulary is 8 GB. The backward pass recomputes the
    softmax the same way, so training keeps only the logits themselves (bf16 for a bf16
    model), not a float32 copy. Inputs (B, T, V) in any float dtype and (B, T) long;
    returns (B, T) float32.
    """
    return _SelectiveLogps.apply(
        logits, tokens, temperature, chunk_size or rows_per_chunk(logits)
    )


class _SelectiveLogps(torch.autograd.Function):
    """selective_logps with a chunked backward:  d logp_t / d z_v = (1[v = token] - p_v) / τ."""

    @staticmethod
    def forward(ctx, logits, tokens, temperature: float, chunk_size: int):
        logps, logsumexps = [], []
        for chunk, chunk_tokens in zip(
            logits.split(chunk_size), tokens.split(chunk_size), strict=True
        ):
            scaled = chunk.float() / temperature  # (c, T, V), the only float32 copy
            logsumexps.append(torch.logsumexp(scaled, dim=-1))  # (c, T)
            picked = scaled.gather(-1, chunk_tokens.unsqueeze(-1)).squeeze(-1)  # (c, T)
            logps.append(picked - logsumexps[-1])
        ctx.save_for_backward(logits, tokens, torch.cat(logsumexps))
        ctx.temperature, ctx.chunk_size = temperature, chunk_size
        return torch.cat(logps)

    @staticmethod
    def backward(ctx, grad):  # grad (B, T)
        logits, tokens, logsumexp = ctx.saved_tensors
        temperature, size = ctx.temperature, ctx.chunk_size
        grad_logits = torch.empty_like(logits)
        for first in range(0, logits.shape[0], size):
            rows = slice(first, first + size)
            scaled = logits[rows].float() / temperature  # (c, T, V)
            probs = torch.exp(scaled - logsumexp[rows].unsqueeze(-1))
            chunk_grad = -probs * grad[rows].unsqueeze(-1)
            chunk_grad.scatter_add_(-1, tokens[rows].unsqueeze(-1), grad[rows].unsqueeze(-1))
            grad_logits[rows] = chunk_grad / temperature
        return grad_logits, None, None, None


def entropy_from_logits(
    logits: torch.Tensor, temperature: float = 1.0, chunk_size: int | None = None
) -> torch.Tensor:
    """Entropy  -Σ_v p_v log p_v  of each position's softmax(logits / temperature):
    (B, T, V) -> (B, T) float32, in float32 chunk_size sequences at a time (see selective_logps)."""
    parts = []
    for chunk in logits.split(chunk_size or rows_per_chunk(logits)):
        logps = torch.log_softmax(chunk.float() / temperature, dim=-1)  # (c, T, V)
        parts.append(-(logps.exp() * logps).sum(-1))
    return torch.cat(parts)


def rloo_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """REINFORCE leave-one-out advantages (Kool et al. 2019; Ahmadian et al. 2024, "RLOO").

        A_i = r_i - 1/(k-1) Σ_{j≠i} r_j

    over the k responses to one prompt: each response's baseline is the mean reward of the
    others, so it does not depend on the response itself and the estimate stays unbiased.
    Input (P, k) rewards, one row per prompt, k >= 2. Returns (P, k).
    """
    k = rewards.shape[-1]
    baselines = (rewards.sum(-1, keepdim=True) - rewards) / (k - 1)  # (P, k)
    return rewards - baselines


def grpo_advantages(scores: torch.Tensor, eps: float = 1e-4) -> torch.Tensor:
    """Group-relative advantages (Shao et al. 2024, DeepSeekMath, section 4.1.2).

        A_i = (r_i - mean(r)) / (std(r) + eps)

    over the k responses to one prompt; std is Bessel-corrected, as TRL's GRPOTrainer,
    and eps keeps a group of equal rewards at advantage 0 instead of 0/0. Input (P, k)
    scores, one row per prompt, k >= 2. Returns (P, k).
    """
    mean = scores.mean(-1, keepdim=True)
    std = scores.std(-1, keepdim=True)  # (P, 1)
    return (scores - mean) / (std + eps)


def kl_k3(logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """Per-token KL estimate  π_ref/π - log(π_ref/π) - 1  on the sampled tokens.

    Schulman's "k3" estimator (Approximating KL Divergence, 2020), GRPO's penalty in
    DeepSeekMath eq. 4: unbiased for KL(π || π_ref) under π and never negative, unlike
    kl_per_token. Inputs and output (B, T).
    """
    log_ratio = ref_logps - logps
    return torch.exp(log_ratio) - log_ratio - 1


def grpo_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_range: float,
    beta: float,
):
    """GRPO objective (DeepSeekMath eq. 3), negated: the clipped surrogate on every token
    with its response's advantage, plus β × the k3 KL to the reference.

        L = -E_t[ min(ρ_t A, clip(ρ_t, 1-ε, 1+ε) A) - β KL_k3(t) ]

    Tokens are averaged over the whole batch, as ppo_policy_loss does and TRL's default
    "dapo" loss, not first within each response (the paper's 1/|o_i|), which weighs a
    long response's tokens less and so lets long, bad responses off lightly (Liu et al.
    2025, "Dr. GRPO"). Token inputs (B, T), advantages (B,). Returns (loss, policy_loss,
    clip_fraction, kl): the last three detached, kl the mean k3 estimate per token.
    """
    token_advantages = advantages.unsqueeze(-1).expand_as(logps)  # (B, T)
    policy_loss, clip_fraction = ppo_policy_loss(
        logps, old_logps, token_advantages, mask, clip_range
    )
    kl = masked_mean(kl_k3(logps, ref_logps), mask)
    return policy_loss + beta * kl, policy_loss.detach(), clip_fraction, kl.detach()


def rloo_loss(
    logps: torch.Tensor,
    old_logps: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_range: float,
):
    """RLOO's policy loss: PPO's clipped surrogate with the whole response as one action.

        ρ = π(y|x) / π_old(y|x) = exp(Σ_t log π(y_t) - Σ_t log π_old(y_t))
        L = -E[ min(ρ A, clip(ρ, 1-ε, 1+ε) A) ]

    Ahmadian et al. 2024 model the response as a single action with one reward, and so
    does this ratio (TRL's RLOOTrainer takes the same sequence-level ratio). While ρ = 1
    (the first update on fresh rollouts) the gradient is plain REINFORCE, -A ∇ log π(y|x);
    the clip keeps further mini-batches and epochs on the same rollouts from moving the
    policy far. Token inputs (B, T), advantages (B,). Returns (loss, clip_fraction), the
    share of responses where clipping bit.
    """
    sequence_logps = (logps * mask).sum(-1, keepdim=True)  # (B, 1)
    old_sequence_logps = (old_logps * mask).sum(-1, keepdim=True)  # (B, 1)
    return ppo_policy_loss(
        sequence_logps,
        old_sequence_logps,
        advantages.unsqueeze(-1),
        torch.ones_like(sequence_logps),
        clip_range,
    )

"""Pure tensor functions the stages share, each citing the equation it implements: log-probs,
entropy, KL estimates, masked statistics, the soft preference target and PPO's clipped surrogate.
Each stage's own loss lives in its stage module (reward.bradley_terry_loss, dpo.dpo_loss, ...).

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


def kl_k3(logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """Per-token KL estimate  π_ref/π - log(π_ref/π) - 1  on the sampled tokens.

    Schulman's "k3" estimator (Approximating KL Divergence, 2020), GRPO's penalty in
    DeepSeekMath eq. 4: unbiased for KL(π || π_ref) under π and never negative, unlike
    kl_per_token. Inputs and output (B, T).
    """
    log_ratio = ref_logps - logps
    return torch.exp(log_ratio) - log_ratio - 1

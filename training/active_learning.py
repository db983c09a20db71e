"""The inner loop: retrain the reward model as judgments accumulate, and serve first the
comparisons the newest reward model is least sure about (assignment orders by priority).
"""

import logging

from django.db import transaction

from labeling.annotation.priority import (
    comparison_priority_set,
    comparison_responses,
    open_comparison_ids,
)
from training import services
from training.models import FINISHED_STATUSES, ModelCheckpoint, RetrainPolicy, Stage
from training.validation import resolve_model_path

log = logging.getLogger(__name__)
SCORE_CHUNK = 256


def uncertainty_priority(rewards: list[float]) -> float:
    """Higher for comparisons whose responses score closest: minus the smallest reward gap."""
    ordered = sorted(rewards)
    return -min(b - a for a, b in zip(ordered, ordered[1:], strict=False))


def retrain_policies_check() -> list[int]:
    """Queue a reward run for each enabled policy with enough new judgments; the run ids.

    Each project is checked on its own: one whose policy no longer validates (its base model
    removed, its config out of bounds) is logged and skipped, and the projects after it are
    still checked."""
    started = []
    for policy in RetrainPolicy.objects.filter(enabled=True).select_related("project", "last_run").order_by("pk"):
        try:
            run_id = _policy_check(policy)
        except Exception:  # isolation, not retry: the next beat checks this project again
            log.exception("retrain policy of project %s failed its check; other projects go on", policy.project_id)
            continue
        if run_id is not None:
            started.append(run_id)
    return started


def _policy_check(policy: RetrainPolicy) -> int | None:
    """Queue the policy's reward run if it is due; its id, or None."""
    if policy.last_run is not None and policy.last_run.status not in FINISHED_STATUSES:
        return None  # one retraining at a time per project
    total = policy.project.judgments.count()
    if total - policy.judgments_at_last_run < policy.every_n_judgments:
        return None
    with transaction.atomic():
        run, _ = services.training_run_create(
            project=policy.project, stage=Stage.REWARD, base_model=policy.base_model, config=policy.config
        )
        RetrainPolicy.objects.filter(pk=policy.pk).update(judgments_at_last_run=total, last_run=run)
    return run.pk


def wants_priorities(run) -> bool:
    return run.stage == Stage.REWARD and RetrainPolicy.objects.filter(project=run.project, set_priority=True).exists()


def comparison_priorities_update(*, project, checkpoint: ModelCheckpoint) -> int:
    """Score every open comparison's responses with ``checkpoint``; set priority to its uncertainty
    (a model that judges per criterion: the largest uncertainty over its criteria)."""
    from training.ml.scoring import load_reward_fn  # torch: worker only

    path = resolve_model_path(checkpoint.path)
    scorers = [load_reward_fn(path, "cpu", criterion) for criterion in checkpoint.criteria or [None]]
    ids = open_comparison_ids(project)
    updated = 0
    for start in range(0, len(ids), SCORE_CHUNK):
        updated += _score_chunk(scorers, ids[start : start + SCORE_CHUNK])
    return updated


def _score_chunk(scorers: list, comparison_ids: list[int]) -> int:
    prompts, texts, owners = [], [], []
    for comparison_id, messages, text in comparison_responses(comparison_ids):
        prompts.append(messages)
        texts.append(text)
        owners.append(comparison_id)
    priorities: dict[int, float] = {}
    for score in scorers:
        by_comparison: dict[int, list[float]] = {}
        for comparison_id, reward in zip(owners, score(prompts, texts).tolist(), strict=True):
            by_comparison.setdefault(comparison_id, []).append(reward)
        for cid, rewards in by_comparison.items():
            if len(rewards) >= 2:
                priorities[cid] = max(priorities.get(cid, -float("inf")), uncertainty_priority(rewards))
    return comparison_priority_set(priorities=priorities)

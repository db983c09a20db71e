"""Watching an online RL run for reward hacking and drift (numpy only, no torch, no Django).

Optimising a learned reward too far makes it disagree with what it stood for: the proxy reward
keeps rising while a held-out "gold" reward model scoring the same responses falls (Gao et al.
2022, "Scaling laws for reward model overoptimization"). Every step, ``RewardMonitor.observe``
reads the step's metrics: the proxy ``reward``, the ``gold_reward`` when a gold model scores too,
and ``kl`` (to the reference, summed per response). It marks a step ``divergence`` = 1 when,
over the last ``divergence_window`` steps, the proxy's least-squares trend is up and the gold's
down, and says stop when that happens with ``stop_on_divergence`` or when KL passes
``kl_budget``. The loop then saves the policy as it is and the run carries a warning
(``guardrails.result_warnings`` reads the summary keys).
"""

from dataclasses import dataclass, field

import numpy as np

KL_BUDGET, DIVERGENCE = "kl_budget", "divergence"


def trend(values) -> float:
    """Least-squares slope of ``values`` against their index."""
    y = np.asarray(values, dtype=float)
    x = np.arange(len(y)) - (len(y) - 1) / 2
    return float((x * (y - y.mean())).sum() / (x * x).sum())


@dataclass
class RewardMonitor:
    kl_budget: float | None = None
    window: int = 8
    stop_on_divergence: bool = False
    proxy: list = field(default_factory=list)
    gold: list = field(default_factory=list)
    divergent_steps: int = 0

    @classmethod
    def from_config(cls, config) -> "RewardMonitor":
        return cls(config.kl_budget, config.divergence_window, config.stop_on_divergence)

    def observe(self, metrics: dict) -> str | None:
        """Read one step's metrics (adding ``divergence`` when gold is scored); the reason to
        stop (KL_BUDGET or DIVERGENCE), or None to go on."""
        if "gold_reward" in metrics:
            self.proxy.append(metrics["reward"])
            self.gold.append(metrics["gold_reward"])
            diverging = len(self.gold) >= self.window and (
                trend(self.proxy[-self.window:]) > 0 > trend(self.gold[-self.window:])
            )
            metrics["divergence"] = float(diverging)
            self.divergent_steps += diverging
            if diverging and self.stop_on_divergence:
                return DIVERGENCE
        if self.kl_budget is not None and metrics.get("kl", 0.0) > self.kl_budget:
            return KL_BUDGET
        return None

    def summary(self, stopped: str | None) -> dict:
        """Keys for the run's last metrics: how many steps diverged, and why it stopped early."""
        out = {"divergent_steps": float(self.divergent_steps)} if self.gold else {}
        if stopped:
            out[f"stopped_by_{stopped}"] = 1.0
        return out

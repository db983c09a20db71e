"""The judge stage: a reward model or a causal LM checkpoint gives verdicts on comparisons.

    judge(config, model_path, comparisons, callback=None, rubric=None) -> list[dict]

A comparison is ``{"comparison_id": int, "prompt": messages, "responses": [text by position]}``;
the rubric (a dict of ``Rubric``'s fields) is what the project asks of its annotators: its kind
of comparison, guidelines, criteria, whether ties are allowed and how many strength levels its
scale has. Each verdict record has the shape of a judgment:

    pairwise: {"comparison_id", "winner": "a" | "b" | "tie", "strength": int | None,
               "criteria": {name: {"winner", "strength"}}, "margin": float, "rationale": str}
    ranking:  {"comparison_id", "ranking": [letters best first],
               "criteria": {name: {"ranking"}}, "margin": float, "rationale": str}

Both judges put their preference on one scale, a margin in logits (Bradley–Terry): a reward
model's score difference, a causal LM's log-odds of one response over the other. The margin
makes the verdict (pairwise_verdict): a tie below ``tie_margin`` where the project allows ties,
and one step up the strength scale per ``strength_step``. A ranking is the responses sorted by
score (reward model) or by expected wins over the others (causal LM, judge_lm.py).

Nothing here touches the database: the worker stores the records (labeling/judges).
"""

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from training.ml.checkpoints import check_model_options, load_reward_model, load_tokenizer
from training.ml.data import encode_completion, pad, prompt_ids, special_tokens
from training.ml.judge_config import JudgeConfig
from training.ml.loop import Callback, TrainingCancelled
from training.ml.scoring import trained_reward_config

LETTERS = (
    "abcdefghijklmnopqrstuvwxyz"  # labeling.rankings.LETTERS (training.ml imports no labeling)
)
OVERALL = "overall"  # a per-criterion reward model's name for the main verdict
KINDS = ("reward_model", "causal_lm", "endpoint")  # labeling.models.JudgeKind


@dataclass(frozen=True)
class Rubric:
    """What the project asks of a judge (from its settings; the worker fills it in)."""

    kind: str = "reward_model"  # KINDS
    task_type: str = "pairwise"  # or "ranking"
    guidelines: str = ""
    criteria: list[str] = field(default_factory=list)
    allow_ties: bool = True
    strength_levels: int = 3  # len(project.strength_scale); 0 = no strengths

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"judge kind must be one of {', '.join(KINDS)}, got {self.kind!r}")


def judge(
    config: JudgeConfig,
    model_path: str | Path,
    comparisons: list[dict],
    callback: Callback | None = None,
    rubric: dict | None = None,
    endpoint: str | None = None,
) -> list[dict]:
    """The verdict records of the checkpoint at `model_path` on `comparisons`, in their order;
    an endpoint judge (rubric kind "endpoint") asks config.endpoint_model at `endpoint`, the
    base URL the site administrator configured, and reads no checkpoint.

    The callback gets (chunk number, number of chunks, {"comparisons_per_s"}) after each chunk
    of config.batch_size comparisons; returning False raises TrainingCancelled.
    """
    scorer = scorer_for(config, model_path, checked_rubric(config, comparisons, rubric), endpoint)
    return judged_in_chunks(scorer, comparisons, config.batch_size, callback)


def checked_rubric(config: JudgeConfig, comparisons: list[dict], rubric: dict | None) -> Rubric:
    """The Rubric of a judge or revise run, once its comparisons and model options are checked."""
    check_comparisons(comparisons)
    check_model_options(config)
    return Rubric(**(rubric or {}))


def scorer_for(config: JudgeConfig, model_path, rubric: Rubric, endpoint: str | None):
    """The judge of `rubric.kind`: a callable from a chunk of comparisons to their records."""
    if rubric.kind == "endpoint":
        from training.ml.judge_endpoint import EndpointJudge

        if not endpoint or not config.endpoint_model:
            raise ValueError(
                "an endpoint judge needs the configured endpoint and config.endpoint_model"
            )
        return EndpointJudge(config, endpoint, rubric)
    if rubric.kind == "causal_lm":
        from training.ml.judge_lm import LMJudge

        return LMJudge(config, model_path, rubric)
    return RewardModelJudge(config, model_path, rubric)


def check_comparisons(comparisons: list[dict]) -> None:
    for i, comparison in enumerate(comparisons):
        responses = comparison.get("responses")
        if not isinstance(responses, list) or len(responses) < 2:
            raise ValueError(f"comparison {i}: 'responses' must list at least two texts")
        if not isinstance(comparison.get("prompt"), list):
            raise ValueError(f"comparison {i}: 'prompt' must be a list of messages")


def judged_in_chunks(
    scorer, comparisons: list[dict], size: int, callback: Callback | None
) -> list[dict]:
    """scorer(chunk) -> records, over chunks of `size` comparisons, reporting after each."""
    records, start = [], time.perf_counter()
    chunks = range(0, len(comparisons), size)
    for number, first in enumerate(chunks, start=1):
        records += scorer(comparisons[first : first + size])
        speed = {"comparisons_per_s": len(records) / max(time.perf_counter() - start, 1e-9)}
        if callback is not None and callback(number, len(chunks), speed) is False:
            raise TrainingCancelled(number, len(chunks))
    return records


def strength_of(margin: float, levels: int, step: float) -> int | None:
    """1 below `step`, one more per further step, at most `levels`; None on a scale-less project."""
    if levels <= 0:
        return None
    return min(levels, 1 + int(abs(margin) // step))


def pairwise_verdict(
    margin: float, rubric: Rubric, config: JudgeConfig, tie_likelier: bool = False
) -> dict:
    """{"winner", "strength"} from the margin of a over b (in logits). A tie where the project
    allows one and the margin is below tie_margin (or the judge itself says tie is likelier)."""
    if rubric.allow_ties and (abs(margin) < config.tie_margin or tie_likelier or margin == 0):
        return {"winner": "tie", "strength": None}
    winner = "a" if margin >= 0 else "b"
    return {
        "winner": winner,
        "strength": strength_of(margin, rubric.strength_levels, config.strength_step),
    }


def ranking_of(scores: list[float]) -> list[str]:
    """Position letters, best score first (an equal score keeps the earlier position first)."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return [LETTERS[i] for i in order]


def verdict_record(
    comparison_id: int, scores: dict, rubric: Rubric, config: JudgeConfig, rationale: str
) -> dict:
    """The record of one comparison from its scores per head: `scores[None]` the main verdict's,
    `scores[name]` a criterion's, each a list of one score per position (in logits)."""
    main = scores[None]
    margin = main[0] - main[1] if len(main) == 2 else max(main) - sorted(main)[-2]
    record = {"comparison_id": comparison_id, "margin": float(margin), "rationale": rationale}
    if rubric.task_type == "ranking":
        record["ranking"] = ranking_of(main)
        record["criteria"] = {
            name: {"ranking": ranking_of(s)} for name, s in scores.items() if name
        }
        return record
    record |= pairwise_verdict(margin, rubric, config)
    record["criteria"] = {
        name: pairwise_verdict(s[0] - s[1], rubric, config) for name, s in scores.items() if name
    }
    return record


class RewardModelJudge:
    """Scores every response with a reward checkpoint, its inputs formatted exactly as in its
    training (lengths, pooling, and for a model trained per criterion the criterion line).

    A model trained per criterion judges each of the project's criteria it knows; its main
    verdict is its ``overall`` criterion, or, without one, the mean of the criteria it judges.
    """

    def __init__(self, config: JudgeConfig, model_path: str | Path, rubric: Rubric):
        self.config, self.rubric = config, rubric
        self.trained = trained_reward_config(model_path)
        self.heads = reward_heads(self.trained["criteria"], rubric.criteria)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = load_tokenizer(model_path)
        self.special = special_tokens(self.tokenizer)
        model = load_reward_model(model_path, self.tokenizer, self.trained["pooling"], config)
        self.model = model.to(self.device).eval().requires_grad_(False)

    def __call__(self, comparisons: list[dict]) -> list[dict]:
        jobs = [
            (c, h, text)
            for c in comparisons
            for h in self.heads.values()
            for text in c["responses"]
        ]
        flat = iter(self.score([(c["prompt"], h, text) for c, h, text in jobs]))
        records = []
        for comparison in comparisons:
            k = len(comparison["responses"])
            by_head = {name: [next(flat) for _ in range(k)] for name in self.heads}
            scores = main_scores(by_head)
            rationale = "reward scores: " + ", ".join(
                f"{LETTERS[i]} {s:.3f}" for i, s in enumerate(scores[None])
            )
            records.append(
                verdict_record(
                    comparison["comparison_id"], scores, self.rubric, self.config, rationale
                )
            )
        return records

    @torch.no_grad()
    def score(self, inputs: list[tuple]) -> list[float]:
        """One score per (messages, criterion, response), in forward passes of batch_size."""
        tokenizer, trained, out = self.tokenizer, self.trained, []
        for first in range(0, len(inputs), self.config.batch_size):
            sequences = [
                encode_completion(
                    tokenizer,
                    prompt_ids(
                        tokenizer, messages, trained["max_prompt_length"], self.special, criterion
                    ),
                    text,
                    trained["max_length"],
                    self.special,
                )
                for messages, criterion, text in inputs[first : first + self.config.batch_size]
            ]
            input_ids, attention_mask = pad(sequences, tokenizer.pad_token_id)
            logits = self.model(
                input_ids=input_ids.to(self.device), attention_mask=attention_mask.to(self.device)
            ).logits
            out += logits.squeeze(-1).float().cpu().tolist()
        return out


def reward_heads(trained: list[str], project_criteria: list[str]) -> dict:
    """What a reward model is asked, by verdict: {None or criterion name: its criterion input}.

    A model trained without criteria gives the main verdict only ({None: None}); one trained
    per criterion the project's criteria it knows, and the main verdict from ``overall``."""
    if not trained:
        return {None: None}
    known = [c for c in project_criteria if c in trained and c != OVERALL]
    if OVERALL not in trained and not known:
        raise ValueError(
            f"the reward model judges the criteria {', '.join(trained)}, none of which the project "
            f"asks for ({', '.join(project_criteria) or 'none'}), and has no '{OVERALL}' for the main verdict"
        )
    heads = {OVERALL: OVERALL} if OVERALL in trained else {}
    return heads | {name: name for name in known}


def main_scores(by_head: dict) -> dict:
    """Scores keyed by verdict (None = main): `overall`'s, else the mean of the criteria's."""
    if None in by_head:
        return by_head
    criteria = {name: s for name, s in by_head.items() if name != OVERALL}
    main = by_head.get(OVERALL) or [
        sum(column) / len(column) for column in zip(*criteria.values(), strict=True)
    ]
    return {None: main, **criteria}


def log_odds(p: float, q: float) -> float:
    """log(p / q), finite for probabilities at 0 (a judge that is certain)."""
    tiny = 1e-12
    return math.log(max(p, tiny)) - math.log(max(q, tiny))

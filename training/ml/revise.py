"""The causal-LM judge's `revise` mode: Constitutional AI's supervised phase (Bai et al. 2022,
§3.1), with the project's rubric as the constitution.

    revise(config, model_path, comparisons, callback=None, rubric=None) -> dict

Comparisons are the judge's (judge.py). Each distinct (prompt, response) among them is revised
once against each principle in turn (principles_of: the project's guidelines, then each of its
criteria; a default principle where it has neither): the model writes a critique of the current
text against the principle (critique_text), then a revision answering that critique
(revision_text), which the next principle starts from. The last principle's revision is the
response's revision. Generation is plain transformers `generate` (sampling.sample), greedy at
temperature 0, else sampled with config.seed; each question keeps its last max_length -
max_new_tokens tokens (the instruction comes last, so a long conversation loses its oldest turns).

A revision that comes out empty (at any principle) or identical to the original but for
whitespace is skipped and counted, never written. What comes back:

    demonstrations   {"prompt", "completion": revision, "critiques": [one per principle]}
    pairs            {"prompt", "chosen": revision, "rejected": original}
    metrics          responses, revised, empty, identical, principles, mean_length_change
                     (characters, revision less original, over the revised ones)

A snapshot's records carry no metadata, so the critiques reach people through the run page: each
chunk's progress carries a few revised responses, critiques included, as shown samples.

Nothing here touches the database: the worker writes the snapshots (training/revising.py).
"""

import json
import time
from pathlib import Path

import torch

from training.ml.checkpoints import load_causal_lm, load_tokenizer
from training.ml.data import prompt_ids, special_tokens
from training.ml.judge import Rubric, checked_rubric
from training.ml.judge_config import JudgeConfig
from training.ml.judge_lm import conversation_text
from training.ml.loop import Callback, TrainingCancelled
from training.ml.sampling import SAMPLES_KEY, SAMPLES_PER_STEP, sample, shown_sample

DEFAULT_PRINCIPLE = "The response should be helpful, honest and harmless."
OUTCOMES = ("revised", "empty", "identical")


def principles_of(rubric: Rubric) -> list[str]:
    """The constitution: the project's guidelines, then one principle per criterion, in order."""
    principles = []
    if rubric.guidelines.strip():
        principles.append(f"Follow these guidelines:\n{rubric.guidelines.strip()}")
    principles += [f"The response should be as good as it can be on {c}." for c in rubric.criteria]
    return principles or [DEFAULT_PRINCIPLE]


def _context(messages: list[dict], response: str, principle: str) -> list[str]:
    return [
        "Here is a conversation and a response to its last turn.",
        f"Conversation:\n{conversation_text(messages)}",
        f"Response:\n{response}",
        f"Principle:\n{principle}",
    ]


def critique_text(messages: list[dict], response: str, principle: str) -> str:
    """The question asking for a critique of `response` against `principle`."""
    ask = "Critique the response against the principle: say specifically where it falls short."
    return "\n\n".join([*_context(messages, response, principle), ask])


def revision_text(messages: list[dict], response: str, principle: str, critique: str) -> str:
    """The question asking to rewrite `response` so it meets `principle` and answers `critique`."""
    ask = (
        "Rewrite the response so that it follows the principle and answers the critique. "
        "Write only the new response."
    )
    return "\n\n".join([*_context(messages, response, principle), f"Critique:\n{critique}", ask])


def revision_outcome(original: str, revision: str) -> str:
    """'empty' (nothing written), 'identical' (the original but for whitespace) or 'revised'."""
    if not revision.strip():
        return "empty"
    if revision.split() == original.split():
        return "identical"
    return "revised"


def distinct_responses(comparisons: list[dict]) -> list[dict]:
    """Each (prompt, response) of the comparisons once, in order: {"prompt", "original"}."""
    seen, originals = set(), []
    for comparison in comparisons:
        for text in comparison["responses"]:
            key = (json.dumps(comparison["prompt"], sort_keys=True), text)
            if key not in seen:
                seen.add(key)
                originals.append({"prompt": comparison["prompt"], "original": text})
    return originals


def revise_metrics(results: list[dict], principles: int) -> dict:
    """The run's figures from each response's result ({"original", "revision", "outcome"})."""
    revised = [r for r in results if r["outcome"] == "revised"]
    changes = [len(r["revision"]) - len(r["original"]) for r in revised]
    counts = {outcome: sum(r["outcome"] == outcome for r in results) for outcome in OUTCOMES}
    return {
        "responses": len(results),
        **counts,
        "principles": principles,
        "mean_length_change": sum(changes) / len(changes) if changes else 0.0,
    }


def revise_output(results: list[dict], principles: int) -> dict:
    """Demonstrations and pairs of the revised responses, and the metrics (module docstring)."""
    revised = [r for r in results if r["outcome"] == "revised"]
    return {
        "demonstrations": [
            {"prompt": r["prompt"], "completion": r["revision"], "critiques": r["critiques"]} for r in revised
        ],
        "pairs": [{"prompt": r["prompt"], "chosen": r["revision"], "rejected": r["original"]} for r in revised],
        "metrics": revise_metrics(results, principles),
    }


def shown_revision(result: dict) -> dict:
    """A revised response as the run page shows a sample: the original, each critique, the revision."""
    critiques = "\n\n".join(f"Critique {i}: {c}" for i, c in enumerate(result["critiques"], start=1))
    text = f"Original: {result['original']}\n\n{critiques}\n\nRevision: {result['revision']}"
    return shown_sample(result["prompt"], text)


def revise(
    config: JudgeConfig,
    model_path: str | Path,
    comparisons: list[dict],
    callback: Callback | None = None,
    rubric: dict | None = None,
) -> dict:
    """Critique and revise the comparisons' responses with the causal LM at `model_path` (see
    the module docstring). The callback gets (chunk number, chunks, {"responses_per_s", ...})
    after each chunk of config.batch_size responses; returning False raises TrainingCancelled."""
    principles = principles_of(checked_rubric(config, comparisons, rubric))
    writer = Reviser(config, model_path)
    originals, results, start = distinct_responses(comparisons), [], time.perf_counter()
    chunks = range(0, len(originals), config.batch_size)
    for number, first in enumerate(chunks, start=1):
        done = writer(originals[first : first + config.batch_size], principles)
        results += done
        progress = {"responses_per_s": len(results) / max(time.perf_counter() - start, 1e-9)}
        progress[SAMPLES_KEY] = [shown_revision(r) for r in done if r["outcome"] == "revised"][:SAMPLES_PER_STEP]
        if callback is not None and callback(number, len(chunks), progress) is False:
            raise TrainingCancelled(number, len(chunks))
    return revise_output(results, len(principles))


class Reviser:
    """A causal LM checkpoint that writes critiques and revisions, a chunk of responses at a time."""

    def __init__(self, config: JudgeConfig, model_path: str | Path):
        self.config = config
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = load_tokenizer(model_path)
        self.special = special_tokens(self.tokenizer)
        self.model = load_causal_lm(model_path, self.tokenizer, config).to(self.device).eval()
        torch.manual_seed(config.seed)  # what temperature > 0 samples with

    def __call__(self, originals: list[dict], principles: list[str]) -> list[dict]:
        """Each response ({"prompt", "original"}) with its "critiques", "revision" and "outcome"."""
        results = [o | {"critiques": [], "revision": o["original"], "outcome": None} for o in originals]
        for principle in principles:
            alive = [r for r in results if r["outcome"] is None]
            if not alive:
                break
            critiques = self.write([critique_text(r["prompt"], r["revision"], principle) for r in alive])
            asks = [revision_text(r["prompt"], r["revision"], principle, c) for r, c in zip(alive, critiques, strict=True)]
            for result, critique, revision in zip(alive, critiques, self.write(asks), strict=True):
                result["critiques"].append(critique)
                result["revision"] = revision
                if not revision.strip():
                    result["outcome"] = "empty"
        for result in results:
            result["outcome"] = result["outcome"] or revision_outcome(result["original"], result["revision"])
        return results

    def write(self, questions: list[str]) -> list[str]:
        """The model's answer to each question (one user turn), decoded up to its end."""
        keep = self.config.max_length - self.config.max_new_tokens
        ids = [prompt_ids(self.tokenizer, [{"role": "user", "content": q}], keep, self.special) for q in questions]
        temperature = self.config.temperature
        responses, mask = sample(
            self.model, self.tokenizer, ids, self.config.max_new_tokens, temperature or 1.0, greedy=temperature == 0
        )
        return [
            self.tokenizer.decode(response[kept.bool()], skip_special_tokens=True).strip()
            for response, kept in zip(responses, mask, strict=True)
        ]

"""A causal LM as judge: the project's guidelines and criteria are its rubric (a constitution),
and its verdict is read from the probabilities of the answer tokens, not from free text.

For every ordered pair of positions (i, j) and every verdict (the main one, then each of the
project's criteria) the model reads one question: the conversation, response i shown as "A",
response j as "B", the guidelines, and "Which response is better ...? Answer A, B or tie." The
next token's probabilities, renormalised over the answer tokens (A, B, and tie where the
project allows ties), are its answer. Each pair is asked in both presentation orders and the
two answers averaged, which cancels a preference for whichever response comes first:

    P(i better) = (P(A | i first) + P(B | j first)) / 2,   likewise j and tie.

Pairwise: the margin is log(P(a better) / P(b better)), made a verdict as a reward model's
score difference is (judge.pairwise_verdict); a tie also where the judge's own P(tie) is the
largest. Ranking: responses sorted by expected wins over the others (a tie counting half).
"""

from itertools import combinations, permutations
from pathlib import Path

import torch

from training.ml.checkpoints import load_causal_lm, load_tokenizer
from training.ml.data import ROLE_NAMES, format_completion, pad, prompt_ids, special_tokens
from training.ml.judge import LETTERS, Rubric, log_odds, pairwise_verdict, ranking_of
from training.ml.judge_config import JudgeConfig
from training.ml.rollouts import lm_forward

ANSWERS = ("A", "B", "tie")


def conversation_text(messages: list[dict]) -> str:
    """A conversation as the judge reads it: one "Human: ..." / "Assistant: ..." line per turn."""
    return "\n".join(f"{ROLE_NAMES.get(m['role'], m['role'])}: {m['content']}" for m in messages)


def question_text(
    messages: list[dict], first: str, second: str, rubric: Rubric, criterion: str | None
) -> str:
    """The judge's question about `first` (shown as A) and `second` (B). The guidelines and the
    question come last, so a conversation too long for max_length loses its oldest turns first."""
    conversation = conversation_text(messages)
    about = f"on {criterion}" if criterion else "overall"
    answer = "Answer A, B or tie." if rubric.allow_ties else "Answer A or B."
    parts = [
        "Compare two responses to the last turn of this conversation.",
        f"Conversation:\n{conversation}",
        f"Response A:\n{first}",
        f"Response B:\n{second}",
    ]
    if rubric.guidelines.strip():
        parts.append(f"Judge by these guidelines:\n{rubric.guidelines.strip()}")
    parts.append(f"Which response is better {about}? {answer}")
    return "\n\n".join(parts)


def answer_ids(tokenizer, allow_ties: bool) -> dict[str, int]:
    """The first token of each answer as the model would write it after the prompt."""
    names = ANSWERS if allow_ties else ANSWERS[:2]
    ids = {
        name: tokenizer(format_completion(tokenizer, name), add_special_tokens=False)["input_ids"][
            0
        ]
        for name in names
    }
    if len(set(ids.values())) != len(ids):
        raise ValueError(
            f"the judge's answers {', '.join(names)} do not start with distinct tokens"
        )
    return ids


class AskedJudge:
    """A judge asked in words, both orders of every pair (see the module's docstring);
    subclasses say how a question is answered (``answer_probabilities``)."""

    def __init__(self, config: JudgeConfig, rubric: Rubric):
        self.config, self.rubric = config, rubric
        self.heads = [None, *rubric.criteria]

    def __call__(self, comparisons: list[dict]) -> list[dict]:
        keys = [
            (n, head, i, j)
            for n, c in enumerate(comparisons)
            for head in self.heads
            for i, j in permutations(range(len(c["responses"])), 2)
        ]
        questions = [self.question(comparisons[n], head, i, j) for n, head, i, j in keys]
        answers = dict(zip(keys, self.answer_probabilities(questions), strict=True))
        return [self.record(n, c, answers) for n, c in enumerate(comparisons)]

    def question(self, comparison: dict, criterion: str | None, i: int, j: int) -> str:
        responses = comparison["responses"]
        return question_text(
            comparison["prompt"], responses[i], responses[j], self.rubric, criterion
        )

    def answer_probabilities(self, questions: list[str]) -> list[dict[str, float]]:
        """Each question's probabilities of the answers (ANSWERS, without tie where the project
        allows none), summing to 1."""
        raise NotImplementedError

    def record(self, n: int, comparison: dict, answers: dict) -> dict:
        """The verdict record of comparison `n` from the answers to its questions."""
        k = len(comparison["responses"])
        verdicts = {head: pair_table(answers, n, head, k) for head in self.heads}
        main = verdicts[None]
        record = {
            "comparison_id": comparison["comparison_id"],
            "rationale": rationale(answers, n, main),
        }
        record["orders"] = {
            f"{LETTERS[i]}{LETTERS[j]}": answers[(n, None, i, j)]
            for i, j in permutations(range(k), 2)
        }
        if self.rubric.task_type == "ranking":
            wins = {head: expected_wins(table, k) for head, table in verdicts.items()}
            best, second = sorted(wins[None], reverse=True)[:2]
            criteria = {head: {"ranking": ranking_of(w)} for head, w in wins.items() if head}
            return record | {
                "ranking": ranking_of(wins[None]),
                "margin": best - second,
                "criteria": criteria,
            }
        criteria = {head: self.pairwise(table[(0, 1)]) for head, table in verdicts.items() if head}
        p_a, p_b, _ = main[(0, 1)]
        return (
            record
            | self.pairwise(main[(0, 1)])
            | {"margin": log_odds(p_a, p_b), "criteria": criteria}
        )

    def pairwise(self, averaged: tuple[float, float, float]) -> dict:
        p_a, p_b, p_tie = averaged
        return pairwise_verdict(
            log_odds(p_a, p_b), self.rubric, self.config, tie_likelier=p_tie > max(p_a, p_b)
        )


class LMJudge(AskedJudge):
    """Asks a causal LM checkpoint: its next-token probabilities of the answers."""

    def __init__(self, config: JudgeConfig, model_path: str | Path, rubric: Rubric):
        super().__init__(config, rubric)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = load_tokenizer(model_path)
        self.special = special_tokens(self.tokenizer)
        self.answers = answer_ids(self.tokenizer, rubric.allow_ties)
        self.model = load_causal_lm(model_path, self.tokenizer, config).to(self.device).eval()

    def question_ids(self, text: str) -> list[int]:
        messages = [{"role": "user", "content": text}]
        return prompt_ids(self.tokenizer, messages, self.config.max_length - 1, self.special)

    @torch.no_grad()
    def answer_probabilities(self, questions: list[str]) -> list[dict[str, float]]:
        """Each question's next-token probabilities over the answers, renormalised among them."""
        names, ids, out = list(self.answers), list(self.answers.values()), []
        for first in range(0, len(questions), self.config.batch_size):
            chunk = [
                self.question_ids(text)
                for text in questions[first : first + self.config.batch_size]
            ]
            input_ids, mask = pad(chunk, self.tokenizer.pad_token_id, left=True)
            logits = lm_forward(
                self.model, input_ids.to(self.device), mask.to(self.device), logits_to_keep=1
            ).logits
            probabilities = torch.softmax(logits[:, -1, ids].float(), dim=-1)  # (B, answers)
            out += [dict(zip(names, row, strict=True)) for row in probabilities.cpu().tolist()]
        return out


def pair_table(answers: dict, n: int, head, k: int) -> dict:
    """{(i, j): (P(i better), P(j better), P(tie))} for i < j, each averaged over both orders."""
    table = {}
    for i, j in combinations(range(k), 2):
        forward, backward = answers[(n, head, i, j)], answers[(n, head, j, i)]
        table[(i, j)] = (
            (forward["A"] + backward["B"]) / 2,
            (forward["B"] + backward["A"]) / 2,
            (forward.get("tie", 0.0) + backward.get("tie", 0.0)) / 2,
        )
    return table


def expected_wins(table: dict, k: int) -> list[float]:
    """Each position's expected wins over the others, a tie counting half."""
    wins = [0.0] * k
    for (i, j), (p_i, p_j, p_tie) in table.items():
        wins[i] += p_i + p_tie / 2
        wins[j] += p_j + p_tie / 2
    return wins


def rationale(answers: dict, n: int, main: dict) -> str:
    """The averaged probabilities of the first pair and each order's answer, for the record."""
    forward, backward = answers[(n, None, 0, 1)], answers[(n, None, 1, 0)]
    p_a, p_b, p_tie = main[(0, 1)]
    shown = ", ".join(f"{name} {p:.3f}" for name, p in forward.items())
    swapped = ", ".join(f"{name} {p:.3f}" for name, p in backward.items())
    tie = f", tie {p_tie:.3f}" if "tie" in forward else ""
    return f"P(a better) {p_a:.3f}, P(b better) {p_b:.3f}{tie} (a shown first: {shown}; b shown first: {swapped})"

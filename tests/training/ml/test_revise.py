"""The causal-LM judge's revise mode (Constitutional AI's supervised phase): the constitution and
the questions it asks, the chain of critique and revision per principle, what is skipped and
counted, and a run on the tiny model that returns records in the shape trainers read."""

import pytest

from training.ml import revise as revise_module
from training.ml.config import ConfigError, config_from_dict
from training.ml.judge import Rubric
from training.ml.judge_config import JudgeConfig
from training.ml.loop import TrainingCancelled
from training.ml.revise import (
    DEFAULT_PRINCIPLE,
    Reviser,
    critique_text,
    distinct_responses,
    principles_of,
    revise,
    revise_metrics,
    revision_outcome,
    revision_text,
)
from training.ml.sampling import SAMPLES_KEY

CHAT = [
    {"role": "user", "content": "How do I boil an egg?"},
    {"role": "assistant", "content": "Which kind?"},
    {"role": "user", "content": "Soft."},
]


def comparisons() -> list[dict]:
    return [
        {"comparison_id": 1, "prompt": CHAT, "responses": ["Boil it.", "Six minutes in boiling water."]},
        {"comparison_id": 2, "prompt": CHAT, "responses": ["Six minutes in boiling water.", "Ask someone."]},
        {"comparison_id": 3, "prompt": [{"role": "user", "content": "Hi"}], "responses": ["Boil it.", "Hello!"]},
    ]


def test_the_constitution_is_the_guidelines_then_each_criterion():
    rubric = Rubric(kind="causal_lm", guidelines="  Be kind.\n", criteria=["helpful", "harmless"])
    principles = principles_of(rubric)
    assert principles[0] == "Follow these guidelines:\nBe kind."
    assert [p.endswith(f"on {c}.") for p, c in zip(principles[1:], ["helpful", "harmless"], strict=True)] == [True, True]
    assert principles_of(Rubric(kind="causal_lm", criteria=["honest"])) == ["The response should be as good as it can be on honest."]
    assert principles_of(Rubric(kind="causal_lm", guidelines="   ")) == [DEFAULT_PRINCIPLE]


def test_the_questions_show_the_conversation_response_and_principle_and_ask_last():
    critique = critique_text(CHAT, "Boil it.", "Be precise.")
    assert "Human: How do I boil an egg?\nAssistant: Which kind?\nHuman: Soft." in critique
    assert "Response:\nBoil it." in critique and "Principle:\nBe precise." in critique
    assert critique.endswith("say specifically where it falls short.")
    assert critique.index("Conversation") < critique.index("Response") < critique.index("Principle")
    revision = revision_text(CHAT, "Boil it.", "Be precise.", "It gives no time.")
    assert revision.startswith(critique.rsplit("\n\n", 1)[0])  # the same context as the critique's
    assert "Critique:\nIt gives no time." in revision and revision.endswith("Write only the new response.")


def test_a_revision_is_empty_identical_or_revised():
    assert revision_outcome("Boil it.", "  \n") == "empty"
    assert revision_outcome("Boil it.", " Boil  it.\n") == "identical"
    assert revision_outcome("Boil it.", "Boil it for six minutes.") == "revised"


def test_each_prompt_and_response_is_revised_once():
    originals = distinct_responses(comparisons())
    assert [(o["prompt"][-1]["content"], o["original"]) for o in originals] == [
        ("Soft.", "Boil it."), ("Soft.", "Six minutes in boiling water."), ("Soft.", "Ask someone."),
        ("Hi", "Boil it."), ("Hi", "Hello!"),
    ]


def test_metrics_count_the_skipped_and_measure_the_length_change():
    results = [
        {"original": "ab", "revision": "abcd", "outcome": "revised"},
        {"original": "abcdef", "revision": "abc", "outcome": "revised"},
        {"original": "x", "revision": "", "outcome": "empty"},
        {"original": "y", "revision": "y", "outcome": "identical"},
    ]
    assert revise_metrics(results, 2) == {
        "responses": 4, "revised": 2, "empty": 1, "identical": 1, "principles": 2, "mean_length_change": -0.5,
    }
    assert revise_metrics([], 1)["mean_length_change"] == 0.0


def test_each_principle_revises_the_last_revision_and_an_empty_one_ends_the_chain():
    """A scripted model: each text's critique and rewrite are fixed; the questions asked are kept."""
    script = {"first draft": ("too short", "second draft"), "second draft": ("still short", "final draft"),
              "gone": ("bad", ""), "stuck": ("fine", "stuck")}
    asked: list[str] = []
    reviser = object.__new__(Reviser)  # no model: write is scripted

    def write(questions):
        asked.extend(questions)
        texts = [q.split("Response:\n", 1)[1].split("\n\nPrinciple:", 1)[0] for q in questions]
        return [script[t][q.endswith("Write only the new response.")] for t, q in zip(texts, questions, strict=True)]

    reviser.write = write
    originals = [{"prompt": CHAT, "original": o} for o in ("first draft", "gone", "stuck")]
    results = reviser(originals, ["P1", "P2"])
    assert [r["outcome"] for r in results] == ["revised", "empty", "identical"]
    assert results[0]["revision"] == "final draft" and results[0]["critiques"] == ["too short", "still short"]
    assert results[1]["critiques"] == ["bad"]  # no second principle after an empty revision
    second_round = [q for q in asked if "Principle:\nP2" in q]
    assert any("Response:\nsecond draft" in q for q in second_round)
    assert not any("Response:\ngone" in q or "Response:\n\n" in q for q in second_round)


def test_revise_config_is_a_causal_lm_mode_with_bounded_generation():
    config = config_from_dict("judge", {"mode": "revise"})
    assert (config.max_new_tokens, config.temperature) == (128, 0.0)
    with pytest.raises(ConfigError, match=r"JudgeConfig\.mode must be one of 'judge', 'revise'"):
        config_from_dict("judge", {"mode": "rewrite"})
    with pytest.raises(ConfigError, match=r"JudgeConfig\.mode 'revise' .* not an endpoint"):
        config_from_dict("judge", {"mode": "revise", "endpoint_model": "gpt"})
    with pytest.raises(ConfigError, match=r"JudgeConfig\.max_new_tokens must be below max_length"):
        config_from_dict("judge", {"mode": "revise", "max_length": 64, "max_new_tokens": 64})
    assert config_from_dict("judge", {"max_length": 64, "max_new_tokens": 64}).mode == "judge"


def test_revise_on_the_tiny_model_returns_pairs_and_demonstrations(tiny_lm_path):
    config = JudgeConfig(mode="revise", max_new_tokens=6, max_length=256, batch_size=4, temperature=1.0, seed=3)
    steps = []
    rubric = {"kind": "causal_lm", "guidelines": "Be brief.", "criteria": ["helpful"]}
    out = revise(config, tiny_lm_path, comparisons(), lambda *a: steps.append(a), rubric=rubric)
    metrics = out["metrics"]
    assert metrics["responses"] == 5 and metrics["principles"] == 2
    assert metrics["revised"] + metrics["empty"] + metrics["identical"] == 5
    assert len(out["demonstrations"]) == len(out["pairs"]) == metrics["revised"] > 0
    originals = {o for c in comparisons() for o in c["responses"]}
    for demo, pair in zip(out["demonstrations"], out["pairs"], strict=True):
        assert demo["completion"] == pair["chosen"] != pair["rejected"] and pair["rejected"] in originals
        assert demo["prompt"] == pair["prompt"] and len(demo["critiques"]) == 2
    assert [s[:2] for s in steps] == [(1, 2), (2, 2)]
    shown = [s for step in steps for s in step[2][SAMPLES_KEY]]
    assert shown and all("Critique 1:" in s["response"] and "Revision:" in s["response"] for s in shown)
    again = revise(config, tiny_lm_path, comparisons(), rubric=rubric)
    assert again["pairs"] == out["pairs"]  # seeded: the same revisions


def test_revise_stops_when_the_callback_says_so(tiny_lm_path, monkeypatch):
    monkeypatch.setattr(revise_module.Reviser, "write", lambda self, questions: ["x"] * len(questions))
    config = JudgeConfig(mode="revise", max_new_tokens=4, max_length=128, batch_size=2)
    with pytest.raises(TrainingCancelled):
        revise(config, tiny_lm_path, comparisons(), lambda *a: False)

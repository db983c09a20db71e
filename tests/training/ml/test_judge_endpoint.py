"""The endpoint judge against a local OpenAI-compatible server (stdlib http.server): the answers'
probabilities are read from the completion's top log-probs, both orders of every pair are
asked, and the key comes from the environment."""

import math

import pytest

from tests.training.judge_endpoint_server import LongerIsBetter, serving
from training.ml.judge import Rubric, judge
from training.ml.judge_config import JudgeConfig
from training.ml.judge_endpoint import EndpointJudge, completions_url


@pytest.fixture
def endpoint():
    with serving() as url:
        yield url


COMPARISONS = [
    {
        "comparison_id": 1,
        "prompt": [{"role": "user", "content": "Hi?"}],
        "responses": ["Hello there, friend!", "Hi"],
    },
    {
        "comparison_id": 2,
        "prompt": [{"role": "user", "content": "Why?"}],
        "responses": ["No", "Because it is so."],
    },
]


def test_the_endpoint_judge_reads_log_probs_in_both_orders(endpoint, monkeypatch):
    monkeypatch.setenv("JUDGE_ENDPOINT_KEY", "sk-test")
    config = JudgeConfig(endpoint_model="judge-model", strength_step=1.0)
    records = judge(
        config,
        "",
        COMPARISONS,
        rubric={"kind": "endpoint", "strength_levels": 3},
        endpoint=endpoint,
    )
    assert [(r["winner"], r["strength"]) for r in records] == [("a", 2), ("b", 2)]
    # each order: P(longer) 0.7 / 0.95, P(shorter) 0.2 / 0.95: averaged the same, log-odds log(3.5)
    assert records[0]["margin"] == pytest.approx(math.log(3.5))
    asked = LongerIsBetter.asked
    assert len(asked) == 4 and {a[1] for a in asked} == {"/v1/chat/completions"}
    shown = {(first, second) for *_, first, second in asked}
    for c in COMPARISONS:
        a, b = c["responses"]
        assert (a, b) in shown and (b, a) in shown
    body, _, authorization, *_ = asked[0]
    assert body["model"] == "judge-model" and body["max_tokens"] == 1 and body["logprobs"] is True
    assert authorization == "Bearer sk-test"


def test_an_endpoint_without_log_probs_is_read_from_its_answer_and_a_non_answer_is_undecided():
    judge_ = EndpointJudge(
        JudgeConfig(endpoint_model="m"),
        "https://judge.example/v1",
        Rubric(kind="endpoint", allow_ties=False),
    )
    assert judge_.answer({"choices": [{"message": {"content": " B."}}]}) == {"A": 0.0, "B": 1.0}
    assert judge_.answer({"choices": [{"message": {"content": "Well"}}]}) == {"A": 0.5, "B": 0.5}


def test_only_an_http_base_url_is_used():
    assert completions_url("http://10.0.0.5:8000/v1/") == "http://10.0.0.5:8000/v1/chat/completions"
    with pytest.raises(ValueError, match="http"):
        completions_url("file:///etc/passwd")

"""The judge stage: a reward model's verdicts follow its scores (ties under the threshold,
strength by margin bands, per criterion); a causal LM judges every comparison in both
presentation orders and reads its verdict from the answer tokens' probabilities."""

import json
import math
import shutil

import pytest

from training.ml import judge_lm
from training.ml.config import config_from_dict
from training.ml.judge import Rubric, judge, pairwise_verdict, ranking_of, reward_heads, strength_of
from training.ml.judge_config import JudgeConfig
from training.ml.scoring import load_reward_fn

RESPONSES = [
    ("Yes, gladly. Here it is.", "no"),
    ("Sure thing!", "Sure thing! Here are the steps, one by one."),
    ("I will not.", "Of course, I can help with that."),
    ("abc", "xyz"),
    ("The capital is Paris.", "Paris"),
    ("Hello", "Goodbye, and good luck."),
]


def comparisons(k: int = 2) -> list[dict]:
    out = []
    for i, pair in enumerate(RESPONSES):
        extra = [f"Option {n} for {i}." for n in range(k - 2)]
        out.append(
            {
                "comparison_id": 100 + i,
                "prompt": [{"role": "user", "content": f"Can you help with question {i}?"}],
                "responses": [*pair, *extra],
            }
        )
    return out


def rm_scores(model_path, given, criterion=None) -> list[list[float]]:
    """Each comparison's scores by position, from the reward function the online stages use."""
    score = load_reward_fn(model_path, "cpu", criterion)
    return [score([c["prompt"]] * len(c["responses"]), c["responses"]).tolist() for c in given]


def test_strength_steps_up_per_band_and_stops_at_the_scale():
    assert [strength_of(m, 3, 0.5) for m in (0.1, -0.49, 0.5, -0.99, 1.0, 7.0)] == [
        1,
        1,
        2,
        2,
        3,
        3,
    ]
    assert strength_of(5.0, 0, 0.5) is None


def test_pairwise_verdict_ties_only_where_the_project_allows():
    config = JudgeConfig(tie_margin=0.3, strength_step=1.0)
    assert pairwise_verdict(0.2, Rubric(), config) == {"winner": "tie", "strength": None}
    assert pairwise_verdict(-0.2, Rubric(allow_ties=False), config) == {
        "winner": "b",
        "strength": 1,
    }
    assert pairwise_verdict(2.5, Rubric(strength_levels=3), config) == {
        "winner": "a",
        "strength": 3,
    }
    assert pairwise_verdict(-1.5, Rubric(strength_levels=0), config) == {
        "winner": "b",
        "strength": None,
    }


def test_ranking_sorts_by_score_and_keeps_position_order_on_equal_scores():
    assert ranking_of([0.1, 0.9, 0.5, 0.9]) == ["b", "d", "c", "a"]


def test_reward_model_judge_gives_the_verdicts_its_scores_imply(tiny_rm_path):
    given = comparisons()
    scores = rm_scores(tiny_rm_path, given)
    margins = [a - b for a, b in scores]
    step = sorted(abs(m) for m in margins)[len(margins) // 2]  # some strengths 1, some above
    config = JudgeConfig(strength_step=step, batch_size=4)
    records = judge(config, tiny_rm_path, given, rubric={"strength_levels": 3})
    assert [r["comparison_id"] for r in records] == [c["comparison_id"] for c in given]
    for record, margin in zip(records, margins, strict=True):
        assert record["margin"] == pytest.approx(margin, abs=1e-4)
        assert record["winner"] == ("a" if margin > 0 else "b")
        assert record["strength"] == min(3, 1 + int(abs(margin) // step))
        assert record["criteria"] == {}
    assert {r["strength"] for r in records} != {1}


def test_reward_model_judge_ties_below_the_margin_threshold(tiny_rm_path):
    given = comparisons()
    margins = [a - b for a, b in rm_scores(tiny_rm_path, given)]
    threshold = sorted(abs(m) for m in margins)[3]  # the three smallest margins are ties
    records = judge(JudgeConfig(tie_margin=threshold), tiny_rm_path, given)
    ties = [abs(m) < threshold for m in margins]
    assert [r["winner"] == "tie" for r in records] == ties and sum(ties) == 3
    assert all(r["strength"] is None for r in records if r["winner"] == "tie")
    without = judge(
        JudgeConfig(tie_margin=threshold), tiny_rm_path, given, rubric={"allow_ties": False}
    )
    assert [r["winner"] for r in without] == ["a" if m > 0 else "b" for m in margins]


def test_reward_model_judge_ranks_by_score(tiny_rm_path):
    given = comparisons(k=3)
    scores = rm_scores(tiny_rm_path, given)
    records = judge(JudgeConfig(), tiny_rm_path, given, rubric={"task_type": "ranking"})
    assert [r["ranking"] for r in records] == [ranking_of(s) for s in scores]
    assert all("winner" not in r for r in records)


@pytest.fixture(scope="module")
def per_criterion_rm(tiny_rm_path, tmp_path_factory):
    """The tiny reward model, recorded as trained on two criteria (its inputs name them)."""
    path = tmp_path_factory.mktemp("judge") / "rm-criteria"
    shutil.copytree(tiny_rm_path, path)
    (path / "training_config.json").write_text(
        json.dumps({"config": {"criteria": ["overall", "harmless"]}})
    )
    return path


def test_per_criterion_reward_model_judges_each_criterion_it_knows(per_criterion_rm):
    given = comparisons()
    overall, harmless = (
        rm_scores(per_criterion_rm, given, "overall"),
        rm_scores(per_criterion_rm, given, "harmless"),
    )
    rubric = {"criteria": ["harmless", "helpful"], "strength_levels": 0}
    records = judge(JudgeConfig(), per_criterion_rm, given, rubric=rubric)
    for record, (a, b), (ha, hb) in zip(records, overall, harmless, strict=True):
        assert record["winner"] == ("a" if a > b else "b")
        assert record["criteria"] == {
            "harmless": {"winner": "a" if ha > hb else "b", "strength": None}
        }
    assert overall != harmless  # each criterion was asked with its own input


def test_reward_heads_name_what_the_model_is_asked():
    assert reward_heads([], ["helpful"]) == {None: None}
    assert reward_heads(["overall", "harmless"], ["harmless", "helpful"]) == {
        "overall": "overall",
        "harmless": "harmless",
    }
    assert reward_heads(["helpful", "harmless"], ["harmless"]) == {"harmless": "harmless"}
    with pytest.raises(ValueError, match="none of which the project asks for"):
        reward_heads(["helpful"], ["honest"])


def test_causal_lm_judge_scores_every_comparison_in_both_orders(tiny_lm_path, monkeypatch):
    asked = []
    real = judge_lm.question_text

    def recording(messages, first, second, rubric, criterion):
        asked.append((messages[0]["content"], first, second, criterion))
        return real(messages, first, second, rubric, criterion)

    monkeypatch.setattr(judge_lm, "question_text", recording)
    given = comparisons()
    rubric = {
        "kind": "causal_lm",
        "guidelines": "Prefer helpful, honest answers.",
        "criteria": ["harmless"],
    }
    records = judge(JudgeConfig(max_length=256, batch_size=4), tiny_lm_path, given, rubric=rubric)
    for c in given:
        prompt, (a, b) = c["prompt"][0]["content"], c["responses"]
        for criterion in (None, "harmless"):
            assert (prompt, a, b, criterion) in asked and (prompt, b, a, criterion) in asked
    assert len(asked) == len(given) * 2 * 2
    for record in records:
        forward, swapped = record["orders"]["ab"], record["orders"]["ba"]
        p_a = (forward["A"] + swapped["B"]) / 2
        p_b = (forward["B"] + swapped["A"]) / 2
        assert sum(forward.values()) == pytest.approx(1) and set(forward) == {"A", "B", "tie"}
        assert record["margin"] == pytest.approx(math.log(p_a / p_b))
        assert record["winner"] in ("a", "b", "tie") and set(record["criteria"]) == {"harmless"}
        assert "b shown first" in record["rationale"]


def test_causal_lm_judge_offers_no_tie_where_the_project_allows_none_and_ranks(tiny_lm_path):
    rubric = {"kind": "causal_lm", "allow_ties": False, "task_type": "ranking"}
    records = judge(JudgeConfig(max_length=256), tiny_lm_path, comparisons(k=3)[:2], rubric=rubric)
    for record in records:
        assert sorted(record["ranking"]) == ["a", "b", "c"]
        assert set(record["orders"]) == {"ab", "ba", "ac", "ca", "bc", "cb"}
        assert all(set(p) == {"A", "B"} for p in record["orders"].values())


def test_the_constitution_puts_guidelines_and_question_last():
    rubric = Rubric(guidelines="Be kind.", allow_ties=False)
    text = judge_lm.question_text(
        [{"role": "user", "content": "Hi"}], "one", "two", rubric, "harmless"
    )
    assert text.index("Response A:\none") < text.index("Response B:\ntwo") < text.index("Be kind.")
    assert text.endswith("Which response is better on harmless? Answer A or B.")


def test_judge_config_checks_which_and_its_bounds():
    assert config_from_dict("judge", {"which": "sample", "sample_size": 5}).sample_size == 5
    with pytest.raises(ValueError, match="which"):
        config_from_dict("judge", {"which": "some"})
    with pytest.raises(ValueError, match="strength_step"):
        config_from_dict("judge", {"strength_step": 0})


def test_judge_stops_when_the_callback_says_so(tiny_rm_path):
    from training.ml.loop import TrainingCancelled

    calls = []
    with pytest.raises(TrainingCancelled):
        judge(
            JudgeConfig(batch_size=2),
            tiny_rm_path,
            comparisons(),
            callback=lambda *a: calls.append(a) or False,
        )
    assert calls[0][:2] == (1, 3) and "comparisons_per_s" in calls[0][2]

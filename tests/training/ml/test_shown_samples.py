"""A few greedy responses of an SFT, DPO or KTO policy ride with the progress callback on the
logging steps sampling.samples_due picks, for the run page; the history and metrics.json never
hold them."""


from tests.training.ml.conftest import Recorder
from training.ml.config import DPOConfig, SFTConfig
from training.ml.dpo import train_dpo
from training.ml.sampling import SAMPLED_STEPS, samples_due, shown_sample
from training.ml.sft import train_sft

FAST = {"learning_rate": 1e-3, "batch_size": 2, "max_steps": 2, "max_length": 48, "max_prompt_length": 24}


def demos(n):
    return [{"prompt": [{"role": "user", "content": f"Name {i}?"}], "completion": f"Name {i}."} for i in range(n)]


def test_sft_shows_greedy_responses_to_validation_prompts(tmp_path, tiny_lm_path):
    recorder = Recorder()
    result = train_sft(SFTConfig(**FAST), tiny_lm_path, demos(4), demos(6)[4:], tmp_path / "out", recorder)
    for _, _, metrics in recorder.calls:
        shown = metrics["samples"]
        assert [s["prompt"] for s in shown] == ["Name 4?", "Name 5?"]
        assert all(isinstance(s["response"], str) and s["score"] is None for s in shown)
        assert all(isinstance(s["truncated"], bool) for s in shown)
    assert not any("samples" in h for h in result["history"]) and "samples" not in result["metrics"]
    unseen = train_sft(SFTConfig(**FAST), tiny_lm_path, demos(4), demos(6)[4:], tmp_path / "unseen")
    assert [h["loss"] for h in unseen["history"]] == [h["loss"] for h in result["history"]]  # greedy: no draw


def test_dpo_shows_them_too_from_training_prompts_without_validation(tmp_path, tiny_lm_path, pairs):
    recorder = Recorder()
    train_dpo(DPOConfig(**FAST), tiny_lm_path, pairs, [], tmp_path / "out", recorder)
    assert [len(metrics["samples"]) for _, _, metrics in recorder.calls] == [4, 4]


def test_show_samples_off_generates_nothing(tmp_path, tiny_lm_path, pairs):
    recorder = Recorder()
    train_dpo(DPOConfig(**FAST, show_samples=False), tiny_lm_path, pairs, [], tmp_path / "out", recorder)
    assert len(recorder.calls) == 2 and not any("samples" in metrics for _, _, metrics in recorder.calls)


def test_a_long_run_shows_samples_on_about_a_hundred_evenly_spread_steps():
    due = [step for step in range(1, 1001) if samples_due(step, 1000)]
    assert len(due) == SAMPLED_STEPS and due[0] == 10 and due[-1] == 1000
    assert [step for step in range(1, 8) if samples_due(step, 7)] == list(range(1, 8))


def test_a_shown_sample_is_cut_and_keeps_no_unmeasured_score():
    conversation = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    shown = shown_sample(conversation, "x" * 5000, float("nan"), True)
    assert shown["prompt"] == "system: Be brief.\n\nuser: Hi" and len(shown["response"]) == 2000
    assert shown["score"] is None and shown["truncated"] is True

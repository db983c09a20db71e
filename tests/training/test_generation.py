"""Generated samples become comparisons credited to the checkpoint that wrote them."""

import pytest

from labeling.models import Comparison
from tests.factories import make_prompt, make_response
from training.generation import add_generated_responses, opponent_order
from training.models import ModelCheckpoint, TrainingRun


@pytest.fixture
def run(project):
    return TrainingRun.objects.create(project=project, stage="generate", base_model="/models/tiny-policy")


def pairings(project) -> set[tuple[tuple[str, str], ...]]:
    return {
        tuple(sorted((s.response.model_name, s.response.text) for s in c.positions.select_related("response")))
        for c in Comparison.objects.filter(project=project)
    }


def test_a_sample_another_model_already_gave_is_credited_to_the_checkpoint(project, run):
    prompt = make_prompt(project, "Is water wet?")
    make_response(prompt, "Yes.", "old-model")
    make_response(prompt, "No.", "other-model")
    result = add_generated_responses(run=run, prompts=[prompt], samples=[{"prompt_index": 0, "completion": "Yes."}])
    assert result["model_name"] == "tiny-policy" and result["responses"] == 1
    assert pairings(project) == {(("other-model", "No."), ("tiny-policy", "Yes."))}


def test_a_checkpoint_meets_the_model_it_was_trained_from_and_the_anchor(project):
    """Checkpoint N against N-1 (did the last training help?) and against the prompt's first
    response (every checkpoint meets it, so their ratings stay on one scale); before, a sample
    met the two oldest responses, never an earlier checkpoint's."""
    prompt = make_prompt(project, "Is water wet?")
    for text, model in (("Yes.", "dataset-a"), ("No.", "dataset-b"), ("Wet.", "tiny-policy"), ("Dry.", "other-run")):
        make_response(prompt, text, model)
    dpo = TrainingRun.objects.create(project=project, stage="dpo", base_model="/models/tiny-policy")
    checkpoint = ModelCheckpoint.objects.create(project=project, run=dpo, name="dpo-1", kind="policy", path="dpo-1")
    run = TrainingRun.objects.create(project=project, stage="generate", base_checkpoint=checkpoint)
    add_generated_responses(run=run, prompts=[prompt], samples=[{"prompt_index": 0, "completion": "Quite wet."}])
    assert pairings(project) == {(("dataset-a", "Yes."), ("dpo-1", "Quite wet.")),
                                 (("dpo-1", "Quite wet."), ("tiny-policy", "Wet."))}


def test_a_base_model_meets_the_anchor_and_the_newest_model_each_model_once():
    """No predecessor (a base model, or a checkpoint registered by hand): the anchor, then the
    newest; a model's second response comes after every model's first."""
    others = [("Yes.", "dataset"), ("No.", "dataset"), ("Maybe.", "sft-1"), ("Sure.", "sft-1")]
    assert opponent_order(others, None)[:2] == [("Yes.", "dataset"), ("Sure.", "sft-1")]
    assert opponent_order(others, "sft-1")[:2] == [("Maybe.", "sft-1"), ("Yes.", "dataset")]
    assert sorted(opponent_order(others, None)) == sorted(others)


def test_an_empty_sample_is_compared_like_any_other(project, run):
    prompt = make_prompt(project)
    make_response(prompt, "An answer.", "old-model")
    add_generated_responses(run=run, prompts=[prompt], samples=[{"prompt_index": 0, "completion": ""}])
    assert pairings(project) == {(("old-model", "An answer."), ("tiny-policy", ""))}


class Launched(Exception):
    pass


def test_a_generate_run_launches_one_process_on_a_worker_with_several_gpus(project, run, monkeypatch):
    """generate samples every prompt in each process it is launched with (on the first GPU): one
    per visible GPU would load the model and sample everything that many times over, on one
    device. Like judge and best_of_n, it is one process."""
    from training import jobs, runner

    make_prompt(project, "Is water wet?")
    launched = []

    def run_job(job, examples, launch, **kw):
        launched.append(launch)
        raise Launched

    monkeypatch.setattr(jobs, "visible_gpus", lambda: 4)
    monkeypatch.setattr(jobs, "run_job", run_job)
    with pytest.raises(Launched):
        runner.run_generate(run, None)
    assert [launch.num_processes for launch in launched] == [1]


def test_train_says_what_a_generate_run_added():
    """A generate run has no metrics: what train prints at its end says what it added instead."""
    from training.management.commands.train import left_behind

    result = {"model_name": "tiny-policy", "samples": 100, "lines": 200, "prompts": 0, "responses": 100,
              "comparisons": 200, "judgments": 0}
    assert left_behind(result) == ["added 100 responses of 'tiny-policy' in 200 new comparisons"]
    best_of_n = {"prompts": 24, "comparisons": {"comparisons": 17, "responses": 34}}
    assert left_behind(best_of_n) == ["added 17 comparisons (each prompt's best sample against its first) for people to check"]


def test_a_generate_run_samples_for_prompts_this_model_has_not_answered_first_and_says_what_it_left(project, run):
    from training.generation import generation_prompts

    prompts = [make_prompt(project, f"Question {i}?") for i in range(5)]
    make_response(prompts[0], "Answered.", "tiny-policy")
    chosen, warnings = generation_prompts(run, limit=3)
    assert chosen == prompts[1:4]
    assert warnings == ["generated for 3 of the project's 5 prompts (max_prompts 3); 1 have no response from this "
                        "model yet: run it again to cover them"]
    chosen, warnings = generation_prompts(run, limit=5)
    assert chosen == [*prompts[1:], prompts[0]] and warnings == []


def test_a_generate_run_reads_max_prompts_from_its_config(project, monkeypatch):
    from training import jobs, runner

    for i in range(4):
        make_prompt(project, f"Question {i}?")
    run = TrainingRun.objects.create(project=project, stage="generate", base_model="/models/tiny-policy",
                                     config={"max_prompts": 2})
    sampled = []

    def run_job(job, examples, launch, **kw):
        sampled.append(len(examples["prompts"]))
        raise Launched

    monkeypatch.setattr(jobs, "run_job", run_job)
    with pytest.raises(Launched):
        runner.run_generate(run, None)
    assert sampled == [2]

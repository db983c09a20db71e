"""generation_view: the policy whole for sampling, under DDP and under FSDP2 (on CPU, gloo)."""

import os
from types import SimpleNamespace

import pytest
import torch
import torch.multiprocessing as mp
from accelerate import Accelerator
from accelerate.utils import DistributedType

from training.ml.generation_view import generation_view

PROMPT = torch.tensor([[1, 40, 41, 42]])


def test_without_sharding_it_is_the_unwrapped_model(tiny_lm_path):
    from transformers import AutoModelForCausalLM

    accelerator = Accelerator(cpu=True)
    model = accelerator.prepare(AutoModelForCausalLM.from_pretrained(tiny_lm_path))
    with generation_view(accelerator, model) as whole:
        assert whole is accelerator.unwrap_model(model)


def greedy(model, new_tokens: int) -> list[int]:
    return model.generate(PROMPT, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False)[0].tolist()


def _fsdp2_rank(rank: int, path: str, port: int) -> None:
    """One of two ranks: each samples a different number of tokens inside the view, which only
    works if no forward waits for the other rank's all-gather."""
    import torch.distributed as dist
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor import DTensor
    from transformers import AutoModelForCausalLM

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        expected = greedy(AutoModelForCausalLM.from_pretrained(path), 3 + 5 * rank)
        model = AutoModelForCausalLM.from_pretrained(path)
        for layer in model.model.layers:
            fully_shard(layer)
        fully_shard(model)
        accelerator = SimpleNamespace(distributed_type=DistributedType.FSDP, unwrap_model=lambda m: m)
        with torch.no_grad(), generation_view(accelerator, model) as whole:
            assert not any(isinstance(p, DTensor) for p in whole.parameters())
            assert greedy(whole, 3 + 5 * rank) == expected
        assert all(isinstance(p, DTensor) for p in model.parameters())  # sharded again
    finally:
        dist.destroy_process_group()
    # Passed: leave without the interpreter's teardown, where gloo's threads sometimes abort the
    # process ("terminate called without an active exception", seen once in a serial CI run);
    # a failed assertion above still raises and fails the test.
    os._exit(0)


def test_under_fsdp2_ranks_sample_different_lengths_from_the_whole_weights_then_shard_again(tiny_lm_path):
    from training.launch import free_port

    mp.spawn(_fsdp2_rank, args=(str(tiny_lm_path), free_port()), nprocs=2, join=True)


def test_a_grpo_job_under_fsdp_on_the_gpus_samples_through_the_view_and_saves_one_checkpoint(
    tiny_lm_path, tiny_rm_path, tmp_path
):
    """The sharded path end to end (launch, FSDP2 training, rollouts, the gathered save): GPU only."""
    from training.launch import Launch, engine_config_file, run_job, visible_gpus

    gpus = visible_gpus()
    if not gpus:
        pytest.skip("accelerate runs FSDP on CUDA devices only; run this on a GPU machine")
    prompts = [{"prompt": [{"role": "user", "content": f"Say {i}"}]} for i in range(8)]
    config = {"max_steps": 2, "batch_size": 2, "num_generations": 2, "mini_batch_size": 4, "max_new_tokens": 8,
              "max_length": 96, "max_prompt_length": 32, "distributed": "fsdp", "num_processes": gpus}
    job = {"stage": "grpo", "config": config, "function": "training.ml.group_rl:train_grpo",
           "model_path": str(tiny_lm_path), "output_dir": str(tmp_path / "out"),
           "extra": {"reward_model_path": str(tiny_rm_path)}}
    steps = []
    left = run_job(job, {"train": prompts, "validation": []}, Launch(gpus, engine_config_file("fsdp"), use_cpu=False),
                   on_progress=lambda step, total, metrics: steps.append(step) or True, should_stop=lambda: False)
    assert left == {} and steps == [1, 2]
    assert (tmp_path / "out" / "model.safetensors").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

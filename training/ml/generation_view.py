"""The policy's weights, whole, for sampling inside a sharded run: gathered once per rollout batch.

Sampling calls the model once per new token. Under a sharding engine each call would gather
every layer's weights again (ZeRO-3, FSDP), and ranks sampling different lengths would wait on
each other's gathers; so the weights are gathered once for the whole batch, as TRL's
``unwrap_model_for_generation`` does, and sharded again after it:

    ddp, one process     accelerate's unwrap_model; nothing to gather
    fsdp (FSDP2)         every fully_shard module unsharded, kept whole across forwards
    fsdp (FSDP1)         FullyShardedDataParallel.summon_full_params(writeback=False)
    deepspeed_zero3      deepspeed.zero.GatheredParameters over every parameter
    deepspeed_zero2      each process holds the whole model already: unwrap_model

The gathered weights are read-only here: sampling writes nothing back.
"""

from contextlib import contextmanager

from accelerate.utils import DistributedType


@contextmanager
def generation_view(accelerator, model):
    """`model` unwrapped, with its full weights present for the block (see the module doc)."""
    unwrapped = accelerator.unwrap_model(model)
    if accelerator.distributed_type == DistributedType.DEEPSPEED and _zero_stage(accelerator) == 3:
        import deepspeed

        with deepspeed.zero.GatheredParameters(list(model.parameters())):
            yield unwrapped
        return
    if accelerator.distributed_type == DistributedType.FSDP:
        with _fsdp_full_params(model):
            yield unwrapped
        return
    yield unwrapped


def _zero_stage(accelerator) -> int:
    return accelerator.state.deepspeed_plugin.zero_stage


@contextmanager
def _fsdp_full_params(model):
    from torch.distributed.fsdp import FSDPModule, FullyShardedDataParallel

    if isinstance(model, FullyShardedDataParallel):  # FSDP1
        with FullyShardedDataParallel.summon_full_params(model, writeback=False):
            yield
        return
    with fsdp2_unsharded([m for m in model.modules() if isinstance(m, FSDPModule)]):
        yield


@contextmanager
def fsdp2_unsharded(modules: list):
    """FSDP2 modules gathered whole and kept so across forwards, then sharded again."""
    for module in modules:
        module.set_reshard_after_forward(False, recurse=False)
        module.unshard()
    try:
        yield
    finally:
        for module in modules:
            module.reshard()
            module.set_reshard_after_forward(True, recurse=False)


"""The launcher of training jobs (training/launch.py), without Django: commands, following,
stopping every process of a job, and the errors a job fails with."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from training.launch import (
    PROGRESS,
    Launch,
    LaunchedJob,
    LaunchError,
    engine_config_file,
    failure_text,
    launch_command,
    launch_env,
    resolve_num_processes,
)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_num_processes_defaults_to_one_per_visible_gpu_and_to_one_on_cpu():
    assert resolve_num_processes(None, gpus=0) == 1
    assert resolve_num_processes(None, gpus=4) == 4
    assert resolve_num_processes(3, gpus=0) == 3  # CPU processes share the cores (gloo)


def test_more_processes_than_visible_gpus_is_refused_naming_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    with pytest.raises(LaunchError, match=r"num_processes 4 .* 2 GPU\(s\) .*CUDA_VISIBLE_DEVICES=0,1"):
        resolve_num_processes(4, gpus=2)


def test_the_launch_command_sets_every_option_from_the_shipped_engine_config(tmp_path):
    launch = Launch(num_processes=2, config_file=engine_config_file("ddp"), use_cpu=True, main_port=29999)
    command = launch_command(launch, tmp_path)
    options = dict(zip(command, command[1:], strict=False))
    assert options["--config_file"].endswith("launch_configs/ddp.yaml")
    assert (options["--num_processes"], options["--num_machines"], options["--machine_rank"]) == ("2", "1", "0")
    assert options["--main_process_port"] == "29999" and options["--mixed_precision"] == "no"
    assert command[-3:] == ["-m", "training.child", str(tmp_path)]
    assert "--cpu" not in command  # accelerate would fall back to one process: CPU is ACCELERATE_USE_CPU
    assert launch_env(launch)["ACCELERATE_USE_CPU"] == "1"


def test_a_worker_started_under_a_launcher_does_not_pass_its_rank_to_the_job(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "8")
    monkeypatch.setenv("RANK", "3")
    env = launch_env(Launch(num_processes=1, config_file=engine_config_file("ddp"), use_cpu=True))
    assert "WORLD_SIZE" not in env and "RANK" not in env


def test_follow_hands_each_progress_line_over_and_stops_the_job_when_told():
    script = f"""
        import json, time
        for step in range(1, 10_000):
            print({PROGRESS!r} + json.dumps({{"step": step, "total": 9999, "metrics": {{"loss": 1 / step}}}}), flush=True)
            print("a log line", flush=True)
            time.sleep(0.02)
    """
    seen = []
    job = LaunchedJob(python(script), dict(os.environ))

    def on_progress(step, total, metrics):
        seen.append((step, metrics["loss"]))
        return step < 3

    assert job.follow(on_progress, should_stop=lambda: False) is False
    assert seen == [(1, 1.0), (2, 0.5), (3, 1 / 3)]
    assert gone(job.process.pid) and "a log line" in job.tail


def test_stop_ends_processes_in_sessions_of_their_own_and_those_that_ignore_sigterm():
    # torchrun starts each rank in a session of its own: killing the launcher's group is not enough.
    script = """
        import subprocess, sys, time
        rank = subprocess.Popen(
            [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"],
            start_new_session=True,
        )
        print("rank", rank.pid, flush=True)
        time.sleep(120)
    """
    lines = []
    job = LaunchedJob(python(script), dict(os.environ), on_line=lines.append)
    wait_until(lambda: lines, timeout=30, what="the rank to start")
    job._track()
    rank = int(lines[0].split()[1])
    started = time.monotonic()
    job.stop(grace=1)
    assert gone(job.process.pid) and gone(rank)
    assert time.monotonic() - started < 5


def test_a_job_whose_worker_is_killed_outright_dies_with_it(tmp_path):
    """No trainer is left behind when the worker is SIGKILLed (its rank gets SIGTERM)."""
    worker = f"""
        import os, sys, time
        sys.path.insert(0, {str(os.getcwd())!r})
        from training.launch import LaunchedJob
        command = [sys.executable, "-m", "training.launch", "exec-with-parent", str(os.getpid()), "--",
                   sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"]
        job = LaunchedJob(command, dict(os.environ), on_line=print)
        print("job", job.process.pid, flush=True)
        time.sleep(120)
    """
    process = subprocess.Popen(python(worker), stdout=subprocess.PIPE, text=True)
    job_pid = int(process.stdout.readline().split()[1])
    assert process.stdout.readline().strip() == "up"
    process.send_signal(signal.SIGKILL)
    process.wait()
    wait_until(lambda: gone(job_pid), timeout=5, what="the job to die with its worker")


def test_a_failure_quotes_the_traceback_of_the_lowest_rank_that_wrote_one(tmp_path):
    (tmp_path / "error-rank-1.txt").write_text("rank 1: gloo connection closed by peer\n")
    (tmp_path / "error-rank-0.txt").write_text("rank 0: Traceback...\ntorch.OutOfMemoryError: CUDA out of memory\n")
    assert failure_text(tmp_path, 1, ["noise"]).endswith("CUDA out of memory")


def test_a_failure_without_a_traceback_quotes_the_last_lines_and_suspects_memory_after_sigkill(tmp_path):
    text = failure_text(tmp_path, -9, [f"line {i}" for i in range(100)])
    assert "exited with code -9 (killed: out of memory?)" in text
    assert text.endswith("line 99") and "line 50" not in text


@pytest.mark.integration
def test_a_launch_into_another_world_size_than_the_run_asks_fails_fast_saying_so(tmp_path):
    """Every rank checks the world it joined before it loads anything."""
    job = {"stage": "dpo", "config": {}, "function": "training.ml.dpo:train_dpo", "model_path": str(tmp_path),
           "output_dir": str(tmp_path / "out"), "extra": {}, "num_processes": 2}
    (tmp_path / "job.json").write_text(json.dumps(job))
    launch = Launch(num_processes=1, config_file=engine_config_file("ddp"), use_cpu=True)
    launched = LaunchedJob(launch_command(launch, tmp_path), launch_env(launch))
    assert launched.follow(lambda **event: True, should_stop=lambda: False)
    assert launched.returncode != 0
    text = failure_text(tmp_path, launched.returncode, launched.tail)
    assert "world size mismatch: the run asks for num_processes 2, but this process is one of 1" in text
    assert not (tmp_path / "out").exists()


def test_rank_0_reports_each_step_as_one_progress_line(capsys):
    from training.child import report_progress

    assert report_progress(2, 10, {"loss": 0.5}) is True
    line = capsys.readouterr().out
    assert line.startswith(PROGRESS) and line.count("\n") == 1
    assert json.loads(line[len(PROGRESS):]) == {"step": 2, "total": 10, "metrics": {"loss": 0.5}}


def test_a_sharding_engine_on_a_worker_without_gpus_is_refused_not_run_as_ddp():
    from training.launch import check_engine

    check_engine("ddp", gpus=0)
    for engine in ("fsdp", "deepspeed_zero2", "deepspeed_zero3"):
        with pytest.raises(LaunchError, match=f"distributed '{engine}' shards the model across GPUs and this worker has none"):
            check_engine(engine, gpus=0)


def test_deepspeed_without_its_package_is_refused_by_name(monkeypatch):
    import importlib.util

    from training.launch import check_engine

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "deepspeed" else real(name, *a))
    with pytest.raises(LaunchError, match="'deepspeed_zero3' needs the deepspeed package, which is not installed"):
        check_engine("deepspeed_zero3", gpus=8)
    check_engine("fsdp", gpus=8)


def test_offload_becomes_the_engines_launch_options_and_every_engine_ships_a_config():
    from training.launch import engine_flags
    from training.ml.config import ENGINES

    assert engine_flags("fsdp", offload=False) == ()
    assert engine_flags("fsdp", offload=True) == ("--fsdp_offload_params", "true")
    assert engine_flags("deepspeed_zero2", offload=True) == ("--offload_optimizer_device", "cpu")
    assert "--offload_param_device" in engine_flags("deepspeed_zero3", offload=True)
    for engine in ENGINES:
        assert engine_config_file(engine).is_file(), engine


def test_a_rank_refuses_to_train_when_the_launcher_dropped_the_engine(monkeypatch):
    from training.child import check_engine

    monkeypatch.delenv("ACCELERATE_USE_FSDP", raising=False)
    monkeypatch.delenv("ACCELERATE_USE_DEEPSPEED", raising=False)
    check_engine("ddp")
    with pytest.raises(RuntimeError, match="asks for distributed 'fsdp' but the launcher did not set ACCELERATE_USE_FSDP"):
        check_engine("fsdp")
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    check_engine("fsdp")
    with pytest.raises(RuntimeError, match="asks for distributed 'ddp' but the launcher set ACCELERATE_USE_FSDP"):
        check_engine("ddp")


def test_fsdp_training_on_cpu_is_left_to_gpu_machines():
    pytest.skip(
        "accelerate runs FSDP on CUDA devices only: with ACCELERATE_USE_CPU a 2-process FSDP launch "
        "trains as MULTI_CPU (DDP), so the worker refuses it on CPU (tested above); FSDP2 itself is "
        "tested on CPU in tests/training/ml/test_generation_view.py"
    )


def test_a_job_directory_left_by_a_killed_worker_is_removed_by_the_next_job(tmp_path):
    """SIGKILL skips the clean-up: each crash left its examples in /tmp for good. A directory whose
    lock a live worker holds, or made a moment ago, stays."""
    import fcntl

    from training.launch import JOB_LOCK, STALE_AFTER_S, job_directory

    old = time.time() - 2 * STALE_AFTER_S
    abandoned, running, fresh = (tmp_path / f"training-job-{name}" for name in ("abandoned", "running", "fresh"))
    for directory in (abandoned, running, fresh):
        directory.mkdir()
        (directory / "examples.json").write_text("[]")
    with open(running / JOB_LOCK, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a live worker's
        for directory in (abandoned, running):
            os.utime(directory, (old, old))
        with job_directory(tmp_path) as mine:
            assert (mine / JOB_LOCK).exists()
            assert not abandoned.exists() and running.exists() and fresh.exists()
    assert not mine.exists()

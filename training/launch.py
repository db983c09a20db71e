"""A run as a launched job: `accelerate launch` started as a child process group and followed.

The gpu worker never trains in its own process: it writes a job directory (job.json and the
examples, see training/child.py), starts ``python -m accelerate.commands.launch ... -m
training.child JOB_DIR`` in a session of its own, and follows it. Every rank runs
training.child; rank 0 alone prints a progress line per step, which the worker turns into its
database writes (``on_progress``); every other line of output is the run's log. So an
out-of-memory error, a segfault or a hang ends the child, not the worker: the worker fails the
run with the child's last error lines and takes the next one.

Stopping (cancel, a lost run, a time limit) is SIGTERM to every process of the job, then
SIGKILL after KILL_GRACE_SECONDS. torchrun starts each rank in a session of its own, so the job
is tracked as a tree of processes (psutil), not one process group; and each process of it dies
with its parent (PR_SET_PDEATHSIG), so a worker killed outright leaves no trainer behind.

This module imports neither Django nor torch at import time.
"""

import ctypes
import fcntl
import importlib.util
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PROGRESS = "@@progress "  # how rank 0 prefixes its per-step line: PROGRESS + JSON
SAMPLES = "samples.json"  # a generate job's responses, written by rank 0
ERROR_FILE = "error-rank-{rank}.txt"  # written by a rank that raised (training/child.py)
KILL_GRACE_SECONDS = 3.0  # SIGTERM, then this long before SIGKILL
POLL_SECONDS = 0.25
TAIL_LINES = 200  # output lines kept for the log
ERROR_LINES = 25  # lines of output quoted when the child fails without an error file
CONFIG_DIR = Path(__file__).with_name("launch_configs")
PR_SET_PDEATHSIG = 1


class LaunchError(ValueError):
    """The run cannot be launched as asked on this worker (the message says why)."""


class ChildFailed(Exception):
    """The launched job exited with an error; the message holds its last error lines."""


def visible_gpus() -> int:
    """The GPUs this worker may use: CUDA_VISIBLE_DEVICES when set, else all it sees; 0 on CPU."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_num_processes(requested: int | None, gpus: int) -> int:
    """The run's process count: `requested`, or one per visible GPU (1 on CPU) when None.

    On GPU each process takes one GPU, so more processes than GPUs cannot start; CPU processes
    share the cores (gloo), any count."""
    if requested is None:
        return max(gpus, 1)
    if gpus and requested > gpus:
        devices = os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
        raise LaunchError(
            f"num_processes {requested} is more than the {gpus} GPU(s) this worker may use "
            f"(CUDA_VISIBLE_DEVICES={devices}): lower num_processes or give the worker more GPUs"
        )
    return requested


def check_engine(distributed: str, gpus: int) -> None:
    """Refuse an engine this worker cannot run, rather than let accelerate fall back to another."""
    if distributed == "ddp":
        return
    if not gpus:
        raise LaunchError(
            f"distributed '{distributed}' shards the model across GPUs and this worker has none: "
            "accelerate runs it on CUDA devices only (on CPU it would train as ddp); use 'ddp'"
        )
    if distributed.startswith("deepspeed") and importlib.util.find_spec("deepspeed") is None:
        raise LaunchError(
            f"distributed '{distributed}' needs the deepspeed package, which is not installed on this "
            "worker (pip install deepspeed); or use 'fsdp'"
        )


def engine_flags(distributed: str, offload: bool) -> tuple[str, ...]:
    """accelerate launch options for the run's offload on top of the engine's config file."""
    if not offload:
        return ()
    return {
        "fsdp": ("--fsdp_offload_params", "true"),
        "deepspeed_zero2": ("--offload_optimizer_device", "cpu"),
        "deepspeed_zero3": ("--offload_optimizer_device", "cpu", "--offload_param_device", "cpu"),
    }[distributed]


# The variable accelerate's launcher sets in each rank for an engine (checked by training/child.py).
ENGINE_VARIABLES = {"fsdp": "ACCELERATE_USE_FSDP", "deepspeed_zero2": "ACCELERATE_USE_DEEPSPEED",
                    "deepspeed_zero3": "ACCELERATE_USE_DEEPSPEED"}


def free_port() -> int:
    """A TCP port free right now on this machine, for the rendezvous of a one-machine job."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Launch:
    """How the job is launched: the processes, the engine's accelerate config, the rendezvous."""

    num_processes: int  # on all machines together
    config_file: Path
    use_cpu: bool
    mixed_precision: str = "no"
    num_machines: int = 1
    machine_rank: int = 0
    main_address: str = "127.0.0.1"
    main_port: int = field(default_factory=free_port)
    engine_flags: tuple[str, ...] = ()


def launch_command(launch: Launch, job_dir: Path) -> list[str]:
    """The `accelerate launch` command line, every setting explicit: the shipped config file of
    the engine, never a user's default config. Ranks run ``python -m training.child job_dir``."""
    return [
        sys.executable, "-m", "training.launch", "exec-with-parent", str(os.getpid()), "--",
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(launch.config_file),
        "--num_processes", str(launch.num_processes),
        "--num_machines", str(launch.num_machines),
        "--machine_rank", str(launch.machine_rank),
        "--main_process_ip", launch.main_address,
        "--main_process_port", str(launch.main_port),
        "--mixed_precision", launch.mixed_precision,
        "--dynamo_backend", "no",
        "--monitor_interval", "1",  # how soon torchrun notices a rank that died
        *launch.engine_flags,
        "-m", "training.child", str(job_dir),
    ]


def launch_env(launch: Launch) -> dict[str, str]:
    """The worker's environment for the job. On CPU, ACCELERATE_USE_CPU makes every rank join
    one gloo group: without it accelerate falls back to single-process mode in each rank, and
    every rank believes it is the main process."""
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARIABLES}
    env["PYTHONUNBUFFERED"] = "1"  # progress lines reach the worker as they are printed
    if launch.use_cpu:
        env["ACCELERATE_USE_CPU"] = "1"
    return env


# Set by a launcher around this process (a worker started under torchrun by mistake): the job
# sets its own.
LAUNCHER_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                      "ACCELERATE_USE_CPU", "ACCELERATE_CONFIG_FILE", *set(ENGINE_VARIABLES.values()))


class LaunchedJob:
    """A command started in a session of its own; its output followed line by line.

    Lines starting with PROGRESS are parsed into events for ``follow``; the others are passed
    to ``on_line`` and the last TAIL_LINES of them kept in ``tail``.
    """

    def __init__(self, command: list[str], env: dict, on_line: Callable[[str], None] | None = None):
        self.on_line = on_line or (lambda line: None)
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.events: queue.Queue = queue.Queue()
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", bufsize=1, start_new_session=True,
        )
        self.members = {self.process.pid: psutil.Process(self.process.pid)}
        self.reader = threading.Thread(target=self._read, daemon=True, name=f"job-{self.process.pid}")
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            line = line.rstrip("\n")
            if line.startswith(PROGRESS):
                self.events.put(json.loads(line[len(PROGRESS):]))
            elif line.strip():
                self.tail.append(line)
                self.on_line(line)

    def follow(self, on_progress: Callable[..., bool], should_stop: Callable[[], bool]) -> bool:
        """Hand each progress event to ``on_progress(step=, total=, metrics=)`` until the job ends
        (True) or ``on_progress`` returns False or ``should_stop()`` is true (then the job is
        stopped: False). Every process of the job is gone when it returns."""
        try:
            while self.process.poll() is None:
                self._track()
                if not self._deliver(on_progress) or should_stop():
                    return False
                time.sleep(POLL_SECONDS)
            self.stop()  # ranks left behind by a launcher that died
            self.reader.join(timeout=10)
            return self._deliver(on_progress)
        finally:
            self.stop()

    def _deliver(self, on_progress) -> bool:
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return True
            if on_progress(**event) is False:
                return False

    def _track(self) -> None:
        """Remember every descendant seen: a rank orphaned by its launcher is still ours to stop."""
        try:
            for child in self.members[self.process.pid].children(recursive=True):
                self.members.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def stop(self, grace: float = KILL_GRACE_SECONDS) -> None:
        """SIGTERM to every process of the job, SIGKILL to those still alive after ``grace``."""
        self._track()
        alive = self._signal(signal.SIGTERM)
        _, alive = psutil.wait_procs(alive, timeout=grace)
        if alive:
            self._signal(signal.SIGKILL)
            psutil.wait_procs(alive, timeout=grace)
        self.process.wait()

    def _signal(self, sig) -> list[psutil.Process]:
        alive = [p for p in self.members.values() if _alive(p)]
        own_group = os.getpgid(0)
        for process in alive:
            try:
                group = os.getpgid(process.pid)
                process.send_signal(sig)
                if group != own_group:
                    os.killpg(group, sig)  # with whatever the rank started that we did not see
            except (psutil.NoSuchProcess, ProcessLookupError):
                pass
        return alive

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def failure_text(job_dir: Path, returncode: int, tail) -> str:
    """Why the job failed: the traceback of the lowest rank that wrote one, else its last lines."""
    reports = sorted(job_dir.glob(ERROR_FILE.format(rank="*")), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if reports:
        return reports[0].read_text().rstrip()
    lines = "\n".join(list(tail)[-ERROR_LINES:])
    hint = " (killed: out of memory?)" if returncode in (-9, 137) or "SIGKILL" in lines else ""
    return f"the training processes exited with code {returncode}{hint}; their last lines:\n{lines}"


def engine_config_file(distributed: str) -> Path:
    """The shipped accelerate config of an engine (launch_configs/<distributed>.yaml)."""
    return CONFIG_DIR / f"{distributed}.yaml"


JOB_PREFIX = "training-job-"
JOB_LOCK = ".running"
STALE_AFTER_S = 60  # a directory younger than this may be one another worker has not locked yet


@contextmanager
def job_directory(root: str | Path | None = None) -> Iterator[Path]:
    """A new job directory, locked while the job runs and removed after it. Those of jobs whose
    worker was killed outright (SIGKILL skips the clean-up: each left its examples behind, MBs a
    crash) are removed first: no live worker holds their lock."""
    root = Path(root or tempfile.gettempdir())
    for stale in root.glob(f"{JOB_PREFIX}*"):
        _remove_if_abandoned(stale)
    with tempfile.TemporaryDirectory(prefix=JOB_PREFIX, dir=root) as directory, \
            open(Path(directory) / JOB_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield Path(directory)


def _remove_if_abandoned(directory: Path) -> None:
    try:
        if time.time() - directory.stat().st_mtime < STALE_AFTER_S:
            return
        with open(directory / JOB_LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: its worker is alive
            shutil.rmtree(directory)
    except OSError:  # held, gone already, or not ours to remove
        return


def run_job(job: dict, examples: dict, launch: Launch, *, on_progress, should_stop, on_line=None) -> dict | None:
    """Launch ``job`` (training/child.py) and follow it to its end; every process is gone and
    the job directory removed when this returns.

    Returns None when the job was stopped (``on_progress`` said False or ``should_stop()``),
    else what it left: {"samples": [...]} for a generate job, {} otherwise. Raises ChildFailed
    with the failing rank's traceback (or the job's last lines) when it exited with an error.
    """
    with job_directory() as job_dir:
        (job_dir / "job.json").write_text(json.dumps({**job, "num_processes": launch.num_processes}))
        (job_dir / "examples.json").write_text(json.dumps(examples))
        launched = LaunchedJob(launch_command(launch, job_dir), launch_env(launch), on_line)
        if not launched.follow(on_progress, should_stop):
            return None
        if launched.returncode != 0:
            raise ChildFailed(failure_text(job_dir, launched.returncode, launched.tail))
        samples = job_dir / SAMPLES
        return {"samples": json.loads(samples.read_text())} if samples.exists() else {}


def exec_with_parent(parent: int, command: list[str]) -> None:
    """Become ``command``, set to receive SIGTERM when the worker that started it dies."""
    die_with_parent(signal.SIGTERM)
    if os.getppid() != parent:  # the worker died before the signal was set
        sys.exit(1)
    os.execvp(command[0], command)


def die_with_parent(sig) -> None:
    """Linux: receive ``sig`` when the parent dies (kept across exec, cleared on fork)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


if __name__ == "__main__":  # python -m training.launch exec-with-parent PID -- command...
    if sys.argv[1:2] != ["exec-with-parent"] or sys.argv[3:4] != ["--"]:
        sys.exit("usage: python -m training.launch exec-with-parent PID -- command...")
    exec_with_parent(int(sys.argv[2]), sys.argv[4:])

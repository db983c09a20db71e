"""bench/bench_gpu.py is run by hand on a lent GPU machine, where a broken script costs the whole
loan: its smoke mode runs the same code on tiny shapes here, without Django."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN = (
    "import runpy, sys; sys.argv = ['bench_gpu.py', '--smoke'];"
    "runpy.run_path('bench/bench_gpu.py', run_name='__main__');"
    "assert 'django' not in sys.modules, 'the GPU bench must not import Django'"
)


def test_smoke_run_prints_every_row_without_django():
    done = subprocess.run([sys.executable, "-c", RUN], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for row in ("sft-lora-8b", "dpo-lora-8b", "sft-full-1b", "grpo-1b"):
        assert row in done.stdout
    assert "tokens/s" in done.stdout

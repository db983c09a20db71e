"""The production image is safe by default, whoever starts it."""

import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parent.parent / "Dockerfile"


def _final_stage_env() -> dict[str, str]:
    """The ``ENV`` settings of the last ``FROM`` stage (the image that runs)."""
    final_stage = DOCKERFILE.read_text().split("\nFROM ")[-1]
    joined = final_stage.replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in joined.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line))
    return env


def test_the_image_runs_with_debug_off_unless_told_otherwise():
    assert _final_stage_env().get("DEBUG") == "0"

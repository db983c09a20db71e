"""The frontend's copy of the shared Python constants (frontend/src/generated/constants.ts) is
the one scripts/frontend_constants.py writes from them: a stale file fails here."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "frontend_constants.py"


def _generator():
    spec = importlib.util.spec_from_file_location("frontend_constants", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_constants_are_current():
    generator = _generator()
    assert generator.TARGET.read_text() == generator.render(), (
        "frontend/src/generated/constants.ts is stale: run .venv/bin/python scripts/frontend_constants.py"
    )


def test_generated_constants_carry_the_python_values():
    from labeling.rankings import LETTERS, OVERALL

    text = _generator().TARGET.read_text()
    assert f'export const LETTERS = "{LETTERS}";' in text
    assert f'export const OVERALL = "{OVERALL}";' in text
    assert f"export const MAX_SPLIT_SEED = {2**31 - 1};" in text

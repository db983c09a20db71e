"""The shape docs/architecture.md describes, held: module and function sizes, which package may
import which, and no training stage importing another."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("labeling", "training", "annotation_site", "durable")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 45  # "about 40", docstring and decorators included

# A stage is a module a run executes; the rest of training/ml is what stages share.
STAGES = {"reward", "sft", "dpo", "kto", "ppo", "group_rl", "generate", "evaluate", "judge"}


def sources(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_module_is_a_few_hundred_lines_at_most():
    long = [
        f"{path.relative_to(ROOT)}: {len(path.read_text().splitlines())} lines"
        for path, _ in sources(*PACKAGES)
        if len(path.read_text().splitlines()) > MAX_MODULE_LINES
    ]
    assert long == []


def test_every_function_fits_on_a_screen():
    long = []
    for path, tree in sources(*PACKAGES):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if node.end_lineno - start + 1 > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []


def test_labeling_never_imports_training():
    reached = [
        f"{path.relative_to(ROOT)}: {module}"
        for path, tree in sources("labeling")
        for module in imported_modules(tree)
        if module.split(".")[0] == "training"
    ]
    assert reached == []


def test_no_training_stage_imports_another():
    stage_modules = {f"training.ml.{stage}" for stage in STAGES}
    assert all((ROOT / "training" / "ml" / f"{stage}.py").exists() for stage in STAGES)
    reached = []
    for stage in sorted(STAGES):
        tree = ast.parse((ROOT / "training" / "ml" / f"{stage}.py").read_text())
        others = (imported_modules(tree) & stage_modules) - {f"training.ml.{stage}"}
        reached += [f"{stage} imports {other}" for other in sorted(others)]
    assert reached == []

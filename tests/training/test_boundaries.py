"""What training may import from labeling: a few public functions and types, nothing else.

Training reads the models it points at (a run's project and snapshot), checks permissions and
domain errors the way the API does, reads a snapshot's records through one function, checks a
run's criteria against its project and counts the judgments its snapshot would export, stores generated responses through the import service and
sets the serving priority through labeling's own service, and reads the comparisons a judge
run judges and stores its verdicts through labeling.judges. Anything else it needs becomes a
public function in labeling first, and joins this list. ``training/ml`` imports neither labeling
nor Django.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LABELING_PUBLIC = {
    "labeling.access": {"access_project"},
    "labeling.errors": {"Conflict", "DomainError", "InvalidInput", "NotFound"},
    "labeling.params": {"id_param", "int_param", "is_row_id"},
    "labeling.models": {"DatasetSnapshot", "JudgeKind", "Project", "Prompt", "SnapshotStatus"},
    "labeling.projects.selectors": {"project_list_for"},
    "labeling.exports.options": {"ExportFilters", "ExportOptions", "SnapshotOptions"},
    "labeling.exports.records": {"KTORecord", "PreferenceRecord", "PromptRecord", "Record", "SFTRecord"},
    "labeling.exports.snapshots": {
        "snapshot_create", "snapshot_from_records", "snapshot_prompt_records", "snapshot_records",
    },
    "labeling.exports.services": {"criteria_check", "judgment_filter"},
    "labeling.annotation.priority": {
        "comparison_priority_set", "comparison_responses", "judge_priority_set", "open_comparison_ids",
    },
    "labeling.imports.formats": {"ImportRecord", "LABELLED_FORMATS", "PARSERS", "RecordError", "RecordSkipped", "same_text"},
    "labeling.imports.services": {"import_records"},
    "labeling.judges.selectors": {"judge_comparison_ids", "judge_comparisons", "judge_rubric"},
    "labeling.judges.services": {"judge_for_checkpoint", "judge_verdicts_store"},
}


def imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for each name ``path`` imports; (module, "") for a plain ``import module``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(alias.name, "") for alias in node.names]
    return out


def test_training_imports_only_labelings_public_functions():
    reached = [
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in (ROOT / "training").rglob("*.py")
        if "migrations" not in path.parts
        for module, name in imports(path)
        if module.split(".")[0] == "labeling" and name not in LABELING_PUBLIC.get(module, ())
    ]
    assert reached == []


def test_training_ml_imports_neither_labeling_nor_django():
    reached = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "training" / "ml").rglob("*.py")
        for module, _ in imports(path)
        if module.split(".")[0] in ("labeling", "django", "rest_framework")
    ]
    assert reached == []

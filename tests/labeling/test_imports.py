import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from labeling.errors import ImportFailed, InvalidInput
from labeling.models import (
    Comparison,
    ComparisonResponse,
    DataImport,
    Judgment,
    Project,
    Prompt,
    Response,
)
from labeling.services.imports import import_file
from tests.factories import ProjectFactory

SHARED_HH = Path(__file__).resolve().parents[3] / "shared" / "data" / "hh_rlhf_sample.jsonl"
DEMO_HH = Path(__file__).resolve().parents[2] / "demo" / "hh_rlhf_300.jsonl"


def lines(*objs) -> list[bytes]:
    return [(json.dumps(o) if not isinstance(o, str) else o).encode() + b"\n" for o in objs]


def hh(i: int, chosen="Sure.", rejected="No.") -> dict:
    return {"chosen": f"\n\nHuman: question {i}\n\nAssistant: {chosen}", "rejected": f"\n\nHuman: question {i}\n\nAssistant: {rejected}"}


def candidates(i: int, n: int = 3) -> dict:
    return {"prompt": f"prompt {i}", "responses": [{"text": f"answer {i}.{k}", "model": f"m{k}"} for k in range(n)]}


def counts(project) -> tuple[int, int, int, int]:
    return (
        Prompt.objects.filter(project=project).count(),
        Response.objects.filter(project=project).count(),
        Comparison.objects.filter(project=project).count(),
        Judgment.objects.filter(project=project).count(),
    )


@pytest.fixture
def project(db):
    return ProjectFactory()


def test_hh_pairs_become_one_comparison_each_with_randomised_order(project):
    result = import_file(project=project, lines=lines(*[hh(i) for i in range(40)]), format="hh-rlhf")
    assert result.counts["comparisons"] == 40
    first_letters = set(
        ComparisonResponse.objects.filter(position=0, comparison__project=project).values_list("response__text", flat=True)
    )
    assert first_letters == {"Sure.", "No."}  # chosen is not always shown as A


def test_reimporting_the_same_file_adds_nothing(project):
    data = lines(*[hh(i) for i in range(5)])
    import_file(project=project, lines=data, format="hh-rlhf")
    before = counts(project)
    result = import_file(project=project, lines=data, format="hh-rlhf")
    assert counts(project) == before
    assert result.counts["comparisons"] == 0


def test_malformed_line_in_the_middle_stores_nothing_and_names_the_line(project):
    data = lines(hh(1), hh(2), "{not json", hh(4))
    with pytest.raises(ImportFailed, match="line 3: invalid JSON") as err:
        import_file(project=project, lines=data, format="hh-rlhf")
    assert err.value.line == 3
    assert counts(project) == (0, 0, 0, 0)
    assert not DataImport.objects.exists()


def test_missing_field_fails_the_import_after_earlier_batches_were_written(project):
    data = lines(*[hh(i) for i in range(2500)], {"chosen": "x"}, hh(9999))
    with pytest.raises(ImportFailed, match="line 2501: missing field 'rejected'"):
        import_file(project=project, lines=data, format="hh-rlhf")
    assert counts(project) == (0, 0, 0, 0)


def test_identical_pair_is_reported_as_skipped(project):
    result = import_file(project=project, lines=lines(hh(1), hh(2, "Same", "Same"), hh(3)), format="hh-rlhf")
    assert result.skipped == [{"line": 2, "reason": "chosen and rejected responses are identical"}]
    assert result.counts["comparisons"] == 2


def test_with_labels_stores_the_chosen_response_as_the_winner(project):
    import_file(project=project, lines=lines(hh(1), hh(2)), format="hh-rlhf", with_labels=True)
    for judgment in Judgment.objects.filter(project=project):
        winner_text = judgment.comparison.slots.get(position="ab".index(judgment.winner)).response.text
        assert winner_text == "Sure."
        assert judgment.annotator.username == "import:hh-rlhf"
        assert not judgment.annotator.is_active
    comparison = Comparison.objects.filter(project=project).first()
    assert (comparison.judgment_count, comparison.holders, comparison.is_open) == (1, 1, False)


def test_labels_are_not_duplicated_on_reimport(project):
    data = lines(hh(1), hh(2))
    import_file(project=project, lines=data, format="hh-rlhf", with_labels=True)
    import_file(project=project, lines=data, format="hh-rlhf", with_labels=True)
    assert Judgment.objects.filter(project=project).count() == 2
    assert set(Comparison.objects.values_list("judgment_count", flat=True)) == {1}


def test_candidates_in_a_pairwise_project_give_every_pair(project):
    import_file(project=project, lines=lines(candidates(1, n=4)), format="candidates")
    assert Comparison.objects.filter(project=project).count() == 6


def test_candidates_in_a_ranking_project_give_k_way_comparisons(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3)
    import_file(project=project, lines=lines(candidates(1, n=3), candidates(2, n=5)), format="candidates")
    sizes = sorted(c.slots.count() for c in Comparison.objects.filter(project=project))
    assert sizes == [3, 3, 3]


def test_shared_prompt_across_lines_is_stored_once(project):
    import_file(project=project, lines=lines(hh(1), hh(1, "Other", "Answers")), format="hh-rlhf")
    assert counts(project)[:3] == (1, 4, 2)


def test_candidates_refuse_labels(project):
    with pytest.raises(InvalidInput, match="no labels"):
        import_file(project=project, lines=lines(candidates(1)), format="candidates", with_labels=True)


def test_import_command_creates_the_project_and_reports_skips(db, tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(b"".join(lines(hh(1), hh(2, "Same", "Same"))))
    out = io.StringIO()
    call_command("import_data", str(path), project="new-one", format="hh-rlhf", no_progress=True, stdout=out)
    assert "created project 'new-one'" in out.getvalue()
    assert "skipped line 2: chosen and rejected responses are identical" in out.getvalue()
    assert Comparison.objects.filter(project__slug="new-one").count() == 1


def test_failed_import_command_leaves_no_project_behind(db, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(lines(hh(1), {"chosen": "x"})))
    with pytest.raises(CommandError, match="line 2: missing field 'rejected'. Nothing was imported."):
        call_command("import_data", str(path), project="never", format="hh-rlhf", no_progress=True)
    assert not Project.objects.filter(slug="never").exists()


def test_demo_file_imports_cleanly(project):
    with open(DEMO_HH, "rb") as f:
        result = import_file(project=project, lines=f, format="hh-rlhf")
    assert result.counts["comparisons"] == 300 and result.skipped == []


@pytest.mark.skipif(not SHARED_HH.exists(), reason="../shared/data is not beside this checkout")
def test_real_hh_rlhf_sample_acceptance(project):
    with open(SHARED_HH, "rb") as f:
        result = import_file(project=project, lines=f, format="hh-rlhf")
    assert result.counts["lines"] == 2854
    assert [s["line"] for s in result.skipped] == [570, 1706]
    assert result.counts["comparisons"] == 2852
    assert all(m["role"] in ("user", "assistant") for p in Prompt.objects.all() for m in p.messages)
    assert all(p.messages[-1]["role"] == "user" for p in Prompt.objects.all())
    with open(SHARED_HH, "rb") as f:
        assert import_file(project=project, lines=f, format="hh-rlhf").counts["comparisons"] == 0
    with open(SHARED_HH, "rb") as f:
        broken = f.readlines()
    broken.insert(1427, b'{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: x"}\n')
    other = ProjectFactory()
    with pytest.raises(ImportFailed, match="line 1428: missing field 'rejected'"):
        import_file(project=other, lines=broken, format="hh-rlhf")
    assert counts(other) == (0, 0, 0, 0)

import csv
import io
import json
import re
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from labeling.errors import ImportFailed, InvalidInput
from labeling.imports import pipeline
from labeling.imports import services as imports
from labeling.imports.formats import ImportRecord, parse_hh_rlhf
from labeling.imports.services import import_file, import_records
from labeling.models import (
    Comparison,
    ComparisonResponse,
    DataImport,
    Judgment,
    Project,
    Prompt,
    Response,
)
from labeling.rankings import LETTERS
from labeling.stats import agreement
from labeling.stats.arrays import equal_count_rows
from labeling.stats.payload import project_stats_compute
from tests.factories import ProjectFactory, make_prompt, make_response

SHARED_HH = Path(__file__).resolve().parents[4] / "shared" / "data" / "hh_rlhf_sample.jsonl"
DEMO_HH = Path(__file__).resolve().parents[3] / "demo" / "hh_rlhf_300.jsonl"
PANDALM = Path(__file__).resolve().parents[2] / "data" / "pandalm_testset_labels.csv"


def lines(*objs) -> list[bytes]:
    return [(json.dumps(o) if not isinstance(o, str) else o).encode() + b"\n" for o in objs]


def hh(i: int, chosen="Sure.", rejected="No.") -> dict:
    return {"chosen": f"\n\nHuman: question {i}\n\nAssistant: {chosen}", "rejected": f"\n\nHuman: question {i}\n\nAssistant: {rejected}"}


def trl(i: int, chosen="Sure.", rejected="No.") -> dict:
    return {"prompt": f"question {i}", "chosen": chosen, "rejected": rejected}


def pair(format: str, i: int, chosen: str, rejected: str) -> dict:
    return (hh if format == "hh-rlhf" else trl)(i, chosen, rejected)


def candidates(i: int, n: int = 3) -> dict:
    return {"prompt": f"prompt {i}", "responses": [{"text": f"answer {i}.{k}", "model": f"m{k}"} for k in range(n)]}


def counts(project) -> tuple[int, int, int, int]:
    return (
        Prompt.objects.filter(project=project).count(),
        Response.objects.filter(project=project).count(),
        Comparison.objects.filter(project=project).count(),
        Judgment.objects.filter(project=project).count(),
    )


def stored(project) -> set[tuple[str, tuple[str, ...]]]:
    """Each comparison as its prompt's last message and its response texts in presented order."""
    return {
        (c.prompt.messages[-1]["content"], tuple(position.response.text for position in c.positions.all()))
        for c in Comparison.objects.filter(project=project).select_related("prompt").prefetch_related("positions__response")
    }


def winner_texts(project, source: str) -> dict[int, str]:
    """Comparison id to the text in the position the source's imported judgment names best."""
    judgments = Judgment.objects.filter(project=project, annotator__username=f"import:{source}")
    return {
        j.comparison_id: j.comparison.positions.get(position=LETTERS.index(j.ranking[0] if j.ranking else j.winner)).response.text
        for j in judgments
    }


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
        winner_text = judgment.comparison.positions.get(position="ab".index(judgment.winner)).response.text
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
    sizes = sorted(c.positions.count() for c in Comparison.objects.filter(project=project))
    assert sizes == [3, 3, 3]


def test_shared_prompt_across_lines_is_stored_once(project):
    import_file(project=project, lines=lines(hh(1), hh(1, "Other", "Answers")), format="hh-rlhf")
    assert counts(project)[:3] == (1, 4, 2)


def test_candidates_refuse_labels(project):
    with pytest.raises(InvalidInput, match="no labels"):
        import_file(project=project, lines=lines(candidates(1)), format="candidates", with_labels=True)


def models_in(comparison) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((position.response.model_name, position.response.text) for position in comparison.positions.select_related("response")))


def test_two_models_giving_the_same_text_each_meet_the_third_and_not_each_other(project):
    line = {"prompt": "Is water wet?", "responses": [
        {"text": "Yes.", "model": "m1"}, {"text": "Yes.", "model": "m2"}, {"text": "No.", "model": "m3"}]}
    result = import_file(project=project, lines=lines(line), format="candidates")
    assert (result.counts["responses"], result.counts["comparisons"]) == (3, 2)
    assert {models_in(c) for c in Comparison.objects.filter(project=project)} == {
        (("m1", "Yes."), ("m3", "No.")), (("m2", "Yes."), ("m3", "No."))}
    assert import_file(project=project, lines=lines(line), format="candidates").counts["responses"] == 0


def test_a_text_stored_for_one_model_is_a_new_response_for_another_on_a_later_line(project):
    first = {"prompt": "Q", "responses": [{"text": "Same.", "model": "m1"}, {"text": "One.", "model": "m3"}]}
    later = {"prompt": "Q", "responses": [{"text": "Same.", "model": "m2"}, {"text": "Two.", "model": "m3"}]}
    import_file(project=project, lines=lines(first), format="candidates")
    import_file(project=project, lines=lines(later), format="candidates")
    assert {models_in(c) for c in Comparison.objects.filter(project=project)} == {
        (("m1", "Same."), ("m3", "One.")), (("m2", "Same."), ("m3", "Two."))}


def test_labels_credit_the_model_named_on_their_own_line(project):
    rows = [trl(1, "Yes.", "No.") | {"chosen_model": "m1", "rejected_model": "m3"},
            trl(1, "Yes.", "No.") | {"chosen_model": "m2", "rejected_model": "m3"}]
    import_labels(project, rows, "src")
    winners = {
        j.comparison.positions.get(position=LETTERS.index(j.winner)).response.model_name
        for j in Judgment.objects.filter(project=project)
    }
    assert winners == {"m1", "m2"}


@pytest.mark.parametrize("empty", ["", " \n\t"])
def test_an_empty_or_blank_response_is_imported_as_a_model_output(project, empty):
    line = {"prompt": "Q", "responses": [{"text": empty, "model": "m1"}, {"text": "An answer.", "model": "m2"}]}
    result = import_file(project=project, lines=lines(line, candidates(2)), format="candidates")
    assert result.skipped == [] and result.counts["comparisons"] == 1 + 3
    assert Response.objects.get(model_name="m1", text=empty).length_chars == len(empty)


def test_a_ranking_line_shows_a_text_two_models_share_once(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=2)
    line = {"prompt": "Q", "responses": [{"text": "Yes.", "model": "m1"}, {"text": "Yes.", "model": "m2"}, "No."]}
    import_file(project=project, lines=lines(line), format="candidates")
    assert [sorted(texts) for _, texts in stored(project)] == [["No.", "Yes."]]
    longer = {**line, "responses": [*line["responses"], "Maybe.", "Sure."]}  # 4 texts: split in two
    assert import_file(project=project, lines=lines(longer), format="candidates").counts["comparisons"] == 2
    assert import_file(project=project, lines=lines(longer), format="candidates").counts["comparisons"] == 0


def test_a_pairwise_line_with_more_responses_than_the_cap_fails_naming_it(project):
    cap = imports.MAX_PAIRWISE_RESPONSES_PER_LINE
    data = lines(candidates(1), candidates(2, n=cap + 1))
    with pytest.raises(ImportFailed, match=rf"line 2: {cap + 1} responses make {(cap + 1) * cap // 2} pairwise comparisons; "
                                          rf"a line may hold at most {cap} responses") as err:
        import_file(project=project, lines=data, format="candidates")
    assert err.value.line == 2 and counts(project) == (0, 0, 0, 0)
    result = import_file(project=project, lines=lines(candidates(3, n=cap)), format="candidates")
    assert result.counts["comparisons"] == cap * (cap - 1) // 2


def test_a_ranking_project_takes_a_line_longer_than_the_pairwise_cap(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=4)
    n = imports.MAX_PAIRWISE_RESPONSES_PER_LINE * 2
    assert import_file(project=project, lines=lines(candidates(1, n=n)), format="candidates").counts["comparisons"] == n // 4


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


# --- labels from several sources --------------------------------------------------------------


def import_labels(project, rows, source: str, format="trl"):
    return import_file(project=project, lines=lines(*rows), format=format, with_labels=True, label_source=source)


@pytest.mark.parametrize("format", ["hh-rlhf", "trl"])
def test_sources_that_disagree_store_opposite_winners_on_the_same_positions(project, format):
    import_labels(project, [pair(format, i, "Sure.", "No.") for i in range(20)], "rater1", format)
    import_labels(project, [pair(format, i, "No.", "Sure.") for i in range(20)], "rater2", format)
    assert Comparison.objects.filter(project=project).count() == 20
    first_texts = {texts[0] for _, texts in stored(project)}
    assert first_texts == {"Sure.", "No."}  # both orders were exercised
    rater1, rater2 = winner_texts(project, "rater1"), winner_texts(project, "rater2")
    assert set(rater1) == set(rater2) and len(rater1) == 20
    assert set(rater1.values()) == {"Sure."} and set(rater2.values()) == {"No."}


@pytest.mark.parametrize("format", ["hh-rlhf", "trl"])
def test_sources_that_agree_store_the_same_winner(project, format):
    for source in ("rater1", "rater2"):
        import_labels(project, [pair(format, i, "Sure.", "No.") for i in range(20)], source, format)
    by_comparison = {}
    for comparison_id, winner in Judgment.objects.filter(project=project).values_list("comparison_id", "winner"):
        by_comparison.setdefault(comparison_id, set()).add(winner)
    assert len(by_comparison) == 20 and all(len(w) == 1 for w in by_comparison.values())
    assert {w for (w,) in by_comparison.values()} == {"a", "b"}


def test_labels_in_a_ranking_project_are_rankings_on_the_stored_positions(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3)
    import_labels(project, [trl(i, "Sure.", "No.") for i in range(20)], "rater1")
    import_labels(project, [trl(i, "No.", "Sure.") for i in range(20)], "rater2")
    judgments = Judgment.objects.filter(project=project)
    assert judgments.count() == 40
    assert all(j.winner == "" and sorted(j.ranking) == ["a", "b"] for j in judgments)
    assert set(winner_texts(project, "rater1").values()) == {"Sure."}
    assert set(winner_texts(project, "rater2").values()) == {"No."}


def test_a_pair_labelled_twice_in_one_file_keeps_the_first_label(project, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_LINES", 2)
    rows = [trl(1, "Sure.", "No."), trl(1, "No.", "Sure."), trl(2, "No.", "Sure."), trl(2, "Sure.", "No.")]
    result = import_labels(project, rows, "rater1")  # pair 1 twice in one batch, pair 2 across two
    assert result.counts["judgments"] == 2
    prompts = dict(Comparison.objects.values_list("id", "prompt__messages__0__content"))
    winners = {prompts[cid]: text for cid, text in winner_texts(project, "rater1").items()}
    assert winners == {"question 1": "Sure.", "question 2": "No."}


def test_labels_follow_the_stored_order_of_comparisons_made_under_an_older_order(project):
    import_file(project=project, lines=lines(*[trl(i) for i in range(20)]), format="trl")
    positions = ComparisonResponse.objects.filter(comparison__project=project)
    positions.update(position=F("position") + 2)
    positions.update(position=3 - F("position"))  # every comparison now shows the other response as A
    before = stored(project)
    import_labels(project, [trl(i, "Sure.", "No.") for i in range(20)], "rater1")
    import_labels(project, [trl(i, "No.", "Sure.") for i in range(20)], "rater2")
    assert stored(project) == before
    assert set(winner_texts(project, "rater1").values()) == {"Sure."}
    assert set(winner_texts(project, "rater2").values()) == {"No."}


def test_rows_in_another_order_store_the_same_comparisons(db):
    pairs = [trl(i, f"good {i}", f"bad {i}") for i in range(20)] + [trl(0, "bad 0", "other 0")]
    swapped = [trl(i, f"bad {i}", f"good {i}") for i in range(20)]
    forward, backward = ProjectFactory(), ProjectFactory()
    import_file(project=forward, lines=lines(*pairs), format="trl")
    import_file(project=backward, lines=lines(pairs[-1], *reversed(swapped)), format="trl")
    assert len(stored(forward)) == 21
    assert stored(forward) == stored(backward)


def test_ranking_lines_in_another_order_are_split_the_same_way(db):
    rows = [candidates(i, n=5) for i in range(6)]
    shuffled = [{**row, "responses": row["responses"][::-1]} for row in reversed(rows)]
    projects = [ProjectFactory(task_type="ranking", responses_per_comparison=3) for _ in range(2)]
    for project, data in zip(projects, (rows, shuffled), strict=True):
        import_file(project=project, lines=lines(*data), format="candidates")
    assert stored(projects[0]) == stored(projects[1])
    assert len(stored(projects[0])) == 12


def store_comparison(project, prompt, responses) -> None:
    comparison = Comparison.objects.create(
        project=project, prompt=prompt, response_set_hash=imports._set_hash([r.id for r in responses])
    )
    for position, response in enumerate(responses):
        ComparisonResponse.objects.create(comparison=comparison, response=response, position=position)


def test_reimporting_a_ranking_line_split_under_an_older_order_adds_nothing(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3)
    fresh = ProjectFactory(task_type="ranking", responses_per_comparison=3)
    import_file(project=fresh, lines=lines(candidates(1, n=5)), format="candidates")
    prompt = make_prompt(project, "prompt 1")
    answers = [make_response(prompt, f"answer 1.{k}", f"m{k}") for k in range(5)]
    old_split = [answers[:3], [answers[0], *answers[3:]]]
    for responses in old_split:
        store_comparison(project, prompt, responses)
    assert stored(project) != stored(fresh)  # the old split is not the one made now
    assert import_file(project=project, lines=lines(candidates(1, n=5)), format="candidates").counts["comparisons"] == 0
    # a line the stored comparisons do not cover in full is split as usual
    extended = {"prompt": "prompt 1", "responses": [f"answer 1.{k}" for k in range(6)]}
    assert import_file(project=project, lines=lines(extended), format="candidates").counts["comparisons"] > 0
    assert any("answer 1.5" in texts for _, texts in stored(project))


def pandalm_pair(row: dict, label: str) -> dict:
    """A TRL row for one PandaLM item and label (1: response 1 better, 2: response 2 better)."""
    texts = {k: f"item {row['idx']}: response {k} ({row['cmp_key']})" for k in "12"}
    other = "2" if label == "1" else "1"
    return {"prompt": f"PandaLM item {row['idx']}", "chosen": texts[label], "rejected": texts[other]}


def test_pandalm_raters_imported_as_label_sources_keep_their_disagreements(project):
    """Three raters' labels on 999 items (tests/data/README.md), ties dropped as TRL cannot hold
    them: the stored agreement is the maths on the raters' own labels, not a perfect 1.0."""
    with open(PANDALM) as f:
        rows = list(csv.DictReader(f))
    raters = ("annotator1", "annotator2", "annotator3")
    for rater in raters:
        import_labels(project, [pandalm_pair(row, row[rater]) for row in rows if row[rater] != "0"], f"pandalm-{rater}")
    shown_first = set(ComparisonResponse.objects.filter(position=0).values_list("response__text", flat=True))
    matrix = np.array([
        [np.nan if row[r] == "0" else 1.0 if pandalm_pair(row, row[r])["chosen"] in shown_first else -1.0 for r in raters]
        for row in rows if any(row[r] != "0" for r in raters)
    ])
    payload = project_stats_compute(project)["agreement"]
    assert payload["n_units"] == int(np.sum(np.sum(~np.isnan(matrix), axis=1) >= 2))
    assert payload["krippendorff_alpha"] == pytest.approx(agreement.krippendorff_alpha(matrix))
    assert payload["fleiss_kappa"] == pytest.approx(agreement.fleiss_kappa(equal_count_rows(matrix)[0]))
    assert payload["cohen_kappa_mean"] == pytest.approx(agreement.cohen_kappa_mean(matrix))
    assert payload["percent_agreement"] == pytest.approx(agreement.percent_agreement(matrix))
    assert 0.8 < payload["krippendorff_alpha"] < 0.95


# --- set-based storage ----------------------------------------------------------------------------


def test_no_statement_grows_with_the_number_of_lines(project, monkeypatch):
    """Rows go to the staging tables in bulk and are stored by set-based statements: no SQL text
    lists the rows (an IN list of hashes or a multi-row VALUES cost Django and the server per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(imports, "BATCH_LINES", 1500)
    with CaptureQueriesContext(connection) as queries:
        result = import_file(project=project, lines=lines(*[candidates(i) for i in range(3000)]), format="candidates")
    assert result.counts["comparisons"] == 9000
    assert max(len(q["sql"]) for q in queries.captured_queries) < 2000
    assert len(queries.captured_queries) < 60  # two chunks of a handful of statements each


def test_chunks_of_new_prompts_and_chunks_holding_stored_ones_store_the_same_rows(project, monkeypatch):
    """A chunk whose prompts are all new stores its rows straight into their tables (PostgreSQL),
    one holding a stored prompt goes through the staging tables: the rows come out the same, each
    response with its model, and the ids drawn for the first leave the tables' sequences in step."""
    monkeypatch.setattr(imports, "BATCH_LINES", 4)
    monkeypatch.setattr(imports, "FIRST_BATCH_LINES", 4)
    import_file(project=project, lines=lines(*[candidates(i) for i in range(0, 12, 3)]), format="candidates")
    # chunks of lines 0-3, 4-7 and 8-11 hold a stored prompt; 12-15, 16-19 and 20-23 do not
    result = import_file(project=project, lines=lines(*[candidates(i) for i in range(24)]), format="candidates")
    assert result.counts["prompts"] == 20 and result.counts["responses"] == 60 and result.counts["comparisons"] == 60
    assert counts(project) == (24, 72, 72, 0)
    assert {(r.text, r.model_name) for r in Response.objects.filter(project=project)} == {
        (f"answer {i}.{k}", f"m{k}") for i in range(24) for k in range(3)
    }
    fresh = ProjectFactory()
    import_file(project=fresh, lines=lines(*[candidates(i) for i in range(24)]), format="candidates")
    assert stored(project) == stored(fresh)
    prompt = make_prompt(project)  # the ORM's next ids are free
    make_response(prompt, "after the import")
    Comparison.objects.create(project=project, prompt=prompt, response_set_hash="after the import")


def test_a_first_import_whose_prompts_repeat_across_chunks_stores_each_once(project, monkeypatch):
    """Into a project with no prompts, a chunk of prompts none of the import's earlier chunks held
    is stored straight into the table (PostgreSQL); one holding an earlier chunk's prompt goes
    through the staging tables, and the chunks after it go straight in again."""
    monkeypatch.setattr(imports, "BATCH_LINES", 4)
    monkeypatch.setattr(imports, "FIRST_BATCH_LINES", 4)
    numbers = [0, 1, 2, 3, 4, 5, 1, 6, 7, 8, 9, 10]  # the second chunk repeats prompt 1 (its three responses)
    result = import_file(project=project, lines=lines(*[candidates(i) for i in numbers]), format="candidates")
    assert result.counts["prompts"] == 11 and result.counts["responses"] == 33 and result.counts["comparisons"] == 33
    assert counts(project) == (11, 33, 33, 0)
    again = ProjectFactory()
    import_file(project=again, lines=lines(*[candidates(i) for i in range(11)]), format="candidates")
    assert stored(project) == stored(again)
    make_prompt(project)  # the ORM's next id is free


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a first import's writer thread runs on PostgreSQL only")
def test_a_row_the_writer_thread_cannot_store_fails_the_whole_import_and_leaves_nothing_running(project, monkeypatch):
    """A first import's rows are COPYed by a writer thread while the next chunk is prepared: its
    failure (here a response position naming no response) rolls back every chunk, earlier ones
    included, and stops the thread and the ids' session."""
    monkeypatch.setattr(imports, "BATCH_LINES", 4)
    monkeypatch.setattr(imports, "FIRST_BATCH_LINES", 4)
    copy, positions = pipeline.CopyWriter.copy, ComparisonResponse._meta.db_table
    chunks = []

    def broken(self, table, columns, text):
        if table == positions:
            chunks.append(table)
            if len(chunks) == 3:  # the third chunk's positions
                text = f"{text.split(chr(9), 1)[0]}\t999999999\t9\n{text}"
        return copy(self, table, columns, text)

    monkeypatch.setattr(pipeline.CopyWriter, "copy", broken)
    sessions = [row[0] for row in _sessions()]
    with pytest.raises(InvalidInput):
        import_file(project=project, lines=lines(*[candidates(i) for i in range(20)]), format="candidates")
    assert counts(project) == (0, 0, 0, 0)
    assert not [t for t in threading.enumerate() if t.name == "import-copy"]
    assert [row[0] for row in _sessions()] == sessions  # the ids' session is closed
    monkeypatch.undo()
    import_file(project=project, lines=lines(*[candidates(i) for i in range(20)]), format="candidates")
    assert counts(project) == (20, 60, 60, 0)


def _sessions() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() ORDER BY pid")
        return cursor.fetchall()


@pytest.mark.parametrize("text", ["\\N", "", '"quoted", with a comma\nand a newline', "tab\there"])
def test_texts_that_look_like_nulls_or_csv_survive_the_staging_copy(project, text):
    line = {"prompt": text or "Q", "responses": [{"text": text, "model": "m1"}, {"text": "other", "model": text}],
            "id": text, "metadata": {"note": text}}
    import_file(project=project, lines=lines(line), format="candidates")
    assert Response.objects.get(model_name="m1").text == text
    assert Response.objects.get(text="other").model_name == text
    prompt = Prompt.objects.get()
    assert (prompt.external_id, prompt.metadata) == (text, {"note": text})


# --- labels per criterion ---------------------------------------------------------------------------


def export_trl(project, criteria=()) -> list[dict]:
    from labeling.exports.options import ExportFilters, ExportOptions
    from labeling.exports.services import export_rows

    options = ExportOptions("trl", criteria=tuple(criteria), aggregation="none")
    return [row for _, row in export_rows(project=project, options=options, filters=ExportFilters())]


@pytest.fixture
def criteria_project(db):
    return ProjectFactory(criteria=["helpful", "harmless"])


def test_a_line_naming_a_criterion_stores_its_label_as_that_criterion_alone(criteria_project):
    rows = [trl(1) | {"criterion": "helpful"}, trl(2) | {"criterion": "overall"}, trl(3)]
    result = import_labels(criteria_project, rows, "src")
    assert result.counts["judgments"] == 3
    by_prompt = {j.comparison.prompt.messages[0]["content"]: j for j in Judgment.objects.filter(project=criteria_project)}
    helpful = by_prompt["question 1"]
    assert (helpful.winner, helpful.ranking) == ("", None)  # no main verdict: none was given
    assert list(helpful.criteria) == ["helpful"] and helpful.criteria["helpful"]["strength"] is None
    position = helpful.comparison.positions.get(position=LETTERS.index(helpful.criteria["helpful"]["winner"]))
    assert position.response.text == "Sure."
    for overall in (by_prompt["question 2"], by_prompt["question 3"]):
        assert overall.winner in ("a", "b") and overall.criteria == {}


def test_labels_of_one_pair_on_several_criteria_make_one_judgment_first_label_kept(criteria_project, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_LINES", 2)  # the harmless label comes in a later chunk
    rows = [trl(1, "Sure.", "No.") | {"criterion": "helpful"}, trl(1, "No.", "Sure.") | {"criterion": "helpful"},
            trl(1, "No.", "Sure.") | {"criterion": "harmless"}, trl(1, "Sure.", "No.")]
    assert import_labels(criteria_project, rows, "src").counts["judgments"] == 1
    judgment = Judgment.objects.get(project=criteria_project)
    text = {position.position: position.response.text for position in judgment.comparison.positions.all()}
    assert text[LETTERS.index(judgment.criteria["helpful"]["winner"])] == "Sure."
    assert text[LETTERS.index(judgment.criteria["harmless"]["winner"])] == "No."
    assert text[LETTERS.index(judgment.winner)] == "Sure."
    assert (judgment.comparison.judgment_count, judgment.comparison.holders) == (1, 1)
    import_labels(criteria_project, rows, "src")  # again: nothing changes
    assert Judgment.objects.get(project=criteria_project).criteria == judgment.criteria


def test_an_unknown_criterion_fails_the_import_naming_the_line_and_the_allowed_names(criteria_project):
    rows = [trl(1) | {"criterion": "helpful"}, trl(2) | {"criterion": "honest"}]
    with pytest.raises(ImportFailed, match=r"line 2: criterion 'honest' is not one of this project's "
                                           r"\(overall, helpful, harmless\)"):
        import_labels(criteria_project, rows, "src")
    assert counts(criteria_project) == (0, 0, 0, 0)


def test_a_criterion_is_ignored_without_labels(project):
    result = import_file(project=project, lines=lines(trl(1) | {"criterion": "anything"}), format="trl")
    assert result.counts["comparisons"] == 1


def test_criterion_labels_in_a_ranking_project_are_criterion_rankings(db):
    project = ProjectFactory(task_type="ranking", responses_per_comparison=3, criteria=["helpful"])
    import_labels(project, [trl(1, "Sure.", "No.") | {"criterion": "helpful"}], "src")
    judgment = Judgment.objects.get(project=project)
    assert judgment.ranking is None and sorted(judgment.criteria["helpful"]["ranking"]) == ["a", "b"]
    best = judgment.comparison.positions.get(position=LETTERS.index(judgment.criteria["helpful"]["ranking"][0]))
    assert best.response.text == "Sure."


def test_per_criterion_export_has_each_labelled_pair_under_its_criterion_only(criteria_project):
    rows = [trl(1, "Sure.", "No.") | {"criterion": "helpful"}, trl(2, "Yes.", "Nope.") | {"criterion": "harmless"},
            trl(3, "Fine.", "Bad.")]
    import_labels(criteria_project, rows, "src")
    exported = {(r["criterion"], r["prompt"], r["chosen"], r["rejected"])
                for r in export_trl(criteria_project, ["overall", "helpful", "harmless"])}
    assert exported == {("helpful", "question 1", "Sure.", "No."), ("harmless", "question 2", "Yes.", "Nope."),
                        ("overall", "question 3", "Fine.", "Bad.")}
    assert [(r["chosen"], r["rejected"]) for r in export_trl(criteria_project)] == [("Fine.", "Bad.")]


@pytest.mark.skipif(not SHARED_HH.exists(), reason="../shared/data is not beside this checkout")
def test_hh_rlhf_sample_with_its_subsets_as_criteria_exports_each_pair_once_under_its_subset(db):
    """Each line's ``source`` (helpful-base, harmless-base) as its criterion, in a project whose
    criteria are named after the subsets."""
    with open(SHARED_HH, "rb") as f:
        rows = [json.loads(line) for line in f]
    project = ProjectFactory(criteria=["helpful-base", "harmless-base"])
    data = [json.dumps(row | {"criterion": row["source"]}).encode() for row in rows]
    result = import_file(project=project, lines=data, format="hh-rlhf", with_labels=True, label_source="hh")
    assert (result.counts["comparisons"], result.counts["judgments"]) == (2852, 2852)
    exported = export_trl(project, ["helpful-base", "harmless-base"])
    reply = lambda value: value if isinstance(value, str) else value[0]["content"]  # noqa: E731
    got = Counter((r["criterion"], reply(r["chosen"]), reply(r["rejected"])) for r in exported)
    parsed = [(row["source"], parse_hh_rlhf(row, True)) for i, row in enumerate(rows, start=1) if i not in (570, 1706)]
    assert got == Counter((source, *(text for text, _ in record.responses)) for source, record in parsed)
    assert set(got.values()) == {1} and {c for c, _, _ in got} == {"helpful-base", "harmless-base"}
    assert export_trl(project) == []  # no main verdicts: the labels judge their criterion only


def test_import_command_makes_a_project_with_criteria_and_stores_criterion_labels(db, tmp_path):
    path = tmp_path / "subsets.jsonl"
    path.write_bytes(b"".join(lines(hh(1) | {"criterion": "helpful-base"}, hh(2) | {"criterion": "harmless-base"})))
    call_command("import_data", str(path), project="subsets", format="hh-rlhf", with_labels=True,
                 criteria="helpful-base, harmless-base", no_progress=True, stdout=io.StringIO())
    assert Project.objects.get(slug="subsets").criteria == ["helpful-base", "harmless-base"]
    verdicts = sorted(list(j.criteria) for j in Judgment.objects.filter(project__slug="subsets"))
    assert verdicts == [["harmless-base"], ["helpful-base"]]
    path.write_bytes(b"".join(lines(hh(3) | {"criterion": "honest"})))
    with pytest.raises(CommandError, match="line 1: criterion 'honest' is not one of this project's "
                                           r"\(overall, helpful-base, harmless-base\). Nothing was imported."):
        call_command("import_data", str(path), project="subsets", format="hh-rlhf", with_labels=True, no_progress=True)


def test_lines_are_read_ahead_in_a_thread_that_stops_when_storing_fails(project, monkeypatch):
    import threading

    monkeypatch.setattr(imports, "BATCH_LINES", 10)
    read = []

    def numbered_lines():
        for i in range(1000):
            read.append(i)
            yield lines(candidates(i))[0]

    def broken(*args):
        raise InvalidInput("storage failed")

    monkeypatch.setattr(imports, "_store_batch", broken)
    with pytest.raises(InvalidInput, match="storage failed"):
        import_file(project=project, lines=numbered_lines(), format="candidates")
    assert not any(t.name == "import-read-ahead" for t in threading.enumerate())
    assert len(read) <= 40  # a chunk or two ahead of the failed one, never the whole file


def test_progress_is_reported_per_stored_chunk_in_the_callers_thread(project, monkeypatch):
    import threading

    monkeypatch.setattr(imports, "BATCH_LINES", 10)
    data = lines(*[candidates(i) for i in range(25)])
    calls = []
    import_file(project=project, lines=data, format="candidates",
                on_progress=lambda n: calls.append((n, threading.current_thread() is threading.main_thread())))
    assert [n for n, _ in calls] == [sum(map(len, data[i : i + 10])) for i in (0, 10, 20)]
    assert all(main for _, main in calls)


def test_json_nested_too_deeply_is_a_named_line_not_a_crash(project):
    """Python's json recurses per level: a line 100,000 brackets deep raised RecursionError (a 500)."""
    deep = '{"prompt": "p", "responses": [{"text": "a"}, {"text": "b"}], "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ImportFailed, match="line 2: invalid JSON: nested too deeply"):
        good = json.dumps({"prompt": "q", "responses": [{"text": "x"}, {"text": "y"}]})
        import_file(project=project, lines=[good, deep], format="candidates")
    assert counts(project) == (0, 0, 0, 0)


GOOD = b'{"prompt": "q", "responses": [{"text": "x"}, {"text": "y"}]}\n'


@pytest.mark.parametrize(("line", "field"), [
    (rb'{"prompt": "q11 \ud800", "responses": ["a", "b"]}', "prompt"),
    (rb'{"prompt": "q", "responses": ["a", {"text": "b \uDC00", "model": "m"}]}', "responses[1].text"),
    (rb'{"prompt": "q", "responses": ["a", "b"], "metadata": {"tags": ["\udfff"]}}', "metadata.tags[0]"),
    (rb'{"prompt": "q", "responses": ["a", "b"], "metadata": {"\udbff": 1}}', "metadata.\\udbff"),
    ('{"prompt": "q", "responses": ["a", "b\ud800"]}'.encode("utf-8", "surrogatepass"), "responses[1]"),  # its raw bytes
])
def test_a_lone_surrogate_fails_the_import_naming_the_line_and_field(project, line, field):
    """An unpaired \\uD800-\\uDFFF escape is no text: hashing the prompt raised UnicodeEncodeError (a 500)."""
    with pytest.raises(ImportFailed, match=rf"^line 2: '{re.escape(field)}' holds a lone surrogate"):
        import_file(project=project, lines=[GOOD, line + b"\n"], format="candidates")
    assert counts(project) == (0, 0, 0, 0)


def test_an_escaped_surrogate_pair_is_imported_as_its_one_character(project):
    import_file(project=project, lines=[rb'{"prompt": "smile \ud83d\ude00", "responses": ["a", "b"]}'], format="candidates")
    assert Prompt.objects.get(project=project).messages == [{"role": "user", "content": "smile \U0001f600"}]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1E+999"])
def test_nan_and_infinity_fail_the_import_as_invalid_json_naming_the_line(project, number):
    """json.loads reads them; the database refused them, reported as a collision to retry."""
    line = f'{{"prompt": "q", "responses": ["a", "b"], "metadata": {{"x": {number}}}}}\n'.encode()
    with pytest.raises(ImportFailed, match=rf"^line 2: invalid JSON: .*{re.escape(number)}") as failed:
        import_file(project=project, lines=[GOOD, line], format="candidates")
    assert "collided" not in str(failed.value)
    assert counts(project) == (0, 0, 0, 0)


def test_an_integer_longer_than_python_reads_fails_the_import_naming_the_line(project):
    line = b'{"prompt": "q", "responses": ["a", "b"], "metadata": {"x": ' + b"9" * 5000 + b"}}\n"
    with pytest.raises(ImportFailed, match=r"^line 2: invalid JSON: Exceeds the limit \(4300 digits\)"):
        import_file(project=project, lines=[GOOD, line], format="candidates")
    assert counts(project) == (0, 0, 0, 0)


def test_a_malformed_line_after_stored_chunks_fails_with_its_number_and_stores_nothing(project, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_LINES", 7)
    data = lines(*[hh(i) for i in range(30)], {"chosen": "x"}, hh(99))
    with pytest.raises(ImportFailed, match="line 31: missing field 'rejected'"):
        import_file(project=project, lines=data, format="hh-rlhf")
    assert counts(project) == (0, 0, 0, 0)


def test_texts_with_tabs_line_breaks_backslashes_and_quotes_are_stored_as_they_are(project):
    """The bulk statements escape what their format gives a meaning (COPY's tab, line break,
    backslash and NULL marker; CSV's quote): every text comes back byte for byte."""
    tricky = ["a\tb", "line 1\nline 2", "crlf\r\nend", "back\\slash", "\\N", 'say "hi"', "é ✓ 字", "  padded  ", "trailing\\"]
    rows = [
        {"prompt": f"prompt {t}", "responses": [{"text": t, "model": f"m\t{i}"}, {"text": f"other {t}", "model": "m\\2"}],
         "id": f"id\n{i}", "metadata": {"note": t}}
        for i, t in enumerate(tricky)
    ]
    import_file(project=project, lines=lines(*rows), format="candidates")
    stored = {(r.text, r.model_name) for r in Response.objects.filter(project=project)}
    assert stored == {(t, f"m\t{i}") for i, t in enumerate(tricky)} | {(f"other {t}", "m\\2") for t in tricky}
    prompts = {p.messages[-1]["content"]: (p.external_id, p.metadata) for p in Prompt.objects.filter(project=project)}
    assert prompts == {f"prompt {t}": (f"id\n{i}", {"note": t}) for i, t in enumerate(tricky)}


def test_a_nul_a_model_wrote_is_stored_visible_not_refused(project):
    """A file holding a NUL is refused (its line named); generated text is a model's output, kept
    as U+FFFD so the run that sampled it does not fail on PostgreSQL, which cannot store NUL."""
    record = ImportRecord([{"role": "user", "content": "Say hi"}], [("hi\x00there", "policy"), ("hello", "base")])
    import_records(project=project, records=[record], source_name="generate:test")
    assert sorted(Response.objects.filter(project=project).values_list("text", flat=True)) == ["hello", "hi\ufffdthere"]


def test_the_collector_runs_rarely_during_an_import_and_as_before_after_it(project, monkeypatch):
    """An import's many short-lived objects would run Python's collector hundreds of times per 10k
    lines (a third of the importing process's CPU): the threshold is raised while it runs, and
    restored after it, whether it succeeds or fails."""
    import gc

    before, seen = gc.get_threshold(), []
    store = imports._store_batch
    monkeypatch.setattr(imports, "_store_batch", lambda *args: (seen.append(gc.get_threshold()), store(*args)))
    import_file(project=project, lines=lines(candidates(1)), format="candidates")
    assert seen and seen[0][0] >= 50_000 and seen[0][1:] == before[1:]
    assert gc.get_threshold() == before
    with pytest.raises(ImportFailed):
        import_file(project=project, lines=lines(candidates(2), {"prompt": "x"}), format="candidates")
    assert gc.get_threshold() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent sessions: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_first_imports_of_the_same_prompts_at_once_store_one_and_refuse_the_other_cleanly(monkeypatch):
    """Two imports into the same empty project, of the same 400 prompts in opposite orders (each
    waits on rows the other has written): one stores them all, the other is refused with the
    import's 'collided, retry' error (never a server error), and nothing of it is stored."""
    from django.db import connections

    monkeypatch.setattr(imports, "BATCH_LINES", 50)
    project = ProjectFactory()
    files = [lines(*[candidates(i) for i in range(400)]), lines(*[candidates(i) for i in reversed(range(400))])]
    outcomes, start = [], threading.Barrier(2)

    def run(data):
        try:
            start.wait()
            import_file(project=project, lines=data, format="candidates")
            outcomes.append("stored")
        except InvalidInput as exc:
            outcomes.append(f"refused: {exc.message}")
        except Exception as exc:  # what must not happen
            outcomes.append(f"error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(data,)) for data in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == 2 and not any(o.startswith("error") for o in outcomes), outcomes
    assert "stored" in outcomes
    assert counts(project) == (400, 1200, 1200, 0)
    assert DataImport.objects.filter(project=project).count() == outcomes.count("stored")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a first import's writer thread runs on PostgreSQL only")
def test_a_first_import_without_a_second_session_runs_without_its_writer_thread(project, monkeypatch):
    """The server at max_connections refuses the session the ids are drawn on: the import runs
    as on a project with prompts (every COPY in the importing thread), and stores the same."""
    started = []

    def refused(params):
        raise connection.Database.OperationalError("FATAL: sorry, too many clients already")

    monkeypatch.setattr(connection, "get_new_connection", refused)
    monkeypatch.setattr(pipeline.CopyWriter, "__init__", lambda self: started.append(self))
    result = import_file(project=project, lines=lines(*[candidates(i) for i in range(20)]), format="candidates")
    assert result.counts["comparisons"] == 60 and counts(project) == (20, 60, 60, 0)
    assert started == []


def test_an_inline_imports_record_starts_before_it_finishes(project):
    """Its record is written at its end; it says when the import started."""
    done = import_labels(project, [trl(i) for i in range(3)], "arena")
    stored = DataImport.objects.get(pk=done.pk)
    assert stored.created_at <= stored.finished_at and stored.created_at == done.created_at

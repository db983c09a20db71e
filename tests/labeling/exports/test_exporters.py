"""The pure export module: preferences, rows per format, split, writers. No database."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labeling.exports.options import (
    ExportError,
    ExportFilters,
    ExportOptions,
    ExportStats,
    check_file_type,
)
from labeling.exports.preferences import (
    JudgedComparison,
    JudgmentRow,
    agreement,
    comparison_passes,
    pair_verdicts,
)
from labeling.exports.records import prompt_text
from labeling.exports.rows import (
    annotator_pseudonym,
    comparison_rows,
    split_of,
)
from labeling.exports.writers import (
    JsonlWriter,
    Sink,
    csv_cell,
    make_writer,
)
from labeling.imports.formats import parse_hh_rlhf, parse_trl

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
QUESTION = [{"role": "user", "content": "Capital of France?"}]


def judgment(winner="", strength=None, ranking=None, annotator=1, **details) -> JudgmentRow:
    return JudgmentRow(len(details) + annotator, annotator, winner, strength, ranking, T0, **details)


def comparison(*judgments, texts=("Paris.", "Lyon."), messages=QUESTION, models=None) -> JudgedComparison:
    models = models or [f"m{i}" for i in range(len(texts))]
    responses = [(100 + i, text, model) for i, (text, model) in enumerate(zip(texts, models, strict=True))]
    return JudgedComparison(7, 3, "prompt-hash", messages, responses, False, list(judgments))


def rows(c, fmt="trl", **options) -> list[dict]:
    return comparison_rows(c, ExportOptions(fmt, **options), ExportStats())


def chosen_rejected(c, **options) -> list[tuple[str, str]]:
    return [(r["chosen"], r["rejected"]) for r in rows(c, **options)]


# --- preferences ---------------------------------------------------------------------------------


def test_pairwise_verdict_is_signed_by_winner_and_strength():
    assert pair_verdicts(judgment("a", 2), "all") == {(0, 1): 2.0}
    assert pair_verdicts(judgment("b", 3), "all") == {(0, 1): -3.0}
    assert pair_verdicts(judgment("tie"), "all") == {(0, 1): 0.0}
    assert pair_verdicts(judgment("b"), "all") == {(0, 1): -1.0}  # no scale counts 1


def test_ranking_gives_all_pairs_or_best_versus_rest():
    ranked = judgment(ranking=["c", "a", "b"])
    assert pair_verdicts(ranked, "all") == {(0, 2): -1.0, (1, 2): -1.0, (0, 1): 1.0}
    assert pair_verdicts(ranked, "best-vs-rest") == {(0, 2): -1.0, (1, 2): -1.0}


def test_majority_takes_the_most_common_outcome():
    c = comparison(judgment("a", annotator=1), judgment("a", annotator=2), judgment("b", annotator=3))
    assert chosen_rejected(c) == [("Paris.", "Lyon.")]


def test_an_evenly_split_verdict_is_dropped_and_counted():
    c = comparison(judgment("a", annotator=1), judgment("b", annotator=2))
    stats = ExportStats()
    assert comparison_rows(c, ExportOptions("trl"), stats) == []
    assert stats.split == 1


def test_a_tie_majority_gives_no_pair_and_is_counted():
    c = comparison(judgment("tie", annotator=1), judgment("tie", annotator=2), judgment("a", annotator=3))
    stats = ExportStats()
    assert comparison_rows(c, ExportOptions("trl"), stats) == []
    assert stats.tie == 1


def test_mean_strength_weighs_verdicts_where_majority_counts_heads():
    c = comparison(judgment("a", 3, annotator=1), judgment("b", 1, annotator=2), judgment("b", 1, annotator=3))
    assert chosen_rejected(c, aggregation="majority") == [("Lyon.", "Paris.")]
    [row] = rows(c, aggregation="mean-strength")
    assert (row["chosen"], row["margin"]) == ("Paris.", pytest.approx(1 / 3))


def test_aggregated_rows_say_how_sure_they_are_and_single_judgments_do_not():
    c = comparison(judgment("a", 3, annotator=1), judgment("b", 1, annotator=2), judgment("b", 1, annotator=3))
    assert [r["label_confidence"] for r in rows(c, aggregation="majority")] == [pytest.approx(2 / 3)]
    # mean strength takes A (3 against 1 + 1): A holds 3 of the 5 strength points
    assert [r["label_confidence"] for r in rows(c, aggregation="mean-strength")] == [pytest.approx(3 / 5)]
    assert all("label_confidence" not in r for r in rows(c, aggregation="none"))


def test_dawid_skene_takes_no_criteria():
    with pytest.raises(ExportError, match="dawid-skene aggregates the main verdict only"):
        ExportOptions("trl", aggregation="dawid-skene", criteria=("harmless",))


def test_aggregation_none_gives_a_row_per_judgment():
    c = comparison(judgment("a", annotator=1), judgment("b", annotator=2), judgment("tie", annotator=3))
    assert chosen_rejected(c, aggregation="none") == [("Paris.", "Lyon."), ("Lyon.", "Paris.")]


def test_swapping_the_presented_order_keeps_the_preference():
    forward = comparison(judgment("a", annotator=1), judgment("a", annotator=2), judgment("b", annotator=3))
    swapped = comparison(
        judgment("b", annotator=1), judgment("b", annotator=2), judgment("a", annotator=3), texts=("Lyon.", "Paris."), models=["m1", "m0"]
    )
    assert rows(forward) == rows(swapped)


def test_result_does_not_depend_on_judgment_order():
    judgments = [judgment(ranking=r, annotator=i) for i, r in enumerate([["a", "b", "c"], ["b", "a", "c"], ["a", "c", "b"]])]
    texts = ("x", "y", "z")
    for aggregation in ("majority", "mean-strength"):
        assert rows(comparison(*judgments, texts=texts), aggregation=aggregation) == rows(
            comparison(*reversed(judgments), texts=texts), aggregation=aggregation
        )


def test_agreement_is_the_mean_share_of_the_top_outcome():
    assert agreement(comparison(judgment("a"))) == 1.0
    assert agreement(comparison(judgment("a", annotator=1), judgment("a", annotator=2), judgment("b", annotator=3))) == pytest.approx(2 / 3)
    assert agreement(comparison(judgment("a", annotator=1), judgment("tie", annotator=2))) == 0.5


def test_comparison_filters_on_judgment_count_and_agreement():
    split = comparison(judgment("a", annotator=1), judgment("b", annotator=2))
    assert comparison_passes(split, ExportFilters(min_judgments=2), "all")
    assert not comparison_passes(split, ExportFilters(min_judgments=3), "all")
    assert not comparison_passes(split, ExportFilters(min_agreement=0.6), "all")
    assert comparison_passes(comparison(judgment("a")), ExportFilters(min_agreement=1.0), "all")


# --- rows per format -----------------------------------------------------------------------------


def test_trl_standard_row_parses_back_to_the_same_pair():
    [row] = rows(comparison(judgment("b")))
    assert row == {"prompt": "Capital of France?", "chosen": "Lyon.", "rejected": "Paris.", "chosen_model": "m1",
                   "rejected_model": "m0", "label_confidence": 1.0}
    record = parse_trl(row, with_labels=True)
    assert (record.messages, record.responses, record.chosen) == (QUESTION, [("Lyon.", "m1"), ("Paris.", "m0")], 0)


def test_trl_conversational_row_keeps_roles():
    history = [{"role": "system", "content": "Be brief."}, *QUESTION]
    [row] = rows(comparison(judgment("a"), messages=history), conversational=True)
    assert row["prompt"] == history
    assert row["chosen"] == [{"role": "assistant", "content": "Paris."}]
    assert parse_trl(row).messages == history


@pytest.mark.parametrize("history", [
    [*QUESTION, {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "And Italy?"}],
    [{"role": "system", "content": "Be brief."}, *QUESTION],
])
def test_a_conversation_has_no_standard_row_so_files_never_mix_strings_and_transcripts(history):
    assert prompt_text(QUESTION) == "Capital of France?"
    with pytest.raises(ExportError, match="conversational"):
        prompt_text(history)
    with pytest.raises(ExportError, match="conversational"):
        rows(comparison(judgment("a"), messages=history), conversational=False)
    [row] = rows(comparison(judgment("a"), messages=history), conversational=True)
    assert row["prompt"] == history


def test_hh_rlhf_row_parses_back_with_the_importer():
    history = [*QUESTION, {"role": "assistant", "content": "Paris."}, {"role": "user", "content": "Sure?"}]
    [row] = rows(comparison(judgment("a"), messages=history, texts=("Yes.", "No.")), "hh-rlhf")
    assert row["chosen"] == "\n\nHuman: Capital of France?\n\nAssistant: Paris.\n\nHuman: Sure?\n\nAssistant: Yes."
    record = parse_hh_rlhf(row, with_labels=True)
    assert record.messages == history
    assert [text for text, _ in record.responses] == ["Yes.", "No."]


def test_kto_labels_chosen_and_rejected():
    kto = rows(comparison(judgment("b")), "kto")
    assert [(r["completion"], r["label"]) for r in kto] == [("Paris.", False), ("Lyon.", True)]


def test_kto_from_a_ranking_labels_by_net_wins_and_skips_the_middle():
    kto = rows(comparison(judgment(ranking=["a", "b", "c"]), texts=("x", "y", "z")), "kto")
    assert [(r["completion"], r["label"]) for r in kto] == [("x", True), ("z", False)]


def test_sft_winners_only_when_asked_and_once_per_response():
    c = comparison(judgment("a"))
    assert rows(c, "sft") == []
    seen = set()
    options = ExportOptions("sft", include_winners=True)
    first = comparison_rows(c, options, ExportStats(), seen=seen)
    assert first == [{"messages": [*QUESTION, {"role": "assistant", "content": "Paris."}]}]
    assert comparison_rows(c, options, ExportStats(), seen=seen) == []


def criteria_json(**verdicts) -> str:
    return json.dumps(verdicts)


def test_rows_per_criterion_are_decided_by_that_criterion_alone():
    # Overall both annotators prefer a; on harmlessness both prefer b; on helpfulness they split.
    c = comparison(
        judgment("a", annotator=1, criteria_json=criteria_json(harmless={"winner": "b"}, helpful={"winner": "a"})),
        judgment("a", annotator=2, criteria_json=criteria_json(harmless={"winner": "b"}, helpful={"winner": "b"})),
    )
    stats = ExportStats()
    out = comparison_rows(c, ExportOptions("trl", criteria=("overall", "harmless", "helpful")), stats)
    assert [(r["criterion"], r["chosen"], r["rejected"]) for r in out] == [
        ("overall", "Paris.", "Lyon."),
        ("harmless", "Lyon.", "Paris."),
    ]
    assert stats.split == 1  # helpful: one verdict each way gives no row
    assert {r["chosen_model"] for r in out} == {"m0", "m1"}


def test_rows_per_criterion_read_ranking_verdicts_and_strength():
    ranked = comparison(
        judgment(ranking=["a", "b", "c"], criteria_json=criteria_json(harmless={"ranking": ["c", "b", "a"]})),
        texts=("A.", "B.", "C."),
    )
    pairs = [(r["chosen"], r["rejected"]) for r in rows(ranked, criteria=("harmless",), pairs="best-vs-rest")]
    assert pairs == [("C.", "A."), ("C.", "B.")]
    scaled = comparison(judgment("a", 1, criteria_json=criteria_json(harmless={"winner": "b", "strength": 3})))
    [row] = rows(scaled, criteria=("harmless",), aggregation="mean-strength")
    assert (row["chosen"], row["margin"], row["criterion"]) == ("Lyon.", 3.0, "harmless")


def test_a_judgment_without_a_verdict_on_the_criterion_is_left_out():
    c = comparison(judgment("a", annotator=1), judgment("b", annotator=2, criteria_json=criteria_json(harmless={"winner": "b"})))
    assert chosen_rejected(c, criteria=("harmless",)) == [("Lyon.", "Paris.")]


def test_raw_row_has_pseudonym_scale_criteria_and_flags():
    criteria = '{"helpful": {"winner": "a"}, "harmless": {"winner": "b"}}'
    v = judgment("a", 2, criteria_json=criteria, rationale="clearer", time_spent_ms=4200, flags=("unsafe",))
    [row] = comparison_rows(
        comparison(v), ExportOptions("raw"), ExportStats(), pseudonym=lambda uid: f"p{uid}", scale=["slightly", "clearly", "much"]
    )
    assert row["annotator"] == "p1"
    assert (row["strength"], row["strength_label"], row["scale_size"]) == (2, "clearly", 3)
    assert row["criteria"] == '{"harmless": {"winner": "b"}, "helpful": {"winner": "a"}}'  # keys sorted
    assert (row["rationale"], row["time_spent_ms"], row["flags"]) == ("clearer", 4200, ["unsafe"])
    assert row["created_at"] == "2024-05-01T12:00:00+00:00"
    assert row["models"] == ["m0", "m1"]


def test_pseudonym_is_stable_keyed_and_hides_the_id():
    salt = b"k" * 32
    assert annotator_pseudonym(42, salt) == annotator_pseudonym(42, salt)
    assert annotator_pseudonym(42, salt) != annotator_pseudonym(42, b"other")
    assert annotator_pseudonym(42, salt) != annotator_pseudonym(43, salt)
    pseudonym = annotator_pseudonym(42, salt)
    assert len(pseudonym) == 16 and pseudonym != hashlib.sha256(b"42").hexdigest()[:16]  # keyed, not guessable


# --- split -----------------------------------------------------------------------------------------


def test_split_is_deterministic_and_near_the_fraction():
    keys = [f"prompt-{i}" for i in range(4000)]
    first = [split_of(k, 5, 0.2) for k in keys]
    assert first == [split_of(k, 5, 0.2) for k in keys]
    assert 0.17 < first.count("validation") / len(keys) < 0.23
    assert first != [split_of(k, 6, 0.2) for k in keys]
    assert {split_of(k, 5, 0.0) for k in keys} == {"train"}


# --- writers and options ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cell_guards_formula_starts(text):
    assert csv_cell(text) == "'" + text


def test_csv_cell_leaves_plain_values():
    assert [csv_cell(v) for v in ("fine", 3, None, True, ["a"], "a=b")] == ["fine", "3", "", "true", '["a"]', "a=b"]


def test_csv_writer_output_reads_back_guarded():
    sink = Sink()
    writer = make_writer("csv", sink, ExportOptions("raw"))
    c = comparison(judgment("a", rationale='=HYPERLINK("http://x")'))
    for row in comparison_rows(c, ExportOptions("raw"), ExportStats()):
        writer.write(row)
    writer.close()
    [row] = list(csv.DictReader(io.StringIO(sink.drain().decode())))
    assert row["rationale"] == "'=HYPERLINK(\"http://x\")"


def test_sink_hashes_and_counts_what_it_passes_on():
    target = io.BytesIO()
    sink = Sink(target)
    writer = JsonlWriter(sink, batch=2)
    for i in range(5):
        writer.write({"i": i})
    writer.close()
    assert target.getvalue().decode().splitlines() == [json.dumps({"i": i}, separators=(",", ":")) for i in range(5)]
    assert (sink.size, sink.sha256.hexdigest()) == (len(target.getvalue()), hashlib.sha256(target.getvalue()).hexdigest())


def test_parquet_is_written_in_row_groups_with_fixed_types():
    options = ExportOptions("raw")
    sink = Sink()
    writer = make_writer("parquet", sink, options)
    writer.row_group_size = 2
    for i in range(5):
        writer.write(comparison_rows(comparison(judgment("a", annotator=i)), options, ExportStats())[0])
    writer.close()
    parquet = pq.ParquetFile(io.BytesIO(sink.drain()))
    assert parquet.metadata.num_row_groups == 3
    table = parquet.read()
    assert table.num_rows == 5
    assert table.schema.field("ranking").type.value_type == pa.string()  # typed although all null


def test_parquet_of_rows_per_criterion_has_the_criterion_column():
    options = ExportOptions("trl", criteria=("harmless",))
    sink = Sink()
    writer = make_writer("parquet", sink, options)
    c = comparison(judgment("a", criteria_json=criteria_json(harmless={"winner": "b"})))
    for row in comparison_rows(c, options, ExportStats()):
        writer.write(row)
    writer.close()
    assert pq.read_table(io.BytesIO(sink.drain())).column("criterion").to_pylist() == ["harmless"]


def test_options_and_filters_reject_what_they_do_not_know():
    with pytest.raises(ExportError, match="unknown format"):
        ExportOptions("csv")
    with pytest.raises(ExportError, match="criteria: only the trl format has a criterion column, not kto"):
        ExportOptions("kto", criteria=("harmless",))
    with pytest.raises(ExportError, match="criteria must be distinct"):
        ExportOptions("trl", criteria=("harmless", "harmless"))
    with pytest.raises(ExportError, match="CSV is only offered for the raw format"):
        check_file_type(ExportOptions("trl"), "csv")
    with pytest.raises(ExportError, match="unknown filter"):
        ExportFilters.from_json({"annotator__username": "x"})
    with pytest.raises(ExportError, match="min_agreement"):
        ExportFilters(min_agreement=2)
    with pytest.raises(ExportError, match="exclude_annotators must be a list"):
        ExportFilters.from_json({"exclude_annotators": "1,2"})
    with pytest.raises(ExportError, match="invalid filters"):
        ExportFilters.from_json({"created_after": "last tuesday"})


def test_filters_survive_a_json_round_trip():
    filters = ExportFilters(min_agreement=0.7, exclude_ties=True, exclude_annotators=(3, 4), created_after=T0, models=("m0",))
    assert ExportFilters.from_json(json.loads(json.dumps(filters.as_json()))) == filters

"""Records and the file rows they are written as: what a snapshot writes, training reads back as it was."""

import json

import pytest

from labeling.exports.options import ExportOptions
from labeling.exports.records import (
    KTORecord,
    PreferenceRecord,
    SFTRecord,
    prompt_records,
    read_records,
    record_row,
    row_record,
)

QUESTION = [{"role": "user", "content": "Capital of France?"}]
CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Capital of France?"},
    {"role": "assistant", "content": "Paris."},
    {"role": "user", "content": "And of Italy?"},
]


def preference(prompt=QUESTION, **extra) -> PreferenceRecord:
    record = PreferenceRecord(prompt=prompt, chosen="Paris.", rejected="Lyon.", chosen_model="m1",
                              rejected_model="m2", margin=None, label_confidence=None)
    return record | extra


@pytest.mark.parametrize("conversational", [False, True])
@pytest.mark.parametrize(
    "record",
    [preference(), preference(margin=1.5, label_confidence=0.75), preference(label_confidence=1.0, criterion="harmless")],
)
def test_a_trl_row_reads_back_as_the_record_it_was_written_from(record, conversational):
    row = record_row(record, ExportOptions("trl", conversational=conversational))
    assert row_record(json.loads(json.dumps(row)), "trl") == record


def test_a_conversational_record_reads_back_whole():
    record = preference(CONVERSATION)
    assert row_record(record_row(record, ExportOptions("trl", conversational=True)), "trl") == record


@pytest.mark.parametrize("conversational", [False, True])
def test_kto_and_sft_rows_read_back_as_their_records(conversational):
    kto = KTORecord(prompt=QUESTION, completion="Paris.", label=True, model="m1")
    assert row_record(record_row(kto, ExportOptions("kto", conversational=conversational)), "kto") == kto
    sft = SFTRecord(prompt=CONVERSATION, completion="Rome.")
    assert row_record(record_row(sft, ExportOptions("sft")), "sft") == sft


def test_trl_rows_keep_their_column_order():
    row = record_row(preference(margin=2.0, label_confidence=1.0, criterion="helpful"), ExportOptions("trl"))
    assert list(row) == [
        "prompt", "chosen", "rejected", "chosen_model", "rejected_model", "margin", "label_confidence", "criterion",
    ]
    hh = record_row(preference(margin=2.0, label_confidence=1.0), ExportOptions("hh-rlhf"))
    assert list(hh) == ["chosen", "rejected", "chosen_model", "rejected_model", "label_confidence"]


def test_an_older_trl_file_without_models_still_reads(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."}) + "\n")
    [record] = read_records(path, "trl")
    assert record == preference(chosen_model="", rejected_model="")


def test_raw_and_hh_rows_are_not_records():
    with pytest.raises(ValueError, match="not read back as records"):
        row_record({"chosen": "x", "rejected": "y"}, "hh-rlhf")


def test_prompt_records_are_each_prompt_once_in_first_seen_order():
    records = [preference(CONVERSATION), preference(), preference(CONVERSATION)]
    assert prompt_records(records) == [{"prompt": CONVERSATION}, {"prompt": QUESTION}]

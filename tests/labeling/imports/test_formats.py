import hashlib
import json
import random

import pytest

from labeling.imports.formats import (
    ROLES,
    RecordError,
    RecordSkipped,
    messages_hash,
    messages_json,
    parse_candidates,
    parse_hh_rlhf,
    parse_trl,
    split_transcript,
)


def test_hh_rlhf_splits_shared_prefix_into_messages_and_final_responses():
    record = parse_hh_rlhf({
        "chosen": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke\n\nAssistant: Knock knock.",
        "rejected": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke\n\nAssistant: No.",
    }, with_labels=True)
    assert record.messages == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Tell me a joke"},
    ]
    assert [text for text, _ in record.responses] == ["Knock knock.", "No."]
    assert record.chosen == 0


def test_hh_rlhf_response_containing_a_marker_keeps_the_shared_prompt():
    # Splitting on the last "Assistant:" would cut inside the chosen response here.
    record = parse_hh_rlhf({
        "chosen": "\n\nHuman: Q\n\nAssistant: A1\n\nAssistant: more",
        "rejected": "\n\nHuman: Q\n\nAssistant: B1",
    })
    assert record.messages == [{"role": "user", "content": "Q"}]
    assert [t for t, _ in record.responses] == ["A1\n\nAssistant: more", "B1"]


def test_hh_rlhf_responses_sharing_their_first_words_split_at_the_marker():
    record = parse_hh_rlhf({"chosen": "\n\nHuman: Q\n\nAssistant: I think yes", "rejected": "\n\nHuman: Q\n\nAssistant: I think no"})
    assert [t for t, _ in record.responses] == ["I think yes", "I think no"]


def test_identical_chosen_and_rejected_is_skipped_not_an_error():
    with pytest.raises(RecordSkipped, match="identical"):
        parse_hh_rlhf({"chosen": "\n\nHuman: Q\n\nAssistant: A", "rejected": "\n\nHuman: Q\n\nAssistant: A"})


@pytest.mark.parametrize("obj, message", [
    ({"rejected": "x"}, "missing field 'chosen'"),
    ({"chosen": 3, "rejected": "x"}, "'chosen' must be a string"),
    ({"chosen": "no markers", "rejected": "none"}, "Assistant"),
])
def test_hh_rlhf_malformed_lines_name_the_problem(obj, message):
    with pytest.raises(RecordError, match=message):
        parse_hh_rlhf(obj)


def test_split_transcript_roles_alternate():
    assert split_transcript("\n\nHuman: a\n\nAssistant: b\n\nHuman: c") == [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"},
    ]


def test_trl_standard_and_conversational_forms_give_the_same_record():
    standard = parse_trl({"prompt": "Hi?", "chosen": "Yes", "rejected": "No"}, with_labels=True)
    conversational = parse_trl({
        "prompt": [{"role": "user", "content": "Hi?"}],
        "chosen": [{"role": "assistant", "content": "Yes"}],
        "rejected": [{"role": "assistant", "content": "No"}],
    }, with_labels=True)
    assert standard == conversational


def test_trl_implicit_prompt_is_the_shared_leading_messages():
    record = parse_trl({
        "chosen": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Yes"}],
        "rejected": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "No"}],
    })
    assert record.messages == [{"role": "user", "content": "Hi?"}]
    assert [t for t, _ in record.responses] == ["Yes", "No"]


def test_trl_rejects_a_bad_message_role():
    with pytest.raises(RecordError, match=r"'prompt\[0\].role'"):
        parse_trl({"prompt": [{"role": "robot", "content": "x"}], "chosen": "a", "rejected": "b"})


def test_candidates_accepts_strings_and_objects_and_keeps_each_model_of_a_shared_text():
    record = parse_candidates({"prompt": "Q", "responses": [
        "x", {"text": "y", "model": "m2"}, {"text": "x", "model": "m3"}, {"text": "y", "model": "m2"},
    ]})
    assert record.responses == [("x", ""), ("y", "m2"), ("x", "m3")]


def test_candidates_with_one_distinct_response_is_skipped():
    with pytest.raises(RecordSkipped, match="at least 2"):
        parse_candidates({"prompt": "Q", "responses": ["x", "x"]})
    with pytest.raises(RecordSkipped, match="at least 2"):
        parse_candidates({"prompt": "Q", "responses": [{"text": "x", "model": "m1"}, {"text": "x ", "model": "m2"}]})


@pytest.mark.parametrize("empty", ["", "  \n"])
def test_candidates_keeps_an_empty_or_blank_response_as_a_model_output(empty):
    record = parse_candidates({"prompt": "Q", "responses": [{"text": empty, "model": "m1"}, {"text": "x", "model": "m2"}]})
    assert record.responses == [(empty, "m1"), ("x", "m2")]


def test_candidates_response_without_text_is_an_error():
    with pytest.raises(RecordError, match=r"'responses\[1\]'"):
        parse_candidates({"prompt": "Q", "responses": ["x", {"model": "m"}]})


def test_labelled_rows_carry_their_optional_criterion():
    row = {"prompt": "Q", "chosen": "Yes.", "rejected": "No."}
    assert parse_trl(row, True).criterion == ""
    assert parse_trl(row | {"criterion": " helpful "}, True).criterion == "helpful"
    hh_row = {"chosen": "\n\nHuman: Q\n\nAssistant: Yes.", "rejected": "\n\nHuman: Q\n\nAssistant: No.",
              "criterion": "harmless-base"}
    assert parse_hh_rlhf(hh_row, True).criterion == "harmless-base"
    with pytest.raises(RecordError, match="'criterion' must be a string"):
        parse_trl(row | {"criterion": ["helpful"]}, True)


def test_messages_hash_and_json_are_json_dumps_of_the_messages():
    """The usual {role, content} messages are written out by hand: the bytes must be json.dumps's."""
    rng = random.Random(7)
    alphabet = 'ab"\\\n\t\x01\x7f é☃𝄞\u2028'
    for _ in range(500):
        messages = [
            {"role": rng.choice(ROLES), "content": "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))}
            for _ in range(rng.randint(1, 4))
        ]
        canonical = json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert messages_hash(messages) == hashlib.sha256(canonical.encode()).hexdigest()
        assert messages_json(messages) == json.dumps(messages, ensure_ascii=False)
    odd = [{"content": "x", "role": "user", "name": "n"}]  # not the usual shape: json.dumps itself
    assert messages_json(odd) == json.dumps(odd, ensure_ascii=False)

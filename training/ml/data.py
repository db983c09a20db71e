"""Turning examples into token tensors, the same way in every stage.

Examples are the records of a dataset snapshot as ``labeling/exports/records.py`` types them
(typed dicts, so they cross into a launched process as JSON unchanged); a stage reads only:

    preference: {"prompt": [{"role": "user", "content": ...}, ...],
                 "chosen": str, "rejected": str, "margin": float | None,
                 "label_confidence": float | None}           (PreferenceRecord)
    sft:        {"prompt": messages, "completion": str}     (SFTRecord)
    kto:        {"prompt": messages, "completion": str, "label": bool}   (KTORecord; True = desirable)
    prompt:     {"prompt": messages}                        (PromptRecord: PPO, generation)

A preference example may also name the "criterion" it was judged on (e.g. "harmless"): a
reward model trained per criterion reads it as a short "Criterion: NAME." line at the start
of the sequence, so one model can learn criteria that disagree (HH-RLHF's helpful-base and
harmless-base prefer longer and shorter answers).

A prompt is rendered with the tokenizer's chat template when it has one (ending in the
generation prompt), else as an HH-RLHF style "\\n\\nHuman: ...\\n\\nAssistant:" transcript.
A sequence is  head + prompt + completion + end,  where head/end are the tokenizer's own
special tokens ([CLS] ... [SEP] for BERT, <bos> ... for Llama) and end falls back to
eos. Too-long prompts lose their oldest tokens (left truncation, the recent turns matter
most); then the completion is cut from the right so the sequence fits max_length, and a
completion cut this way gets no eos (it did not end there).
"""

from dataclasses import dataclass

import torch

from training.ml.config import criterion_problem
from training.ml.losses import IGNORE_INDEX

ROLE_NAMES = {"user": "Human", "assistant": "Assistant", "system": "System"}


def format_prompt(tokenizer, messages: list[dict]) -> str:
    """The prompt text a completion is appended to."""
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    turns = "".join(f"\n\n{ROLE_NAMES.get(m['role'], m['role'])}: {m['content']}" for m in messages)
    return turns + "\n\nAssistant:"


def format_completion(tokenizer, completion: str) -> str:
    """Chat templates end with the generation prompt; the plain transcript wants a space."""
    return completion if tokenizer.chat_template else " " + completion


@dataclass(frozen=True)
class SpecialTokens:
    head: list[int]
    end: list[int]
    pad_id: int


def special_tokens(tokenizer) -> SpecialTokens:
    """The ids the tokenizer puts around a single text, found by encoding a probe."""
    probe = "x"
    bare = tokenizer(probe, add_special_tokens=False)["input_ids"]
    full = tokenizer(probe, add_special_tokens=True)["input_ids"]
    start = next((i for i in range(len(full)) if full[i : i + len(bare)] == bare), None)
    if start is None:  # the specials change how the text itself tokenizes: add none
        return SpecialTokens(head=[], end=[tokenizer.eos_token_id], pad_id=tokenizer.pad_token_id)
    head, tail = full[:start], full[start + len(bare) :]
    end = tail or [tokenizer.eos_token_id]
    return SpecialTokens(head=head, end=end, pad_id=tokenizer.pad_token_id)


def criterion_ids(tokenizer, criterion: str | None) -> list[int]:
    """The tokens of "Criterion: NAME." for a reward model judging per criterion; [] for none."""
    if not criterion:
        return []
    return tokenizer(f"Criterion: {criterion}.", add_special_tokens=False)["input_ids"]


def prompt_ids(
    tokenizer,
    messages: list[dict],
    max_prompt_length: int,
    special: SpecialTokens,
    criterion: str | None = None,
) -> list[int]:
    """Head tokens, the criterion line if any, then the rendered prompt with its oldest tokens
    dropped past max_prompt_length (the criterion does not count against it and is never cut)."""
    text = format_prompt(tokenizer, messages)
    head = special.head
    if tokenizer.bos_token and text.startswith(tokenizer.bos_token):
        # The chat template wrote its own bos: keep exactly one, and keep it through truncation.
        text, head = text[len(tokenizer.bos_token) :], [tokenizer.bos_token_id]
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return head + criterion_ids(tokenizer, criterion) + ids[-max_prompt_length:]


def encode_completion(
    tokenizer,
    prompt: list[int],
    completion: str,
    max_length: int,
    special: SpecialTokens,
    ended: bool = True,
) -> list[int]:
    """prompt + completion + end, with the completion cut so the whole fits max_length.

    A completion that does not fit whole, or did not end (`ended` False: a rollout cut at
    max_new_tokens), gets no eos: an eos would teach SFT to stop mid-sentence and show a
    reward model, DPO or KTO an ending that never happened. End tokens that are not eos
    (BERT's [SEP], a segment separator) stay.
    """
    ids = tokenizer(format_completion(tokenizer, completion), add_special_tokens=False)["input_ids"]
    end = special.end
    if not ended or len(prompt) + len(ids) + len(end) > max_length:
        end = [token for token in end if token != tokenizer.eos_token_id]
    room = max(max_length - len(prompt) - len(end), 0)
    return prompt + ids[:room] + end


def encode_preference(
    tokenizer, example: dict, max_length: int, max_prompt_length: int, special
) -> dict:
    """Token ids for one preference pair; both sides share the same truncated prompt."""
    prompt = prompt_ids(
        tokenizer, example["prompt"], max_prompt_length, special, example.get("criterion")
    )
    margin, confidence = example.get("margin"), example.get("label_confidence")
    return {
        "chosen_ids": encode_completion(tokenizer, prompt, example["chosen"], max_length, special),
        "rejected_ids": encode_completion(
            tokenizer, prompt, example["rejected"], max_length, special
        ),
        "prompt_length": len(prompt),
        "margin": 0.0 if margin is None else float(margin),
        # the chance the chosen side is the better one, as the export aggregated it; below 0.5
        # (Dawid-Skene mass on a tie) it would teach the opposite preference, so it stops there
        "confidence": 1.0 if confidence is None else max(float(confidence), 0.5),
    }


def encode_sft(tokenizer, example: dict, max_length: int, max_prompt_length: int, special) -> dict:
    """Token ids for one demonstration."""
    prompt = prompt_ids(tokenizer, example["prompt"], max_prompt_length, special)
    ids = encode_completion(tokenizer, prompt, example["completion"], max_length, special)
    return {"input_ids": ids, "prompt_length": len(prompt)}


def encode_kto(tokenizer, example: dict, max_length: int, max_prompt_length: int, special) -> dict:
    """Token ids for one KTO row and its mismatched pair: the same prompt followed by another
    row's completion ("kl_completion", see with_mismatched_completions), for the KL estimate."""
    prompt = prompt_ids(tokenizer, example["prompt"], max_prompt_length, special)
    return {
        "completion_ids": encode_completion(
            tokenizer, prompt, example["completion"], max_length, special
        ),
        "kl_ids": encode_completion(
            tokenizer, prompt, example["kl_completion"], max_length, special
        ),
        "prompt_length": len(prompt),
        "desirable": bool(example["label"]),
    }


def with_mismatched_completions(examples: list[dict]) -> list[dict]:
    """Each KTO row plus "kl_completion": the completion of the nearest later row (wrapping
    round) whose prompt differs.

    KTO's reference point z0 is the policy/reference log-ratio of completions that answer some
    other prompt. TRL pairs each prompt with the previous row's completion; here the partner
    skips rows of the same prompt, because an export lists a comparison's rows side by side and
    a row beside its own prompt's other answer would not be mismatched. A row whose prompt every
    row shares pairs with its own completion.
    """
    partners = mismatched_partners([repr(example["prompt"]) for example in examples])
    return [
        {**example, "kl_completion": examples[j]["completion"]}
        for example, j in zip(examples, partners, strict=True)
    ]


def mismatched_partners(keys: list) -> list[int]:
    """For each position, the nearest later one (wrapping round) with a different key, else itself."""
    after: list[int | None] = [None] * len(keys)  # nearest later position with a different key
    for i in range(len(keys) - 2, -1, -1):
        after[i] = i + 1 if keys[i + 1] != keys[i] else after[i + 1]

    def partner(i: int) -> int:
        if after[i] is not None:
            return after[i]
        # i is in the last run of equal keys, so the first key unlike it is 0 or ends the first run
        if keys[0] != keys[i]:
            return 0
        return i if after[0] is None else after[0]

    return [partner(i) for i in range(len(keys))]


def encode_all(
    encode, tokenizer, examples: list[dict], max_length: int, max_prompt_length: int
) -> list[dict]:
    """Encode every example with `encode` (encode_preference / encode_sft / encode_kto),
    keeping its index."""
    special = special_tokens(tokenizer)
    return [
        {**encode(tokenizer, example, max_length, max_prompt_length, special), "index": i}
        for i, example in enumerate(examples)
    ]


def pad(sequences: list[list[int]], pad_id: int, left: bool = False):
    """Pad to the longest sequence. Returns (input_ids, attention_mask), both (B, T) long."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        span = slice(width - len(seq), width) if left else slice(0, len(seq))
        ids[row, span] = torch.tensor(seq, dtype=torch.long)
        mask[row, span] = 1
    return ids, mask


def completion_labels(input_ids, attention_mask, prompt_lengths: list[int]) -> torch.Tensor:
    """Labels equal to input_ids on completion tokens, -100 on prompt and padding (right-padded)."""
    labels = input_ids.masked_fill(attention_mask == 0, IGNORE_INDEX)
    for row, length in enumerate(prompt_lengths):
        labels[row, :length] = IGNORE_INDEX
    return labels


def collate_halves(features: list[dict], first: str, second: str, pad_id: int) -> dict:
    """Every feature's `first` sequence, then every `second`, in one (2B, T) batch, prompts masked."""
    sequences = [f[first] for f in features] + [f[second] for f in features]
    prompt_lengths = [f["prompt_length"] for f in features] * 2
    input_ids, attention_mask = pad(sequences, pad_id)
    return {
        "input_ids": input_ids,  # (2B, T)
        "attention_mask": attention_mask,
        "labels": completion_labels(input_ids, attention_mask, prompt_lengths),
        "index": torch.tensor([f["index"] for f in features], dtype=torch.long),  # (B,)
    }


def collate_preferences(features: list[dict], pad_id: int) -> dict:
    """Stack chosen then rejected into one (2B, T) batch so one forward scores both."""
    return {
        **collate_halves(features, "chosen_ids", "rejected_ids", pad_id),
        "margin": torch.tensor([f["margin"] for f in features], dtype=torch.float),  # (B,)
        "confidence": torch.tensor([f["confidence"] for f in features], dtype=torch.float),  # (B,)
    }


def collate_kto(features: list[dict], pad_id: int) -> dict:
    """Completions then their mismatched pairs in one (2B, T) batch, laid out as preferences are,
    so the reference scores both halves with the same code as DPO's chosen and rejected."""
    return {
        **collate_halves(features, "completion_ids", "kl_ids", pad_id),
        "desirable": torch.tensor([f["desirable"] for f in features], dtype=torch.bool),  # (B,)
    }


def collate_sft(features: list[dict], pad_id: int) -> dict:
    input_ids, attention_mask = pad([f["input_ids"] for f in features], pad_id)
    labels = completion_labels(input_ids, attention_mask, [f["prompt_length"] for f in features])
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def check_examples(examples: list[dict], required: dict[str, type], what: str) -> None:
    """Fail early, naming the example, rather than deep inside a training step."""
    if not examples:
        raise ValueError(f"no {what} examples")
    for i, example in enumerate(examples):
        for key, kind in required.items():
            if not isinstance(example.get(key), kind):
                raise ValueError(f"{what} example {i}: '{key}' must be {kind.__name__}")
        if not example["prompt"] or not all(
            {"role", "content"} <= set(m) for m in example["prompt"]
        ):
            raise ValueError(
                f"{what} example {i}: 'prompt' must be a non-empty list of {{role, content}}"
            )


def check_criteria(examples: list[dict], criteria, what: str) -> None:
    """Every example names one of `criteria` when the model judges per criterion, none otherwise."""
    for i, example in enumerate(examples):
        problem = criterion_problem(criteria, example.get("criterion"))
        if problem:
            raise ValueError(f"{what} example {i}: 'criterion' {problem}")


PREFERENCE_KEYS = {"prompt": list, "chosen": str, "rejected": str}
SFT_KEYS = {"prompt": list, "completion": str}
KTO_KEYS = {"prompt": list, "completion": str, "label": bool}
PROMPT_KEYS = {"prompt": list}


def parse_transcript(text: str) -> list[dict]:
    """An HH-RLHF "\\n\\nHuman: ...\\n\\nAssistant: ..." transcript as chat messages."""
    messages = []
    for chunk in text.split("\n\n"):
        for marker, role in (("Human:", "user"), ("Assistant:", "assistant")):
            if chunk.startswith(marker):
                messages.append({"role": role, "content": chunk[len(marker) :].strip()})
                break
        else:
            if messages:  # a blank line inside a turn
                messages[-1]["content"] += "\n\n" + chunk
    return messages


def preference_from_hh(chosen: str, rejected: str, margin: float | None = None) -> dict:
    """A preference example from an HH-RLHF row.

    The shared prompt is the longest common prefix of both transcripts, cut back to the
    last "\\n\\nAssistant:"; splitting each on its own last marker fails for rows whose
    response itself contains "Assistant:".
    """
    common = 0
    while common < min(len(chosen), len(rejected)) and chosen[common] == rejected[common]:
        common += 1
    cut = chosen.rfind("\n\nAssistant:", 0, common)
    if cut < 0:
        raise ValueError("transcript has no '\\n\\nAssistant:' turn")
    start = cut + len("\n\nAssistant:")
    return {
        "prompt": parse_transcript(chosen[:cut]),
        "chosen": chosen[start:].strip(),
        "rejected": rejected[start:].strip(),
        "margin": margin,
    }

"""Parsing of import lines into plain records; no Django here.

Every parser takes one decoded JSON object and returns an ``ImportRecord`` or raises
``RecordError`` (a malformed line, which fails the whole import) or ``RecordSkipped`` (a
well-formed line that cannot be a comparison, reported and passed over).
"""

import hashlib
import json
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # json.dumps(s, ensure_ascii=False) of one string, in C

ROLES = ("system", "user", "assistant")
HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


class RecordError(ValueError):
    """The line is malformed; the message says which field and why."""


class RecordSkipped(ValueError):
    """The line is well formed but cannot become a comparison (e.g. identical responses)."""


@dataclass
class ImportRecord:
    messages: list[dict]
    # (text, model_name), distinct pairs: two models may give the same text, and each is its own
    # response so that judgments credit the model that wrote what was judged
    responses: list[tuple[str, str]]
    chosen: int | None = None  # index into responses of the labelled winner (a format's chosen one)
    external_id: str = ""
    metadata: dict = field(default_factory=dict)
    criterion: str = ""  # what the label judges: a criterion's name, or "" / "overall" for the main verdict
    tie: bool = False  # the label says neither response is better (``chosen`` then only marks it labelled)


def messages_hash(messages: list[dict]) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of a conversation."""
    if all(_plain(m) for m in messages):  # the usual case, written out: json.dumps is 3x slower per line
        canonical = "[" + ",".join(
            f'{{"content":{encode_basestring(m["content"])},"role":{encode_basestring(m["role"])}}}' for m in messages
        ) + "]"
    else:
        canonical = json.dumps(messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def messages_json(messages: list[dict]) -> str:
    """``json.dumps(messages, ensure_ascii=False)``, written out for the usual ``{role, content}`` messages."""
    if all(_plain(m) and next(iter(m)) == "role" for m in messages):
        return "[" + ", ".join(
            f'{{"role": {encode_basestring(m["role"])}, "content": {encode_basestring(m["content"])}}}' for m in messages
        ) + "]"
    return json.dumps(messages, ensure_ascii=False)


def _plain(message) -> bool:
    return (
        isinstance(message, dict) and len(message) == 2
        and isinstance(message.get("role"), str) and isinstance(message.get("content"), str)
    )


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def contains_nul(value) -> bool:
    """Whether any string in a decoded JSON value (keys included) holds a NUL character, which
    PostgreSQL can store neither in text nor in jsonb."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False


def parse_messages(value, field_name: str) -> list[dict]:
    """A prompt given as a string or as a list of ``{role, content}`` messages."""
    if isinstance(value, str):
        if not value.strip():
            raise RecordError(f"'{field_name}' is empty")
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise RecordError(f"'{field_name}' must be a string or a non-empty list of messages")
    messages = []
    for i, message in enumerate(value):
        if not isinstance(message, dict) or set(message) - {"role", "content"} or "content" not in message:
            raise RecordError(f"'{field_name}[{i}]' must be an object with 'role' and 'content'")
        if message.get("role") not in ROLES:
            raise RecordError(f"'{field_name}[{i}].role' must be one of {', '.join(ROLES)}")
        if not isinstance(message["content"], str):
            raise RecordError(f"'{field_name}[{i}].content' must be a string")
        messages.append({"role": message["role"], "content": message["content"]})
    return messages


def _require(obj: dict, name: str):
    if name not in obj:
        raise RecordError(f"missing field '{name}'")
    return obj[name]


def _string(obj: dict, name: str) -> str:
    value = _require(obj, name)
    if not isinstance(value, str):
        raise RecordError(f"'{name}' must be a string")
    return value


def _pair(messages, chosen: str, rejected: str, obj: dict, with_labels: bool) -> ImportRecord:
    if same_text(chosen, rejected):
        raise RecordSkipped("chosen and rejected responses are identical")
    return ImportRecord(
        messages=messages,
        responses=[(chosen, str(obj.get("chosen_model", ""))), (rejected, str(obj.get("rejected_model", "")))],
        chosen=0 if with_labels else None,
        external_id=str(obj.get("id", "")),
        metadata=_metadata(obj),
        criterion=_criterion(obj),
        tie=with_labels and _tie(obj),
    )


def _metadata(obj: dict) -> dict:
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        raise RecordError("'metadata' must be an object")
    return meta


def _tie(obj: dict) -> bool:
    """The optional ``tie`` of a labelled line: ``true`` when its label says neither is better
    (Arena's "tie" votes, PandaLM's 0), so that "chosen" and "rejected" are only the two responses."""
    value = obj.get("tie", False)
    if not isinstance(value, bool):
        raise RecordError("'tie' must be true or false")
    return value


def _criterion(obj: dict) -> str:
    """The optional ``criterion`` a labelled line judges; which names are allowed is the project's."""
    value = obj.get("criterion", "")
    if not isinstance(value, str):
        raise RecordError("'criterion' must be a string (a criterion's name, or 'overall')")
    return value.strip()


def same_text(a: str, b: str) -> bool:
    """Whether two responses read the same to an annotator: such a pair is never a comparison."""
    return a.strip() == b.strip()


def parse_candidates(obj: dict, with_labels: bool = False) -> ImportRecord:
    """``{"prompt", "responses": [{"text", "model"}, ...], "id"?, "metadata"?}``.

    An empty (or whitespace-only) text is a real model output and is kept. The same text from
    two models is kept once per model; a text repeated by one model, once.
    """
    messages = parse_messages(_require(obj, "prompt"), "prompt")
    raw = _require(obj, "responses")
    if not isinstance(raw, list):
        raise RecordError("'responses' must be a list")
    responses = list(dict.fromkeys(_candidate(item, i) for i, item in enumerate(raw)))
    distinct = len({text.strip() for text, _ in responses})
    if distinct < 2:
        raise RecordSkipped(f"needs at least 2 distinct responses, has {distinct}")
    return ImportRecord(messages, responses, None, str(obj.get("id", "")), _metadata(obj))


def _candidate(item, i: int) -> tuple[str, str]:
    if isinstance(item, str):
        return item, ""
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise RecordError(f"'responses[{i}]' must be a string or an object with a string 'text'")
    model = item.get("model", "")
    if not isinstance(model, str):
        raise RecordError(f"'responses[{i}].model' must be a string")
    return item["text"], model


def split_transcript(transcript: str) -> list[dict]:
    """``"\\n\\nHuman: ...\\n\\nAssistant: ..."`` into messages, in order."""
    messages, rest = [], transcript
    if not rest.startswith(HUMAN):
        raise RecordError("transcript must start with '\\n\\nHuman:'")
    while rest:
        role = "user" if rest.startswith(HUMAN) else "assistant"
        rest = rest[len(HUMAN if role == "user" else ASSISTANT):]
        cut = min((i for i in (rest.find(HUMAN), rest.find(ASSISTANT)) if i >= 0), default=len(rest))
        messages.append({"role": role, "content": rest[:cut].strip()})
        rest = rest[cut:]
    return messages


def parse_hh_rlhf(obj: dict, with_labels: bool = False) -> ImportRecord:
    """Anthropic's ``{"chosen", "rejected"}`` transcripts.

    The prompt is the longest common prefix of the two, cut back to its last ``Assistant:``
    marker: splitting on the last marker fails where a response itself contains one.
    """
    chosen, rejected = _string(obj, "chosen"), _string(obj, "rejected")
    prefix_len = _common_prefix_length(chosen, rejected)
    cut = chosen.rfind(ASSISTANT, 0, prefix_len)  # the whole marker inside the shared prefix
    if cut < 0:
        raise RecordError("'chosen' has no '\\n\\nAssistant:' turn shared with 'rejected'")
    messages = split_transcript(chosen[:cut])
    if not messages or messages[-1]["role"] != "user":
        raise RecordError("the shared conversation must end with a Human turn")
    start = cut + len(ASSISTANT)
    record = _pair(messages, chosen[start:].strip(), rejected[start:].strip(), obj, with_labels)
    record.external_id = record.external_id or _source_id(obj)
    return record


def _source_id(obj: dict) -> str:
    if "source" in obj and "source_index" in obj:
        return f"{obj['source']}:{obj['source_index']}"
    return ""


def _common_prefix_length(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def parse_trl(obj: dict, with_labels: bool = False) -> ImportRecord:
    """TRL preference rows: standard (strings) or conversational (message lists), explicit or implicit prompt."""
    chosen, rejected = _require(obj, "chosen"), _require(obj, "rejected")
    if isinstance(chosen, str) and isinstance(rejected, str):
        messages = parse_messages(_require(obj, "prompt"), "prompt")
        return _pair(messages, chosen, rejected, obj, with_labels)
    chosen_msgs, rejected_msgs = parse_messages(chosen, "chosen"), parse_messages(rejected, "rejected")
    if "prompt" in obj:
        prompt = parse_messages(obj["prompt"], "prompt")
    else:  # implicit prompt: the shared leading messages
        shared = 0
        while shared < min(len(chosen_msgs), len(rejected_msgs)) - 1 and chosen_msgs[shared] == rejected_msgs[shared]:
            shared += 1
        prompt, chosen_msgs, rejected_msgs = chosen_msgs[:shared], chosen_msgs[shared:], rejected_msgs[shared:]
        if not prompt:
            raise RecordError("missing field 'prompt' and 'chosen'/'rejected' share no leading messages")
    return _pair(prompt, _single_reply(chosen_msgs, "chosen"), _single_reply(rejected_msgs, "rejected"), obj, with_labels)


def _single_reply(messages: list[dict], name: str) -> str:
    if len(messages) != 1 or messages[0]["role"] != "assistant":
        raise RecordError(f"'{name}' must be one assistant message after the prompt")
    return messages[0]["content"]


PARSERS = {"candidates": parse_candidates, "hh-rlhf": parse_hh_rlhf, "trl": parse_trl}
LABELLED_FORMATS = ("hh-rlhf", "trl")

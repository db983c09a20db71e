"""Verifiable rewards: a response checked against its prompt's known answer (no model, no Django).

RL from verifiable rewards (Lambert et al. 2024, Tülu 3; DeepSeek-R1) scores a response 1 when a
program says it is right and 0 otherwise. A prompt carries its check in its metadata under
``verify``:

    {"kind": "numeric", "answer": 42, "tolerance": 1e-6}   the response's final number equals answer
    {"kind": "exact", "answer": "Paris"}                    its final answer (last line, or the text
                                                            after "answer:") equals answer, ignoring
                                                            case, spaces and trailing punctuation
    {"kind": "regex", "pattern": "^yes\\b"}                 the pattern matches somewhere in it
    {"kind": "json", "required_keys": ["name"]}             it is a JSON object (alone or in a ```json
                                                            block) with those keys

The final number is the one after "####" (GSM8K's marker) or inside \\boxed{} when present,
else the last number in the text. Regular expressions come from project data, so they run with a
time limit (the `regex` module's timeout) and a bounded response length.
"""

import json
import math
import re

import regex

KINDS = ("numeric", "exact", "regex", "json")
REGEX_TIMEOUT_S = 0.05
MAX_CHECKED_CHARS = 20_000
_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?"


def spec_problem(spec) -> str | None:
    """Why `spec` cannot verify anything, or None when it is well formed."""
    if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
        return f"'verify' must be an object whose 'kind' is one of {', '.join(KINDS)}"
    kind = spec["kind"]
    if kind == "numeric" and _as_number(spec.get("answer")) is None:
        return "'verify.answer' must be a number for kind numeric"
    if kind == "exact" and not isinstance(spec.get("answer"), str | int | float):
        return "'verify.answer' must be a string or number for kind exact"
    if kind == "regex":
        try:
            regex.compile(spec.get("pattern", None) or "")
        except (regex.error, TypeError) as exc:
            return f"'verify.pattern' is not a regular expression: {exc}"
        if not spec.get("pattern"):
            return "'verify.pattern' must be a non-empty string for kind regex"
    if kind == "json" and not all(isinstance(k, str) for k in spec.get("required_keys", [])):
        return "'verify.required_keys' must be a list of strings"
    return None


def verify(response: str, spec: dict) -> float:
    """1.0 when `response` passes its prompt's check `spec`, else 0.0 (see the module docstring)."""
    text = response[:MAX_CHECKED_CHARS]
    kind = spec["kind"]
    if kind == "numeric":
        ok = _numbers_equal(final_number(text), _as_number(spec["answer"]), spec.get("tolerance", 1e-6))
    elif kind == "exact":
        ok = _normalise(final_answer(text)) == _normalise(str(spec["answer"]))
    elif kind == "regex":
        ok = _regex_matches(spec["pattern"], text)
    else:
        ok = _json_with_keys(text, spec.get("required_keys", []))
    return 1.0 if ok else 0.0


def final_number(text: str) -> float | None:
    """The number after '####', else inside the last \\boxed{...}, else the last one in `text`."""
    for marker in (r"####\s*(" + _NUMBER + ")", r"\\boxed\{\s*(" + _NUMBER + r")\s*\}"):
        found = re.findall(marker, text)
        if found:
            return _as_number(found[-1])
    found = re.findall(_NUMBER, text)
    return _as_number(found[-1]) if found else None


def final_answer(text: str) -> str:
    """The text after the last 'answer:' (any case), else the last non-empty line."""
    marker = list(re.finditer(r"answer\s*:", text, flags=re.IGNORECASE))
    if marker:
        tail = text[marker[-1].end():].strip()
        return tail.splitlines()[0] if tail else ""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _numbers_equal(got: float | None, want: float | None, tolerance: float) -> bool:
    return got is not None and want is not None and abs(got - want) <= tolerance * max(1.0, abs(want))


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".!?;:, ").strip("*_`\"'")


def _regex_matches(pattern: str, text: str) -> bool:
    try:
        return regex.search(pattern, text, timeout=REGEX_TIMEOUT_S) is not None
    except TimeoutError:
        return False  # a pattern that backtracks past the limit verifies nothing


def _json_with_keys(text: str, keys: list[str]) -> bool:
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.DOTALL)
    try:
        value = json.loads(fenced.group(1) if fenced else text)
    except (json.JSONDecodeError, RecursionError):
        return False
    return isinstance(value, dict) and all(k in value for k in keys)


def prompt_key(messages: list[dict]) -> str:
    """A prompt's identity for looking up its check: its messages as canonical JSON."""
    return json.dumps(messages, sort_keys=True, ensure_ascii=False)


def check_verifiable(examples: list[dict], what: str) -> None:
    """Every example carries a well-formed ``verify`` check; the error names the first that does not."""
    for i, example in enumerate(examples):
        if example.get("verify") is None:
            raise ValueError(
                f"{what} example {i}'s prompt has no 'verify' check in its metadata: verifier 'only' and "
                "'add' score every prompt with its own check (give each one, or use verifier 'none')"
            )
        problem = spec_problem(example.get("verify"))
        if problem:
            raise ValueError(f"{what} example {i}: {problem}")


def verifier_reward(examples: list[dict]):
    """A reward ``(prompts, completions, finished) -> [0.0 or 1.0]`` checking each completion
    against its prompt's ``verify`` (from ``examples``)."""
    specs = {prompt_key(e["prompt"]): e["verify"] for e in examples}

    def reward(prompts: list[list[dict]], completions: list[str], finished=None) -> list[float]:
        return [verify(c, specs[prompt_key(p)]) for p, c in zip(prompts, completions, strict=True)]

    return reward

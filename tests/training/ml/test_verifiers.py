"""Verifiable rewards: each kind of check on responses a model might really write."""

import time

import pytest

from training.ml.verifiers import final_number, spec_problem, verify


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("She has 3 apples, then buys 4 more. #### 7", 7.0),
        ("The total is \\boxed{1,250}.", 1250.0),
        ("First 12, then 30, so the answer is 42.", 42.0),
        ("It is -3.5e2 degrees", -350.0),
        ("no number here", None),
    ],
)
def test_final_number_prefers_the_marked_answer(response, expected):
    assert final_number(response) == expected


def test_numeric_answers_match_within_tolerance_and_ignore_earlier_numbers():
    spec = {"kind": "numeric", "answer": 42}
    assert verify("6 times 7 is 42", spec) == 1.0
    assert verify("42 is wrong; it is 41", spec) == 0.0
    assert verify("0.3333", {"kind": "numeric", "answer": 1 / 3, "tolerance": 1e-3}) == 1.0
    assert verify("I do not know", spec) == 0.0


def test_exact_answers_ignore_case_space_and_final_punctuation():
    spec = {"kind": "exact", "answer": "Paris"}
    assert verify("Let me think.\nThe capital is listed below.\nparis.", spec) == 1.0
    assert verify("Answer:  PARIS  \nThat's all", spec) == 1.0
    assert verify("Answer: Lyon", spec) == 0.0


def test_regex_matches_and_a_runaway_pattern_gives_up_quickly():
    assert verify("Yes, of course.", {"kind": "regex", "pattern": r"(?i)^yes\b"}) == 1.0
    assert verify("No.", {"kind": "regex", "pattern": r"(?i)^yes\b"}) == 0.0
    start = time.perf_counter()
    assert verify("a" * 40 + "!", {"kind": "regex", "pattern": r"^(a+)+$"}) == 0.0
    assert time.perf_counter() - start < 5  # catastrophic backtracking is cut off, not waited out


def test_json_must_parse_and_hold_the_required_keys():
    spec = {"kind": "json", "required_keys": ["name", "age"]}
    assert verify('{"name": "Ada", "age": 36}', spec) == 1.0
    assert verify('Here you go:\n```json\n{"name": "Ada", "age": 36}\n```', spec) == 1.0
    assert verify('{"name": "Ada"}', spec) == 0.0
    assert verify("{name: Ada}", spec) == 0.0
    assert verify("[1, 2]", {"kind": "json"}) == 0.0


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"kind": "numeric", "answer": "forty"}, "must be a number"),
        ({"kind": "regex", "pattern": "("}, "not a regular expression"),
        ({"kind": "sql"}, "one of numeric, exact, regex, json"),
        ("42", "must be an object"),
        ({"kind": "json", "required_keys": [1]}, "list of strings"),
    ],
)
def test_malformed_checks_are_named(spec, problem):
    assert problem in spec_problem(spec)


def test_well_formed_checks_have_no_problem():
    for spec in ({"kind": "numeric", "answer": "3.5"}, {"kind": "exact", "answer": 7},
                 {"kind": "regex", "pattern": "x"}, {"kind": "json"}):
        assert spec_problem(spec) is None

"""Finding a lone surrogate in parsed JSON: a quick look at the bytes, then a walk that names where."""

import json

import pytest

from annotation_site.lone_surrogates import lone_surrogate_path, may_hold_lone_surrogate


@pytest.mark.parametrize("raw", [rb'["\udc00"]', rb'["\uD800"]', rb'["\uDbFf"]', rb'["\ud83d\ude00"]', '["\ud800"]'.encode(
    "utf-8", "surrogatepass"), '["x"]'.encode("utf-16"), '["x"]'.encode("utf-32-le")])
def test_the_bytes_may_hold_one_where_an_escape_or_encoding_can_carry_it(raw):
    assert may_hold_lone_surrogate(raw)


@pytest.mark.parametrize("raw", [b'["plain"]', rb'["\u0041\ud7ff\ue000"]', '["\ud7ff é 字 😀"]'.encode(), rb'["\u00e9 \uD7FF"]'])
def test_bytes_without_such_an_escape_or_encoding_need_no_walk(raw):
    assert not may_hold_lone_surrogate(raw)


@pytest.mark.parametrize(("raw", "path"), [
    (rb'"\udc00"', ""),
    (rb'{"a": [1, {"b": ["ok", "x\ud800"]}]}', "a[1].b[1]"),
    (rb'{"ok": 1, "k\udfff": "v"}', "k\\udfff"),
    (rb'{"first": "\ud800", "second": "\udc00"}', "first"),
    (rb'[[], {"n": null, "t": true}, "\udbff"]', "[2]"),
])
def test_the_path_names_the_first_string_or_key_holding_one(raw, path):
    assert may_hold_lone_surrogate(raw)
    assert lone_surrogate_path(json.loads(raw)) == path


@pytest.mark.parametrize("raw", [rb'{"a": "\ud83d\ude00"}', rb'{"\\ud800": "an escaped backslash"}', b"[1.5, null, {}]"])
def test_no_path_where_every_string_is_text(raw):
    assert lone_surrogate_path(json.loads(raw)) is None


def test_a_value_nested_as_deep_as_the_decoder_allows_is_walked_without_recursion():
    deep = json.loads("[" * 900 + '"\\udc00"' + "]" * 900)
    assert lone_surrogate_path(deep) == "[0]" * 900

"""Where a parsed JSON value holds a lone surrogate: a string no UTF-8 encoder can write.

JSON may escape any UTF-16 code unit, so ``"\\udc00"`` parses to a str holding an unpaired
surrogate (U+D800..U+DFFF). Such a string was stored, and then every encoder it met raised
UnicodeEncodeError: the database driver, the JSON renderer (each later read of it was a 500), the
hash of an imported prompt. A pair escaped as its two halves (``"\\ud83d\\ude00"``) is joined into
one code point by the decoder and is fine. Plain Python, no Django: the API's JSON parser and the
import share it.
"""

import re

# A \uD800..\uDFFF escape (JSON writes the "u" in lower case only; the hex digits in either), or
# a surrogate's own UTF-8 bytes (ED A0..BF), which json.loads(bytes) decodes with surrogatepass.
_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_ENCODED = re.compile(rb"\xed[\xa0-\xbf]")
_UTF16_OR_32 = (b"\xff\xfe", b"\xfe\xff")  # json.loads(bytes) also reads these BOMs, or NULs in the first 4 bytes
_SURROGATE = re.compile("[\ud800-\udfff]")


def may_hold_lone_surrogate(raw: bytes) -> bool:
    """Whether the raw JSON text ``raw`` may decode to a lone surrogate. Cheap (a scan of the
    bytes: a fiftieth of json.loads' time on a line with no backslash, a fifth on one with many):
    only a yes needs ``lone_surrogate_path``, and an escaped pair says yes too."""
    return (
        (b"\\" in raw and _ESCAPE.search(raw) is not None)
        or (b"\xed" in raw and _ENCODED.search(raw) is not None)
        or b"\x00" in raw[:4] or raw[:2] in _UTF16_OR_32
    )


def lone_surrogate_path(value) -> str | None:
    """The path of the first string (keys included) holding a lone surrogate in a parsed JSON
    value, as ``config.criteria[0]`` ("" for ``value`` itself, a key as its parent's path followed
    by the key with the surrogate written as an escape), or None if there is none. A loop, not
    recursion: the value may be nested as deep as the decoder allowed."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):  # reversed onto the stack: popped in order
                stack.append((_join(path, key), child))
                stack.append((_join(path, key.encode("utf-8", "backslashreplace").decode()), key))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in reversed(list(enumerate(item))))
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key

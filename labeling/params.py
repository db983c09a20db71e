"""Request parameters read as what they mean: a value that is not one is a 400 naming the parameter.

Integers:
``str.isdigit()`` is not the test: it accepts '²' and '١٢', which ``int()`` refuses (a 500), and
``lstrip("-")`` let '--5' through the same way. Only ASCII digits with at most one leading minus
pass here, within the 64-bit range of the database's integer columns.
"""

import re

from labeling.errors import InvalidInput

_INTEGER = re.compile(r"-?[0-9]{1,19}")
MAX_ROW_ID = 2**63 - 1


def parse_int(raw, name: str, *, minimum: int = -MAX_ROW_ID, maximum: int = MAX_ROW_ID) -> int:
    """``raw`` (a string or int) as an int in [minimum, maximum], or InvalidInput naming ``name``."""
    text = str(raw)
    if not _INTEGER.fullmatch(text) or not minimum <= int(text) <= maximum:
        raise InvalidInput(f"{name} must be an integer from {minimum} to {maximum}, not {text[:40]!r}")
    return int(text)


def int_param(
    params, name: str, *, default: int | None = None, minimum: int = -MAX_ROW_ID, maximum: int = MAX_ROW_ID
) -> int | None:
    """Query parameter ``name`` as an int; ``default`` when it is absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return parse_int(raw, name, minimum=minimum, maximum=maximum)


def id_param(params, name: str, *, required: bool = True) -> int | None:
    """Query parameter ``name`` as a row id (a positive integer); a 400 when required and absent."""
    value = int_param(params, name, minimum=1)
    if value is None and required:
        raise InvalidInput(f"the {name} query parameter is required")
    return value


def is_row_id(value) -> bool:
    """A possible primary key: ASCII digits within a 64-bit integer (larger ones overflow the driver)."""
    text = str(value)
    return bool(_INTEGER.fullmatch(text)) and 0 < int(text) <= MAX_ROW_ID


_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def bool_param(params, name: str, default: bool | None = None) -> bool | None:
    """``true``/``false`` (or 1/0, yes/no, any case); ``default`` when absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise InvalidInput(f"{name} must be true or false, not {raw[:40]!r}", field=name)


def choice_param(params, name: str, choices: tuple[str, ...]) -> str | None:
    """One of ``choices``; None when absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {raw[:40]!r}", field=name)
    return raw


def text_param(params, name: str, *, max_length: int) -> str | None:
    """Text of at most ``max_length`` characters, without NUL (PostgreSQL stores none); None when
    absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length or "\x00" in raw:
        raise InvalidInput(f"{name} must be at most {max_length} characters, without NUL", field=name)
    return raw

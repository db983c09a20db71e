"""Typed readers for settings taken from the environment.

Each reader fails loudly on a value it cannot parse, naming the variable, so a
typo in a deployment never silently becomes a default.
"""

import logging
import os
import re

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """An integer; with ``minimum``, one at least that (a count where 0 would start a server that
    serves nothing, say)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be an integer of at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A throttle rate as DRF reads it: ``N/PERIOD``, PERIOD starting with s, m, h or d."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: use COUNT/PERIOD, PERIOD one of s, min, hour, day (e.g. 10/min)"
        )
    return value


def env_log_level(name: str, default: str) -> str:
    """A logging level name, in any case (``debug`` is ``DEBUG``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().upper()
    if value not in logging.getLevelNamesMapping():
        raise ImproperlyConfigured(f"{name}={raw!r} is not a log level (use DEBUG, INFO, WARNING, ERROR or CRITICAL)")
    return value


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...] = (), example: str) -> str:
    """A URL with a scheme (one of ``schemes`` when given). Its value is never repeated in the
    error: a URL may hold a password."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    scheme, separator, _ = raw.strip().partition("://")
    scheme_ok = re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme.lower()) and (not schemes or scheme.lower() in schemes)
    if not separator or not scheme_ok:
        wanted = " or ".join(f"{s}://" for s in schemes) if schemes else "a scheme (SCHEME://)"
        raise ImproperlyConfigured(
            f"{name} must be a URL starting with {wanted}, e.g. {example} (its value is not shown: it may hold a password)"
        )
    return raw.strip()

"""Fewer garbage collections while an import runs.

An import allocates some forty container objects a line (the parsed JSON, its record, hashes and
rows) and keeps a chunk or two of them alive at a time, so with Python's default threshold (a
collection every 700 net allocations) the collector runs hundreds of times per 10k lines and the
chunks it sees alive are promoted and rescanned in full collections of the whole process: a
third of the importing process's CPU (20k lines: 0.44 of 1.34 s). None of it is cyclic garbage;
with the threshold raised to ``IMPORT_GC_THRESHOLD`` the collector runs a few times per file.
Collections still happen, so memory stays bounded. The threshold is the process's, so
overlapping imports in several threads share one raise: the last to finish restores it.
"""

import gc
import threading
from contextlib import contextmanager

IMPORT_GC_THRESHOLD = 50_000

_lock = threading.Lock()
_state = {"depth": 0, "saved": gc.get_threshold()}


@contextmanager
def fewer_collections():
    with _lock:
        if _state["depth"] == 0:
            _state["saved"] = gc.get_threshold()
            gc.set_threshold(max(IMPORT_GC_THRESHOLD, _state["saved"][0]), *_state["saved"][1:])
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                gc.set_threshold(*_state["saved"])

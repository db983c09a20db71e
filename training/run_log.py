"""A run's log on the worker: the last lines logged while it runs, kept for the dashboard
(the heartbeat sends them with each beat)."""

import contextlib
import logging
from collections import deque
from collections.abc import Iterator


class LogTail(logging.Handler):
    """Keeps the last lines logged during a run, for the dashboard."""

    def __init__(self, lines: int = 200):
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


@contextlib.contextmanager
def run_log() -> Iterator[LogTail]:
    """Collect what is logged during a run. The run's own lines (``training.*``: its progress,
    its resume, its launched job's output) are kept at INFO whatever the worker's log level: the
    demo's worker runs at WARNING, and a run's log then held only library warnings."""
    tail, own = LogTail(), logging.getLogger("training")
    previous = own.level
    own.setLevel(logging.INFO)
    logging.getLogger().addHandler(tail)
    try:
        yield tail
    finally:
        logging.getLogger().removeHandler(tail)
        own.setLevel(previous)

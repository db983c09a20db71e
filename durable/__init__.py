"""Files and directories that survive a crash or power loss: everything fsynced before the
rename that publishes it, and the rename itself fsynced in the parent directory. Plain Python,
shared by labeling (uploads) and training (checkpoints, saved states).

Without the fsyncs a rename can reach the disk before the data it names: after a power loss
the directory exists under its final name with empty or truncated files, and a checkpoint that
was registered as complete would not load.
"""

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync one file or directory (a directory's fsync makes its entries durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under `root`, `root` included, children first."""
    for directory, _subdirs, files in os.walk(root, topdown=False):
        for name in files:
            fsync_path(Path(directory) / name)
        fsync_path(Path(directory))


def replace_directory(source: Path, target: Path) -> None:
    """Rename the fsynced `source` to `target` (absent or empty) and make the rename durable."""
    if target.exists():
        target.rmdir()  # only an empty directory: never throw away a finished one
    source.rename(target)
    fsync_path(target.parent)

"""Snapshots for tests, their options given as keywords, the way a request or the command line gives them."""

from labeling.exports.options import SnapshotOptions
from labeling.exports.snapshots import snapshot_create


def snapshot_of(*, project, user=None, **options):
    """A snapshot written now (``snapshot_create``) with ``SnapshotOptions.from_json(options)``."""
    return snapshot_create(project=project, options=SnapshotOptions.from_json(options), user=user)

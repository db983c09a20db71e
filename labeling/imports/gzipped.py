"""Gzipped imports: a ``.jsonl.gz`` is read as the JSONL inside it, on the upload and the CLI paths.

A gzip is told by its first two bytes (gzip's magic number), not by its name: a browser, a shell
or a download may name a file anything. It is decompressed a block at a time, never whole in
memory. The limits that hold for a plain file hold for what is inside: an upload is decompressed
before the import decides inline or queued (by the decompressed size) and is refused once what is
inside passes ``MAX_UPLOAD_MB``, so a small gzip cannot expand into a request's memory or the disk.
"""

import gzip
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from labeling.errors import InvalidInput, TooLarge

__all__ = ["gunzipped_lines", "is_gzip", "plain_upload"]
GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 1 << 20
# what zlib and gzip raise on a truncated or corrupt stream (BadGzipFile is an OSError of its own)
CORRUPT = (gzip.BadGzipFile, EOFError, zlib.error)


def is_gzip(f) -> bool:
    """Whether the seekable binary file ``f`` starts with gzip's magic number; ``f`` is left at its start."""
    f.seek(0)
    head = f.read(len(GZIP_MAGIC))
    f.seek(0)
    return head == GZIP_MAGIC


def gunzipped_lines(f) -> Iterator[bytes]:
    """The lines inside the gzipped binary file ``f``, read as they are needed."""
    try:
        with gzip.GzipFile(fileobj=f, mode="rb") as inside:
            yield from inside
    except CORRUPT as exc:
        raise _corrupt(exc) from None


@contextmanager
def plain_upload(upload, limit_mb: int) -> Iterator:
    """``upload`` (a Django UploadedFile) as plain JSONL: itself, or, when gzipped, what is inside it
    in a spooled file (in memory up to Django's own upload threshold, then on disk), closed on exit.
    ``TooLarge`` once the decompressed data passes ``limit_mb``."""
    if not is_gzip(upload):
        yield upload
        return
    spool = SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115 - closed below
    try:
        size = _gunzip_into(upload, spool, limit_mb)
        spool.seek(0)
        yield UploadedFile(file=spool, name=upload.name, content_type="application/jsonl", size=size)
    finally:
        spool.close()


def _gunzip_into(upload, spool, limit_mb: int) -> int:
    size, limit_bytes = 0, limit_mb * 1024 * 1024
    try:
        with gzip.GzipFile(fileobj=upload, mode="rb") as inside:
            # read one byte past the limit at most: never more than that is decompressed
            while block := inside.read(min(BLOCK_BYTES, limit_bytes - size + 1)):
                size += len(block)
                if size > limit_bytes:
                    raise TooLarge(
                        f"the gzipped file is larger than the {limit_mb} MB limit once "
                        "decompressed (the limit holds for the data inside a gzip)", field="file"
                    )
                spool.write(block)
    except CORRUPT as exc:
        raise _corrupt(exc) from None
    return size


def _corrupt(exc: Exception) -> InvalidInput:
    return InvalidInput(f"the file starts as a gzip but is not a valid one (truncated or corrupt: {exc})", field="file")

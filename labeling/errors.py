"""Domain errors raised by services; one API exception handler maps them to HTTP statuses."""


class DomainError(Exception):
    """A broken rule, reported by the API as ``status_code`` with ``code``, the message and ``details``."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """What was sent breaks a rule (a 400): the message names the field and what it must be."""


class NotAllowed(DomainError):
    """The user may see this but not do it (a 403)."""

    status_code, code = 403, "forbidden"


class NotFound(DomainError):
    """No such object, or one in a project the user is not a member of: ids do not tell which
    projects exist (a 404)."""

    status_code, code = 404, "not_found"


class Conflict(DomainError):
    """Well formed, but the state it meets refuses it: a full comparison, a lease gone, a key
    reused (a 409; ``reason`` in the details says which)."""

    status_code, code = 409, "conflict"


class Gone(DomainError):
    """What the request would act on existed and was deliberately removed (an undone judgment)."""

    status_code, code = 410, "gone"


class TooLarge(DomainError):
    """What was sent is over a size limit (a 413): the message names the limit."""

    status_code, code = 413, "too_large"


class StorageFull(DomainError):
    """The server's disk is full: nothing was stored, and the same request may pass once space is
    freed (a 507)."""

    status_code, code = 507, "insufficient_storage"


class ImportFailed(InvalidInput):
    """A malformed line: the whole import is rolled back. ``line`` is 1-based."""

    code = "import_failed"

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}", line=line)
        self.line = line

"""Domain errors raised by services; one API exception handler maps them to HTTP statuses."""


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"


class NotAllowed(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Gone(DomainError):
    """What the request would act on existed and was deliberately removed (an undone judgment)."""

    status_code = 410
    code = "gone"


class ImportFailed(InvalidInput):
    """A malformed line: the whole import is rolled back. ``line`` is 1-based."""

    code = "import_failed"

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}", line=line)
        self.line = line

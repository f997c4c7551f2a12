"""The one error type services raise for a refused action, with a message a person can act on."""


class DomainError(Exception):
    """A refused action. ``problems`` lists what is missing or wrong, each a sentence for the user; ``code``
    names the refusal for callers that treat some differently (e.g. a wrong password is recorded as such)."""

    def __init__(self, message: str, problems: list[str] | None = None, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.code = code

    def __str__(self) -> str:
        if self.problems:
            return f"{self.message} " + " ".join(self.problems)
        return self.message


class FieldProblem(str):
    """A problem sentence that belongs to one field of the form that sent the value: shown at that field
    (and linked from the error summary); anywhere else it is the plain sentence it is."""

    field: str

    def __new__(cls, field: str, text: str):
        problem = super().__new__(cls, text)
        problem.field = field
        return problem


class StaleObjectError(DomainError):
    """Someone else changed the record since it was read (optimistic locking)."""

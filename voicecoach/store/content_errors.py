"""The one error type for malformed content files: it names the file, the field and the fault."""


class ContentError(ValueError):
    """A content file (routine, screening, phrases, intents) that cannot be used."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        super().__init__(f"{source}: {field}: {problem}")
        self.source, self.field, self.problem = source, field, problem

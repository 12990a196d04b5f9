"""Domain errors: each carries a message a user can act on. The CLI prints it as one line."""

from __future__ import annotations


class AffinityError(Exception):
    """An expected failure with a message meant for the user (no stack trace needed)."""


class ConfigurationError(AffinityError):
    """Settings are wrong or a prerequisite (Java, Maven, Redis) is missing."""


class DatabaseUnavailableError(AffinityError):
    """Neo4j cannot be reached or refused the credentials."""


class ValidationFailedError(AffinityError):
    """Input records failed validation; ``problems`` lists each with file, line and field."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

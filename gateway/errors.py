"""Errors a client can see, each with the `extensions.code` it is reported under.

`gateway.api.errors` turns these into GraphQL errors; anything else is an internal error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with the client's input, with the path of the field at fault."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class GatewayError(Exception):
    """Base of the errors whose message is safe to show to a client."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    @property
    def message(self) -> str:
        return str(self)

    def extensions(self) -> dict[str, object]:
        return {"code": self.code}


class BadUserInput(GatewayError):
    code = "BAD_USER_INPUT"

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))

    @classmethod
    def single(cls, field: str, message: str) -> BadUserInput:
        return cls([InputProblem(field, message)])

    def extensions(self) -> dict[str, object]:
        return {
            "code": self.code,
            "problems": [{"field": p.field, "message": p.message} for p in self.problems],
        }


class AllProvidersFailed(GatewayError):
    """Every provider of a field failed; the field is null and its outcomes say why."""

    code = "ALL_PROVIDERS_FAILED"

    def __init__(self, field: str, outcomes: list[dict[str, object]]) -> None:
        self.outcomes = outcomes
        super().__init__(f"All providers failed for {field}.")

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "providers": self.outcomes}


class NoProvidersConfigured(GatewayError):
    code = "NO_PROVIDERS"

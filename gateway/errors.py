"""Errors a client can see, each with the `extensions.code` it is reported under.

`gateway.api.transport.errors` turns these into GraphQL errors; anything else is an internal error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

MAX_MESSAGE_CHARS = 500
"""No message a client sees is longer: input echoed back must not amplify a request."""
_LONG_RUN = re.compile(r"\S{41,}")
_PATH_PART = re.compile(r"^[^.\[]+|\.[^.\[]+|\[\d+\]")
"""A step of a field path: the argument, `.field`, or `[index]` of a list."""


def bounded(message: str) -> str:
    """`message` with every run of over 40 non-space characters cut to 32, and cut in all."""
    message = _LONG_RUN.sub(lambda run: run.group()[:32] + "…", message)
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return message


def excerpt(value: str, length: int = 24) -> str:
    """The client's `value` quoted for a message: its start only, when it is long."""
    return repr(value) if len(value) <= length else repr(value[:length]) + "…"


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with the client's input, with the path of the field at fault."""

    field: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", bounded(self.message))

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class GatewayError(Exception):
    """Base of the errors whose message is safe to show to a client."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    @property
    def message(self) -> str:
        """What the client sees: bounded, since it may quote the client's own input."""
        return bounded(str(self))

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

    def renamed(self, paths: Mapping[str, str]) -> BadUserInput:
        """The same error with each problem's field under the name the client gave it:
        `paths` maps argument paths to where their values came from (`search` → `$s`)."""

        def rename(field: str) -> str:
            parts = _PATH_PART.findall(field)  # "a.b[2]" → "a", ".b", "[2]"
            for cut in range(len(parts), 0, -1):
                given = paths.get("".join(parts[:cut]))
                if given is not None:
                    return given + "".join(parts[cut:])
            return field

        return type(self)([InputProblem(rename(p.field), p.message) for p in self.problems])

    def extensions(self) -> dict[str, object]:
        return {
            "code": self.code,
            "problems": [{"field": p.field, "message": p.message} for p in self.problems],
        }


class CursorExpired(BadUserInput):
    """The result set a cursor points into is gone: run the search again."""

    code = "CURSOR_EXPIRED"


class CursorMismatch(BadUserInput):
    """The cursor belongs to another search or order: page with that search's own cursors."""

    code = "CURSOR_MISMATCH"


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


class OperationTooComplex(GatewayError):
    """The document breaks a shape limit (depth, aliases, fields, tokens, size); nothing ran."""

    code = "OPERATION_TOO_COMPLEX"

    def __init__(self, message: str, *, limit: str, measured: int | None, allowed: int) -> None:
        super().__init__(message)
        self.limit, self.measured, self.allowed = limit, measured, allowed

    def extensions(self) -> dict[str, object]:
        return {
            "code": self.code,
            "limit": self.limit,
            "measured": self.measured,
            "allowed": self.allowed,
        }


class OperationTooExpensive(GatewayError):
    """The operation asks for more searches, or more cost, than one request may; nothing ran."""

    code = "OPERATION_TOO_EXPENSIVE"

    def __init__(
        self,
        message: str,
        *,
        searches: dict[str, dict[str, int]],
        cost: int,
        max_cost: int,
    ) -> None:
        super().__init__(message)
        self.searches, self.cost, self.max_cost = searches, cost, max_cost

    def extensions(self) -> dict[str, object]:
        return {
            "code": self.code,
            "cost": {"searches": self.searches, "estimated": self.cost, "max": self.max_cost},
        }


class OfferNotFound(GatewayError):
    """No stored offer has this id: never served here, or its result set has expired (run
    the search again). No provider is called."""

    code = "OFFER_NOT_FOUND"

"""The one error the model raises: bad input, with a message that says what is allowed."""

from __future__ import annotations

__all__ = ["ConvCalcError"]


class ConvCalcError(ValueError):
    """Bad input to the core: the message says what is wrong and what is allowed.

    ``option`` names the parameter at fault (``"groups"``, ``"kernel"``, ...)
    so that a front end can point at its own spelling of it.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option

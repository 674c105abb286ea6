"""The one error the model raises: bad input, with a message that says what is allowed,
and the suggestion of a name meant that its messages and the views' share."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ConvCalcError", "did_you_mean"]


class ConvCalcError(ValueError):
    """Bad input to the core: the message says what is wrong and what is allowed.

    ``option`` names the parameter at fault (``"groups"``, ``"kernel"``, ...)
    so that a front end can point at its own spelling of it.
    """

    def __init__(self, message: str, *, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


def did_you_mean(word: object, choices: Sequence[str]) -> str:
    """`` (did you mean 'compare'?)`` for a close enough misspelling, else nothing.

    >>> did_you_mean("comapre", ["compare", "model"]), did_you_mean("xyz", ["model"])
    (" (did you mean 'compare'?)", '')
    """
    import difflib

    if not isinstance(word, str) or len(word) > 100:
        return ""
    close = difflib.get_close_matches(word.strip().lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""

"""Errors of the command line, and the one place a core error becomes a Click one.

Bad input is a usage error (exit 2) naming the option at fault, as the option is
spelled on the command line; a check that does not hold is exit 1; Ctrl-C is 130.
"""

from __future__ import annotations

from typing import NoReturn

import click

from ..model.core import ConvCalcError
from ..model.schema import OPTIONS

__all__ = ["OPTION_HINTS", "CheckFailed", "Interrupted", "fail", "hint"]


class CheckFailed(click.ClickException):
    """A check asked for on the command line (``--expect``, a budget) did not hold."""

    exit_code = 1


class Interrupted(click.ClickException):
    """Ctrl-C (SIGINT): the run stops with exit 130, as a shell reports a program
    ended by SIGINT, and one line."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")


OPTION_HINTS: dict[str, str] = {
    option.name: " / ".join(f"'{flag.split('/')[0]}'" for flag in option.flags)
    for option in OPTIONS.values()
    if option.flags
}
"""Each schema option as Click names it in an error (``'-k' / '--kernel'``)."""


def hint(name: str) -> str:
    """An option's spelling in a message: the schema's, else ``'--name'``."""
    return OPTION_HINTS.get(name) or f"'--{name.replace('_', '-')}'"


def fail(error: ConvCalcError) -> NoReturn:
    """Turn a core error into a usage error (exit 2) naming the option at fault."""
    if error.option in OPTION_HINTS:
        raise click.BadParameter(str(error), param_hint=OPTION_HINTS[error.option]) from None
    raise click.UsageError(str(error)) from None

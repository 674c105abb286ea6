"""Option groups shared by the commands, the layer options generated from the schema.

A schema option (:mod:`convcalc.model.schema`) becomes a Click option here and only
here: its flags, help, metavar and default are the schema's, and its value is read
by the schema's reader. A new layer option is one entry in the schema, and every
variant command that takes it shows it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import click

from ..model.core import ConvCalcError
from ..model.evaluate import RankError, rank_of
from ..model.names import TOOLS
from ..model.schema import ANALYSIS, MEASURE, OPTIONS, Option, options_for, required
from ..views.text import UNITS
from .errors import hint
from .output import Gates, Output
from .types import COUNT, OUTPUT, Choice, SchemaType

__all__ = [
    "CONTEXT_SETTINGS",
    "FORMATS",
    "Config",
    "check_options",
    "network_check_options",
    "implied_dims",
    "layer_options",
    "output_options",
    "schema_option",
    "schema_options",
]

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "show_default": True,
    "max_content_width": 100,
}

FORMATS = ("table", "json", "csv", "markdown", "svg", "html")
"""What ``--format`` offers every command but batch."""


Config = dict[str, Any]
"""A layer config as the schema names it (``cin``, ``kernel``, ``input``, ...): what a
variant command reads, as a batch line does."""


def schema_option(option: Option, variant: str | None = None, **changes: Any) -> Callable[[F], F]:
    """The Click option of a schema option, as ``variant`` takes it if one is named;
    ``changes`` are a command's own words (help, required) where they differ."""
    optional = variant in option.optional_for
    settings: dict[str, Any] = {"help": option.optional_help if optional else option.help}
    if option.kind == "flag":
        settings.update(is_flag=True, default=option.default)
    elif option.kind == "choice":
        settings.update(type=Choice(option.choices, option.aliases), default=option.default)
    elif option.kind == "tools":
        # Repeatable, each value a name or a comma list: read all of them at once, as a
        # batch line's list is read, so that "all" anywhere means every tool in order.
        settings.update(multiple=True, callback=_read_together(option), shell_complete=_tools)
    else:
        settings.update(type=SchemaType(option), default=option.default)
        settings["required"] = required(option, variant)
    if option.metavar:
        settings["metavar"] = option.metavar
    settings.update(changes)
    if settings.get("default", 0) is None:
        # No default at all: Click reads an explicit None as a value given.
        del settings["default"]
    return click.option(*option.flags, option.name, **settings)


def _read_together(option: Option) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def read(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> Any:
        if not values:
            return option.default
        try:
            # One value is quoted as given in an error; several as a list.
            return option.read(values[0] if len(values) == 1 else list(values))
        except ConvCalcError as error:
            raise click.BadParameter(str(error), ctx, param) from None

    return read


def _tools(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The tool names a shell completes ``--reported-by`` with."""
    return [name for name in (*TOOLS, "all") if name.startswith(incomplete)]


def _applied(decorators: Sequence[Callable[[F], F]], f: F) -> F:
    """``f`` under the decorators, the first listed outermost (as written above a
    function): Click lists the options in that order."""
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def _gathered(
    name: str, names: Sequence[str], make: Callable[..., Any], decorators: Sequence[Any]
) -> Callable[[F], F]:
    """Options whose values reach the command as one argument ``name``, made by
    ``make`` from them, instead of one argument each."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def command(*args: Any, **values: Any) -> Any:
            return f(*args, **{name: make(**{n: values.pop(n) for n in names}), **values})

        return _applied(decorators, cast(F, command))

    return decorate


def schema_options(*names: str) -> Callable[[F], F]:
    """The schema's options of these names, each its own argument of the command
    (named as the schema names it)."""
    decorators = [schema_option(OPTIONS[name]) for name in names]

    def decorate(f: F) -> F:
        return _applied(decorators, f)

    return decorate


def layer_options(variant: str) -> Callable[[F], F]:
    """Every option a variant's layer takes, then what it is measured on and how it
    is stated (the schema's LAYER, MEASURE and ANALYSIS): the command gets them as one
    ``config``, keyed by the schema's names."""
    options = (*options_for(variant), *MEASURE, *ANALYSIS)
    return _gathered(
        "config",
        [option.name for option in options],
        dict,
        [schema_option(o, variant) for o in options],
    )


def output_options(quiet: str) -> Callable[[F], F]:
    """``--format``, ``-o`` and ``-q`` (after sqlite-utils' output_options), as one
    :class:`Output` argument ``out``; ``quiet`` says what ``-q`` prints."""
    return _gathered(
        "out",
        ["format", "path", "quiet", "wide", "units"],
        Output,
        [
            click.option(
                "--format",
                "format",
                type=click.Choice(FORMATS),
                default="table",
                help="A table for people; json, csv or markdown for machines and docs; "
                "svg or html pictures of the table (for CI artifacts).",
            ),
            click.option(
                "-o",
                "--output",
                "path",
                type=OUTPUT,
                help="Write to this file instead of stdout (- for stdout). An existing file "
                "is replaced only once the whole output is written.",
            ),
            click.option("-q", "--quiet", "quiet", is_flag=True, help=quiet),
            click.option(
                "--wide",
                is_flag=True,
                help="Draw every column of a table, however wide the terminal.",
            ),
            click.option(
                "--units",
                type=Choice(UNITS),
                default="auto",
                help="Counts in tables: exact (231,211,008), si (231.2 M), or auto: exact "
                "while the table fits, si rather than leave a column out. JSON and CSV are "
                "always exact.",
            ),
        ],
    )


def _checks(macs_help: str) -> Callable[[F], F]:
    return _gathered(
        "gates",
        ["expect", "max_params", "max_macs"],
        Gates,
        [
            click.option(
                "--expect",
                type=COUNT,
                metavar="N",
                help="Exit 1 unless the parameter count is exactly N.",
            ),
            click.option(
                "--max-params",
                type=COUNT,
                metavar="N",
                help="Exit 1 if the parameter count is over N (30M, 1.5G allowed).",
            ),
            click.option("--max-macs", type=COUNT, metavar="N", help=macs_help),
        ],
    )


check_options = _checks("Exit 1 if the MACs are over N (needs --input).")
network_check_options = _checks("Exit 1 if the MACs are over N (30M, 1.5G allowed).")
"""The CI gates, as one :class:`Gates` argument ``gates``."""


"""The options whose sizes say how many dimensions the convolution has."""


def implied_dims(config: Config) -> int | None:
    """The rank asked for, or implied by the sizes given (one with three sizes means
    3D); a usage error naming the options if the sizes disagree."""
    try:
        return rank_of(config)
    except RankError as error:
        named = [f"{hint(name)} has {n}" for name, n in error.ranks.items()]
        raise click.UsageError(
            f"sizes disagree on the number of dimensions ({', '.join(named)}): "
            "give each one size, or the same number of sizes"
        ) from None

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
from click.core import ParameterSource

from ..model.core import ConvCalcError
from ..model.evaluate import RankError, rank_of
from ..model.names import TOOLS
from ..model.schema import ANALYSIS, MEASURE, OPTIONS, Option, options_for, required
from ..views.text import UNITS
from .errors import hint
from .output import Gates, Output
from .types import COUNT, Choice, OutputPath, SchemaType

__all__ = [
    "CONTEXT_SETTINGS",
    "FORMATS",
    "Config",
    "HELP",
    "DeferredOption",
    "Later",
    "NamedOptionsCommand",
    "check_options",
    "flags_of",
    "help_option",
    "network_check_options",
    "implied_dims",
    "layer_options",
    "output_options",
    "refuse_given",
    "refuse_unused_chart",
    "refuse_without_training",
    "schema_option",
    "schema_options",
]

F = TypeVar("F", bound=Callable[..., Any])

_UNGIVEN: Any = object()

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


class Later:
    """An attribute of a :class:`DeferredOption` made only with the option: a type
    whose making costs (``click.Path`` asks gettext for its name, and the first such
    question loads ``locale``)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


HELP = "Show this message and exit."
"""The help option's help, as Click words it."""


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def help_option(command: click.Command, ctx: click.Context) -> click.Option | None:
    """``-h``/``--help`` for ``command``, as Click's ``Command.get_help_option`` makes
    it (an eager flag that prints the help and exits), with its help text given
    instead of asked of gettext: Click's own asks at every start, and the first
    question loads ``locale`` (2.5 M instructions, the JSON path's only use of it)."""
    names = command.get_help_option_names(ctx)
    if not names or not command.add_help_option:
        return None
    made: click.Option | None = command.__dict__.get("_plain_help_option")
    if made is None:
        made = click.Option(
            names, is_flag=True, expose_value=False, is_eager=True, help=HELP, callback=_show_help
        )
        command.__dict__["_plain_help_option"] = made
    return made


class DeferredOption(click.Option):
    """A Click option that is made only when something first asks it anything: a
    ``cls`` for :func:`click.option` (Click's documented way to choose the class).

    Making an option and parsing it cost about 0.15 M instructions, and a variant
    command has 28 options, of which a command line names four or five:
    :class:`NamedOptionsCommand` makes only those, and gives the others the value
    Click would give them (:meth:`missing`). Anything else that touches an option
    (help, completion, another command class) makes it whole, as if it had been made
    at once.
    """

    # Safe to leave unmade: nothing here runs code, reads the environment or fails
    # when the option is not on the command line.
    _PLAIN = frozenset(
        {"type", "default", "help", "is_flag", "metavar", "show_default", "shell_complete"}
    )

    def __init__(self, param_decls: Sequence[str], missing: Any = _UNGIVEN, **attrs: Any) -> None:
        # Kept in the instance's dict, under names Click does not use: reading any
        # attribute the instance lacks makes the option (__getattr__).
        names = [decl for decl in param_decls if decl.isidentifier()]
        keys = set(attrs) if attrs.get("required") else set(attrs) - {"required"}
        # A value made by a callback (a list of tools) is known only if it is given.
        lazy = keys <= self._PLAIN or (
            keys <= {*self._PLAIN, "multiple", "callback"} and missing is not _UNGIVEN
        )
        self.__dict__.update(
            _deferred=True,
            deferred_decls=tuple(param_decls),
            deferred_attrs=attrs,
            deferred_name=names[0] if names and lazy else None,
            deferred_flags=tuple(
                flag for decl in param_decls if not decl.isidentifier() for flag in decl.split("/")
            ),
            deferred_missing=missing,
        )

    def __getattr__(self, name: str) -> Any:
        # Called only for what the instance lacks: the first use of an unmade option.
        if not self.__dict__.pop("_deferred", False):
            raise AttributeError(name)
        attrs = {k: v.make() if isinstance(v, Later) else v for k, v in self.deferred_attrs.items()}
        click.Option.__init__(self, self.deferred_decls, **attrs)
        return getattr(self, name)

    def missing(self) -> Any:
        """The value Click gives this option when the command line leaves it out: the
        default, read by the option's type (a test checks it against Click's)."""
        if self.deferred_missing is not _UNGIVEN:
            return self.deferred_missing
        attrs = self.deferred_attrs
        default, kind = attrs.get("default"), attrs.get("type")
        if attrs.get("is_flag"):
            return bool(default)
        if default is None or kind is None:
            return default
        return (kind.make() if isinstance(kind, Later) else kind).convert(default, None, None)


class NamedOptionsCommand(click.Command):
    """A command that makes and parses only the options its command line names (and
    those it requires), each other one taking the value Click would give it: the
    variant commands start 3.5 M instructions sooner. A command line with anything
    else (``-h``, ``-k3``, a word that is no option, ``--``) is parsed by Click in full,
    so that its help, errors and suggestions are Click's own."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        found = None if ctx.resilient_parsing else self._named(args)
        if found is None:
            return super().parse_args(ctx, args)
        named, spelled = found
        every = self.params
        left = [p for p in every if isinstance(p, DeferredOption) and p not in named]
        self.params = [p for p in every if p not in left]
        try:
            rest = super().parse_args(ctx, spelled)
        finally:
            self.params = every
        for param in left:
            ctx.params[param.deferred_name] = param.missing()
            ctx.set_parameter_source(param.deferred_name, ParameterSource.DEFAULT)
        return rest

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return help_option(self, ctx)

    def _named(self, args: list[str]) -> tuple[set[click.Parameter], list[str]] | None:
        """The options that must be made for ``args`` (those named, and those that are
        not deferrable), and ``args`` with each short option spelled long; None if
        ``args`` need a full parse.

        Click tries a short option such as ``-k`` as a long one first, and failing
        that makes an error with the close matches (difflib) and a translated message
        before it tries it as a short one: 3.6 M instructions an option. Spelled long,
        it is found at once; the value the option takes is the same.
        """
        # Each spelling: its option, whether it takes a value, its long spelling.
        table: dict[str, tuple[click.Parameter, bool, str | None]] = {}
        named: set[click.Parameter] = set()
        for param in self.params:
            if isinstance(param, DeferredOption):
                flags = param.deferred_flags
                takes_value = not param.deferred_attrs.get("is_flag")
                long = next((flag for flag in flags if flag[:2] == "--"), None)
                for flag in flags:
                    table[flag] = (param, takes_value, long if len(flag) == 2 else None)
                if param.deferred_name is None:
                    named.add(param)
            else:
                takes_value = isinstance(param, click.Option) and not (param.is_flag or param.count)
                for flag in (*param.opts, *param.secondary_opts):
                    table[flag] = (param, takes_value, None)
                named.add(param)
        spelled: list[str] = []
        value_next = False
        for i, token in enumerate(args):
            if value_next or token[:1] != "-" or token == "-":
                value_next = False  # a value, whatever it looks like (- is stdin/stdout)
                spelled.append(token)
                continue
            key, equals, _ = token.partition("=") if token[:2] == "--" else (token, "", "")
            entry = table.get(key)
            if entry is None:
                return None
            param, takes_value, long = entry
            named.add(param)
            value_next = takes_value and not equals
            # Left as typed where Click's message would quote it: a value missing.
            if long is not None and (not takes_value or i + 1 < len(args)):
                token = long
            spelled.append(token)
        return named, spelled


def _option(*param_decls: str, **attrs: Any) -> Callable[[F], F]:
    """``click.option`` with a :class:`DeferredOption`."""
    return click.option(*param_decls, cls=DeferredOption, **attrs)


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
        settings["missing"] = option.default
    else:
        settings.update(type=SchemaType(option), default=option.default)
        settings["required"] = required(option, variant)
    if option.metavar:
        settings["metavar"] = option.metavar
    settings.update(changes)
    if settings.get("default", 0) is None:
        # No default at all: Click reads an explicit None as a value given.
        del settings["default"]
    return _option(*option.flags, option.name, **settings)


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
            _option(
                "--format",
                "format",
                type=click.Choice(FORMATS),
                default="table",
                help="A table for people; json, csv or markdown for machines and docs; "
                "svg or html pictures of the table (for CI artifacts).",
            ),
            _option(
                "-o",
                "--output",
                "path",
                type=Later(lambda: OutputPath(dir_okay=False)),
                help="Write to this file instead of stdout (- for stdout). An existing file "
                "is replaced only once the whole output is written.",
            ),
            _option("-q", "--quiet", "quiet", is_flag=True, help=quiet),
            _option(
                "--wide",
                "wide",
                is_flag=True,
                help="Draw every column of a table, however wide the terminal.",
            ),
            _option(
                "--units",
                "units",
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
            _option(
                "--expect",
                "expect",
                type=COUNT,
                metavar="N",
                help="Exit 1 unless the parameter count is exactly N.",
            ),
            _option(
                "--max-params",
                "max_params",
                type=COUNT,
                metavar="N",
                help="Exit 1 if the parameter count is over N (30M, 1.5G allowed).",
            ),
            _option("--max-macs", "max_macs", type=COUNT, metavar="N", help=macs_help),
        ],
    )


def flags_of(param: click.Parameter) -> str:
    """An option's spellings as an error names them (``'--bias' / '--no-bias'``)."""
    return " / ".join(f"'{flag}'" for flag in (*param.opts, *param.secondary_opts))


def refuse_given(names: Sequence[str] | None, why: str, *, allowed: Sequence[str] = ()) -> None:
    """A usage error (exit 2) naming the first of the running command's parameters in
    ``names`` (by their Python names; None: every one not in ``allowed``) that the
    command line gives, saying ``why`` it does not apply: an option that would be
    ignored is refused, as ``--output-padding`` without ``--transposed`` is."""
    ctx = click.get_current_context()
    # By name: asking a DeferredOption for anything else makes it (0.15 M instructions).
    for name in ctx.params if names is None else names:
        if name in allowed or ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        param = next(p for p in ctx.command.params if p.name == name)
        if isinstance(param, click.Argument):
            raise click.BadParameter(why, ctx, param_hint=f"'{param.human_readable_name}'")
        raise click.BadParameter(why, ctx, param_hint=flags_of(param))


def refuse_without_training(training: bool) -> None:
    """``--frozen`` and ``--optimizer`` say how a training step is counted: without
    ``--training`` there is none, and each is refused."""
    if not training:
        refuse_given(
            ("frozen", "optimizer"),
            "applies to a training step: add --training, or leave it out",
        )


def refuse_unused_chart(chart: bool, out: Output) -> None:
    """``compare``'s and ``sweep``'s chart options where no chart is drawn: ``--log`` or
    ``--linear`` without ``--chart``, and ``--chart`` where the output has no picture
    (``-q``, JSON, CSV, Markdown, which carry the figures alone)."""
    if not chart:
        refuse_given(("log",), "sets the chart's scale: add --chart, or leave it out")
    elif out.quiet:
        refuse_given(("chart",), "-q prints the parameter counts alone: leave --chart out")
    elif out.format in ("json", "csv", "markdown"):
        refuse_given(
            ("chart",),
            f"--format {out.format} writes the figures without a chart: leave --chart out, "
            "or use table, svg or html",
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

"""The command line: Click options and types, error mapping, format dispatch.

Kept thin: every figure comes from :mod:`convcalc.model.core` and :mod:`convcalc.model.cost`.
Rich is imported only when a table is drawn, so ``--format json`` and ``-q``
start as fast as Click itself.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ..model.core import ALIASES, VARIANTS, ConvCalcError, fmt, make_block
from ..model.limits import (
    MAX_DIGITS,
    MAX_RANGE_VALUES,
    over_limit,
    read_size,
    read_whole,
    shown,
    too_large,
    whole,
)
from ..model.names import CONVENTIONS, DTYPES, FRAMEWORKS, OPTIMIZERS, TOOLS
from ..views.text import visible
from .output import PIPE_CLOSED_STATUS, PipeClosed, guarded_stdout, say

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    "show_default": True,
    "max_content_width": 100,
}

FORMATS = ("table", "json", "csv", "markdown", "svg", "html")

OPTION_HINTS: dict[str, str] = {
    "cin": "'--cin'",
    "cout": "'--cout'",
    "kernel": "'-k' / '--kernel'",
    "groups": "'-g' / '--groups'",
    "multiplier": "'-m' / '--multiplier'",
    "stride": "'-s' / '--stride'",
    "padding": "'-p' / '--padding'",
    "dilation": "'-d' / '--dilation'",
    "output_padding": "'--output-padding'",
    "transposed": "'--transposed'",
    "input": "'--input'",
    "dims": "'--dims'",
    "batch": "'--batch'",
    "dtype": "'--dtype'",
    "width": "'--width'",
    "resolution": "'--resolution'",
}


class CheckFailed(click.ClickException):
    """A check asked for on the command line (``--expect``, a budget) did not hold."""

    exit_code = 1


class Interrupted(click.ClickException):
    """Ctrl-C (SIGINT): the run stops with exit 130, as a shell reports a program
    ended by SIGINT, and one line."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")


def fail(error: ConvCalcError) -> NoReturn:
    """Turn a core error into a usage error (exit 2) naming the option at fault."""
    hint = OPTION_HINTS.get(error.option or "")
    if hint:
        raise click.BadParameter(str(error), param_hint=hint) from None
    raise click.UsageError(str(error)) from None


# --- parameter types -------------------------------------------------------

if TYPE_CHECKING:
    ParamBase = click.ParamType[Any]
else:  # ParamType became generic in Click 8.3; stay importable on 8.2.
    ParamBase = click.ParamType


class SizeType(ParamBase):
    """``3`` or one size per dimension, ``3x5`` or ``16x112x112`` (or ``3×5``, as
    convcalc prints sizes)."""

    name = "size"

    def __init__(self, minimum: int = 1) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | tuple):
            return value
        try:
            return read_size(str(value), minimum=self.minimum)
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


class PaddingType(SizeType):
    """A size (0 allowed), or ``same`` / ``valid``."""

    name = "padding"

    def __init__(self) -> None:
        super().__init__(minimum=0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
            return value.strip().lower()
        return super().convert(value, param, ctx)


class SizesType(ParamBase):
    """Comma-separated sizes: ``3,5,7`` or ``3x5,1x7``; at least one."""

    name = "sizes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = [part for part in str(value).split(",") if part.strip()]
        if not parts:
            self.fail(f"{shown(value)} names no size: use sizes like 3,5,7 or 3x5", param, ctx)
        return tuple(SIZE.convert(part, param, ctx) for part in parts)


class ListType(ParamBase):
    """Comma-separated positive whole numbers: ``128`` or ``128,64``."""

    name = "list"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        numbers = []
        for part in str(value).split(","):
            try:
                numbers.append(read_whole(part))
            except ConvCalcError as error:
                problem = over_limit(part) or (
                    f"{shown(value)} is not a list of whole numbers >= 1 like 128 or 128,64"
                )
                self.fail(problem if whole(part) is None else str(error), param, ctx)
        return tuple(numbers)


class RangeType(ParamBase):
    """Whole numbers as a list and/or ranges: ``16,32,64``, ``32:512:x2`` (doubling),
    ``8:64:8`` or ``8:64`` (steps of 8, of 1)."""

    name = "range"
    limit = MAX_RANGE_VALUES

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        numbers: list[int] = []
        for part in str(value).split(","):
            problem = over_limit(part)
            if problem:
                self.fail(problem, param, ctx)
            match = re.fullmatch(r"\s*([0-9]+)(?::([0-9]+)(?::(x?)([0-9]+))?)?\s*", part)
            if not match:
                self.fail(
                    f"{shown(part)} is not a number or range: use 16,32,64, 32:512:x2 or 8:64:8",
                    param,
                    ctx,
                )
            start = int(match[1])
            stop = int(match[2]) if match[2] else start
            step = int(match[4]) if match[4] else 1
            geometric = bool(match[3])
            if start < 1 or stop < start or (geometric and step < 2) or step < 1:
                self.fail(
                    f"{shown(part)}: start >= 1, stop >= start, and a step >= 1 (x2 or more)",
                    param,
                    ctx,
                )
            n = start
            while n <= stop:
                numbers.append(n)
                if len(numbers) > self.limit:
                    self.fail(f"{shown(value)} gives more than {self.limit:,} values", param, ctx)
                n = n * step if geometric else n + step
        return tuple(numbers)


_SI = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_COUNT = re.compile(r"\s*([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?([kKmMgGtT]?)\s*")


class CountType(ParamBase):
    """A whole count, optionally with an SI suffix: ``73856``, ``73,856``, ``30M``,
    ``1.5G``."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value)
        match = _COUNT.fullmatch(text)
        if match:
            digits = match[1].replace(",", "") + (match[2] or "")
            if len(digits) > MAX_DIGITS:
                self.fail(
                    f"a number of {len(digits):,} digits is over the limit of {MAX_DIGITS} digits",
                    param,
                    ctx,
                )
            # Integers throughout: decimal arithmetic would round past 28 digits.
            scaled, unit = int(digits) * _SI[match[3].lower()], 10 ** len(match[2] or "")
            if scaled % unit == 0:
                if too_large(scaled // unit):
                    self.fail(f"{shown(text)} is over the limit of {MAX_DIGITS} digits", param, ctx)
                return scaled // unit
        self.fail(
            f"{shown(text)} is not a whole count: use the digits 0-9 (73856 or 73,856), "
            "optionally with k, M, G or T (30M, 1.5G)",
            param,
            ctx,
        )


class InputFile(click.File):
    """A file to read, or ``-`` for stdin; a name no file can have is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"{value!r} is not a file name (it holds a NUL byte)", param, ctx)
        return super().convert(value, param, ctx)


class OutputPath(click.Path):
    """A file to write, or ``-`` for stdout; a name no file can have is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"{value!r} is not a file name (it holds a NUL byte)", param, ctx)
        if isinstance(value, str) and (not value or value.endswith(("/", os.sep))):
            self.fail(f"{value!r} is not a file name: give one like out.txt, or -", param, ctx)
        return super().convert(value, param, ctx)


class WholeType(ParamBase):
    """A whole number from ``minimum`` (to ``maximum``), with an error that says so."""

    def __init__(self, minimum: int = 1, maximum: int | None = None, name: str = "integer") -> None:
        self.minimum, self.maximum, self.name = minimum, maximum, name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return read_whole(value, minimum=self.minimum, maximum=self.maximum)
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


class Choice(click.Choice):  # type: ignore[type-arg]
    """A closed set, read as batch reads it: case and surrounding spaces do not matter."""

    def __init__(self, choices: Sequence[str]) -> None:
        super().__init__(choices, case_sensitive=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(value.strip() if isinstance(value, str) else value, param, ctx)


POSITIVE = WholeType()
DIMS = WholeType(1, 3, name="dims")
SIZE = SizeType()
SIZE0 = SizeType(minimum=0)
SIZES = SizesType()
COUNT = CountType()


# --- shared option groups --------------------------------------------------


def _apply(f: F, decorators: Sequence[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def output_options(quiet: str) -> Callable[[F], F]:
    """``--format``, ``-o`` and ``-q`` for every command (after sqlite-utils'
    output_options); ``quiet`` says what ``-q`` prints for this command."""
    return partial(
        _apply,
        decorators=[
            click.option(
                "--format",
                "format_",
                type=click.Choice(FORMATS),
                default="table",
                help="A table for people; json, csv or markdown for machines and docs; "
                "svg or html pictures of the table (for CI artifacts).",
            ),
            click.option(
                "-o",
                "--output",
                type=OutputPath(dir_okay=False),
                help="Write to this file instead of stdout (- for stdout). An existing file "
                "is replaced only once the whole output is written.",
            ),
            click.option("-q", "--quiet", is_flag=True, help=quiet),
        ],
    )


def check_options(f: F) -> F:
    """The CI gates."""
    return _apply(
        f,
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
            click.option(
                "--max-macs",
                type=COUNT,
                metavar="N",
                help="Exit 1 if the MACs are over N (needs --input).",
            ),
        ],
    )


def input_options(f: F) -> F:
    """The input size and what is computed from it."""
    return _apply(
        f,
        [
            click.option(
                "--input",
                "input_",
                type=SIZE,
                metavar="SIZE",
                help="Spatial input size (56, 56x40, 16x112x112): adds shapes, MACs and memory.",
            ),
            click.option(
                "--dims",
                type=DIMS,
                help="Conv1d, 2d or 3d  [default: 2, or as many as the kernel or input has]",
            ),
            click.option("--batch", type=POSITIVE, default=1, help="Samples per batch."),
            click.option(
                "--dtype",
                type=Choice(list(DTYPES)),
                default="fp32",
                help="Element type for weight and activation bytes.",
            ),
        ],
    )


CONVENTION_OPTION = click.option(
    "--convention",
    type=Choice(list(CONVENTIONS)),
    default="macs",
    help="How compute is stated: multiply-accumulates or FLOPs (2 per MAC), with or "
    "without one addition per output element for a bias.",
)


def framework_options(f: F) -> F:
    """How a framework counts: Keras' parameters, BatchNorm folded for inference."""
    return _apply(
        f,
        [
            click.option(
                "--framework",
                type=Choice(list(FRAMEWORKS)),
                default="pytorch",
                help="Count parameters as this framework does (Keras: BatchNorm's moving "
                "statistics are parameters; SeparableConv2D has one bias).",
            ),
            click.option(
                "--fold-bn",
                is_flag=True,
                help="Inference figures with each BatchNorm folded into the convolution before it.",
            ),
        ],
    )


def profiler_options(f: F) -> F:
    """Other tools' figures."""
    return click.option(
        "--reported-by",
        "reported_by",
        type=Choice([*TOOLS, "all"]),
        multiple=True,
        metavar="TOOL",
        help=f"Also show what a profiler would print (repeatable): {', '.join(TOOLS)}, or all.",
    )(f)


def training_options(f: F) -> F:
    """The cost of a training step."""
    return _apply(
        f,
        [
            click.option(
                "--training",
                is_flag=True,
                help="Add a training step's compute (3 × forward MACs) and memory.",
            ),
            click.option(
                "--frozen", is_flag=True, help="With --training: weights are frozen (2 ×)."
            ),
            click.option(
                "--optimizer",
                type=Choice(list(OPTIMIZERS)),
                default="sgd",
                help="With --training: the optimizer whose state is kept.",
            ),
        ],
    )


def geometry_options(f: F) -> F:
    """Stride, padding and dilation of the K×K convolution."""
    return _apply(
        f,
        [
            click.option(
                "-s", "--stride", type=SIZE, default="1", metavar="SIZE", help="Stride (2, 2x1)."
            ),
            click.option(
                "-p",
                "--padding",
                type=PaddingType(),
                metavar="SIZE|same|valid",
                help="Zero padding each side  [default: d·(k−1)//2, which keeps odd kernels' "
                "size at stride 1; PyTorch's own default is 0]",
            ),
            click.option(
                "-d", "--dilation", type=SIZE, default="1", metavar="SIZE", help="Dilation."
            ),
        ],
    )


def channel_options(f: F) -> F:
    return _apply(
        f,
        [
            click.option("--cin", type=POSITIVE, required=True, help="Input channels."),
            click.option("--cout", type=POSITIVE, required=True, help="Output channels."),
        ],
    )


KERNEL_OPTION = click.option(
    "-k", "--kernel", type=SIZE, default="3", metavar="SIZE", help="Kernel size (3, 3x5, 3x3x3)."
)
BIAS_OPTIONS = [
    click.option(
        "--bias/--no-bias", default=True, help="Count a bias per output channel (the post does)."
    ),
    click.option("--bn", is_flag=True, help="Add BatchNorm where the real architectures put it."),
]


# --- the group -------------------------------------------------------------


class ConvcalcGroup(click.Group):
    """Builds commands only when they are used, resolves aliases, and reports every
    error in one line on stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.builders: dict[str, Callable[[], click.Command]] = {}

    def lazy(
        self, name: str
    ) -> Callable[[Callable[[], click.Command]], Callable[[], click.Command]]:
        """Register a function that builds the command ``name`` when it is first used:
        building every command's options at import would slow each start-up."""

        def register(build: Callable[[], click.Command]) -> Callable[[], click.Command]:
            self.builders[name] = build
            return build

        return register

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.builders, *(c for c in super().list_commands(ctx) if c not in self.builders)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = ALIASES.get(cmd_name, cmd_name)
        if name not in self.commands and name in self.builders:
            self.add_command(self.builders[name](), name)
        return super().get_command(ctx, name)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def invoke(self, ctx: click.Context) -> Any:
        # Caught here, before Click turns it into Abort after a blank line on stderr.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if (
            args
            and not ctx.resilient_parsing  # completing: say nothing, as Click does
            and self.get_command(ctx, args[0]) is None
            and not args[0].startswith("-")
        ):
            allowed = ", ".join([*self.list_commands(ctx), *ALIASES])
            raise click.UsageError(f"no such command {args[0]!r}: use one of {allowed}", ctx)
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            with guarded_stdout():
                result = super().main(
                    args, prog_name or "convcalc", complete_var, standalone_mode=False, **extra
                )
            code = result if isinstance(result, int) else 0
        except PipeClosed:
            # The reader has gone (`| head`): end quietly, as SIGPIPE would end us.
            code = PIPE_CLOSED_STATUS
        except (Interrupted, click.Abort, KeyboardInterrupt):
            # Click raises Abort for an interrupt that comes before ours is set up.
            say("convcalc: interrupted")
            code = Interrupted.exit_code
        except CheckFailed as error:
            say(visible(f"convcalc: check failed: {_one_line(error.format_message())}"))
            code = error.exit_code
        except click.exceptions.NoArgsIsHelpError as error:
            # `convcalc` alone asks for nothing wrong: show the whole help, as Click
            # does, rather than squeezing it onto one error line.
            say(error.format_message().rstrip("\n"))
            code = error.exit_code
        except click.ClickException as error:
            ctx = getattr(error, "ctx", None)
            where = ctx.command_path if ctx is not None else "convcalc"
            # A file name or a spec's name may hold escape sequences: show them escaped.
            say(visible(f"{where}: error: {_one_line(error.format_message())}"))
            code = error.exit_code
        if standalone_mode:
            sys.exit(code)
        return code


def _one_line(message: str) -> str:
    return " ".join(message.split())


EPILOG_HELP = """\b
Examples:
  convcalc standard --cin 64 --cout 128 -k 3
  convcalc compare --cin 64 --cout 128,64 -k 3
  convcalc separable --cin 64 --cout 128 --input 56 --format json
"""


@click.group(
    name="convcalc", cls=ConvcalcGroup, context_settings=CONTEXT_SETTINGS, epilog=EPILOG_HELP
)
@click.version_option(package_name="convcalc", message="%(prog)s %(version)s")
def cli() -> None:
    """What convolution layers cost: parameters, MACs, shapes and memory, exactly.

    One command per variant (aliases: mobilenet = separable, osnet = lite),
    and compare to set them side by side. MACs are multiply-accumulates
    without bias additions, BatchNorm or activations; FLOPs = 2 × MACs.
    """


def main() -> None:
    """The console script's entry point."""
    cli.main(prog_name="convcalc")


# --- commands --------------------------------------------------------------


def emit(
    opts: dict[str, Any],
    tables: Callable[[], list[Any]],
    data: Callable[[], dict[str, Any]],
    csv_tables: Callable[[], list[Any]] | None = None,
) -> None:
    """Write a result in the format asked for, to stdout or ``-o``; each view is
    built only if needed, and Rich is imported only for the human views."""
    fmt_name, path = opts["format_"], opts.get("output")
    kind = "text"
    if fmt_name == "json":
        import json

        text = json.dumps(data(), indent=2, ensure_ascii=False) + "\n"
        kind = "json"
    elif fmt_name == "csv":
        from ..views.tables import to_csv

        text = to_csv((csv_tables or tables)())
    elif fmt_name == "markdown":
        from ..views.tables import to_markdown

        text = to_markdown(tables())
    elif fmt_name in ("svg", "html"):
        from ..views.terminal import export

        text = export(tables(), fmt_name)
        kind = "markup"
    else:
        from ..views.terminal import draw

        text = draw(tables(), to_stdout=path in (None, "-"))
    write_output(opts, text, kind)


def write_output(opts: dict[str, Any], text: str, kind: str = "text") -> None:
    """Write ``text`` to ``-o`` or stdout: every command's output goes through here,
    ``-q``'s too (see :mod:`convcalc.cli.output`)."""
    from .output import opened

    with opened(opts.get("output"), kind, source=_input_of(opts)) as write:
        write(text)


def _input_of(opts: dict[str, Any]) -> Any:
    """The file a command reads (a spec), which its output must not be."""
    spec = opts.get("spec") or opts.get("model_spec")
    if spec == "-":
        return sys.stdin
    if isinstance(spec, str) and "\0" not in spec and os.path.exists(spec):
        return spec
    return None


def check_gates(
    params: int, macs: int | None, expect: int | None, max_params: int | None, max_macs: int | None
) -> None:
    if expect is not None and params != expect:
        raise CheckFailed(f"expected {fmt(expect)} parameters, got {fmt(params)}")
    if max_params is not None and params > max_params:
        raise CheckFailed(f"{fmt(params)} parameters is over the budget of {fmt(max_params)}")
    if max_macs is not None and macs is not None and macs > max_macs:
        raise CheckFailed(f"{fmt(macs)} MACs is over the budget of {fmt(max_macs)}")


def _run_variant(variant: str, opts: dict[str, Any]) -> None:
    if opts.get("max_macs") is not None and opts.get("input_") is None:
        raise click.BadParameter(
            "a MAC budget needs an input size: add --input", param_hint="'--max-macs'"
        )
    try:
        block = make_block(
            variant,
            cin=opts["cin"],
            cout=opts.get("cout"),
            k=opts.get("kernel"),
            groups=opts.get("groups", 1),
            multiplier=opts.get("multiplier", 1),
            bias=opts["bias"],
            bn=opts["bn"],
            stride=opts["stride"],
            padding=opts.get("padding"),
            dilation=opts.get("dilation", 1),
            transposed=opts.get("transposed", False),
            output_padding=opts.get("output_padding", 0),
            dims=implied_dims(opts),
        )
        if opts["fold_bn"]:
            from ..model.conventions import fold_bn

            block = fold_bn(block)
        keras = opts["framework"] == "keras"
        if keras:
            from ..model.conventions import keras_block

            block = keras_block(block)
        simple = not (opts["reported_by"] or opts["training"] or keras)
        if opts["quiet"] and opts["input_"] is None and simple:
            # Only the parameter count is asked for, and it needs nothing measured.
            write_output(opts, f"{block.params}\n")
            check_gates(block.params, None, opts["expect"], opts["max_params"], None)
            return
        from ..model.cost import measure

        cost = measure(block, input=opts["input_"], batch=opts["batch"], dtype=opts["dtype"])
    except ConvCalcError as error:
        fail(error)
    params = cost.params + cost.buffers if keras else cost.params
    if opts["quiet"]:
        write_output(opts, f"{params}\n")
    else:
        _emit_block(cost, opts)
    check_gates(params, cost.macs, opts["expect"], opts["max_params"], opts["max_macs"])


def _emit_block(cost: Any, opts: dict[str, Any]) -> None:
    """A variant command's views, with the extras asked for."""
    convention, framework = opts["convention"], opts["framework"]
    tools = _tools(opts["reported_by"])
    train = None
    if opts["training"]:
        from ..model.conventions import training

        train = training(cost, optimizer=opts["optimizer"], frozen=opts["frozen"])

    def reports() -> dict[str, Any]:
        from ..model.profilers import reported_by

        return reported_by(cost, tools)

    def tables() -> list[Any]:
        from ..views import tables as views

        found = [views.block_table(cost, convention=convention, framework=framework)]
        if tools:
            found.append(views.reported_table(reports(), cost))
        if train is not None:
            found.append(views.training_table(train))
        return found

    def data() -> dict[str, Any]:
        from ..views.contract import block_json, reported_json, training_json

        result = block_json(cost, convention=convention, framework=framework)
        result["fold_bn"] = opts["fold_bn"]
        if tools:
            result["reported_by"] = reported_json(reports())
        if train is not None:
            result["training"] = training_json(train)
        return result

    emit(opts, tables, data, csv_tables=lambda: tables()[:1])


def _tools(names: Sequence[str]) -> list[str]:
    return list(TOOLS) if "all" in names else list(dict.fromkeys(names))


def implied_dims(opts: dict[str, Any]) -> int | None:
    """The rank asked for, or implied by the sizes given (one with three sizes means 3D)."""
    if opts.get("dims") is not None:
        return int(opts["dims"])
    ranks = {
        key: len(value)
        for key in ("kernel", "input_", "stride", "padding", "dilation", "output_padding")
        for value in [opts.get(key)]
        if isinstance(value, tuple)
    }
    if len(set(ranks.values())) > 1:
        hints = [f"{OPTION_HINTS[key.rstrip('_')]} has {n}" for key, n in ranks.items()]
        raise click.UsageError(
            f"sizes disagree on the number of dimensions ({', '.join(hints)}): "
            "give each one size, or the same number of sizes"
        )
    return next(iter(ranks.values()), None)


VARIANT_HELP: dict[str, tuple[str, str]] = {
    "standard": (
        "A standard K×K convolution: (C_in/g × K × K + 1) × C_out.",
        "convcalc standard --cin 64 --cout 128 -k 3\n"
        "  convcalc standard --cin 64 --cout 128 -k 3 --input 56 --format json\n"
        "  convcalc standard --cin 64 --cout 32 -k 4 -s 2 --transposed --input 16",
    ),
    "depthwise": (
        "A depthwise K×K convolution: (K × K + 1) × C_in × m.",
        "convcalc depthwise --cin 64 -k 3\n  convcalc depthwise --cin 32 -m 2 -k 5 --input 28",
    ),
    "pointwise": (
        "A pointwise (1×1) convolution: (C_in/g + 1) × C_out.",
        "convcalc pointwise --cin 64 --cout 128\n  convcalc pointwise --cin 64 --cout 128 -g 4 -q",
    ),
    "separable": (
        "MobileNet's block, depthwise K×K then pointwise 1×1 (alias: mobilenet).",
        "convcalc separable --cin 64 --cout 128 -k 3\n"
        "  convcalc mobilenet --cin 64 --cout 128 --no-bias --bn --input 56",
    ),
    "lite": (
        "OSNet's lite block, pointwise 1×1 then depthwise K×K (alias: osnet).",
        "convcalc lite --cin 64 --cout 128 -k 3\n"
        "  convcalc osnet --cin 64 --cout 128 --no-bias --bn --expect 9600",
    ),
}


def _variant_command(name: str) -> click.Command:
    summary, examples = VARIANT_HELP[name]

    def run(**opts: Any) -> None:
        _run_variant(name, opts)

    run.__doc__ = (
        f"{summary}\n\nMACs count multiply-accumulates only: bias additions, BatchNorm and "
        "activations are reported apart, and FLOPs = 2 × MACs."
    )
    decorators: list[Callable[[Any], Any]] = []
    if name == "depthwise":
        decorators += [
            click.option("--cin", type=POSITIVE, required=True, help="Input channels."),
            click.option(
                "--cout",
                type=POSITIVE,
                help="Output channels, a multiple of --cin  [default: cin × multiplier]",
            ),
        ]
    else:
        decorators.append(channel_options)
    if name != "pointwise":
        decorators.append(KERNEL_OPTION)
    if name in ("standard", "pointwise"):
        decorators.append(
            click.option("-g", "--groups", type=POSITIVE, default=1, help="Channel groups.")
        )
    if name in ("depthwise", "separable"):
        decorators.append(
            click.option(
                "-m",
                "--multiplier",
                type=POSITIVE,
                default=1,
                help="Depth multiplier: filters per input channel.",
            )
        )
    decorators += BIAS_OPTIONS
    decorators.append(input_options)
    if name == "pointwise":
        decorators.append(
            click.option(
                "-s", "--stride", type=SIZE, default="1", metavar="SIZE", help="Stride (2, 2x1)."
            )
        )
    else:
        decorators.append(geometry_options)
    if name == "standard":
        decorators += [
            click.option(
                "--transposed", is_flag=True, help="A transposed convolution (ConvTranspose)."
            ),
            click.option(
                "--output-padding",
                type=SIZE0,
                default="0",
                metavar="SIZE",
                help="Extra output size of a transposed convolution.",
            ),
        ]
    decorators += [CONVENTION_OPTION, framework_options, profiler_options, training_options]
    decorators += [output_options("Print only the total parameter count."), check_options]
    command = click.command(
        name,
        context_settings=CONTEXT_SETTINGS,
        epilog=f"\b\nExamples:\n  {examples}",
        short_help=summary,
    )(_apply(run, decorators))
    return command


for _name in VARIANTS:
    cli.lazy(_name)(partial(_variant_command, _name))


def _command_from_module(name: str) -> click.Command:
    from . import commands

    build: Callable[[], click.Command] = getattr(commands, f"{name}_command")
    return build()


for _name in ("compare", "model", "batch", "sweep", "fit"):
    cli.lazy(_name)(partial(_command_from_module, _name))

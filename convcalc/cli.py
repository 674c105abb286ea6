"""The command line: Click options and types, error mapping, format dispatch.

Kept thin: every figure comes from :mod:`convcalc.core` and :mod:`convcalc.cost`.
Rich is imported only when a table is drawn, so ``--format json`` and ``-q``
start as fast as Click itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from .core import ALIASES, VARIANTS, ConvCalcError, fmt, make_block

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

_SIZE = re.compile(r"[0-9]+(x[0-9]+){0,2}")


class SizeType(ParamBase):
    """``3`` or one size per dimension, ``3x5`` or ``16x112x112``."""

    name = "size"

    def __init__(self, minimum: int = 1) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | tuple):
            return value
        text = str(value).strip().lower()
        if not _SIZE.fullmatch(text):
            self.fail(
                f"{value!r} is not a size: use a whole number like 3, or one per "
                "dimension like 3x5 or 3x3x3",
                param,
                ctx,
            )
        sizes = tuple(int(part) for part in text.split("x"))
        if any(s < self.minimum for s in sizes):
            self.fail(f"{value!r}: every size must be >= {self.minimum}", param, ctx)
        return sizes[0] if len(sizes) == 1 else sizes


class PaddingType(SizeType):
    """A size (0 allowed), or ``same`` / ``valid``."""

    name = "padding"

    def __init__(self) -> None:
        super().__init__(minimum=0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
            return value.strip().lower()
        return super().convert(value, param, ctx)


class ListType(ParamBase):
    """Comma-separated positive whole numbers: ``128`` or ``128,64``."""

    name = "list"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = str(value).split(",")
        if not all(re.fullmatch(r"\s*[0-9]+\s*", p) for p in parts):
            self.fail(f"{value!r} is not a list of whole numbers like 128 or 128,64", param, ctx)
        numbers = tuple(int(p) for p in parts)
        if any(n < 1 for n in numbers):
            self.fail(f"{value!r}: every value must be >= 1", param, ctx)
        return numbers


class RangeType(ParamBase):
    """Whole numbers as a list and/or ranges: ``16,32,64``, ``32:512:x2`` (doubling),
    ``8:64:8`` or ``8:64`` (steps of 8, of 1)."""

    name = "range"
    limit = 10_000

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        numbers: list[int] = []
        for part in str(value).split(","):
            match = re.fullmatch(r"\s*([0-9]+)(?::([0-9]+)(?::(x?)([0-9]+))?)?\s*", part)
            if not match:
                self.fail(
                    f"{part!r} is not a number or range: use 16,32,64, 32:512:x2 or 8:64:8",
                    param,
                    ctx,
                )
            start = int(match[1])
            stop = int(match[2]) if match[2] else start
            step = int(match[4]) if match[4] else 1
            geometric = bool(match[3])
            if start < 1 or stop < start or (geometric and step < 2) or step < 1:
                self.fail(
                    f"{part!r}: start >= 1, stop >= start, and a step >= 1 (x2 or more)",
                    param,
                    ctx,
                )
            n = start
            while n <= stop:
                numbers.append(n)
                if len(numbers) > self.limit:
                    self.fail(f"{value!r} gives more than {self.limit:,} values", param, ctx)
                n = n * step if geometric else n + step
        return tuple(numbers)


_SI = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


class CountType(ParamBase):
    """A whole count, optionally with an SI suffix: ``73856``, ``30M``, ``1.5G``."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip().replace(",", "").replace("_", "")
        match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([kKmMgGtT]?)", text)
        if match:
            from decimal import Decimal, InvalidOperation  # only here: decimal is slow to load

            try:
                number = Decimal(match[1]) * _SI[match[2].lower()]
            except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
                number = Decimal("NaN")
            if number == number.to_integral_value():
                return int(number)
        self.fail(
            f"{value!r} is not a whole count: use digits, optionally with k, M, G or T "
            "(73856, 30M, 1.5G)",
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
    """A file to write; a name no file can have is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"{value!r} is not a file name (it holds a NUL byte)", param, ctx)
        return super().convert(value, param, ctx)


class PositiveType(ParamBase):
    """A whole number >= 1, with an error that says so."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif re.fullmatch(r"\s*\+?[0-9]+\s*", str(value)):
            number = int(str(value))
        else:
            self.fail(f"{value!r} is not a whole number: use one >= 1", param, ctx)
        if number < 1:
            self.fail(f"{number} is not allowed: use a whole number >= 1", param, ctx)
        return number


POSITIVE = PositiveType()
SIZE = SizeType()
SIZE0 = SizeType(minimum=0)
COUNT = CountType()


# --- shared option groups --------------------------------------------------


def _apply(f: F, decorators: Sequence[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def output_options(f: F) -> F:
    """``--format`` and ``-q`` for every command (after sqlite-utils' output_options)."""
    return _apply(
        f,
        [
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
                help="Write to this file instead of stdout.",
            ),
            click.option(
                "-q", "--quiet", is_flag=True, help="Print only the total parameter count."
            ),
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
                type=click.IntRange(1, 3),
                help="Conv1d, 2d or 3d  [default: 2, or as many as the kernel or input has]",
            ),
            click.option("--batch", type=POSITIVE, default=1, help="Samples per batch."),
            click.option(
                "--dtype",
                type=click.Choice(["fp32", "fp16", "bf16", "int8"]),
                default="fp32",
                help="Element type for weight and activation bytes.",
            ),
        ],
    )


CONVENTION_OPTION = click.option(
    "--convention",
    type=click.Choice(["macs", "macs+bias", "flops", "flops+bias"]),
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
                type=click.Choice(["pytorch", "keras"]),
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


PROFILERS = (
    "torchinfo",
    "ptflops",
    "ptflops-aten",
    "fvcore",
    "thop",
    "calflops",
    "torchscan",
    "flopcountermode",
    "keras",
)
"""The names of convcalc.profilers.TOOLS, spelled here so that building a command does
not import the profilers' rules (a test keeps the two the same)."""


def analysis_options(f: F) -> F:
    """Other tools' figures and the cost of training."""
    return _apply(
        f,
        [
            click.option(
                "--reported-by",
                "reported_by",
                type=click.Choice([*PROFILERS, "all"]),
                multiple=True,
                metavar="TOOL",
                help=f"Also show what a profiler would print (repeatable): "
                f"{', '.join(PROFILERS)}, or all.",
            ),
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
                type=click.Choice(["sgd", "momentum", "adam"]),
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

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and self.get_command(ctx, args[0]) is None and not args[0].startswith("-"):
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
        # Figures are exact at any size, so their decimal digits may be many.
        sys.set_int_max_str_digits(0)
        try:
            result = super().main(
                args, prog_name or "convcalc", complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else 0
        except CheckFailed as error:
            click.echo(f"convcalc: check failed: {_one_line(error.format_message())}", err=True)
            code = error.exit_code
        except click.ClickException as error:
            ctx = getattr(error, "ctx", None)
            where = ctx.command_path if ctx is not None else "convcalc"
            click.echo(f"{where}: error: {_one_line(error.format_message())}", err=True)
            code = error.exit_code
        except click.Abort:
            click.echo("convcalc: aborted", err=True)
            code = 1
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


def _emit(
    opts: dict[str, Any],
    tables: Callable[[], list[Any]],
    data: Callable[[], dict[str, Any]],
    csv_tables: Callable[[], list[Any]] | None = None,
) -> None:
    """Write a result in the format asked for, to stdout or ``-o``; each view is
    built only if needed, and Rich is imported only for the human views."""
    fmt_name, path = opts["format_"], opts.get("output")
    if fmt_name == "json":
        import json

        text = json.dumps(data(), indent=2, ensure_ascii=False) + "\n"
    elif fmt_name == "csv":
        from .views import to_csv

        text = to_csv((csv_tables or tables)())
    elif fmt_name == "markdown":
        from .views import to_markdown

        text = to_markdown(tables())
    elif fmt_name in ("svg", "html"):
        from .render import export

        text = export(tables(), fmt_name)
    else:
        from .render import make_console, print_tables

        if path is None:
            print_tables(tables(), make_console())
            return
        with _open_output(path) as handle:
            print_tables(tables(), make_console(file=handle))
        return
    if path is None:
        click.echo(text, nl=False)
    else:
        with _open_output(path) as handle:
            handle.write(text)


def _open_output(path: str) -> Any:
    try:
        return open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller's with
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name
        reason = getattr(error, "strerror", None) or str(error)
        raise click.BadParameter(
            f"cannot write {path!r}: {reason}", param_hint="'-o' / '--output'"
        ) from None


def _check(
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
            dims=_dims(opts),
        )
        if opts["fold_bn"]:
            from .conventions import fold_bn

            block = fold_bn(block)
        keras = opts["framework"] == "keras"
        if keras:
            from .conventions import keras_block

            block = keras_block(block)
        simple = not (opts["reported_by"] or opts["training"] or keras)
        if opts["quiet"] and opts["input_"] is None and simple:
            # Only the parameter count is asked for, and it needs nothing measured.
            click.echo(block.params)
            _check(block.params, None, opts["expect"], opts["max_params"], None)
            return
        from .cost import measure

        cost = measure(block, input=opts["input_"], batch=opts["batch"], dtype=opts["dtype"])
    except ConvCalcError as error:
        fail(error)
    params = cost.params + cost.buffers if keras else cost.params
    if opts["quiet"]:
        click.echo(params)
    else:
        _emit_block(cost, opts)
    _check(params, cost.macs, opts["expect"], opts["max_params"], opts["max_macs"])


def _emit_block(cost: Any, opts: dict[str, Any]) -> None:
    """A variant command's views, with the extras asked for."""
    convention, framework = opts["convention"], opts["framework"]
    tools = _tools(opts["reported_by"])
    train = None
    if opts["training"]:
        from .conventions import training

        train = training(cost, optimizer=opts["optimizer"], frozen=opts["frozen"])

    def reports() -> dict[str, Any]:
        from .profilers import reported_by

        return reported_by(cost, tools)

    def tables() -> list[Any]:
        from . import views

        found = [views.block_table(cost, convention=convention, framework=framework)]
        if tools:
            found.append(views.reported_table(reports(), cost))
        if train is not None:
            found.append(views.training_table(train))
        return found

    def data() -> dict[str, Any]:
        from dataclasses import asdict

        from .serialize import block_json

        result = block_json(cost, convention=convention, framework=framework)
        result["fold_bn"] = opts["fold_bn"]
        if tools:
            result["reported_by"] = {
                name: {k: v for k, v in asdict(r).items() if k != "tool"}
                for name, r in reports().items()
            }
        if train is not None:
            result["training"] = {**asdict(train), "total_bytes": train.total_bytes}
        return result

    _emit(opts, tables, data, csv_tables=lambda: tables()[:1])


def _tools(names: Sequence[str]) -> list[str]:
    return list(PROFILERS) if "all" in names else list(dict.fromkeys(names))


def _dims(opts: dict[str, Any]) -> int | None:
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
    decorators += [CONVENTION_OPTION, framework_options, analysis_options]
    decorators += [output_options, check_options]
    command = click.command(
        name,
        context_settings=CONTEXT_SETTINGS,
        epilog=f"\b\nExamples:\n  {examples}",
        short_help=summary,
    )(_apply(run, decorators))
    return command


for _name in VARIANTS:
    cli.lazy(_name)(partial(_variant_command, _name))


@cli.lazy("compare")
def _compare_command() -> click.Command:
    @click.command(
        "compare",
        context_settings=CONTEXT_SETTINGS,
        epilog="""\b
    Examples:
      convcalc compare --cin 64 --cout 128 -k 3
      convcalc compare --cin 64 --cout 128,64 -k 3      # both of the post's tables
      convcalc compare --cin 64 --cout 128 -k 3 --input 56 --all
      convcalc compare --cin 64 --cout 128 --format csv
      convcalc compare --cin 64 --cout 128 --input 56 --chart
      convcalc compare --cin 64 --cout 128 --format svg -o compare.svg
    """,
    )
    @click.option(
        "--cin",
        type=ListType(),
        multiple=True,
        required=True,
        metavar="N[,N...]",
        help="Input channels; several give a table per pair.",
    )
    @click.option(
        "--cout",
        type=ListType(),
        multiple=True,
        required=True,
        metavar="N[,N...]",
        help="Output channels; several give a table per pair.",
    )
    @KERNEL_OPTION
    @click.option("--all", "include_all", is_flag=True, help="Add depthwise and pointwise alone.")
    @click.option(
        "--chart", is_flag=True, help="Draw parameters (and MACs) as bars on a shared scale."
    )
    @BIAS_OPTIONS[0]
    @BIAS_OPTIONS[1]
    @input_options
    @geometry_options
    @CONVENTION_OPTION
    @framework_options
    @output_options
    def compare_cmd(**opts: Any) -> None:
        """Standard, MobileNet and OSNet side by side, with their savings.

        Each row is measured against the standard convolution with the same
        channels: parameters, and with --input, output shape, MACs, FLOPs and
        memory, with the MobileNet paper's 1/C_out + 1/K² beside the exact ratio.
        """
        from .comparison import compare

        groups = []
        dims = _dims(opts)
        try:
            for cin in (c for values in opts["cin"] for c in values):
                for cout in (c for values in opts["cout"] for c in values):
                    groups.append(
                        compare(
                            cin=cin,
                            cout=cout,
                            k=opts["kernel"],
                            include_all=opts["include_all"],
                            bias=opts["bias"],
                            bn=opts["bn"],
                            stride=opts["stride"],
                            padding=opts["padding"],
                            dilation=opts["dilation"],
                            dims=dims,
                            input=opts["input_"],
                            batch=opts["batch"],
                            dtype=opts["dtype"],
                            fold_bn=opts["fold_bn"],
                            framework=opts["framework"],
                        )
                    )
        except ConvCalcError as error:
            fail(error)
        if opts["quiet"]:
            for rows in groups:
                for row in rows:
                    click.echo(row.params)
            return
        from .serialize import compare_json
        from .views import compare_charts, compare_tables

        convention = opts["convention"]
        _emit(
            opts,
            lambda: [
                *compare_tables(groups, convention=convention),
                *(compare_charts(groups) if opts["chart"] else []),
            ],
            lambda: compare_json(groups, convention=convention),
            csv_tables=lambda: compare_tables(groups, convention=convention),
        )

    return compare_cmd


@cli.lazy("model")
def _model_command() -> click.Command:
    @click.command(
        "model",
        context_settings=CONTEXT_SETTINGS,
        epilog="""\b
    Examples:
      convcalc model --list
      convcalc model mobilenet_v1
      convcalc model mobilenet_v1 --width 0.5 --resolution 160
      convcalc model mobilenet_v1 --as standard
      convcalc model osnet_x1_0 --depth 2
      convcalc model examples/tiny_resnet.toml --format json --max-macs 1G
    """,
    )
    @click.argument("spec", required=False, metavar="SPEC")
    @click.option("--list", "list_", is_flag=True, help="List the built-in presets and exit.")
    @click.option(
        "--width",
        metavar="ALPHA",
        help="Width multiplier α: every convolution's channels × α (a preset's own by default).",
    )
    @click.option(
        "--resolution",
        type=SIZE,
        metavar="SIZE",
        help="Input size instead of the spec's (224, 256x128).",
    )
    @click.option(
        "--as",
        "as_variant",
        type=click.Choice(["standard", "separable", "lite", "mobilenet", "osnet"]),
        help="Swap every K×K convolution block for this variant and compare.",
    )
    @click.option(
        "--depth",
        type=POSITIVE,
        default=1,
        help="Levels of nested blocks to show in tables (JSON always has the whole tree).",
    )
    @click.option("--batch", type=POSITIVE, default=1, help="Samples per batch.")
    @click.option(
        "--dtype",
        type=click.Choice(["fp32", "fp16", "bf16", "int8"]),
        help="Element type for memory  [default: the spec's, else fp32]",
    )
    @CONVENTION_OPTION
    @output_options
    @check_options
    def model_cmd(**opts: Any) -> None:
        """A whole network from a spec file (TOML or JSON) or a built-in preset.

        Prints each layer's output shape, parameters and MACs, the totals, and a
        breakdown by layer type, like the MobileNet paper's "Resource per layer
        type". MACs exclude bias, BatchNorm, pooling and activations.
        """
        from .network import trace
        from .spec import PRESETS

        if opts["list_"]:
            _list_presets(opts)
            return
        if opts["spec"] is None:
            raise click.UsageError(
                f"give a spec file or a preset ({', '.join(PRESETS)}), or --list"
            )
        variant = ALIASES.get(opts["as_variant"] or "", opts["as_variant"])
        network = _load_network(opts["spec"], opts["width"], opts["resolution"])
        dtype = opts["dtype"] or network.dtype
        try:
            cost = trace(network, batch=opts["batch"], dtype=dtype)
            swapped = None
            if variant:
                from .network import swap

                swapped = trace(swap(network, variant), batch=opts["batch"], dtype=dtype)
        except ConvCalcError as error:
            raise click.UsageError(f"{opts['spec']}: {error}") from None
        except RecursionError:
            raise click.UsageError(f"{opts['spec']}: blocks nested too deeply") from None
        checked = swapped or cost
        if opts["quiet"]:
            click.echo(checked.params)
        else:
            from . import netviews

            depth, batch, convention = opts["depth"], opts["batch"], opts["convention"]
            if swapped is not None:
                tables = [netviews.swap_table(cost, swapped, variant, depth=depth)]
                _emit(
                    opts,
                    lambda: tables,
                    lambda: netviews.swap_json(cost, swapped, variant, dtype=dtype, batch=batch),
                )
            else:
                _emit(
                    opts,
                    lambda: [
                        netviews.network_table(
                            cost, depth=depth, dtype=dtype, batch=batch, convention=convention
                        ),
                        netviews.breakdown_table(cost),
                    ],
                    lambda: netviews.network_json(
                        cost, dtype=dtype, batch=batch, convention=convention
                    ),
                    csv_tables=lambda: [
                        netviews.network_table(
                            cost, depth=depth, dtype=dtype, batch=batch, convention=convention
                        )
                    ],
                )
        _check(checked.params, checked.macs, opts["expect"], opts["max_params"], opts["max_macs"])

    return model_cmd


def _read_spec(spec: str, hint: str = "'SPEC'") -> tuple[dict[str, Any], str | None]:
    """A preset's or a spec file's data, and the preset's own width."""
    from pathlib import Path

    from .spec import PRESETS, load, load_preset

    if "\0" in spec:
        raise click.BadParameter(
            f"{spec!r} is not a file name (it holds a NUL byte)", param_hint=hint
        )
    try:
        if spec in PRESETS and not Path(spec).exists():
            return load_preset(spec)
        if not Path(spec).is_file():
            raise click.BadParameter(
                f"{spec!r} is neither a file nor a preset ({', '.join(PRESETS)})",
                param_hint=hint,
            )
        return load(spec), None
    except RecursionError:
        raise click.UsageError(f"{spec}: blocks nested too deeply") from None
    except ConvCalcError as error:
        raise click.UsageError(str(error)) from None


def _load_network(spec: str, width: str | None, resolution: Any) -> Any:
    from .spec import build

    data, preset_width = _read_spec(spec)
    try:
        return build(data, spec, width=width or preset_width, resolution=resolution)
    except RecursionError:
        raise click.UsageError(f"{spec}: blocks nested too deeply") from None
    except ConvCalcError as error:
        if error.option in ("width", "resolution"):
            fail(error)
        raise click.UsageError(str(error)) from None


def _list_presets(opts: dict[str, Any]) -> None:
    from .network import trace
    from .spec import PRESETS, build, load_preset
    from .views import Column, Table

    rows: list[dict[str, Any]] = []
    for name, preset in PRESETS.items():
        data, width = load_preset(name)
        cost = trace(build(data, name, width=width))
        rows.append(
            {
                "name": name,
                "about": preset.about,
                "input_shape": cost.input_shape,
                "params": cost.params,
                "macs": cost.macs,
            }
        )
    table = Table(
        title="Built-in presets",
        columns=(
            Column("name", "Preset"),
            Column("about", "Network"),
            Column("input_shape", "Input", "shape"),
            Column("params", "Params", "count"),
            Column("macs", "MACs", "count"),
        ),
        rows=tuple(rows),
    )
    _emit(
        opts,
        lambda: [table],
        lambda: {"presets": [{**r, "input_shape": list(r["input_shape"])} for r in rows]},
    )


@cli.lazy("batch")
def _batch_command() -> click.Command:
    @click.command(
        "batch",
        context_settings=CONTEXT_SETTINGS,
        epilog="""\b
    Examples:
      convcalc batch layers.jsonl > results.jsonl
      convcalc batch layers.csv --format csv -o results.csv
      printf '{"variant": "lite", "cin": 64, "cout": 128, "input": 56}\\n' | convcalc batch
    \b
    Input keys: variant, cin, cout, kernel (or k), groups, multiplier, bias, bn,
    stride, padding, dilation, transposed, output_padding, dims, input, batch, dtype.
    """,
    )
    @click.argument("file", type=InputFile("r", encoding="utf-8", errors="replace"), default="-")
    @click.option(
        "--input-format",
        type=click.Choice(["jsonl", "csv"]),
        help="How FILE is written  [default: csv for a .csv file, else jsonl]",
    )
    @click.option(
        "--format",
        "format_",
        type=click.Choice(["jsonl", "csv"]),
        default="jsonl",
        help="JSON Lines (one JSON contract object per line) or CSV with fixed columns.",
    )
    @click.option("--strict", is_flag=True, help="Stop with exit 2 at the first bad line.")
    @click.option(
        "-o",
        "--output",
        type=click.File("w", encoding="utf-8", lazy=True),
        default="-",
        help="Write to a file instead of stdout.",
    )
    def batch_cmd(
        file: Any, input_format: str | None, format_: str, strict: bool, output: Any
    ) -> None:
        """Many layer configs in one process: one result per input line, in order.

        Each line is a JSON object (JSON Lines) or a CSV row under a header, with
        the variant commands' option names as keys. A line that cannot be computed
        gives an error record {"line": N, "error": "..."}, so the output has exactly
        as many records as the input has lines; --strict stops at it instead.
        """
        from .batch import CSV_COLUMNS, run

        if input_format is None:
            input_format = (
                "csv" if str(getattr(file, "name", "")).lower().endswith(".csv") else "jsonl"
            )
        if format_ == "csv":
            output.write(",".join(CSV_COLUMNS) + "\n")
        failed = total = 0
        for total, text, error in run(file, input_format, format_):
            if error is not None:
                failed += 1
                if strict:
                    raise click.UsageError(f"line {total}: {error}")
            output.write(text)
        if failed:
            click.echo(f"convcalc batch: {failed} of {total} lines had errors", err=True)

    return batch_cmd


@cli.lazy("sweep")
def _sweep_command() -> click.Command:
    @click.command(
        "sweep",
        context_settings=CONTEXT_SETTINGS,
        epilog="""\b
    Examples:
      convcalc sweep --cin 64 --cout 32:512:x2 -k 3
      convcalc sweep --cin 16,32,64 --cout 128 -k 3,5,7 --chart
      convcalc sweep --cin 64 --cout 64:256:64 --input 56 --format csv
    """,
    )
    @click.option("--cin", type=RangeType(), required=True, metavar="RANGE", help="Input channels.")
    @click.option(
        "--cout", type=RangeType(), required=True, metavar="RANGE", help="Output channels."
    )
    @click.option(
        "-k",
        "--kernel",
        default="3",
        metavar="SIZES",
        help="Kernel sizes, comma-separated (3,5,7 or 3x5).",
    )
    @click.option(
        "--variants",
        default=",".join(VARIANTS),
        metavar="NAMES",
        help="Variants to include, comma-separated (aliases allowed).",
    )
    @BIAS_OPTIONS[0]
    @BIAS_OPTIONS[1]
    @input_options
    @click.option("--chart", is_flag=True, help="Draw the figures as bars on a shared scale.")
    @CONVENTION_OPTION
    @output_options
    def sweep_cmd(**opts: Any) -> None:
        """Every variant over ranges of channels and kernels.

        Ranges are lists (16,32,64), doubling ranges (32:512:x2) or stepped ranges
        (8:64:8). Depthwise rows keep cout = cin, as a depthwise layer does.
        """
        from .cost import measure

        kernels = [SIZE.convert(k, None, None) for k in opts["kernel"].split(",") if k.strip()]
        names = [
            ALIASES.get(v.strip(), v.strip()) for v in opts["variants"].split(",") if v.strip()
        ]
        for name in names:
            if name not in VARIANTS:
                raise click.BadParameter(
                    f"{name!r}: use {', '.join([*VARIANTS, *ALIASES])}", param_hint="'--variants'"
                )
        points = len(opts["cin"]) * len(opts["cout"]) * len(kernels)
        if points * len(names) > 100_000:
            raise click.UsageError(f"the sweep has {points * len(names):,} rows: at most 100,000")
        results = []
        try:
            for cin in opts["cin"]:
                for cout in opts["cout"]:
                    for k in kernels:
                        costs = []
                        for name in names:
                            block = make_block(
                                name,
                                cin=cin,
                                cout=None if name == "depthwise" else cout,
                                k=None if name == "pointwise" else k,
                                bias=opts["bias"],
                                bn=opts["bn"],
                                dims=opts["dims"] or _dims({"kernel": k, "input_": opts["input_"]}),
                            )
                            costs.append(
                                measure(
                                    block,
                                    input=opts["input_"],
                                    batch=opts["batch"],
                                    dtype=opts["dtype"],
                                )
                            )
                        kernel = k if isinstance(k, tuple) else (k, k)
                        results.append((cin, cout, kernel, costs))
        except ConvCalcError as error:
            fail(error)
        if opts["quiet"]:
            for _, _, _, costs in results:
                click.echo(" ".join(str(cost.params) for cost in costs))
            return
        from . import views

        _emit(
            opts,
            lambda: [
                *views.sweep_tables(results, opts["convention"]),
                *(views.sweep_charts(results) if opts["chart"] else []),
            ],
            lambda: {"sweep": views.sweep_records(results, opts["convention"])},
            csv_tables=lambda: [views.sweep_csv_table(results, opts["convention"])],
        )

    return sweep_cmd


@cli.lazy("fit")
def _fit_command() -> click.Command:
    @click.command(
        "fit",
        context_settings=CONTEXT_SETTINGS,
        epilog="""\b
Examples:
  convcalc fit separable --cin 64 -k 3 --input 56 --max-macs 10M
  convcalc fit --cin 64 -k 3 --max-params 50k            # every variant
  convcalc fit --model mobilenet_v1 --max-macs 300M
  convcalc fit --model osnet_x1_0 --max-params 1M -q
""",
    )
    @click.argument(
        "variant",
        required=False,
        type=click.Choice([*VARIANTS, *ALIASES]),
        metavar="[VARIANT]",
    )
    @click.option("--cin", type=POSITIVE, help="Input channels (for a layer).")
    @KERNEL_OPTION
    @click.option("-g", "--groups", type=POSITIVE, default=1, help="Channel groups (standard).")
    @BIAS_OPTIONS[0]
    @BIAS_OPTIONS[1]
    @input_options
    @geometry_options
    @click.option(
        "--model",
        "model_spec",
        metavar="SPEC",
        help="Fit a network's width multiplier instead: a preset or a spec file.",
    )
    @click.option("--resolution", type=SIZE, metavar="SIZE", help="With --model: input size.")
    @click.option("--max-params", type=COUNT, metavar="N", help="Parameter budget (30M, 1.5G).")
    @click.option("--max-macs", type=COUNT, metavar="N", help="MAC budget (needs --input).")
    @output_options
    def fit_cmd(**opts: Any) -> None:
        """The largest layer or network within a budget of parameters and/or MACs.

        For a layer: the largest cout of VARIANT (or of every variant) with the
        other parts fixed; a depthwise layer grows by its multiplier, a grouped
        one by whole groups. With --model: the largest width multiplier α, in
        steps of 0.001. Exits 1 when nothing fits.
        """
        from .fit import Budget

        if opts["max_params"] is None and opts["max_macs"] is None:
            raise click.UsageError("give a budget: --max-params, --max-macs or both")
        budget = Budget(max_params=opts["max_params"], max_macs=opts["max_macs"])
        if opts["model_spec"] is not None:
            _fit_model(opts, budget)
        else:
            _fit_layer(opts, budget)

    return fit_cmd


def _fit_layer(opts: dict[str, Any], budget: Any) -> None:
    from .fit import largest_cout

    if opts["cin"] is None:
        raise click.UsageError("give --cin for a layer, or --model for a network")
    if opts["max_macs"] is not None and opts["input_"] is None:
        raise click.BadParameter(
            "a MAC budget needs an input size: add --input", param_hint="'--max-macs'"
        )
    variant = ALIASES.get(opts["variant"] or "", opts["variant"])
    names = [variant] if variant else list(VARIANTS)
    rows = []
    try:
        for name in names:
            options: dict[str, Any] = {
                "cin": opts["cin"],
                "bias": opts["bias"],
                "bn": opts["bn"],
                "stride": opts["stride"],
                "dims": _dims(opts),
                "input": opts["input_"],
                "batch": opts["batch"],
                "dtype": opts["dtype"],
            }
            if name != "pointwise":
                options.update(k=opts["kernel"], padding=opts["padding"], dilation=opts["dilation"])
            if name == "standard":
                options["groups"] = opts["groups"]
            elif opts["groups"] != 1 and variant:
                raise click.BadParameter(
                    f"groups apply to a standard convolution, not {name}",
                    param_hint="'-g' / '--groups'",
                )
            found = largest_cout(name, budget, **options)
            rows.append((name, found))
    except ConvCalcError as error:
        fail(error)
    if opts["quiet"]:
        for name, found in rows:
            cout = found[0] if found else 0
            click.echo(cout if variant else f"{name} {cout}")
    else:
        _emit(opts, lambda: [_fit_table(rows, budget)], lambda: _fit_json(rows, budget))
    if all(found is None for _, found in rows):
        raise CheckFailed("nothing fits the budget, not even cout = 1")


def _fit_table(rows: list[tuple[str, Any]], budget: Any) -> Any:
    from .views import Column, Table

    bounds = []
    if budget.max_params is not None:
        bounds.append(f"{fmt(budget.max_params)} parameters")
    if budget.max_macs is not None:
        bounds.append(f"{fmt(budget.max_macs)} MACs")
    return Table(
        title=f"Largest cout within {' and '.join(bounds)}",
        columns=(
            Column("variant", "Variant"),
            Column("cout", "Largest cout", "count"),
            Column("params", "Params", "count"),
            Column("macs", "MACs", "count"),
        ),
        rows=tuple(
            {
                "variant": name,
                "cout": found[0] if found else None,
                "params": found[1].params if found else None,
                "macs": found[1].macs if found else None,
            }
            for name, found in rows
        ),
        notes=("-- : not even cout = 1 fits.",) if any(f is None for _, f in rows) else (),
    )


def _fit_json(rows: list[tuple[str, Any]], budget: Any) -> dict[str, Any]:
    from .serialize import block_json

    return {
        "budget": {"max_params": budget.max_params, "max_macs": budget.max_macs},
        "fits": [
            {"variant": name, "cout": None}
            if found is None
            else {**block_json(found[1]), "cout": found[0]}
            for name, found in rows
        ],
    }


def _fit_model(opts: dict[str, Any], budget: Any) -> None:
    from .fit import largest_width
    from .network import trace
    from .spec import build as build_spec

    spec = opts["model_spec"]
    data, _ = _read_spec(spec, "'--model'")

    def build(alpha: Any) -> Any:
        network = build_spec(data, spec, width=alpha, resolution=opts["resolution"])
        return trace(network, batch=opts["batch"])

    try:
        found = largest_width(build, budget)
    except RecursionError:
        raise click.UsageError(f"{spec}: blocks nested too deeply") from None
    except ConvCalcError as error:
        raise click.UsageError(f"{spec}: {error}") from None
    if found is None:
        raise CheckFailed(f"{spec}: no width that can be built (from 0.001 up) fits the budget")
    alpha, cost = found
    text = f"{float(alpha):g}"
    if opts["quiet"]:
        click.echo(text)
        return

    def tables() -> list[Any]:
        from .views import Column, Table

        return [
            Table(
                title=f"{spec}: the largest width that fits",
                columns=(
                    Column("width", "Width α"),
                    Column("params", "Params", "count"),
                    Column("macs", "MACs", "count"),
                ),
                rows=({"width": text, "params": cost.params, "macs": cost.macs},),
                notes=(
                    "Widths are tried in steps of 0.001 up to 4; channels = max(int(c × α), "
                    "min_channels), as TF-slim rounds them.",
                ),
            )
        ]

    _emit(
        opts,
        tables,
        lambda: {
            "model": spec,
            "budget": {"max_params": budget.max_params, "max_macs": budget.max_macs},
            "width": text,
            "params": cost.params,
            "macs": cost.macs,
        },
    )

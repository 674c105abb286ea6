"""The commands beyond the five variants: compare, model, batch, sweep and fit.

Each ``*_command()`` builds its Click command; :mod:`convcalc.cli` calls it the first
time the command is used, so that a variant command never loads these.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import click

from ..model.core import ALIASES, VARIANTS, ConvCalcError, fmt, make_block
from ..model.limits import MAX_PAIRS, MAX_ROWS, shown
from ..model.names import DTYPES, SWAP_VARIANTS
from . import (
    BIAS_OPTIONS,
    CONTEXT_SETTINGS,
    CONVENTION_OPTION,
    COUNT,
    KERNEL_OPTION,
    POSITIVE,
    SIZE,
    SIZES,
    CheckFailed,
    Choice,
    InputFile,
    ListType,
    OutputPath,
    ParamBase,
    RangeType,
    check_gates,
    check_options,
    emit,
    fail,
    framework_options,
    geometry_options,
    implied_dims,
    input_options,
    output_options,
    training_options,
    write_output,
)


def compare_command() -> click.Command:
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
    @output_options("Print only each row's parameter count, one a line.")
    def compare_cmd(**opts: Any) -> None:
        """Standard, MobileNet and OSNet side by side, with their savings.

        Each row is measured against the standard convolution with the same
        channels: parameters, and with --input, output shape, MACs, FLOPs and
        memory, with the MobileNet paper's 1/C_out + 1/K² beside the exact ratio.
        """
        from ..model.comparison import compare

        cins = [c for values in opts["cin"] for c in values]
        couts = [c for values in opts["cout"] for c in values]
        if len(cins) * len(couts) > MAX_PAIRS:
            raise click.UsageError(
                f"{len(cins):,} × {len(couts):,} channel pairs to compare: "
                f"the limit is {MAX_PAIRS:,}"
            )
        groups = []
        dims = implied_dims(opts)
        try:
            for cin in cins:
                for cout in couts:
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
            write_output(opts, "".join(f"{row.params}\n" for rows in groups for row in rows))
            return
        from ..views.contract import compare_json
        from ..views.tables import compare_charts, compare_tables

        convention = opts["convention"]
        emit(
            opts,
            lambda: [
                *compare_tables(groups, convention=convention),
                *(compare_charts(groups) if opts["chart"] else []),
            ],
            lambda: compare_json(groups, convention=convention),
            csv_tables=lambda: compare_tables(groups, convention=convention),
        )

    return compare_cmd


def model_command() -> click.Command:
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
      convcalc model osnet_x1_0 --training --optimizer adam --batch 64
      convcalc model examples/tiny_resnet.toml --format json --max-macs 1G
    """,
    )
    @click.argument("spec", required=False, metavar="SPEC")
    @click.option("--list", "list_", is_flag=True, help="List the built-in presets and exit.")
    @click.option(
        "--show",
        is_flag=True,
        help="Print the preset's spec file (TOML), to copy and edit, and exit.",
    )
    @SPEC_FORMAT_OPTION
    @click.option(
        "--width",
        type=WidthType(),
        metavar="ALPHA",
        help="Width multiplier α, a decimal from 0.001 to 4: every convolution's channels × α "
        "(a preset's own by default).",
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
        type=click.Choice([*SWAP_VARIANTS, *ALIASES]),
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
        type=Choice(list(DTYPES)),
        help="Element type for memory  [default: the spec's, else fp32]",
    )
    @CONVENTION_OPTION
    @training_options
    @output_options("Print only the total parameter count.")
    @check_options
    def model_cmd(**opts: Any) -> None:
        """A whole network, from a spec file or a built-in preset.

        The spec is TOML or JSON; - reads it from standard input.
        Prints each layer's output shape, parameters and MACs, the totals, and a
        breakdown by layer type, like the MobileNet paper's "Resource per layer
        type". MACs exclude bias, BatchNorm, pooling and activations.
        """
        from ..model.network import trace
        from ..model.spec import PRESETS

        if opts["list_"]:
            _list_presets(opts)
            return
        if opts["show"]:
            _show_preset(opts)
            return
        if opts["spec"] is None:
            raise click.UsageError(
                f"give a spec file or a preset ({', '.join(PRESETS)}), or --list"
            )
        variant = ALIASES.get(opts["as_variant"] or "", opts["as_variant"])
        network = _load_network(
            opts["spec"], opts["width"], opts["resolution"], opts["spec_format"]
        )
        dtype = opts["dtype"] or network.dtype

        def compute() -> tuple[Any, Any, list[Any]]:
            from ..model.network import kept, swap

            cost = trace(network, batch=opts["batch"], dtype=dtype)
            if not variant:
                return cost, None, []
            swapped = trace(swap(network, variant), batch=opts["batch"], dtype=dtype)
            return cost, swapped, kept(network, variant)

        source = _source(opts["spec"])
        cost, swapped, held = network_step(source, compute)
        checked = swapped or cost
        network_step(source, lambda: _emit_model(opts, dtype, cost, swapped, variant, held))
        check_gates(
            checked.params, checked.macs, opts["expect"], opts["max_params"], opts["max_macs"]
        )

    return model_cmd


def _emit_model(
    opts: dict[str, Any], dtype: str, cost: Any, swapped: Any, variant: str, held: list[Any]
) -> None:
    """Write ``model``'s figures in the format asked for; each view is built only if
    that format needs it."""
    if opts["quiet"]:
        write_output(opts, f"{(swapped or cost).params}\n")
    else:
        from ..views import network as netviews

        depth, batch, convention = opts["depth"], opts["batch"], opts["convention"]
        train = _network_training(opts, dtype)
        if swapped is not None:
            trainings = (train(cost), train(swapped)) if train else None

            def swap_table() -> Any:
                return netviews.swap_table(cost, swapped, variant, depth=depth, kept=held)

            def swap_tables() -> list[Any]:
                tables = [swap_table()]
                if trainings:
                    from ..views.tables import training_table

                    tables += [
                        training_table(trainings[0], f"Training step: {cost.name}"),
                        training_table(trainings[1], f"Training step: {cost.name} as {variant}"),
                    ]
                return tables

            emit(
                opts,
                swap_tables,
                lambda: netviews.swap_json(
                    cost,
                    swapped,
                    variant,
                    dtype=dtype,
                    batch=batch,
                    convention=convention,
                    training=trainings,
                    kept=held,
                ),
                csv_tables=lambda: [swap_table()],
            )
        else:

            def layer_table() -> Any:
                return netviews.network_table(
                    cost, depth=depth, dtype=dtype, batch=batch, convention=convention
                )

            def network_tables() -> list[Any]:
                found = [layer_table(), netviews.breakdown_table(cost)]
                if train:
                    from ..views.tables import training_table

                    found.append(training_table(train(cost), f"Training step: {cost.name}"))
                return found

            emit(
                opts,
                network_tables,
                lambda: netviews.network_json(
                    cost,
                    dtype=dtype,
                    batch=batch,
                    convention=convention,
                    training=train(cost) if train else None,
                ),
                csv_tables=lambda: [layer_table()],
            )


def _network_training(opts: dict[str, Any], dtype: str) -> Any:
    """With --training, a function from a traced network to its training step."""
    if not opts["training"]:
        return None
    from ..model.conventions import network_training

    return partial(
        network_training,
        batch=opts["batch"],
        dtype=dtype,
        optimizer=opts["optimizer"],
        frozen=opts["frozen"],
    )


class WidthType(ParamBase):
    """A width multiplier: a plain decimal from 0.001 to 4, read exactly."""

    name = "width"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from fractions import Fraction

        from ..model.spec import parse_width

        if isinstance(value, Fraction):
            return value
        try:
            return parse_width(str(value))
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


SPEC_FORMAT_OPTION = click.option(
    "--spec-format",
    type=click.Choice(["toml", "json"]),
    help="How the spec is written  [default: by its suffix, else JSON if it starts with {]",
)


def _read_spec(
    spec: str, hint: str = "'SPEC'", fmt: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """A preset's or a spec file's data (``-`` reads standard input), and the preset's
    own width."""
    import os
    import sys

    from ..model.spec import PRESETS, SpecNotFound, load, load_preset, parse, read_bounded

    if "\0" in spec:
        raise click.BadParameter(
            f"{spec!r} is not a file name (it holds a NUL byte)", param_hint=hint
        )
    try:
        if spec == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:
                raise click.BadParameter("- reads standard input, which is closed", param_hint=hint)
            return parse(read_bounded(stdin, STDIN), STDIN, fmt=fmt), None
        # A file of a preset's name is read instead of the preset (a directory is not).
        # os.path.exists, unlike Path.exists, answers False for a name the system
        # refuses (too long, a loop of links): reading it then says why.
        if spec in PRESETS and (not os.path.exists(spec) or os.path.isdir(spec)):
            return load_preset(spec)
        return load(spec, fmt=fmt), None
    except SpecNotFound:
        raise click.BadParameter(
            f"{spec!r} is neither a file nor a preset ({', '.join(PRESETS)}); - reads "
            "standard input",
            param_hint=hint,
        ) from None
    except RecursionError:
        raise click.UsageError(f"{spec}: nested too deeply to read") from None
    except ConvCalcError as error:
        raise click.UsageError(str(error)) from None


def _load_network(spec: str, width: Any, resolution: Any, fmt: str | None = None) -> Any:
    from ..model.spec import build

    data, preset_width = _read_spec(spec, fmt=fmt)
    alpha = width if width is not None else preset_width
    source = _source(spec)
    return network_step(source, lambda: build(data, source, width=alpha, resolution=resolution))


STDIN = "<stdin>"
"""How messages name a spec read from standard input."""


def _source(spec: str) -> str:
    """The spec's name in messages: ``-`` is standard input."""
    return STDIN if spec == "-" else spec


T = TypeVar("T")


def network_step(spec: str, step: Callable[[], T]) -> T:
    """Build, trace or write out a network: whatever goes wrong is one line and exit 2,
    the same line for ``model`` and ``fit --model``."""
    from ..model.spec import SpecError

    try:
        return step()
    except ConvCalcError as error:
        if error.option in ("width", "resolution"):
            fail(error)
        # A spec error names the file and the place already; a trace error names a layer.
        raise click.UsageError(
            str(error) if isinstance(error, SpecError) else f"{spec}: {error}"
        ) from None
    except RecursionError:
        problem = "layers nested too deeply to compute"
    except MemoryError:
        problem = "out of memory: the network is too large for the memory available"
    # Raised here, once the failed step's frames (and what they held) are let go: a
    # MemoryError's traceback keeps every object of the step alive.
    raise click.UsageError(f"{spec}: {problem}")


def _show_preset(opts: dict[str, Any]) -> None:
    from ..model.spec import PRESETS, preset_text

    if opts["spec"] not in PRESETS:
        raise click.BadParameter(
            f"--show prints a preset: give one of {', '.join(PRESETS)}", param_hint="'SPEC'"
        )
    write_output(opts, preset_text(opts["spec"]))


def _list_presets(opts: dict[str, Any]) -> None:
    from ..model.network import trace
    from ..model.spec import PRESETS, build, load_preset
    from ..views.tables import Column, Table

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
    emit(
        opts,
        lambda: [table],
        lambda: {"presets": [{**r, "input_shape": list(r["input_shape"])} for r in rows]},
    )


def batch_command() -> click.Command:
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
    stride, padding, dilation, transposed, output_padding, dims, input, batch, dtype,
    convention, framework, fold_bn, reported_by, training, optimizer, frozen.
    """,
    )
    @click.argument("file", type=InputFile("rb"), default="-")
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
        type=OutputPath(dir_okay=False),
        help="Write to a file instead of stdout (- for stdout). An existing file is "
        "replaced only once the whole output is written; never the input file.",
    )
    def batch_cmd(
        file: Any, input_format: str | None, format_: str, strict: bool, output: str | None
    ) -> None:
        """Many layer configs in one process, one result a line.

        Results come out in input order. Each line is a JSON object (JSON
        Lines) or a CSV record under a header row that names its columns, with the
        variant commands' option names as keys; one line (or CSV record) holds at
        most 1 MiB. A record that cannot be computed
        gives an error record {"line": N, "error": "..."}, so the output has exactly
        as many records as the input; --strict stops at it instead.
        """
        from ..views.batch import CSV_COLUMNS, StopBatch, run

        if input_format is None:
            input_format = (
                "csv" if str(getattr(file, "name", "")).lower().endswith(".csv") else "jsonl"
            )
        from .output import opened, say

        failed = total = 0
        # Opened once FILE is known not to be the output; a file is replaced at the end.
        with opened(output, "json" if format_ == "jsonl" else "text", source=file) as write:
            if format_ == "csv":
                write(",".join(CSV_COLUMNS) + "\n")
            try:
                for total, line, text, error in run(file, input_format, format_):
                    if error is not None:
                        failed += 1
                        if strict:
                            record = "" if line == total else f" (record {total})"
                            raise click.UsageError(f"line {line}{record}: {error}")
                    write(text)
            except StopBatch as error:
                raise click.UsageError(str(error)) from None
        if failed:
            say(f"convcalc batch: {failed} of {total} lines had errors")

    return batch_cmd


def sweep_command() -> click.Command:
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
        type=SIZES,
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
    @output_options(
        "Print only parameter counts: a line per config, a number per variant in the table's order."
    )
    def sweep_cmd(**opts: Any) -> None:
        """Every variant over ranges of channels and kernels.

        Ranges are lists (16,32,64), doubling ranges (32:512:x2) or stepped ranges
        (8:64:8). Depthwise rows keep cout = cin, as a depthwise layer does.
        """
        from ..model.cost import measure

        kernels = opts["kernel"]
        allowed = ", ".join([*VARIANTS, *ALIASES])
        names = [
            ALIASES.get(v.strip(), v.strip()) for v in opts["variants"].split(",") if v.strip()
        ]
        if not names:
            # An empty selection would print an empty result and exit 0.
            raise click.BadParameter(
                f"{shown(opts['variants'])} names no variant: use {allowed}",
                param_hint="'--variants'",
            )
        for name in names:
            if name not in VARIANTS:
                raise click.BadParameter(f"{shown(name)}: use {allowed}", param_hint="'--variants'")
        points = len(opts["cin"]) * len(opts["cout"]) * len(kernels)
        if points * len(names) > MAX_ROWS:
            raise click.UsageError(
                f"the sweep has {points * len(names):,} rows: the limit is {MAX_ROWS:,}"
            )
        results = []
        try:
            for cin in opts["cin"]:
                for cout in opts["cout"]:
                    for k in kernels:
                        rank = opts["dims"] or implied_dims({"kernel": k, "input_": opts["input_"]})
                        costs = []
                        for name in names:
                            block = make_block(
                                name,
                                cin=cin,
                                cout=None if name == "depthwise" else cout,
                                k=None if name == "pointwise" else k,
                                bias=opts["bias"],
                                bn=opts["bn"],
                                dims=rank,
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
            write_output(
                opts,
                "".join(
                    " ".join(str(cost.params) for cost in costs) + "\n"
                    for _, _, _, costs in results
                ),
            )
            return
        from ..views import tables as views

        emit(
            opts,
            lambda: [
                *views.sweep_tables(results, opts["convention"]),
                *(views.sweep_charts(results) if opts["chart"] else []),
            ],
            lambda: {"sweep": views.sweep_records(results, opts["convention"])},
            csv_tables=lambda: [views.sweep_csv_table(results, opts["convention"])],
        )

    return sweep_cmd


def fit_command() -> click.Command:
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
    @SPEC_FORMAT_OPTION
    @click.option("--max-params", type=COUNT, metavar="N", help="Parameter budget (30M, 1.5G).")
    @click.option("--max-macs", type=COUNT, metavar="N", help="MAC budget (needs --input).")
    @CONVENTION_OPTION
    @output_options(
        "Print only the answer: the largest cout (a line per variant without VARIANT), "
        "or the width with --model."
    )
    def fit_cmd(**opts: Any) -> None:
        """The largest layer or network within a budget.

        The budget is parameters and/or MACs. For a layer: the largest cout of
        VARIANT (or of every variant) with the other parts fixed; a depthwise
        layer grows by its multiplier, a grouped one by whole groups. With
        --model: the largest width multiplier α, in steps of 0.001. Exits 1 when
        nothing fits. The budget is in MACs whatever --convention says; the
        convention adds the answer's compute as it states it.
        """
        from ..model.fit import Budget

        if opts["max_params"] is None and opts["max_macs"] is None:
            raise click.UsageError("give a budget: --max-params, --max-macs or both")
        budget = Budget(max_params=opts["max_params"], max_macs=opts["max_macs"])
        if opts["model_spec"] is not None:
            _fit_model(opts, budget)
        else:
            _fit_layer(opts, budget)

    return fit_cmd


def _fit_layer(opts: dict[str, Any], budget: Any) -> None:
    from ..model.fit import largest_cout

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
                "dims": implied_dims(opts),
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
        lines = []
        for name, found in rows:
            cout = found[0] if found else 0
            lines.append(f"{cout}\n" if variant else f"{name} {cout}\n")
        write_output(opts, "".join(lines))
    else:
        convention = opts["convention"]
        emit(
            opts,
            lambda: [_fit_table(rows, budget, convention)],
            lambda: _fit_json(rows, budget, convention),
        )
    if all(found is None for _, found in rows):
        raise CheckFailed("nothing fits the budget, not even cout = 1")


def _compute_column(convention: str) -> tuple[Any, ...]:
    """The column of the compute in a convention other than MACs, if one was asked for."""
    from ..views.tables import compute_column

    return () if convention == "macs" else (compute_column(convention),)


def _fit_table(rows: list[tuple[str, Any]], budget: Any, convention: str) -> Any:
    from ..views.tables import Column, Table

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
            *_compute_column(convention),
        ),
        rows=tuple(
            {
                "variant": name,
                "cout": found[0] if found else None,
                "params": found[1].params if found else None,
                "macs": found[1].macs if found else None,
                "compute": found[1].compute(convention) if found else None,
            }
            for name, found in rows
        ),
        notes=("-- : not even cout = 1 fits.",) if any(f is None for _, f in rows) else (),
    )


def _fit_json(rows: list[tuple[str, Any]], budget: Any, convention: str) -> dict[str, Any]:
    from ..views.contract import block_json

    return {
        "budget": {"max_params": budget.max_params, "max_macs": budget.max_macs},
        "fits": [
            {"variant": name, "cout": None}
            if found is None
            else {**block_json(found[1], convention=convention), "cout": found[0]}
            for name, found in rows
        ],
    }


def _fit_model(opts: dict[str, Any], budget: Any) -> None:
    from ..model.fit import largest_width
    from ..model.limits import MAX_WIDTH_TEXT, MIN_WIDTH_TEXT
    from ..model.network import trace
    from ..model.spec import build as build_spec
    from ..model.spec import width_text

    data, own_width = _read_spec(opts["model_spec"], "'--model'", opts["spec_format"])
    spec = _source(opts["model_spec"])

    def build(alpha: Any) -> Any:
        network = build_spec(data, spec, width=alpha, resolution=opts["resolution"])
        return trace(network, batch=opts["batch"])

    # A spec that cannot be built at its own width is broken, whatever the budget: bad
    # input, as model says, not "nothing fits". At other widths, a failure only means
    # that width cannot be built.
    network_step(spec, lambda: build(own_width))
    found = network_step(spec, lambda: largest_width(build, budget))
    if found is None:
        raise CheckFailed(
            f"{spec}: no width from {MIN_WIDTH_TEXT} to {MAX_WIDTH_TEXT} that can be built "
            "fits the budget"
        )
    alpha, cost = found
    text = width_text(alpha)
    convention = opts["convention"]
    if opts["quiet"]:
        write_output(opts, f"{text}\n")
        return

    def tables() -> list[Any]:
        from ..views.tables import Column, Table

        return [
            Table(
                title=f"{spec}: the largest width that fits",
                columns=(
                    Column("width", "Width α"),
                    Column("params", "Params", "count"),
                    Column("macs", "MACs", "count"),
                    *_compute_column(convention),
                ),
                rows=(
                    {
                        "width": text,
                        "params": cost.params,
                        "macs": cost.macs,
                        "compute": cost.compute(convention),
                    },
                ),
                notes=(
                    "Widths are tried in steps of 0.001 up to 4, skipping those at which the "
                    "network cannot be built; channels = max(int(c × α), min_channels), as "
                    "TF-slim rounds them.",
                ),
            )
        ]

    emit(
        opts,
        tables,
        lambda: {
            "model": opts["model_spec"],
            "budget": {"max_params": budget.max_params, "max_macs": budget.max_macs},
            "width": text,
            "params": cost.params,
            "macs": cost.macs,
            "convention": convention,
            "compute": cost.compute(convention),
        },
    )

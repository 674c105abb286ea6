"""``convcalc sweep``: every variant over ranges of channels and kernels."""

from __future__ import annotations

from typing import Any

import click

from ..model.core import ConvCalcError
from ..model.limits import MAX_ROWS, shown
from ..model.names import ALIASES, VARIANTS, canonical
from ..model.schema import options_for
from .errors import fail
from .options import (
    CONTEXT_SETTINGS,
    implied_dims,
    output_options,
    refuse_given,
    refuse_unused_chart,
    schema_options,
)
from .output import Output
from .types import SIZES, RangeType, Size

__all__ = ["sweep_cmd"]


def _joined(ctx: click.Context, param: click.Parameter, values: Any) -> tuple[Any, ...]:
    """A repeated option's lists as one list, in order: --cin 16,32 --cin 64 is 16,32,64."""
    return tuple(value for values_given in values for value in values_given)


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
@click.option(
    "--cin",
    type=RangeType(),
    required=True,
    multiple=True,
    callback=_joined,
    metavar="RANGE",
    help="Input channels (repeatable).",
)
@click.option(
    "--cout",
    type=RangeType(),
    required=True,
    multiple=True,
    callback=_joined,
    metavar="RANGE",
    help="Output channels (repeatable).",
)
@click.option(
    "-k",
    "--kernel",
    type=SIZES,
    default=["3"],
    multiple=True,
    callback=_joined,
    metavar="SIZES",
    help="Kernel sizes, comma-separated (3,5,7 or 3x5; repeatable).",
)
@click.option(
    "--variants",
    default=[",".join(VARIANTS)],
    multiple=True,
    callback=lambda ctx, param, values: ",".join(values),
    metavar="NAMES",
    help="Variants to include, comma-separated (aliases allowed; repeatable).",
)
@schema_options("bias", "bn", "input", "dims", "batch", "dtype", "stride", "padding", "dilation")
@click.option("--chart", is_flag=True, help="Draw the figures as bars on a shared scale.")
@click.option(
    "--log/--linear",
    default=None,
    help="Chart bars on a log scale, or a linear one  [default: log where the bars span "
    "more than 100×]",
)
@schema_options("convention")
@output_options(
    "Print only parameter counts: a line per config, a number per variant in the table's order."
)
def sweep_cmd(
    cin: tuple[int, ...],
    cout: tuple[int, ...],
    kernel: tuple[Size, ...],
    variants: str,
    bias: bool,
    bn: bool,
    input: Size | None,
    dims: int | None,
    batch: int,
    dtype: str,
    stride: Size,
    padding: Size | str | None,
    dilation: Size,
    chart: bool,
    log: bool | None,
    convention: str,
    out: Output,
) -> None:
    """Every variant over ranges of channels and kernels.

    Ranges are lists (16,32,64), doubling ranges (32:512:x2) or stepped ranges
    (8:64:8). Depthwise rows keep cout = cin, as a depthwise layer does.
    """
    from ..model.comparison import variant_block
    from ..model.cost import measure

    allowed = ", ".join([*VARIANTS, *ALIASES])
    names = [canonical(v.strip()) for v in variants.split(",") if v.strip()]
    if not names:
        # An empty selection would print an empty result and exit 0.
        raise click.BadParameter(
            f"{shown(variants)} names no variant: use {allowed}", param_hint="'--variants'"
        )
    for name in names:
        if name not in VARIANTS:
            raise click.BadParameter(f"{shown(name)}: use {allowed}", param_hint="'--variants'")
    refuse_unused_chart(chart, out)
    if not any(option.name == "padding" for name in names for option in options_for(name)):
        # variant_block gives a kernel, padding and dilation only to a variant with a
        # K×K kernel.
        refuse_given(
            ("kernel", "padding", "dilation"),
            "applies to a K×K convolution, which pointwise has not: leave it out, or add "
            "a variant that has one to --variants",
        )
    points = len(cin) * len(cout) * len(kernel)
    if points * len(names) > MAX_ROWS:
        raise click.UsageError(
            f"the sweep has {points * len(names):,} rows: the limit is {MAX_ROWS:,}"
        )
    results = []
    try:
        for c_in in cin:
            for c_out in cout:
                for k in kernel:
                    rank = implied_dims(
                        {
                            "kernel": k,
                            "input": input,
                            "stride": stride,
                            "padding": padding,
                            "dilation": dilation,
                            "dims": dims,
                        }
                    )
                    costs = [
                        measure(
                            variant_block(
                                name,
                                cin=c_in,
                                cout=c_out,
                                k=k,
                                bias=bias,
                                bn=bn,
                                stride=stride,
                                padding=padding,
                                dilation=dilation,
                                dims=rank,
                            ),
                            input=input,
                            batch=batch,
                            dtype=dtype,
                        )
                        for name in names
                    ]
                    # The kernel computed: the K×K one (in the rank given), or 1×1 for
                    # pointwise alone.
                    kernels = [c.block.kernel for c in costs if c.block.variant != "pointwise"]
                    results.append((c_in, c_out, (kernels or [costs[0].block.kernel])[0], costs))
    except ConvCalcError as error:
        fail(error)
    if out.quiet:
        out.write("".join(" ".join(str(c.params) for c in costs) + "\n" for *_, costs in results))
        return

    def tables() -> list[Any]:
        from ..views.tables import sweep_charts, sweep_tables

        return [
            *sweep_tables(results, convention),
            *(sweep_charts(results, log=log) if chart else []),
        ]

    def csv() -> list[Any]:
        from ..views.tables import sweep_csv_table

        return [sweep_csv_table(results, convention)]

    def data() -> dict[str, object]:
        from ..views.contract import sweep_json

        return sweep_json(results, convention)

    out.emit(tables, data, csv)

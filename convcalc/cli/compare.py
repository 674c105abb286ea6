"""``convcalc compare``: standard, MobileNet and OSNet side by side."""

from __future__ import annotations

from typing import Any

import click

from ..model.core import ConvCalcError
from ..model.limits import MAX_PAIRS
from .errors import fail
from .options import (
    CONTEXT_SETTINGS,
    implied_dims,
    output_options,
    refuse_unused_chart,
    schema_options,
)
from .output import Output
from .types import ListType, Size

__all__ = ["compare_cmd"]


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
@schema_options("kernel")
@click.option("--all", "include_all", is_flag=True, help="Add depthwise and pointwise alone.")
@click.option("--chart", is_flag=True, help="Draw parameters (and MACs) as bars on a shared scale.")
@click.option(
    "--log/--linear",
    default=None,
    help="Chart bars on a log scale, or a linear one  [default: log where the bars span "
    "more than 100×]",
)
@schema_options("bias", "bn", "input", "dims", "batch", "dtype", "stride", "padding", "dilation")
@schema_options("convention", "framework", "fold_bn")
@output_options("Print only each row's parameter count, one a line.")
def compare_cmd(
    cin: tuple[tuple[int, ...], ...],
    cout: tuple[tuple[int, ...], ...],
    kernel: Size,
    include_all: bool,
    chart: bool,
    log: bool | None,
    bias: bool,
    bn: bool,
    input: Size | None,
    dims: int | None,
    batch: int,
    dtype: str,
    stride: Size,
    padding: Size | str | None,
    dilation: Size,
    convention: str,
    framework: str,
    fold_bn: bool,
    out: Output,
) -> None:
    """Standard, MobileNet and OSNet side by side, with their savings.

    Each row is measured against its table's standard convolution, C_in →
    C_out, as the post compares them (depthwise alone too, though it keeps
    C_in channels): parameters, and with --input, output shape, MACs, FLOPs
    and memory, with the MobileNet paper's 1/C_out + 1/K² beside the exact
    ratio.
    """
    from ..model.comparison import compare

    refuse_unused_chart(chart, out)
    cins = [c for values in cin for c in values]
    couts = [c for values in cout for c in values]
    if len(cins) * len(couts) > MAX_PAIRS:
        raise click.UsageError(
            f"{len(cins):,} × {len(couts):,} channel pairs to compare: the limit is {MAX_PAIRS:,}"
        )
    rank = implied_dims(
        {
            "kernel": kernel,
            "input": input,
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "dims": dims,
        }
    )
    try:
        groups = [
            compare(
                cin=c_in,
                cout=c_out,
                k=kernel,
                include_all=include_all,
                bias=bias,
                bn=bn,
                stride=stride,
                padding=padding,
                dilation=dilation,
                dims=rank,
                input=input,
                batch=batch,
                dtype=dtype,
                fold_bn=fold_bn,
                framework=framework,
            )
            for c_in in cins
            for c_out in couts
        ]
    except ConvCalcError as error:
        fail(error)
    if out.quiet:
        out.write("".join(f"{row.params}\n" for rows in groups for row in rows))
        return

    def tables() -> list[Any]:
        from ..views.tables import compare_charts, compare_tables

        return [
            *compare_tables(groups, convention=convention),
            *(compare_charts(groups, log=log) if chart else []),
        ]

    def csv() -> list[Any]:
        from ..views.tables import compare_tables

        return list(compare_tables(groups, convention=convention))

    def data() -> dict[str, object]:
        from ..views.contract import compare_json

        return compare_json(groups, convention=convention)

    out.emit(tables, data, csv)

"""``convcalc separable`` (alias ``mobilenet``): MobileNet's depthwise separable block."""

from __future__ import annotations

import click

from ..options import (
    CONTEXT_SETTINGS,
    Config,
    NamedOptionsCommand,
    check_options,
    layer_options,
    output_options,
)
from ..output import Gates, Output
from . import QUIET, layer_implementation

__all__ = ["separable_cmd"]


@click.command(
    "separable",
    cls=NamedOptionsCommand,
    context_settings=CONTEXT_SETTINGS,
    # Given whole, so that the group's help does not cut it at a narrow terminal's width.
    short_help="MobileNet's block, depthwise K×K then pointwise 1×1 (alias: mobilenet).",
    epilog="""\b
Examples:
  convcalc separable --cin 64 --cout 128 -k 3
  convcalc mobilenet --cin 64 --cout 128 --no-bias --bn --input 56
""",
)
@layer_options("separable")
@output_options(QUIET)
@check_options
def separable_cmd(config: Config, out: Output, gates: Gates) -> None:
    """MobileNet's block, depthwise K×K then pointwise 1×1 (alias: mobilenet).

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("separable", config, out, gates)

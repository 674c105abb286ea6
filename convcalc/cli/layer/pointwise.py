"""``convcalc pointwise``: a pointwise (1×1) convolution: (C_in/g + 1) × C_out."""

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

__all__ = ["pointwise_cmd"]


@click.command(
    "pointwise",
    cls=NamedOptionsCommand,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc pointwise --cin 64 --cout 128
  convcalc pointwise --cin 64 --cout 128 -g 4 -q
""",
)
@layer_options("pointwise")
@output_options(QUIET)
@check_options
def pointwise_cmd(config: Config, out: Output, gates: Gates) -> None:
    """A pointwise (1×1) convolution: (C_in/g + 1) × C_out.

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("pointwise", config, out, gates)

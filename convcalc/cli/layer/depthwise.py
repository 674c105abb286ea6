"""``convcalc depthwise``: a depthwise K×K convolution: (K × K + 1) × C_in × m."""

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

__all__ = ["depthwise_cmd"]


@click.command(
    "depthwise",
    cls=NamedOptionsCommand,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc depthwise --cin 64 -k 3
  convcalc depthwise --cin 32 -m 2 -k 5 --input 28
""",
)
@layer_options("depthwise")
@output_options(QUIET)
@check_options
def depthwise_cmd(config: Config, out: Output, gates: Gates) -> None:
    """A depthwise K×K convolution: (K × K + 1) × C_in × m.

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("depthwise", config, out, gates)

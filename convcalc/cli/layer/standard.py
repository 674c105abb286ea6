"""``convcalc standard``: a standard K×K convolution: (C_in/g × K × K + 1) × C_out."""

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

__all__ = ["standard_cmd"]


@click.command(
    "standard",
    cls=NamedOptionsCommand,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc standard --cin 64 --cout 128 -k 3
  convcalc standard --cin 64 --cout 128 -k 3 --input 56 --format json
  convcalc standard --cin 64 --cout 32 -k 4 -s 2 --transposed --input 16
""",
)
@layer_options("standard")
@output_options(QUIET)
@check_options
def standard_cmd(config: Config, out: Output, gates: Gates) -> None:
    """A standard K×K convolution: (C_in/g × K × K + 1) × C_out.

    MACs count multiply-accumulates only: bias additions, BatchNorm and activations
    are reported apart, and FLOPs = 2 × MACs.
    """
    layer_implementation("standard", config, out, gates)

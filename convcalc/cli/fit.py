"""``convcalc fit``: the largest layer or network within a budget."""

from __future__ import annotations

from typing import Any

import click

from ..model.core import ConvCalcError
from ..model.names import ALIASES, VARIANTS, canonical
from ..model.schema import OPTIONS, options_for
from .errors import CheckFailed, fail, hint
from .options import (
    CONTEXT_SETTINGS,
    implied_dims,
    output_options,
    refuse_given,
    schema_option,
    schema_options,
)
from .output import Output, input_of
from .specs import SPEC_FORMAT_OPTION, complete_spec, network_step, read_spec, spec_name
from .types import COUNT, SIZE, Size

__all__ = ["fit_cmd"]


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
    "variant", required=False, type=click.Choice([*VARIANTS, *ALIASES]), metavar="[VARIANT]"
)
@schema_option(OPTIONS["cin"], required=False, help="Input channels (for a layer).")
@schema_options("kernel")
@schema_option(
    OPTIONS["groups"],
    help="Channel groups (standard, pointwise); without VARIANT, only those two are fitted.",
)
@schema_options("bias", "bn", "input", "dims", "batch", "dtype", "stride", "padding", "dilation")
@click.option(
    "--model",
    "model_spec",
    metavar="SPEC",
    shell_complete=complete_spec,
    help="Fit a network's width multiplier instead: a preset or a spec file.",
)
@click.option("--resolution", type=SIZE, metavar="SIZE", help="With --model: input size.")
@SPEC_FORMAT_OPTION
@click.option("--max-params", type=COUNT, metavar="N", help="Parameter budget (30M, 1.5G).")
@click.option(
    "--max-macs",
    type=COUNT,
    metavar="N",
    help="MAC budget (needs --input for a layer; --model has its own input).",
)
@schema_options("convention")
@output_options(
    "Print only the answer: the largest cout (a line per variant without VARIANT), "
    "or the width with --model; 0 where nothing fits (exit 1 if nothing does)."
)
def fit_cmd(
    variant: str | None,
    cin: int | None,
    kernel: Size,
    groups: int,
    bias: bool,
    bn: bool,
    input: Size | None,
    dims: int | None,
    batch: int,
    dtype: str,
    stride: Size,
    padding: Size | str | None,
    dilation: Size,
    model_spec: str | None,
    resolution: Size | None,
    spec_format: str | None,
    max_params: int | None,
    max_macs: int | None,
    convention: str,
    out: Output,
) -> None:
    """The largest layer or network within a budget.

    The budget is parameters and/or MACs. For a layer: the largest cout of
    VARIANT (or of every variant) with the other parts fixed; a depthwise
    layer grows by its multiplier, a grouped one by whole groups. With
    --model: the largest width multiplier α, in steps of 0.001, at
    --resolution (a layer's options, --input among them, are refused there).
    Exits 1 when nothing fits. The budget is in MACs whatever --convention says; the
    convention adds the answer's compute as it states it.
    """
    from ..model.fit import Budget

    _refuse_what_does_not_apply(model_spec is not None)
    if max_params is None and max_macs is None:
        raise click.UsageError("give a budget: --max-params, --max-macs or both")
    budget = Budget(max_params=max_params, max_macs=max_macs)
    if model_spec is not None:
        _fit_width(model_spec, resolution, spec_format, batch, budget, convention, out)
        return
    if cin is None:
        raise click.UsageError("give --cin for a layer, or --model for a network")
    if max_macs is not None and input is None:
        raise click.BadParameter(
            "a MAC budget needs an input size: add --input", param_hint="'--max-macs'"
        )
    from ..model.fit import largest_cout

    name = canonical(variant) if variant else None
    layer: dict[str, Any] = {
        "cin": cin,
        "bias": bias,
        "bn": bn,
        "stride": stride,
        "dims": implied_dims(
            {
                "kernel": kernel,
                "input": input,
                "stride": stride,
                "padding": padding,
                "dilation": dilation,
                "dims": dims,
            }
        ),
        "input": input,
        "batch": batch,
        "dtype": dtype,
    }
    # Groups where the variant commands take them (standard, pointwise): without a
    # VARIANT, -g fits those alone rather than the others ungrouped without a word.
    grouped = OPTIONS["groups"].variants
    if name and groups != 1 and name not in grouped:
        raise click.BadParameter(
            f"groups apply to {' and '.join(grouped)} convolutions, not {name}: "
            f"name one of them, or leave -g out",
            param_hint=hint("groups"),
        )
    if name:
        # As the variant command refuses them (pointwise has no -k, -p or -d).
        taken = {option.name for option in options_for(name)}
        refuse_given(
            [option for option in ("kernel", "padding", "dilation") if option not in taken],
            f"does not apply to a {name} convolution: leave it out",
        )
    every = [v for v in VARIANTS if groups == 1 or v in grouped]
    fits = []
    try:
        for each in [name] if name else every:
            taken = {option.name for option in options_for(each)}
            options = dict(layer)
            if "kernel" in taken:  # with a kernel come padding and dilation
                options.update(k=kernel, padding=padding, dilation=dilation)
            if "groups" in taken:  # a grouped layer grows by whole groups
                options["groups"] = groups
            fits.append((each, largest_cout(each, budget, **options)))
    except ConvCalcError as error:
        fail(error)
    if out.quiet:
        out.write(
            "".join(
                f"{found[0] if found else 0}\n" if name else f"{each} {found[0] if found else 0}\n"
                for each, found in fits
            )
        )
    else:

        def tables() -> list[Any]:
            from ..views.tables import fit_table

            return [fit_table(fits, budget, convention)]

        def data() -> dict[str, object]:
            from ..views.contract import fit_json

            return fit_json(fits, budget, convention)

        out.emit(tables, data)
    if all(found is None for _, found in fits):
        raise CheckFailed("nothing fits the budget, not even cout = 1")


_LAYER_ONLY = (
    "cin",
    "kernel",
    "groups",
    "bias",
    "bn",
    "dims",
    "dtype",
    "stride",
    "padding",
    "dilation",
)
"""fit's options that describe the layer fitted: a network's layers are its spec's (and
``fit --model`` shows no memory, which is all ``--dtype`` changes)."""


def _refuse_what_does_not_apply(network: bool) -> None:
    """A usage error naming the first option given on the command line that does not
    apply to the fit asked for (a layer's, or with --model a network's), and what to
    give instead: fit would otherwise answer another question without saying so."""
    if network:
        refuse_given(
            ("variant",),
            "a VARIANT fits a layer's cout; --model fits a network's width: give one or the other",
        )
        # As model refuses it for a spec: a network's input size is --resolution.
        refuse_given(
            ("input",), "--input is a layer's input size: give a network's with --resolution"
        )
        refuse_given(
            _LAYER_ONLY,
            "describes a layer, and --model fits a network (its layers are its spec's): "
            "leave it out, or drop --model",
        )
        return
    refuse_given(
        ("resolution",),
        "--resolution is a network's input size (with --model): give a layer's with --input",
    )
    refuse_given(
        ("spec_format",),
        "--spec-format says how --model's spec is written: give --model, or leave it out",
    )


def _fit_width(
    spec: str,
    resolution: Size | None,
    spec_format: str | None,
    batch: int,
    budget: Any,
    convention: str,
    out: Output,
) -> None:
    """``fit --model``: the largest width multiplier of a network within the budget."""
    from ..model.fit import largest_width
    from ..model.limits import MAX_WIDTH_TEXT, MIN_WIDTH_TEXT
    from ..model.network import trace
    from ..model.spec import build as build_spec
    from ..model.spec import channel_key, width_text

    out = out.reading(input_of(spec))
    spec_data, own_width = read_spec(spec, "'--model'", spec_format)
    source = spec_name(spec)

    def build(alpha: Any) -> Any:
        return trace(build_spec(spec_data, source, width=alpha, resolution=resolution), batch=batch)

    # A spec that cannot be built at its own width is broken, whatever the budget: bad
    # input, as model says, not "nothing fits". At other widths, a failure only means
    # that width cannot be built.
    network_step(source, lambda: build(own_width))
    key = channel_key(spec_data)
    found = network_step(source, lambda: largest_width(build, budget, key=key))
    # Where nothing fits, the answer is still written (0; -- or null), as for a layer.
    width = None if found is None else width_text(found[0])
    cost = None if found is None else found[1]

    def tables() -> list[Any]:
        from ..views.tables import fit_width_table

        return [fit_width_table(source, width, cost, convention, own_width or "1")]

    def data() -> dict[str, object]:
        from ..views.contract import fit_width_json

        return fit_width_json(spec, budget, width, cost, convention)

    if out.quiet:  # 0 as for a layer: no width (or cout) is 0, and a line is kept
        out.write(f"{width or 0}\n")
    else:
        out.emit(tables, data)
    if found is None:
        raise CheckFailed(
            f"{source}: no width from {MIN_WIDTH_TEXT} to {MAX_WIDTH_TEXT} that can be built "
            "fits the budget"
        )

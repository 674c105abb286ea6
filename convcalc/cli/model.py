"""``convcalc model``: a whole network, from a spec file or a built-in preset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..model.names import ALIASES, SWAP_VARIANTS, canonical
from ..model.schema import OPTIONS
from .onnx_file import in_graph_terms, is_onnx, json_fields, read_onnx, report
from .onnx_file import save_spec as save_spec_file
from .options import (
    CONTEXT_SETTINGS,
    network_check_options,
    output_options,
    refuse_given,
    refuse_without_training,
    schema_option,
    schema_options,
)
from .output import Gates, Output, input_of, say
from .specs import SPEC_FORMAT_OPTION, complete_spec, network_step, read_spec, spec_name
from .types import POSITIVE, SIZE, WidthType

__all__ = ["model_cmd"]

T = TypeVar("T")


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
  convcalc model mobilenet_v1 --reported-by ptflops
  convcalc model examples/tiny_resnet.toml --format json --max-macs 1G
  convcalc model resnet18.onnx --max-params 12M --max-macs 2G
  convcalc model model.onnx --input 256x128 --save-spec model.toml
""",
)
@click.argument("spec", required=False, metavar="SPEC", shell_complete=complete_spec)
@click.option("--list", "list_presets", is_flag=True, help="List the built-in presets and exit.")
@click.option(
    "--show", is_flag=True, help="Print the preset's spec file (TOML), to copy and edit, and exit."
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
@click.option(
    "--input",
    "input_size",
    type=SIZE,
    metavar="SIZE",
    help="An ONNX file's input size, where the file leaves it symbolic or missing (224, 256x128).",
)
@click.option(
    "--strict", is_flag=True, help="An ONNX operator convcalc does not know is an error (exit 2)."
)
@click.option(
    "--save-spec",
    metavar="PATH",
    help="Also write the network as a spec file (JSON if PATH ends in .json, else TOML).",
)
@schema_options("fold_bn")
@schema_options("batch")
@schema_option(
    OPTIONS["dtype"], default=None, help="Element type for memory  [default: the spec's, else fp32]"
)
@schema_options("convention", "training", "frozen", "optimizer")
@schema_options("reported_by")
@output_options("Print only the total parameter count.")
@network_check_options
def model_cmd(
    spec: str | None,
    list_presets: bool,
    show: bool,
    spec_format: str | None,
    width: Any,
    resolution: int | tuple[int, ...] | None,
    as_variant: str | None,
    depth: int,
    input_size: int | tuple[int, ...] | None,
    strict: bool,
    save_spec: str | None,
    fold_bn: bool,
    batch: int,
    dtype: str | None,
    convention: str,
    training: bool,
    frozen: bool,
    optimizer: str,
    reported_by: tuple[str, ...],
    out: Output,
    gates: Gates,
) -> None:
    """A whole network, from a spec file, a built-in preset or an ONNX file.

    The spec is TOML or JSON; - reads it from standard input. An ONNX file
    (FILE.onnx, with convcalc[onnx] installed) is read as the equivalent spec.
    Prints each layer's output shape, parameters and MACs, the totals, and a
    breakdown by layer type, like the MobileNet paper's "Resource per layer
    type". MACs exclude bias, BatchNorm, pooling and activations.
    --reported-by adds what other tools print for the whole network, and why.
    """
    from ..model.spec import PRESETS

    out = out.reading(input_of(spec))
    if list_presets:
        refuse_given(("spec",), "--list lists every preset: give a SPEC or --list, not both")
        refuse_given(
            None,
            "does not apply to --list, which lists the presets: leave it out",
            allowed=("list_presets", "format", "path", "wide", "units"),
        )
        _list_presets(out)
        return
    if show:
        refuse_given(
            None,
            "does not change what --show prints (the preset's file as it is): leave it "
            "out, or drop --show",
            allowed=("show", "spec", "path"),
        )
        _show_preset(spec, out)
        return
    refuse_without_training(training)
    if spec is None:
        raise click.UsageError(f"give a spec file or a preset ({', '.join(PRESETS)}), or --list")
    variant = canonical(as_variant) if as_variant else None
    source = spec_name(spec)
    imported = None
    if is_onnx(spec):
        if input_size is not None and resolution is not None and input_size != resolution:
            raise click.BadParameter(
                "give --input or --resolution, not both", param_hint="'--input'"
            )
        imported = read_onnx(spec, input_size or resolution, strict=strict)
        data, resolution = (imported.spec, None), None
    elif input_size is not None:
        raise click.BadParameter(
            "--input gives an ONNX file's input size; a spec's is its input key "
            "(--resolution replaces it)",
            param_hint="'--input'",
        )
    else:
        refuse_given(("strict",), "applies to an ONNX file (FILE.onnx): leave it out for a spec")
        data = read_spec(spec, fmt=spec_format)
    spec_data, preset_width = data
    alpha = width if width is not None else preset_width
    network = _graph_terms(imported, lambda: _load_network(spec, spec_data, alpha, resolution))
    if save_spec is not None:
        if out.path not in (None, "-") and _same_path(save_spec, out.path):
            raise click.BadParameter(
                "it names the file -o writes: give each its own file", param_hint="'--save-spec'"
            )
        save_spec_file(spec_data, save_spec, input_of(spec))
    if fold_bn:
        from ..model.conventions import fold_network

        network = fold_network(network)
    dtype = dtype or network.dtype
    extra = json_fields(imported) if imported is not None else {}

    def compute() -> tuple[Any, Any, list[Any]]:
        from ..model.network import kept, swap, trace

        cost = trace(network, batch=batch, dtype=dtype)
        if not variant:
            return cost, None, []
        swapped = trace(swap(network, variant), batch=batch, dtype=dtype)
        return cost, swapped, kept(network, variant)

    cost, swapped, held = _graph_terms(imported, lambda: network_step(source, compute))
    # Notes once the figures stand: an error is the only line on stderr.
    if imported is not None:
        report(imported, source, human=out.format not in ("json",) and not out.quiet)
    shown = _width_shown(width, preset_width) if save_spec is not None else None
    if shown is not None:
        say(f"note: {save_spec} is the spec at width 1: give it --width {shown} for these figures")
    if out.quiet:
        network_step(source, lambda: out.write(f"{(swapped or cost).params}\n"))
    else:

        def train(traced: Any) -> Any:
            """A traced network's training step, with --training; else None."""
            if not training:
                return None
            from ..model.conventions import training as training_step

            return training_step(traced, optimizer=optimizer, frozen=frozen)

        def reports(traced: Any) -> Any:
            """What each tool in --reported-by would print for a traced network."""
            if not reported_by:
                return None
            from ..model.profilers import reported_by as reports_of

            return reports_of(traced, reported_by)

        if swapped is None:
            network_step(
                source,
                lambda: _emit_network(
                    out,
                    cost,
                    train(cost),
                    depth,
                    dtype,
                    batch=batch,
                    convention=convention,
                    extra=extra,
                    reports=reports(cost),
                ),
            )
        else:
            network_step(
                source,
                lambda: _emit_swap(
                    out,
                    cost,
                    swapped,
                    variant or "",
                    held,
                    train(cost),
                    train(swapped),
                    depth,
                    dtype,
                    batch=batch,
                    convention=convention,
                    extra=extra,
                    reports=(reports(cost), reports(swapped)) if reported_by else None,
                ),
            )
    checked = swapped or cost
    gates.check(checked.params, checked.macs)


def _emit_network(
    out: Output,
    cost: Any,
    step: Any,
    depth: int,
    dtype: str,
    *,
    batch: int,
    convention: str,
    extra: dict[str, Any],
    reports: Any = None,
) -> None:
    """One network's layers, its breakdown by layer type, its training step, and what
    other tools report for it."""
    from ..views.contract import network_json
    from ..views.network import breakdown_table, network_table, reported_table
    from ..views.tables import training_table

    def layers() -> Any:
        return network_table(cost, depth=depth, dtype=dtype, batch=batch, convention=convention)

    out.emit(
        lambda: [
            layers(),
            breakdown_table(cost),
            *([training_table(step, f"Training step: {cost.name}")] if step else []),
            *([reported_table(reports, cost)] if reports else []),
        ],
        lambda: {
            **network_json(
                cost,
                dtype=dtype,
                batch=batch,
                convention=convention,
                training=step,
                reports=reports,
            ),
            **extra,
        },
        csv=lambda: [layers()],
    )


def _emit_swap(
    out: Output,
    cost: Any,
    swapped: Any,
    variant: str,
    held: list[Any],
    step: Any,
    swapped_step: Any,
    depth: int,
    dtype: str,
    *,
    batch: int,
    convention: str,
    extra: dict[str, Any],
    reports: Any = None,
) -> None:
    """A network beside itself with its K×K blocks swapped, both training steps, and
    what other tools report for both."""
    from ..views.contract import swap_json
    from ..views.network import reported_table, swap_table
    from ..views.tables import training_table

    def table() -> Any:
        return swap_table(cost, swapped, variant, depth=depth, kept=held)

    trainings = (step, swapped_step) if step else None
    out.emit(
        lambda: [
            table(),
            *(
                [
                    training_table(step, f"Training step: {cost.name}"),
                    training_table(swapped_step, f"Training step: {cost.name} as {variant}"),
                ]
                if step
                else []
            ),
            *(
                [
                    reported_table(reports[0], cost),
                    reported_table(
                        reports[1], swapped, f"As other tools report it: {cost.name} as {variant}"
                    ),
                ]
                if reports
                else []
            ),
        ],
        lambda: {
            **swap_json(
                cost,
                swapped,
                variant,
                dtype=dtype,
                batch=batch,
                convention=convention,
                training=trainings,
                kept=held,
                reports=reports,
            ),
            **extra,
        },
        csv=lambda: [table()],
    )


def _same_path(a: str, b: str) -> bool:
    """Whether two paths name one file (an existing one, or the same new name)."""
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _graph_terms(imported: Any, step: Callable[[], T]) -> T:
    """Run a step whose error, for an ONNX file, names the graph's node besides the
    place in the spec read from it."""
    try:
        return step()
    except click.UsageError as error:
        said = error.format_message()
        if imported is None or in_graph_terms(imported.spec, said) == said:
            raise
        raise click.UsageError(in_graph_terms(imported.spec, said), ctx=error.ctx) from None


def _load_network(spec: str, data: dict[str, Any], alpha: Any, resolution: Any) -> Any:
    """Build the network from spec data (a spec file's, a preset's or an ONNX file's)
    at width ``alpha`` (None: the spec's own)."""
    from ..model.spec import build

    source = spec_name(spec)
    return network_step(source, lambda: build(data, source, width=alpha, resolution=resolution))


def _width_shown(width: Any, preset_width: str | None) -> str | None:
    """The width a network is built at, as written, if it is not 1 (a spec file is
    written at width 1, a preset such as osnet_x0_5 is its file at a width)."""
    from ..model.spec import parse_width, width_text

    alpha = width if width is not None else preset_width
    if alpha is None:
        return None
    alpha = parse_width(alpha) if isinstance(alpha, str) else alpha
    return None if alpha == 1 else width_text(alpha)


def _show_preset(spec: str | None, out: Output) -> None:
    from ..model.spec import PRESETS, preset_text

    if spec not in PRESETS:
        raise click.BadParameter(
            f"--show prints a preset: give one of {', '.join(PRESETS)}", param_hint="'SPEC'"
        )
    text = preset_text(spec)
    shown = _width_shown(None, PRESETS[spec].width)
    if shown is not None:
        # The file is written at width 1: without this, a copy reads as another network.
        text = (
            f"# {spec} is this spec at --width {shown}: convcalc model FILE --width {shown}\n"
            + text
        )
    out.write(text)


def _list_presets(out: Output) -> None:
    from ..model.network import trace
    from ..model.spec import PRESETS, build, load_preset

    presets = []
    for name, preset in PRESETS.items():
        spec_data, width = load_preset(name)
        presets.append((name, preset.about, trace(build(spec_data, name, width=width))))

    def tables() -> list[Any]:
        from ..views.tables import presets_table

        return [presets_table(presets)]

    def data() -> dict[str, object]:
        from ..views.contract import presets_json

        return presets_json(presets)

    out.emit(tables, data)

"""Results as JSON-ready objects: the whole documented contract of ``--format json``.

Every JSON object convcalc writes is built here: a block (variant commands, fit,
batch), a comparison, a network and its ``--as`` twin, a sweep's records, a training
step and other tools' figures; and the one vocabulary of layer types they share.
Kept apart from the tables (:mod:`convcalc.views.tables`) so that the JSON path
imports only what it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..model.core import BatchNorm, Conv, Layer
from ..model.cost import type_of
from .text import Ratio, formula, layer_formula, ratio, ratio_number, reduction

if TYPE_CHECKING:
    from ..model.comparison import Comparison
    from ..model.conventions import Training
    from ..model.cost import Cost
    from ..model.network import Kept
    from ..model.profilers import Report

__all__ = [
    "block_json",
    "compare_json",
    "framework_params",
    "layer_type",
    "network_json",
    "node_type",
    "reported_json",
    "swap_json",
    "sweep_records",
    "training_json",
]


def layer_type(layer: Layer) -> str:
    """The layer's type as a short name: ``conv``, ``conv_transpose``, ``depthwise``,
    ``pointwise`` or ``batchnorm``, the same in every command's JSON."""
    if isinstance(layer, Conv) and layer.transposed:
        return "conv_transpose"
    return type_of(layer)


def node_type(node: Cost) -> str:
    """A network node's type, in the vocabulary of :func:`layer_type` for its layers
    (a transposed convolution is ``conv_transpose`` in every JSON)."""
    if isinstance(node.layer, Conv | BatchNorm):
        return layer_type(node.layer)
    return node.type


def framework_params(cost: Cost, framework: str) -> int:
    """The parameters as ``framework`` counts them: Keras counts BatchNorm's moving
    mean and variance as (non-trainable) parameters, PyTorch as buffers."""
    return cost.params + cost.buffers if framework == "keras" else cost.params


def _intensity(macs: int | None, moved: int | None) -> float | None:
    """MACs per byte moved (as :func:`ratio` pairs them: none without both)."""
    return None if macs is None or not moved else ratio_number((macs, moved))


# --- blocks -------------------------------------------------------------------------
# Batch writes one of these for each of its lines: each figure is read once from the
# cost records, and the keys are written in one dict display, in the contract's order.


def _layer_json(cost: Cost, convention: str, framework: str) -> dict[str, Any]:
    layer = cost.layer
    assert isinstance(layer, Conv | BatchNorm)  # a block's layer
    macs = cost.macs
    data: dict[str, Any]
    if isinstance(layer, Conv):
        data = {
            "name": layer.name,
            "type": layer_type(layer),
            "cin": layer.cin,
            "cout": layer.cout,
            "kernel": layer.kernel,
            "groups": layer.groups,
            "bias": layer.bias,
            "stride": layer.stride,
            "padding": layer.padding,
            "dilation": layer.dilation,
            "weight_shape": layer.weight_shape,
        }
        if layer.transposed:
            data["output_padding"] = layer.output_padding
    else:
        data = {"name": layer.name, "type": layer_type(layer), "channels": layer.channels}
    data["formula"] = formula(layer)
    data["params"] = framework_params(cost, framework)
    data["buffers"] = cost.buffers
    data["output_shape"] = cost.output_shape
    data["macs"] = macs
    data["compute"] = cost.compute(convention)
    data["extra_ops"] = cost.extra_ops
    data["activation_bytes"] = cost.activation_bytes
    data["intensity"] = _intensity(macs, cost.bytes_moved)
    return data


def block_json(
    cost: Cost, *, convention: str = "macs", framework: str = "pytorch", layers: bool = True
) -> dict[str, Any]:
    """The JSON object of a variant command (the documented contract).

    With ``framework="keras"``, ``params`` is what Keras prints as total
    parameters: BatchNorm's moving statistics are non-trainable parameters.
    """
    block = cost.block
    main = block.main
    variant = block.variant
    multiplier = None
    for conv in block.convs:
        if conv.kind == "depthwise":
            multiplier = conv.cout // conv.cin
            break
    macs = cost.macs
    data: dict[str, Any] = {
        "variant": variant,
        "cin": block.cin,
        "cout": block.cout,
        "kernel": main.kernel,
        "dims": len(main.kernel),
        "groups": main.groups if variant == "standard" or variant == "pointwise" else None,
        "multiplier": multiplier,
        "bias": block.bias,
        "bn": block.bn,
        "stride": main.stride,
        "padding": main.padding,
        "dilation": main.dilation,
        "transposed": main.transposed,
        "framework": framework,
        "params": framework_params(cost, framework),
        "buffers": cost.buffers,
        "dtype": cost.dtype,
        "weight_bytes": cost.weight_bytes,
        "batch": cost.batch,
        "input_shape": cost.input_shape,
        "output_shape": cost.output_shape,
        "macs": macs,
        "flops": cost.flops,
        "convention": convention,
        "compute": cost.compute(convention),
        "extra_ops": cost.extra_ops,
        "activation_bytes": cost.activation_bytes,
        "peak_activation_bytes": cost.peak_bytes,
        "intensity": _intensity(macs, cost.bytes_moved),
    }
    if layers:
        data["layers"] = [_layer_json(layer, convention, framework) for layer in cost.children]
    if framework == "keras":
        data["trainable_params"] = cost.params
        data["non_trainable_params"] = cost.buffers
    if main.transposed:
        data["output_padding"] = main.output_padding
    return data


def training_json(train: Training) -> dict[str, Any]:
    """The ``"training"`` object of a variant command or of ``model``."""
    from dataclasses import asdict

    return {**asdict(train), "total_bytes": train.total_bytes}


def reported_json(reports: dict[str, Report]) -> dict[str, dict[str, Any]]:
    """The ``"reported_by"`` object: each tool's figures under the tool's name."""
    from dataclasses import asdict

    return {
        name: {key: value for key, value in asdict(report).items() if key != "tool"}
        for name, report in reports.items()
    }


# --- networks -----------------------------------------------------------------------


def _node_json(node: Cost) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": node.name,
        "type": node_type(node),
        "input_shape": node.input_shape,
        "output_shape": node.output_shape,
        "params": node.params,
        "buffers": node.buffers,
        "macs": node.macs,
        "extra_ops": node.extra_ops,
        "activation_bytes": node.activation_bytes,
    }
    if node.shared:
        data["shared"] = True
    data.update(_details(node))
    written = layer_formula(node)
    if written is not None:
        data["formula"] = written
    if node.children:
        data["children"] = [_node_json(child) for child in node.children]
    return data


def _details(node: Cost) -> dict[str, Any]:
    """What a node of a kind the spec language added says besides its figures (none for
    the kinds that were there before it, whose JSON stays as it was)."""
    from ..model.network import Act, Parallel, Pool, Shuffle

    layer = node.layer
    if isinstance(layer, Act):
        return {"fn": layer.fn}
    if isinstance(layer, Shuffle):
        return {"groups": layer.groups}
    if isinstance(layer, Pool):
        details: dict[str, Any] = {}
        if layer.output is not None:
            details["adaptive"] = list(layer.output)
        if layer.ceil_mode:
            details["ceil_mode"] = True
        if layer.dilation is not None:
            details["dilation"] = list(layer.dilation)
        return details
    if isinstance(node.node, Parallel) and node.node.split is not None:
        return {"split": list(node.node.split), "merge": node.node.merge}
    return {}


def network_json(
    cost: Cost,
    *,
    dtype: str,
    batch: int,
    convention: str = "macs",
    training: Training | None = None,
    reports: dict[str, Report] | None = None,
) -> dict[str, Any]:
    """The JSON object of ``model``: totals, the layer tree and the breakdown, and
    the training step and what other tools report when asked for."""
    from ..model.cost import DTYPES
    from ..model.network import breakdown

    data: dict[str, Any] = {
        "name": cost.name,
        "input_shape": cost.input_shape,
        "output_shape": cost.output_shape,
        "batch": batch,
        "dtype": dtype,
        "params": cost.params,
        "buffers": cost.buffers,
        "macs": cost.macs,
        "flops": cost.flops,
        "convention": convention,
        "compute": cost.compute(convention),
        "extra_ops": cost.extra_ops,
        "weight_bytes": (cost.params + cost.buffers) * DTYPES[dtype],
        "activation_bytes": cost.activation_bytes,
        "peak_activation_bytes": cost.peak_bytes,
        "layers": [_node_json(child) for child in cost.children],
        "breakdown": [
            {
                "type": category,
                "params": params,
                "macs": macs,
                "params_percent": ratio_number(ratio(params, cost.params), scale=100),
                "macs_percent": ratio_number(ratio(macs, cost.macs), scale=100),
            }
            for category, (params, macs) in breakdown(cost).items()
        ],
    }
    if training is not None:
        data["training"] = training_json(training)
    if reports:
        data["reported_by"] = reported_json(reports)
    return data


def swap_json(
    a: Cost,
    b: Cost,
    variant: str,
    *,
    dtype: str,
    batch: int,
    convention: str = "macs",
    training: tuple[Training, Training] | None = None,
    kept: Sequence[Kept] = (),
    reports: tuple[dict[str, Report], dict[str, Report]] | None = None,
) -> dict[str, Any]:
    """The JSON object of ``model --as``: both networks and their ratios (null against
    a network without parameters or MACs), the blocks left as they were, and each
    one's training step and what other tools report when asked for."""
    train_a, train_b = training or (None, None)
    reports_a, reports_b = reports or (None, None)
    return {
        "as": variant,
        "original": network_json(
            a, dtype=dtype, batch=batch, convention=convention, training=train_a, reports=reports_a
        ),
        "swapped": network_json(
            b, dtype=dtype, batch=batch, convention=convention, training=train_b, reports=reports_b
        ),
        "params_ratio": ratio_number(ratio(b.params, a.params)),
        "macs_ratio": ratio_number(ratio(b.macs, a.macs)),
        "kept": [{"index": k.row, "name": k.name, "reason": k.reason} for k in kept],
    }


# --- sweeps and comparisons ---------------------------------------------------------


def sweep_records(
    results: Sequence[tuple[int, int, tuple[int, ...], list[Cost]]],
    convention: str = "macs",
) -> list[dict[str, Any]]:
    """One record per (cin, cout, kernel, variant): the long form for CSV and JSON."""
    return [
        {
            "cin": cin,
            "cout": cout,
            "kernel": list(kernel),
            "variant": cost.block.variant,
            "params": cost.params,
            "buffers": cost.buffers,
            "output_shape": cost.output_shape,
            "macs": cost.macs,
            "flops": cost.flops,
            "convention": convention,
            "compute": cost.compute(convention),
        }
        for cin, cout, kernel, costs in results
        for cost in costs
    ]


def sweep_json(results: Sequence[Any], convention: str) -> dict[str, Any]:
    """The JSON object of ``sweep``: its records."""
    return {"sweep": sweep_records(results, convention)}


def _inverse(pair: Ratio | None) -> Ratio | None:
    return None if pair is None else (pair[1], pair[0])


def compare_json(
    groups: Sequence[Sequence[Comparison]], *, convention: str = "macs"
) -> dict[str, Any]:
    """The JSON object of ``compare``: every row, each a full block object."""
    variants = []
    for rows in groups:
        for row in rows:
            data = block_json(row.cost, convention=convention, framework=row.framework)
            fold, saved = reduction(row.params, row.baseline_params)
            macs_fold, macs_saved = reduction(row.cost.macs or 0, row.baseline.macs or 0)
            data["label"] = row.label
            data["reduction"] = {
                "params_factor": ratio_number(fold),
                "params_percent": ratio_number(saved, scale=100),
                "macs_factor": ratio_number(macs_fold),
                "macs_percent": ratio_number(macs_saved, scale=100),
                "macs_ratio": ratio_number(_inverse(macs_fold)),
                "paper_ratio": ratio_number(row.paper_quotient),
            }
            variants.append(data)
    return {"baseline": "standard", "variants": variants}


# --- the JSON of whole commands ----------------------------------------------------
# Moved out of convcalc/cli (issue 11): a command calls one of these and writes it.

if TYPE_CHECKING:
    from ..model.fit import Budget


def block_result_json(
    cost: Cost,
    *,
    convention: str = "macs",
    framework: str = "pytorch",
    fold_bn: bool = False,
    reports: dict[str, Report] | None = None,
    training: Training | None = None,
) -> dict[str, Any]:
    """The JSON object of a variant command: the block, with what other tools report
    and a training step if they were asked for."""
    result = block_json(cost, convention=convention, framework=framework)
    result["fold_bn"] = fold_bn
    if reports:
        result["reported_by"] = reported_json(reports)
    if training is not None:
        result["training"] = training_json(training)
    return result


def _budget_json(budget: Budget) -> dict[str, int | None]:
    return {"max_params": budget.max_params, "max_macs": budget.max_macs}


def fit_json(
    fits: Sequence[tuple[str, tuple[int, Cost] | None]], budget: Budget, convention: str
) -> dict[str, Any]:
    """The JSON object of ``fit`` for layers: each variant's largest cout, as a block."""
    return {
        "budget": _budget_json(budget),
        "fits": [
            {"variant": name, "cout": None}
            if found is None
            else {**block_json(found[1], convention=convention), "cout": found[0]}
            for name, found in fits
        ],
    }


def fit_width_json(
    spec: str, budget: Budget, width: str | None, cost: Any, convention: str
) -> dict[str, Any]:
    """The JSON object of ``fit --model``: the largest width and the network's cost
    (each null where no width fits, as a layer's ``cout`` is)."""
    return {
        "model": spec,
        "budget": _budget_json(budget),
        "width": width,
        "params": None if cost is None else cost.params,
        "macs": None if cost is None else cost.macs,
        "convention": convention,
        "compute": None if cost is None else cost.compute(convention),
    }


def presets_json(presets: Sequence[tuple[str, str, Any]]) -> dict[str, Any]:
    """The JSON object of ``model --list``."""
    return {
        "presets": [
            {
                "name": name,
                "about": about,
                "input_shape": cost.input_shape,
                "params": cost.params,
                "macs": cost.macs,
            }
            for name, about, cost in presets
        ]
    }

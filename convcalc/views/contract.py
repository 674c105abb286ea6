"""Results as JSON-ready objects: the documented contract of ``--format json``.

Kept apart from the tables (:mod:`convcalc.views.tables`) so that the JSON path
imports only what it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..model.core import BatchNorm, Conv, Layer, ratio_float

if TYPE_CHECKING:
    from ..model.comparison import Comparison
    from ..model.conventions import Training
    from ..model.cost import BlockCost, LayerCost
    from ..model.profilers import Report

__all__ = [
    "block_json",
    "compare_json",
    "layer_type",
    "reduction",
    "reported_json",
    "training_json",
]


def layer_type(layer: Layer) -> str:
    """The layer's type as a short name."""
    if isinstance(layer, BatchNorm):
        return "batchnorm"
    if layer.transposed:
        return "conv_transpose"
    return {"standard": "conv", "depthwise": "depthwise", "pointwise": "pointwise"}[layer.kind]


def _layer_json(cost: LayerCost, convention: str, keras: bool) -> dict[str, Any]:
    layer = cost.layer
    data: dict[str, Any] = {"name": layer.name, "type": layer_type(layer)}
    if isinstance(layer, Conv):
        data.update(
            cin=layer.cin,
            cout=layer.cout,
            kernel=list(layer.kernel),
            groups=layer.groups,
            bias=layer.bias,
            stride=list(layer.stride),
            padding=padding_json(layer),
            dilation=list(layer.dilation),
            weight_shape=list(layer.weight_shape),
        )
        if layer.transposed:
            data["output_padding"] = list(layer.output_padding)
    else:
        data["channels"] = layer.channels
    data.update(
        formula=layer.formula(),
        params=cost.params + cost.buffers if keras else cost.params,
        buffers=cost.buffers,
        output_shape=as_list(cost.output_shape),
        macs=cost.macs,
        compute=cost.compute(convention),
        extra_ops=cost.extra_ops,
        activation_bytes=cost.activation_bytes,
        intensity=_intensity(cost.macs, cost.bytes_moved),
    )
    return data


def _intensity(macs: int | None, moved: int | None) -> float | None:
    """MACs per byte moved."""
    return None if macs is None or not moved else ratio_float(macs, moved)


def padding_json(conv: Conv) -> list[int] | str:
    return conv.padding if isinstance(conv.padding, str) else list(conv.padding)


def as_list(shape: Sequence[int] | None) -> list[int] | None:
    return None if shape is None else list(shape)


def block_json(
    cost: BlockCost, *, convention: str = "macs", framework: str = "pytorch", layers: bool = True
) -> dict[str, Any]:
    """The JSON object of a variant command (the documented contract).

    With ``framework="keras"``, ``params`` is what Keras prints as total
    parameters: BatchNorm's moving statistics are non-trainable parameters.
    """
    keras = framework == "keras"
    block = cost.block
    main = block.main
    depthwise = next((c for c in block.convs if c.kind == "depthwise"), None)
    data: dict[str, Any] = {
        "variant": block.variant,
        "cin": block.cin,
        "cout": block.cout,
        "kernel": list(block.kernel),
        "dims": main.dims,
        "groups": main.groups if block.variant in ("standard", "pointwise") else None,
        "multiplier": depthwise.cout // depthwise.cin if depthwise else None,
        "bias": block.bias,
        "bn": block.bn,
        "stride": list(main.stride),
        "padding": padding_json(main),
        "dilation": list(main.dilation),
        "transposed": main.transposed,
        "framework": framework,
        "params": cost.params + cost.buffers if keras else cost.params,
        "buffers": cost.buffers,
        "dtype": cost.dtype,
        "weight_bytes": cost.weight_bytes,
        "batch": cost.batch,
        "input_shape": as_list(cost.input_shape),
        "output_shape": as_list(cost.output_shape),
        "macs": cost.macs,
        "flops": cost.flops,
        "convention": convention,
        "compute": cost.compute(convention),
        "extra_ops": cost.extra_ops,
        "activation_bytes": cost.activation_bytes,
        "peak_activation_bytes": cost.peak_activation_bytes,
        "intensity": _intensity(cost.macs, cost.bytes_moved),
    }
    if layers:
        data["layers"] = [_layer_json(layer, convention, keras) for layer in cost.layers]
    if keras:
        data["trainable_params"] = cost.params
        data["non_trainable_params"] = cost.buffers
    if main.transposed:
        data["output_padding"] = list(main.output_padding)
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


def reduction(value: int, baseline: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """(×-fold reduction, fraction saved) of a figure against its baseline, as exact
    (numerator, denominator) pairs.

    >>> reduction(8960, 73856)
    ((73856, 8960), (64896, 73856))
    """
    if not value or not baseline:
        return None, None
    return (baseline, value), (baseline - value, baseline)


def _pair_json(pair: tuple[int, int] | None, scale: int = 1) -> float | None:
    return None if pair is None else ratio_float(scale * pair[0], pair[1])


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
                "params_factor": _pair_json(fold),
                "params_percent": _pair_json(saved, 100),
                "macs_factor": _pair_json(macs_fold),
                "macs_percent": _pair_json(macs_saved, 100),
                "macs_ratio": _pair_json(macs_fold and (macs_fold[1], macs_fold[0])),
                "paper_ratio": _pair_json(row.paper_quotient),
            }
            variants.append(data)
    return {"baseline": "standard", "variants": variants}


# --- the JSON of whole commands ----------------------------------------------------
# Moved out of convcalc/cli (issue 11): a command calls one of these and writes it.

if TYPE_CHECKING:
    from ..model.fit import Budget


def block_result_json(
    cost: BlockCost,
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
    fits: Sequence[tuple[str, tuple[int, BlockCost] | None]], budget: Budget, convention: str
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
    spec: str, budget: Budget, width: str, cost: Any, convention: str
) -> dict[str, Any]:
    """The JSON object of ``fit --model``: the largest width and the network's cost."""
    return {
        "model": spec,
        "budget": _budget_json(budget),
        "width": width,
        "params": cost.params,
        "macs": cost.macs,
        "convention": convention,
        "compute": cost.compute(convention),
    }


def presets_json(presets: Sequence[tuple[str, str, Any]]) -> dict[str, Any]:
    """The JSON object of ``model --list``."""
    return {
        "presets": [
            {
                "name": name,
                "about": about,
                "input_shape": as_list(cost.input_shape),
                "params": cost.params,
                "macs": cost.macs,
            }
            for name, about, cost in presets
        ]
    }

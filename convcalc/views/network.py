"""Views of whole networks as data: per-layer tables, the per-type breakdown and
the side-by-side of ``--as``. Their JSON is in :mod:`convcalc.views.contract`.
Nothing here imports Rich."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..model.cost import DTYPES, Cost
from ..model.network import Kept, breakdown
from . import tables
from .contract import node_type
from .tables import REDUNDANT, USEFUL, Column, Table
from .text import fmt, human_bytes, millions, ratio, shape_text

__all__ = [
    "breakdown_table",
    "layer_rows",
    "network_table",
    "reported_table",
    "swap_table",
]


def layer_rows(cost: Cost, depth: int) -> Iterator[tuple[str, int, Cost]]:
    """(index, level, node) for every node down to ``depth`` levels, in forward order.

    Indices are dotted paths: ``3`` is the third top-level layer, ``3.2`` its second part.
    """

    def visit(node: Cost, prefix: str, level: int) -> Iterator[tuple[str, int, Cost]]:
        for number, child in enumerate(node.children, start=1):
            index = f"{prefix}{number}"
            yield index, level, child
            if level < depth:
                yield from visit(child, f"{index}.", level + 1)

    yield from visit(cost, "", 1)


NETWORK_COLUMNS: tuple[Column, ...] = (
    Column("index", "#", priority=USEFUL),
    Column("name", "Name"),
    Column("type", "Type", priority=USEFUL),
    Column("output_shape", "Output", "shape", USEFUL),
    Column("params", "Params", "count"),
    Column("params_percent", "% params", "percent2", REDUNDANT),
    Column("macs", "MACs", "count"),
    Column("macs_percent", "% MACs", "percent2", REDUNDANT),
)

NETWORK_MACHINE_COLUMNS: tuple[Column, ...] = (
    Column("index", "#"),
    Column("level", "Level", "count"),
    Column("name", "Name"),
    Column("type", "Type"),
    Column("input_shape", "Input", "shape"),
    Column("output_shape", "Output", "shape"),
    Column("params", "Params", "count"),
    Column("buffers", "Buffers", "count"),
    Column("macs", "MACs", "count"),
    Column("extra_ops", "Other ops", "count"),
    Column("activation_bytes", "Activations", "bytes"),
    Column("params_percent", "% params", "percent2"),
    Column("macs_percent", "% MACs", "percent2"),
)


def _row(
    index: str, level: int, node: Cost, total: Cost, convention: str = "macs"
) -> dict[str, Any]:
    indent = "  " * (level - 1)
    return {
        "index": index,
        "level": level,
        "name": f"{indent}{node.name}",
        "type": f"{node_type(node)} (shared)" if node.shared else node_type(node),
        "input_shape": node.input_shape,
        "output_shape": node.output_shape,
        "params": node.params,
        "buffers": node.buffers,
        "macs": node.compute(convention),
        "extra_ops": node.extra_ops,
        "activation_bytes": node.activation_bytes,
        "params_percent": ratio(node.params, total.params),
        "macs_percent": ratio(node.compute(convention), total.compute(convention)),
    }


def _totals(cost: Cost, convention: str = "macs") -> dict[str, Any]:
    return {
        "index": "",
        "name": "total",
        "input_shape": cost.input_shape,
        "output_shape": cost.output_shape,
        "params": cost.params,
        "buffers": cost.buffers,
        "macs": cost.compute(convention),
        "extra_ops": cost.extra_ops,
        "activation_bytes": cost.activation_bytes,
        "params_percent": ratio(cost.params, cost.params),
        "macs_percent": ratio(cost.compute(convention), cost.compute(convention)),
    }


def network_notes(cost: Cost, dtype: str, batch: int) -> list[str]:
    """Summary lines under a network's table."""
    size = DTYPES[dtype]
    per_batch = f" for a batch of {batch}" if batch > 1 else ""
    macs, written, peak = cost.macs, cost.activation_bytes, cost.peak_bytes
    assert macs is not None and written is not None and peak is not None  # traced
    return [
        f"{fmt(cost.params)} parameters ({millions(cost.params)}), "
        f"{fmt(cost.buffers)} BatchNorm buffers; {fmt(macs)} MACs "
        f"({millions(macs)} Mult-Adds){per_batch}, FLOPs = 2 × MACs.",
        f"Memory ({dtype}): weights {human_bytes((cost.params + cost.buffers) * size)}, "
        f"activations {human_bytes(written)}, peak {human_bytes(peak)}. "
        "MACs exclude bias, BatchNorm, pooling and activations.",
    ]


def network_table(
    cost: Cost, *, depth: int, dtype: str, batch: int, convention: str = "macs"
) -> Table:
    """The per-layer table of a network down to ``depth`` levels, with totals; the
    compute columns are stated in ``convention``."""
    from ..model.cost import CONVENTIONS

    heading = CONVENTIONS[convention][2]
    columns = tuple(
        c.replace(header={"macs": heading, "macs_percent": f"% {heading}"}.get(c.key, c.header))
        for c in NETWORK_COLUMNS
    )
    rows = tuple(
        _row(i, level, node, cost, convention) for i, level, node in layer_rows(cost, depth)
    )
    return Table(
        title=f"{cost.name}: input {shape_text(cost.input_shape)}"
        + (f", batch {batch}" if batch > 1 else ""),
        columns=columns,
        rows=rows,
        total=_totals(cost, convention),
        notes=tuple(network_notes(cost, dtype, batch)),
        machine_columns=NETWORK_MACHINE_COLUMNS,
    )


BREAKDOWN_COLUMNS: tuple[Column, ...] = (
    Column("type", "Type"),
    Column("params", "Params", "count"),
    Column("params_percent", "% params", "percent2", USEFUL),
    Column("macs", "MACs", "count"),
    Column("macs_percent", "% MACs", "percent2", USEFUL),
)


def breakdown_rows(cost: Cost) -> list[dict[str, Any]]:
    """One row per layer type present."""
    return [
        {
            "type": category,
            "params": params,
            "params_percent": ratio(params, cost.params),
            "macs": macs,
            "macs_percent": ratio(macs, cost.macs),
        }
        for category, (params, macs) in breakdown(cost).items()
    ]


def breakdown_table(cost: Cost) -> Table:
    """Resources per layer type, as in the MobileNet paper's table."""
    return Table(
        title="Resources per layer type",
        columns=BREAKDOWN_COLUMNS,
        rows=tuple(breakdown_rows(cost)),
    )


# --- side by side -------------------------------------------------------------


def _pairs(a: Cost, b: Cost, depth: int) -> Iterator[tuple[str, int, Cost, Cost]]:
    """Corresponding nodes of a network and its swapped twin; blocks are not opened,
    since a swapped block has other layers inside."""

    def visit(x: Cost, y: Cost, prefix: str, level: int) -> Iterator[tuple[str, int, Cost, Cost]]:
        for number, (cx, cy) in enumerate(zip(x.children, y.children, strict=True), start=1):
            index = f"{prefix}{number}"
            yield index, level, cx, cy
            same_shape = len(cx.children) == len(cy.children) and cx.type == cy.type
            if level < depth and same_shape and cx.category is None:
                yield from visit(cx, cy, f"{index}.", level + 1)

    yield from visit(a, b, "", 1)


def _times(new: int, old: int) -> str:
    """``8.24× fewer`` or ``1.23× more``, or ``--`` against nothing (a network
    without parameters)."""
    from .tables import cell_text

    return "--" if not new or not old else cell_text((old, new), "fewer")


def kept_note(kept: Sequence[Kept], variant: str, *, most: int = 5) -> str:
    """The note under ``--as`` naming the blocks it left as they are."""
    shown = ", ".join(f"{k.row} {k.name} ({k.reason})" for k in kept[:most])
    more = f" and {fmt(len(kept) - most)} more" if len(kept) > most else ""
    verb = "Kept as it is" if len(kept) == 1 else "Kept as they are"
    return f"{verb}, as no {variant} block computes the same: {shown}{more}."


def swap_table(a: Cost, b: Cost, variant: str, *, depth: int, kept: Sequence[Kept] = ()) -> Table:
    """The network and its ``--as`` twin side by side; a block ``--as`` cannot
    express is marked ``(kept)`` and named under the table."""
    columns = (
        Column("index", "#", priority=USEFUL),
        Column("name", "Name"),
        Column("kept_type", "Type", priority=USEFUL),
        Column("params", "Params", "count"),
        Column("as_params", f"Params as {variant}", "count"),
        Column("macs", "MACs", "count"),
        Column("as_macs", f"MACs as {variant}", "count"),
        Column("macs_change", "Change in MACs", "fewer", USEFUL),
    )
    # CSV's columns, as before: the type after the swap, and the ratio as a number.
    machine = (
        Column("index", "#"),
        Column("level", "Level", "count"),
        Column("name", "Name"),
        Column("type", "Type"),
        Column("as_type", f"As {variant}"),
        *(c for c in columns[3:7]),
        Column("macs_ratio", "MAC ratio", "factor"),
        Column("params_ratio", "Params ratio", "ratio"),
    )
    rows_kept = {k.row for k in kept}
    rows = [
        {
            "index": index,
            "level": level,
            "name": "  " * (level - 1) + x.name,
            "type": node_type(x),
            "as_type": f"{node_type(y)} (kept)" if index in rows_kept else node_type(y),
            # People see only what changed: a block --as could not swap is marked.
            "kept_type": f"{node_type(x)} (kept)" if index in rows_kept else node_type(x),
            "params": x.params,
            "as_params": y.params,
            "macs": x.macs,
            "as_macs": y.macs,
            "params_ratio": ratio(y.params, x.params),
            "macs_ratio": ratio(y.macs, x.macs),
            "macs_change": (x.macs, y.macs) if x.macs and y.macs else None,
        }
        for index, level, x, y in _pairs(a, b, depth)
    ]
    total = {
        "name": "total",
        "params": a.params,
        "as_params": b.params,
        "macs": a.macs,
        "as_macs": b.macs,
        "params_ratio": ratio(b.params, a.params),
        "macs_ratio": ratio(b.macs, a.macs),
        "macs_change": (a.macs, b.macs) if a.macs and b.macs else None,
    }
    macs, as_macs = a.macs, b.macs
    assert macs is not None and as_macs is not None  # traced
    notes = (
        f"As {variant}: {fmt(b.params)} parameters ({millions(b.params)}) against "
        f"{fmt(a.params)} ({millions(a.params)}), {_times(b.params, a.params)}; "
        f"{fmt(as_macs)} MACs ({millions(as_macs)}) against {fmt(macs)} "
        f"({millions(macs)}), {_times(as_macs, macs)}.",
        *([kept_note(kept, variant)] if kept else []),
    )
    return Table(
        title=f"{a.name} as {variant}",
        columns=columns,
        rows=tuple(rows),
        total=total,
        notes=notes,
        machine_columns=machine,
    )


# --- as other tools report it (model --reported-by) ---------------------------------


def reported_table(reports: dict[str, Any], cost: Cost, title: str = "") -> Table:
    """What each profiler would print for the whole network, beside convcalc's own
    figures, with the terms that make up each difference."""
    notes: tuple[str, ...] = (
        "As PyTorch code usually writes the network (torchvision's way): each layer an nn "
        "module, a global pool nn.AdaptiveAvgPool2d(1), a square pooling window one number, "
        "residual sums and gate products written a + b and x * g (which no tool here counts), "
        "a shared module registered once.",
    )
    if not any(node.type == "act" for _, node in cost.walk()):
        notes += (
            "This network writes no activations (act): on a PyTorch model with its ReLUs, "
            "ptflops, calflops and torchscan read more.",
        )
    return tables.reported_table(
        reports,
        cost.params,
        cost.macs,
        title=title or f"As other tools report it: {cost.name}",
        notes=notes,
    )

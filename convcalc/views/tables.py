"""Views of results as data: tables and charts (for Rich, Markdown and CSV).

A :class:`Table` holds raw values (ints, shapes, exact fractions); each output
format formats them its own way: thousands separators and human units for
people, raw integers for machines. The JSON objects are in
:mod:`convcalc.views.contract`; the text writers in :mod:`convcalc.views.text`.
Nothing here imports Rich.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..model.core import BatchNorm, Block, Conv
from ..model.names import SWAP_VARIANTS
from ..model.records import Record, init
from .contract import framework_params, layer_type, sweep_records
from .text import (
    compact,
    fmt,
    formula,
    human_bytes,
    ratio,
    ratio_number,
    ratio_text,
    reduction,
    shape_text,
    visible,
)

if TYPE_CHECKING:
    from ..model.comparison import Comparison
    from ..model.cost import Cost

__all__ = [
    "Column",
    "Note",
    "Table",
    "block_table",
    "compare_tables",
    "compute_column",
    "note_text",
    "to_csv",
    "to_markdown",
]

CellKind = Literal[
    "text",
    "prose",
    "count",
    "bytes",
    "factor",
    "fewer",
    "percent",
    "percent2",
    "ratio",
    "quotient",
    "shape",
]
"""How a cell is written. Ratios (factor, fewer, percent, ratio, quotient) are exact
(numerator, denominator) pairs of ints, written as decimals only at the end; a
``fewer`` pair (baseline, value) is written with its direction, ``8.24× fewer``.
``prose`` is text that may wrap between words in a narrow table; ``text`` (a name)
never wraps."""

ESSENTIAL, USEFUL, REDUNDANT = 1, 2, 3
"""Column priorities: a narrow table leaves out the redundant columns first (what
another column already says, like FLOPs = 2 × MACs), then the useful ones; the
essential ones are always shown (else the table is written a record per row)."""


ABBREVIATIONS: dict[str, str] = {
    "Activations": "Activ.",
    "Weight shape": "Weights",
    "vs standard": "vs std",
    "1/N + 1/K²": "Paper",
    "Bias/BN ops": "Bias ops",
    "Change in MACs": "Change",
    "Largest cout": "Cout",
    "Why it differs": "Why",
    "MACs/byte": "MAC/B",
    "Non-trainable": "Frozen",
    "Params (Keras)": "Params",
    **{f"{what} as {v}": f"as {v}" for what in ("Params", "MACs") for v in SWAP_VARIANTS},
    # Sweep columns are headed by variant.
    "standard": "std",
    "depthwise": "dw",
    "pointwise": "pw",
    "separable": "sep",
}
"""Shorter headers, each said once, for a table that does not fit its width with
the full ones."""


class Column(Record):
    """A table column: how it is headed for people and keyed for machines."""

    __slots__ = (
        "key",
        "header",
        "kind",
        "priority",
    )

    def __init__(
        self, key: str, header: str, kind: CellKind = "text", priority: int = ESSENTIAL
    ) -> None:
        init(self, key=key, header=header, kind=kind, priority=priority)

    key: str
    """The CSV header and the row dict key."""
    header: str
    """The heading in human views."""
    kind: CellKind
    """How values are formatted; everything but text is right-aligned."""
    priority: int
    """:data:`ESSENTIAL`, :data:`USEFUL` or :data:`REDUNDANT`: which columns a narrow
    table leaves out first."""

    @property
    def numeric(self) -> bool:
        """Whether the column holds figures (right-aligned)."""
        return self.kind not in ("text", "prose")


class Table(Record):
    """Rows of raw values under columns, with an optional totals row and notes."""

    __slots__ = (
        "title",
        "columns",
        "rows",
        "total",
        "notes",
        "machine_columns",
        "parts",
    )

    def __init__(
        self,
        *,
        title: str,
        columns: tuple[Column, ...],
        rows: tuple[dict[str, Any], ...],
        total: dict[str, Any] | None = None,
        notes: tuple[str | Note, ...] = (),
        machine_columns: tuple[Column, ...] = (),
        parts: tuple[tuple[str, tuple[str, ...]], ...] = (),
    ) -> None:
        init(
            self,
            title=title,
            columns=columns,
            rows=rows,
            total=total,
            notes=notes,
            machine_columns=machine_columns,
            parts=parts,
        )

    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    total: dict[str, Any] | None
    notes: tuple[str | Note, ...]
    """Said under the table; a :class:`Note` only as far as its columns are shown."""
    machine_columns: tuple[Column, ...]
    """Columns for CSV, the same whatever the options, so scripts can rely on them;
    empty means :attr:`columns`."""
    parts: tuple[tuple[str, tuple[str, ...]], ...]
    """How people see it: (heading, column keys) for each sub-table, so that a wide
    table reads well in a terminal; empty means one table of all :attr:`columns`."""

    def views(self) -> list[tuple[str, tuple[Column, ...]]]:
        """(heading, columns) for each sub-table people see."""
        if not self.parts:
            return [(self.title, self.columns)]
        by_key = {c.key: c for c in self.columns}
        return [(heading, tuple(by_key[k] for k in keys)) for heading, keys in self.parts]


class Note(Record):
    """A note under a table whose sentences each speak of some columns: a sentence is
    said only where one of its columns is drawn, so that a table narrowed to fit its
    width never explains a column it left out.

    >>> note = Note(sentences=(("MACs exclude bias.", ("macs",)), ("Ratio is exact.", ("ratio",))))
    >>> note_text(note, shown={"macs"})
    'MACs exclude bias.'
    """

    __slots__ = ("sentences",)

    def __init__(self, *, sentences: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        init(self, sentences=sentences)

    sentences: tuple[tuple[str, tuple[str, ...]], ...]
    """(sentence, keys of the columns it speaks of, said if any is shown; none: always)."""


def note_text(note: str | Note, shown: Collection[str] | None = None) -> str:
    """A note as said under a table whose ``shown`` columns (keys; None: every one)
    are drawn: empty if it speaks only of columns left out."""
    if isinstance(note, str):
        return note
    return " ".join(
        sentence
        for sentence, keys in note.sentences
        if shown is None or not keys or any(key in shown for key in keys)
    )


class Chart(Record):
    """Horizontal bars on one shared scale: groups of (label, value) bars."""

    __slots__ = (
        "title",
        "unit",
        "groups",
        "log",
    )

    def __init__(
        self,
        *,
        title: str,
        unit: str,
        groups: tuple[tuple[str, tuple[tuple[str, int], ...]], ...],
        log: bool | None = None,
    ) -> None:
        init(self, title=title, unit=unit, groups=groups, log=log)

    title: str
    unit: str
    """What the values count, e.g. "parameters" or "MACs"."""
    groups: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    """(group heading, ((bar label, value), ...)) in drawing order."""
    log: bool | None
    """A log scale (``--log``); None: one when the bars span more than
    :data:`LOG_SPAN` times."""

    @property
    def logarithmic(self) -> bool:
        """Whether the bars are drawn on a log scale."""
        if self.log is not None:
            return self.log
        values = [value for _, bars in self.groups for _, value in bars if value > 0]
        return bool(values) and max(values) > LOG_SPAN * min(values)


LOG_SPAN = 100
"""Bars that span more than two orders of magnitude are drawn on a log scale, or
the small ones would be empty slivers."""


RATIO_CELLS: dict[str, tuple[int, int, str]] = {
    "factor": (2, 1, "×"),
    "fewer": (2, 1, "×"),
    "percent": (1, 100, "%"),
    "percent2": (2, 100, "%"),
    "ratio": (4, 1, ""),
    "quotient": (2, 1, ""),
}
"""How each kind of ratio cell is written for people: (decimals, scale, suffix)."""


def cell_text(value: Any, kind: CellKind, units: str = "exact") -> str:
    """A value formatted for people; ``--`` where it does not apply. With
    ``units="si"``, counts are written compact (``231.2 M``)."""
    if value is None:
        return "--"
    if kind == "count":
        return compact(value) if units == "si" else fmt(value)
    if kind == "bytes":
        return human_bytes(value)
    if kind == "fewer":
        baseline, new = value
        if baseline == new:
            return "same"
        if baseline > new:
            return f"{ratio_text((baseline, new), 2)}× fewer"
        return f"{ratio_text((new, baseline), 2)}× more"
    if kind in RATIO_CELLS:
        digits, scale, suffix = RATIO_CELLS[kind]
        return f"{ratio_text(value, digits, scale=scale)}{suffix}"
    if kind == "shape":
        return shape_text(value)
    return str(value)


def cell_raw(value: Any, kind: CellKind) -> str:
    """A value for CSV: raw integers, shapes as 128x56x56, ratios as decimals."""
    if value is None:
        return ""
    if kind == "shape":
        return shape_text(value, "x")
    if kind in RATIO_CELLS:
        # Exact ratios, written as decimals (empty beyond a float's range); a
        # percentage is written as the fraction it is.
        number = ratio_number(value)
        return "" if number is None else repr(number)
    return str(value)


def to_csv(tables: Iterable[Table]) -> str:
    """One CSV document: a header row, then each table's rows (and total).

    Names are written exactly, control characters and all, as JSON keeps them: CSV is
    data for programs, and the csv module quotes what needs quoting. The human views
    (tables, Markdown, SVG, HTML) show them escaped.
    """
    import csv
    import io

    tables = list(tables)
    columns = tables[0].machine_columns or tables[0].columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(c.key for c in columns)
    for table in tables:
        rows = [*table.rows, *([table.total] if table.total else [])]
        for row in rows:
            writer.writerow(cell_raw(row.get(c.key), c.kind) for c in columns)
    return out.getvalue()


def to_markdown(tables: Iterable[Table | Chart]) -> str:
    """GitHub-flavoured Markdown: a heading and a table for each (sub-)table."""
    parts = []
    for table in tables:
        if not isinstance(table, Table):
            continue  # charts are pictures: the tables carry the same figures
        rows = [*table.rows, *([table.total] if table.total else [])]
        for heading, columns in table.views():
            lines = [f"**{visible(heading)}**", ""]
            lines.append("| " + " | ".join(visible(c.header) for c in columns) + " |")
            lines.append("|" + "|".join("---:" if c.numeric else "---" for c in columns) + "|")
            for row in rows:
                cells = [
                    visible(cell_text(row.get(c.key), c.kind)).replace("|", "\\|") for c in columns
                ]
                if row is table.total:
                    # An empty cell stays empty: "****" is no bold on GitHub, but four stars.
                    cells = [
                        f"**{cell}**" if cell.strip() not in ("", "--") else "" for cell in cells
                    ]
                lines.append("| " + " | ".join(cells) + " |")
            parts.append("\n".join(lines))
        parts.extend(visible(note_text(note)) for note in table.notes)
    return "\n\n".join(parts) + "\n"


# --- blocks -----------------------------------------------------------------

VARIANT_TITLES: dict[str, str] = {
    "standard": "Standard convolution",
    "depthwise": "Depthwise convolution",
    "pointwise": "Pointwise (1×1) convolution",
    "separable": "MobileNet depthwise separable block (depthwise → pointwise)",
    "lite": "OSNet lite block (1×1 → depthwise)",
}


def block_title(block: Block) -> str:
    """A one-line description of a block.

    >>> from convcalc.model.core import separable
    >>> block_title(separable(cin=64, cout=128))
    'MobileNet depthwise separable block (depthwise → pointwise), 3×3, 64 → 128 channels'
    """
    title = VARIANT_TITLES[block.variant]
    if block.main.transposed:
        title = "Transposed convolution"
    kernel = "" if block.variant == "pointwise" else f", {shape_text(block.kernel)}"
    return f"{title}{kernel}, {block.cin} → {block.cout} channels"


def _layer_row(cost: Cost, variant: str, convention: str, framework: str) -> dict[str, Any]:
    layer = cost.layer
    assert isinstance(layer, Conv | BatchNorm)  # a block's layer
    return {
        "variant": variant,
        "layer": layer.name,
        "type": layer_type(layer),
        "weight_shape": layer.weight_shape if isinstance(layer, Conv) else (layer.channels,),
        "formula": formula(layer),
        **_figures(cost, convention, framework),
    }


def _figures(cost: Cost, convention: str, framework: str) -> dict[str, Any]:
    """The figures a layer row and a totals row share."""
    return {
        "params": framework_params(cost, framework),
        "buffers": cost.buffers,
        "output_shape": cost.output_shape,
        "macs": cost.macs,
        "compute": cost.compute(convention),
        "extra_ops": cost.extra_ops,
        "activation_bytes": cost.activation_bytes,
        "intensity": ratio(cost.macs, cost.bytes_moved),
    }


BLOCK_COLUMNS: tuple[Column, ...] = (
    Column("layer", "Layer"),
    Column("type", "Type", priority=REDUNDANT),  # a block's layers are named by type
    Column("weight_shape", "Weight shape", "shape", USEFUL),
    Column("formula", "Working", priority=USEFUL),
    Column("params", "Params", "count"),
    Column("buffers", "Buffers", "count", USEFUL),
    Column("output_shape", "Output", "shape", USEFUL),
    Column("macs", "MACs", "count"),
    Column("compute", "Compute", "count"),
    Column("extra_ops", "Bias/BN ops", "count", REDUNDANT),
    Column("activation_bytes", "Activations", "bytes", USEFUL),
    Column("intensity", "MACs/byte", "quotient", REDUNDANT),
)


def block_table(cost: Cost, *, convention: str = "macs", framework: str = "pytorch") -> Table:
    """The per-layer table of a variant command, with a totals row.

    The compute column is headed and filled by the ``convention``; with
    ``framework="keras"``, parameters count BatchNorm's moving statistics too.
    """
    from ..model.cost import CONVENTIONS

    title = block_title(cost.block)
    params: tuple[str, ...] = ("layer", "type", "weight_shape", "formula", "params")
    if cost.buffers:
        params += ("buffers",)
    parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    compute_key = "macs" if convention == "macs" else "compute"
    if cost.has_input:
        compute = (
            "layer",
            "output_shape",
            compute_key,
            "extra_ops",
            "activation_bytes",
            "intensity",
        )
        parts = ((title, params), (f"Compute and memory, {_input_text(cost)}", compute))
    keys = set(params) | {k for _, part in parts for k in part}
    headings = {"compute": CONVENTIONS[convention][2]}
    if framework == "keras":
        headings.update(params="Params (Keras)", buffers="Non-trainable")
    columns = [
        c.replace(header=headings.get(c.key, c.header)) for c in BLOCK_COLUMNS if c.key in keys
    ]
    total = {
        "variant": cost.block.variant,
        "layer": "total",
        **_figures(cost, convention, framework),
    }
    rows = tuple(
        _layer_row(layer, cost.block.variant, convention, framework) for layer in cost.children
    )
    return Table(
        title=title,
        columns=tuple(columns),
        rows=rows,
        total=total,
        notes=tuple(block_notes(cost, convention=convention, framework=framework)),
        machine_columns=(Column("variant", "Variant"), *BLOCK_COLUMNS),
        parts=parts,
    )


def _input_text(cost: Cost) -> str:
    batch = f", batch {cost.batch}" if cost.batch > 1 else ""
    return f"input {shape_text(cost.input_shape)}{batch}, {cost.dtype}"


def block_notes(cost: Cost, *, convention: str = "macs", framework: str = "pytorch") -> list[str]:
    """Summary lines under a block's table."""
    notes = []
    if len(cost.block.layers) == 1:
        working = f"{formula(cost.block.layers[0])} = {fmt(cost.params)} parameters"
    else:
        terms = " + ".join(fmt(layer.params) for layer in cost.children)
        working = f"Total: {terms} = {fmt(cost.params)} parameters"
    if cost.buffers and framework == "keras":
        working += (
            f"; Keras adds BatchNorm's moving mean and variance as {fmt(cost.buffers)} "
            f"non-trainable parameters: {fmt(cost.params + cost.buffers)} in all"
        )
    elif cost.buffers:
        working += f" (+ {fmt(cost.buffers)} BatchNorm buffers, not trainable)"
    notes.append(working)
    if not cost.has_input:
        notes.append(INPUT_HINT)
    if cost.has_input:
        assert cost.macs is not None and cost.flops is not None
        batch = f" for a batch of {cost.batch}" if cost.batch > 1 else ""
        line = (
            f"Input {shape_text(cost.input_shape)} → output {shape_text(cost.output_shape)}"
            f"{batch}: {fmt(cost.macs)} MACs, {fmt(cost.flops)} FLOPs "
            f"(bias and BatchNorm operations apart: {fmt(cost.extra_ops or 0)})"
        )
        if convention != "macs":
            line += f"; {convention}: {fmt(cost.compute(convention) or 0)}"
        notes.append(line)
        notes.append(
            f"Memory ({cost.dtype}): weights {human_bytes(cost.weight_bytes)}, "
            f"activations {human_bytes(cost.activation_bytes or 0)}, "
            f"peak {human_bytes(cost.peak_bytes or 0)}"
        )
    return notes


# --- comparisons ------------------------------------------------------------


def _compare_row(row: Comparison, convention: str = "macs") -> dict[str, Any]:
    cost = row.cost
    fold, saved = reduction(row.params, row.baseline_params)
    macs_fold = reduction(cost.macs or 0, row.baseline.macs or 0)[0]
    return {
        "variant": cost.block.variant,
        "label": row.label,
        "cin": cost.block.cin,
        "cout": cost.block.cout,
        "layers": " → ".join(_layer_label(c) for c in cost.block.convs),
        "params": row.params,
        "buffers": cost.buffers,
        "params_reduction": fold,
        "params_saved": saved,
        "output_shape": cost.output_shape,
        "macs": cost.macs,
        "flops": cost.flops,
        "macs_reduction": macs_fold,
        "macs_ratio": ratio(cost.macs, row.baseline.macs),
        "paper_ratio": row.paper_quotient,
        "weight_bytes": cost.weight_bytes,
        "activation_bytes": cost.activation_bytes,
        "peak_activation_bytes": cost.peak_bytes,
        "compute": cost.compute(convention),
        "intensity": ratio(cost.macs, cost.bytes_moved),
    }


def _layer_label(conv: Conv) -> str:
    if conv.kind == "pointwise":
        return "1×1"
    prefix = "dw " if conv.kind == "depthwise" else ""
    return f"{prefix}{shape_text(conv.kernel)}"


COMPARE_COLUMNS: tuple[Column, ...] = (
    Column("variant", "Variant"),
    Column("layers", "Layers", priority=USEFUL),
    Column("params", "Params", "count"),
    Column("params_reduction", "vs standard", "fewer"),
    Column("params_saved", "Saved", "percent", REDUNDANT),
)

COMPARE_INPUT_COLUMNS: tuple[Column, ...] = (
    Column("output_shape", "Output", "shape", USEFUL),
    Column("macs", "MACs", "count"),
    Column("flops", "FLOPs", "count", REDUNDANT),  # 2 × MACs
    Column("macs_reduction", "vs standard", "fewer"),
    Column("macs_ratio", "Ratio", "ratio", REDUNDANT),  # the reduction, upside down
    Column("paper_ratio", "1/N + 1/K²", "ratio", USEFUL),
    Column("weight_bytes", "Weights", "bytes"),
    Column("activation_bytes", "Activations", "bytes"),
    Column("peak_activation_bytes", "Peak", "bytes", USEFUL),
    Column("intensity", "MACs/byte", "quotient", USEFUL),
)

COMPARE_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Compute", ("variant", "output_shape", "macs", "flops", "macs_reduction", "macs_ratio")),
    (
        "Memory",
        ("variant", "weight_bytes", "activation_bytes", "peak_activation_bytes", "intensity"),
    ),
)
VARIANT_NOTE = (
    "separable: MobileNet's depthwise separable block (depthwise → pointwise); "
    "lite: OSNet's Lite 3×3 (1×1 → depthwise)."
)
DEPTHWISE_NOTE = Note(
    sentences=(
        (
            "depthwise keeps C_in channels; it is measured against the standard "
            "C_in → C_out, as every row is.",
            ("params_reduction", "params_saved", "macs_reduction", "macs_ratio"),
        ),
    )
)
INPUT_HINT = "Give --input (the input's height and width, e.g. --input 56) for MACs and memory."
INTENSITY_NOTE = (
    "MACs/byte: MACs per byte of weights and activations each layer reads and writes. "
    "A depthwise layer does only K² MACs per output element while moving whole "
    "activation maps, so it is bound by memory bandwidth, not arithmetic."
)
COMPARE_INPUT_NOTES = (
    Note(
        sentences=(
            ("MACs exclude bias and BatchNorm.", ("macs", "flops")),
            ("FLOPs = 2 × MACs.", ("flops",)),
            ("Ratio is MACs / standard's, exact.", ("macs_ratio",)),
            (
                "1/N + 1/K² is the MobileNet paper's approximation for the separable block.",
                ("paper_ratio",),
            ),
        )
    ),
    Note(sentences=((INTENSITY_NOTE, ("intensity",)),)),
)
"""The notes under a compare table with an input, each sentence about its columns."""


COMPARE_MACHINE_COLUMNS: tuple[Column, ...] = (
    Column("variant", "Variant"),
    Column("label", "Label"),
    Column("cin", "Cin", "count"),
    Column("cout", "Cout", "count"),
    Column("layers", "Layers"),
    Column("params", "Params", "count"),
    Column("buffers", "Buffers", "count"),
    Column("params_reduction", "vs standard", "factor"),
    Column("params_saved", "Saved", "percent"),
    *COMPARE_INPUT_COLUMNS,
)


def compute_column(convention: str) -> Column:
    """The column of a figure's compute as ``convention`` states it, headed by its name.

    >>> compute_column("flops+bias").header
    'FLOPs+bias'
    """
    from ..model.cost import CONVENTIONS

    return Column("compute", CONVENTIONS[convention][2], "count")


def compare_tables(
    groups: Sequence[Sequence[Comparison]], *, convention: str = "macs"
) -> list[Table]:
    """One table per channel pair, rows in the post's order."""
    from ..model.cost import CONVENTIONS

    tables = []
    for rows in groups:
        base = rows[0].baseline
        has_input = base.has_input
        title = (
            f"{base.block.cin} → {base.block.cout} channels, {shape_text(base.block.kernel)} kernel"
        )
        columns = COMPARE_COLUMNS
        parts: tuple[tuple[str, tuple[str, ...]], ...] = ()
        notes: list[str | Note] = [VARIANT_NOTE]
        if any(row.cost.block.cout != row.baseline.block.cout for group in groups for row in group):
            notes.append(DEPTHWISE_NOTE)
        if has_input:
            columns = (*COMPARE_COLUMNS, *COMPARE_INPUT_COLUMNS)
            if convention == "flops":  # FLOPs are the figure asked for; MACs, half of it
                columns = tuple(
                    c.replace(
                        priority={"flops": ESSENTIAL, "macs": REDUNDANT}.get(c.key, c.priority)
                    )
                    for c in columns
                )
            compute, memory = COMPARE_PARTS
            if convention not in ("macs", "flops"):
                columns = (*columns, compute_column(convention))
                compute = (compute[0], (*compute[1][:4], "compute", *compute[1][4:]))
            if any(row.paper_quotient is not None for row in rows):
                compute = (compute[0], (*compute[1], "paper_ratio"))
            parts = (
                (title, tuple(c.key for c in COMPARE_COLUMNS)),
                (f"{compute[0]} ({CONVENTIONS[convention][2]}), {_input_text(base)}", compute[1]),
                memory,
            )
            notes.extend(COMPARE_INPUT_NOTES)
        else:
            notes.append(INPUT_HINT)
        last = rows is groups[-1]  # notes are said once, under the last table
        tables.append(
            Table(
                title=title,
                columns=columns,
                rows=tuple(_compare_row(row, convention) for row in rows),
                notes=tuple(notes) if last else (),
                machine_columns=COMPARE_MACHINE_COLUMNS,
                parts=parts,
            )
        )
    return tables


def compare_charts(
    groups: Sequence[Sequence[Comparison]], *, log: bool | None = None
) -> list[Chart]:
    """Parameters (and MACs, with an input) of every compare row on a shared scale
    (``log``: a log scale; None: one where the bars span over :data:`LOG_SPAN` times)."""
    charts = [
        Chart(
            title="Parameters",
            unit="parameters",
            log=log,
            groups=tuple(
                (
                    f"{rows[0].cost.block.cin} → {rows[0].cost.block.cout}",
                    tuple((row.cost.block.variant, row.cost.params) for row in rows),
                )
                for rows in groups
            ),
        )
    ]
    if groups and groups[0][0].cost.has_input:
        charts.append(
            Chart(
                title="MACs",
                unit="MACs",
                log=log,
                groups=tuple(
                    (
                        f"{rows[0].cost.block.cin} → {rows[0].cost.block.cout}",
                        tuple((row.cost.block.variant, row.cost.macs or 0) for row in rows),
                    )
                    for rows in groups
                ),
            )
        )
    return charts


def sweep_tables(
    results: Sequence[tuple[int, int, tuple[int, ...], list[Cost]]],
    convention: str = "macs",
) -> list[Table]:
    """Every variant's parameters (and MACs) for each (cin, cout, k) of a sweep."""
    variants = [cost.block.variant for cost in results[0][3]] if results else []
    has_input = bool(results) and results[0][3][0].has_input
    columns = [
        Column("cin", "Cin", "count"),
        Column("cout", "Cout", "count"),
        Column("kernel", "Kernel", "shape"),
        *(Column(f"{v}_params", v, "count") for v in variants),
        *(Column(f"{v}_macs", v, "count") for v in variants if has_input),
    ]
    rows = []
    for cin, cout, kernel, costs in results:
        row: dict[str, Any] = {"cin": cin, "cout": cout, "kernel": kernel}
        for cost in costs:
            row[f"{cost.block.variant}_params"] = cost.params
            row[f"{cost.block.variant}_macs"] = cost.compute(convention)
        rows.append(row)
    keys = ("cin", "cout", "kernel")
    parts: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Parameters", (*keys, *(f"{v}_params" for v in variants))),
    )
    if has_input:
        base = results[0][3][0]
        from ..model.cost import CONVENTIONS

        size = shape_text(base.input_shape[1:] if base.input_shape else None)
        heading = f"{CONVENTIONS[convention][2]}, input {size}"
        parts += ((heading, (*keys, *(f"{v}_macs" for v in variants))),)
    notes = () if has_input else (INPUT_HINT,)
    return [
        Table(title="Sweep", columns=tuple(columns), rows=tuple(rows), parts=parts, notes=notes)
    ]


SWEEP_COLUMNS: tuple[Column, ...] = (
    Column("cin", "Cin", "count"),
    Column("cout", "Cout", "count"),
    Column("kernel", "Kernel", "shape"),
    Column("variant", "Variant"),
    Column("params", "Params", "count"),
    Column("buffers", "Buffers", "count"),
    Column("output_shape", "Output", "shape"),
    Column("macs", "MACs", "count"),
    Column("flops", "FLOPs", "count"),
    Column("convention", "Convention"),
    Column("compute", "Compute", "count"),
)


def sweep_csv_table(
    results: Sequence[tuple[int, int, tuple[int, ...], list[Cost]]],
    convention: str = "macs",
) -> Table:
    """The long form as a table, for CSV."""
    return Table(
        title="Sweep", columns=SWEEP_COLUMNS, rows=tuple(sweep_records(results, convention))
    )


def sweep_charts(
    results: Sequence[tuple[int, int, tuple[int, ...], list[Cost]]],
    *,
    log: bool | None = None,
) -> list[Chart]:
    """Bars per variant, grouped by sweep point, parameters (and MACs) on shared
    scales (``log`` as for :func:`compare_charts`)."""

    def heading(cin: int, cout: int, kernel: tuple[int, ...]) -> str:
        return f"{cin} → {cout}, {shape_text(kernel)}"

    charts = [
        Chart(
            title="Parameters",
            unit="parameters",
            log=log,
            groups=tuple(
                (heading(cin, cout, k), tuple((c.block.variant, c.params) for c in costs))
                for cin, cout, k, costs in results
            ),
        )
    ]
    if results and results[0][3][0].has_input:
        charts.append(
            Chart(
                title="MACs",
                unit="MACs",
                log=log,
                groups=tuple(
                    (heading(cin, cout, k), tuple((c.block.variant, c.macs or 0) for c in costs))
                    for cin, cout, k, costs in results
                ),
            )
        )
    return charts


def reported_table(
    reports: dict[str, Any],
    params: int,
    macs: int | None,
    *,
    title: str = "As other tools report it",
    notes: tuple[str, ...] = (),
) -> Table:
    """What each profiler would print for a block or a network, beside convcalc's own
    parameters and MACs, with the terms that make up each difference; ``notes`` go
    after the one that says so."""
    rows = [
        {
            "tool": name,
            "params": report.params,
            "compute": report.compute,
            "unit": report.unit or "--",
            "note": report.note,
        }
        for name, report in reports.items()
    ]
    figures = f"{fmt(params)} parameters"
    if macs is not None:
        figures += f", {fmt(macs)} MACs"
    first = (
        f"convcalc: {figures}. Each note's terms add up to the difference between "
        "the tool's figures and these."
    )
    return Table(
        title=title,
        columns=(
            Column("tool", "Tool"),
            Column("params", "Params", "count"),
            Column("compute", "Compute", "count"),
            Column("unit", "Unit", priority=USEFUL),
            Column("note", "Why it differs", "prose"),
        ),
        rows=tuple(rows),
        notes=(first, *notes),
    )


def training_table(train: Any, title: str = "Training step") -> Table:
    """A training step's compute and memory."""
    state = {"sgd": "none", "momentum": "1 × params", "adam": "2 × params"}[train.optimizer]
    rows = (
        {"item": "step MACs (forward + backward)", "value": train.step_macs, "kind": "count"},
        {"item": "weights", "value": train.weight_bytes},
        {"item": "gradients", "value": train.gradient_bytes},
        {"item": f"optimizer state ({train.optimizer}: {state})", "value": train.optimizer_bytes},
        {"item": "activations kept for backward", "value": train.activation_bytes},
        {"item": "total memory", "value": train.total_bytes},
    )
    note = (
        "Step MACs ≈ 2 × the forward MACs with frozen weights: the backward pass computes "
        "gradients for the activations only."
        if train.frozen
        else "Step MACs ≈ 3 × the forward MACs: the backward pass computes gradients for "
        "the activations and for the weights."
    )
    return Table(
        title=title,
        columns=(Column("item", "Item"), Column("text", "Amount", "text")),
        rows=tuple(
            {
                "item": row["item"],
                "text": "--"
                if row["value"] is None
                else (
                    fmt(row["value"]) if row.get("kind") == "count" else human_bytes(row["value"])
                ),
            }
            for row in rows
        ),
        notes=(note,),
    )


# --- the tables of whole commands --------------------------------------------------
# Moved out of convcalc/cli (issue 11): a command calls one of these and writes it.

if TYPE_CHECKING:
    from ..model.fit import Budget


def block_tables(
    cost: Cost,
    *,
    convention: str = "macs",
    framework: str = "pytorch",
    reports: dict[str, Any] | None = None,
    training: Any = None,
) -> list[Table]:
    """A variant command's tables: the block, then what other tools report and a
    training step, if they were asked for."""
    found = [block_table(cost, convention=convention, framework=framework)]
    if reports:
        found.append(reported_table(reports, cost.params, cost.macs))
    if training is not None:
        found.append(training_table(training))
    return found


def _compute_columns(convention: str) -> tuple[Column, ...]:
    """The column of the compute in a convention other than MACs, if one was asked for."""
    return () if convention == "macs" else (compute_column(convention),)


def _budget_text(budget: Budget) -> str:
    bounds = []
    if budget.max_params is not None:
        bounds.append(f"{fmt(budget.max_params)} parameters")
    if budget.max_macs is not None:
        bounds.append(f"{fmt(budget.max_macs)} MACs")
    return " and ".join(bounds)


def fit_table(
    fits: Sequence[tuple[str, tuple[int, Cost] | None]], budget: Budget, convention: str
) -> Table:
    """``fit``'s answer for layers: each variant's largest cout and its cost."""
    return Table(
        title=f"Largest cout within {_budget_text(budget)}",
        columns=(
            Column("variant", "Variant"),
            Column("cout", "Largest cout", "count"),
            Column("params", "Params", "count"),
            Column("macs", "MACs", "count"),
            *_compute_columns(convention),
        ),
        rows=tuple(
            {
                "variant": name,
                "cout": found[0] if found else None,
                "params": found[1].params if found else None,
                "macs": found[1].macs if found else None,
                "compute": found[1].compute(convention) if found else None,
            }
            for name, found in fits
        ),
        notes=("-- : not even cout = 1 fits.",) if any(f is None for _, f in fits) else (),
    )


def fit_width_table(
    spec: str, width: str | None, cost: Any, convention: str, own_width: str = "1"
) -> Table:
    """``fit --model``'s answer: the largest width multiplier and the network's cost
    (``--`` where no width fits, as for a layer's cout); ``own_width``, a preset's own
    width (osnet_x0_5's 0.5), which the answer is not relative to."""
    from ..model.limits import MAX_WIDTH_TEXT, MIN_WIDTH_TEXT

    return Table(
        title=f"{spec}: the largest width that fits",
        columns=(
            Column("width", "Width α"),
            Column("params", "Params", "count"),
            Column("macs", "MACs", "count"),
            *_compute_columns(convention),
        ),
        rows=(
            {
                "width": width,
                "params": None if cost is None else cost.params,
                "macs": None if cost is None else cost.macs,
                "compute": None if cost is None else cost.compute(convention),
            },
        ),
        notes=(
            *(
                ()
                if cost is not None
                else (
                    f"-- : no width from {MIN_WIDTH_TEXT} to {MAX_WIDTH_TEXT} that can be built "
                    "fits.",
                )
            ),
            "Widths are tried in steps of 0.001 up to 4, skipping those at which the "
            "network cannot be built; channels are rounded by the spec's rounding rule "
            "(by default max(int(c × α), min_channels), as TF-slim rounds them).",
            *(
                ()
                if own_width == "1"
                else (
                    f"α multiplies the network's base channels, as --width does: {spec} "
                    f"itself is α = {own_width}.",
                )
            ),
        ),
    )


def presets_table(presets: Sequence[tuple[str, str, Any]]) -> Table:
    """``model --list``: each preset's name, network, input and cost."""
    return Table(
        title="Built-in presets",
        columns=(
            Column("name", "Preset"),
            Column("about", "Network", "prose"),
            Column("input_shape", "Input", "shape", USEFUL),
            Column("params", "Params", "count"),
            Column("macs", "MACs", "count"),
        ),
        rows=tuple(
            {
                "name": name,
                "about": about,
                "input_shape": cost.input_shape,
                "params": cost.params,
                "macs": cost.macs,
            }
            for name, about, cost in presets
        ),
    )

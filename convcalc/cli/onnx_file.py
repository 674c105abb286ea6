"""``model FILE.onnx``: an ONNX file read as a spec, and what the command says about it.

The graph becomes spec data (:mod:`convcalc.model.onnx_graph`), which ``model`` builds
as it builds any spec; this module reads the file with one-line errors, writes
``--save-spec``, and says on stderr what the figures leave out.
"""

from __future__ import annotations

from typing import Any

import click

from ..model.core import ConvCalcError
from .output import say

__all__ = ["in_graph_terms", "is_onnx", "json_fields", "read_onnx", "report", "save_spec"]

FOLDED_NOTE = (
    "no BatchNormalization in the graph (exporters fold it into the convolutions): "
    "compare with a preset's --fold-bn figures"
)


def is_onnx(spec: str | None) -> bool:
    """Whether ``model`` reads this argument as an ONNX file (by its suffix)."""
    return spec is not None and spec.lower().endswith(".onnx")


def read_onnx(path: str, size: Any, *, strict: bool) -> Any:
    """The file's graph as an :class:`~convcalc.model.onnx_graph.Imported`; a file that
    cannot be read or followed is one line and exit 2 (and so is an unknown operator
    with ``--strict``)."""
    import os

    from ..model.onnx_graph import convert, read_graph

    if "\0" in path:
        raise click.BadParameter(f"{path!r} is not a file name (it holds a NUL byte)")
    if not os.path.exists(path):
        raise click.BadParameter(f"{path!r}: no such file", param_hint="'SPEC'")
    if os.path.isdir(path):
        raise click.BadParameter(f"{path!r} is a directory, not an ONNX file", param_hint="'SPEC'")
    try:
        graph = read_graph(path, size=size)
        imported = convert(graph, path, size=size)
    except ConvCalcError as error:
        if error.option == "input":
            raise click.BadParameter(str(error), param_hint="'--input'") from None
        raise click.UsageError(str(error)) from None
    except MemoryError:
        raise click.UsageError(f"{path}: out of memory reading the graph") from None
    if strict and imported.unsupported:
        raise click.UsageError(
            f"{path}: operators convcalc does not know (--strict): {_listed(imported)}"
        )
    return imported


def _listed(imported: Any) -> str:
    return ", ".join(f"{op} ×{count}" for op, count in imported.unsupported.items())


def report(imported: Any, path: str, *, human: bool) -> None:
    """Say on stderr what the figures leave out: operators counted as zero (always),
    and, for the human formats, that BatchNorm was folded by the exporter."""
    if imported.unsupported:
        say(f"{path}: counted as 0 (convcalc does not know them): {_listed(imported)}")
    if human and imported.folded:
        say(f"note: {FOLDED_NOTE}")


def json_fields(imported: Any) -> dict[str, Any]:
    """What ``--format json`` adds for an ONNX file."""
    return {
        "onnx": {
            "producer": imported.producer,
            "opset": imported.opset,
            "batchnorm": imported.batchnorms,
            "batchnorm_folded": imported.folded,
        },
        "unsupported": dict(imported.unsupported),
    }


def save_spec(data: dict[str, Any], path: str, source: Any = None) -> None:
    """Write spec data to ``path``: JSON if it ends in .json, else TOML."""
    from ..views.spec_text import spec_text
    from .output import opened

    fmt = "json" if path.lower().endswith(".json") else "toml"
    text = spec_text(data, fmt)
    with opened(
        path, fmt if fmt == "json" else "text", source=source, option="--save-spec"
    ) as write:
        write(text)


def in_graph_terms(spec: dict[str, Any], message: str) -> str:
    """An error about the spec read from an ONNX file, with the place in that spec
    (``layers[3].streams[0][1]``, which the user never wrote) named by the graph's node
    as well: ``node 'pool7' (layers[1] of the spec)``."""
    import re

    found = re.search(
        r"\blayers\[\d+\](?:\.(?:layers|shortcut)\[\d+\]|\.streams\[\d+\]\[\d+\])*", message
    )
    if found is None:
        return message
    item: Any = spec
    for key, first, second in re.findall(r"(\w+)\[(\d+)\](?:\[(\d+)\])?", found.group()):
        try:
            item = item[key][int(first)]
            if second:
                item = item[int(second)]
        except (KeyError, IndexError, TypeError):
            return message
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str):
        return message
    place = found.group()
    return message.replace(place, f"node {name!r} ({place} of the spec)", 1)

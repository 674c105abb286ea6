"""Spec data written out as a spec file (TOML or JSON), for ``model --save-spec``.

The TOML is the subset convcalc's specs use: top-level keys, a ``[defaults]`` table,
and one ``[[layers]]`` table per layer, whose nested layer lists are arrays of inline
tables over several lines (each inline table on one line, as TOML asks).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["spec_text"]

_ORDER = ("type", "name")
"""Keys written first in a layer, so that each line starts with what it is."""


def spec_text(data: dict[str, Any], fmt: str = "toml") -> str:
    """Spec data as the text of a spec file, in ``fmt`` (``toml`` or ``json``).

    >>> print(spec_text({"input": [3, 8, 8], "layers": [{"name": "c", "type": "pointwise",
    ...       "cout": 4}]}), end="")
    input = [3, 8, 8]
    <BLANKLINE>
    [[layers]]
    type = "pointwise"
    name = "c"
    cout = 4
    """
    if fmt == "json":
        return json.dumps(_ordered(data), indent=2, ensure_ascii=False) + "\n"
    lines: list[str] = []
    for key, value in data.items():
        if key not in ("layers", "defaults"):
            lines.append(f"{_key(key)} = {_value(value, 0)}")
    defaults = data.get("defaults")
    if isinstance(defaults, dict) and defaults:
        lines += ["", "[defaults]", *(f"{_key(k)} = {_value(v, 0)}" for k, v in defaults.items())]
    for layer in data.get("layers", []):
        lines += ["", "[[layers]]"]
        lines += [f"{_key(k)} = {_value(v, 0)}" for k, v in _ordered(layer).items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = [k for k in _ORDER if k in value] + [k for k in value if k not in _ORDER]
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _key(key: str) -> str:
    plain = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if plain else json.dumps(key, ensure_ascii=False)


def _value(value: Any, depth: int) -> str:
    """A TOML value; a list holding layer tables spans lines, one table a line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)} = {_value(v, depth)}" for k, v in _ordered(value).items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if not any(isinstance(v, dict | list) for v in value):
            return "[" + ", ".join(_value(v, depth) for v in value) + "]"
        inner = "  " * (depth + 1)
        rows = [f"{inner}{_value(v, depth + 1)}," for v in value]
        return "[\n" + "\n".join(rows) + "\n" + "  " * depth + "]"
    raise TypeError(f"not a spec value: {value!r}")

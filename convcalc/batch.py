"""Many layer configs in one process: records in (JSON Lines or CSV), records out.

Each input line gives one output record, in order; a line that cannot be
computed gives ``{"line": N, "error": "..."}`` instead, so the output always has
exactly as many records as the input has lines. No I/O happens here: the CLI
hands in lines and writes out what comes back.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from .core import ConvCalcError, make_block, parse_size
from .cost import measure
from .serialize import block_json, reported_json, training_json

__all__ = ["CSV_COLUMNS", "BatchError", "evaluate", "records"]

# Keys that convcalc itself writes: a result fed back in is read as its config.
OUTPUT_KEYS = {
    "line",
    "params",
    "buffers",
    "weight_bytes",
    "input_shape",
    "output_shape",
    "macs",
    "flops",
    "extra_ops",
    "activation_bytes",
    "peak_activation_bytes",
    "layers",
    "error",
    "compute",
    "intensity",
    "trainable_params",
    "non_trainable_params",
}

CSV_COLUMNS = (
    "line",
    "variant",
    "cin",
    "cout",
    "kernel",
    "groups",
    "multiplier",
    "bias",
    "bn",
    "stride",
    "padding",
    "dilation",
    "transposed",
    "params",
    "buffers",
    "weight_bytes",
    "batch",
    "dtype",
    "input_shape",
    "output_shape",
    "macs",
    "flops",
    "convention",
    "compute",
    "extra_ops",
    "activation_bytes",
    "peak_activation_bytes",
    "error",
)
"""The columns of ``batch --format csv``, fixed so that scripts can rely on them."""

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class BatchError(ConvCalcError):
    """A line that cannot be read as a layer config."""


def _size(value: Any, key: str) -> int | tuple[int, ...]:
    if isinstance(value, bool):
        raise BatchError(f"{key}: expected a size, got a boolean")
    if isinstance(value, int):
        return value
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return tuple(value)
    size = parse_size(value) if isinstance(value, str) else None
    if size is not None:
        return size
    raise BatchError(f"{key}: expected a size like 3, 3x5 or [3, 5], got {value!r}")


def _int(value: Any, key: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        return int(value)
    raise BatchError(f"{key}: expected a whole number, got {value!r}")


def _bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise BatchError(f"{key}: expected true or false, got {value!r}")


def _padding(value: Any, key: str) -> int | tuple[int, ...] | str:
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        return value.strip().lower()
    return _size(value, key)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise BatchError(f"{key}: expected a string, got {value!r}")
    return value.strip().lower()


def _training(value: Any, key: str) -> bool | dict[str, Any]:
    if isinstance(value, dict):
        # A result fed back in: its training object holds the optimizer and whether
        # the weights were frozen.
        return {
            "optimizer": _optimizer(value.get("optimizer", "sgd"), f"{key}.optimizer"),
            "frozen": _bool(value.get("frozen", False), f"{key}.frozen"),
        }
    return _bool(value, key)


def _optimizer(value: Any, key: str) -> str:
    from .conventions import OPTIMIZERS

    name = _text(value, key)
    if name not in OPTIMIZERS:
        raise BatchError(f"{key}: unknown optimizer {name!r}: use {', '.join(OPTIMIZERS)}")
    return name


def _tools(value: Any, key: str) -> tuple[str, ...]:
    from .profilers import TOOLS

    if isinstance(value, dict):
        names = list(value)  # a result's reported_by object, fed back in
    elif isinstance(value, str):
        names = value.replace(",", " ").split()
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = value
    else:
        raise BatchError(f'{key}: expected tool names like "thop" or ["thop", "fvcore"]')
    names = [name.strip().lower() for name in names]
    if "all" in names:
        return tuple(TOOLS)
    for name in names:
        if name not in TOOLS:
            raise BatchError(f"{key}: unknown tool {name!r}: use {', '.join(TOOLS)} or all")
    return tuple(dict.fromkeys(names))


def _positive(value: Any, key: str) -> int:
    number = _int(value, key)
    if number < 1:
        raise BatchError(f"{key} must be >= 1, got {number}")
    return number


# How each input key is read, and the make_block/measure argument it feeds.
READERS: dict[str, tuple[Any, str]] = {
    "variant": (_text, "variant"),
    "dtype": (_text, "dtype"),
    "cin": (_positive, "cin"),
    "cout": (_positive, "cout"),
    "groups": (_positive, "groups"),
    "multiplier": (_positive, "multiplier"),
    "batch": (_positive, "batch"),
    "dims": (_int, "dims"),
    "kernel": (_size, "k"),
    "k": (_size, "k"),
    "stride": (_size, "stride"),
    "dilation": (_size, "dilation"),
    "output_padding": (_size, "output_padding"),
    "input": (_size, "input"),
    "padding": (_padding, "padding"),
    "bias": (_bool, "bias"),
    "bn": (_bool, "bn"),
    "transposed": (_bool, "transposed"),
    "convention": (_text, "convention"),
    "framework": (_text, "framework"),
    "fold_bn": (_bool, "fold_bn"),
    "reported_by": (_tools, "reported_by"),
    "training": (_training, "training"),
    "optimizer": (_optimizer, "optimizer"),
    "frozen": (_bool, "frozen"),
}
INPUT_KEYS = set(READERS)


def evaluate(record: dict[str, Any], *, layers: bool = True) -> dict[str, Any]:
    """One config (the CLI's option names) to its JSON contract object.

    >>> evaluate({"variant": "separable", "cin": 64, "cout": 128})["params"]
    8960
    """
    options: dict[str, Any] = {}
    for key, value in record.items():
        reader = READERS.get(key)
        if reader is None:
            if key in OUTPUT_KEYS:
                continue
            raise BatchError(f"unknown key {key!r}: use {', '.join(sorted(INPUT_KEYS - {'k'}))}")
        if value is None or value == "":
            continue
        read, name = reader
        options[name] = read(value, key)
    if "variant" not in options:
        raise BatchError("variant is required (standard, depthwise, pointwise, separable, lite)")
    if "cin" not in options:
        raise BatchError("cin is required")
    variant = options.pop("variant")
    size = options.pop("input", None)
    if size is None and isinstance(record.get("input_shape"), list):
        # A result fed back in: its channels-first input shape holds the input size.
        size = _size(record["input_shape"][1:], "input_shape")
    batch = options.pop("batch", 1)
    dtype = options.pop("dtype", "fp32")
    convention = options.pop("convention", "macs")
    framework = options.pop("framework", "pytorch")
    fold = options.pop("fold_bn", False)
    tools = options.pop("reported_by", ())
    train = options.pop("training", False)
    if isinstance(train, dict):
        options = {**train, **options}
        train = True
    optimizer = options.pop("optimizer", "sgd")
    frozen = options.pop("frozen", False)
    if framework not in ("pytorch", "keras"):
        raise BatchError(f"framework: {framework!r}: use pytorch or keras")
    if "dims" not in options:
        options["dims"] = _rank(options, size)
    block = make_block(variant, **options)
    if fold or framework == "keras":
        from .conventions import fold_bn, keras_block

        if fold:
            block = fold_bn(block)
        if framework == "keras":
            block = keras_block(block)
    cost = measure(block, input=size, batch=batch, dtype=dtype)
    result = block_json(cost, convention=convention, framework=framework, layers=layers)
    result["fold_bn"] = fold
    if tools:
        from .profilers import reported_by

        result["reported_by"] = reported_json(reported_by(cost, tools))
    if train:
        from .conventions import training

        result["training"] = training_json(training(cost, optimizer=optimizer, frozen=frozen))
    return result


def _rank(options: dict[str, Any], size: Any) -> int | None:
    sized = [v for k, v in options.items() if k in RANKED and isinstance(v, tuple)]
    if isinstance(size, tuple):
        sized.append(size)
    ranks = {len(v) for v in sized}
    if len(ranks) > 1:
        raise BatchError(f"sizes disagree on the number of dimensions: {sorted(ranks)}")
    return ranks.pop() if ranks else None


RANKED = {"k", "stride", "dilation", "output_padding", "padding"}


Record = tuple[str, dict[str, Any] | BatchError]


def records(lines: Iterable[str], input_format: str) -> Iterator[Record]:
    """(line text, config dict or the error that stops it being one) for each line.

    CSV takes its keys from a header row, which is not a record.
    """
    if input_format == "csv":
        yield from _csv_records(lines)
        return
    for text in lines:
        yield text, _json_record(text)


def _json_record(text: str) -> dict[str, Any] | BatchError:
    if not text.strip():
        return BatchError("empty line")
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        return BatchError(f"invalid JSON: {getattr(error, 'msg', 'nested too deeply')}")
    if not isinstance(value, dict):
        return BatchError('expected a JSON object like {"variant": "standard", ...}')
    return value


def _csv_records(lines: Iterable[str]) -> Iterator[Record]:
    iterator = iter(lines)
    header_line = next(iterator, None)
    if header_line is None:
        return
    header = [h.strip() for h in next(csv.reader([header_line]), [])]
    for text in iterator:
        yield text, _csv_record(text, header)


def _csv_record(text: str, header: list[str]) -> dict[str, Any] | BatchError:
    if not text.strip():
        return BatchError("empty line")
    try:
        cells = next(csv.reader([text]))
    except csv.Error as error:
        return BatchError(f"invalid CSV: {error}")
    if len(cells) != len(header):
        return BatchError(f"expected {len(header)} cells as in the header, got {len(cells)}")
    return dict(zip(header, cells, strict=True))


def _csv_rest(result: dict[str, Any]) -> str:
    """A result's CSV cells after the line number: figures raw, sizes as 3x3."""
    out = io.StringIO()
    cells: list[Any] = []
    for key in CSV_COLUMNS[1:]:
        value = result.get(key)
        if isinstance(value, list):
            value = "x".join(map(str, value))
        elif isinstance(value, bool):
            value = str(value).lower()
        cells.append("" if value is None else value)
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _csv_error(line: int, error: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([line, *([""] * (len(CSV_COLUMNS) - 2)), error])
    return out.getvalue()


def run(
    lines: Iterable[str], input_format: str, output_format: str, *, cache_size: int = 4096
) -> Iterator[tuple[int, str, str | None]]:
    """(line number, output text, error or None) for each input line, in order.

    Identical input lines give identical results, so the text of recent ones is
    kept and reused: a batch drawn from a few networks repeats most of its layers.
    """
    cache: dict[str, str] = {}
    for number, (key, record) in enumerate(records(lines, input_format), start=1):
        rest = cache.get(key) if not isinstance(record, BatchError) else None
        error: str | None = None
        if rest is None:
            try:
                if isinstance(record, BatchError):
                    raise record
                result = evaluate(record, layers=output_format != "csv")
            except ConvCalcError as problem:
                error = str(problem)
            else:
                if output_format == "csv":
                    rest = _csv_rest(result)
                else:
                    rest = json.dumps(result, ensure_ascii=False)[1:]
                if len(cache) >= cache_size:
                    cache.clear()
                cache[key] = rest
        if error is not None:
            if output_format == "csv":
                yield number, _csv_error(number, error), error
            else:
                text = json.dumps({"line": number, "error": error}, ensure_ascii=False)
                yield number, text + "\n", error
        elif output_format == "csv":
            yield number, f"{number},{rest}", None
        else:
            yield number, f'{{"line": {number}, {rest}\n', None

"""Many layer configs in one process: records in (JSON Lines or CSV), records out.

Each input record gives one output record, in order; a record that cannot be
computed gives ``{"line": N, "error": "..."}`` instead, so the output always has
exactly as many records as the input. The input is a byte stream read one bounded
line at a time (:data:`convcalc.model.limits.MAX_LINE_BYTES`) and never held whole; input
that cannot be read past (a line over the limit, a CSV header that names no columns
or bad ones) stops the run with :class:`StopBatch`. Nothing is written here: the CLI
writes what comes back.
"""

from __future__ import annotations

import csv
import io
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple

from ..model.core import ConvCalcError
from ..model.evaluate import RankError
from ..model.evaluate import evaluate as evaluate_config
from ..model.limits import MAX_DIGITS, MAX_LINE_BYTES, over_limit, read_size, shown
from ..model.schema import KEYS, OPTIONS
from .contract import block_json, reported_json, training_json
from .text import did_you_mean

__all__ = ["CSV_COLUMNS", "BatchError", "StopBatch", "evaluate", "read", "run"]

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


class BatchError(ConvCalcError):
    """A record that cannot be read as a layer config."""


class StopBatch(ConvCalcError):
    """Input that stops the whole run: nothing past it can be read as records."""


# --- reading one key ------------------------------------------------------------
# Each key is read by its option in the schema (convcalc.model.schema), as the command
# line reads it, so that batch and the CLI accept and refuse the same values.


def _training(value: Any) -> bool | tuple[str, bool]:
    if isinstance(value, dict):
        # A result fed back in: its training object holds the optimizer and whether
        # the weights were frozen.
        return (
            OPTIONS["optimizer"].read(value.get("optimizer", "sgd")),
            OPTIONS["frozen"].read(value.get("frozen", False)),
        )
    return bool(OPTIONS["training"].read(value))


# How each input key is read, and the option it gives.
READERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    key: (_training if option.name == "training" else option.read, option.name)
    for key, option in KEYS.items()
}
INPUT_KEYS = set(READERS)
KEY_NAMES = sorted(INPUT_KEYS)
ALLOWED = "use " + ", ".join(
    name + "".join(f" (or {key})" for key in option.keys if key != name)
    for name, option in sorted(OPTIONS.items())
)
"""The keys a record may give, as the schema spells them (``kernel (or k)``)."""

# What an option is when a record leaves it out; a config leaves these out too, so
# that records saying the same thing in different words share one cached result.
# (A size's default depends on the variant: pointwise takes no kernel.)
DEFAULTS: dict[str, Any] = {
    option.name: option.default
    for option in OPTIONS.values()
    if option.default is not None and option.kind in ("count", "flag", "choice", "tools")
}

_DEFAULT_ITEMS = frozenset(DEFAULTS.items())
_DEFAULT_NAMES = frozenset(DEFAULTS)

Config = tuple[tuple[str, Any], ...]
"""A record read and checked: (option, value) pairs, sorted; small and hashable."""


def read(record: dict[str, Any]) -> Config:
    """A record's config, each key read as the command line reads its option.

    Records that say the same thing (in another order, spelling or case, or with
    defaults written out) give the same config.

    >>> read({"variant": "mobilenet", "cin": "64", "cout": 128, "bias": "TRUE"})
    (('cin', 64), ('cout', 128), ('variant', 'separable'))
    """
    options: dict[str, Any] = {}
    given: dict[str, str] = {}
    for key, value in record.items():
        reader = READERS.get(key)
        if reader is None:
            if key in OUTPUT_KEYS:
                continue
            raise BatchError(f"unknown key {shown(key)}{did_you_mean(key, KEY_NAMES)}: {ALLOWED}")
        if value is None or value == "":
            continue
        read_value, name = reader
        if name in given:
            raise BatchError(f"{given[name]} and {key} are the same option: give one")
        given[name] = key
        kind = type(value)
        if kind is int or (kind is str and len(value) <= _SHORT):
            # Values repeat across lines (a variant, a kernel, a channel count): each
            # short one is read once, keyed by its type too (True == 1 is not a count).
            memo = (key, kind, value)
            read_as = _READ.get(memo, _UNREAD)
            if read_as is _UNREAD:
                read_as = _read_value(key, read_value, value)
                if len(_READ) >= _READ_SIZE:
                    _READ.clear()
                _READ[memo] = read_as
            options[name] = read_as
        else:
            options[name] = _read_value(key, read_value, value)
    if "variant" not in options:
        raise BatchError("variant is required (standard, depthwise, pointwise, separable, lite)")
    if "cin" not in options:
        raise BatchError("cin is required")
    shape = record.get("input_shape")
    if "input" not in options and isinstance(shape, list):
        # A result fed back in: its channels-first input shape holds the input size.
        try:
            options["input"] = read_size(shape[1:])
        except ConvCalcError as error:
            raise BatchError(f"input_shape: {error}") from None
    train = options.get("training")
    if isinstance(train, tuple):
        options["training"] = True
        options.setdefault("optimizer", train[0])
        options.setdefault("frozen", train[1])
    items = sorted(options.items())
    if not _DEFAULT_NAMES.isdisjoint(options):  # a record that writes a default out
        items = [item for item in items if item not in _DEFAULT_ITEMS]
        if not train:  # (optimizer and frozen have defaults: they are checked here)
            # Another optimizer, or frozen weights, without a training step would change
            # nothing: refused, as --optimizer and --frozen are without --training (a
            # record that writes the defaults out says nothing and is read).
            for name, _ in items:
                if name == "optimizer" or name == "frozen":
                    raise BatchError(
                        f"{given[name]}: applies to a training step: add training, or leave it out"
                    )
    return tuple(items)


def _read_value(key: str, read: Callable[[Any], Any], value: Any) -> Any:
    try:
        return read(value)
    except ConvCalcError as error:
        raise BatchError(f"{key}: {error}") from None


_READ: dict[tuple[str, type, Any], Any] = {}
"""Short values read before, by key, type and value (the readers are pure)."""
_READ_SIZE = 4096
"""At most this many values kept: emptied when full."""
_SHORT = 64
"""Text values up to this long are kept."""
_UNREAD = object()


def evaluate(record: dict[str, Any], *, layers: bool = True) -> dict[str, Any]:
    """One config (the CLI's option names) to its JSON contract object.

    >>> evaluate({"variant": "separable", "cin": 64, "cout": 128})["params"]
    8960
    """
    return _compute(read(record), layers=layers)


def _compute(config: Config, *, layers: bool) -> dict[str, Any]:
    """A config's JSON contract object, through the implementation the variant
    commands run (:func:`convcalc.model.evaluate.evaluate`), which takes an option left
    out of the config at its default, as DEFAULTS has it."""
    options = dict(config)
    try:
        evaluation = evaluate_config(options)
    except RankError as error:
        ranks = sorted(set(error.ranks.values()))
        raise BatchError(f"sizes disagree on the number of dimensions: {ranks}") from None
    get = options.get
    result = block_json(
        evaluation.cost,
        convention=get("convention", DEFAULTS["convention"]),
        framework=get("framework", DEFAULTS["framework"]),
        layers=layers,
    )
    result["fold_bn"] = get("fold_bn", DEFAULTS["fold_bn"])
    if evaluation.reports:
        result["reported_by"] = reported_json(evaluation.reports)
    if evaluation.training is not None:
        result["training"] = training_json(evaluation.training)
    return result


# --- reading the input ------------------------------------------------------------

Record = tuple[int, dict[str, Any] | BatchError]
"""The file line a record starts on, and its config dict or the error that stops it
being one."""


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, int, str]]:
    """(file line number, bytes, text) for each line of a UTF-8 byte stream (a
    byte-order mark skipped, any line end read as \\n), never reading more than one
    line over the limit: a line longer than MAX_LINE_BYTES stops the run, since
    skipping it could mean reading for ever (/dev/zero has no line end)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None)
    try:
        number = 0
        while line := text.readline(MAX_LINE_BYTES + 1):
            number += 1
            body = line.removesuffix("\n")
            # A character takes at most 4 bytes: count the bytes of long lines only.
            size = len(body) if len(body) <= MAX_LINE_BYTES // 4 else len(body.encode())
            if size > MAX_LINE_BYTES:
                raise StopBatch(
                    f"line {number} is over the limit of {MAX_LINE_BYTES:,} bytes for one line"
                )
            yield number, size, line
    finally:
        if not stream.closed:  # the stream is the caller's to close
            text.detach()


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's keys and values, refusing a key given twice (the last would
    silently win)."""
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BatchError(f"duplicate key {shown(key)}: give each key once")
            seen.add(key)
    return found


class _NumberTooLong(BatchError):
    """A JSON number with too many digits, refused while the line is decoded."""


def _too_many_digits(text: str) -> str | None:
    """Why a JSON number's text is too long to read, or None."""
    return over_limit(text) if len(text) > MAX_DIGITS else None  # shorter: cannot be


def _json_int(text: str) -> int:
    """A JSON integer, refused before conversion if it has too many digits."""
    problem = _too_many_digits(text)
    if problem:
        raise _NumberTooLong(problem)
    return int(text)


_DECODER = json.JSONDecoder(object_pairs_hook=_unique, parse_int=_json_int)
"""One decoder for every line: json.loads with hooks would make one a line."""

_SHORT_DECODER = json.JSONDecoder(object_pairs_hook=_unique)
"""The decoder for a line too short to hold a number over the limit: Python's own
integers, without a call a number."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)
"""One encoder for every result: json.dumps(..., ensure_ascii=False) makes one a line.
A result is a tree made afresh for its line, never circular: not checking for cycles
(a set entry for every list and object) makes encoding it a tenth cheaper."""


def _json_records(lines: Iterator[tuple[int, int, str]]) -> Iterator[Record]:
    for number, _, text in lines:
        yield number, _json_record(text)


def _json_record(text: str) -> dict[str, Any] | BatchError:
    if not text.strip():
        return BatchError("empty line")
    try:
        # A byte-order mark can start any line of files joined with cat.
        text = text.removeprefix("\ufeff")
        if text.startswith("\ufeff"):  # as json.loads refuses it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = (_SHORT_DECODER if len(text) <= MAX_DIGITS else _DECODER).decode(text)
    except _NumberTooLong as error:
        return _named(text, error)
    except BatchError as error:
        return error
    except json.JSONDecodeError as error:
        return BatchError(f"invalid JSON: {error.msg}")
    except RecursionError:
        return BatchError("invalid JSON: nested too deeply")
    except ValueError:
        # Python's guard on int/str conversion, should a number reach it: _json_int
        # refuses long numbers first.
        return BatchError(f"a number is over the limit of {MAX_DIGITS} digits")
    if not isinstance(value, dict):
        return BatchError('expected a JSON object like {"variant": "standard", ...}')
    return value


class _TooLong:
    """A number too long to read, left in place so that the key holding it is found."""


def _too_long(text: str) -> Any:
    return _TooLong() if _too_many_digits(text) else 0


def _holds_too_long(value: Any) -> bool:
    if isinstance(value, _TooLong):
        return True
    if isinstance(value, list):
        return any(_holds_too_long(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_too_long(item) for item in value.values())
    return False


def _named(text: str, error: BatchError) -> BatchError:
    """A number too long to read is refused by the decoder's hook, before any key is
    known: the line is read again (only then) to name the record's key that holds it."""
    try:
        record = json.JSONDecoder(parse_int=_too_long).decode(text)
    except (ValueError, RecursionError):
        return error
    if isinstance(record, dict):
        for key, value in record.items():
            if _holds_too_long(value):
                return BatchError(f"{key if key in INPUT_KEYS else shown(key)}: {error}")
    return error


class _Feed:
    """The lines of a CSV file for :func:`csv.reader`, which gathers one record from
    as many lines as its quoted cells span: the lines of one record are bounded
    together as one line is, and the line each record starts on is kept."""

    def __init__(self, lines: Iterator[tuple[int, int, str]]) -> None:
        self.lines = lines
        self.line = self.start = self.size = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        self.line, size, text = next(self.lines)
        self.size += size
        if self.size > MAX_LINE_BYTES:
            raise StopBatch(
                f"the record from line {self.start} is over the limit of "
                f"{MAX_LINE_BYTES:,} bytes for one record"
            )
        return text

    def next_record(self) -> None:
        self.start, self.size = self.line + 1, 0


def _csv_records(lines: Iterator[tuple[int, int, str]]) -> Iterator[Record]:
    """Records under a header row that names their keys. A missing or bad header stops
    the run: no record could be read right under it."""
    feed = _Feed(lines)
    reader = csv.reader(feed)
    feed.next_record()
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise StopBatch(f"line 1: the CSV header cannot be read: {error}") from None
    if not header:
        raise StopBatch(
            "the CSV input has no header: its first line must name the columns, "
            "such as variant,cin,cout"
        )
    names = [name.strip() for name in header]
    _check_header(names)
    while True:
        feed.next_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield feed.start, BatchError(f"invalid CSV: {error}")
            continue
        if not cells:
            yield feed.start, BatchError("empty line")
        elif len(cells) != len(names):
            yield (
                feed.start,
                BatchError(f"expected {len(names)} cells as in the header, got {len(cells)}"),
            )
        else:
            yield feed.start, dict(zip(names, cells, strict=True))


def _check_header(names: list[str]) -> None:
    seen: dict[str, str] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            raise StopBatch(f"line 1: CSV header column {column} has no name: name each column")
        if name not in INPUT_KEYS and name not in OUTPUT_KEYS:
            raise StopBatch(
                f"line 1: unknown CSV column {shown(name)}{did_you_mean(name, KEY_NAMES)}: "
                f"{ALLOWED}"
            )
        option = READERS[name][1] if name in READERS else name
        if option in seen:
            if seen[option] == name:
                raise StopBatch(f"line 1: CSV header names {name!r} twice: name each column once")
            raise StopBatch(
                f"line 1: CSV header names both {seen[option]!r} and {name!r}, the same "
                "option: give one"
            )
        seen[option] = name


def _csv_cells(result: dict[str, Any]) -> list[Any]:
    """A result's CSV cells after the line number: figures raw, sizes as 3x3."""
    cells: list[Any] = []
    for key in CSV_COLUMNS[1:]:
        value = result.get(key)
        if isinstance(value, list | tuple):
            value = "x".join(map(str, value))
        elif isinstance(value, bool):
            value = str(value).lower()
        cells.append("" if value is None else value)
    return cells


def _csv_row(cells: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


def _csv_error(line: int, error: str) -> str:
    return _csv_row([line, *([""] * (len(CSV_COLUMNS) - 2)), error])


class Outcome(NamedTuple):
    """What one input record gave."""

    number: int
    """The record's number: the output's ``line``."""
    line: int
    """The file line the record starts on."""
    text: str
    """The output record, with its line end."""
    error: str | None
    """Why the record could not be computed, or None."""


COLD = 4096
"""Misses in a row after which a batch keeps only some results (see :func:`run`)."""
SAMPLE = 16
"""One result in this many is kept after COLD misses in a row, so that a config that
starts to come back is found again."""


def run(
    stream: IO[bytes], input_format: str, output_format: str, *, cache_size: int = 1024
) -> Iterator[Outcome]:
    """An :class:`Outcome` for each input record, in order; :class:`StopBatch` for
    input that cannot be read past.

    Records that give the same config give the same result, so the results of recent
    configs are kept and reused (at most ``cache_size`` of them, keyed by the config,
    never by the text): a batch drawn from a few networks repeats most of its layers.
    """
    # A config's JSON object, or its CSV cells.
    cache: OrderedDict[Config, Any] = OrderedDict()
    # Misses since the last hit. Keeping a result costs more than making it when no
    # config comes back (a file of all-different layers: the kept results are freed,
    # cold, 1,024 lines later): after COLD misses in a row, only one result in SAMPLE
    # is kept, until one is reused. What is written is the same either way.
    misses = 0
    source = _csv_records if input_format == "csv" else _json_records
    for number, (line, record) in enumerate(source(_lines(stream)), start=1):
        error: str | None = None
        result: Any = None
        try:
            if isinstance(record, BatchError):
                raise record
            config = read(record)
            result = cache.get(config)
            if result is None:
                result = _compute(config, layers=output_format != "csv")
                # Kept as written out: CSV cells, or the JSON object with its line
                # number first, set for each record that uses it.
                result = _csv_cells(result) if output_format == "csv" else {"line": 0, **result}
                misses += 1
                if misses <= COLD or misses % SAMPLE == 0:
                    cache[config] = result
                    if len(cache) > cache_size:
                        cache.popitem(last=False)
            else:
                misses = 0
                cache.move_to_end(config)
        except ConvCalcError as problem:
            error = str(problem)
        if error is not None:
            # A CSV record's number is not its line in the file: name that too.
            said = error if line == number else f"file line {line}: {error}"
            if output_format == "csv":
                yield Outcome(number, line, _csv_error(number, said), error)
            else:
                text = json.dumps({"line": number, "error": said}, ensure_ascii=False)
                yield Outcome(number, line, text + "\n", error)
        elif output_format == "csv":
            yield Outcome(number, line, _csv_row([number, *result]), None)
        else:
            result["line"] = number
            text = _ENCODER.encode(result)
            yield Outcome(number, line, text + "\n", None)

"""Click parameter types: each reads its value with the model's own reader, so the
command line refuses exactly what a spec file and a batch line refuse, in the same
words (Click's ``examples/validation``: a ``ParamType`` that calls ``self.fail``)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..model.core import ConvCalcError
from ..model.limits import (
    MAX_DIGITS,
    MAX_RANGE_VALUES,
    over_limit,
    read_size,
    read_whole,
    shown,
    too_large,
    whole,
)
from ..model.schema import Option

__all__ = [
    "COUNT",
    "POSITIVE",
    "SIZE",
    "SIZES",
    "Choice",
    "CountType",
    "InputFile",
    "ListType",
    "OutputPath",
    "RangeType",
    "SchemaType",
    "Size",
    "SizesType",
    "WholeType",
    "WidthType",
]

Size = int | tuple[int, ...]
"""A size as the options read it: one for every dimension, or one per dimension."""

if TYPE_CHECKING:
    ParamBase = click.ParamType[Any]
else:  # ParamType became generic in Click 8.3; stay importable on 8.2.
    ParamBase = click.ParamType

_NAMES = {"count": "integer", "rank": "dims"}
"""How help names the value of a kind without a metavar (INTEGER, DIMS); a size's
name is its kind."""


class SchemaType(ParamBase):
    """A value of one schema option, read by :meth:`Option.read`: the reader that
    specs and batch lines use."""

    def __init__(self, option: Option) -> None:
        self.option = option
        self.name = _NAMES.get(option.kind, option.kind)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return self.option.read(value)
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


class WholeType(ParamBase):
    """A whole number from ``minimum`` (to ``maximum``), with an error that says so."""

    def __init__(self, minimum: int = 1, maximum: int | None = None, name: str = "integer") -> None:
        self.minimum, self.maximum, self.name = minimum, maximum, name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return read_whole(value, minimum=self.minimum, maximum=self.maximum)
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


class SizeType(ParamBase):
    """``3`` or one size per dimension, ``3x5`` or ``16x112x112`` (or ``3×5``, as
    convcalc prints sizes)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | tuple):
            return value
        try:
            return read_size(str(value))
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


class SizesType(ParamBase):
    """Comma-separated sizes: ``3,5,7`` or ``3x5,1x7``; at least one."""

    name = "sizes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        parts = [part for part in str(value).split(",") if part.strip()]
        if not parts:
            self.fail(f"{shown(value)} names no size: use sizes like 3,5,7 or 3x5", param, ctx)
        return tuple(SIZE.convert(part, param, ctx) for part in parts)


class ListType(ParamBase):
    """Comma-separated positive whole numbers: ``128`` or ``128,64``."""

    name = "list"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        numbers = []
        for part in str(value).split(","):
            try:
                numbers.append(read_whole(part))
            except ConvCalcError as error:
                problem = over_limit(part) or (
                    f"{shown(value)} is not a list of whole numbers >= 1 like 128 or 128,64"
                )
                self.fail(problem if whole(part) is None else str(error), param, ctx)
        return tuple(numbers)


class RangeType(ParamBase):
    """Whole numbers as a list and/or ranges: ``16,32,64``, ``32:512:x2`` (doubling),
    ``8:64:8`` or ``8:64`` (steps of 8, of 1)."""

    name = "range"
    limit = MAX_RANGE_VALUES

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        numbers: list[int] = []
        for part in str(value).split(","):
            problem = over_limit(part)
            if problem:
                self.fail(problem, param, ctx)
            match = re.fullmatch(r"\s*([0-9]+)(?::([0-9]+)(?::(x?)([0-9]+))?)?\s*", part)
            if not match:
                self.fail(
                    f"{shown(part)} is not a number or range: use 16,32,64, 32:512:x2 or 8:64:8",
                    param,
                    ctx,
                )
            start = int(match[1])
            stop = int(match[2]) if match[2] else start
            step = int(match[4]) if match[4] else 1
            geometric = bool(match[3])
            if start < 1 or stop < start or (geometric and step < 2) or step < 1:
                self.fail(
                    f"{shown(part)}: start >= 1, stop >= start, and a step >= 1 (x2 or more)",
                    param,
                    ctx,
                )
            n = start
            while n <= stop:
                numbers.append(n)
                if len(numbers) > self.limit:
                    self.fail(f"{shown(value)} gives more than {self.limit:,} values", param, ctx)
                n = n * step if geometric else n + step
        return tuple(numbers)


_SI = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_COUNT = r"\s*([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?([kKmMgGtT]?)\s*"


class CountType(ParamBase):
    """A whole count, optionally with an SI suffix: ``73856``, ``73,856``, ``30M``,
    ``1.5G``."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value)
        match = re.fullmatch(_COUNT, text)  # compiled on first use, not at every start
        if match:
            digits = match[1].replace(",", "") + (match[2] or "")
            if len(digits) > MAX_DIGITS:
                self.fail(
                    f"a number of {len(digits):,} digits is over the limit of {MAX_DIGITS} digits",
                    param,
                    ctx,
                )
            # Integers throughout: decimal arithmetic would round past 28 digits.
            scaled, unit = int(digits) * _SI[match[3].lower()], 10 ** len(match[2] or "")
            if scaled % unit == 0:
                if too_large(scaled // unit):
                    self.fail(f"{shown(text)} is over the limit of {MAX_DIGITS} digits", param, ctx)
                return scaled // unit
        self.fail(
            f"{shown(text)} is not a whole count: use the digits 0-9 (73856 or 73,856), "
            "optionally with k, M, G or T (30M, 1.5G)",
            param,
            ctx,
        )


class WidthType(ParamBase):
    """A width multiplier: a plain decimal from 0.001 to 4, read exactly."""

    name = "width"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from fractions import Fraction

        from ..model.spec import parse_width

        if isinstance(value, Fraction):
            return value
        try:
            return parse_width(str(value))
        except ConvCalcError as error:
            self.fail(str(error), param, ctx)


class InputFile(click.File):
    """A file to read, or ``-`` for stdin; a name no file can have is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"{value!r} is not a file name (it holds a NUL byte)", param, ctx)
        return super().convert(value, param, ctx)


class OutputPath(click.Path):
    """A file to write, or ``-`` for stdout; a name no file can have is a usage error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"{value!r} is not a file name (it holds a NUL byte)", param, ctx)
        if isinstance(value, str) and (not value or value.endswith(("/", os.sep))):
            self.fail(f"{value!r} is not a file name: give one like out.txt, or -", param, ctx)
        return super().convert(value, param, ctx)


class Choice(click.Choice):  # type: ignore[type-arg]
    """A closed set, read as batch reads it: case and surrounding spaces do not matter,
    and an alias (``half`` for ``fp16``) is read as the name it stands for."""

    def __init__(self, choices: Sequence[str], aliases: dict[str, str] | None = None) -> None:
        super().__init__(choices, case_sensitive=False)
        self.aliases = aliases or {}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            value = value.strip()
            value = self.aliases.get(value.lower(), value)
        return super().convert(value, param, ctx)


POSITIVE = WholeType()
SIZE = SizeType()
SIZES = SizesType()
COUNT = CountType()

"""Expressions in spec values: ``"= expand * 4"``, ``"= divisible(in // 4, 8)"``.

A string value that starts with ``=`` is an expression. It is parsed with :mod:`ast`
and checked against a short list of node types and functions before anything is
evaluated; nothing is executed. Arithmetic is exact (:class:`~fractions.Fraction`),
bounded in length and in the size of every number, and a result where a whole number
is needed must be one.

>>> evaluate(parse("= divisible(32 * width, 8)"), {"width": Fraction(1, 2)})
16
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from .errors import ConvCalcError
from .limits import MAX_DIGITS, too_large

__all__ = [
    "MAX_EXPRESSION",
    "Expression",
    "divisible",
    "evaluate",
    "is_expression",
    "parse",
]

MAX_EXPRESSION = 200
"""Characters in one expression, the ``=`` included."""

IN = "__in__"
"""``in`` is a Python keyword: the name ``in`` is read as this one."""

Value = int | Fraction | str | bool
"""What a name may stand for: a number, or (an argument) a string or a boolean, which
an expression may give as it is but not compute with."""


def is_expression(value: object) -> bool:
    """A spec value that is an expression: a string starting with ``=``."""
    return isinstance(value, str) and value.startswith("=")


def divisible(v: Fraction | int, d: int) -> int:
    """torchvision's ``_make_divisible(v, d)``: the multiple of ``d`` nearest ``v``, at
    least ``d``, and never below 90 % of ``v``; exact, where torchvision uses floats.

    >>> divisible(Fraction(32) / 2, 8), divisible(24 * Fraction(35, 100), 8)
    (16, 8)
    >>> divisible(1280 * max(1, Fraction(1, 2)), 8), divisible(Fraction(18), 8)
    (1280, 24)
    """
    v = Fraction(v)
    rounded = max(d, math.trunc(v + Fraction(d, 2)) // d * d)
    if rounded < Fraction(9, 10) * v:
        rounded += d
    return rounded


_FUNCTIONS: dict[str, tuple[int, int]] = {
    "max": (2, 16),
    "min": (2, 16),
    "divisible": (2, 2),
    "round": (1, 1),
}
"""The functions an expression may call, with the arguments each takes (least, most)."""

_OPERATORS: dict[type[ast.operator], Callable[[Fraction, Fraction], Fraction | int]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Div: lambda a, b: a / b,
}


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its tree and the names it uses."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def uses(self, name: str) -> bool:
        """Whether the expression names ``name`` (``in`` as written)."""
        return (IN if name == "in" else name) in self.names


def parse(text: str) -> Expression:
    """Check an expression's text; the error says what is wrong and what is allowed."""
    if len(text) > MAX_EXPRESSION:
        raise ConvCalcError(
            f"the expression has {len(text):,} characters: at most {MAX_EXPRESSION}"
        )
    if IN in text:  # the name `in` is read as IN: written out, it is no name of the spec's
        raise ConvCalcError(f"{text!r}: unknown name {IN!r}")
    body = re.sub(r"\bin\b", IN, text.removeprefix("=").strip())
    try:
        tree = ast.parse(body, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ConvCalcError(
            f"{text!r} is not an expression: write numbers, names, + - * / //, "
            "parentheses and max, min, divisible, round"
        ) from None
    names: set[str] = set()
    for node in ast.walk(tree):
        _check(node, text, names)
    return Expression(text=text, tree=tree, names=frozenset(names))


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if type(node.value) is not int:
            raise ConvCalcError(f"{text!r}: only whole numbers can be written, not {node.value!r}")
        if too_large(node.value):
            raise ConvCalcError(f"{text!r}: a number has more than {MAX_DIGITS} digits")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_") and node.id != IN:
            raise ConvCalcError(f"{text!r}: unknown name {node.id!r}")
        names.add(node.id)
    elif isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in _FUNCTIONS or node.keywords:
            raise ConvCalcError(
                f"{text!r}: the functions are {', '.join(_FUNCTIONS)}, called with plain arguments"
            )
        least, most = _FUNCTIONS[func.id]
        if not least <= len(node.args) <= most or any(
            isinstance(a, ast.Starred) for a in node.args
        ):
            count = str(least) if least == most else f"{least} to {most}"
            raise ConvCalcError(f"{text!r}: {func.id}() takes {count} arguments")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            raise ConvCalcError(f"{text!r}: the operators are + - * / //")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ConvCalcError(f"{text!r}: the operators are + - * / //")
    elif not isinstance(node, ast.Load | ast.operator | ast.unaryop):
        raise ConvCalcError(
            f"{text!r}: not allowed in an expression ({type(node).__name__}): write numbers, "
            "names, + - * / //, parentheses and max, min, divisible, round"
        )


def evaluate(expression: Expression, names: Mapping[str, Value]) -> Value:
    """The expression's value: a whole number where it is one, else a fraction; or the
    string or boolean a bare name stands for."""
    tree = expression.tree
    if isinstance(tree, ast.Name):
        value = _name(tree.id, names, expression.text)
        return value if isinstance(value, str | bool) else _whole(Fraction(value))
    return _whole(_eval(tree, names, expression.text))


def _whole(value: Fraction) -> int | Fraction:
    return int(value) if value.denominator == 1 else value


def _name(name: str, names: Mapping[str, Value], text: str) -> Value:
    if name not in names:
        shown = "in" if name == IN else name
        known = ", ".join(sorted("in" if n == IN else n for n in names)) or "none"
        raise ConvCalcError(f"{text!r}: unknown name {shown!r} (known here: {known})")
    return names[name]


def _number(value: Value, what: str, text: str) -> Fraction:
    if isinstance(value, bool) or isinstance(value, str):
        raise ConvCalcError(f"{text!r}: {what} is {value!r}, not a number")
    return Fraction(value)


def _eval(node: ast.expr, names: Mapping[str, Value], text: str) -> Fraction:
    if isinstance(node, ast.Constant):
        assert type(node.value) is int  # parse() allows no other constant
        result = Fraction(node.value)
    elif isinstance(node, ast.Name):
        shown = "in" if node.id == IN else node.id
        result = _number(_name(node.id, names, text), shown, text)
    elif isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, names, text)
        result = -operand if isinstance(node.op, ast.USub) else operand
    elif isinstance(node, ast.BinOp):
        left = _eval(node.left, names, text)
        right = _eval(node.right, names, text)
        if right == 0 and isinstance(node.op, ast.Div | ast.FloorDiv):
            raise ConvCalcError(f"{text!r}: division by zero")
        result = Fraction(_OPERATORS[type(node.op)](left, right))
    else:
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        args = [_eval(arg, names, text) for arg in node.args]
        result = Fraction(_call(node.func.id, args, text))
    if too_large(abs(result.numerator)) or too_large(result.denominator):
        raise ConvCalcError(f"{text!r}: a value grows past {MAX_DIGITS} digits")
    return result


def _call(name: str, args: list[Fraction], text: str) -> Fraction | int:
    if name == "max":
        return max(args)
    if name == "min":
        return min(args)
    if name == "round":
        return round(args[0])  # half to even, as Python's round of a float
    value, divisor = args
    if divisor.denominator != 1 or divisor < 1:
        raise ConvCalcError(f"{text!r}: divisible(v, d) needs a whole d >= 1, got {divisor}")
    if value <= 0:
        raise ConvCalcError(f"{text!r}: divisible(v, d) needs v > 0, got {value}")
    return divisible(value, int(divisor))

"""The bounds on what convcalc reads, and the one rule for reading a number.

Every input is bounded so that a run ends in bounded time and memory whatever it is
given: a few bytes of spec must not expand into a billion layers, and a number's
digits must not take minutes to convert (Python keeps its own guard against
quadratic int/str conversion on, CVE-2020-10735; these bounds sit well inside it).
The README's "Limits" section states each of them.

>>> whole("128"), whole(" +7 "), whole("٣"), whole("1" * 101)
(128, 7, None, None)
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .errors import ConvCalcError

if TYPE_CHECKING:
    from fractions import Fraction

MAX_DIGITS = 100
"""Digits of any whole number read from input (channels, sizes, counts, budgets)."""

MAX_VALUE = 10**MAX_DIGITS
"""Every whole number read is below this."""

MAX_REPEAT = 10_000
"""A spec layer's ``repeat``."""

MAX_NODES = 100_000
"""Layers in a network once its repeats and shared modules are expanded."""

MAX_NESTING = 100
"""Residual and parallel blocks and template uses inside one another in a spec: each
level costs the building, tracing and writing of a network a few of Python's 1,000
frames (at 140 levels, writing a spec of parallel blocks ran out)."""

MAX_LINE_BYTES = 1 << 20
"""One line (one record) of ``batch`` input."""

MAX_SPEC_BYTES = 64 << 20
"""A spec file."""

MAX_ONNX_BYTES = 1 << 30
"""An ONNX file (read whole, its weights' values then dropped)."""

MAX_RANGE_VALUES = 10_000
"""Values one ``sweep`` range (``32:512:x2``) expands to."""

MAX_ROWS = 100_000
"""Rows one ``sweep`` computes (configs × variants)."""

MAX_PAIRS = 1_000
"""(cin, cout) pairs one ``compare`` sets side by side."""

MIN_WIDTH_TEXT = "0.001"
MAX_WIDTH_TEXT = "4"
"""The width multiplier's range, as the help and errors write it."""


def whole(text: str) -> int | None:
    """A whole number written in ASCII digits (at most :data:`MAX_DIGITS`), else None.

    Python's ``int()`` also reads other scripts' digits and ``1_000``; input here
    follows one rule everywhere: the digits 0-9, and no more of them than the limit,
    with spaces around and a ``+`` before them allowed.
    """
    # String methods rather than a pattern: compiling patterns at import costs about
    # 0.4 M instructions each, on every start. strip() removes what \s matches.
    digits = text.strip()
    if digits[:1] == "+":
        digits = digits[1:]
    if 0 < len(digits) <= MAX_DIGITS and digits.isascii() and digits.isdigit():
        return int(digits)
    return None


def too_large(value: int) -> bool:
    """Whether a whole number read from a file is beyond :data:`MAX_DIGITS` digits."""
    return not -MAX_VALUE < value < MAX_VALUE


# --- reading numbers and sizes -------------------------------------------------
# One rule for every number read, on the command line and in batch input: the ASCII
# digits 0-9 (not other scripts' digits, not ``1_000``), at most MAX_DIGITS of them.

# Patterns are compiled on first use (re caches them), not at import: only errors and
# width multipliers need them.
_DIGIT_RUNS = r"[0-9]+"
_DECIMAL = r"\s*([0-9]*)(?:\.([0-9]*))?\s*"


def shown(value: object, limit: int = 24) -> str:
    """``value`` as a message quotes it, cut short if long: an error stays one short line.

    A value read from JSON or TOML (true, null, a list) is written as there, not in
    Python's spelling (True, None).

    >>> shown("3x5"), shown("9" * 30), shown([True, None])
    ("'3x5'", "'99999999999999999999'… (30 characters)", '[true, null]')
    """
    text = value if isinstance(value, str) else _as_written(value)
    if len(text) <= limit:
        return repr(value) if isinstance(value, str) else text
    return f"{text[:20]!r}… ({len(text):,} characters)"


def _as_written(value: object) -> str:
    """A value as JSON writes it (true, null, [1, 2]); else as Python does."""
    if value is None or isinstance(value, bool | list | dict):
        import json  # only for an error

        try:
            return json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            pass
    return repr(value)


def over_limit(text: str) -> str | None:
    """The message for ``text`` if it holds a number of more than MAX_DIGITS digits.

    >>> over_limit("3x" + "9" * 101)
    'a number of 101 digits is over the limit of 100 digits'
    """
    digits = max((len(run) for run in re.findall(_DIGIT_RUNS, text)), default=0)
    if digits <= MAX_DIGITS:
        return None
    return f"a number of {digits:,} digits is over the limit of {MAX_DIGITS} digits"


def read_whole(value: object, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number as convcalc reads one: an int, or text of the digits 0-9 (see
    :func:`convcalc.model.limits.whole`), at most MAX_DIGITS digits, from ``minimum`` to
    ``maximum``; ConvCalcError saying what is allowed otherwise.

    >>> read_whole(" 64 "), read_whole("+2", maximum=3), read_whole(0, minimum=0)
    (64, 2, 0)
    """
    # What is allowed is written out only for an error: most values are fine.
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
        if too_large(number):
            raise ConvCalcError(f"a number is over the limit of {MAX_DIGITS} digits")
    else:
        read = whole(value) if isinstance(value, str) else None
        if read is None:
            problem = isinstance(value, str) and over_limit(value)
            raise ConvCalcError(
                problem
                or f"{shown(value)} is not a whole number: use one {_allowed(minimum, maximum)} "
                "in the digits 0-9"
            )
        number = read
    if number < minimum or (maximum is not None and number > maximum):
        raise ConvCalcError(
            f"{number} is not allowed: use a whole number {_allowed(minimum, maximum)}"
        )
    return number


def _allowed(minimum: int, maximum: int | None) -> str:
    return f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"


def read_size(value: object, *, minimum: int = 1) -> int | tuple[int, ...]:
    """A size as convcalc reads one: a whole number, one per dimension written ``3x5``
    (or ``3×5``, as convcalc prints sizes), or a list of one to three whole numbers;
    ConvCalcError saying what is allowed otherwise.

    >>> read_size("3"), read_size("3x5"), read_size(" 16 × 112 × 112 "), read_size([3, 5])
    (3, (3, 5), (16, 112, 112), (3, 5))
    """
    sizes: list[int | None]
    if isinstance(value, str):
        # 3x5, and 3×5 as convcalc prints a size; whole() ignores the spaces around.
        sizes = [whole(part) for part in value.strip().lower().replace("×", "x").split("x")]
    elif type(value) is int:
        sizes = [value]
    elif isinstance(value, list | tuple) and all(type(v) is int for v in value):
        sizes = list(value)
    else:
        sizes = []
    if not 1 <= len(sizes) <= 3 or None in sizes:
        problem = isinstance(value, str) and over_limit(value)
        raise ConvCalcError(
            problem
            or f"{shown(value)} is not a size: use a whole number like 3, or one per "
            "dimension like 3x5 or 3x3x3"
        )
    checked = [size for size in sizes if size is not None]
    if any(too_large(size) for size in checked):
        raise ConvCalcError(f"a size is over the limit of {MAX_DIGITS} digits")
    if any(size < minimum for size in checked):
        raise ConvCalcError(f"{shown(value)}: every size must be >= {minimum}")
    single = len(checked) == 1 and not isinstance(value, list | tuple)
    return checked[0] if single else tuple(checked)


def read_decimal(value: str) -> Fraction:
    """A decimal number as convcalc reads one (a width multiplier): the digits 0-9 with
    at most one point, at most MAX_DIGITS digits in all; ConvCalcError otherwise.

    >>> read_decimal("0.75"), read_decimal(" .5 "), read_decimal("2")
    (Fraction(3, 4), Fraction(1, 2), Fraction(2, 1))
    """
    match = re.fullmatch(_DECIMAL, value)
    if not match or not (match[1] or match[2]):
        raise ConvCalcError(f"{shown(value)} is not a number: use the digits 0-9, like 0.75")
    from fractions import Fraction  # only here: it loads decimal, which is slow to load

    digits = match[1] + (match[2] or "")
    if len(digits) > MAX_DIGITS:
        raise ConvCalcError(
            f"a number of {len(digits):,} digits is over the limit of {MAX_DIGITS} digits"
        )
    return Fraction(int(digits), 10 ** len(match[2] or ""))

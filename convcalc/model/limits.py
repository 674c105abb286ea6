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

MAX_DIGITS = 100
"""Digits of any whole number read from input (channels, sizes, counts, budgets)."""

MAX_VALUE = 10**MAX_DIGITS
"""Every whole number read is below this."""

MAX_REPEAT = 10_000
"""A spec layer's ``repeat``."""

MAX_NODES = 100_000
"""Layers in a network once its repeats and shared modules are expanded."""

MAX_LINE_BYTES = 1 << 20
"""One line (one record) of ``batch`` input."""

MAX_SPEC_BYTES = 64 << 20
"""A spec file."""

MAX_RANGE_VALUES = 10_000
"""Values one ``sweep`` range (``32:512:x2``) expands to."""

MAX_ROWS = 100_000
"""Rows one ``sweep`` computes (configs × variants)."""

MAX_PAIRS = 1_000
"""(cin, cout) pairs one ``compare`` sets side by side."""

MIN_WIDTH_TEXT = "0.001"
MAX_WIDTH_TEXT = "4"
"""The width multiplier's range, as the help and errors write it."""

_WHOLE = re.compile(rf"\s*\+?([0-9]{{1,{MAX_DIGITS}}})\s*")


def whole(text: str) -> int | None:
    """A whole number written in ASCII digits (at most :data:`MAX_DIGITS`), else None.

    Python's ``int()`` also reads other scripts' digits and ``1_000``; input here
    follows one rule everywhere: the digits 0-9, and no more of them than the limit.
    """
    match = _WHOLE.fullmatch(text)
    return int(match[1]) if match else None


def too_large(value: int) -> bool:
    """Whether a whole number read from a file is beyond :data:`MAX_DIGITS` digits."""
    return not -MAX_VALUE < value < MAX_VALUE

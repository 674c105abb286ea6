"""All the text the views write: figures, ratios, shapes, formulas and names.

One writer for each: :func:`fmt` for counts, :func:`decimal_text` for exact
decimals, :func:`ratio_text` and :func:`ratio_number` for ratios kept as exact
(numerator, denominator) pairs, :func:`shape_text` for shapes, :func:`human_bytes`
and :func:`millions` for sizes, :func:`formula` for a layer's parameter count
written out, and :func:`visible` for names.

A spec's name or a layer's name may hold an escape sequence (``ESC]0;title``,
``ESC[2J``) or a bidirectional override; printed raw, it retitles or clears the
terminal, or reorders what is read. The human views (tables, Markdown, SVG, HTML)
and error lines show such characters escaped, as Python writes them in a string
(``\\x1b``); JSON and CSV keep names exactly, as data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..model.core import BatchNorm, Conv
from ..model.errors import did_you_mean  # said here too: the views suggest names as well

if TYPE_CHECKING:
    from ..model.cost import Cost
    from ..model.network import Linear

__all__ = [
    "UNITS",
    "Ratio",
    "compact",
    "decimal_text",
    "did_you_mean",
    "escape_char",
    "fmt",
    "formula",
    "human_bytes",
    "layer_formula",
    "millions",
    "ratio",
    "ratio_number",
    "ratio_text",
    "reduction",
    "shape_text",
    "visible",
]

# --- figures -------------------------------------------------------------------


def fmt(n: int) -> str:
    """An integer with thousands separators, the way the post prints figures.

    >>> fmt(73856)
    '73,856'
    """
    # Below 1,000 there is no separator to write, and str() is three times cheaper.
    return str(n) if -1000 < n < 1000 else f"{n:,}"


UNITS = ("auto", "exact", "si")
"""How tables write counts (``--units``): ``exact`` integers (``231,211,008``), ``si``
at a glance (``231.2 M``, :func:`compact`), or ``auto``: exact while the table fits
its width, at a glance rather than leave a column out. JSON and CSV are always exact."""

SI_PREFIXES = ("", "k", "M", "G", "T", "P", "E", "Z", "Y")


def compact(n: int) -> str:
    """A count at a glance, with an SI prefix and one decimal, as torchinfo's totals
    and ptflops print them; exact below 1,000.

    >>> compact(231_211_008), compact(4_231_976), compact(928), compact(999_960)
    ('231.2 M', '4.2 M', '928', '1.0 M')
    """
    if -1000 < n < 1000:
        return str(n)
    power = min((len(str(abs(n))) - 1) // 3, len(SI_PREFIXES) - 1)
    text = decimal_text(n, 1000**power, 1)
    if power < len(SI_PREFIXES) - 1 and text.lstrip("-").startswith("1,000."):
        power += 1  # 999,960 rounds to 1,000.0 k: say 1.0 M
        text = decimal_text(n, 1000**power, 1)
    return f"{text} {SI_PREFIXES[power]}"


def decimal_text(num: int, den: int, digits: int, *, separators: bool = True) -> str:
    """num / den with ``digits`` decimals, rounded half up, exact at any size.

    Figures in convcalc are integers of any size; their ratios can be too large for
    a float, so they are written with integer arithmetic.

    >>> decimal_text(73856, 8960, 2), decimal_text(10**400, 3, 1)[:6]
    ('8.24', '3,333,')
    """
    scale = 10**digits
    scaled = (2 * abs(num) * scale + abs(den)) // (2 * abs(den))
    sign = "-" if (num < 0) != (den < 0) and scaled else ""
    whole, part = divmod(scaled, scale)
    text = f"{whole:,}" if separators else str(whole)
    return f"{sign}{text}.{part:0{digits}d}" if digits else f"{sign}{text}"


def human_bytes(n: int) -> str:
    """Bytes in binary units, exact below 1 KiB.

    >>> human_bytes(1000), human_bytes(295424), human_bytes(12845056)
    ('1,000 B', '288.5 KiB', '12.3 MiB')
    """
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")
    if n < 1024:
        return f"{n:,} B"
    power = 1
    while power < len(units) - 1 and n >= 1024 ** (power + 1):
        power += 1
    return f"{decimal_text(n, 1024**power, 1)} {units[power]}"


def millions(n: int) -> str:
    """A figure in millions, the way papers print them.

    >>> millions(568_740_352), millions(19_307)
    ('568.7 M', '0.02 M')
    """
    return f"{decimal_text(n, 10**6, 1 if n >= 10**6 else 2)} M"


# --- ratios --------------------------------------------------------------------

Ratio = tuple[int, int]
"""An exact ratio as (numerator, denominator), written as a decimal only at the end."""


def ratio(num: int | None, den: int | None) -> Ratio | None:
    """num / den as an exact pair, or None where it does not apply (no figure, or
    nothing to divide by).

    >>> ratio(8960, 73856), ratio(5, 0), ratio(None, 3)
    ((8960, 73856), None, None)
    """
    return None if num is None or not den else (num, den)


def reduction(value: int, baseline: int) -> tuple[Ratio | None, Ratio | None]:
    """(×-fold reduction, fraction saved) of a figure against its baseline, as exact
    pairs; neither applies when either figure is zero.

    >>> reduction(8960, 73856)
    ((73856, 8960), (64896, 73856))
    """
    if not value or not baseline:
        return None, None
    return (baseline, value), (baseline - value, baseline)


def ratio_text(pair: Ratio, digits: int, *, scale: int = 1) -> str:
    """An exact ratio (times ``scale``: 100 for a percentage) with ``digits`` decimals.

    >>> ratio_text((73856, 8960), 2), ratio_text((64896, 73856), 1, scale=100)
    ('8.24', '87.9')
    """
    return decimal_text(scale * pair[0], pair[1], digits)


def ratio_number(pair: Ratio | None, *, scale: int = 1) -> float | None:
    """An exact ratio (times ``scale``) as a float for JSON and CSV; None where the
    ratio does not apply or lies beyond a float's range.

    >>> ratio_number((1, 8)), ratio_number((1, 8), scale=100), ratio_number((10**400, 1))
    (0.125, 12.5, None)
    """
    if pair is None:
        return None
    try:
        return scale * pair[0] / pair[1]
    except OverflowError:
        return None


# --- shapes and formulas -------------------------------------------------------


def shape_text(shape: Sequence[int] | None, sep: str = "×") -> str:
    """A shape or a kernel the way the post writes sizes (``sep="x"`` for CSV, as the
    options take them); ``--`` where there is none.

    >>> shape_text((128, 56, 56)), shape_text((3, 5), "x"), shape_text(None)
    ('128×56×56', '3x5', '--')
    """
    return "--" if shape is None else sep.join(map(str, shape))


def formula(layer: Conv | BatchNorm | Linear) -> str:
    """A layer's parameter count written out the way the blog post writes it.

    >>> formula(Conv(cin=64, cout=128, kernel=(3, 3)))
    '(64 × 3 × 3 + 1) × 128'
    >>> formula(Conv(cin=64, cout=128, kernel=(1, 1), kind="pointwise"))
    '(64 + 1) × 128'
    >>> formula(BatchNorm(channels=64))
    '2 × 64'
    """
    if isinstance(layer, BatchNorm):
        return f"2 × {fmt(layer.channels)}"
    if not isinstance(layer, Conv):  # a fully connected layer
        if layer.bias:
            return f"({fmt(layer.cin)} + 1) × {fmt(layer.cout)}"
        return f"{fmt(layer.cin)} × {fmt(layer.cout)}"
    if layer.transposed:
        cout = fmt(layer.cout)
        per_group = f"{cout}/{layer.groups}" if layer.groups > 1 else cout
        body = " × ".join([fmt(layer.cin), per_group, *map(fmt, layer.kernel)])
        return f"{body} + {cout}" if layer.bias else body
    # Each figure as fmt writes it, in place (batch writes one formula a layer).
    factors: list[str] = []
    kind = layer.kind
    # A depthwise filter sees a single input channel: no input factor.
    if kind != "depthwise":
        cin, groups = layer.cin, layer.groups
        factor = str(cin) if cin < 1000 else f"{cin:,}"
        factors.append(f"{factor}/{groups}" if groups > 1 else factor)
    if kind != "pointwise":
        factors += [str(k) if k < 1000 else f"{k:,}" for k in layer.kernel]
    inner = " × ".join(factors) or "1"
    channels = layer.cout
    last = str(channels) if channels < 1000 else f"{channels:,}"
    if layer.bias:
        return f"({inner} + 1) × {last}"
    return f"{inner} × {last}"


def layer_formula(node: Cost) -> str | None:
    """The formula of a traced network's leaf layer (None for layers without weights,
    such as pooling, and for nodes made of other nodes), written only when a view
    shows it."""
    from ..model.network import Linear

    layer = node.layer
    return formula(layer) if isinstance(layer, Conv | BatchNorm | Linear) else None


# --- names ---------------------------------------------------------------------


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# C0 and C1 controls, DEL, and the format characters that reorder text
# (bidirectional marks, embeddings, overrides and isolates) or break lines.
_ACTIVE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"


def escape_char(char: str) -> str:
    """A character as Python writes it in a string literal's escape.

    >>> escape_char("\\x1b"), escape_char("\\t"), escape_char("\\u202e")
    ('\\\\x1b', '\\\\t', '\\\\u202e')
    """
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every character a terminal would act on escaped.

    >>> visible("conv\\x1b[2J"), visible("3×3 → 1")
    ('conv\\\\x1b[2J', '3×3 → 1')
    """
    if text.isprintable():
        return text  # the common case, without a pattern
    return re.sub(_ACTIVE, lambda match: escape_char(match[0]), text)

"""Text that is safe to show: the characters a terminal acts on, written as escapes.

A spec's name or a layer's name may hold an escape sequence (``ESC]0;title``,
``ESC[2J``) or a bidirectional override; printed raw, it retitles or clears the
terminal, or reorders what is read. The human views (tables, Markdown, SVG, HTML)
and error lines show such characters escaped, as Python writes them in a string
(``\\x1b``); JSON and CSV keep names exactly, as data. Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["escape_char", "visible"]

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

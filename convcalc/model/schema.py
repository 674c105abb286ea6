"""The layer-option schema: every option of a layer config, declared once.

Each :class:`Option` says its name, how its values are read, which variants take it,
its default and its help sentence. The variant commands' Click options, the spec
files' layer keys and the batch input keys are all derived from :data:`OPTIONS`, so
the three accept and refuse the same values with the same words; adding an option is
one entry here plus its arithmetic.

>>> OPTIONS["kernel"].read("3x5"), OPTIONS["padding"].read("same"), OPTIONS["bias"].read("no")
((3, 5), 'same', False)
>>> [option.name for option in options_for("pointwise")][:4]
['cin', 'cout', 'groups', 'bias']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from .errors import ConvCalcError
from .limits import read_size, read_whole, shown
from .names import (
    ALIASES,
    CONVENTIONS,
    DTYPE_ALIASES,
    DTYPES,
    FRAMEWORKS,
    OPTIMIZERS,
    TOOLS,
    VARIANTS,
)
from .records import Record, init

__all__ = ["ANALYSIS", "KEYS", "LAYER", "MEASURE", "OPTIONS", "Option", "options_for"]

Kind = Literal["count", "rank", "size", "size0", "padding", "flag", "choice", "tools", "variant"]

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class Option(Record):
    """One option of a layer config: its name, how it is read, where it applies."""

    __slots__ = (
        "name",
        "kind",
        "help",
        "default",
        "absent",
        "variants",
        "flags",
        "keys",
        "metavar",
        "choices",
        "aliases",
        "optional_for",
        "optional_help",
    )
    name: str
    """The config's name for it, and the spec and batch key."""
    kind: Kind
    """How a value is read (see :meth:`read`)."""
    help: str
    """One sentence for ``--help`` and the docs."""
    default: Any
    """The value when it is left out; None where a default depends on other options."""
    absent: Any
    """The value that a variant which does not take the option has: giving a variant
    that value is allowed (a pointwise layer's kernel is 1), any other is refused."""
    variants: tuple[str, ...]
    """The variants that take it."""
    flags: tuple[str, ...]
    """Its command-line spellings, the long one last (``-k``, ``--kernel``)."""
    keys: tuple[str, ...]
    """Its spellings as a spec or batch key (``kernel``, ``k``)."""
    metavar: str | None
    """How ``--help`` names its value."""
    choices: tuple[str, ...]
    """A closed set's names, for a choice."""
    aliases: dict[str, str]
    """Other names a choice takes, each for one of :attr:`choices` (``half``: ``fp16``)."""
    optional_for: tuple[str, ...]
    """Variants that work a required option out for themselves when it is left out."""
    optional_help: str
    """The help sentence for those variants, saying what it is then."""

    def __init__(
        self,
        *,
        name: str,
        kind: Kind,
        help: str,
        default: Any = None,
        absent: Any = None,
        variants: tuple[str, ...] = VARIANTS,
        flags: tuple[str, ...] = (),
        keys: tuple[str, ...] = (),
        metavar: str | None = None,
        choices: tuple[str, ...] = (),
        aliases: dict[str, str] | None = None,
        optional_for: tuple[str, ...] = (),
        optional_help: str = "",
    ) -> None:
        init(
            self,
            name=name,
            kind=kind,
            help=help,
            default=default,
            absent=default if absent is None else absent,
            variants=variants,
            flags=flags or (f"--{name.replace('_', '-')}",),
            keys=keys or (name,),
            metavar=metavar,
            choices=choices,
            aliases=aliases or {},
            optional_for=optional_for,
            optional_help=optional_help,
        )

    def read(self, value: Any) -> Any:
        """A value from any front end (command-line text, a JSON or TOML value), checked
        and normalised; ConvCalcError saying what is allowed if it is bad.

        >>> OPTIONS["dims"].read("4")
        Traceback (most recent call last):
        ...
        convcalc.model.errors.ConvCalcError: 4 is not allowed: use a whole number from 1 to 3
        """
        try:
            return _READERS[self.kind](self, value)
        except ConvCalcError as error:
            error.option = self.name
            raise


def _flag(option: Option, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConvCalcError(f"expected true or false, got {shown(value)}")


def _name(value: Any, names: Any, what: str) -> str:
    """One of ``names``; case and surrounding spaces do not matter."""
    name = value.strip().lower() if isinstance(value, str) else ""
    if name not in names:
        raise ConvCalcError(f"unknown {what} {shown(value)}: use {', '.join(names)}")
    return name


def _choice(option: Option, value: Any) -> str:
    if not option.aliases:
        return _name(value, option.choices, option.name)
    name = _name(value, [*option.choices, *option.aliases], option.name)
    return option.aliases.get(name, name)


def _variant(option: Option, value: Any) -> str:
    name = _name(value, [*VARIANTS, *ALIASES], "variant")
    return ALIASES.get(name, name)


def _tools(option: Option, value: Any) -> tuple[str, ...]:
    allowed = [*TOOLS, "all"]
    if isinstance(value, dict):
        names = list(value)  # a result's reported_by object, fed back in
    elif isinstance(value, str):
        names = value.replace(",", " ").split()
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        names = [name for item in value for name in item.replace(",", " ").split()]
    else:
        raise ConvCalcError('expected tool names like "thop" or ["thop", "fvcore"]')
    if not names:
        raise ConvCalcError(f"{shown(value)} names no tool: use {', '.join(allowed)}")
    found = [_name(name, allowed, "tool") for name in names]
    return TOOLS if "all" in found else tuple(dict.fromkeys(found))


def _padding(option: Option, value: Any) -> int | tuple[int, ...] | str:
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        return value.strip().lower()
    return read_size(value, minimum=0)


_READERS: dict[str, Callable[[Option, Any], Any]] = {
    "count": lambda option, value: read_whole(value),
    "rank": lambda option, value: read_whole(value, minimum=1, maximum=3),
    "size": lambda option, value: read_size(value),
    "size0": lambda option, value: read_size(value, minimum=0),
    "padding": _padding,
    "flag": _flag,
    "choice": _choice,
    "tools": _tools,
    "variant": _variant,
}

_KXK = ("standard", "depthwise", "separable", "lite")
"""The variants with a K×K convolution, which take a kernel, padding and dilation."""

LAYER: tuple[Option, ...] = (
    Option(
        name="variant",
        kind="variant",
        flags=(),
        help="The variant: " + ", ".join([*VARIANTS, *ALIASES]) + ".",
    ),
    Option(name="cin", kind="count", help="Input channels."),
    Option(
        name="cout",
        kind="count",
        help="Output channels.",
        optional_for=("depthwise",),
        optional_help="Output channels, a multiple of --cin  [default: cin × multiplier]",
    ),
    Option(
        name="kernel",
        kind="size",
        default=3,
        absent=1,
        variants=_KXK,
        flags=("-k", "--kernel"),
        keys=("kernel", "k"),
        metavar="SIZE",
        help="Kernel size (3, 3x5, 3x3x3).",
    ),
    Option(
        name="groups",
        kind="count",
        default=1,
        variants=("standard", "pointwise"),
        flags=("-g", "--groups"),
        help="Channel groups.",
    ),
    Option(
        name="multiplier",
        kind="count",
        default=1,
        variants=("depthwise", "separable"),
        flags=("-m", "--multiplier"),
        help="Depth multiplier: filters per input channel.",
    ),
    Option(
        name="bias",
        kind="flag",
        default=True,
        flags=("--bias/--no-bias",),
        help="Count a bias per output channel (the post does).",
    ),
    Option(
        name="bn",
        kind="flag",
        default=False,
        help="Add BatchNorm where the real architectures put it.",
    ),
    Option(
        name="stride",
        kind="size",
        default=1,
        flags=("-s", "--stride"),
        metavar="SIZE",
        help="Stride (2, 2x1).",
    ),
    Option(
        name="padding",
        kind="padding",
        absent=0,
        variants=_KXK,
        flags=("-p", "--padding"),
        metavar="SIZE|same|valid",
        help="Zero padding each side  [default: d·(k−1)//2, which keeps odd kernels' "
        "size at stride 1; PyTorch's own default is 0]",
    ),
    Option(
        name="dilation",
        kind="size",
        default=1,
        variants=_KXK,
        flags=("-d", "--dilation"),
        metavar="SIZE",
        help="Dilation.",
    ),
    Option(
        name="transposed",
        kind="flag",
        default=False,
        variants=("standard",),
        help="A transposed convolution (ConvTranspose).",
    ),
    Option(
        name="output_padding",
        kind="size0",
        default=0,
        variants=("standard",),
        metavar="SIZE",
        help="Extra output size of a transposed convolution.",
    ),
    Option(
        name="dims",
        kind="rank",
        help="Conv1d, 2d or 3d  [default: 2, or as many as the kernel or input has]",
    ),
)
"""The options of one layer, in the order ``--help`` lists them."""

MEASURE: tuple[Option, ...] = (
    Option(
        name="input",
        kind="size",
        metavar="SIZE",
        help="Spatial input size (56, 56x40, 16x112x112): adds shapes, MACs and memory.",
    ),
    Option(name="batch", kind="count", default=1, help="Samples per batch."),
    Option(
        name="dtype",
        kind="choice",
        default="fp32",
        choices=tuple(DTYPES),
        aliases=DTYPE_ALIASES,
        help="Element type for weight and activation bytes (float32, float16, half and "
        "bfloat16 are read as fp32, fp16 and bf16).",
    ),
)
"""What a layer is measured on."""

ANALYSIS: tuple[Option, ...] = (
    Option(
        name="convention",
        kind="choice",
        default="macs",
        choices=tuple(CONVENTIONS),
        help="How compute is stated: multiply-accumulates or FLOPs (2 per MAC), with or "
        "without one addition per output element for a bias.",
    ),
    Option(
        name="framework",
        kind="choice",
        default="pytorch",
        choices=FRAMEWORKS,
        help="Count parameters as this framework does (Keras: BatchNorm's moving "
        "statistics are parameters; SeparableConv2D has one bias).",
    ),
    Option(
        name="fold_bn",
        kind="flag",
        default=False,
        help="Inference figures with each BatchNorm folded into the convolution before it.",
    ),
    Option(
        name="reported_by",
        kind="tools",
        default=(),
        metavar="TOOL",
        help=f"Also show what a profiler would print (repeatable): {', '.join(TOOLS)}, or all.",
    ),
    Option(
        name="training",
        kind="flag",
        default=False,
        help="Add a training step's compute (3 × forward MACs) and memory.",
    ),
    Option(
        name="frozen",
        kind="flag",
        default=False,
        help="With --training: weights are frozen (2 ×).",
    ),
    Option(
        name="optimizer",
        kind="choice",
        default="sgd",
        choices=tuple(OPTIMIZERS),
        help="With --training: the optimizer whose state is kept.",
    ),
)
"""How the figures are stated, and what else is worked out from them."""

OPTIONS: dict[str, Option] = {option.name: option for option in (*LAYER, *MEASURE, *ANALYSIS)}
"""Every option by name."""

KEYS: dict[str, Option] = {key: option for option in OPTIONS.values() for key in option.keys}
"""Every option by each key a spec layer or a batch line may spell it with."""


def required(option: Option, variant: str | None) -> bool:
    """Whether ``variant`` needs ``option`` given: a count with no default (the
    channels), unless the variant works it out (a depthwise layer's cout).

    >>> required(OPTIONS["cout"], "standard"), required(OPTIONS["cout"], "depthwise")
    (True, False)
    """
    return option.kind == "count" and option.default is None and variant not in option.optional_for


def options_not_for(variant: str) -> tuple[Option, ...]:
    """The layer options a variant does not take (an alias is resolved).

    >>> [option.name for option in options_not_for("lite")]
    ['groups', 'multiplier', 'transposed', 'output_padding']
    """
    name = ALIASES.get(variant, variant)
    return tuple(o for o in LAYER if name not in o.variants)


def options_for(variant: str) -> tuple[Option, ...]:
    """The layer options a variant takes (an alias is resolved), the variant aside."""
    name = ALIASES.get(variant, variant)
    return tuple(o for o in LAYER if o.name != "variant" and name in o.variants)

"""Network spec files (TOML or JSON) and the built-in presets.

A spec is data only: it is parsed with the standard library's ``tomllib`` or
``json`` and nothing in it is executed or imported. Channels and shapes chain
from the input, so each layer states only what changes. Every error names the
file and the place: a line and column for a syntax error, the layer's path and
key (``layers[3].cout``) for a wrong value.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tomllib
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from .core import VARIANTS, BatchNorm, ConvCalcError, make_block
from .cost import DTYPES
from .errors import did_you_mean
from .expressions import IN, Expression, Value, divisible, evaluate, is_expression
from .expressions import parse as parse_expression
from .limits import (
    MAX_DIGITS,
    MAX_NESTING,
    MAX_NODES,
    MAX_REPEAT,
    MAX_SPEC_BYTES,
    MAX_WIDTH_TEXT,
    MIN_WIDTH_TEXT,
    read_decimal,
    shown,
    too_large,
    whole,
)
from .names import ACTIVATIONS
from .network import (
    Act,
    Activated,
    Flatten,
    Gate,
    Identity,
    Linear,
    Network,
    Node,
    Norm,
    Parallel,
    Pool,
    Residual,
    Seq,
    Shared,
    Shuffle,
)
from .schema import OPTIONS, options_for

__all__ = [
    "PRESETS",
    "SpecError",
    "SpecNotFound",
    "build",
    "load",
    "load_preset",
    "parse",
    "parse_width",
    "read_bounded",
    "width_text",
]


class SpecError(ConvCalcError):
    """A spec that cannot be read or built; the message names the file and place."""


@dataclass(frozen=True)
class Preset:
    """A built-in network: a spec file shipped with convcalc, at a width."""

    file: str
    width: str | None
    about: str


PRESETS: dict[str, Preset] = {
    "mobilenet_v1": Preset("mobilenet_v1.toml", None, "MobileNetV1 1.0-224 (Howard et al. 2017)"),
    "osnet_x1_0": Preset("osnet.toml", None, "OSNet x1.0 at 256×128, without the classifier"),
    "osnet_x0_75": Preset("osnet.toml", "0.75", "OSNet x0.75 (channels 48, 192, 288, 384)"),
    "osnet_x0_5": Preset("osnet.toml", "0.5", "OSNet x0.5 (channels 32, 128, 192, 256)"),
    "osnet_x0_25": Preset("osnet.toml", "0.25", "OSNet x0.25 (channels 16, 64, 96, 128)"),
    # torchvision's models as its source builds them, equal to PyTorch
    # (tests/data/torchvision.json)
    "resnet18": Preset("resnet18.toml", None, "ResNet-18 (He et al. 2015)"),
    "resnet34": Preset("resnet34.toml", None, "ResNet-34 (He et al. 2015)"),
    "resnet50": Preset("resnet50.toml", None, "ResNet-50 v1.5 (He et al. 2015)"),
    "mobilenet_v2": Preset("mobilenet_v2.toml", None, "MobileNetV2 1.0 (Sandler et al. 2018)"),
    "mobilenet_v3_small": Preset("mobilenet_v3_small.toml", None, "MobileNetV3-Small 1.0"),
    "mobilenet_v3_large": Preset("mobilenet_v3_large.toml", None, "MobileNetV3-Large 1.0"),
    "shufflenet_v2_x0_5": Preset("shufflenet_v2.toml", "0.5", "ShuffleNetV2 x0.5 (Ma et al. 2018)"),
    "shufflenet_v2_x1_0": Preset("shufflenet_v2.toml", None, "ShuffleNetV2 x1.0 (Ma et al. 2018)"),
    "efficientnet_b0": Preset("efficientnet_b0.toml", None, "EfficientNet-B0 (Tan & Le 2019)"),
    "squeezenet1_0": Preset("squeezenet1_0.toml", None, "SqueezeNet 1.0 (Iandola et al. 2016)"),
    "squeezenet1_1": Preset("squeezenet1_1.toml", None, "SqueezeNet 1.1"),
    "vgg16": Preset("vgg16.toml", None, "VGG-16 (Simonyan & Zisserman 2014)"),
    "googlenet": Preset("googlenet.toml", None, "GoogLeNet, without the auxiliary classifiers"),
    "densenet121": Preset("densenet121.toml", None, "DenseNet-121 (Huang et al. 2016)"),
}

CONV_KEYS: dict[str, set[str]] = {
    variant: {option.name for option in options_for(variant)} - {"cin", "dims"} | {"act"}
    for variant in VARIANTS
}
"""The keys of each variant's layer, from the schema (``cin`` chains from the layer
before, a declared one is checked, and the input's shape sets the rank), and ``act``,
the activation after it."""
OTHER_KEYS: dict[str, set[str]] = {
    "pool": {"kind", "kernel", "stride", "padding", "dilation", "ceil_mode", "output", "global"},
    "linear": {"cout", "bias", "bn", "act"},
    "act": {"fn"},
    "bn": set(),
    "identity": set(),
    "flatten": set(),
    "gate": {"reduction", "squeeze", "divisor", "act", "gate"},
    "residual": {"layers", "shortcut"},
    "parallel": {"streams", "merge", "shared", "split"},
    "shuffle": {"groups"},
}
GATE_FUNCTIONS = ("sigmoid", "hardsigmoid")
"""The activations a gate may end with (``gate = ...``)."""
COMMON_KEYS = {"type", "name", "repeat", "cin"}
LAYER_TYPES = (*VARIANTS, *OTHER_KEYS)
AFTER_FLATTEN = ("linear", "bn", "act", "identity", "flatten")
# (a shuffle, a gate, a split need channels the builder knows)
"""The layer types that take their input's features as traced, and so can follow a
flatten (whose features the builder does not know)."""
TOP_KEYS = {
    "name",
    "input",
    "defaults",
    "layers",
    "min_channels",
    "about",
    "rounding",
    "divisor",
    "args",
    "widths",
    "templates",
}
ROUNDINGS = ("slim", "divisible", "table")
"""How ``--width`` rounds a channel count: TF-slim's ``max(int(c × α), min_channels)``,
torchvision's ``_make_divisible(c × α, divisor)``, or a table of argument values per
width (ShuffleNetV2)."""
TEMPLATE_KEYS = {"args", "layers", "about"}
USE_KEYS = {"template", "name", "repeat"}
"""The keys of a template's use besides its arguments."""
NESTED_KEYS = {"layers", "streams", "shortcut", "shared"}
"""Keys holding layers: their expressions are read when those layers are built."""
RESERVED_NAMES = {"in", "width", "max", "min", "divisible", "round"} | USE_KEYS
DEFAULT_KEYS = {"bias", "bn", "dtype", "padding"}


def parse(text: str | bytes, source: str, *, fmt: str | None = None) -> dict[str, Any]:
    """Parse spec text as TOML or JSON.

    The format is ``fmt``, else the suffix of ``source`` (``.json``, ``.toml``), else
    sniffed: JSON if the first character that is not blank is ``{``, which no TOML
    document starts with. Bytes must be UTF-8; a leading byte-order mark is skipped.
    A JSON object that gives a key twice is refused, as TOML refuses it, and so is a
    whole number of more than :data:`~convcalc.model.limits.MAX_DIGITS` digits.

    >>> parse('{"input": [3, 8, 8]}', "stdin")
    {'input': [3, 8, 8]}
    """
    if isinstance(text, bytes):
        looks = _not_a_spec(text, source)
        if looks is not None:
            what, more = looks
            raise SpecError(
                f"{source}: this looks like {what}, not a spec: convcalc reads network "
                f"specs written in TOML or JSON (docs/spec.md) and its presets{more}",
                option="spec",
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SpecError(
                f"{source}: not UTF-8 text (byte {error.start + 1:,} cannot be read): "
                "write the spec in UTF-8"
            ) from None
    text = text.removeprefix("\ufeff")
    kind = fmt or _format(source, text)
    try:
        if kind == "json":
            data = json.loads(text, object_pairs_hook=_JsonObject.of, parse_int=_json_int)
        else:
            data = tomllib.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(
            f"{source}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{source}: invalid TOML: {error}") from None
    except _TooManyDigits as error:
        raise SpecError(f"{source}: {error}") from None
    except ValueError:
        # tomllib hands a long run of digits to int(), which Python's guard refuses.
        raise SpecError(
            f"{source}: a whole number has more than {MAX_DIGITS} digits: "
            f"numbers have at most {MAX_DIGITS} digits"
        ) from None
    except RecursionError:
        raise SpecError(
            f"{source}: nested too deeply to read: a spec's blocks nest at most {MAX_NESTING} deep"
        ) from None
    if not isinstance(data, dict):
        raise SpecError(f"{source}: the spec must be a table (an object) at the top")
    _check_values(data, source)
    return data


_ONNX_FIELDS = {0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42, 0x52, 0x72}
"""The tags of an ONNX ModelProto's fields that follow ``ir_version`` (field 1, a
varint, tag 0x08): producer_name, producer_version, domain, model_version (a varint,
tag 0x28 aside), doc_string, graph, opset_import, metadata_props, functions."""


def _not_a_spec(data: bytes, source: str) -> tuple[str, str] | None:
    """What a file that is not a spec looks like, from its suffix and first bytes
    (None for anything that may be text)."""
    suffix = source.lower().rpartition(".")[2] if "." in source else ""
    head = data[:8]
    if suffix == "onnx" or (
        len(data) > 2 and data[0] == 0x08 and data[1] < 0x80 and data[2] in _ONNX_FIELDS | {0x28}
    ):
        return "an ONNX model (a protobuf)", (
            "; `convcalc model FILE.onnx` reads ONNX models (the name must end in .onnx), "
            "and its --save-spec writes one as a spec"
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if suffix in ("pt", "pth", "bin", "ckpt"):
            return "a PyTorch checkpoint (a zip archive written by torch.save)", _WEIGHTS
        return "a zip archive", ""
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle (an older PyTorch .pt/.pth file)", _WEIGHTS
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "an HDF5 file (a Keras .h5 model)", ""
    if data[4:8] == b"TFL3":
        return "a TensorFlow Lite model", ""
    if b"\0" in data[:4096]:
        return "a binary file", ""
    return None


_WEIGHTS = (
    "; a checkpoint holds weights, not the architecture: write the network as a spec, "
    "or export it to ONNX"
)


def _format(source: str, text: str) -> str:
    suffix = source.lower().rpartition(".")[2] if "." in source else ""
    if suffix in ("json", "toml"):
        return suffix
    return "json" if text.lstrip().startswith("{") else "toml"


class _TooManyDigits(ValueError):
    pass


def _json_int(digits: str) -> int:
    # Checked before int() runs: Python's guard would refuse only past 4,300 digits.
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise _TooManyDigits(
            f"a whole number has {len(digits.lstrip('-')):,} digits: "
            f"numbers have at most {MAX_DIGITS} digits"
        )
    return int(digits)


class _JsonObject(dict[str, Any]):
    """A JSON object that gave a key twice: ``json`` keeps the last silently, so the
    object is built here and marked, and :func:`_check_values` says where it is."""

    duplicate: str = ""

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) == len(pairs):
            return data
        marked = cls(data)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                marked.duplicate = key
                break
            seen.add(key)
        return marked


def _check_values(data: dict[str, Any], source: str) -> None:
    """Refuse a duplicated JSON key or a number beyond the digit limit, naming its place;
    a walk with its own stack, as a spec may be nested as deep as the parser allows."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            if isinstance(value, _JsonObject):
                place = f"{where}: " if where else "at the top level: "
                raise SpecError(
                    f"{source}: {place}the key {value.duplicate!r} is given twice: "
                    "give each key once"
                )
            dotted = f"{where}." if where else ""
            stack.extend((f"{dotted}{k}", v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
        elif isinstance(value, int) and too_large(value):
            raise SpecError(
                f"{source}: {where}: a whole number of more than {MAX_DIGITS} digits: "
                f"numbers have at most {MAX_DIGITS} digits"
            )


def read_bounded(handle: BinaryIO, source: str) -> bytes:
    """At most :data:`~convcalc.model.limits.MAX_SPEC_BYTES` from a file, pipe or stream;
    a regular file known to be larger is refused without reading it."""
    limit = f"the limit is {MAX_SPEC_BYTES >> 20} MiB"
    try:
        status = os.fstat(handle.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        status = None  # a stream without a file behind it, such as a test's stdin
    if status is not None and stat.S_ISREG(status.st_mode) and status.st_size > MAX_SPEC_BYTES:
        raise SpecError(f"{source}: the spec is {status.st_size:,} bytes: {limit}", option="spec")
    try:
        data = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as error:
        raise SpecError(
            f"{source}: cannot read the spec: {_reason(error)}", option="spec"
        ) from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            f"{source}: the spec is over {MAX_SPEC_BYTES:,} bytes: {limit}", option="spec"
        )
    return data


class SpecNotFound(SpecError):
    """No file of that name."""


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def load(path: str | Path, *, fmt: str | None = None) -> dict[str, Any]:
    """Read and parse a spec file: a regular file, a FIFO or ``/dev/stdin``."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            data = read_bounded(handle, source)
    except FileNotFoundError:
        raise SpecNotFound(f"{source}: no such file", option="spec") from None
    except OSError as error:
        raise SpecError(
            f"{source}: cannot read the spec: {_reason(error)}", option="spec"
        ) from None
    return parse(data, source, fmt=fmt)


def preset_text(name: str) -> str:
    """The spec file a preset is built from, as shipped (its width aside)."""
    return (
        resources.files("convcalc.model.presets")
        .joinpath(PRESETS[name].file)
        .read_text(encoding="utf-8")
    )


def load_preset(name: str) -> tuple[dict[str, Any], str | None]:
    """A preset's spec data and its default width."""
    preset = PRESETS.get(name)
    if preset is None:
        raise SpecError(
            f"unknown preset {_brief(name)}: use one of {', '.join(PRESETS)}, "
            "or a .toml/.json file",
            option="spec",
        )
    text = (
        resources.files("convcalc.model.presets").joinpath(preset.file).read_text(encoding="utf-8")
    )
    data = parse(text, preset.file)
    data["name"] = name
    return data, preset.width


# --- building ---------------------------------------------------------------


@dataclass(eq=False)
class _Module:
    """A shared module as declared: its spec, and the modules its own layers can use,
    those declared beside it and around it (a module sees what is in scope where it is
    written, not where it is used)."""

    name: str
    path: str
    spec: Any
    scope: dict[str, _Module]
    instance: int = 0
    """Which build of the declaring block: a repeated block's modules are its own."""

    @property
    def key(self) -> str:
        """The module's identity across its uses (the trace counts its weights once)."""
        return f"{self.path}#{self.instance}"


def _scope(
    outer: dict[str, _Module], shared: Any, where: str, instance: int = 0
) -> dict[str, _Module]:
    """The modules in scope inside a parallel block that declares ``shared``."""
    if not isinstance(shared, dict) or not shared:
        return outer
    scope = dict(outer)
    for name, spec in shared.items():
        path = f"{where}.shared.{_key(name)}"
        scope[name] = _Module(name=name, path=path, spec=spec, scope=scope, instance=instance)
    return scope


def _lookup(scope: dict[str, _Module], name: Any) -> _Module | None:
    return scope.get(name) if isinstance(name, str) else None


_Step = Generator[Any, int, int]


def _run(step: _Step) -> int:
    """Run a recursive counting step with a stack of its own: a spec's modules may use
    each other in chains longer than Python's recursion allows."""
    stack = [step]
    value: int | None = None
    while stack:
        try:
            call = stack[-1].send(value)  # type: ignore[arg-type]
        except StopIteration as done:
            stack.pop()
            value = done.value
            continue
        stack.append(call)
        value = None
    assert value is not None
    return value


@dataclass(frozen=True)
class _Template:
    """A template as declared: its arguments (None for a required one, else the
    default as written) and its layers."""

    name: str
    args: dict[str, Any]
    layers: list[Any]


def _template_place(where: str, name: str) -> str:
    """Where a template's layers are, for a use at ``where``: ``layers[4] (template
    "fire").layers``."""
    shown = f'"{name}"' if _key(name) == name else _brief(name)
    return f"{where} (template {shown}).layers"


_EXPRESSIONS: dict[str, Expression | None] = {}


def _parsed(text: str) -> Expression | None:
    """An expression parsed once per text (None if it cannot be: reading it says why)."""
    if text not in _EXPRESSIONS:
        if len(_EXPRESSIONS) > 10_000:
            _EXPRESSIONS.clear()
        try:
            _EXPRESSIONS[text] = parse_expression(text)
        except ConvCalcError:
            _EXPRESSIONS[text] = None
    return _EXPRESSIONS[text]


@dataclass
class _Counter:
    """Counts the layers a spec expands to, before any is built: each layer once per
    time it is built (× its repeat, × each use of a shared module holding it), a
    residual or parallel block one besides its layers. A module's count is worked out
    once; a module that uses itself, directly or through others, is named."""

    source: str
    templates: dict[str, _Template] = field(default_factory=dict)
    globals: dict[str, Value | None] = field(default_factory=dict)
    """The spec's ``[args]`` and ``width``: what a repeat outside a template may name."""
    sizes: dict[str, int] = field(default_factory=dict)
    active: list[_Module] = field(default_factory=list)
    env: dict[str, Value | None] = field(default_factory=dict)
    """The names a repeat may use here; None for one that depends on ``in``."""
    template_sizes: dict[tuple[str, tuple[tuple[str, Value | None], ...]], int] = field(
        default_factory=dict
    )
    active_templates: list[str] = field(default_factory=list)
    depth: int = 0
    """Blocks (residual, parallel, template uses) around the layer being counted."""
    deepest: int = 0
    """The most blocks around any layer counted since :meth:`walked` last began."""
    heights: dict[object, int] = field(default_factory=dict)
    """Blocks inside one another in a template use or a module, worked out with its count."""

    def nest(self, levels: int, where: str) -> None:
        """Account for ``levels`` more blocks around what is counted here, refused past
        :data:`MAX_NESTING`."""
        if self.depth + levels > MAX_NESTING:
            # The outermost place alone: the whole path would be hundreds of characters.
            outer = where.split(".", 1)[0]
            raise SpecError(
                f"{self.source}: {outer}: nested too deeply: residual and parallel blocks "
                f"and template uses nest at most {MAX_NESTING} deep"
            )
        self.deepest = max(self.deepest, self.depth + levels)

    def walked(self, step: _Step, key: object) -> _Step:
        """``step``'s count, with the blocks nested inside it kept under ``key``, so
        that a later use worked out once is still held to :data:`MAX_NESTING`."""
        outer, self.deepest = self.deepest, self.depth
        entry = self.depth
        count: int = yield step
        self.heights[key] = self.deepest - entry
        self.deepest = max(outer, self.deepest)
        return count

    def check(self, count: int, where: str) -> None:
        if count > MAX_NODES:
            raise SpecError(
                f"{self.source}: {where}: the network grows past {MAX_NODES:,} layers once "
                f"repeats and shared modules are expanded: at most {MAX_NODES:,}"
            )

    def items(self, items: Any, where: str, scope: dict[str, _Module]) -> _Step:
        total = 0
        for index, item in enumerate(items if isinstance(items, list) else ()):
            total += yield self.layer(item, f"{where}[{index}]", scope)
            self.check(total, f"{where}[{index}]")
        return total

    def layer(self, item: Any, where: str, scope: dict[str, _Module]) -> _Step:
        if not isinstance(item, dict):
            return 1  # not a layer: building it says so
        if "use" in item:
            return (yield self.use(item["use"], where, scope))
        repeat = self.repeat(item, where)
        if "template" in item:
            return repeat * (yield self.template(item, where))
        inner = 0
        if item.get("type") in ("residual", "parallel"):
            self.nest(1, where)
            self.depth += 1
        if item.get("type") == "residual":
            inner += yield self.items(item.get("layers"), f"{where}.layers", scope)
            inner += yield self.items(item.get("shortcut"), f"{where}.shortcut", scope)
        elif item.get("type") == "parallel":
            streams = item.get("streams")
            inside = _scope(scope, item.get("shared"), where)
            for index, stream in enumerate(streams if isinstance(streams, list) else ()):
                inner += yield self.items(stream, f"{where}.streams[{index}]", inside)
                self.check(inner, where)
        if item.get("type") in ("residual", "parallel"):
            self.depth -= 1
        count: int = repeat * (1 + inner)
        self.check(count, where)
        return count

    def repeat(self, item: dict[str, Any], where: str) -> int:
        repeat = item.get("repeat", 1)
        if is_expression(repeat):
            try:
                expression = _parsed(repeat)
                if expression is None:
                    parse_expression(repeat)  # raises, saying what is wrong
                assert expression is not None
                repeat = evaluate(expression, self.known(self.env))
            except ConvCalcError as error:
                expression = _parsed(str(item["repeat"]))
                unknown = expression is not None and any(
                    name == IN or self.env.get(name, 0) is None for name in expression.names
                )
                reason = (
                    "a repeat cannot depend on in, as layers are counted before any is built"
                    if unknown
                    else str(error)
                )
                raise SpecError(f"{self.source}: {where}.repeat: {reason}") from None
        if not _whole(repeat):
            return 1  # building it says what is wrong
        if repeat > MAX_REPEAT:
            raise SpecError(
                f"{self.source}: {where}.repeat: repeat = {repeat:,} is over the limit "
                f"of {MAX_REPEAT:,}"
            )
        return int(repeat)

    @staticmethod
    def known(names: dict[str, Value | None]) -> dict[str, Value]:
        """The names whose values are known before building (not those from ``in``)."""
        return {k: v for k, v in names.items() if v is not None}

    def template(self, item: dict[str, Any], where: str) -> _Step:
        """A template use: one more than its layers, each counted with the use's
        arguments (which a repeat inside may depend on); worked out once per template
        and arguments. A template that uses itself is named."""
        name = item["template"]
        template = self.templates.get(name) if isinstance(name, str) else None
        if template is None:
            return 1  # building it says what is missing
        args: dict[str, Value | None] = {}
        for arg, default in template.args.items():
            value = item.get(arg, default)
            if is_expression(value):
                expression = _parsed(value)
                # As built: an argument given is read where the use is; a default, with
                # the template's arguments before it.
                names = {**self.env, **args} if arg in item else {**self.globals, **args}
                try:
                    if expression is None:
                        raise ConvCalcError("")
                    value = evaluate(expression, self.known(names))
                except ConvCalcError:
                    value = None  # depends on in, or wrong: building it says
            args[arg] = value if isinstance(value, int | str | Fraction) else None
        key = (name, tuple(args.items()))
        self.nest(1, where)
        if key in self.template_sizes:
            self.nest(1 + self.heights[key], where)
            return self.template_sizes[key]
        if name in self.active_templates:
            cycle = self.active_templates[self.active_templates.index(name) :]
            if len(cycle) == 1:
                message = f"template {_brief(name)} uses itself"
            else:
                message = "templates use each other in a cycle: " + " -> ".join(
                    _key(n) for n in [*cycle, name]
                )
            raise SpecError(f"{self.source}: {where}: {message}: a template cannot contain itself")
        outer = self.env
        self.env = {**self.globals, **args}
        self.active_templates.append(name)
        self.depth += 1
        inner = yield self.walked(
            self.items(template.layers, _template_place(where, name), {}), key
        )
        self.depth -= 1
        self.active_templates.pop()
        self.env = outer
        count: int = 1 + inner
        self.template_sizes[key] = count
        return count

    def use(self, name: Any, where: str, scope: dict[str, _Module]) -> _Step:
        module = _lookup(scope, name)
        if module is None:
            return 1  # building it says what is missing
        if module.path in self.sizes:
            self.nest(self.heights[module.path], where)
            return self.sizes[module.path]
        if module in self.active:
            cycle = self.active[self.active.index(module) :]
            first = cycle[0]
            if len(cycle) == 1:
                message = f"shared module {_brief(first.name)} uses itself"
            else:
                names = " -> ".join(_key(m.name) for m in [*cycle, first])
                message = f"shared modules use each other in a cycle: {names}"
            raise SpecError(
                f"{self.source}: {first.path}: {message}: a module cannot contain itself"
            )
        self.active.append(module)
        count = yield self.walked(self.layer(module.spec, module.path, module.scope), module.path)
        self.active.pop()
        self.sizes[module.path] = count
        return count


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class _Channels(NamedTuple):
    """Channels between layers: as built, and at width 1 as the spec writes them;
    0 after a flatten (the features are known once the network is traced)."""

    built: int
    written: int


FLAT = _Channels(0, 0)
"""After a flatten: only a linear layer, BatchNorm, an activation or an identity
(which take their features from the traced shape) can follow."""


@dataclass
class _Builder:
    source: str
    defaults: dict[str, Any]
    width: Fraction
    min_channels: int
    shared: dict[str, _Module] = field(default_factory=dict)
    dims: int = 2
    instances: int = 0
    """Parallel blocks built so far, to tell the modules of each build apart."""
    first_use: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Per shared module (by key), the channels it runs on and where it first ran."""
    rounding: str = "slim"
    divisor: int = 8
    templates: dict[str, _Template] = field(default_factory=dict)
    globals: dict[str, tuple[Value, bool]] = field(default_factory=dict)
    """The spec's ``[args]`` at this width, and ``width``: (value, as built)."""
    env: dict[str, tuple[Value, bool]] = field(default_factory=dict)
    """The arguments of the template being built: (value, as built)."""
    template_in: int | None = None
    """The channels entering the innermost template use, as built (``in`` inside it)."""
    places: dict[int, tuple[object, str]] = field(default_factory=dict)
    """Where each node built was written (see :attr:`Network.places`)."""

    def place(self, node: Node, where: str) -> None:
        self.places[id(node)] = (node, where)

    def fail(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.source}: {where}: {message}")

    def names(self, cin: _Channels) -> dict[str, tuple[Value, bool]]:
        """What an expression may name here, each with whether it is as built."""
        channels = cin.built if self.template_in is None else self.template_in
        return {**self.globals, **self.env, IN: (channels, True)}

    def expression(
        self, text: str, where: str, names: dict[str, tuple[Value, bool]]
    ) -> tuple[Value, bool]:
        """An expression's value, and whether it gives channels as built (it names
        ``in``, ``width`` or an argument that does)."""
        try:
            expression = parse_expression(text)
            if IN in expression.names and names.get(IN) == (FLAT.built, True):
                raise ConvCalcError(
                    f"{text!r}: in is not known after a flatten (the features are counted "
                    "when the network is traced): write the number"
                )
            value = evaluate(expression, {k: v for k, (v, _) in names.items()})
        except ConvCalcError as error:
            raise self.fail(where, str(error)) from None
        if isinstance(value, Fraction):
            raise self.fail(where, f"{text!r} gives {value}, not a whole number: use // or round()")
        built = any(names[name][1] for name in expression.names if name in names)
        return value, built

    def resolve(self, item: dict[str, Any], where: str, cin: _Channels) -> _Item:
        """The layer with every expression among its values replaced by its value (those
        of the layers inside it are read as those are built); ``built`` names the keys
        whose expressions give channels as built."""
        resolved = _Item(item)
        names: dict[str, tuple[Value, bool]] | None = None
        for key, value in item.items():
            if key in NESTED_KEYS or key in ("name", "type"):
                continue  # a name is text as written, even one that starts with =
            if is_expression(value):
                names = names or self.names(cin)
                resolved[key], built = self.expression(value, f"{where}.{_key(key)}", names)
                if built:
                    resolved.built.add(key)
            elif isinstance(value, list) and any(is_expression(v) for v in value):
                names = names or self.names(cin)
                values = []
                for index, element in enumerate(value):
                    if is_expression(element):
                        element, built = self.expression(
                            element, f"{where}.{_key(key)}[{index}]", names
                        )
                        if built:
                            resolved.built.add(f"{key}[{index}]")
                    values.append(element)
                resolved[key] = values
        return resolved

    @property
    def width_text(self) -> str:
        return width_text(self.width)

    def channels(self, cout: int) -> int:
        """A channel count written at width 1, at the network's width: by default
        TF-slim's ``max(int(d × α), min_depth)``, at width 1 too, so that channels never
        fall as the width grows; torchvision's ``_make_divisible(d × α, divisor)`` with
        ``rounding = "divisible"``; as written with ``rounding = "table"`` (the width
        chose the arguments instead)."""
        if self.rounding == "divisible":
            return divisible(cout * self.width, self.divisor)
        if self.rounding == "table":
            return cout
        return max(int(cout * self.width), self.min_channels)

    def channel(self, item: _Item, key: str, value: int) -> int:
        """A channel value of a layer: as built if its expression says so, else written
        at width 1 and rounded to the width."""
        return value if key in item.built else self.channels(value)

    def seq(
        self, items: Any, where: str, cin: _Channels, name: str = "", *, empty: bool = False
    ) -> tuple[Seq, _Channels]:
        if empty and items == []:
            return Seq(children=(Identity(name="identity"),), name=name), cin
        if not isinstance(items, list) or not items:
            raise self.fail(where, "expected a non-empty list of layers")
        children: list[Node] = []
        for index, item in enumerate(items):
            place = f"{where}[{index}]"
            nodes, cin = self.layer(item, place, cin)
            for node in nodes:
                self.place(node, place)
            children.extend(nodes)
        seq = Seq(children=tuple(children), name=name)
        self.place(seq, where)
        return seq, cin

    def layer(self, item: Any, where: str, cin: _Channels) -> tuple[list[Node], _Channels]:
        if not isinstance(item, dict):
            raise self.fail(where, f"expected a table describing a layer, got {_kind(item)}")
        if "use" in item:
            return self.use(item, where, cin)
        if "template" in item:
            return self.template(item, where, cin)
        kind = item.get("type")
        if kind not in LAYER_TYPES:
            allowed = ", ".join(LAYER_TYPES)
            got = "no type" if kind is None else _brief(kind)
            raise self.fail(f"{where}.type", f"{got}: use one of {allowed}")
        allowed_keys = COMMON_KEYS | CONV_KEYS.get(kind, set()) | OTHER_KEYS.get(kind, set())
        _check_keys(item, allowed_keys, f"{self.source}: {where}.")
        item = self.resolve(item, where, cin)
        # A declared cin is written at width 1, as every channel count in the spec is.
        # After a flatten the features are known only once the network is traced: a
        # linear layer checks its cin then (at width 1), and other layers cannot.
        if "cin" in item and cin != FLAT and _int(self, item, "cin", where) != cin.written:
            at_width = "" if self.width == 1 else f" ({cin.built} at width {self.width_text})"
            raise self.fail(
                f"{where}.cin",
                f"declares {item['cin']} input channels but the previous layer gives "
                f"{cin.written}{at_width}",
            )
        repeat = _int(self, item, "repeat", where, default=1)
        if repeat > MAX_REPEAT:  # the count before building refused it already
            raise self.fail(
                f"{where}.repeat", f"repeat = {repeat:,} is over the limit of {MAX_REPEAT:,}"
            )
        name = item.get("name", kind)
        if not isinstance(name, str):
            raise self.fail(f"{where}.name", f"expected a string, got {_kind(name)}")
        nodes: list[Node] = []
        for i in range(repeat):
            label = f"{name}.{i + 1}" if repeat > 1 else name
            node, cin = self.one(item, kind, where, cin, label, first=i == 0)
            nodes.append(node)
        return nodes, cin

    def one(
        self, item: _Item, kind: str, where: str, cin: _Channels, name: str, *, first: bool
    ) -> tuple[Node, _Channels]:
        if cin == FLAT and kind not in AFTER_FLATTEN:
            raise self.fail(
                where,
                f"a {kind} layer needs a feature map but follows a flatten: only "
                f"{', '.join(AFTER_FLATTEN)} can follow one",
            )
        if kind in VARIANTS:
            return self.conv(item, kind, where, cin, name, first=first)
        if kind == "pool":
            return self.pool(item, where, name), cin
        if kind == "linear":
            return self.linear(item, where, cin, name)
        if kind == "act":
            if "fn" not in item:
                raise self.fail(f"{where}.fn", f"an act layer needs fn: {', '.join(ACTIVATIONS)}")
            return Act(fn=self.act(item, "fn", where), name=name), cin
        if kind == "bn":
            return Norm(name=name), cin
        if kind == "identity":
            return Identity(name=name), cin
        if kind == "flatten":
            return Flatten(name=name), FLAT
        if kind == "gate":
            return self.gate(item, where, cin, name), cin
        if kind == "shuffle":
            groups = _int(self, item, "groups", where)
            if cin.built % groups:
                raise self.fail(
                    f"{where}.groups",
                    f"{cin.built} channels do not divide into {groups} groups",
                )
            return Shuffle(groups=groups, name=name), cin
        if kind == "residual":
            body, cout = self.seq(item.get("layers"), f"{where}.layers", cin, "body")
            shortcut_spec = item.get("shortcut", "identity")
            shortcut = None
            if shortcut_spec not in ("identity", []):
                shortcut, short_out = self.seq(shortcut_spec, f"{where}.shortcut", cin, "shortcut")
                if short_out.built != cout.built:
                    raise self.fail(
                        f"{where}.shortcut",
                        f"gives {short_out.built} channels but the body gives {cout.built}",
                    )
            elif cout.built != cin.built:
                raise self.fail(
                    f"{where}.shortcut",
                    f"the body changes {cin.built} channels to {cout.built}: an identity "
                    "shortcut cannot be added; give a shortcut list of layers",
                )
            return Residual(body=body, shortcut=shortcut, name=name), cout
        return self.parallel(item, where, cin, name)

    def conv(
        self, item: _Item, kind: str, where: str, cin: _Channels, name: str, *, first: bool
    ) -> tuple[Node, _Channels]:
        def read(key: str, default: Any = None) -> Any:
            """A key's value, read by its option in the schema, as the CLI and batch do."""
            if key not in item:
                return default
            try:
                return OPTIONS[key].read(item[key])
            except ConvCalcError as error:
                raise self.fail(f"{where}.{key}", str(error)) from None

        options: dict[str, Any] = {
            "bias": read("bias", self.defaults.get("bias", True)),
            "bn": read("bn", self.defaults.get("bn", False)),
        }
        for key in sorted(CONV_KEYS[kind] - {"cout", "bias", "bn", "padding", "act"}):
            if key in item:
                options["k" if key == "kernel" else key] = read(key)
        if "cout" in item:
            written = read("cout")
            options["cout"] = self.channel(item, "cout", written)
        elif kind not in OPTIONS["cout"].optional_for:
            raise self.fail(f"{where}.cout", f"a {kind} layer needs cout")
        if not first:
            options.pop("stride", None)  # a repeated layer strides once, at its first instance
        if kind != "pointwise":
            options["padding"] = read("padding", self.defaults.get("padding"))
        block = self.wrap(where, lambda: make_block(kind, cin=cin.built, dims=self.dims, **options))
        if "cout" not in item:  # depthwise: cin × multiplier at any width
            written = cin.written * (block.cout // cin.built)
        out = _Channels(block.cout, written)
        if "act" in item:
            return Activated(block=block.replace(name=name), act=self.act_after(item, where)), out
        return block.replace(name=name), out

    def act(self, item: Mapping[str, Any], key: str, where: str) -> str:
        """An activation's name, one of :data:`~convcalc.model.names.ACTIVATIONS`."""
        fn = item[key]
        if fn not in ACTIVATIONS:
            raise self.fail(f"{where}.{key}", f"{_brief(fn)}: use one of {', '.join(ACTIVATIONS)}")
        return str(fn)

    def act_after(self, item: Mapping[str, Any], where: str) -> Act:
        """The activation a layer's ``act`` key puts after it."""
        return Act(fn=self.act(item, "act", where), name="act")

    def pool(self, item: dict[str, Any], where: str, name: str) -> Pool:
        pool_kind = item.get("kind", "max")
        if pool_kind not in ("max", "avg"):
            raise self.fail(f"{where}.kind", f"{_brief(pool_kind)}: use 'max' or 'avg'")
        if pool_kind != "max" and "dilation" in item:
            raise self.fail(f"{where}.dilation", "only a max pool takes a dilation")
        windowed = ("kernel", "stride", "padding", "dilation", "ceil_mode")
        if _bool(self, item, "global", where, default=False) or "output" in item:
            is_global = item.get("global") is True
            if is_global and "output" in item:
                raise self.fail(f"{where}.output", "global = true is output = 1: give one")
            for key in windowed:
                if key in item:
                    what = "a global" if is_global else "an adaptive"
                    raise self.fail(f"{where}.{key}", f"{what} pool takes no {key}")
            if "output" not in item:
                return Pool(kind=pool_kind, name=name)
            output = self.expand(_size(self, item["output"], f"{where}.output"), where, "output")
            if 0 in output:
                raise self.fail(f"{where}.output", "an adaptive pool's output must be >= 1")
            return Pool(kind=pool_kind, output=output, name=name)
        if "kernel" not in item:
            raise self.fail(
                f"{where}.kernel", "a pool needs a kernel, or output = N, or global = true"
            )
        # Every key is kept on every copy of a repeated pool: its stride too (SPPF's
        # k5 s1 p2 pools keep the size), unlike a convolution's (issue #12 §5).
        sizes: dict[str, tuple[int, ...]] = {
            key: self.expand(_size(self, item[key], f"{where}.{key}"), where, key)
            for key in ("kernel", "stride", "padding", "dilation")
            if key in item
        }
        for key in ("kernel", "stride", "dilation"):
            if key in sizes and 0 in sizes[key]:
                raise self.fail(f"{where}.{key}", f"a pool's {key} must be >= 1")
        ceil_mode = _bool(self, item, "ceil_mode", where, default=False)
        return Pool(kind=pool_kind, name=name, ceil_mode=ceil_mode, **sizes)

    def expand(self, size: int | tuple[int, ...], where: str, key: str) -> tuple[int, ...]:
        if isinstance(size, int):
            return (size,) * self.dims
        if len(size) != self.dims:
            raise self.fail(
                f"{where}.{key}", f"has {len(size)} sizes but the input is {self.dims}D"
            )
        return size

    def linear(
        self, item: dict[str, Any], where: str, cin: _Channels, name: str
    ) -> tuple[Node, _Channels]:
        if "cout" not in item:
            raise self.fail(f"{where}.cout", "a linear layer needs cout")
        cout = _int(self, item, "cout", where)
        bias = _bool(self, item, "bias", where, default=self.defaults.get("bias", True))
        # After a flatten, cin = 0: the features are the traced shape's, or at width 1
        # the declared cin, which tracing checks against them.
        features = cin.built
        if cin == FLAT and "cin" in item and self.width == 1:
            features = _int(self, item, "cin", where)
        linear = Linear(cin=features, cout=cout, bias=bias, name=name)
        parts: list[Node] = [linear]
        if _bool(self, item, "bn", where, default=False):
            parts.append(BatchNorm(channels=cout, name="bn"))
        if "act" in item:
            parts.append(self.act_after(item, where))
        if len(parts) == 1:
            return linear, _Channels(cout, cout)
        return Seq(children=tuple(parts), name=name, kind="linear"), _Channels(cout, cout)

    def gate(self, item: _Item, where: str, cin: _Channels, name: str) -> Gate:
        """A squeeze-and-excitation gate: squeeze to C // reduction (16 by default) or to
        ``squeeze`` (a channel value), rounded by ``divisible(·, divisor)`` if given."""
        if "reduction" in item and "squeeze" in item:
            raise self.fail(f"{where}.squeeze", "give reduction or squeeze, not both")
        reduction = _int(self, item, "reduction", where, default=16)
        squeeze: int | None = None
        if "squeeze" in item:
            squeeze = self.channel(item, "squeeze", _int(self, item, "squeeze", where))
        if "divisor" in item:
            divisor = _int(self, item, "divisor", where)
            hidden = squeeze if squeeze is not None else cin.built // reduction
            squeeze = divisible(hidden, divisor)  # torchvision's _make_divisible(C // 4, 8)
        act = self.act(item, "act", where) if "act" in item else "relu"
        fn = item.get("gate", "sigmoid")
        if fn not in GATE_FUNCTIONS:
            raise self.fail(
                f"{where}.gate", f"{_brief(fn)}: use one of {', '.join(GATE_FUNCTIONS)}"
            )
        gate: Gate = self.wrap(
            where,
            lambda: Gate(
                channels=cin.built,
                reduction=reduction,
                squeeze=squeeze,
                act=act,
                gate=str(fn),
                name=name,
            ),
        )
        return gate

    def split(self, item: _Item, where: str, cin: _Channels, streams: int) -> list[_Channels]:
        """The channels each stream of a split parallel block sees: ``split = [a, b]``
        (channel values) or ``split = N`` (N equal parts)."""
        value = item["split"]
        if isinstance(value, int) and not isinstance(value, bool):
            parts = _int(self, item, "split", where)
            if parts != streams:
                raise self.fail(
                    f"{where}.split", f"split = {parts} but there are {streams} streams"
                )
            if cin.built % parts:
                raise self.fail(
                    f"{where}.split", f"{cin.built} channels do not split into {parts} equal parts"
                )
            return [_Channels(cin.built // parts, cin.written // parts)] * parts
        if not isinstance(value, list) or not all(_whole(v) for v in value):
            raise self.fail(
                f"{where}.split",
                f"expected a number of parts or a list of channels, got {_brief(value)}",
            )
        if len(value) != streams:
            raise self.fail(f"{where}.split", f"{len(value)} parts but there are {streams} streams")
        built = [
            v if f"split[{i}]" in item.built else self.channels(v) for i, v in enumerate(value)
        ]
        if sum(built) != cin.built:
            at_width = "" if self.width == 1 else f" at width {self.width_text}"
            raise self.fail(
                f"{where}.split",
                f"the parts {built}{at_width} add up to {sum(built)}, not the input's "
                f"{cin.built} channels",
            )
        return [_Channels(b, v) for b, v in zip(built, value, strict=True)]

    def parallel(
        self, item: _Item, where: str, cin: _Channels, name: str
    ) -> tuple[Node, _Channels]:
        merge = item.get("merge", "sum")
        if merge not in ("sum", "concat"):
            raise self.fail(f"{where}.merge", f"{_brief(merge)}: use 'sum' or 'concat'")
        shared = item.get("shared", {})
        if not isinstance(shared, dict):
            raise self.fail(f"{where}.shared", "expected a table of named modules")
        streams_spec = item.get("streams")
        if not isinstance(streams_spec, list) or not streams_spec:
            raise self.fail(f"{where}.streams", "expected a non-empty list of layer lists")
        split = self.split(item, where, cin, len(streams_spec)) if "split" in item else None
        outer = self.shared
        self.instances += 1
        self.shared = _scope(outer, shared, where, self.instances)
        streams, outs = [], []
        try:
            for index, stream in enumerate(streams_spec):
                part = cin if split is None else split[index]
                seq, out = self.seq(
                    stream, f"{where}.streams[{index}]", part, f"stream{index + 1}", empty=True
                )
                streams.append(seq)
                outs.append(out)
        finally:
            self.shared = outer
        if merge == "sum" and len({out.built for out in outs}) > 1:
            got = [out.built for out in outs]
            raise self.fail(
                f"{where}.streams", f"summed streams must give the same channels, got {got}"
            )
        if merge == "concat":
            cout = _Channels(sum(o.built for o in outs), sum(o.written for o in outs))
        else:
            cout = outs[0]
        parts = None if split is None else tuple(p.built for p in split)
        return Parallel(streams=tuple(streams), merge=merge, split=parts, name=name), cout

    def use(self, item: dict[str, Any], where: str, cin: _Channels) -> tuple[list[Node], _Channels]:
        name = item["use"]
        if set(item) - {"use"}:
            raise self.fail(where, "a 'use' entry takes no other keys")
        module = _lookup(self.shared, name)
        if module is None:
            known = ", ".join(_key(k) for k in self.shared) or "none"
            raise self.fail(
                f"{where}.use", f"no shared module {_brief(name)} here (declared: {known})"
            )
        # One module, one set of weights: every use must feed it the same channels.
        key = module.key
        first = self.first_use.setdefault(key, (cin.built, where))
        if first[0] != cin.built:
            raise self.fail(
                where,
                f"shared module {_brief(module.name)} runs on {cin.built} channels here but on "
                f"{first[0]} channels at {first[1]}: one module's weights fit one channel count",
            )
        outer, self.shared = self.shared, module.scope
        try:
            nodes, cout = self.layer(module.spec, module.path, cin)
        finally:
            self.shared = outer
        if len(nodes) != 1:
            raise self.fail(module.path, "a shared module cannot repeat")
        return [Shared(key=key, node=nodes[0], name=module.name)], cout

    def template(
        self, item: dict[str, Any], where: str, cin: _Channels
    ) -> tuple[list[Node], _Channels]:
        """A template's use: a fresh copy of its layers per repeat, each a sequence named
        after the use, built with the use's arguments (``in``: the channels entering
        it). A repeated use strides once: later copies get ``stride = 1`` if the
        template takes a stride."""
        name = item["template"]
        template = self.templates.get(name) if isinstance(name, str) else None
        if template is None:
            known = ", ".join(_key(k) for k in self.templates) or "none"
            raise self.fail(f"{where}.template", f"no template {_brief(name)} (declared: {known})")
        shown = _brief(name)
        for key in item:
            if key not in USE_KEYS and key not in template.args:
                takes = ", ".join(template.args) or "no arguments"
                raise self.fail(
                    f"{where}.{_key(key)}",
                    f"template {shown} takes no argument {_brief(key)}: it takes {takes} "
                    "(and name, repeat)",
                )
        # An argument given at the use is read where the use is written, once; a default
        # is part of the template, read for each copy: its `in` is what enters that copy.
        outer_names = self.names(cin)
        given: dict[str, tuple[Value, bool]] = {}
        for arg, default in template.args.items():
            if arg not in item:
                if default is None:
                    raise self.fail(where, f"template {shown} needs the argument {_brief(arg)}")
                continue
            value = item[arg]
            if is_expression(value):
                given[arg] = self.expression(value, f"{where}.{arg}", {**outer_names, **given})
            elif isinstance(value, bool | int | str):
                given[arg] = (value, False)
            else:
                raise self.fail(
                    f"{where}.{arg}",
                    f"expected a whole number, a string, true/false or an expression, "
                    f"got {_kind(value)}",
                )
        resolved = self.resolve({"repeat": item["repeat"]} if "repeat" in item else {}, where, cin)
        repeat = _int(self, resolved, "repeat", where, default=1)
        label = item.get("name", name)
        if not isinstance(label, str):
            raise self.fail(f"{where}.name", f"expected a string, got {_kind(label)}")
        nodes: list[Node] = []
        saved = (self.env, self.template_in, self.shared)
        try:
            for i in range(repeat):
                env = self.arguments(template, given, cin, first=i == 0)
                self.env, self.template_in, self.shared = env, cin.built, {}
                seq, cin = self.seq(
                    template.layers,
                    _template_place(where, name),
                    cin,
                    f"{label}.{i + 1}" if repeat > 1 else label,
                )
                nodes.append(seq)
        finally:
            self.env, self.template_in, self.shared = saved
        return nodes, cin

    def arguments(
        self,
        template: _Template,
        given: dict[str, tuple[Value, bool]],
        cin: _Channels,
        *,
        first: bool,
    ) -> dict[str, tuple[Value, bool]]:
        """The arguments of one copy of a template use: those given, and the defaults,
        each read with the template's arguments before it, the spec's ``args`` and the
        channels entering this copy as ``in``. Copies after the first get
        ``stride = 1``, before any default that names it is read."""
        env: dict[str, tuple[Value, bool]] = {}
        for arg, default in template.args.items():
            if arg == "stride" and not first:
                env[arg] = (1, False)
            elif arg in given:
                env[arg] = given[arg]
            elif is_expression(default):
                place = f"templates.{_key(template.name)}.args.{arg}"
                names = {**self.globals, **env, IN: (cin.built, True)}
                env[arg] = self.expression(default, place, names)
            else:
                env[arg] = (default, False)
        return env

    def wrap(self, where: str, build: Callable[[], Any]) -> Any:
        try:
            return build()
        except ConvCalcError as error:
            key = f".{error.option}" if error.option in _KEYS else ""
            raise self.fail(f"{where}{key}", str(error)) from None


class _Item(dict[str, Any]):
    """A layer's keys with their expressions evaluated; ``built`` names those (or
    ``key[i]`` in a list) whose expressions give channels as built."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.built: set[str] = set()


_KEYS = set().union(*CONV_KEYS.values(), *OTHER_KEYS.values())
"""Spec keys a core error may name, so that the error points at the key."""


def _brief(value: Any) -> str:
    """A value for an error message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _check_keys(table: dict[str, Any], allowed: Collection[str], at: str) -> None:
    """Refuse a key of a spec's ``table`` that is not ``allowed``, in the one wording
    of every table in a spec: its place (``at``, then the key), the key perhaps meant,
    and the keys allowed.

    >>> _check_keys({"cuot": 8}, {"cin", "cout"}, "net.toml: layers[4].")
    Traceback (most recent call last):
    ...
    convcalc.model.spec.SpecError: net.toml: layers[4].cuot: unknown key (did you mean ...
    """
    for key in table:
        if key not in allowed:
            keys = sorted(allowed)
            raise SpecError(
                f"{at}{_key(key)}: unknown key{did_you_mean(key, keys)}: use {', '.join(keys)}"
            )


def _key(key: str) -> str:
    """A key as a path writes it: as it is if it is a plain name, else quoted."""
    return key if key.isidentifier() and key.isascii() and len(key) <= 60 else _brief(key)


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _int(
    builder: _Builder, item: Mapping[str, Any], key: str, where: str, *, default: int | None = None
) -> int:
    if key not in item:
        if default is None:
            raise builder.fail(f"{where}.{key}", "is required")
        return default
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise builder.fail(f"{where}.{key}", f"expected a whole number, got {_kind(value)}")
    if value < 1:
        raise builder.fail(f"{where}.{key}", f"must be >= 1, got {value}")
    return value


def _bool(
    builder: _Builder, item: Mapping[str, Any], key: str, where: str, *, default: bool
) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise builder.fail(f"{where}.{key}", f"expected true or false, got {_kind(value)}")
    return value


def _size(builder: _Builder, value: Any, where: str) -> int | tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if (
        isinstance(value, list)
        and 1 <= len(value) <= 3
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    ):
        return tuple(value)
    raise builder.fail(
        where, f"expected a size (3) or one per dimension ([3, 5]), got {_brief(value)}"
    )


def _padding(builder: _Builder, value: Any, where: str) -> int | tuple[int, ...] | str:
    if value in ("same", "valid"):
        return str(value)
    return _size(builder, value, where)


def build(
    data: dict[str, Any],
    source: str,
    *,
    width: str | Fraction | None = None,
    resolution: int | tuple[int, ...] | None = None,
) -> Network:
    """Build a :class:`~convcalc.model.network.Network` from parsed spec data.

    ``width`` scales every convolution's output channels by α, rounded down,
    never below the spec's ``min_channels`` (TF-slim's rule); linear layers
    keep theirs. ``resolution`` replaces the input's spatial size.
    """
    _check_keys(data, TOP_KEYS, f"{source}: ")
    if not isinstance(data.get("name", ""), str):
        raise SpecError(f"{source}: name: expected a string, got {_kind(data['name'])}")
    if "input" not in data:  # an empty file too: say what the key holds
        raise SpecError(
            f"{source}: input: missing: a spec states its input's shape as "
            "[channels, size...] with 1 to 3 sizes, e.g. [3, 224, 224]"
        )
    shape = data["input"]
    if (
        not isinstance(shape, list)
        or not 2 <= len(shape) <= 4
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in shape)
    ):
        raise SpecError(
            f"{source}: input: expected [channels, size...] with 1 to 3 sizes, "
            f"e.g. [3, 224, 224], got {shown(shape, 60)}"
        )
    if resolution is not None:
        sizes = (resolution,) * (len(shape) - 1) if isinstance(resolution, int) else resolution
        if len(sizes) != len(shape) - 1:
            raise SpecError(
                f"resolution has {len(sizes)} sizes but {source}'s input has {len(shape) - 1}",
                option="resolution",
            )
        shape = [shape[0], *sizes]
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise SpecError(f"{source}: defaults: expected a table")
    _check_keys(defaults, DEFAULT_KEYS, f"{source}: defaults.")
    for key in ("bias", "bn"):
        if key in defaults and not isinstance(defaults[key], bool):
            raise SpecError(f"{source}: defaults.{key}: expected true or false")
    if "padding" in defaults:  # checked here, not at each convolution that takes it
        try:
            OPTIONS["padding"].read(defaults["padding"])
        except ConvCalcError as error:
            raise SpecError(f"{source}: defaults.padding: {error}") from None
    dtype = defaults.get("dtype", "fp32")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise SpecError(
            f"{source}: defaults.dtype: {_brief(dtype)}: use one of {', '.join(DTYPES)}"
        )
    alpha = _width(width)
    min_channels = data.get("min_channels", 1)
    if isinstance(min_channels, bool) or not isinstance(min_channels, int) or min_channels < 1:
        raise SpecError(f"{source}: min_channels: expected a whole number >= 1")
    rounding = data.get("rounding", "slim")
    if rounding not in ROUNDINGS:
        raise SpecError(
            f"{source}: rounding: {_brief(rounding)}: use one of {', '.join(ROUNDINGS)}"
        )
    divisor = data.get("divisor", 8)
    if "divisor" in data and rounding != "divisible":
        raise SpecError(f'{source}: divisor: goes with rounding = "divisible"')
    if not _whole(divisor):
        raise SpecError(f"{source}: divisor: expected a whole number >= 1, got {_brief(divisor)}")
    args = _global_args(data, source, alpha, rounding)
    templates = _templates(data.get("templates", {}), source)
    globals_ = {**{k: (v, False) for k, v in args.items()}, "width": (alpha, True)}
    known: dict[str, Value | None] = {k: v for k, (v, _) in globals_.items()}
    counter = _Counter(source, templates=templates, globals=known, env=dict(known))
    _run(counter.items(data.get("layers"), "layers", {}))
    builder = _Builder(
        source=source,
        defaults=defaults,
        width=alpha,
        min_channels=min_channels,
        dims=len(shape) - 1,
        rounding=rounding,
        divisor=divisor,
        templates=templates,
        globals=globals_,
    )
    channels = _Channels(shape[0], shape[0])
    body, _ = builder.seq(data.get("layers"), "layers", channels, "body")
    name = data.get("name", Path(source).stem)
    return Network(
        name=name, input_shape=tuple(shape), body=body, dtype=dtype, places=builder.places
    )


def _arg_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise SpecError(f"{where}: {_brief(name)} is not a name: use letters, digits and _")
    if name in RESERVED_NAMES or name.startswith("_"):
        raise SpecError(
            f"{where}: {_brief(name)} is reserved: an argument cannot be named "
            f"{', '.join(sorted(RESERVED_NAMES))}, or start with _"
        )
    return name


def _arg_value(value: Any, where: str) -> Value:
    if isinstance(value, bool | int | str):
        if isinstance(value, str) and is_expression(value):
            raise SpecError(f"{where}: a value here is written out, not an expression")
        return value
    raise SpecError(f"{where}: expected a whole number, a string or true/false, got {_kind(value)}")


def _global_args(
    data: dict[str, Any], source: str, alpha: Fraction, rounding: str
) -> dict[str, Value]:
    """The spec's ``[args]`` at this width: with ``rounding = "table"``, the width
    selects one of the ``[widths."α"]`` tables, which replace some of them."""
    given = data.get("args", {})
    if not isinstance(given, dict):
        raise SpecError(f"{source}: args: expected a table of names and values")
    args = {
        _arg_name(k, f"{source}: args.{_key(str(k))}"): _arg_value(v, f"{source}: args.{_key(k)}")
        for k, v in given.items()
    }
    widths = data.get("widths")
    if widths is None:
        if rounding == "table":
            raise SpecError(f'{source}: widths: rounding = "table" needs [widths."α"] tables')
        return args
    if rounding != "table":
        raise SpecError(f'{source}: widths: goes with rounding = "table"')
    if not isinstance(widths, dict):
        raise SpecError(f"{source}: widths: expected a table of widths")
    chosen: dict[str, Any] | None = None
    listed: dict[Fraction, str] = {}
    for text, table in widths.items():
        place = f"{source}: widths.{_key(text)}"
        try:
            width = parse_width(text)
        except ConvCalcError as error:
            raise SpecError(f"{place}: {error}") from None
        if not isinstance(table, dict):
            raise SpecError(f"{place}: expected a table of argument values")
        for key, value in table.items():
            if key not in args:
                raise SpecError(
                    f"{place}.{_key(key)}: not in [args]: a width's table gives values "
                    f"for the arguments there ({', '.join(args) or 'none'})"
                )
            _arg_value(value, f"{place}.{_key(key)}")
        listed[width] = text
        if width == alpha:
            chosen = table
    if chosen is None and alpha != 1:
        allowed = ", ".join(listed[w] for w in sorted(listed))
        raise ConvCalcError(
            f"width {width_text(alpha)} is not in the spec's table of widths: use "
            f"{allowed}" + ("" if 1 in listed else " or 1"),
            option="width",
        )
    return {**args, **(chosen or {})}


def _templates(given: Any, source: str) -> dict[str, _Template]:
    """The spec's ``[templates.NAME]``: each with ``layers`` and its ``args``, a list of
    required names or a table of defaults."""
    if not isinstance(given, dict):
        raise SpecError(f"{source}: templates: expected a table of named templates")
    templates = {}
    for name, spec in given.items():
        where = f"{source}: templates.{_key(name)}"
        if not isinstance(spec, dict):
            raise SpecError(f"{where}: expected a table with layers and args")
        _check_keys(spec, TEMPLATE_KEYS, f"{where}.")
        layers = spec.get("layers")
        if not isinstance(layers, list) or not layers:
            raise SpecError(f"{where}.layers: expected a non-empty list of layers")
        declared = spec.get("args", [])
        args: dict[str, Any] = {}
        if isinstance(declared, list):
            for arg in declared:
                args[_arg_name(arg, f"{where}.args")] = None
        elif isinstance(declared, dict):
            for arg, default in declared.items():
                place = f"{where}.args.{_key(str(arg))}"
                if isinstance(default, str) and is_expression(default):
                    args[_arg_name(arg, place)] = default
                else:
                    args[_arg_name(arg, place)] = _arg_value(default, place)
        else:
            raise SpecError(
                f"{where}.args: expected a list of required names or a table of defaults"
            )
        templates[name] = _Template(name=name, args=args, layers=layers)
    return templates


MIN_WIDTH = Fraction(MIN_WIDTH_TEXT)
MAX_WIDTH = Fraction(MAX_WIDTH_TEXT)


def parse_width(text: str) -> Fraction:
    """A width multiplier written as a plain decimal, from 0.001 to 4.

    Only ASCII digits, at most :data:`~convcalc.model.limits.MAX_DIGITS` of them, and no
    exponent or fraction bar, so that no width takes long to read or to use.

    >>> parse_width("0.75"), parse_width(".5")
    (Fraction(3, 4), Fraction(1, 2))
    """
    try:
        alpha = read_decimal(text)
    except ConvCalcError as error:
        # "too many digits" says more than "not a width"; anything else is not a width.
        reason = str(error) if "limit" in str(error) else f"{_brief(text)} is not a width"
        raise ConvCalcError(
            f"{reason}: give a plain decimal from {MIN_WIDTH_TEXT} to {MAX_WIDTH_TEXT}, "
            "such as 0.75",
            option="width",
        ) from None
    return _in_range(alpha, text)


def channel_key(data: dict[str, Any]) -> Callable[[Fraction], tuple[int, ...]] | None:
    """A function naming the network a spec builds at a width: its channel counts.

    The width changes a network only through :meth:`_Builder.channels` applied to the
    channels the spec writes (``cout``, a declared ``cin``), so two widths that give
    every written count the same channels build the same network. None if a count is
    not a plain whole number (then the spec says what is wrong when it is built).

    >>> key = channel_key({"layers": [{"type": "pointwise", "cout": 4}]})
    >>> key(Fraction(1)), key(Fraction(1249, 1000)), key(Fraction(5, 4))
    ((4,), (4,), (5,))
    """
    if any(key in data for key in ("rounding", "templates", "args", "widths")):
        return None  # channels there follow other rules than TF-slim's
    written: set[int] = set()
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, value in item.items():
                if name == "split" and isinstance(value, list):
                    stack.extend({"cout": v} for v in value)  # each part is a channel count
                elif name in ("cout", "cin", "squeeze"):
                    count = whole(value) if isinstance(value, str) else value
                    if type(count) is not int:
                        return None
                    written.add(count)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    floor = data.get("min_channels", 1)
    if type(floor) is not int:
        return None
    counts = sorted(written)

    def key(alpha: Fraction) -> tuple[int, ...]:
        return tuple(max(int(count * alpha), floor) for count in counts)

    return key


def width_text(alpha: Fraction) -> str:
    """A width as the decimal it was written as.

    >>> width_text(Fraction(3, 4)), width_text(Fraction(1, 3))
    ('0.75', '1/3')
    """
    for places in range(MAX_DIGITS + 1):
        if 10**places % alpha.denominator == 0:
            whole, part = divmod(alpha.numerator * (10**places // alpha.denominator), 10**places)
            return f"{whole}.{part:0{places}d}".rstrip("0").rstrip(".") if part else str(whole)
    return str(alpha)


def _in_range(alpha: Fraction, text: str) -> Fraction:
    if not MIN_WIDTH <= alpha <= MAX_WIDTH:
        raise ConvCalcError(
            f"width {text.strip()} is out of range: from {MIN_WIDTH_TEXT} to {MAX_WIDTH_TEXT}",
            option="width",
        )
    return alpha


def _width(width: str | Fraction | None) -> Fraction:
    if width is None:
        return Fraction(1)
    if isinstance(width, str):
        return parse_width(width)
    return _in_range(Fraction(width), str(width))

"""Reading a network spec (a file, ``-`` or a preset) for ``model`` and ``fit --model``,
with the same one-line errors for both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
import click.shell_completion

from ..model.core import ConvCalcError
from ..model.limits import MAX_NESTING

__all__ = [
    "STDIN",
    "SPEC_FORMAT_OPTION",
    "complete_spec",
    "network_step",
    "read_spec",
    "spec_name",
]

T = TypeVar("T")

STDIN = "<stdin>"
"""How messages name a spec read from standard input."""

SPEC_FORMAT_OPTION = click.option(
    "--spec-format",
    type=click.Choice(["toml", "json"]),
    help="How the spec is written  [default: by its suffix, else JSON if it starts with {]",
)


def complete_spec(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[click.shell_completion.CompletionItem]:
    """What a shell completes a SPEC with: the presets' names, then files."""
    from click.shell_completion import CompletionItem

    from ..model.spec import PRESETS

    names = [CompletionItem(name) for name in PRESETS if name.startswith(incomplete)]
    return [*names, CompletionItem(incomplete, type="file")]


def spec_name(spec: str) -> str:
    """The spec's name in messages: ``-`` is standard input."""
    return STDIN if spec == "-" else spec


def read_spec(
    spec: str, hint: str = "'SPEC'", fmt: str | None = None
) -> tuple[dict[str, Any], Any]:
    """A preset's or a spec file's data (``-`` reads standard input), and the preset's
    own width (None for a file)."""
    import os
    import sys

    from ..model.spec import PRESETS, SpecNotFound, load, load_preset, parse, read_bounded

    if "\0" in spec:
        raise click.BadParameter(
            f"{spec!r} is not a file name (it holds a NUL byte)", param_hint=hint
        )
    try:
        if spec == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:
                raise click.BadParameter("- reads standard input, which is closed", param_hint=hint)
            return parse(read_bounded(stdin, STDIN), STDIN, fmt=fmt), None
        # A file of a preset's name is read instead of the preset (a directory is not).
        # os.path.exists, unlike Path.exists, answers False for a name the system
        # refuses (too long, a loop of links): reading it then says why.
        if spec in PRESETS and (not os.path.exists(spec) or os.path.isdir(spec)):
            return load_preset(spec)
        return load(spec, fmt=fmt), None
    except SpecNotFound:
        from ..views.text import did_you_mean

        raise click.BadParameter(
            f"{spec!r} is neither a file nor a preset{did_you_mean(spec, list(PRESETS))}: "
            f"use a spec file, a preset ({', '.join(PRESETS)}), or - for standard input",
            param_hint=hint,
        ) from None
    except RecursionError:
        raise click.UsageError(
            f"{spec}: nested too deeply to read: a spec's blocks nest at most {MAX_NESTING} deep"
        ) from None
    except ConvCalcError as error:
        raise click.UsageError(str(error)) from None


def network_step(spec: str, step: Callable[[], T]) -> T:
    """Build, trace or write out a network: whatever goes wrong is one line and exit 2,
    the same line for ``model`` and ``fit --model``."""
    from ..model.spec import SpecError

    try:
        return step()
    except ConvCalcError as error:
        if error.option in ("width", "resolution"):
            # The command's own --width or --resolution, not the spec's.
            raise click.BadParameter(str(error), param_hint=f"'--{error.option}'") from None
        # A spec error names the file and the place already; a trace error names a layer.
        raise click.UsageError(
            str(error) if isinstance(error, SpecError) else f"{spec}: {error}"
        ) from None
    except RecursionError:
        problem = f"layers nested too deeply to compute: blocks nest at most {MAX_NESTING} deep"
    except MemoryError:
        problem = "out of memory: the network is too large for the memory available"
    # Raised here, once the failed step's frames (and what they held) are let go: a
    # MemoryError's traceback keeps every object of the step alive.
    raise click.UsageError(f"{spec}: {problem}")

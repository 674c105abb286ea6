"""The command line: the ``convcalc`` group, which imports a command's module only
when that command runs (Click's documented ``LazyGroup``), and maps every error to
one line on stderr.

Each command is an ordinary ``@click.command()`` in its own module; nothing in this
package imports this module back. Rich is imported only when a table is drawn, so
``--format json`` and ``-q`` start as fast as Click itself.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

from ..model.names import ALIASES
from .errors import CheckFailed, Interrupted
from .options import CONTEXT_SETTINGS, help_option
from .output import PIPE_CLOSED_STATUS, PipeClosed, guarded_stdout, say

__all__ = ["COMMANDS", "LazyGroup", "cli", "main"]

COMMANDS: dict[str, str] = {
    "standard": "convcalc.cli.layer.standard:standard_cmd",
    "depthwise": "convcalc.cli.layer.depthwise:depthwise_cmd",
    "pointwise": "convcalc.cli.layer.pointwise:pointwise_cmd",
    "separable": "convcalc.cli.layer.separable:separable_cmd",
    "lite": "convcalc.cli.layer.lite:lite_cmd",
    "compare": "convcalc.cli.compare:compare_cmd",
    "model": "convcalc.cli.model:model_cmd",
    "batch": "convcalc.cli.batch:batch_cmd",
    "sweep": "convcalc.cli.sweep:sweep_cmd",
    "fit": "convcalc.cli.fit:fit_cmd",
}
"""Each command's name, and the module and attribute that define it, in help order."""


class LazyGroup(click.Group):
    """A group that imports a command's module on first use (Click's documented
    ``LazyGroup``), resolves the variants' aliases, and reports every error in one
    line on stderr."""

    def __init__(self, *args: Any, lazy_subcommands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return help_option(self, ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy_subcommands, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        name = ALIASES.get(cmd_name, cmd_name)
        if name in self.lazy_subcommands:
            module, attribute = self.lazy_subcommands[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def invoke(self, ctx: click.Context) -> Any:
        # Caught here, before Click turns it into Abort after a blank line on stderr.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None
        except click.UsageError as error:
            # Click's parser makes some errors without a context (an option's value
            # missing: `-k` last): name the command they came from, as every other
            # usage error of it is named.
            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if error.ctx is None and name else None
            if command is not None:
                error.ctx = click.Context(command, info_name=name, parent=ctx)
            raise

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if (
            args
            and not ctx.resilient_parsing  # completing: say nothing, as Click does
            and self.get_command(ctx, args[0]) is None
            and not args[0].startswith("-")
        ):
            from ..views.text import did_you_mean

            names = [*self.list_commands(ctx), *ALIASES]
            raise click.UsageError(
                f"no such command {args[0]!r}{did_you_mean(args[0], names)}: "
                f"use one of {', '.join(names)}",
                ctx,
            )
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            with guarded_stdout():
                result = super().main(
                    args, prog_name or "convcalc", complete_var, standalone_mode=False, **extra
                )
            code = result if isinstance(result, int) else 0
        except PipeClosed:
            # The reader has gone (`| head`): end quietly, as SIGPIPE would end us.
            code = PIPE_CLOSED_STATUS
        except (Interrupted, click.Abort, KeyboardInterrupt):
            # Click raises Abort for an interrupt that comes before ours is set up.
            say("convcalc: interrupted")
            code = Interrupted.exit_code
        except CheckFailed as error:
            say(_visible(f"convcalc: check failed: {_one_line(error.format_message())}"))
            code = error.exit_code
        except click.exceptions.NoArgsIsHelpError as error:
            # `convcalc` alone asks for nothing wrong: show the whole help on stdout,
            # as --help does, and succeed.
            try:
                with guarded_stdout():
                    click.echo(error.format_message().rstrip("\n"))
                code = 0
            except PipeClosed:
                code = PIPE_CLOSED_STATUS
        except click.ClickException as error:
            ctx = getattr(error, "ctx", None)
            where = ctx.command_path if ctx is not None else "convcalc"
            # A file name or a spec's name may hold escape sequences: show them escaped.
            say(_visible(f"{where}: error: {_one_line(error.format_message())}"))
            code = error.exit_code
        if standalone_mode:
            sys.exit(code)
        return code


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _visible(message: str) -> str:
    # Imported here: the views are not needed to start (1.1 M instructions on -q).
    from ..views.text import visible

    return visible(message)


@click.group(
    name="convcalc",
    cls=LazyGroup,
    lazy_subcommands=COMMANDS,
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc standard --cin 64 --cout 128 -k 3
  convcalc compare --cin 64 --cout 128,64 -k 3
  convcalc separable --cin 64 --cout 128 --input 56 --format json
""",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    help="Show the version and exit.",
    callback=lambda ctx, param, value: _show_version(ctx, value),
)
def cli() -> None:
    """What convolution layers cost: parameters, MACs, shapes and memory, exactly.

    One command per variant (aliases: mobilenet = separable, osnet = lite),
    and compare to set them side by side. MACs are multiply-accumulates
    without bias additions, BatchNorm or activations; FLOPs = 2 × MACs.
    """


def _show_version(ctx: click.Context, value: bool) -> None:
    # What click.version_option prints, by Click's documented pattern for an eager
    # option: version_option asks gettext for its help text at every start.
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(f"{ctx.find_root().info_name} {version('convcalc')}", color=ctx.color)
    ctx.exit()


def main() -> None:
    """The console script's entry point."""
    cli.main(prog_name="convcalc")

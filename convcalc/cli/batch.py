"""``convcalc batch``: many layer configs in one process, one result a line."""

from __future__ import annotations

import textwrap
from typing import IO

import click

from ..model.schema import OPTIONS
from .options import CONTEXT_SETTINGS
from .output import opened, say
from .types import InputFile, OutputPath

__all__ = ["batch_cmd"]

KEYS = ", ".join(
    name + "".join(f" (or {key})" for key in option.keys if key != name)
    for name, option in OPTIONS.items()
)
"""The input keys, as the schema spells them."""


@click.command(
    "batch",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  convcalc batch layers.jsonl > results.jsonl
  convcalc batch layers.csv --format csv -o results.csv
  printf '{"variant": "lite", "cin": 64, "cout": 128, "input": 56}\\n' | convcalc batch
\b
"""
    + textwrap.fill(f"Input keys: {KEYS}.", 80),
)
@click.argument("file", type=InputFile("rb"), default="-")
@click.option(
    "--input-format",
    type=click.Choice(["jsonl", "csv"]),
    help="How FILE is written  [default: csv for a .csv file, else jsonl]",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jsonl", "json", "csv"]),
    default="jsonl",
    help="JSON Lines (one JSON contract object per line; json says the same) or CSV "
    "with fixed columns.",
)
@click.option("--strict", is_flag=True, help="Stop with exit 2 at the first bad line.")
@click.option(
    "-o",
    "--output",
    type=OutputPath(dir_okay=False),
    help="Write to a file instead of stdout (- for stdout). An existing file is "
    "replaced only once the whole output is written; never the input file.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress bar and no count of bad lines on stderr (the records still say them).",
)
def batch_cmd(
    file: IO[bytes],
    input_format: str | None,
    output_format: str,
    strict: bool,
    output: str | None,
    quiet: bool,
) -> None:
    """Many layer configs in one process, one result a line.

    Results come out in input order. Each line is a JSON object (JSON
    Lines) or a CSV record under a header row that names its columns, with the
    variant commands' option names as keys; one line (or CSV record) holds at
    most 1 MiB. A record that cannot be computed
    gives an error record {"line": N, "error": "..."}, so the output has exactly
    as many records as the input; --strict stops at it instead.
    """
    from ..views.batch import CSV_COLUMNS, StopBatch, run

    if input_format is None:
        input_format = "csv" if str(getattr(file, "name", "")).lower().endswith(".csv") else "jsonl"
    if output_format == "json":
        output_format = "jsonl"  # one JSON object a line, as every other command's json
    failed = total = 0
    progress = None if quiet else Progress.start(file)
    # Records read from a file are written CHUNK at a time (one write of many lines
    # costs half as much a line); from a pipe, each as it comes, for whoever waits.
    chunk = CHUNK if _regular(file) else 1
    pending: list[str] = []
    # Opened once FILE is known not to be the output; a file is replaced at the end.
    with opened(output, "json" if output_format == "jsonl" else "text", source=file) as write:

        def flush() -> None:
            if pending:
                write("".join(pending))
                pending.clear()

        if output_format == "csv":
            write(",".join(CSV_COLUMNS) + "\n")
        try:
            for total, line, text, error in run(file, input_format, output_format):
                if error is not None:
                    failed += 1
                    if strict:
                        flush()
                        record = "" if line == total else f" (record {total})"
                        raise click.UsageError(f"line {line}{record}: {error}")
                pending.append(text)
                if len(pending) == chunk:
                    flush()
                    if progress is not None and total % 1024 == 0:
                        progress.show()
        except StopBatch as error:
            flush()
            raise click.UsageError(str(error)) from None
        finally:
            if progress is not None:
                progress.close()
        flush()
    if failed and not quiet:
        say(f"convcalc batch: {failed} of {total} lines had errors")


CHUNK = 32
"""Records written at once from a file: 32 results of about 1.5 kB each."""


def _regular(file: IO[bytes]) -> bool:
    """Whether ``file`` is a regular file (read as fast as it can be, never waited on)."""
    import os
    import stat

    try:
        return stat.S_ISREG(os.fstat(file.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False  # no real file behind it (a test's stream)


class Progress:
    """A progress bar on stderr, for a file of known size read while stderr is a
    terminal: how far into the file the run is. Never in a pipe, never for stdin."""

    WIDTH = 30

    def __init__(self, file: IO[bytes], size: int, stream: IO[str]) -> None:
        self.file, self.size, self.stream = file, size, stream
        self.drawn = ""

    @classmethod
    def start(cls, file: IO[bytes]) -> Progress | None:
        """A bar for ``file``, or None where none is drawn."""
        import os
        import stat
        import sys

        stream = sys.stderr
        try:
            if stream is None or not stream.isatty():
                return None
            info = os.fstat(file.fileno())
        except (AttributeError, OSError, ValueError):
            return None  # no real file behind it (a test's stream, a closed stderr)
        if not stat.S_ISREG(info.st_mode) or info.st_size <= 0:
            return None  # a pipe or a device: its size is not known
        return cls(file, info.st_size, stream)

    def show(self) -> None:
        try:
            done = min(self.file.tell(), self.size)
        except (OSError, ValueError):
            return
        filled = done * self.WIDTH // self.size
        text = f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done * 100 // self.size:3d}%"
        if text != self.drawn:
            self.drawn = text
            self._write(text)

    def close(self) -> None:
        if self.drawn:  # clear the bar: stderr is left as it was
            self._write("\r" + " " * len(self.drawn) + "\r")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass

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
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    help="JSON Lines (one JSON contract object per line) or CSV with fixed columns.",
)
@click.option("--strict", is_flag=True, help="Stop with exit 2 at the first bad line.")
@click.option(
    "-o",
    "--output",
    type=OutputPath(dir_okay=False),
    help="Write to a file instead of stdout (- for stdout). An existing file is "
    "replaced only once the whole output is written; never the input file.",
)
def batch_cmd(
    file: IO[bytes], input_format: str | None, output_format: str, strict: bool, output: str | None
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
    failed = total = 0
    # Opened once FILE is known not to be the output; a file is replaced at the end.
    with opened(output, "json" if output_format == "jsonl" else "text", source=file) as write:
        if output_format == "csv":
            write(",".join(CSV_COLUMNS) + "\n")
        try:
            for total, line, text, error in run(file, input_format, output_format):
                if error is not None:
                    failed += 1
                    if strict:
                        record = "" if line == total else f" (record {total})"
                        raise click.UsageError(f"line {line}{record}: {error}")
                write(text)
        except StopBatch as error:
            raise click.UsageError(str(error)) from None
    if failed:
        say(f"convcalc batch: {failed} of {total} lines had errors")

"""Hostile input to the readers (issue #10): batch lines, numbers and sizes.

Each test is named by what it attacks. Runs that could hang or exhaust memory are run
as a real process, held to a timeout and an address-space limit; the rest run in
process. Expected figures are worked out by hand in the test.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import Result
from conftest import ROOT, jsonl, run

from convcalc.cli import cli
from convcalc.model.limits import MAX_DIGITS, MAX_LINE_BYTES, MAX_PAIRS, MAX_ROWS

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
MEMORY = 256 << 20  # address space for a whole convcalc process: far below the input
LIMIT_TEXT = f"{MAX_LINE_BYTES:,}"  # 1,048,576: the limit as the message names it
BOM = "\ufeff"


def refused(result: Result, *named: str) -> str:
    """The run stopped with exit 2 and one short line on stderr naming each of ``named``."""
    assert result.exit_code == 2, (result.exit_code, result.stderr, result.exception)
    assert result.stderr.count("\n") == 1, result.stderr
    assert len(result.stderr) < 400, result.stderr  # a huge value is not echoed whole
    for name in named:
        assert name in result.stderr, (name, result.stderr)
    return result.stderr


def records(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def limited(memory: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return apply


def convcalc(
    *args: str, memory: int = MEMORY, timeout: float = 60, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """convcalc run for real, in bounded time and memory."""
    return subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        capture_output=True,
        timeout=timeout,
        env=ENV,
        preexec_fn=limited(memory),
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def stopped(done: subprocess.CompletedProcess[bytes], *named: str) -> str:
    err = done.stderr.decode()
    assert done.returncode == 2, (done.returncode, err[-2000:])
    assert err.count("\n") == 1 and len(err) < 400, err[-2000:]
    for name in named:
        assert name in err, (name, err)
    return err


POINTWISE = {"variant": "pointwise", "cin": 4, "cout": 8}
POINTWISE_PARAMS = (4 + 1) * 8  # 40


# --- batch: one line is bounded, the input is streamed ------------------------------


@pytest.mark.parametrize(
    "args",
    [["batch", "/dev/zero"], ["batch", "--input-format", "csv", "/dev/zero"], ["batch", "-"]],
    ids=["jsonl", "csv", "stdin"],
)
def test_batch_of_dev_zero_stops_at_the_line_limit(args: list[str]) -> None:
    with open("/dev/zero", "rb") as zeros:
        done = convcalc(*args, stdin=zeros)
    stopped(done, "line 1", LIMIT_TEXT)


def test_batch_line_at_the_limit_is_read_and_one_byte_longer_is_not(tmp_path: Path) -> None:
    line = json.dumps(POINTWISE)
    at_limit = line + " " * (MAX_LINE_BYTES - len(line))
    path = tmp_path / "long.jsonl"
    path.write_text(f"{line}\n{at_limit}\n{at_limit} \n{line}\n")
    result = run("batch", str(path))
    refused(result, "line 3", LIMIT_TEXT)
    # The records before the long line are all written.
    assert [r["params"] for r in records(result)] == [POINTWISE_PARAMS] * 2


def test_batch_nul_bytes_without_a_newline_end_quickly(tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b"\0" * (3 * MAX_LINE_BYTES))
    stopped(convcalc("batch", str(path)), LIMIT_TEXT)


PRODUCER = """
import sys
for i in range({count}):
    record = '{{"variant": "pointwise", "cin": 4, "cout": %d}}' % (8 + i % 2)
    sys.stdout.buffer.write((record + " " * ({limit} - 100 - i) + "\\n").encode())
"""


def test_batch_streams_input_far_larger_than_its_memory() -> None:
    """300 lines of 1 MB each (300 MB, every line a different text of one of two
    configs) through a process allowed 256 MB in all: the input is never held, and
    results are cached by config rather than by line text."""
    count = 300
    script = PRODUCER.format(count=count, limit=MAX_LINE_BYTES)
    producer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    done = convcalc("batch", stdin=producer.stdout, timeout=120)
    assert producer.stdout is not None
    producer.stdout.close()
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert producer.wait(timeout=60) == 0
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["line"] for r in results] == list(range(1, count + 1))
    # pointwise 4 -> 8 and 4 -> 9: (4 + 1) x cout
    assert [r["params"] for r in results] == [5 * 8, 5 * 9] * (count // 2)


def test_batch_cache_is_keyed_on_the_config() -> None:
    from convcalc.views import batch

    texts = [
        '{"variant": "pointwise", "cin": 4, "cout": 8}',
        '{"cout": "8", "cin": 4,    "variant": "pointwise"}',
        '{"variant": "pointwise", "cin": "+4", "cout": 8, "bias": "TRUE"}',
    ]
    reads = {batch.read(json.loads(text)) for text in texts}
    assert len(reads) == 1
    hash(reads.pop())  # a small, hashable key


def test_batch_keeps_fewer_results_while_none_is_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """After COLD misses in a row batch keeps one result in SAMPLE: every record still
    says what it says computed alone, and a config that starts to come back is kept
    within SAMPLE lines and reused from then on."""
    import io

    from convcalc.views import batch

    monkeypatch.setattr(batch, "COLD", 8)
    monkeypatch.setattr(batch, "SAMPLE", 4)
    distinct = [{"variant": "pointwise", "cin": 4, "cout": cout} for cout in range(1, 41)]
    again = {"variant": "lite", "cin": 8, "cout": 16, "input": 14}
    records = distinct + [again] * 20 + distinct

    def results(lines: list[dict[str, object]]) -> list[dict[str, object]]:
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        return [json.loads(o.text) for o in batch.run(io.BytesIO(data), "jsonl", "jsonl")]

    alone = [results([record])[0] for record in records]
    computed: list[object] = []
    compute = batch._compute

    def counted(config: batch.Config, **options: object) -> dict[str, object]:
        computed.append(config)
        return compute(config, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "_compute", counted)
    together = results(records)
    assert [r["line"] for r in together] == list(range(1, len(records) + 1))
    assert [{**r, "line": 1} for r in together] == alone
    assert 1 <= computed.count(batch.read(again)) <= 4


# --- numbers beyond the limit ---------------------------------------------------

OVER = "1" * (MAX_DIGITS + 1)
HUGE = "7" * 100_000
DIGITS_TEXT = f"{MAX_DIGITS} digits"


@pytest.mark.parametrize(
    "line",
    [
        '{"variant": "pointwise", "cin": 4, "cout": ' + "9" * 300_000 + "}",
        '{"variant": "pointwise", "cin": 4, "cout": "' + "9" * 300_000 + '"}',
        '{"variant": "standard", "cin": 4, "cout": 4, "kernel": "3x' + "9" * 300_000 + '"}',
        '{"variant": "standard", "cin": 4, "cout": 4, "kernel": [3, ' + "9" * 300_000 + "]}",
    ],
    ids=["json-int", "string", "size-string", "size-list"],
)
def test_batch_line_with_a_huge_number_is_an_error_record(line: str) -> None:
    done = convcalc("batch", input=(line + "\n" + json.dumps(POINTWISE) + "\n").encode())
    assert done.returncode == 0, done.stderr.decode()
    out = [json.loads(text) for text in done.stdout.splitlines()]
    assert out[0]["line"] == 1 and "100 digits" in out[0]["error"]
    assert len(out[0]["error"]) < 300
    assert out[1]["params"] == POINTWISE_PARAMS


@pytest.mark.parametrize(
    ("record", "key"),
    [
        ({"variant": "pointwise", "cin": 4, "cout": int(OVER)}, "cout"),
        ({"variant": "pointwise", "cin": OVER, "cout": 4}, "cin"),
        ({"variant": "standard", "cin": 4, "cout": 4, "kernel": [3, int(OVER)]}, "kernel"),
        ({"variant": "standard", "cin": 4, "cout": 4, "stride": f"1x{OVER}"}, "stride"),
        ({"variant": "standard", "cin": 4, "cout": 4, "batch": int(OVER)}, "batch"),
        ({"variant": "standard", "cin": 4, "cout": 4, "dims": OVER}, "dims"),
    ],
)
def test_batch_refuses_a_number_one_digit_over_the_limit(record: dict, key: str) -> None:
    out = records(run("batch", stdin=jsonl(record)))
    assert DIGITS_TEXT in out[0]["error"], out
    # Named by its key, as every other batch error is, whether JSON holds it as a
    # number (refused while the line is decoded) or as text.
    assert out[0]["error"].startswith(f"{key}: "), out
    assert run("batch", "--strict", stdin=jsonl(record)).exit_code == 2


def test_batch_option_with_a_hundred_thousand_digits_ends_quickly() -> None:
    stopped(convcalc("standard", "--cin", "4", "--cout", "4", "--batch", HUGE), "--batch", "100")


def test_hundred_digit_numbers_still_print_exactly() -> None:
    """The largest numbers read give figures of hundreds of digits: written exactly,
    without Python's int/str guard (4,300 digits) ever being reached."""
    big = 10**99  # 100 digits: the most read
    # standard 3D, cin = cout = 10^99, kernel 10^99 x 10^99 x 10^99:
    # (cin x k^3 + 1) x cout = 10^495 + 10^99
    record = {"variant": "standard", "cin": big, "cout": big, "kernel": [big] * 3, "padding": 0}
    out = records(run("batch", stdin=jsonl(record)))
    assert out[0]["params"] == 10**495 + 10**99
    quiet = run("pointwise", "--cin", str(big), "--cout", str(big), "-q")
    assert quiet.stdout == str(10**198 + 10**99) + "\n"  # (cin + 1) x cout
    # 10^30 channels, in batch as on the command line: (10^30 + 1) x 10^30
    thirty = {"variant": "pointwise", "cin": 10**30, "cout": 10**30}
    assert records(run("batch", stdin=jsonl(thirty)))[0]["params"] == 10**60 + 10**30
    table = run("pointwise", "--cin", str(10**30), "--cout", str(10**30)).stdout
    assert f"{10**60 + 10**30:,}" in table


# --- one rule for numbers, on every numeric option ----------------------------------

BASE = {
    "standard": ["--cin", "8", "--cout", "8"],
    "depthwise": ["--cin", "8"],
    "pointwise": ["--cin", "8", "--cout", "8"],
    "separable": ["--cin", "8", "--cout", "8"],
    "lite": ["--cin", "8", "--cout", "8"],
    "compare": ["--cin", "8", "--cout", "8"],
    "sweep": ["--cin", "8", "--cout", "8"],
    "model": ["mobilenet_v1"],
    "fit": ["--cin", "8", "--max-params", "1M"],
}
NUMERIC_TYPES = {"integer", "size", "padding", "count", "list", "range", "sizes", "dims", "width"}


def numeric_options() -> list[tuple[str, str]]:
    """(command, option) for every option that reads a number, found from the commands
    themselves so that a new one is checked too."""
    found = []
    for name in BASE:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        for param in command.params:
            if isinstance(param, click.Option) and param.type.name in NUMERIC_TYPES:
                found.append((name, param.opts[-1]))
    return found


NUMERIC = numeric_options()


def test_every_numeric_option_is_found() -> None:
    assert ("model", "--width") in NUMERIC
    assert ("standard", "--dims") in NUMERIC
    assert ("sweep", "--kernel") in NUMERIC
    assert len(NUMERIC) > 60


@pytest.mark.parametrize(
    "value",
    ["", " ", "٣", "３", "٠.٥", "1_0", "0x1f", OVER, HUGE],
    ids=[
        "empty",
        "blank",
        "arabic",
        "fullwidth",
        "arabic-decimal",
        "underscore",
        "hex",
        "101",
        "100k",
    ],
)
@pytest.mark.parametrize(("command", "option"), NUMERIC, ids=[f"{c} {o}" for c, o in NUMERIC])
def test_numeric_option_refuses(command: str, option: str, value: str) -> None:
    stderr = refused(run(command, *BASE[command], option, value), option)
    if value in (OVER, HUGE):
        assert DIGITS_TEXT in stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["standard", "--cin", "8", "--cout", "8", "--dims", "3", "-q"], (8 * 27 + 1) * 8),
        (["standard", "--cin", "+8", "--cout", " 8 ", "-q"], (8 * 9 + 1) * 8),
        (["standard", "--cin", "8", "--cout", "8", "--expect", "584", "-q"], 584),
        (["standard", "--cin", "8", "--cout", "8", "--expect", "0.584k", "-q"], 584),
        (["standard", "--cin", "8", "--cout", "8", "--expect", "584.0", "-q"], 584),
    ],
)
def test_numbers_in_ascii_digits_are_read(args: list[str], expected: int) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"


def test_budget_of_many_digits_is_read_exactly() -> None:
    """A count of 31 digits was read through 28-digit decimal arithmetic, so --expect
    compared against a rounded number: pointwise cin = 1234567890123456789012345678900,
    cout = 1 has (cin + 1) x 1 parameters, exactly the 31 digits given."""
    cin = "1234567890123456789012345678900"
    params = str(int(cin) + 1)
    result = run("pointwise", "--cin", cin, "--cout", "1", "-q", "--expect", params)
    assert result.exit_code == 0, result.stderr
    # 1,234,567,890,123,456,789,012,345,678.9k is one parameter under the count ...
    under = run("pointwise", "--cin", cin, "--cout", "1", "-q", "--max-params", f"{params[:-3]}.9k")
    assert under.exit_code == 1 and "over the budget" in under.stderr
    # ... and 1,234,567,890,123,456,789,012,345,678.9012k is no whole count.
    refused(run("pointwise", "--cin", cin, "--cout", "1", "--expect", f"{params[:-3]}.9012k"))
    fits = run("pointwise", "--cin", cin, "--cout", "1", "-q", "--max-params", f"{params}.000")
    assert fits.exit_code == 0, fits.stderr


def test_width_is_a_number_in_ascii_digits() -> None:
    half = run("model", "mobilenet_v1", "--width", "0.5", "-q")
    assert half.exit_code == 0 and half.stdout.strip().isdigit()
    refused(run("model", "mobilenet_v1", "--width", ""), "--width")
    refused(run("model", "mobilenet_v1", "--width", "٠.٥"), "--width")


# --- empty selections ---------------------------------------------------------------


@pytest.mark.parametrize("output", [[], ["--format", "json"], ["--format", "csv"], ["-q"]])
@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--variants", ""),
        ("--variants", ","),
        ("--variants", " "),
        ("--variants", ", ,"),
        ("-k", ""),
        ("-k", ",,,"),
        ("-k", " "),
        ("-k", "3,0"),
        ("-k", "3,x"),
    ],
)
def test_sweep_empty_or_bad_selection_is_refused(
    option: str, value: str, output: list[str]
) -> None:
    result = run("sweep", "--cin", "1", "--cout", "1", option, value, *output)
    refused(result, "--variants" if option == "--variants" else "-k")
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["", ",", " ", " , "])
@pytest.mark.parametrize("option", ["--cin", "--cout"])
def test_compare_empty_channel_list_is_refused(option: str, value: str) -> None:
    refused(run("compare", *BASE["compare"], option, value), option)


@pytest.mark.parametrize("tools", [",", " , ", [], {}])
def test_batch_empty_tool_list_is_an_error(tools: object) -> None:
    out = records(run("batch", stdin=jsonl({**POINTWISE, "reported_by": tools})))
    assert "reported_by" in out[0]["error"]


# --- duplicate keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ('{"variant": "pointwise", "cin": 4, "cout": 4, "cout": 400}', "'cout'"),
        ('{"variant": "pointwise", "variant": "standard", "cin": 4, "cout": 4}', "'variant'"),
        (
            '{"variant": "standard", "cin": 4, "cout": 4, "input": 8,'
            ' "training": {"optimizer": "sgd", "optimizer": "adam"}}',
            "'optimizer'",
        ),
        ('{"variant": "standard", "cin": 4, "cout": 4, "kernel": 3, "k": 5}', "kernel"),
    ],
    ids=["cout", "variant", "nested", "k-and-kernel"],
)
def test_batch_duplicate_key_is_refused(line: str, named: str) -> None:
    result = run("batch", stdin=line + "\n")
    out = records(result)
    assert set(out[0]) == {"line", "error"} and named in out[0]["error"]
    assert "duplicate" in out[0]["error"] or "same option" in out[0]["error"]
    refused(run("batch", "--strict", stdin=line + "\n"), named, "line 1")


# --- batch and the command line accept and refuse the same values ------------------

# (batch key, command-line option, value, the variant command that has the option)
SAME_BAD = [
    ("dims", "--dims", "0", "standard"),
    ("dims", "--dims", "-1", "standard"),
    ("dims", "--dims", "4", "standard"),
    ("dims", "--dims", "2.0", "standard"),
    ("cin", "--cin", "0", "standard"),
    ("cin", "--cin", "-4", "standard"),
    ("cin", "--cin", "4.0", "standard"),
    ("cin", "--cin", "1e3", "standard"),
    ("cin", "--cin", "٣", "standard"),
    ("cout", "--cout", "0", "standard"),
    ("groups", "--groups", "0", "standard"),
    ("multiplier", "--multiplier", "0", "depthwise"),
    ("batch", "--batch", "0", "standard"),
    ("kernel", "--kernel", "0", "standard"),
    ("kernel", "--kernel", "3x0", "standard"),
    ("kernel", "--kernel", "3x3x3x3", "standard"),
    ("kernel", "--kernel", "-3", "standard"),
    ("kernel", "--kernel", "３", "standard"),
    ("kernel", "--kernel", "3x", "standard"),
    ("k", "--kernel", "3.5", "standard"),
    ("stride", "--stride", "0", "standard"),
    ("dilation", "--dilation", "0", "standard"),
    ("input", "--input", "0", "standard"),
    ("input", "--input", "0x8", "standard"),
    ("output_padding", "--output-padding", "-1", "standard"),
    ("padding", "--padding", "-1", "standard"),
    ("padding", "--padding", "middle", "standard"),
    ("dtype", "--dtype", "fp64", "standard"),
    ("convention", "--convention", "ops", "standard"),
    ("framework", "--framework", "jax", "standard"),
    ("optimizer", "--optimizer", "lion", "standard"),
    ("reported_by", "--reported-by", "nvprof", "standard"),
]


def _command_line(variant: str, option: str, value: str) -> list[str]:
    # The option under test comes last, so its value is the one Click keeps.
    base = ["--cin", "8"] if variant == "depthwise" else ["--cin", "8", "--cout", "8"]
    return [variant, *base, "--input", "16", "--format", "json", option, value]


def _record(variant: str, key: str, value: object) -> dict:
    record: dict = {"variant": variant, "cin": 8, "input": 16}
    if variant != "depthwise":
        record["cout"] = 8
    return {**record, key: value}


@pytest.mark.parametrize(("key", "option", "value", "variant"), SAME_BAD)
def test_batch_and_command_line_refuse_the_same_value(
    key: str, option: str, value: str, variant: str
) -> None:
    args = _command_line(variant, option, value)
    assert run(*args).exit_code == 2, args
    as_text = records(run("batch", stdin=jsonl(_record(variant, key, value))))[0]
    assert "error" in as_text, (key, value, as_text)
    try:
        number = json.loads(value)
    except ValueError:
        return
    as_number = records(run("batch", stdin=jsonl(_record(variant, key, number))))[0]
    assert "error" in as_number, (key, number, as_number)


# (command-line options, the batch keys that say the same)
SAME_GOOD = [
    (["--dims", "1"], {"dims": 1}),
    (["--dims", "3"], {"dims": "3"}),
    (["--kernel", "3x5"], {"kernel": "3x5"}),
    (["--kernel", "3×5"], {"kernel": [3, 5]}),
    (["--kernel", "5"], {"k": "5"}),
    (["--stride", "2", "--padding", "0"], {"stride": 2, "padding": 0}),
    (["--padding", "same"], {"padding": "same"}),
    (["--padding", "VALID"], {"padding": "Valid"}),
    (["--dilation", "2x1"], {"dilation": "2×1"}),
    (["--groups", "4"], {"groups": 4}),
    (["--batch", "+3"], {"batch": "+3"}),
    (["--dtype", "FP16"], {"dtype": "fp16"}),
    (["--dtype", "int8"], {"dtype": "INT8"}),
    (["--convention", "flops+bias"], {"convention": "flops+bias"}),
    (["--framework", "keras", "--bn"], {"framework": "keras", "bn": True}),
    (["--fold-bn", "--bn"], {"fold_bn": "true", "bn": "yes"}),
    (["--no-bias"], {"bias": False}),
    (["--transposed", "-s", "2", "--output-padding", "1"],
     {"transposed": True, "stride": 2, "output_padding": 1}),
    (["--training", "--optimizer", "adam", "--frozen"],
     {"training": True, "optimizer": "adam", "frozen": True}),
    (["--reported-by", "thop", "--reported-by", "fvcore"], {"reported_by": "thop, fvcore"}),
]  # fmt: skip


@pytest.mark.parametrize(("options", "keys"), SAME_GOOD, ids=lambda v: repr(v)[:40])
def test_batch_and_command_line_accept_the_same_value_with_the_same_figures(
    options: list[str], keys: dict
) -> None:
    command = run(
        "standard", "--cin", "8", "--cout", "8", "--input", "16", *options, "--format", "json"
    )
    assert command.exit_code == 0, command.stderr
    out = records(
        run("batch", stdin=jsonl({"variant": "standard", "cin": 8, "cout": 8, "input": 16, **keys}))
    )
    assert "error" not in out[0], out[0]
    assert {k: v for k, v in out[0].items() if k != "line"} == json.loads(command.stdout)


def test_batch_reads_every_key_the_parity_tables_cover() -> None:
    from convcalc.views.batch import READERS

    covered = {key for key, *_ in SAME_BAD} | {key for _, keys in SAME_GOOD for key in keys}
    assert set(READERS) - covered == {"variant"}  # the variant is the command itself


# --- byte-order marks -----------------------------------------------------------------


def test_batch_reads_jsonl_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "layers.jsonl"
    path.write_text(BOM + jsonl(POINTWISE, POINTWISE), encoding="utf-8")
    for result in (run("batch", str(path)), run("batch", stdin=BOM + jsonl(POINTWISE))):
        assert result.exit_code == 0 and result.stderr == "", result.stderr
        assert all(r["params"] == POINTWISE_PARAMS for r in records(result))


def test_batch_reads_csv_as_excel_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "layers.csv"
    path.write_bytes((BOM + "variant,cin,cout\r\npointwise,4,8\r\nstandard,4,8\r\n").encode())
    result = run("batch", str(path))
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    # pointwise (4 + 1) x 8; standard 3x3 (4 x 9 + 1) x 8
    assert [r["params"] for r in records(result)] == [40, (4 * 9 + 1) * 8]


# --- CSV records ----------------------------------------------------------------------


def csv_run(tmp_path: Path, text: str, *args: str) -> Result:
    path = tmp_path / "layers.csv"
    path.write_text(text, encoding="utf-8")
    return run("batch", str(path), *args)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "header"),
        ("\n", "header"),
        ("pointwise,4,8\n", "'pointwise'"),
        ("variant,cin,cout,colour\npointwise,4,8,red\n", "'colour'"),
        ("variant,cin,cout,cout\npointwise,4,8,400\n", "'cout'"),
        ("variant,cin,cout,k,kernel\nstandard,4,8,3,5\n", "kernel"),
        ("variant,cin,,cout\npointwise,4,,8\n", "column 3"),
    ],
    ids=["empty", "blank", "no-header", "unknown", "duplicate", "k-and-kernel", "unnamed"],
)
def test_batch_csv_bad_header_stops_the_run(tmp_path: Path, text: str, named: str) -> None:
    refused(csv_run(tmp_path, text), named)


def test_batch_csv_header_alone_is_no_records(tmp_path: Path) -> None:
    result = csv_run(tmp_path, "variant,cin,cout\n")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_batch_csv_quoted_newline_stays_in_its_record(tmp_path: Path) -> None:
    text = 'variant,cin,cout,reported_by\nstandard,4,8,"thop\nfvcore"\npointwise,4,8,\n'
    out = records(csv_run(tmp_path, text))
    assert [r["line"] for r in out] == [1, 2]
    assert set(out[0]["reported_by"]) == {"thop", "fvcore"}
    assert out[1]["params"] == POINTWISE_PARAMS


def test_batch_csv_errors_name_the_file_line(tmp_path: Path) -> None:
    text = (
        "variant,cin,cout,reported_by\n"  # line 1
        'standard,4,8,"thop\nfvcore"\n'  # lines 2-3: record 1
        "pointwise,4,8,\n"  # line 4: record 2
        "pointwise,4,zero,\n"  # line 5: record 3
    )
    out = records(csv_run(tmp_path, text))
    assert [r["line"] for r in out] == [1, 2, 3]
    assert "line 5" in out[2]["error"] and "cout" in out[2]["error"]
    refused(csv_run(tmp_path, text, "--strict"), "line 5", "cout")


def test_batch_csv_record_is_bounded_like_a_line(tmp_path: Path) -> None:
    # Thousands of short quoted cells holding newlines: one record, many short lines.
    path = tmp_path / "wide.csv"
    path.write_text("variant,cin\n" + ",".join(['"\n"'] * (MAX_LINE_BYTES // 2)) + "\n")
    stopped(convcalc("batch", str(path)), "line 2", LIMIT_TEXT)


# --- sizes as convcalc prints them ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["standard", "--cin", "8", "--cout", "8", "-k", "3×5", "-q"], (8 * 15 + 1) * 8),
        (["standard", "--cin", "8", "--cout", "8", "-k", "3 × 3 × 3", "-q"], (8 * 27 + 1) * 8),
        (["depthwise", "--cin", "8", "-k", "1×3", "-q"], (3 + 1) * 8),
    ],
)
def test_size_written_as_convcalc_prints_it(args: list[str], expected: int) -> None:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"


def test_size_with_times_sign_in_input_sweep_and_batch() -> None:
    # standard 8 -> 8, 3x3, padding 1, on 16x8: 8 x 16 x 8 outputs x (8 x 9) MACs each
    shaped = json.loads(
        run("standard", "--cin", "8", "--cout", "8", "--input", "16×8", "--format", "json").stdout
    )
    assert shaped["output_shape"] == [8, 16, 8] and shaped["macs"] == 8 * 16 * 8 * 8 * 9
    swept = run(
        "sweep", "--cin", "8", "--cout", "8", "-k", "3×3,1×5", "--variants", "standard", "-q"
    )
    assert swept.stdout.split() == [str((8 * 9 + 1) * 8), str((8 * 5 + 1) * 8)]
    record = {"variant": "standard", "cin": 8, "cout": 8, "kernel": "3×5", "input": "16×8"}
    out = records(run("batch", stdin=jsonl(record)))[0]
    assert out["params"] == (8 * 15 + 1) * 8 and out["output_shape"] == [8, 16, 8]


# --- line ends and long lines as other tools write them ---------------------------------


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_batch_reads_any_line_end(tmp_path: Path, end: str) -> None:
    jsonl_path, csv_path = tmp_path / "layers.jsonl", tmp_path / "layers.csv"
    jsonl_path.write_bytes(end.join([json.dumps(POINTWISE)] * 2).encode() + end.encode())
    csv_path.write_bytes(
        end.join(["variant,cin,cout", "pointwise,4,8", "pointwise,4,8", ""]).encode()
    )
    for path in (jsonl_path, csv_path):
        assert [r["params"] for r in records(run("batch", str(path)))] == [POINTWISE_PARAMS] * 2


def test_batch_reads_files_joined_with_their_byte_order_marks() -> None:
    joined = BOM + jsonl(POINTWISE) + BOM + jsonl(POINTWISE)
    assert [r["params"] for r in records(run("batch", stdin=joined))] == [POINTWISE_PARAMS] * 2


def test_batch_line_limit_counts_bytes_not_characters() -> None:
    # 600,000 two-byte characters: 1.2 MB on one line, though fewer characters than the limit.
    line = json.dumps({**POINTWISE, "variant": "é" * 600_000}, ensure_ascii=False)
    refused(run("batch", stdin=line + "\n"), "line 1", LIMIT_TEXT)


def test_batch_csv_cell_over_the_csv_limit_is_one_bad_record(tmp_path: Path) -> None:
    text = (
        "variant,cin,cout,reported_by\n"
        f'pointwise,4,8,"{"x" * 200_000}"\n'  # over the csv module's 131,072 per cell
        "pointwise,4,8,\n"
    )
    out = records(csv_run(tmp_path, text))
    assert [r["line"] for r in out] == [1, 2]
    assert "field limit" in out[0]["error"] and out[1]["params"] == POINTWISE_PARAMS


# --- many values from a short command line --------------------------------


def test_compare_refuses_more_pairs_than_the_limit() -> None:
    # 1,001 values of --cin from a few KB of command line would be 1,001 tables; 1,000
    # pairs (40 × 25) are still computed.
    many = ",".join(str(n) for n in range(1, MAX_PAIRS + 2))
    refused(run("compare", "--cin", many, "--cout", "8", "--format", "json"), "1,000")
    forty = ",".join(str(n) for n in range(1, 41))
    twenty_five = ",".join(str(n) for n in range(1, 26))
    result = run("compare", "--cin", forty, "--cout", twenty_five, "-q")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.split()) == 40 * 25 * 3  # standard, separable, lite per pair


def test_sweep_refuses_more_rows_than_the_limit() -> None:
    # 10,000 × 3 configs × 5 variants = 150,000 rows.
    refused(run("sweep", "--cin", "1:10000", "--cout", "1,2,3", "-q"), f"{MAX_ROWS:,}")


@pytest.mark.parametrize(
    ("extra", "key"), [({"optimizer": "adam"}, "optimizer"), ({"frozen": True}, "frozen")]
)
def test_batch_refuses_a_training_option_without_training(extra: dict, key: str) -> None:
    """As the command line refuses --optimizer and --frozen without --training."""
    record = {"variant": "standard", "cin": 4, "cout": 4, "input": 8, **extra}
    out = records(run("batch", stdin=jsonl(record)))
    assert out[0]["error"] == f"{key}: applies to a training step: add training, or leave it out"
    trained = records(run("batch", stdin=jsonl({**record, "training": True})))
    # 4 -> 4, 3x3 on 8x8 (padded to keep the size): 4 x 8 x 8 x 4 x 9 = 9,216 MACs; a
    # training step is 3x that, or 2x with frozen weights.
    assert trained[0]["training"]["step_macs"] == (2 if key == "frozen" else 3) * 9_216


def test_batch_reads_a_training_option_at_its_default_without_training() -> None:
    """A record that writes the defaults out (a CSV column filled on every row) says
    nothing, and is read; another optimizer would change nothing, and is refused."""
    record = {"variant": "standard", "cin": 4, "cout": 4, "training": False}
    out = records(run("batch", stdin=jsonl({**record, "optimizer": "sgd", "frozen": False})))
    assert out[0]["params"] == (4 * 3 * 3 + 1) * 4
    out = records(run("batch", stdin=jsonl({**record, "optimizer": "adam"})))
    assert out[0]["error"].startswith("optimizer: applies to a training step")


def test_batch_names_the_record_key_that_holds_a_long_number_deep_down() -> None:
    line = '{"variant": "standard", "cin": 8, "cout": 8, "bogus": {"cin": ' + OVER + "}}"
    done = convcalc("batch", input=(line + "\n").encode())
    error = json.loads(done.stdout)["error"]
    assert error.startswith("'bogus': ") and DIGITS_TEXT in error, error


def test_batch_names_a_key_only_for_the_long_number_it_holds() -> None:
    """Another error of the same line (a key given twice, found first) keeps its own
    words: the key of a long number later in the line is not put before them."""
    line = '{"a": {"x": 1, "x": 2}, "cout": ' + OVER + ', "variant": "standard", "cin": 3}'
    done = convcalc("batch", input=(line + "\n").encode())
    assert json.loads(done.stdout)["error"] == "duplicate key 'x': give each key once"

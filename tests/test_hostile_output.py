"""Output attacked: the same file as input and output, full and closed streams, encodings
that cannot spell ×, pipes closed early, Ctrl-C, escape sequences in names, a terminal
ten columns wide. Whatever happens, nothing is lost, the run is bounded, and an error is
one line on stderr with exit 2 (issue #10).

Most cases run the program for real, in a subprocess, because what is attacked is the
process's own stdout, stderr, signals and files."""

from __future__ import annotations

import functools
import html
import io
import json
import os
import platform
import re
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, read_pty

LINUX = sys.platform.startswith("linux")
GiB = 1 << 30

# Variables that would change what the program writes; each test sets what it needs.
QUIET_ENV = ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TERM", "PYTHONIOENCODING")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in QUIET_ENV}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def memory_limit(limit: int = GiB) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def convcalc(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.PIPE,
    input: bytes | None = None,
    cwd: Path | None = None,
    preexec_fn: Callable[[], None] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run the program from this checkout, bounded in time and memory."""
    limit = memory_limit()

    def prepare() -> None:
        limit()
        if preexec_fn is not None:
            preexec_fn()

    return subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        env=env or environment(),
        stdin=None if input is not None else stdin,
        input=input,
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=cwd,
        preexec_fn=prepare,
        timeout=timeout,
        check=False,
    )


def one_error_line(done: subprocess.CompletedProcess[bytes], prefix: str) -> str:
    """The one line of stderr of a run that stopped with exit 2."""
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, (done.returncode, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    assert err.startswith(f"{prefix}: error: "), err
    return err


LAYER = '{"variant": "standard", "cin": 16, "cout": 32, "kernel": 3, "input": 8}\n'


@pytest.fixture
def big_input(tmp_path: Path) -> Path:
    """A 20,000-line batch input, as in the report."""
    path = tmp_path / "in.jsonl"
    path.write_text(LAYER * 20_000, encoding="utf-8")
    return path


# --- 1. the output is the input: refuse, and never lose a file --------------------


def test_batch_refuses_to_write_over_its_own_input(big_input: Path) -> None:
    before = big_input.read_bytes()
    done = convcalc("batch", str(big_input), "-o", str(big_input), timeout=30)
    err = one_error_line(done, "convcalc batch")
    assert "input file is output file" in err
    assert big_input.read_bytes() == before


def test_batch_refuses_to_append_to_its_own_input(big_input: Path) -> None:
    # convcalc batch t.jsonl >> t.jsonl
    before = big_input.read_bytes()
    with open(big_input, "ab") as out:
        done = convcalc("batch", str(big_input), stdout=out, timeout=30)
    assert "input file is output file" in one_error_line(done, "convcalc batch")
    assert big_input.read_bytes() == before


def test_batch_refuses_its_own_input_read_from_stdin(big_input: Path) -> None:
    before = big_input.read_bytes()
    with open(big_input, "rb") as source:
        done = convcalc("batch", "-o", str(big_input), stdin=source, timeout=30)
    assert "input file is output file" in one_error_line(done, "convcalc batch")
    assert big_input.read_bytes() == before


@pytest.mark.parametrize("how", ["hard link", "symlink", "/dev/stdout"])
def test_batch_sees_through_other_names_of_its_input(
    big_input: Path, tmp_path: Path, how: str
) -> None:
    before = big_input.read_bytes()
    other = tmp_path / "other.jsonl"
    if how == "hard link":
        os.link(big_input, other)
    elif how == "symlink":
        other.symlink_to(big_input)
    if how == "/dev/stdout":
        if not Path("/dev/stdout").exists():
            pytest.skip("no /dev/stdout")
        with open(big_input, "ab") as out:
            done = convcalc("batch", str(big_input), "-o", "/dev/stdout", stdout=out, timeout=30)
    else:
        done = convcalc("batch", str(big_input), "-o", str(other), timeout=30)
    assert "input file is output file" in one_error_line(done, "convcalc batch")
    assert big_input.read_bytes() == before


def test_batch_to_another_file_still_works(big_input: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    done = convcalc("batch", str(big_input), "-o", str(out), timeout=60)
    assert (done.returncode, done.stderr, done.stdout) == (0, b"", b"")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20_000
    # (16·3·3 + 1)·32 = 4,640 parameters.
    assert json.loads(lines[-1])["params"] == 4640


def test_a_batch_that_fails_midway_leaves_the_old_output_intact(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(LAYER * 100 + '{"variant": "frob"}\n' + LAYER, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday's results\n", encoding="utf-8")
    done = convcalc("batch", str(source), "--strict", "-o", str(out))
    assert "line 101" in one_error_line(done, "convcalc batch")
    assert out.read_text(encoding="utf-8") == "yesterday's results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_model_refuses_to_write_over_its_own_spec(tmp_path: Path) -> None:
    spec = tmp_path / "net.toml"
    spec.write_text('input = [3, 8, 8]\n[[layers]]\ntype = "pointwise"\ncout = 4\n')
    before = spec.read_bytes()
    done = convcalc("model", str(spec), "-o", str(spec))
    assert "input file is output file" in one_error_line(done, "convcalc model")
    assert spec.read_bytes() == before


def test_output_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old\n")
    out.chmod(0o640)
    done = convcalc("standard", "--cin", "4", "--cout", "4", "-q", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text() == "148\n"  # (4·3·3 + 1)·4
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_a_new_output_file_gets_the_umask_mode(tmp_path: Path) -> None:
    out = tmp_path / "new.txt"
    done = convcalc(
        "standard", "--cin", "4", "--cout", "4", "-q", "-o", str(out),
        preexec_fn=lambda: os.umask(0o027) and None,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_output_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    done = convcalc("standard", "--cin", "4", "--cout", "4", "-q", "-o", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and target.read_text() == "148\n"


def test_output_to_a_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # A reader that does not block, so that a writer that never comes cannot hang the test.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        done = convcalc("standard", "--cin", "4", "--cout", "4", "-q", "-o", str(fifo))
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
        assert os.read(reader, 100) == b"148\n"
    finally:
        os.close(reader)
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


# --- 2. write errors ---------------------------------------------------------------

FORMAT_RUNS = [
    [*fmt, *extra]
    for fmt in (["--format", f] for f in ("table", "json", "csv", "markdown", "svg", "html"))
    for extra in ([],)
] + [["-q"]]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("fmt", FORMAT_RUNS, ids=" ".join)
@pytest.mark.parametrize("where", ["-o /dev/full", "> /dev/full", "-o /proc/version"])
def test_write_errors_are_one_line(fmt: list[str], where: str) -> None:
    if where == "-o /proc/version" and not Path("/proc/version").exists():
        pytest.skip("no /proc/version")
    args = ["standard", "--cin", "64", "--cout", "128", *fmt]
    if where.startswith("-o"):
        done = convcalc(*args, "-o", where.split()[1])
    else:
        with open("/dev/full", "wb") as full:
            done = convcalc(*args, stdout=full)
    err = one_error_line(done, "convcalc standard")
    assert "cannot write" in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("where", ["-o", ">"])
def test_batch_write_errors_are_one_line(fmt: str, where: str) -> None:
    if where == "-o":
        done = convcalc("batch", "--format", fmt, "-o", "/dev/full", input=LAYER.encode())
    else:
        with open("/dev/full", "wb") as full:
            done = convcalc("batch", "--format", fmt, input=LAYER.encode(), stdout=full)
    assert "cannot write" in one_error_line(done, "convcalc batch")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["standard", "--help"]])
def test_help_to_a_full_device_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = convcalc(*args, stdout=full)
    prefix = " ".join(["convcalc", *args[:-1]])
    assert "cannot write" in one_error_line(done, prefix)


# --- 3. stdout closed ---------------------------------------------------------------

EVERY_COMMAND = [
    ["standard", "--cin", "4", "--cout", "4"],
    ["depthwise", "--cin", "4"],
    ["pointwise", "--cin", "4", "--cout", "4"],
    ["separable", "--cin", "4", "--cout", "4"],
    ["lite", "--cin", "4", "--cout", "4"],
    ["compare", "--cin", "4", "--cout", "4"],
    ["model", "mobilenet_v1"],
    ["sweep", "--cin", "4", "--cout", "4"],
    ["fit", "--cin", "4", "--max-params", "1k"],
    ["fit", "--model", "mobilenet_v1", "--max-params", "1M"],
]


def close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("args", [*EVERY_COMMAND, ["batch"]], ids=" ".join)
@pytest.mark.parametrize("extra", [[], ["--format", "json"], ["-q"]], ids=" ".join)
def test_closed_stdout_is_an_error(args: list[str], extra: list[str]) -> None:
    if args[0] == "batch" and extra == ["-q"]:
        pytest.skip("batch has no -q")
    if args[0] == "batch" and extra:
        extra = ["--format", "jsonl"]
    done = convcalc(*args, *extra, input=LAYER.encode(), stdout=None, preexec_fn=close_stdout)
    err = one_error_line(done, f"convcalc {args[0]}")
    assert "standard output is closed" in err


def test_closed_stdout_is_no_matter_with_an_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = convcalc(
        "standard", "--cin", "4", "--cout", "4", "-q", "-o", str(out),
        stdout=None, preexec_fn=close_stdout,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, b"")
    assert out.read_text() == "148\n"


# --- 5. -q -o --------------------------------------------------------------------

QUIET_RUNS = [
    (["standard", "--cin", "4", "--cout", "4"], "148\n"),  # (4·9 + 1)·4
    (["depthwise", "--cin", "4"], "40\n"),  # (9 + 1)·4
    (["pointwise", "--cin", "4", "--cout", "4"], "20\n"),  # (4 + 1)·4
    (["separable", "--cin", "4", "--cout", "4"], "60\n"),  # 40 + 20
    (["lite", "--cin", "4", "--cout", "4"], "60\n"),  # 20 + 40
    (["compare", "--cin", "4", "--cout", "4"], "148\n60\n60\n"),
    (["sweep", "--cin", "4", "--cout", "4", "--variants", "standard,pointwise"], "148 20\n"),
    # (4·9 + 1)·c <= 150 holds up to c = 4; pointwise (4 + 1)·c up to 30.
    (["fit", "standard", "--cin", "4", "--max-params", "150"], "4\n"),
    (["fit", "pointwise", "--cin", "4", "--max-params", "150"], "30\n"),
]


@pytest.mark.parametrize(("args", "expected"), QUIET_RUNS, ids=lambda a: " ".join(a)[:40])
def test_quiet_writes_to_the_output_file(args: list[str], expected: str, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = convcalc(*args, "-q", "-o", str(out))
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert out.read_text() == expected


@pytest.mark.parametrize(
    "args", [["model", "mobilenet_v1"], ["fit", "--model", "mobilenet_v1", "--max-params", "1M"]]
)
def test_quiet_writes_a_network_figure_to_the_output_file(args: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    plain = convcalc(*args, "-q")
    assert plain.returncode == 0 and plain.stdout
    done = convcalc(*args, "-q", "-o", str(out))
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    assert out.read_bytes() == plain.stdout


# --- 6. the same bytes to stdout and to -o --------------------------------------------

ESC = "\x1b"
HOSTILE_SPEC = (
    f'name = "net{ESC}]0;title\\u0007"\n'
    "input = [3, 8, 8]\n"
    "[[layers]]\n"
    'type = "pointwise"\n'
    f'name = "wipe{ESC}[2J[bold]x[/bold]"\n'
    "cout = 4\n"
).replace(ESC, "\\u001b")


@pytest.fixture
def hostile_spec(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.toml"
    path.write_text(HOSTILE_SPEC, encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "svg", "html"])
def test_stdout_and_output_file_get_the_same_bytes(
    fmt: str, hostile_spec: Path, tmp_path: Path
) -> None:
    out = tmp_path / f"out.{fmt}"
    piped = convcalc("model", str(hostile_spec), "--format", fmt)
    written = convcalc("model", str(hostile_spec), "--format", fmt, "-o", str(out))
    assert piped.returncode == written.returncode == 0, piped.stderr
    assert written.stdout == b""
    assert out.read_bytes() == piped.stdout


# --- 7. exit codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [["batch"], ["standard", "--cin", "4", "--cout", "4"], ["model", "mobilenet_v1"]]
)
def test_an_output_in_a_missing_directory_is_exit_2(args: list[str]) -> None:
    done = convcalc(*args, "-o", "/nonexistent/x", input=LAYER.encode())
    err = one_error_line(done, f"convcalc {args[0]}")
    assert (
        "cannot write '/nonexistent/x' ('-o' / '--output')" in err
        and "No such file or directory" in err
    )


def wait_until_reading_stdin(pid: int) -> None:
    """Until the process waits in read(0, ...): the run is under way, past start-up."""
    read = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())
    syscall = Path(f"/proc/{pid}/syscall")
    if read is None or not syscall.exists():
        time.sleep(1)  # nothing to tell by: give it time
        return
    for _ in range(3000):
        if syscall.read_text().startswith(f"{read} 0x0 "):
            return
        time.sleep(0.01)


def test_ctrl_c_is_exit_130_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    # Import everything first and say so, so that the signal lands in the run itself.
    code = (
        "import sys, convcalc.cli, convcalc.cli.batch, convcalc.views.batch\n"
        "print('ready', file=sys.stderr, flush=True)\n"
        "sys.argv = ['convcalc', 'batch', '-o', sys.argv[1]]\n"
        "convcalc.cli.main()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code, str(out)],
        env=environment(),
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=memory_limit(),
    ) as proc:
        assert proc.stdin is not None and proc.stderr is not None
        proc.stdin.write(LAYER.encode() * 10)
        proc.stdin.flush()
        assert proc.stderr.readline() == b"ready\n"
        wait_until_reading_stdin(proc.pid)
        proc.send_signal(signal.SIGINT)
        rest = proc.stderr.read()
        assert (proc.wait(timeout=30), rest) == (130, b"convcalc: interrupted\n"), rest.decode()
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def closed_pipe() -> tuple[int, Callable[[], None]]:
    """The write end of a pipe whose reader has gone, as after `| head -1`."""
    read, write = os.pipe()
    os.close(read)
    return write, lambda: os.close(write)


@pytest.mark.parametrize(
    "args",
    [
        *(["model", "mobilenet_v1", *fmt] for fmt in FORMAT_RUNS),
        ["compare", "--cin", "64", "--cout", "128", "--input", "56", "--chart"],
        ["batch"],
        ["batch", "--format", "csv"],
        ["--help"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_is_141_quietly(args: list[str]) -> None:
    write, close = closed_pipe()
    try:
        done = convcalc(*args, input=LAYER.encode() * 1000, stdout=write)
    finally:
        close()
    assert (done.returncode, done.stderr) == (141, b"")


def test_head_of_a_long_table_is_141_quietly() -> None:
    # 3,000 rows: far more than a pipe holds, so writing meets the closed pipe.
    with subprocess.Popen(
        [sys.executable, "-m", "convcalc", "sweep", "--cin", "1:3000", "--cout", "64"]
        + ["--variants", "standard"],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=memory_limit(),
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        assert (proc.wait(timeout=60), proc.stderr.read()) == (141, b"")


@pytest.mark.parametrize(
    ("words", "cword"),
    [
        ("convcalc frob --", 2),
        ("convcalc frob", 1),
        ("convcalc standard --cin x --", 4),
        ("convcalc model --width", 2),
        ("convcalc batch /nonexistent/x --", 3),
    ],
)
def test_completion_never_prints_an_error(words: str, cword: int) -> None:
    env = environment(_CONVCALC_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(cword))
    done = subprocess.run(
        [sys.executable, "-c", "from convcalc.cli import main; main()"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    assert b"error" not in done.stdout.lower()


def test_completion_still_completes() -> None:
    env = environment(_CONVCALC_COMPLETE="bash_complete", COMP_WORDS="convcalc sta", COMP_CWORD="1")
    done = subprocess.run(
        [sys.executable, "-c", "from convcalc.cli import main; main()"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert b"standard" in done.stdout


# --- 4. an output that cannot spell × or → ------------------------------------------

NARROW_ENCODINGS = {
    "ascii": {"PYTHONIOENCODING": "ascii"},
    "latin-1": {"PYTHONIOENCODING": "latin-1"},
    "C locale": {"LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"},
}


def narrow_environment(name: str) -> dict[str, str]:
    env = environment(**NARROW_ENCODINGS[name])
    if name == "C locale":
        for key in ("LANG", "LANGUAGE", "LC_CTYPE", "PYTHONIOENCODING"):
            env.pop(key, None)
    return env


def encoding_of(name: str) -> str:
    return "latin-1" if name == "latin-1" else "ascii"


SPELLED_RUNS = [
    ["standard", "--cin", "64", "--cout", "128", "--input", "56"],
    ["standard", "--cin", "64", "--cout", "128", "--format", "markdown"],
    ["standard", "--cin", "64", "--cout", "128", "--format", "csv"],
    ["separable", "--cin", "64", "--cout", "128", "--reported-by", "all", "--training"],
    ["compare", "--cin", "64", "--cout", "128", "--input", "56", "--chart"],
    ["model", "mobilenet_v1", "--as", "separable"],
    ["sweep", "--cin", "64", "--cout", "64:256:x2", "--input", "28", "--chart"],
    ["fit", "--model", "mobilenet_v1", "--max-params", "1M"],
    ["model", "--list"],
    ["--help"],
    ["standard", "--help"],
]


@pytest.mark.parametrize("encoding", NARROW_ENCODINGS)
@pytest.mark.parametrize("args", SPELLED_RUNS, ids=lambda a: " ".join(a)[:48])
def test_tables_are_spelled_for_an_encoding_without_times(encoding: str, args: list[str]) -> None:
    done = convcalc(*args, env=narrow_environment(encoding))
    assert (done.returncode, done.stderr) == (0, b""), done.stderr
    text = done.stdout.decode(encoding_of(encoding))  # strict: every byte is in it
    assert "\\x" not in text and "\\u" not in text  # convcalc's own all have spellings


def test_an_ascii_table_spells_the_figures_it_would_draw() -> None:
    done = convcalc(
        "standard", "--cin", "64", "--cout", "128", "--input", "56",
        env=narrow_environment("ascii"),
    )  # fmt: skip
    text = done.stdout.decode("ascii")
    assert "Standard convolution, 3x3, 64 -> 128 channels" in text
    assert "128x64x3x3" in text and "(64 x 3 x 3 + 1) x 128" in text
    assert "73,856" in text  # (64·3·3 + 1)·128


@pytest.mark.parametrize("encoding", NARROW_ENCODINGS)
@pytest.mark.parametrize(
    "args",
    [
        ["standard", "--cin", "64", "--cout", "128", "--input", "56"],
        ["model", "mobilenet_v1", "--as", "separable"],
        ["model", "-"],
    ],
    ids=" ".join,
)
def test_json_is_the_same_data_in_any_encoding(encoding: str, args: list[str]) -> None:
    stdin = HOSTILE_SPEC.replace("net", "réseau×").encode() if args[-1] == "-" else None
    if stdin is not None:
        args = ["model", "-", "--spec-format", "toml"]
    wide = convcalc(*args, "--format", "json", input=stdin)
    assert (wide.returncode, wide.stderr) == (0, b"")
    narrow = convcalc(*args, "--format", "json", env=narrow_environment(encoding), input=stdin)
    assert (narrow.returncode, narrow.stderr) == (0, b"")
    text = narrow.stdout.decode(encoding_of(encoding))
    assert json.loads(text) == json.loads(wide.stdout.decode())


@pytest.mark.parametrize("encoding", NARROW_ENCODINGS)
@pytest.mark.parametrize("fmt", ["svg", "html"])
def test_pictures_use_character_references(encoding: str, fmt: str) -> None:
    args = ["compare", "--cin", "64", "--cout", "128", "--format", fmt]
    wide = convcalc(*args)
    narrow = convcalc(*args, env=narrow_environment(encoding))
    assert (narrow.returncode, narrow.stderr) == (0, b"")
    text = narrow.stdout.decode(encoding_of(encoding))
    assert "&#8594;" in text  # →
    assert html.unescape(text) == html.unescape(wide.stdout.decode())  # the same picture


@pytest.mark.parametrize("encoding", NARROW_ENCODINGS)
def test_batch_output_in_any_encoding(encoding: str) -> None:
    lines = '{"variant": "standard", "cin": 4, "cout": 4}\n{"variant": "depthwise", "cin": 4, '
    lines += '"cout": 12, "multiplier": 2}\n'
    done = convcalc("batch", env=narrow_environment(encoding), input=lines.encode())
    assert done.returncode == 0
    records = [json.loads(r) for r in done.stdout.decode(encoding_of(encoding)).splitlines()]
    assert records[0]["params"] == 148  # (4·9 + 1)·4
    assert "multiplier=2 × cin=4" in records[1]["error"]  # the same text, escaped
    assert done.stderr.decode(encoding_of(encoding)) == "convcalc batch: 1 of 2 lines had errors\n"


@pytest.mark.parametrize("encoding", NARROW_ENCODINGS)
def test_error_messages_are_spelled_for_stderr(encoding: str) -> None:
    done = convcalc("depthwise", "--cin", "4", "--cout", "12", "-m", "2")
    assert "multiplier=2 × cin=4" in one_error_line(done, "convcalc depthwise")
    done = convcalc(
        "depthwise", "--cin", "4", "--cout", "12", "-m", "2", env=narrow_environment(encoding)
    )
    err = done.stderr.decode(encoding_of(encoding))  # strict
    assert done.returncode == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert ("multiplier=2 × cin=4" if encoding == "latin-1" else "multiplier=2 x cin=4") in err


@pytest.mark.parametrize("encoding", NARROW_ENCODINGS)
def test_a_name_the_encoding_cannot_spell_is_escaped(encoding: str) -> None:
    done = convcalc("model", "./réseau→.toml", env=narrow_environment(encoding))
    err = done.stderr.decode(encoding_of(encoding))  # strict
    assert done.returncode == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_an_output_file_is_utf8_whatever_the_terminal(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = convcalc(
        "standard", "--cin", "64", "--cout", "128", "-o", str(out),
        env=narrow_environment("ascii"),
    )  # fmt: skip
    assert done.returncode == 0
    assert "128×64×3×3" in out.read_text(encoding="utf-8")


def test_a_terminal_without_unicode_gets_ascii_bars_and_boxes() -> None:
    from rich.console import Console

    from convcalc.model.comparison import compare
    from convcalc.views.tables import compare_charts, compare_tables
    from convcalc.views.terminal import print_tables

    class AsciiTerminal(io.StringIO):
        encoding = "ascii"

    out = AsciiTerminal()
    console = Console(file=out, width=100, force_terminal=True, color_system=None)
    groups = [compare(cin=64, cout=128, input=56)]
    print_tables([*compare_tables(groups), *compare_charts(groups)], console)
    text = out.getvalue()
    # Boxes and bars in ASCII from the start (the writer spells the titles' arrows).
    assert "+---" in text and "#####" in text
    assert not set(text) & set("╭─│█▏▎▍▌▋▊▉")


# --- 8. escape sequences in names -----------------------------------------------------

RAW_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("fmt", ["table", "markdown", "svg", "html"])
def test_names_with_escape_sequences_are_shown_escaped(fmt: str, hostile_spec: Path) -> None:
    done = convcalc("model", str(hostile_spec), "--format", fmt)
    assert (done.returncode, done.stderr) == (0, b"")
    text = done.stdout.decode()
    assert not RAW_CONTROLS.search(text)
    shown = html.unescape(text) if fmt in ("svg", "html") else text
    shown = shown.replace("\xa0", " ")  # SVG's spaces
    assert "net\\x1b]0;title\\x07" in shown
    assert "wipe\\x1b[2J[bold]x[/bold]" in shown  # Rich markup stays literal too


def test_a_coloured_terminal_table_holds_no_escape_but_its_own(hostile_spec: Path) -> None:
    from rich.console import Console

    from convcalc.model.network import trace
    from convcalc.model.spec import build, load
    from convcalc.views.network import breakdown_table, network_table
    from convcalc.views.terminal import print_tables

    cost = trace(build(load(hostile_spec), str(hostile_spec)))
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=True, color_system="truecolor")
    print_tables(
        [network_table(cost, depth=1, dtype="fp32", batch=1), breakdown_table(cost)], console
    )
    text = out.getvalue()
    # Rich's own colours are "ESC[...m"; nothing else may start with ESC.
    assert re.findall("\x1b(?!\\[[0-9;]*m)", text) == []
    assert "\x07" not in text and "\\x1b[2J" in text


def test_c1_controls_and_bidi_overrides_are_escaped_too(tmp_path: Path) -> None:
    spec = tmp_path / "c1.json"
    name = "csi\x9b2J rtl\u202eevil"
    spec.write_text(json.dumps({"name": name, "input": [3, 8, 8], "layers": [
        {"type": "pointwise", "cout": 4, "name": name}]}))  # fmt: skip
    table = convcalc("model", str(spec)).stdout.decode()
    assert not RAW_CONTROLS.search(table) and "csi\\x9b2J rtl\\u202eevil" in table
    data = convcalc("model", str(spec), "--format", "json").stdout.decode()
    assert not RAW_CONTROLS.search(data)  # written as \\u009b and \\u202e ...
    assert json.loads(data)["name"] == name  # ... and read back exactly


def test_json_and_csv_keep_names_exactly(hostile_spec: Path) -> None:
    """Decided: JSON and CSV are data for programs, so a name is written as it is
    (JSON escapes control characters itself; CSV quotes what needs quoting); the
    human views escape it."""
    data = json.loads(convcalc("model", str(hostile_spec), "--format", "json").stdout)
    assert data["name"] == "net\x1b]0;title\x07"
    assert data["layers"][0]["name"] == "wipe\x1b[2J[bold]x[/bold]"
    text = convcalc("model", str(hostile_spec), "--format", "csv").stdout.decode()
    assert "wipe\x1b[2J[bold]x[/bold]" in text


def test_csv_names_read_back_exactly_and_escaping_would_merge_two(tmp_path: Path) -> None:
    """Why CSV is not escaped as the tables are: read with the csv module, every name
    comes back as written (newlines and returns quoted, other controls as they are),
    so rows join back to the spec or the ONNX graph by name. ``visible`` leaves a
    backslash as it is, so escaping would write an ESC and the four characters
    ``\\x1b`` the same: two layers, one name."""
    import csv

    from conftest import ok

    from convcalc.views.text import visible

    names = ["esc\x1b[2Jx", "esc\\x1b[2Jx", "two\nlines\r", "c1\x9b bidi\u202e"]
    assert visible(names[0]) == visible(names[1])  # what escaping would write for both
    layers = [{"type": "pointwise", "cout": 4, "name": name} for name in names]
    spec = tmp_path / "names.json"
    spec.write_text(json.dumps({"name": "n", "input": [3, 8, 8], "layers": layers}))
    rows = list(csv.DictReader(io.StringIO(ok("model", str(spec), "--format", "csv").stdout)))
    assert [row["name"] for row in rows] == [*names, "total"]


@pytest.mark.parametrize("exists", [False, True])
def test_error_lines_show_escape_sequences_escaped(tmp_path: Path, exists: bool) -> None:
    spec = tmp_path / "x\x1b[2J\x1b]0;t\x07.toml"
    if exists:  # a kernel larger than the input: the error names the file as given
        spec.write_text(
            'input = [3, 2, 2]\n[[layers]]\ntype = "standard"\ncout = 4\nkernel = 5\npadding = 0\n'
        )
    done = convcalc("model", str(spec))
    err = one_error_line(done, "convcalc model")
    assert "\x1b" not in err and "\x07" not in err
    assert "x\\x1b[2J\\x1b]0;t\\x07.toml" in err


# --- 9. a terminal too narrow for the table -----------------------------------------

NARROW_RUNS = [
    ["compare", "--cin", "64", "--cout", "128,64", "--input", "56"],
    ["standard", "--cin", "64", "--cout", "128", "--input", "56"],
    ["model", "mobilenet_v1"],
]


@functools.cache
def json_figures(args: tuple[str, ...]) -> set[int]:
    """The figures the table shows, read from the JSON: parameters and MACs of every
    row (each compare variant; a block's layers and total; a network's top-level
    layers and total)."""
    from click.testing import CliRunner

    from convcalc.cli import cli

    data = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    rows = data["variants"] if args[0] == "compare" else [data, *data["layers"]]
    figures = {row[key] for row in rows for key in ("params", "macs")}
    assert len(figures) >= 2 and None not in figures
    return figures


def render_at(args: list[str], width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """The table as a terminal ``width`` columns wide gets it, with colour off."""
    from click.testing import CliRunner
    from rich.console import Console

    import convcalc.views.terminal
    from convcalc.cli import cli

    def terminal(file: Any = None) -> Console:
        return Console(file=file, width=width, force_terminal=True, color_system=None)

    monkeypatch.setattr(convcalc.views.terminal, "make_console", terminal)
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


@pytest.mark.parametrize("args", NARROW_RUNS, ids=lambda a: a[0])
@pytest.mark.parametrize("width", [10, 24, 40, 60, 80])
def test_no_figure_vanishes_on_a_narrow_terminal(
    args: list[str], width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from convcalc.views.text import compact

    text = render_at(args, width, monkeypatch)
    # Exact, or at a glance (--units auto) with a line that says the counts are rounded.
    said = " ".join(text.split())
    rounded = "ounts rounded" in said
    missing = {
        n
        for n in json_figures(tuple(args))
        if f"{n:,}" not in text and not (rounded and compact(n) in said)
    }
    assert not missing, text
    # A grid, when drawn, fits: only notes (written whole) may be wider.
    grid = [line for line in text.splitlines() if "│" in line or "|" in line]
    assert all(len(line) <= width for line in grid), text


def test_columns_10_on_a_real_terminal() -> None:
    import pty

    master, slave = pty.openpty()
    args = ["model", "mobilenet_v1"]
    with subprocess.Popen(
        [sys.executable, "-m", "convcalc", *args],
        env=environment(COLUMNS="10", TERM="xterm"),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        preexec_fn=memory_limit(),
    ) as proc:
        os.close(slave)
        output = read_pty(master)
        assert proc.wait(timeout=60) == 0
    os.close(master)
    text = re.sub("\x1b\\[[0-9;]*m", "", output.decode())
    missing = {n for n in json_figures(tuple(args)) if f"{n:,}" not in text}
    assert not missing, text


@pytest.mark.parametrize("path", ["", "newdir/"])
def test_an_output_name_that_is_no_file_name_is_refused(path: str, tmp_path: Path) -> None:
    done = convcalc("standard", "--cin", "4", "--cout", "4", "-q", "-o", path, cwd=tmp_path)
    assert "is not a file name" in one_error_line(done, "convcalc standard")
    assert list(tmp_path.iterdir()) == []


def test_fit_refuses_to_write_over_its_own_spec(tmp_path: Path) -> None:
    spec = tmp_path / "net.toml"
    spec.write_text('input = [3, 8, 8]\n[[layers]]\ntype = "pointwise"\ncout = 4\n')
    before = spec.read_bytes()
    done = convcalc("fit", "--model", str(spec), "--max-params", "1k", "-o", str(spec))
    assert "input file is output file" in one_error_line(done, "convcalc fit")
    assert spec.read_bytes() == before


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["model", "--list"]], ids=" ".join)
def test_closed_stdout_is_an_error_for_help_too(args: list[str]) -> None:
    done = convcalc(*args, stdout=None, preexec_fn=close_stdout)
    prefix = "convcalc model" if args[0] == "model" else "convcalc"
    assert "standard output is closed" in one_error_line(done, prefix)

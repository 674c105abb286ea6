"""Spec files and networks read as an attacker would write them (issue #10).

Each test is named by what it attacks. The promise under test: bad input gives one
line on stderr and exit 2, in bounded time and memory; a failed budget exits 1 and
nothing else does; and the figures of what is accepted are right (checked against
arithmetic written out here, never against convcalc's own output).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from convcalc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
GIB = 1 << 30


def run(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def convcalc(
    *args: str, stdin: bytes | None = None, memory: int = GIB, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The command in its own process, held to ``memory`` bytes of address space: a
    run that hangs fails by its timeout, one that would exhaust memory by its limit."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    done = subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        input=stdin,
        capture_output=True,
        env=ENV,
        timeout=timeout,
        preexec_fn=limit,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def refused(done: Result | subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2 with exactly one line on stderr that holds each of ``words``."""
    code = done.exit_code if isinstance(done, Result) else done.returncode
    assert code == 2, (code, done.stdout[-500:], done.stderr[-2000:])
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n"), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)
    return done.stderr


def succeeded(done: Result | subprocess.CompletedProcess[str]) -> str:
    code = done.exit_code if isinstance(done, Result) else done.returncode
    assert code == 0, (code, done.stderr[-2000:])
    assert done.stderr == ""
    return done.stdout


def spec_file(tmp_path: Path, data: dict[str, object] | str, name: str = "net.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# A pointwise 4 -> 8 convolution with bias on a 4×8×8 map: (4 + 1) × 8 = 40 params.
POINTWISE_TOML = 'input = [4, 8, 8]\n[[layers]]\ntype = "pointwise"\ncout = 8\n'
POINTWISE_JSON = '{"input": [4, 8, 8], "layers": [{"type": "pointwise", "cout": 8}]}'
POINTWISE_PARAMS = (4 + 1) * 8


# --- reading the spec ------------------------------------------------------------


@pytest.mark.parametrize("text", [POINTWISE_TOML, POINTWISE_JSON], ids=["toml", "json"])
def test_spec_from_stdin_dash_sniffs_the_format(text: str) -> None:
    assert succeeded(run("model", "-", "-q", stdin=text)) == f"{POINTWISE_PARAMS}\n"


@pytest.mark.parametrize(("text", "fmt"), [(POINTWISE_TOML, "toml"), (POINTWISE_JSON, "json")])
def test_spec_from_stdin_with_spec_format(text: str, fmt: str) -> None:
    result = run("model", "-", "--spec-format", fmt, "-q", stdin=text)
    assert succeeded(result) == f"{POINTWISE_PARAMS}\n"
    # The other format is refused, naming what went wrong, not silently reread.
    other = "json" if fmt == "toml" else "toml"
    refused(run("model", "-", "--spec-format", other, "-q", stdin=text), f"invalid {other.upper()}")


def test_fit_model_reads_stdin_too() -> None:
    # Budget 40 parameters: the spec's own width (1) fits exactly, and at 1.125 the
    # pointwise layer has int(8 × 1.125) = 9 outputs, (4 + 1) × 9 = 45 > 40; the largest
    # width with 8 outputs is the last step below 9 / 8, 1.124.
    result = run("fit", "--model", "-", "--max-params", "40", "-q", stdin=POINTWISE_JSON)
    assert succeeded(result) == "1.124\n"


def test_spec_from_dev_stdin_pipe() -> None:
    done = convcalc("model", "/dev/stdin", "-q", stdin=POINTWISE_TOML.encode())
    assert succeeded(done) == f"{POINTWISE_PARAMS}\n"


def test_spec_from_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "w") as handle:
            handle.write(POINTWISE_JSON)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        done = convcalc("model", str(fifo), "-q", timeout=30)
    finally:
        writer.join(timeout=30)
    assert succeeded(done) == f"{POINTWISE_PARAMS}\n"


def test_spec_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with open(path, "wb") as handle:
        handle.truncate((64 << 20) + 1)  # sparse: nothing to read, one byte over 64 MiB
    refused(convcalc("model", str(path), memory=GIB // 2), "64 MiB", str(path))


def test_endless_spec_stream_is_bounded() -> None:
    refused(convcalc("model", "/dev/zero", memory=GIB, timeout=60), "64 MiB")


def test_spec_on_stdin_over_the_limit_is_refused() -> None:
    done = convcalc("model", "-", stdin=b"#" * ((64 << 20) + 1), memory=GIB, timeout=60)
    refused(done, "64 MiB")


@pytest.mark.parametrize("text", [POINTWISE_TOML, POINTWISE_JSON], ids=["toml", "json"])
def test_byte_order_mark_is_accepted(tmp_path: Path, text: str) -> None:
    name = "bom.json" if text.startswith("{") else "bom.toml"
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert succeeded(run("model", str(path), "-q")) == f"{POINTWISE_PARAMS}\n"
    assert succeeded(run("model", "-", "-q", stdin="\ufeff" + text)) == f"{POINTWISE_PARAMS}\n"


def test_spec_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(POINTWISE_TOML.replace("pointwise", "p\xe9intwise").encode("latin-1"))
    refused(run("model", str(path)), str(path), "UTF-8")


@pytest.mark.parametrize(
    ("text", "key", "place"),
    [
        (
            '{"input": [4, 8, 8], "layers": [{"type": "pointwise", "cout": 4, "cout": 400}]}',
            "'cout'",
            "layers[0]",
        ),
        ('{"input": [4, 8, 8], "input": [4, 9, 9], "layers": []}', "'input'", "top level"),
        (
            '{"input": [4, 8, 8], "layers": [{"type": "parallel", "streams": [[{"use": "g"}]],'
            ' "shared": {"g": {"type": "gate", "reduction": 2, "reduction": 4}}}]}',
            "'reduction'",
            "layers[0].shared.g",
        ),
    ],
    ids=["layer", "top", "nested"],
)
def test_duplicate_json_keys_are_refused(tmp_path: Path, text: str, key: str, place: str) -> None:
    path = spec_file(tmp_path, text)
    before = path.read_bytes()
    refused(run("model", str(path)), str(path), key, place)
    assert path.read_bytes() == before


def test_duplicate_toml_keys_stay_refused(tmp_path: Path) -> None:
    path = spec_file(tmp_path, POINTWISE_TOML + "cout = 400\n", "dup.toml")
    refused(run("model", str(path)), str(path), "invalid TOML")


@pytest.mark.parametrize("command", [["model"], ["fit", "--max-params", "1", "--model"]])
def test_spec_name_longer_than_the_system_allows(command: list[str]) -> None:
    name = "a" * 300
    refused(run(*command, name), "File name too long")
    refused(run(*command, "d/" * 3000 + "x.toml"))


@pytest.mark.parametrize("command", [["model"], ["fit", "--max-params", "1", "--model"]])
def test_spec_that_is_a_directory(tmp_path: Path, command: list[str]) -> None:
    refused(run(*command, str(tmp_path)), "directory")


def test_spec_behind_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    refused(run("model", str(loop)), str(loop))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_spec_without_permission(tmp_path: Path) -> None:
    path = spec_file(tmp_path, POINTWISE_TOML, "secret.toml")
    path.chmod(0)
    refused(run("model", str(path)), "ermission denied")


@pytest.mark.parametrize("digits", [101, 5000, 3_000_000])
@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_spec_number_with_too_many_digits(tmp_path: Path, digits: int, fmt: str) -> None:
    number = "9" * digits
    if fmt == "json":
        text = POINTWISE_JSON.replace('"cout": 8', f'"cout": {number}')
    else:
        text = POINTWISE_TOML.replace("cout = 8", f"cout = {number}")
    path = spec_file(tmp_path, text, f"big.{fmt}")
    refused(convcalc("model", str(path), timeout=30), "100 digits")

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
from click.testing import Result
from conftest import ROOT, run

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
GIB = 1 << 30


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


def test_spec_from_stdin_is_named_stdin_in_errors() -> None:
    refused(run("model", "-", stdin=""), "<stdin>: input")
    bad = '{"input": [3, 8, 8], "layers": [{"type": "linear", "cout": 3}]}'
    refused(run("fit", "--model", "-", "--max-params", "9", stdin=bad), "<stdin>: layers[0]")


def test_spec_from_closed_stdin() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "convcalc", "model", "-"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
        preexec_fn=lambda: os.close(0),
        check=False,
    )
    refused(done, "standard input")


def test_directory_named_as_a_preset_does_not_hide_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mobilenet_v1").mkdir()
    monkeypatch.chdir(tmp_path)
    succeeded(run("model", "mobilenet_v1", "-q"))


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


# --- a few bytes that expand without bound -----------------------------------------


def test_repeat_of_a_billion_is_refused(tmp_path: Path) -> None:
    text = 'input = [4, 8, 8]\n[[layers]]\ntype = "pointwise"\ncout = 4\nrepeat = 1000000000\n'
    path = spec_file(tmp_path, text, "repeat.toml")
    assert path.stat().st_size < 90
    done = convcalc("model", str(path), memory=GIB // 2, timeout=30)
    refused(done, str(path), "layers[0].repeat", "1,000,000,000", "10,000")


def test_repeat_at_the_limit_is_built(tmp_path: Path) -> None:
    text = 'input = [4, 8, 8]\n[[layers]]\ntype = "pointwise"\ncout = 4\nrepeat = 10000\n'
    path = spec_file(tmp_path, text, "repeat.toml")
    # 10,000 pointwise 4 -> 4 layers with bias: 10,000 × (4 + 1) × 4 parameters.
    assert succeeded(run("model", str(path), "-q")) == f"{10_000 * (4 + 1) * 4}\n"


def doubling_modules(levels: int) -> dict[str, object]:
    """Shared modules that each use the one before twice: 2 ** levels pointwise layers."""
    shared: dict[str, object] = {"m0": {"type": "pointwise", "cout": 4}}
    for level in range(1, levels + 1):
        twice = [{"use": f"m{level - 1}"}, {"use": f"m{level - 1}"}]
        shared[f"m{level}"] = {"type": "residual", "layers": twice}
    stream = [{"use": f"m{levels}"}]
    return {
        "input": [4, 8, 8],
        "layers": [{"type": "parallel", "shared": shared, "streams": [stream]}],
    }


@pytest.mark.parametrize(
    ("levels", "bound"),
    # 400 levels nest past MAX_NESTING (100) before the count passes 100,000 layers.
    [(20, "100,000 layers"), (40, "100,000 layers"), (400, "nest at most 100 deep")],
)
def test_nested_shared_modules_are_counted_before_they_are_built(
    tmp_path: Path, levels: int, bound: str
) -> None:
    path = spec_file(tmp_path, doubling_modules(levels))
    done = convcalc("model", str(path), memory=GIB // 2, timeout=30)
    refused(done, str(path), bound)


def test_layer_count_is_exact_at_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from convcalc.model import spec

    # A residual of two pointwise layers, three times: 3 × (1 + 2) = 9 layers; then a
    # parallel (1) whose two streams each use a module of one residual and one pointwise
    # layer (2 each): 1 + 2 + 2 = 5. In all 14.
    pointwise = {"type": "pointwise", "cout": 4}
    data = {
        "input": [4, 8, 8],
        "layers": [
            {"type": "residual", "layers": [pointwise, pointwise], "repeat": 3},
            {
                "type": "parallel",
                "shared": {"m": {"type": "residual", "layers": [pointwise]}},
                "streams": [[{"use": "m"}], [{"use": "m"}]],
            },
        ],
    }
    path = spec_file(tmp_path, data)
    monkeypatch.setattr(spec, "MAX_NODES", 14)
    succeeded(run("model", str(path), "-q"))
    monkeypatch.setattr(spec, "MAX_NODES", 13)
    refused(run("model", str(path)), "layers[1]", "13 layers")


def shared_spec(shared: dict[str, object], use: str = "a") -> dict[str, object]:
    return {
        "input": [4, 8, 8],
        "layers": [{"type": "parallel", "shared": shared, "streams": [[{"use": use}]]}],
    }


@pytest.mark.parametrize(
    ("shared", "named"),
    [
        ({"a": {"use": "a"}}, "shared module 'a' uses itself"),
        ({"a": {"type": "residual", "layers": [{"use": "a"}]}}, "shared module 'a' uses itself"),
        (
            {
                "a": {"type": "residual", "layers": [{"use": "b"}]},
                "b": {"type": "residual", "layers": [{"use": "a"}]},
            },
            "a -> b -> a",
        ),
        (
            {
                "a": {"type": "residual", "layers": [{"use": "b"}]},
                "b": {"type": "residual", "layers": [{"use": "c"}]},
                "c": {
                    "type": "parallel",
                    "streams": [[{"use": "a"}]],
                    "shared": {"d": {"type": "pointwise", "cout": 4}},
                },
            },
            "a -> b -> c -> a",
        ),
    ],
    ids=["use", "residual", "two", "three"],
)
def test_self_referencing_shared_modules_name_the_cycle(
    tmp_path: Path, shared: dict[str, object], named: str
) -> None:
    path = spec_file(tmp_path, shared_spec(shared))
    refused(run("model", str(path)), str(path), "layers[0].shared.a", named)


@pytest.mark.parametrize("use", [[], {}, 3, None])
def test_use_of_a_name_that_is_not_a_string(tmp_path: Path, use: object) -> None:
    data = {"input": [4, 8, 8], "layers": [{"use": use}]}
    refused(run("model", str(spec_file(tmp_path, data))), "layers[0].use")


# --- shared modules ----------------------------------------------------------------


def test_shared_module_on_two_channel_counts_is_refused(tmp_path: Path) -> None:
    data = {
        "input": [4, 8, 8],
        "layers": [
            {
                "type": "parallel",
                "merge": "concat",
                "shared": {"pw": {"type": "pointwise", "cout": 8}},
                "streams": [[{"use": "pw"}], [{"type": "pointwise", "cout": 16}, {"use": "pw"}]],
            }
        ],
    }
    path = spec_file(tmp_path, data)
    refused(run("model", str(path)), "'pw'", "4 channels", "16 channels", "layers[0].streams[1][1]")


def test_repeated_block_has_its_own_shared_modules(tmp_path: Path) -> None:
    # A gate on 16 channels with reduction 4: fc1 16 -> 4 with bias, 16 × 4 + 4 = 68;
    # fc2 4 -> 16 with bias, 4 × 16 + 16 = 80; 148 in all. Shared by the two streams of
    # one block, but the block is repeated: two blocks, two gates, 2 × 148.
    data = {
        "input": [16, 8, 8],
        "layers": [
            {
                "type": "parallel",
                "repeat": 2,
                "shared": {"g": {"type": "gate", "reduction": 4}},
                "streams": [[{"use": "g"}], [{"use": "g"}]],
            }
        ],
    }
    assert succeeded(run("model", str(spec_file(tmp_path, data)), "-q")) == f"{2 * 148}\n"


def test_shared_module_sees_the_modules_where_it_is_declared(tmp_path: Path) -> None:
    # Module m uses x. Where m is declared, x is a pointwise 4 -> 4, (4 + 1) × 4 = 20
    # parameters; the inner block that uses m declares an x of its own (a 3×3 4 -> 4,
    # (4 × 9 + 1) × 4 = 148), which m does not see.
    inner = {
        "type": "parallel",
        "shared": {"x": {"type": "standard", "cout": 4, "kernel": 3}},
        "streams": [[{"use": "m"}]],
    }
    data = {
        "input": [4, 8, 8],
        "layers": [
            {
                "type": "parallel",
                "shared": {
                    "x": {"type": "pointwise", "cout": 4},
                    "m": {"type": "residual", "layers": [{"use": "x"}]},
                },
                "streams": [[inner]],
            }
        ],
    }
    assert succeeded(run("model", str(spec_file(tmp_path, data)), "-q")) == "20\n"


# --- the width multiplier ------------------------------------------------------------


def test_width_with_a_huge_exponent_is_refused_at_once() -> None:
    done = convcalc("model", "mobilenet_v1", "--width", "1e-99999999", memory=GIB // 2, timeout=30)
    refused(done, "--width", "0.001", "4")


@pytest.mark.parametrize(
    "width",
    [
        "",
        " ",
        "٠.٥",  # Arabic-Indic digits: sizes refuse them, and so does the width
        "0.５",  # a fullwidth digit
        "0",
        "0.0009",
        "4.001",
        "5",
        "-0.5",
        "1/2",
        "1e-3",
        "nan",
        "inf",
        "0x1",
        "1_0",
        "0.5.5",
        "0." + "5" * 100,
        "1" * 10_000,
    ],
)
def test_width_that_is_not_a_plain_decimal_in_range(width: str) -> None:
    refused(run("model", "mobilenet_v1", "--width", width), "--width", "0.001", "4")


def test_width_bad_before_the_spec_is_read(tmp_path: Path) -> None:
    # The option is checked as it is parsed, so the message is about the width even
    # when the spec would fail too.
    refused(run("model", str(tmp_path / "missing.toml"), "--width", "9"), "--width")


@pytest.mark.parametrize(
    ("width", "channels"),
    [
        ("0.001", 1),  # int(8 × 0.001) = 0, never below min_channels = 1
        ("4", 32),
        ("4.000", 32),
        (".5", 4),
        ("1.", 8),
        (" 0.75 ", 6),
        ("0." + "9" * 99, 7),  # 99 nines: just below 1, int(8 × 0.99…9) = 7
    ],
)
def test_width_plain_decimals_in_range(tmp_path: Path, width: str, channels: int) -> None:
    path = spec_file(tmp_path, POINTWISE_JSON)
    # pointwise 4 -> channels with bias: (4 + 1) × channels
    assert succeeded(run("model", str(path), "--width", width, "-q")) == f"{5 * channels}\n"


# --- a declared cin at another width ------------------------------------------------

# A 3×3 convolution 3 -> 32, then a pointwise layer that declares its 32 inputs, -> 16.
DECLARED_CIN = {
    "input": [3, 8, 8],
    "layers": [
        {"type": "standard", "cout": 32, "kernel": 3},
        {"type": "pointwise", "cin": 32, "cout": 16},
    ],
}


def test_declared_cin_scales_with_the_width(tmp_path: Path) -> None:
    path = spec_file(tmp_path, DECLARED_CIN)
    # Width 0.5: 3 -> 16, (3 × 9 + 1) × 16 = 448; 16 -> 8, (16 + 1) × 8 = 136.
    assert succeeded(run("model", str(path), "--width", "0.5", "-q")) == f"{448 + 136}\n"
    # Width 1: (3 × 9 + 1) × 32 = 896; (32 + 1) × 16 = 528.
    assert succeeded(run("model", str(path), "-q")) == f"{896 + 528}\n"


def test_fit_finds_a_width_for_a_spec_that_declares_cin(tmp_path: Path) -> None:
    path = spec_file(tmp_path, DECLARED_CIN)
    # params(α) = 28 × c1 + (c1 + 1) × c2 with c1 = int(32α), c2 = int(16α). Width 0.5
    # gives c1 = 16, c2 = 8: 448 + 136 = 584. c1 reaches 17 at α = 17/32 = 0.53125; at
    # 0.532, c1 = 17 and c2 = int(8.512) = 8: 476 + 144 = 620 > 584. So 0.531.
    result = run("fit", "--model", str(path), "--max-params", "584", "-q")
    assert succeeded(result) == "0.531\n"


def test_wrong_declared_cin_is_refused_at_any_width(tmp_path: Path) -> None:
    data = json.loads(json.dumps(DECLARED_CIN))
    data["layers"][1]["cin"] = 16  # what the first layer gives at width 0.5, not at 1
    path = spec_file(tmp_path, data)
    refused(run("model", str(path)), "layers[1].cin", "declares 16", "gives 32")
    refused(run("model", str(path), "--width", "0.5"), "layers[1].cin", "16 at width 0.5")


def test_declared_cin_after_a_concatenation_and_a_linear_layer(tmp_path: Path) -> None:
    # Two pointwise streams 4 -> 32, concatenated: 64 channels as written. At width 0.3
    # each has int(32 × 0.3) = int(9.6) = 9 outputs: (4 + 1) × 9 = 45 each, 18 channels
    # in all (where int(64 × 0.3) would be 19). Then pointwise cin = 64 -> int(10 × 0.3)
    # = 3: (18 + 1) × 3 = 57. A global pool, and a linear layer declaring cin = 10 at
    # width 1 (3 at 0.3) -> 5, which keeps its channels: (3 + 1) × 5 = 20.
    stream = [{"type": "pointwise", "cout": 32}]
    data = {
        "input": [4, 8, 8],
        "layers": [
            {"type": "parallel", "merge": "concat", "streams": [stream, stream]},
            {"type": "pointwise", "cin": 64, "cout": 10},
            {"type": "pool", "global": True},
            {"type": "linear", "cin": 10, "cout": 5},
            {"type": "linear", "cin": 5, "cout": 2},  # (5 + 1) × 2 = 12
        ],
    }
    path = spec_file(tmp_path, data)
    result = run("model", str(path), "--width", "0.3", "-q")
    assert succeeded(result) == f"{45 + 45 + 57 + 20 + 12}\n"


# --- fit --model ---------------------------------------------------------------------

BROKEN = [
    pytest.param(
        {"input": [3, 8, 8], "layers": [{"type": "pointwise", "cout": 8, "colour": 1}]},
        "layers[0].colour",
        id="unknown-key",
    ),
    pytest.param(
        {"input": [3, 8, 8], "layers": [{"type": "linear", "cout": 8}]},
        "pool it to 1×1",
        id="linear-unpooled",
    ),
    pytest.param(
        {
            "input": [3, 4, 4],
            "layers": [{"type": "standard", "cout": 8, "kernel": 7, "padding": 0}],
        },
        "empty output",
        id="kernel-too-large",
    ),
    pytest.param(
        {"input": [3, 8, 8], "layers": [{"type": "standard", "cout": 8, "groups": 2}]},
        "groups",
        id="groups-at-width-1",
    ),
    pytest.param(shared_spec({"a": {"use": "a"}}), "uses itself", id="cycle"),
    pytest.param(doubling_modules(40), "100,000 layers", id="expands"),
]


@pytest.mark.parametrize(("data", "named"), BROKEN)
def test_fit_model_on_a_broken_spec_is_bad_input_not_over_budget(
    tmp_path: Path, data: dict[str, object], named: str
) -> None:
    path = spec_file(tmp_path, data)
    model = refused(run("model", str(path)), named)
    for budget in ("1", "1000000000"):
        fit = refused(run("fit", "--model", str(path), "--max-params", budget), named)
        # The same message model gives, behind the command's own prefix.
        assert fit.split(": error: ", 1)[1] == model.split(": error: ", 1)[1]


GROUPED = 'input = [3, 8, 8]\n[[layers]]\ntype = "standard"\ncout = 6\ngroups = 3\nkernel = 1\n'


@pytest.mark.parametrize(
    ("budget", "answer"),
    [
        # Params = (3/3 × 1 × 1 + 1) × cout = 2 × cout, cout = int(6α) at width α, which
        # can be built only when 3 divides it. Budget 12: cout 6, α < 7/6: 1.166.
        ("12", "1.166"),
        ("17", "1.166"),  # cout 9 would be 18
        ("18", "1.666"),  # cout 9, α < 10/6
        # Budget 6: cout 3, α < 4/6: 0.666.
        ("6", "0.666"),
        ("11", "0.666"),
    ],
)
def test_fit_model_skips_widths_that_cannot_be_built(
    tmp_path: Path, budget: str, answer: str
) -> None:
    path = spec_file(tmp_path, GROUPED, "grp.toml")
    assert succeeded(run("model", str(path), "-q")) == "12\n"  # 2 × 6, at width 1
    result = run("fit", "--model", str(path), "--max-params", budget, "-q")
    assert succeeded(result) == f"{answer}\n"


def test_min_channels_applies_at_width_1_too(tmp_path: Path) -> None:
    # A lite block 12 -> 3 (1×1 kernel) with min_channels = 4: at width 0.999,
    # max(int(3 × 0.999), 4) = 4 channels, and at width 1 it must not fall back to 3
    # (TF-slim: max(int(d × α), min_depth) at any α). Pointwise (12 + 1) × 4 = 52,
    # depthwise (1 + 1) × 4 = 8: 60 from 0.001 up to α < 5/3, where int(3α) reaches 5.
    data = {
        "input": [12, 8, 8],
        "min_channels": 4,
        "layers": [{"type": "lite", "cout": 3, "kernel": 1}],
    }
    path = spec_file(tmp_path, data)
    for width in ("0.999", "1"):
        assert succeeded(run("model", str(path), "--width", width, "-q")) == "60\n"
    assert succeeded(run("fit", "--model", str(path), "--max-params", "60", "-q")) == "1.666\n"
    assert run("fit", "--model", str(path), "--max-params", "59").exit_code == 1


def test_fit_model_nothing_that_can_be_built_fits(tmp_path: Path) -> None:
    path = spec_file(tmp_path, GROUPED, "grp.toml")
    done = run("fit", "--model", str(path), "--max-params", "5")  # cout 3 needs 6
    assert done.exit_code == 1 and done.stderr.count("\n") == 1
    assert "check failed" in done.stderr and "0.001" in done.stderr


def search(buildable: set[int], budget: int, top: int) -> tuple[int | None, list[int]]:
    """largest_width over widths n/10 (1 <= n <= top), cost n where n can be built."""
    from fractions import Fraction
    from types import SimpleNamespace

    from convcalc.model.core import ConvCalcError
    from convcalc.model.fit import Budget, largest_width

    built: list[int] = []

    def build(alpha: Fraction) -> SimpleNamespace:
        n = int(alpha * 10)
        built.append(n)
        if n not in buildable:
            raise ConvCalcError(f"cannot build {n}")
        return SimpleNamespace(params=n, macs=0)

    found = largest_width(build, Budget(max_params=budget), resolution=10, most=top // 10)
    return (None if found is None else int(found[0] * 10)), built


@pytest.mark.parametrize(
    ("buildable", "budget", "answer"),
    [
        (set(range(1, 41)), 25, 25),  # everything can be built: plain bisection
        ({10, 20, 30, 40}, 25, 20),  # a grid of buildable widths
        (set(range(1, 41)) - set(range(20, 31)), 25, 19),  # a gap over the answer
        (set(range(1, 41)) - set(range(20, 31)), 35, 35),  # a gap under it
        ({40}, 100, 40),  # only the widest
        ({1}, 1, 1),  # only the thinnest
        ({1}, 0, None),
        (set(), 100, None),  # nothing can be built
        ({5, 6, 7}, 4, None),  # nothing that can be built fits
    ],
)
def test_width_search_by_hand(buildable: set[int], budget: int, answer: int | None) -> None:
    found, built = search(buildable, budget, 40)
    assert found == answer
    if found is not None:
        # The answer's network is built once more at the end: only figures are kept.
        assert built[-1] == found
        built = built[:-1]
    assert len(built) == len(set(built))  # no width is built twice during the search


def test_width_search_against_every_width() -> None:
    import random

    rng = random.Random(10)
    for _ in range(300):
        buildable = {n for n in range(1, 41) if rng.random() < rng.choice([0.05, 0.3, 0.9])}
        budget = rng.randrange(0, 45)
        expected = max((n for n in buildable if n <= budget), default=None)
        found, built = search(buildable, budget, 40)
        assert found == expected, (sorted(buildable), budget)
        if found is not None:
            assert built.pop() == found  # the answer, built once more at the end
        assert len(built) == len(set(built))


# --- model --as ----------------------------------------------------------------------

POOL_ONLY = {"input": [3, 8, 8], "layers": [{"type": "pool", "kind": "max", "kernel": 2}]}


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "html"])
@pytest.mark.parametrize("variant", ["standard", "separable", "lite"])
def test_swap_of_a_network_without_parameters(tmp_path: Path, fmt: str, variant: str) -> None:
    path = spec_file(tmp_path, POOL_ONLY)
    out = succeeded(run("model", str(path), "--as", variant, "--format", fmt))
    if fmt == "json":
        data = json.loads(out)
        assert data["params_ratio"] is None and data["macs_ratio"] is None
        assert data["original"]["params"] == data["swapped"]["params"] == 0
    elif fmt == "table":
        assert "(0.00 M), --;" in " ".join(out.split())


def test_swap_of_a_network_without_parameters_with_training(tmp_path: Path) -> None:
    path = spec_file(tmp_path, POOL_ONLY)
    succeeded(run("model", str(path), "--as", "standard", "--training"))
    succeeded(run("model", str(path), "--as", "standard", "--training", "--format", "json"))


# A transposed 4×4 convolution 16 -> 16, stride 2, padding 1: 8×8 -> (8 - 1) × 2 - 2 + 3
# + 1 = 16×16. Weight (cin, cout, 4, 4) = 16 × 16 × 16 = 4,096, bias 16: 4,112. Then a
# 3×3 convolution 16 -> 16: (16 × 9 + 1) × 16 = 2,320, as separable (9 + 1) × 16 +
# (16 + 1) × 16 = 160 + 272 = 432.
UPSAMPLE = {
    "input": [16, 8, 8],
    "layers": [
        {
            "type": "standard",
            "name": "up",
            "cout": 16,
            "kernel": 4,
            "stride": 2,
            "padding": 1,
            "transposed": True,
        },
        {"type": "standard", "name": "conv", "cout": 16, "kernel": 3},
    ],
}


def test_swap_keeps_a_transposed_convolution_and_says_so(tmp_path: Path) -> None:
    path = spec_file(tmp_path, UPSAMPLE)
    data = json.loads(succeeded(run("model", str(path), "--as", "separable", "--format", "json")))
    assert data["original"]["params"] == 4112 + 2320
    assert data["swapped"]["params"] == 4112 + 432
    up = data["swapped"]["layers"][0]
    assert up["output_shape"] == [16, 16, 16] and up["params"] == 4112
    assert data["swapped"]["output_shape"] == [16, 16, 16]
    assert data["kept"] == [{"index": "1", "name": "up", "reason": "transposed"}]
    table = succeeded(run("model", str(path), "--as", "separable"))
    assert "standard (kept)" in table
    assert "Kept as it is" in table and "up" in table and "transposed" in table


def test_swap_without_anything_kept_says_nothing_of_it(tmp_path: Path) -> None:
    data = {"input": [16, 8, 8], "layers": [UPSAMPLE["layers"][1]]}  # type: ignore[index]
    path = spec_file(tmp_path, data)
    out = json.loads(succeeded(run("model", str(path), "--as", "lite", "--format", "json")))
    assert out["kept"] == []
    assert "kept" not in succeeded(run("model", str(path), "--as", "lite"))


def test_swap_inside_blocks_keeps_with_the_table_index(tmp_path: Path) -> None:
    transposed = dict(UPSAMPLE["layers"][0])  # type: ignore[index]
    # Kernel 3, stride 1, padding 1: (8 - 1) × 1 - 2 + 2 + 1 = 8, the size it was given.
    transposed.update(kernel=3, stride=1)
    data = {
        "input": [16, 8, 8],
        "layers": [
            {"type": "pointwise", "cout": 16},
            {"type": "residual", "layers": [{"type": "pointwise", "cout": 16}, transposed]},
        ],
    }
    path = spec_file(tmp_path, data)
    out = json.loads(succeeded(run("model", str(path), "--as", "lite", "--format", "json")))
    # The residual is row 2; its body row 2.1; the body's second layer 2.1.2.
    assert out["kept"] == [{"index": "2.1.2", "name": "up", "reason": "transposed"}]


@pytest.mark.parametrize(
    ("layer", "params"),
    [
        # Grouped 3×3, 4 -> 8 in 2 groups: (4/2 × 9 + 1) × 8 = 152. It is a standard
        # convolution already: --as standard leaves it grouped.
        ({"type": "standard", "cout": 8, "kernel": 3, "groups": 2}, 152),
        # Separable with multiplier 2, 4 -> 8: depthwise 4 -> 8, (9 + 1) × 8 = 80; then
        # pointwise 8 -> 8, (8 + 1) × 8 = 72: 152. --as separable keeps the multiplier.
        ({"type": "separable", "cout": 8, "kernel": 3, "multiplier": 2}, 152),
        # Lite 4 -> 8 on a 1D map with dilation 2: (4 + 1) × 8 + (3 + 1) × 8 = 72.
        ({"type": "lite", "cout": 8, "kernel": 3, "dilation": 2}, 72),
    ],
)
def test_swap_to_the_same_variant_changes_nothing(
    tmp_path: Path, layer: dict[str, object], params: int
) -> None:
    dims = [8] if layer["type"] == "lite" else [8, 8]
    path = spec_file(tmp_path, {"input": [4, *dims], "layers": [layer]})
    variant = str(layer["type"])
    assert succeeded(run("model", str(path), "-q")) == f"{params}\n"
    assert succeeded(run("model", str(path), "--as", variant, "-q")) == f"{params}\n"


@pytest.mark.parametrize(
    ("variant", "params"),
    [
        # 3×3×3 convolution 4 -> 8, dilation 2, on a 3D map. As separable: depthwise
        # (27 + 1) × 4 = 112, pointwise (4 + 1) × 8 = 40. As lite: (4 + 1) × 8 = 40,
        # depthwise (27 + 1) × 8 = 224.
        ("separable", 112 + 40),
        ("lite", 40 + 224),
    ],
)
def test_swap_keeps_dilation_and_rank(tmp_path: Path, variant: str, params: int) -> None:
    layer = {"type": "standard", "cout": 8, "kernel": 3, "dilation": 2}
    path = spec_file(tmp_path, {"input": [4, 9, 9, 9], "layers": [layer]})
    out = json.loads(succeeded(run("model", str(path), "--as", variant, "--format", "json")))
    assert out["swapped"]["params"] == params
    # Same output: 9 + 2 × 2 - 2 × (3 - 1) = 9 on each axis (padding 2 keeps the size).
    assert out["swapped"]["output_shape"] == out["original"]["output_shape"] == [8, 9, 9, 9]


# --- whatever computing a network runs into: one line, exit 2 --------------------------


def nested(levels: int, kind: str) -> dict[str, object]:
    layer: dict[str, object] = {"type": "pointwise", "cout": 4}
    for _ in range(levels):
        if kind == "residual":
            layer = {"type": "residual", "layers": [layer]}
        else:
            layer = {"type": "parallel", "streams": [[layer]]}
    return {"input": [4, 8, 8], "layers": [layer]}


def module_chain(levels: int) -> dict[str, object]:
    """Shared modules that each use the one before once."""
    shared: dict[str, object] = {"m0": {"type": "pointwise", "cout": 4}}
    for level in range(1, levels + 1):
        shared[f"m{level}"] = {"type": "residual", "layers": [{"use": f"m{level - 1}"}]}
    return shared_spec(shared, f"m{levels}")


@pytest.mark.parametrize(
    "data",
    [nested(300, "residual"), nested(300, "parallel"), module_chain(300), module_chain(5000)],
    ids=["residuals", "parallels", "modules", "many-modules"],
)
@pytest.mark.parametrize(
    "args",
    [
        ["model"],
        ["model", "--as", "lite", "--format", "json"],
        ["model", "--format", "csv", "--depth", "5000"],
        ["fit", "--max-params", "100", "--model"],
    ],
    ids=["model", "as-json", "csv", "fit"],
)
def test_layers_nested_past_the_recursion_limit(
    tmp_path: Path, data: dict[str, object], args: list[str]
) -> None:
    refused(run(*args, str(spec_file(tmp_path, data))), "nested too deeply")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_network_larger_than_the_memory_available(tmp_path: Path, fmt: str) -> None:
    # 50,000 layers, within the limit of 100,000, side by side with their swap: far more
    # than 200 MB of address space holds.
    layer = {"type": "pointwise", "cout": 4, "repeat": 10_000}
    path = spec_file(tmp_path, {"input": [4, 8, 8], "layers": [layer] * 5})
    done = convcalc(
        "model", str(path), "--as", "standard", "--format", fmt, memory=200 << 20, timeout=120
    )
    refused(done, "out of memory")


@pytest.mark.parametrize(
    "layer",
    [
        {"type": "x" * 1_000_000},
        {"type": "pool", "kind": ["max"] * 100_000},
        {"type": "standard", "cout": 4, "kernel": [3] * 100_000},
        {"type": "pointwise", "cout": 4, "\x1b[2J" + "k" * 100_000: 1},
    ],
    ids=["type", "pool-kind", "kernel", "key"],
)
def test_huge_values_give_a_short_message(tmp_path: Path, layer: dict[str, object]) -> None:
    path = spec_file(tmp_path, {"input": [4, 8, 8], "layers": [layer]})
    message = refused(run("model", str(path)), "layers[0]")
    assert len(message) < 600 and "\x1b" not in message


@pytest.mark.parametrize("name", [["a"] * 10, {"a": 1}, 7, True])
def test_network_name_that_is_not_a_string(tmp_path: Path, name: object) -> None:
    data = {"name": name, "input": [4, 8, 8], "layers": [{"type": "pointwise", "cout": 4}]}
    refused(run("model", str(spec_file(tmp_path, data))), "name", "expected a string")


def test_width_search_builds_each_network_once() -> None:
    # Widths 0.001 to 4 that give the same channels build the same network: a spec whose
    # residual needs cout = 4 builds only while int(4 × α) = 4, α in [1, 1.25); above
    # that, 4,000 - 1,250 widths cannot be built, but they make only 12 networks
    # (int(4 × α) = 5 ... 16), so the search builds a few dozen, not thousands.
    from fractions import Fraction
    from types import SimpleNamespace

    from convcalc.model.core import ConvCalcError
    from convcalc.model.fit import Budget, largest_width
    from convcalc.model.spec import channel_key

    spec = {"layers": [{"type": "residual", "layers": [{"type": "pointwise", "cout": 4}]}]}
    key = channel_key(spec)
    assert key is not None
    built: list[Fraction] = []

    def build(alpha: Fraction) -> SimpleNamespace:
        built.append(alpha)
        if int(4 * alpha) != 4:
            raise ConvCalcError("the residual's channels differ")
        return SimpleNamespace(params=20, macs=0)  # (4 + 1) × 4, at any such width

    found = largest_width(build, Budget(max_params=10**9), key=key)
    assert found is not None and found[0] == Fraction(1249, 1000)
    assert len(built) <= 40
    assert channel_key({"layers": [{"type": "standard", "cout": "eight"}]}) is None


def test_fit_on_a_spec_that_builds_at_few_widths(tmp_path: Path) -> None:
    spec = tmp_path / "narrow.json"
    layers = [{"type": "pointwise", "cout": 4, "repeat": 1000}]
    spec.write_text(
        json.dumps({"input": [4, 8, 8], "layers": [{"type": "residual", "layers": layers}]})
    )
    done = convcalc("fit", "--model", str(spec), "--max-params", "1G", "-q", timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "1.249")

"""Built for scripts: batch, sweep, charts, pictures for CI artifacts, -o."""

from __future__ import annotations

import csv
import io
import json
import xml.dom.minidom
from pathlib import Path

import pytest
from conftest import TORCH, jsonl, run

# --- batch --------------------------------------------------------------------


def test_batch_one_record_per_line_in_order() -> None:
    lines = jsonl(
        {"variant": "standard", "cin": 64, "cout": 128, "kernel": 3},
        {"variant": "mobilenet", "cin": 64, "cout": 128},
        {"variant": "lite", "cin": 64, "cout": 128, "k": "3x3", "input": 56},
        {"variant": "depthwise", "cin": 64},
    )
    result = run("batch", stdin=lines)
    assert result.exit_code == 0 and result.stderr == ""
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in out] == [1, 2, 3, 4]
    assert [r["params"] for r in out] == [73_856, 8_960, 9_600, 640]
    assert out[1]["variant"] == "separable"
    assert out[2]["macs"] == 128 * 56 * 56 * 64 + 128 * 56 * 56 * 9


def test_batch_bad_lines_become_error_records() -> None:
    lines = (
        jsonl({"variant": "standard", "cin": 64, "cout": 128})
        + "{not json\n"
        + "\n"
        + jsonl(
            {"variant": "standard", "cin": 6, "cout": 8, "groups": 4},
            {"variant": "warp", "cin": 6},
            {"variant": "lite", "cin": 6, "cout": 8, "colour": "red"},
            [1, 2, 3],
            {"variant": "standard", "cin": 64, "cout": 128},
        )
    )
    result = run("batch", stdin=lines)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines.splitlines()) == 8
    assert [r["line"] for r in out] == list(range(1, 9))
    errors = {r["line"]: r["error"] for r in out if "error" in r}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7]
    assert "groups=4 must divide cin=6" in errors[4]
    assert "colour" in errors[6]
    assert out[7]["params"] == 73_856
    assert result.stderr == "convcalc batch: 6 of 8 lines had errors\n"


def test_batch_strict_stops_at_the_first_bad_line() -> None:
    lines = jsonl({"variant": "pointwise", "cin": 4, "cout": 4}, {"variant": "pointwise"})
    result = run("batch", "--strict", stdin=lines)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "line 2" in result.stderr
    assert "cin is required" in result.stderr


def test_batch_csv_in_and_out(tmp_path: Path) -> None:
    path = tmp_path / "layers.csv"
    path.write_text(
        "variant,cin,cout,kernel,input,bias\n"
        "separable,64,128,3,56,true\n"
        "standard,64,64,3,,false\n"
        "lite,64,x,3,,\n"
    )
    result = run("batch", str(path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["line"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["params"] == "8960" and rows[0]["output_shape"] == "128x56x56"
    assert rows[1]["params"] == str(64 * 9 * 64) and rows[1]["macs"] == ""
    assert rows[2]["params"] == "" and "cout" in rows[2]["error"]


def test_batch_reads_back_its_own_output() -> None:
    first = run("batch", stdin=jsonl({"variant": "lite", "cin": 32, "cout": 64, "input": 9}))
    again = run("batch", stdin=first.stdout)
    assert json.loads(again.stdout) == json.loads(first.stdout)


def test_batch_takes_the_analysis_options_too() -> None:
    """training, optimizer, frozen and reported_by are keys as they are options. The
    profilers' figures for Conv2d(64→128, k=3, bias) on 56×56 are those they print
    (issue #6): torchinfo 231,612,416, fvcore 231,211,008."""
    config = {"variant": "standard", "cin": 64, "cout": 128, "input": 56, "batch": 2}
    lines = jsonl(
        {**config, "training": True, "optimizer": "adam", "reported_by": "torchinfo,fvcore"},
        {**config, "training": "true", "frozen": True},
        {**config, "optimizer": "lion"},
        {**config, "reported_by": ["nvprof"]},
    )
    out = [json.loads(line) for line in run("batch", stdin=lines).stdout.splitlines()]
    macs = 128 * 56 * 56 * 64 * 9
    assert out[0]["training"]["step_macs"] == 3 * 2 * macs
    assert out[0]["training"]["optimizer_bytes"] == 2 * 73_856 * 4
    assert {k: v["compute"] for k, v in out[0]["reported_by"].items()} == {
        "torchinfo": 2 * 231_612_416,
        "fvcore": 2 * 231_211_008,
    }
    assert out[1]["training"]["step_macs"] == 2 * 2 * macs and "reported_by" not in out[1]
    assert "unknown optimizer 'lion'" in out[2]["error"]
    assert "unknown tool 'nvprof'" in out[3]["error"]
    # The same object as the variant command's, and its own output reads back the same.
    command = run(
        "standard", "--cin", "64", "--cout", "128", "--input", "56", "--batch", "2",
        "--training", "--optimizer", "adam", "--reported-by", "torchinfo",
        "--reported-by", "fvcore", "--format", "json",
    )  # fmt: skip
    assert {k: v for k, v in out[0].items() if k != "line"} == json.loads(command.stdout)
    first = run("batch", stdin=jsonl(out[0], out[1]))
    assert [json.loads(line) for line in first.stdout.splitlines()] == out[:2]


def test_batch_help_and_readme_name_every_input_key() -> None:
    from convcalc.views.batch import READERS

    help_text = " ".join(run("batch", "--help").stdout.split())
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    readme_section = readme.split("### Many layers in one process", 1)[1].split("###", 1)[0]
    for key in READERS:
        assert key in help_text, key
        assert f"`{key}`" in readme_section, key


def test_batch_thousand_configs_in_one_call(tmp_path: Path) -> None:
    records = [
        {"variant": v, "cin": c, "cout": 2 * c, "kernel": k}
        for v in ("standard", "separable", "lite", "pointwise")
        for c in range(1, 126)
        for k in (3, 5)
    ][:1000]
    for r in records:
        if r["variant"] == "pointwise":
            del r["kernel"]
    path = tmp_path / "many.jsonl"
    path.write_text(jsonl(*records))
    out = [json.loads(line) for line in run("batch", str(path)).stdout.splitlines()]
    assert len(out) == 1000
    standard = [r for r in out if r["variant"] == "standard"]
    assert all(r["params"] == (r["cin"] * r["kernel"][0] ** 2 + 1) * r["cout"] for r in standard)


@pytest.mark.parametrize("case", TORCH["cases"][:10], ids=lambda c: c["op"])
def test_batch_reproduces_torch_cases(case: dict) -> None:
    record = {
        "variant": "standard",
        "cin": case["cin"],
        "cout": case["cout"],
        "kernel": case["kernel"],
        "stride": case["stride"],
        "padding": case["padding"],
        "dilation": case["dilation"],
        "groups": case["groups"],
        "bias": case["bias"],
        "input": case["input_shape"][2:],
        "batch": case["input_shape"][0],
    }
    out = json.loads(run("batch", stdin=jsonl(record)).stdout)
    assert (out["params"], out["macs"]) == (case["params"], case["macs"])


# --- sweep --------------------------------------------------------------------


def test_sweep_ranges_and_long_form() -> None:
    out = json.loads(
        run("sweep", "--cin", "64", "--cout", "32:512:x2", "-k", "3,5", "--format", "json").stdout
    )
    rows = out["sweep"]
    assert {r["cout"] for r in rows} == {32, 64, 128, 256, 512}
    assert len(rows) == 5 * 2 * 5  # couts × kernels × variants
    for r in rows:
        k = r["kernel"][0]
        if r["variant"] == "standard":
            assert r["params"] == (64 * k * k + 1) * r["cout"]
        if r["variant"] == "separable":
            assert r["params"] == (k * k + 1) * 64 + (64 + 1) * r["cout"]


def test_sweep_stepped_and_listed_ranges() -> None:
    out = run("sweep", "--cin", "8:32:8,64", "--cout", "16", "--variants", "standard,osnet", "-q")
    lines = out.stdout.splitlines()
    assert len(lines) == 5  # cin 8, 16, 24, 32, 64
    assert lines[0].split() == [str((8 * 9 + 1) * 16), str((8 + 1) * 16 + (9 + 1) * 16)]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--cin", "64", "--cout", "32:16"], "--cout"),
        (["--cin", "64", "--cout", "32:512:x1"], "--cout"),
        (["--cin", "1:100000", "--cout", "1"], "--cin"),
        (["--cin", "64", "--cout", "8", "--variants", "resnet"], "--variants"),
        (["--cin", "1:2000", "--cout", "1:100"], "100,000"),
    ],
)
def test_sweep_bad_ranges(args: list[str], named: str) -> None:
    result = run("sweep", *args)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and named in result.stderr


def test_sweep_chart_draws_bars_on_one_scale() -> None:
    out = run("sweep", "--cin", "64", "--cout", "128", "-k", "3", "--chart", "--linear").stdout
    bars = {
        line.split()[0]: line.split()[1].count("#")
        for line in out.splitlines()
        if line.split() and line.split()[0] in ("standard", "separable") and "#" in line
    }
    # 73,856 against 8,960 parameters: the standard bar is 8.2 times as long.
    assert bars["standard"] == 60
    assert bars["separable"] == round(60 * 8_960 / 73_856)


def test_compare_chart_has_macs_with_an_input() -> None:
    out = run("compare", "--cin", "64", "--cout", "128", "--input", "56", "--chart").stdout
    assert "Parameters (one scale" in out and "MACs (one scale" in out


# --- pictures and files -----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--cin", "64", "--cout", "128", "--chart"],
        ["separable", "--cin", "64", "--cout", "128", "--input", "56"],
        ["model", "mobilenet_v1"],
        ["sweep", "--cin", "64", "--cout", "64,128"],
    ],
    ids=lambda a: a[0],
)
def test_svg_is_valid_and_holds_the_figures(args: list[str]) -> None:
    result = run(*args, "--format", "svg")
    assert result.exit_code == 0
    document = xml.dom.minidom.parseString(result.stdout)
    assert document.documentElement.tagName == "svg"
    text = "".join(
        node.data
        for element in document.getElementsByTagName("text")
        for node in element.childNodes
        if node.nodeType == node.TEXT_NODE
    ).replace("\xa0", " ")
    assert "convcalc" in result.stdout and any(ch.isdigit() for ch in text)


def test_html_export() -> None:
    out = run("compare", "--cin", "64", "--cout", "128", "--format", "html").stdout
    assert out.lstrip().lower().startswith("<!doctype html>")
    assert "73,856" in out and "8,960" in out


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "compare.svg"
    result = run("compare", "--cin", "64", "--cout", "128", "--format", "svg", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    xml.dom.minidom.parse(str(target))
    table = tmp_path / "table.txt"
    run("standard", "--cin", "64", "--cout", "128", "-o", str(table))
    assert "73,856" in table.read_text()
    bad = run("standard", "--cin", "64", "--cout", "128", "-o", str(tmp_path / "no" / "x.txt"))
    assert bad.exit_code == 2 and "--output" in bad.stderr

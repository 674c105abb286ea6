"""The reviewer's polish findings: compare's baseline, sweep's layer options, markdown
totals, fit with nothing that fits, spec errors, the depth bound, options that change
nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import as_json, ok, run


def test_compare_rows_are_against_the_tables_standard() -> None:
    # Standard 64 → 128, 3×3: (64 × 3 × 3 + 1) × 128 = 577 × 128 = 73,856.
    # Depthwise 64, 3×3: (3 × 3 + 1) × 64 = 640, keeping 64 channels.
    # Against the table's standard: 73,856 / 640 = 115.4 (1 − 640 / 73,856 = 99.13 %);
    # the standard 64 → 64 would be 577 × 64 = 36,928 (57.7×), which is not the baseline.
    rows = {
        row["label"]: row
        for row in as_json("compare", "--cin", "64", "--cout", "128", "--all")["variants"]
    }
    depthwise = rows["Depthwise alone"]
    assert (depthwise["cin"], depthwise["cout"], depthwise["params"]) == (64, 64, 640)
    assert depthwise["reduction"]["params_factor"] == 73_856 / 640 == 115.4
    assert round(depthwise["reduction"]["params_percent"], 2) == 99.13
    help_text = " ".join(ok("compare", "--help").stdout.split())
    assert "against its table's standard convolution, C_in → C_out" in help_text
    assert "with the same channels" not in help_text
    table = " ".join(ok("compare", "--cin", "64", "--cout", "128", "--all").stdout.split())
    assert "115.40× fewer" in table
    assert (
        "depthwise keeps C_in channels; it is measured against the standard C_in → C_out" in table
    )
    # Where depthwise has the standard's channels, there is nothing to say.
    same = " ".join(ok("compare", "--cin", "64", "--cout", "64", "--all").stdout.split())
    assert "57.70× fewer" in same and "depthwise keeps" not in same


def test_sweep_takes_stride_padding_and_dilation() -> None:
    # Standard 64 → 128, 3×3, stride 2, padding 1 on 56×56: the output is
    # floor((56 + 2 × 1 − 1 × (3 − 1) − 1) / 2) + 1 = floor(55 / 2) + 1 = 28, and its MACs
    # 128 × 28 × 28 × 64 × 3 × 3 = 57,802,752 (a quarter of stride 1's 231,211,008).
    args = ["sweep", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "-s", "2"]
    rows = {row["variant"]: row for row in as_json(*args)["sweep"]}
    assert rows["standard"]["output_shape"] == [128, 28, 28]
    assert rows["standard"]["macs"] == 128 * 28 * 28 * 64 * 3 * 3 == 57_802_752
    # Lite: its 1×1 runs at stride 1 on 56×56 (128 × 56 × 56 × 64), the depthwise at
    # stride 2 (128 × 28 × 28 × 9): 25,690,112 + 903,168.
    assert rows["lite"]["macs"] == 25_690_112 + 903_168
    # As compare gives the same options: the same figures, row by row.
    compared = as_json("compare", *args[1:], "--all")["variants"]
    assert {v["variant"]: v["macs"] for v in compared} == {
        name: row["macs"] for name, row in rows.items()
    }
    # -p 0 and -d 2 on 9: floor((9 + 0 − 2 × 2 − 1) / 1) + 1 = 5.
    dilated = as_json("sweep", "--cin", "8", "--cout", "8", "--input", "9", "-p", "0", "-d", "2")
    assert {
        tuple(row["output_shape"]) for row in dilated["sweep"] if row["variant"] != "pointwise"
    } == {(8, 5, 5)}


@pytest.mark.parametrize(
    ("extra", "kernel", "params"),
    [
        # 64 -> 64, 3×3×3: (64 × 27 + 1) × 64 = 110,656; in 1D, (64 × 3 + 1) × 64 = 12,352.
        (["-s", "2x2x2"], [3, 3, 3], 110_656),
        (["--input", "8x8x8"], [3, 3, 3], 110_656),
        (["--dims", "1"], [3], 12_352),
        (["-k", "5x3"], [5, 3], (64 * 15 + 1) * 64),
    ],
)
def test_sweep_writes_the_kernel_it_computed(
    extra: list[str], kernel: list[int], params: int
) -> None:
    """The Kernel column said 3×3 whatever the rank; the params were the 3D figure."""
    args = ["sweep", "--cin", "64", "--cout", "64", "--variants", "standard", *extra]
    (row,) = as_json(*args)["sweep"]
    assert row["kernel"] == kernel and row["params"] == params


def test_sweep_of_pointwise_alone_says_1x1() -> None:
    # (64 + 1) × 64 = 4,160.
    (row,) = as_json("sweep", "--cin", "64", "--cout", "64", "--variants", "pointwise")["sweep"]
    assert row["kernel"] == [1, 1] and row["params"] == 4_160


def test_markdown_totals_leave_an_empty_cell_empty() -> None:
    # GitHub shows "****" (bold of nothing) as four stars; the variant commands' totals
    # leave such a cell empty, and so must a network's (its index cell has no text).
    out = ok("model", "mobilenet_v1", "--format", "markdown").stdout
    assert "****" not in out
    total = next(line for line in out.splitlines() if "**total**" in line)
    assert total.startswith("|  | **total** |")
    # MobileNet's 4,231,976 parameters (the paper's 4.2 M; README's table) stay bold.
    assert "**4,231,976**" in total
    swapped = ok("model", "mobilenet_v1", "--as", "standard", "--format", "markdown").stdout
    assert "****" not in swapped


def test_fit_model_prints_its_answer_when_nothing_fits() -> None:
    # mobilenet_v1 ends in a linear layer to 1,000 classes with a bias: at any width it
    # has at least 1,000 parameters, so a budget of 10 fits no width (exit 1), and the
    # answer is still written, as a layer's fit writes its cout as -- or null.
    args = ["fit", "--model", "mobilenet_v1", "--max-params", "10"]
    layer = run("fit", "standard", "--cin", "64", "--max-params", "10", "--format", "json")
    assert layer.exit_code == 1 and json.loads(layer.stdout)["fits"][0]["cout"] is None
    result = run(*args, "--format", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["budget"] == {"max_params": 10, "max_macs": None}
    assert [data[key] for key in ("width", "params", "macs", "compute")] == [None] * 4
    assert "no width from 0.001 to 4" in result.stderr and result.stderr.count("\n") == 1
    table = run(*args)
    assert table.exit_code == 1
    assert "| --      |     -- |   -- |" in table.stdout
    assert "-- : no width from 0.001 to 4 that can be built fits." in table.stdout
    # Where a width fits, the answer is as before (α = 0.643 for 2M parameters).
    assert as_json("fit", "--model", "mobilenet_v1", "--max-params", "2M")["width"] == "0.643"


def test_a_spec_without_input_says_the_key_is_missing(tmp_path: Path) -> None:
    empty_toml = tmp_path / "empty.toml"
    empty_toml.write_text("")
    no_input = tmp_path / "net.json"
    no_input.write_text('{"layers": [{"type": "standard", "cout": 8}]}')
    for spec in ("/dev/null", str(empty_toml), str(no_input)):
        result = run("model", spec)
        assert result.exit_code == 2 and result.stdout == ""
        line = result.stderr
        assert line.count("\n") == 1, line
        assert f"{spec}: input: missing" in line
        assert "[channels, size...] with 1 to 3 sizes, e.g. [3, 224, 224]" in line
        assert "None" not in line
    # A value that is there but wrong is quoted as JSON writes it, not as Python does.
    null = tmp_path / "null.json"
    null.write_text('{"input": null}')
    line = run("model", str(null)).stderr
    assert line.endswith("got null\n") and "None" not in line


def residuals(levels: int) -> dict[str, object]:
    layer: dict[str, object] = {"type": "standard", "cout": 8}
    for _ in range(levels):
        layer = {"type": "residual", "layers": [layer]}
    return {"input": [8, 8, 8], "layers": [layer]}


def test_nesting_is_bounded_and_the_bound_is_said(tmp_path: Path) -> None:
    from convcalc.model.limits import MAX_NESTING

    assert MAX_NESTING == 100
    spec = tmp_path / "net.json"
    # At the bound every path works: the one convolution, (8 × 3 × 3 + 1) × 8 = 584
    # parameters, whatever is written out (the table, JSON, a swap, the spec back).
    spec.write_text(json.dumps(residuals(100)))
    assert ok("model", str(spec), "-q").stdout == "584\n"
    assert as_json("model", str(spec), "--as", "lite")["original"]["params"] == 584
    ok("model", str(spec), "--depth", "200", "--reported-by", "all")
    ok("model", str(spec), "--save-spec", str(tmp_path / "back.toml"), "-q")
    # One more is refused before anything is built, the bound said.
    spec.write_text(json.dumps(residuals(101)))
    result = run("model", str(spec))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "layers[0]: nested too deeply" in result.stderr
    assert "nest at most 100 deep" in result.stderr
    # A shared module counted once is held to the bound where it is used again: 60
    # residuals in the module, inside 1 parallel + 50 residuals, are 111 levels.
    module = residuals(60)["layers"][0]  # type: ignore[index]
    deep: dict[str, object] = {"use": "m"}
    for _ in range(50):
        deep = {"type": "residual", "layers": [deep]}
    streams = [[{"use": "m"}], [deep]]
    data = {
        "input": [8, 8, 8],
        "layers": [{"type": "parallel", "shared": {"m": module}, "streams": streams}],
    }
    spec.write_text(json.dumps(data))
    assert "nest at most 100 deep" in run("model", str(spec)).stderr


@pytest.mark.parametrize(
    ("args", "named", "says"),
    [
        (["compare", "--log"], "'--log' / '--linear'", "add --chart"),
        (["sweep", "--linear", "--format", "json"], "'--log' / '--linear'", "add --chart"),
        (["compare", "--chart", "-q"], "'--chart'", "-q prints the parameter counts alone"),
        (["sweep", "--chart", "-q"], "'--chart'", "-q prints the parameter counts alone"),
        (["compare", "--chart", "--format", "json"], "'--chart'", "--format json"),
        (["sweep", "--chart", "--format", "csv"], "'--chart'", "--format csv"),
        (["compare", "--chart", "--format", "markdown"], "'--chart'", "--format markdown"),
        (["sweep", "--variants", "pointwise", "-p", "0"], "'--padding'", "K×K convolution"),
        (["sweep", "--variants", "pointwise", "-d", "2"], "'--dilation'", "K×K convolution"),
        (["sweep", "--variants", "pointwise", "-k", "5"], "'--kernel'", "K×K convolution"),
    ],
)
def test_compare_and_sweep_refuse_options_that_change_nothing(
    args: list[str], named: str, says: str
) -> None:
    result = run(*args[:1], "--cin", "64", "--cout", "128", *args[1:])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert named in result.stderr and says in result.stderr


def test_chart_options_where_a_chart_is_drawn_still_work() -> None:
    # Pointwise 64 → 128: (64 + 1) × 128 = 8,320; stride 2 changes its MACs, not this.
    assert (
        ok(
            "sweep", "--cin", "64", "--cout", "128", "--variants", "pointwise", "-s", "2", "-q"
        ).stdout
        == "8320\n"
    )
    assert "#" in ok("compare", "--cin", "64", "--cout", "128", "--chart", "--linear").stdout
    svg = ok("sweep", "--cin", "64", "--cout", "128", "--chart", "--log", "--format", "svg").stdout
    assert svg.startswith("<svg")
    # With a variant that has a K×K kernel, -d applies (to it alone).
    assert (
        ok(
            "sweep",
            "--cin",
            "64",
            "--cout",
            "128",
            "--variants",
            "pointwise,standard",
            "-d",
            "2",
            "-q",
        ).stdout
        == "8320 73856\n"
    )

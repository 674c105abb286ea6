"""The reviewer's findings on fit and on options that mean nothing in context: each
option given where it does not apply is refused with one line naming it (exit 2)."""

from __future__ import annotations

import json

import pytest
from conftest import ok, run


def one_error(args: list[str], named: str) -> str:
    """The one stderr line of a usage error (exit 2) that names ``named``."""
    result = run(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert named in result.stderr
    return result.stderr


# --- 1. fit refuses the options of the other kind of fit ---------------------------------

BUDGET = ["--max-macs", "100M", "-q"]


@pytest.mark.parametrize(
    ("extra", "named", "instead"),
    [
        (["--input", "160"], "'--input'", "--resolution"),
        (["--cin", "64"], "'--cin'", "drop --model"),
        (["-k", "5"], "'--kernel'", "drop --model"),
        (["-g", "2"], "'--groups'", "drop --model"),
        (["--no-bias"], "'--no-bias'", "drop --model"),
        (["--bn"], "'--bn'", "drop --model"),
        (["--dims", "1"], "'--dims'", "drop --model"),
        (["--dtype", "fp16"], "'--dtype'", "drop --model"),
        (["-s", "2"], "'--stride'", "drop --model"),
        (["-p", "0"], "'--padding'", "drop --model"),
        (["-d", "2"], "'--dilation'", "drop --model"),
    ],
)
def test_fit_model_refuses_layer_options(extra: list[str], named: str, instead: str) -> None:
    line = one_error(["fit", "--model", "mobilenet_v1", *extra, *BUDGET], named)
    assert instead in line


def test_fit_model_refuses_a_variant() -> None:
    one_error(["fit", "separable", "--model", "mobilenet_v1", *BUDGET], "VARIANT")


def test_fit_model_takes_resolution_and_batch() -> None:
    # MobileNetV1 at 160: the same network as at 224, on (160/224)² of the pixels.
    at_160 = ok("fit", "--model", "mobilenet_v1", "--resolution", "160", *BUDGET).stdout
    at_224 = ok("fit", "--model", "mobilenet_v1", *BUDGET).stdout
    assert float(at_160) > float(at_224)
    assert ok("fit", "--model", "mobilenet_v1", "--batch", "1", *BUDGET).stdout == at_224


@pytest.mark.parametrize(
    ("extra", "named", "instead"),
    [
        (["--resolution", "3"], "'--resolution'", "--input"),
        (["--spec-format", "toml"], "'--spec-format'", "--model"),
    ],
)
def test_fit_layer_refuses_network_options(extra: list[str], named: str, instead: str) -> None:
    args = ["fit", "standard", "--cin", "64", "--input", "56", "--max-macs", "1M", *extra]
    assert instead in one_error(args, named)


# --- 2. fit takes groups where the variant commands do ------------------------------------


def test_fit_pointwise_grows_by_whole_groups() -> None:
    # (64/4 + 1) × cout <= 10,000 gives cout <= 588.2; 588 = 4 × 147 groups' worth.
    result = ok("fit", "pointwise", "--cin", "64", "-g", "4", "--max-params", "10k", "-q")
    assert result.stdout == "588\n"
    assert ok("pointwise", "--cin", "64", "--cout", "588", "-g", "4", "-q").stdout == "9996\n"


def test_fit_every_variant_with_groups_fits_the_grouped_ones() -> None:
    # standard: (64/4 × 9 + 1) × cout = 145 × cout <= 10,000: 68.9, so 68 (4 × 17).
    result = ok("fit", "--cin", "64", "-g", "4", "--max-params", "10k", "-q")
    assert result.stdout == "standard 68\npointwise 588\n"


def test_fit_refuses_groups_for_a_variant_without_them() -> None:
    line = one_error(["fit", "lite", "--cin", "64", "-g", "4", "--max-params", "10k"], "groups")
    assert "standard and pointwise" in line


@pytest.mark.parametrize(("flag", "named"), [("-k", "'-k'"), ("-p", "'-p'"), ("-d", "'-d'")])
def test_fit_pointwise_refuses_window_options_as_pointwise_does(flag: str, named: str) -> None:
    """pointwise has no -k, -p or -d; fit for a pointwise layer ignored them."""
    assert run("pointwise", "--cin", "64", "--cout", "8", flag, "3").exit_code == 2
    line = one_error(["fit", "pointwise", "--cin", "64", flag, "3", "--max-params", "1k"], named)
    assert "does not apply to a pointwise convolution" in line
    # (64 + 1) × cout <= 1,000 gives cout <= 15.4: without the option, 15.
    assert ok("fit", "pointwise", "--cin", "64", "--max-params", "1k", "-q").stdout == "15\n"


# --- 3. options that mean nothing in context are refused ----------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["standard", "--cin", "64", "--cout", "128", "--frozen"], "'--frozen'"),
        (["standard", "--cin", "64", "--cout", "8", "--optimizer", "adam", "-q"], "'--optimizer'"),
        (["separable", "--cin", "64", "--cout", "128", "--frozen", "-q"], "'--frozen'"),
        (["model", "mobilenet_v1", "--optimizer", "adam", "-q"], "'--optimizer'"),
    ],
)
def test_training_options_need_training(args: list[str], named: str) -> None:
    assert "--training" in one_error(args, named)
    ok(*args, "--training")


def test_model_strict_is_for_onnx_files() -> None:
    assert "ONNX" in one_error(["model", "mobilenet_v1", "--strict", "-q"], "'--strict'")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["model", "mobilenet_v1", "--list"], "'SPEC'"),
        (["model", "--list", "-q"], "'--quiet'"),
        (["model", "--list", "--batch", "2"], "'--batch'"),
        (["model", "mobilenet_v1", "--show", "--width", "0.5"], "'--width'"),
        (["model", "mobilenet_v1", "--show", "-q"], "'--quiet'"),
        (["model", "mobilenet_v1", "--show", "--format", "json"], "'--format'"),
    ],
)
def test_model_list_and_show_take_only_their_own_options(args: list[str], named: str) -> None:
    one_error(args, named)


def test_model_list_and_show_keep_their_output_options() -> None:
    assert '"presets"' in ok("model", "--list", "--format", "json", "--units", "exact").stdout
    assert ok("model", "mobilenet_v1", "--show", "-o", "-").stdout.startswith("#")


# --- 4. every usage error of a command starts with its name -------------------------------


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (["standard", "--cin", "64", "--cout", "128", "-k"], "convcalc standard: error: "),
        (["mobilenet", "--cin", "64", "--cout", "128", "-k"], "convcalc mobilenet: error: "),
        (["fit", "--cin"], "convcalc fit: error: "),
        (["model", "mobilenet_v1", "--width"], "convcalc model: error: "),
        (["standard", "--cin", "64", "--cout", "128", "--bias=3"], "convcalc standard: error: "),
    ],
)
def test_a_parser_error_names_the_command(args: list[str], prefix: str) -> None:
    assert one_error(args, "'-").startswith(prefix)


# --- 5. fit -q prints 0 where nothing fits, for a layer and for a network -----------------


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "standard", "--cin", "64", "--max-params", "1", "-q"],
        # MobileNetV1 at the narrowest width still has its classifier: far over 1 parameter.
        ["fit", "--model", "mobilenet_v1", "--max-params", "1", "-q"],
    ],
)
def test_fit_quiet_prints_0_when_nothing_fits(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 1 and result.stdout == "0\n"
    assert result.stderr.startswith("convcalc: check failed:") and result.stderr.count("\n") == 1


# --- 6. wording: what is wrong and what is allowed ----------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--input", "56x56", "input"),
        ("-k", "3x3", "kernel"),
        ("-s", "2x2", "stride"),
        ("-p", "1x1", "padding"),
    ],
)
def test_sizes_of_another_rank_say_what_is_allowed(option: str, value: str, named: str) -> None:
    args = ["standard", "--cin", "64", "--cout", "128", "--dims", "1", option, value]
    line = one_error(args, named)
    assert f"{named} has 2 sizes but the convolution is 1D: give one size, " in line
    assert "2D (dims 2)" in line
    assert "or 1" not in line


def test_three_sizes_for_a_2d_convolution_say_what_is_allowed() -> None:
    line = one_error(["standard", "--cin", "8", "--cout", "8", "--dims", "2", "-k", "3x3x3"], "3")
    assert "give one size or 2, or make the convolution 3D (dims 3)" in line


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [("cin", True, "cin: true is not"), ("k", [True], "k: [true] is not"), ("bias", [1], "[1]")],
)
def test_batch_errors_spell_values_as_json_does(key: str, value: object, said: str) -> None:
    record = {"variant": "standard", "cin": 8, "cout": 8, key: value}
    result = run("batch", stdin=json.dumps(record) + "\n")
    error = json.loads(result.stdout)["error"]
    assert said in error and "True" not in error


def test_fit_model_of_a_preset_at_a_width_says_what_its_alpha_is_relative_to() -> None:
    """osnet_x0_5 is osnet.toml at 0.5: fit answers α of the same network, so the same α
    as osnet_x1_0, and the table says what osnet_x0_5 itself is."""
    budget = ["--max-params", "1M"]
    half = ok("fit", "--model", "osnet_x0_5", *budget, "-q").stdout
    assert half == ok("fit", "--model", "osnet_x1_0", *budget, "-q").stdout
    table = ok("fit", "--model", "osnet_x0_5", *budget).stdout
    assert "osnet_x0_5 itself is α = 0.5" in " ".join(table.split())
    assert "itself is" not in ok("fit", "--model", "osnet_x1_0", *budget).stdout

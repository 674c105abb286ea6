"""``model``'s spec output (``--show``, ``--save-spec``) for presets that are a spec
file at a width: osnet_x0_5 is osnet.toml at width 0.5, and the file alone reads as
osnet_x1_0. Figures: the README's table (osnet_x0_5 630,034 params, osnet_x1_0
2,169,508; shufflenet_v2_x0_5 1,366,792, torchvision's num_params)."""

from __future__ import annotations

from pathlib import Path

from conftest import ok, run


def quiet_params(*args: str) -> int:
    return int(ok("model", *args, "-q").stdout)


def test_show_of_a_preset_at_a_width_says_the_width(tmp_path: Path) -> None:
    shown = ok("model", "osnet_x0_5", "--show").stdout
    assert shown.splitlines()[0].startswith("# osnet_x0_5 is this spec at --width 0.5")
    path = tmp_path / "o.toml"
    path.write_text(shown)
    assert quiet_params(str(path), "--width", "0.5") == 630_034
    assert quiet_params(str(path)) == 2_169_508  # the file itself is at width 1
    # A preset at width 1 is shown as shipped, with no such line.
    assert not ok("model", "osnet_x1_0", "--show").stdout.startswith("# osnet_x1_0 is")


def test_save_spec_of_a_network_at_a_width_says_how_to_read_it_back(tmp_path: Path) -> None:
    for preset, width, params in (
        ("osnet_x0_5", "0.5", 630_034),
        ("shufflenet_v2_x0_5", "0.5", 1_366_792),
    ):
        path = tmp_path / f"{preset}.toml"
        result = run("model", preset, "--save-spec", str(path), "-q")
        assert result.exit_code == 0 and int(result.stdout) == params
        assert f"--width {width} for these figures" in result.stderr
        assert quiet_params(str(path), "--width", width) == params
    path = tmp_path / "m.toml"
    result = run("model", "mobilenet_v1", "--width", "0.5", "--save-spec", str(path), "-q")
    assert "--width 0.5 for these figures" in result.stderr
    # At width 1 nothing needs saying.
    assert run("model", "mobilenet_v1", "--save-spec", str(path), "-q").stderr == ""


def test_save_spec_and_output_on_one_file_is_refused(tmp_path: Path) -> None:
    # Both wrote it, the table last: the saved spec was lost without a word.
    path = tmp_path / "same.toml"
    for other in (str(path), str(tmp_path / "." / "same.toml")):
        result = run("model", "mobilenet_v1", "--save-spec", str(path), "-o", other)
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
        assert "'--save-spec': it names the file -o writes" in result.stderr
    assert not path.exists()

"""Render convcalc's SVG and HTML exports as PNGs, with librsvg and headless Chromium,
to look at them as a reader of a pull request would.

    python benchmarks/pictures.py OUT_DIR [--width 880]

Needs Debian's ``librsvg2-bin`` (``rsvg-convert``) and ``chromium``. For each command
below it writes ``NAME.svg`` and ``NAME.html``, then ``NAME.rsvg.png`` (librsvg, at its
own size), ``NAME.rsvg-880.png`` (librsvg, scaled to a pull request's column),
``NAME.chromium.png`` (the SVG in Chromium) and ``NAME.html.png`` (the HTML page in
Chromium), and prints each picture's size in columns and pixels. The pictures are
for people to look at: nothing here asserts.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS: dict[str, list[str]] = {
    "compare": ["compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "--chart"],
    "compare-all": [
        "compare", "--cin", "64", "--cout", "128", "-k", "3", "--input", "56", "--all", "--chart",
    ],
    "model": ["model", "mobilenet_v1"],
    "model-as": ["model", "mobilenet_v1", "--as", "standard"],
    "sweep": [
        "sweep", "--cin", "16,32,64", "--cout", "128", "-k", "3,5,7", "--input", "56", "--chart",
    ],
    "reported": ["separable", "--cin", "64", "--cout", "128", "--input", "56", "--reported-by",
                 "all"],
}  # fmt: skip


def convcalc(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return result.stdout


def svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg)
    assert match, "no viewBox"
    return float(match[1]), float(match[2])


def chromium(url: str, png: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "install Debian's chromium"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            url,
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=880, help="a pull request's column, px")
    parser.add_argument("--only", nargs="*", help="the pictures to make (default: all)")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    rsvg = shutil.which("rsvg-convert")
    assert rsvg, "install Debian's librsvg2-bin"
    for name, args in COMMANDS.items():
        if options.only and name not in options.only:
            continue
        svg = convcalc(*args, "--format", "svg")
        html = convcalc(*args, "--format", "html")
        (options.out / f"{name}.svg").write_text(svg)
        (options.out / f"{name}.html").write_text(html)
        width, height = svg_size(svg)
        text = convcalc(*args, "--units", "auto")
        columns = max(map(len, text.splitlines()))
        svg_path = (options.out / f"{name}.svg").resolve()
        subprocess.run([rsvg, "-o", str(options.out / f"{name}.rsvg.png"), svg_path], check=True)
        subprocess.run(
            [rsvg, "-w", str(options.width), "-o", str(options.out / f"{name}.rsvg-880.png"),
             svg_path],
            check=True,
        )  # fmt: skip
        chromium(svg_path.as_uri(), options.out / f"{name}.chromium.png", int(width), int(height))
        html_path = (options.out / f"{name}.html").resolve()
        chromium(html_path.as_uri(), options.out / f"{name}.html.png", int(width), int(height))
        scale = options.width / width
        print(
            f"{name}: {width:.0f}×{height:.0f} px, text {20 * scale:.1f} px high at "
            f"{options.width} px (table at 200 columns: {columns} wide)"
        )


if __name__ == "__main__":
    main()

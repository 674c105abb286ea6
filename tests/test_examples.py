"""Every script in examples/ runs, as a user would run it, and prints real figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def run_example(*command: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # The installed `convcalc` lives beside this interpreter.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_post_tables_script() -> None:
    done = run_example("bash", str(EXAMPLES / "post_tables.sh"))
    assert done.returncode == 0, done.stderr
    for figure in ("73,856", "8,960", "9,600", "36,928", "4,800"):
        assert figure in done.stdout
    assert "37,056" not in done.stdout  # the post's slip is not reproduced


def test_ci_gate_script() -> None:
    done = run_example("bash", str(EXAMPLES / "ci_gate.sh"))
    assert done.returncode == 0, done.stderr
    # (64 + 1) × 128 + (3 × 3 + 1) × 128 = 8,320 + 1,280
    assert done.stdout.strip().endswith("lite block: 9600 parameters")


def test_ci_gate_script_fails_when_a_gate_fails(tmp_path: Path) -> None:
    script = (EXAMPLES / "ci_gate.sh").read_text().replace("--expect 9152", "--expect 9153")
    broken = tmp_path / "gate.sh"
    broken.write_text(script)
    done = run_example("bash", str(broken))
    assert done.returncode == 1
    assert "expected 9,153 parameters, got 9,152" in done.stderr


def test_api_example() -> None:
    done = run_example(sys.executable, str(EXAMPLES / "api.py"))
    assert done.returncode == 0, done.stderr
    assert "separable 64 -> 128: 8960 parameters" in done.stdout
    assert f"{128 * 56 * 56 * 64 * 9:,} MACs" in done.stdout

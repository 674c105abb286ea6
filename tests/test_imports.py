"""Start-up stays light: the core imports no third-party package, and the
machine-output paths (JSON, CSV, -q) never import Rich (after Click's
tests/test_imports.py, which checks the same in a fresh interpreter)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest


def loaded_after(code: str) -> set[str]:
    """Top-level modules a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_core_is_pure() -> None:
    loaded = loaded_after("import convcalc.model.core, convcalc.model.cost, convcalc.views.tables")
    assert not loaded & {"click", "rich", "pygments", "markdown_it"}


def test_library_api_needs_no_cli() -> None:
    loaded = loaded_after("import convcalc; convcalc.separable(cin=64, cout=128).params")
    assert not loaded & {"click", "rich"}


MACHINE_PATHS = [
    ["standard", "--cin", "64", "--cout", "128", "--format", "json"],
    ["standard", "--cin", "64", "--cout", "128", "-q"],
    ["compare", "--cin", "64", "--cout", "128", "--input", "56", "--format", "csv"],
    ["separable", "--cin", "64", "--cout", "128", "--format", "markdown"],
    ["standard", "--cin", "64", "--cout", "0"],
]


@pytest.mark.parametrize("args", MACHINE_PATHS, ids=lambda a: " ".join(a[-2:]))
def test_machine_output_paths_do_not_import_rich(args: list[str]) -> None:
    code = (
        "import contextlib, io\n"
        "from convcalc.cli import cli\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        f"    cli.main({args!r}, standalone_mode=False)"
    )
    assert "rich" not in loaded_after(code)


def test_table_path_does_import_rich() -> None:
    # The check above would pass vacuously if nothing ever imported Rich.
    code = (
        "import contextlib, io\n"
        "from convcalc.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['standard', '--cin', '64', '--cout', '128'], standalone_mode=False)"
    )
    assert "rich" in loaded_after(code)


def test_only_the_program_tunes_the_garbage_collector() -> None:
    """The program raises gc's threshold before Click is imported; a process that
    imports or invokes the CLI itself (tests, library users) keeps its own."""
    probe = (
        "import gc, sys\n"
        "default = gc.get_threshold()\n"
        "{body}\n"
        "print(gc.get_threshold() != default, 'click' in sys.modules, file=sys.stderr)"
    )
    in_process = probe.format(
        body="from convcalc.cli import cli\ncli.main(['standard', '--cin', '8', '--cout', '8', "
        "'-q'], standalone_mode=False)"
    )
    done = subprocess.run(
        [sys.executable, "-c", in_process], capture_output=True, text=True, check=True
    )
    assert done.stderr.split() == ["False", "True"]
    # The entry point tunes gc first, then imports the CLI: check at import of click.
    program = (
        "import builtins, gc, sys\n"
        "seen = []\n"
        "real = builtins.__import__\n"
        "def spy(name, *args, **kwargs):\n"
        "    if name == 'click' and not seen:\n"
        "        seen.append(gc.get_threshold()[0])\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = spy\n"
        "sys.argv = ['convcalc', 'standard', '--cin', '8', '--cout', '8', '-q']\n"
        "from convcalc.__main__ import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    print(seen, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.stdout == "584\n"  # (8·9 + 1)·8
    assert done.stderr.strip() == "[100000]"


# --- the three layers: cli -> views -> model, and no cycle --------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "convcalc"
LAYERS = {"model": 0, "views": 1, "cli": 2}
"""Each layer may import only its own modules and those of the layers below it."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The convcalc modules a file imports, anywhere in it (a function's import is an
    import too), resolved to module names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("convcalc")}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("convcalc"):
                continue
            for alias in node.names:  # `from . import x` imports the module x
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _exists(candidate) else target)
    return found


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    return {_module_name(path): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_imports_only_go_down_the_layers() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if _layer(module) is not None
        and _layer(target) is not None
        and _layer(target) > _layer(module)  # type: ignore[operator]
    ]
    assert upward == []


def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    edges = {module: {t for t in targets if t in graph} for module, targets in graph.items()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for target in sorted(edges[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_layer_check_sees_an_upward_import() -> None:
    # The checks above would pass vacuously if no import were found.
    graph = import_graph()
    assert "convcalc.views.tables" in graph["convcalc.cli.sweep"]
    assert "convcalc.model.core" in graph["convcalc.views.contract"]


def test_a_variant_command_loads_no_other_command() -> None:
    code = (
        "import contextlib, io\n"
        "from convcalc.cli import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cli.main(['standard', '--cin', '8', '--cout', '8', '-q'], standalone_mode=False)\n"
        "import sys, json\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('convcalc.cli.'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    others = ["compare", "model", "batch", "sweep", "fit", "specs"]
    others += [f"layer.{name}" for name in ("depthwise", "pointwise", "separable", "lite")]
    assert not {f"convcalc.cli.{name}" for name in others} & loaded
    assert "convcalc.cli.layer.standard" in loaded

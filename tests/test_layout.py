"""The package's shape: packages by job, nothing at the top of kexp/ but the entry points, no
import cycles between modules, and a config layer that never imports the backend."""

import ast
import subprocess
import sys
from pathlib import Path

import kexp

PACKAGE = Path(kexp.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kexp_imports(path: Path, modules: set[str]) -> set[str]:
    """The kexp modules ``path`` imports (at any depth: a function's own import counts too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(n for n in names if n in modules)
    return found


#: python -m kexp.<command>: each command in one package (its CLI, its logic, its plot).
COMMANDS = ("compare", "course", "diff", "evaluate", "export", "lr_find", "predict", "replay")


def test_only_the_entry_points_are_modules_at_the_top_of_the_package():
    assert sorted(p.name for p in PACKAGE.glob("*.py")) == ["__init__.py", "__main__.py"]


def test_each_command_lives_in_its_own_package():
    """A command's CLI and what only it uses sit side by side (kexp/<command>/cli.py, …); kexp/cli/ keeps
    only ``python -m kexp`` itself."""
    for command in COMMANDS:
        files = {p.name for p in (PACKAGE / command).glob("*.py")}
        assert {"__init__.py", "__main__.py", "cli.py"} <= files, command
        main = (PACKAGE / command / "__main__.py").read_text()
        assert f"from kexp.{command}.cli import main" in main, command
    assert sorted(p.stem for p in (PACKAGE / "cli").glob("*.py")) == [
        "__init__", "explain", "group_choices", "help", "job_configs", "main", "output_dir", "plan", "plugins", "preflight", "show_config",
        "single_run"]
    # (--plan: of python -m kexp; job_configs: the preflight's compositions; output_dir: its run directory check)


def test_there_are_no_import_cycles_between_modules():
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: kexp_imports(path, set(paths)) - {name} for name, path in paths.items()}
    # a package's __init__ importing its own submodules is not a cycle of two modules
    cycles, state = [], {}

    def visit(name, stack):
        state[name] = "open"
        for target in graph[name]:
            if target.startswith(name + "."):
                continue
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_config_layer_imports_neither_tensorflow_nor_keras():
    code = ("import sys, pkgutil, importlib, kexp.config as c\n"
            "for m in pkgutil.walk_packages(c.__path__, 'kexp.config.'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in ('tensorflow', 'keras', 'jax') if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

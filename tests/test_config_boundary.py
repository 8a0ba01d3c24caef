"""The config stops at the boundary (docs/architecture.md, "The boundary"): counted over kexp/ by
parsing it, as issue 33 counted it, so that a new function taking the composed config fails here."""

import ast

from tests.conftest import REPO

PACKAGE = REPO / "kexp"
#: Where the composed config may travel: the boundary itself and the command lines.
BOUNDARY = ("kexp/config/", "kexp/cli/")
#: Every other function taking a DictConfig, and why (docs/architecture.md lists the same).
ALLOWED = {
    ("kexp/runs/job.py", "run_job"),  # Hydra's job function: validates, then run_settings(cfg)
    ("kexp/runs/job.py", "_run_in_directory"),
    ("kexp/runs/job.py", "_run_locked"),
    ("kexp/runs/sweep_end.py", "on_multirun_end"),  # Hydra's callback signature
    ("kexp/models/auxiliary.py", "from_config"),  # Keras's serialization hook (a plain dict)
    ("kexp/compat/hydra.py", "apply_overrides"),  # Hydra's own step of composing, fenced (the preflight's)
}
#: Functions of runs/ and training/ with more than 6 parameters: math and a Keras constructor.
MANY_PARAMETERS = {
    ("kexp/training/schedules.py", "one_cycle_rate"),  # PyTorch OneCycleLR's arguments
    ("kexp/training/optimizers/adabound.py", "__init__"),  # an optimizer's hyperparameters
}


def functions(tree: ast.AST):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def parameters(node: ast.FunctionDef) -> list[ast.arg]:
    return node.args.posonlyargs + node.args.args + node.args.kwonlyargs


def takes_config(node: ast.FunctionDef) -> bool:
    return any(a.arg in ("cfg", "config") or (a.annotation is not None and "DictConfig" in ast.unparse(a.annotation))
               for a in parameters(node))


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(REPO).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_boundary_takes_the_composed_config():
    found = {(name, f.name) for name, tree in modules() if not name.startswith(BOUNDARY)
             for f in functions(tree) if takes_config(f)}
    assert found == ALLOWED, f"new: {sorted(found - ALLOWED)}; gone: {sorted(ALLOWED - found)}"
    assert len({name for name, _ in found}) <= 4 and len(found) <= 15  # issue 33's target


def test_no_setting_is_read_by_a_dotted_path_outside_the_config_package():
    reads = [(name, call.lineno, call.args[1].value) for name, tree in modules() if not name.startswith("kexp/config/")
             for call in ast.walk(tree) if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
             and call.func.attr == "select" and len(call.args) > 1 and isinstance(call.args[1], ast.Constant)
             and "." in str(call.args[1].value)]
    assert reads == []


def test_runs_and_training_take_at_most_six_parameters():
    wide = {(name, f.name) for name, tree in modules() if name.startswith(("kexp/runs/", "kexp/training/"))
            for f in functions(tree) if len([a for a in parameters(f) if a.arg not in ("self", "cls")]) > 6}
    assert wide == MANY_PARAMETERS


def test_the_counts_can_fail():
    """The walk sees a function that takes the config, however it is spelt."""
    tree = ast.parse("from omegaconf import DictConfig\n"
                     "def a(cfg): ...\ndef b(settings: DictConfig): ...\ndef c(settings: 'DictConfig | None'): ...\n"
                     "def d(settings, data): ...\n")
    assert [f.name for f in functions(tree) if takes_config(f)] == ["a", "b", "c"]

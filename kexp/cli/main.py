"""``python -m kexp``: the Hydra entry point.

Only Hydra is imported here; TensorFlow/Keras load inside the job, so
``--help`` and ``--cfg job`` stay fast.
"""

from __future__ import annotations

import os
import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from kexp.compat.hydra import HYDRA_MAIN, quiet_replaced_plugin_configs, quiet_third_party_plugins, register_resolver
from kexp.config.errors import KexpError
from kexp.config.location import config_dir

_MAX_SUFFIX = 60


def split_overrides(override_dirname: str) -> list[str]:
    """Split Hydra's ``a=1,b=[2,3]`` on the commas outside brackets."""
    items, depth, current = [], 0, ""
    for char in override_dirname:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return items + [current] if current else items


def run_dir_suffix(override_dirname: str) -> str:
    """``_<overrides>`` for a run directory name: one safe path component, short.

    ``seed=N`` comes first, so runs that differ in their seed can always be told
    apart; whole overrides are kept while they fit in about 60 characters; the
    number of those left out follows as ``+N``.
    """
    items = [item.replace(os.sep, "-").replace(" ", "") for item in split_overrides(override_dirname)]
    items.sort(key=lambda item: not item.startswith("seed="))
    kept: list[str] = []
    for item in items:
        if kept and len(",".join(kept + [item])) > _MAX_SUFFIX:
            break
        kept.append(item[:_MAX_SUFFIX])
    if not kept:
        return ""
    left_out = len(items) - len(kept)
    return "_" + ",".join(kept) + (f",+{left_out}" if left_out else "")


def _claim(candidate: str) -> str:
    from kexp.runs.directory import claim_directory

    return claim_directory(candidate)


def register_resolvers() -> None:
    """Resolvers used by conf/config.yaml (idempotent), and the structured-config schemas."""
    from kexp.config.schema import register_schemas

    register_schemas()
    for name, function in (("kexp_suffix", run_dir_suffix), ("kexp_claim", _claim)):
        if not OmegaConf.has_resolver(name):
            register_resolver(name, function, use_cache=name == "kexp_claim")


@hydra.main(config_path=str(config_dir()), config_name="config", **HYDRA_MAIN)
def hydra_main(cfg: DictConfig) -> float | list[float] | None:
    """Run one job (Hydra calls this once per run, or per job of a sweep)."""
    from kexp.runs.job import run_job

    return run_job(cfg)


def absolute_sweep_dir(argv: list[str]) -> list[str]:
    """``hydra.sweep.dir=`` given as a relative path, made absolute.

    A launcher may run the jobs in other processes with another working
    directory (Ray's workers run in the cluster's); Hydra's resolved sweep
    directory travels with each job, and a relative one would land there.
    """
    out = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        if (
            sep
            and key.lstrip("+") == "hydra.sweep.dir"
            and value
            and "${" not in value
            and not os.path.isabs(os.path.expanduser(value))
        ):
            arg = f"{key}={os.path.abspath(value)}"
        out.append(arg)
    return out


def paths_as_typed(argv: list[str]) -> list[str]:
    """``~`` and ``$VARS`` as people type them: expanded in ``hydra.run.dir``/``hydra.sweep.dir``
    (Hydra makes those directories itself), quoted elsewhere so Hydra's grammar accepts them
    (kexp expands them where the path is used: ``data.path=~/photos``)."""
    from kexp.config.paths import expand, quote_for_hydra

    out = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        if arg.startswith("-") or not sep:
            out.append(arg)
            continue
        if key.lstrip("+") in ("hydra.run.dir", "hydra.sweep.dir") and value and "${" not in value:
            arg = f"{key}={expand(value)}" if value[0] in "~$" or "$" in value else arg
        out.append(quote_for_hydra(arg))
    return out


def resume_unfinished(cfg: DictConfig, overrides: list[str], argv: list[str]) -> list[str]:
    """``argv`` pointed at the newest unfinished run of the same config, said in one line;
    unchanged when there is none (:mod:`kexp.runs.unfinished`)."""
    from kexp.config.flat import run_config
    from kexp.runs.directory import RunLock, check_rerun
    from kexp.runs.layout import BACKUP_DIR, completed_epochs
    from kexp.runs.provenance import override_argument
    from kexp.runs.unfinished import find_unfinished_run

    config = run_config(cfg)
    run_dir = find_unfinished_run(config, overrides)
    if run_dir is None:
        return argv
    RunLock.acquire(run_dir)  # first: a run still going (or a second rerun) is refused untouched
    check_rerun(config, run_dir)
    done = completed_epochs(run_dir / BACKUP_DIR)
    print(
        f"kexp: resuming the unfinished run {run_dir} ({done} of {cfg.trainer.epochs} epochs done); "
        "resume=never starts a new run",
        file=sys.stderr,
    )
    argv = [*argv, override_argument("hydra.run.dir", run_dir.absolute(), shell=False)]
    sys.argv[1:] = argv
    return argv


def main() -> None:
    """Check the command line's configs, then hand over to Hydra."""
    register_resolvers()
    quiet_replaced_plugin_configs()
    quiet_third_party_plugins()
    sys.argv[1:] = absolute_sweep_dir(paths_as_typed(sys.argv[1:]))
    argv = sys.argv[1:]
    from kexp.cli.plan import strip_flag

    if (planned := strip_flag(argv)) is not None:  # (what it would do, nothing done)
        from kexp.cli.plan import main as plan

        sys.exit(plan(planned))
    if os.environ.get("HYDRA_FULL_ERROR") != "1":
        from kexp.cli.preflight import parse_args, preflight
        from kexp.runs.directory import lock_given_run_dir

        try:
            cfg = preflight(argv)
            args = parse_args(argv)
            if not args.multirun and cfg is not None:
                argv = resume_unfinished(cfg, args.overrides, argv)
                lock_given_run_dir(parse_args(argv).overrides)
        except KexpError as err:
            print(err.one_line(), file=sys.stderr)
            sys.exit(2)
    from kexp.cli.help import render_help, wants_help

    if wants_help(argv):
        print(render_help(argv))
        return
    from kexp.cli.show_config import show_config, shows_config

    if shows_config(argv):
        show_config(argv, hydra_main)
        return
    hydra_main()


if __name__ == "__main__":
    main()

"""Compose and validate the config before Hydra creates any run directory.

Hydra reports a bad override as several lines and exits 1; kexp turns the
same problems (unknown group option, unknown key, a value of the wrong type or
outside its range) into one line and exit code 2, before TensorFlow is
imported and before a run directory is made. A multirun is checked job by job
for every sweep form of Hydra's grammar: ``a,b``, ``choice``, ``range``,
``glob``, ``sort``, ``shuffle`` and ``tag`` expand to their values; a
continuous ``interval`` (for a search sweeper such as Optuna) is checked at
both of its ends.
"""

from __future__ import annotations

import functools
import os
import shlex
from argparse import Namespace
from collections.abc import Callable
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from kexp.cli import single_run
from kexp.cli.explain import explain
from kexp.cli.group_choices import all_groups, check_group_choices
from kexp.cli.job_configs import DistinctJobs, JobConfigs, job_overrides, naming_the_job
from kexp.cli.output_dir import check_output_dir
from kexp.compat import hydra as hydra_compat
from kexp.config import added_keys
from kexp.config.errors import ConfigError, KexpError
from kexp.config.flat import run_config
from kexp.config.gated_keys import UnreadKeys
from kexp.config.location import config_dir
from kexp.config.renamed import check_overrides as check_renamed
from kexp.config.run_settings import chosen_options, is_search, race_sweeper, sweeper_class
from kexp.config.validation import validate
from kexp.runs.directory import check_rerun, given_run_dir

#: Beyond this many jobs only the first ones are checked up front.
MAX_CHECKED_JOBS = 256

#: The overrides (``hydra.*`` ones left out, as Hydra's sweeper hands them to the launcher) of every
#: job the last :func:`preflight` composed and found valid: Hydra's basic sweeper does not compose
#: those a second time (``hydra_plugins/kexp_basic_sweeper``).
checked_jobs: frozenset[tuple[str, ...]] = frozenset()

_SKIP_FLAGS = ("hydra_help", "info", "shell_completion", "version", "cfg", "experimental_rerun")


def preflight(argv: list[str], jobs: list[tuple[list[str], DictConfig]] | None = None) -> DictConfig | None:
    """Raise ConfigError if any job the command line describes has a bad config; the last job's config.

    ``jobs``, when given, receives every job checked: its overrides and its composed config
    (``--plan`` describes them).

    With ``--help`` only the group choices are checked (the help shows the
    config those choices compose); then nothing is returned, as for ``--cfg`` (which is refused
    a sweep without ``--multirun`` too).
    """
    global checked_jobs
    checked_jobs = frozenset()
    args = parse_args(argv)
    if args.cfg and args.multirun:  # (Hydra's ValueError traceback otherwise)
        raise ConfigError(f"--cfg {args.cfg} with -m — shows one job's config: drop -m and give each key one value")
    if args.cfg:  # (Hydra's own six lines otherwise)
        single_run.check_no_sweep_values(OverridesParser.create().parse_overrides(args.overrides), args.overrides)
    if any(getattr(args, flag, None) for flag in _SKIP_FLAGS):
        return None
    check_renamed(args.overrides)
    hydra = create_hydra(args)
    try:
        overrides = parse_overrides(args.overrides, hydra)
        if args.help:
            if not any(o.is_sweep_override() for o in overrides):
                check_group_choices(hydra, overrides)
            return None
        if not args.multirun:
            single_run.check_no_sweep_values(overrides, args.overrides)
        check_group_choices(hydra, overrides)
        check_output_dir(args)
        cfg, checked = None, []
        config_name = args.config_name or "config"
        compose_job: Callable[[list[str]], DictConfig] = functools.partial(compose, hydra, config_name)
        if args.multirun:  # (a single run's config is composed whole, as Hydra will compose it)
            compose_job = JobConfigs(compose_job, overrides, set(all_groups(hydra_compat.ConfigGroups(hydra)))).config
        distinct, unread = DistinctJobs(overrides), UnreadKeys()
        for number, job in enumerate(job_overrides(overrides)[:MAX_CHECKED_JOBS]):
            cfg = compose_job(job)
            if number == 0:
                check_added_keys(hydra, config_name, cfg, overrides, job)
            check_named(cfg, args.config_dir)
            try:
                validate(cfg)
            except KexpError as error:
                raise naming_the_job(error, job, overrides) if args.multirun else error from None
            if args.multirun and not is_search(cfg):
                distinct.check(job, cfg)
            unread.see(job, cfg)
            checked.append(tuple(v for v, o in zip(job, overrides, strict=True) if not o.is_hydra_override()))
            if jobs is not None:
                jobs.append((job, cfg))
        unread.check()
        if not args.multirun and cfg is not None:
            single_run.check_not_a_sweep(cfg, overrides, args.overrides)
        if args.multirun and cfg is not None:
            check_grid_values(cfg, overrides)
            check_search(cfg, [str(o.input_line) for o in overrides if not o.is_hydra_override()], args.overrides)
            check_race(cfg, args.overrides)
        if not args.multirun and cfg is not None and (run_dir := given_run_dir(args.overrides)) is not None:
            check_rerun(run_config(cfg), run_dir)  # before Hydra rewrites the directory's .hydra/
        checked_jobs = frozenset(checked)
    finally:
        hydra_compat.clear()
    return cfg


def check_added_keys(hydra, config_name: str, cfg: DictConfig, overrides: list[Override], job: list[str]) -> None:
    """``+key=value`` (and ``++key=value`` for a key the config lacks) only where a new key is read."""
    groups = set(all_groups(hydra_compat.ConfigGroups(hydra)))
    for override in overrides:
        if not (override.is_add() or override.is_force_add()) or override.is_hydra_override():
            continue
        key = override.key_or_group
        if override.package is not None or key in groups:
            continue  # a config group (+group=option, +group@pkg=option): Hydra checks those
        rest = [o for o in job if o.split("=", 1)[0] != str(override.input_line).split("=", 1)[0]]
        if OmegaConf.select(compose(hydra, config_name, rest), key, default=_ABSENT) is not _ABSENT:
            continue  # a key the config has: Hydra's own rules for + and ++
        added_keys.check_added(cfg, key, str(override.input_line))


_ABSENT = object()

#: Groups whose every option names itself (``name:``): runs, records and comparisons use it.
NAMED_GROUPS = ("data", "model", "optimizer", "schedule", "task")


def check_named(cfg: DictConfig, user_config_dir: str | None) -> None:
    """ConfigError naming the file and the key when a group's option (often one's own YAML under
    ``--config-dir``) has no ``name`` — found here, not by the code that records the run's failure."""
    choices = chosen_options(cfg)
    for group in NAMED_GROUPS:
        node = cfg.get(group)
        if isinstance(node, DictConfig) and OmegaConf.select(node, "name", default=None) is None:
            option = str(choices.get(group, "?"))
            where = Path(user_config_dir or "", group, f"{option}.yaml") if user_config_dir else None
            shown = f" ({where})" if where is not None and where.is_file() else ""
            raise ConfigError(
                f"{group}={option}{shown} — has no key 'name'; every {group} config names itself: add name: {option}"
            )


def check_grid_values(cfg: DictConfig, overrides: list[Override]) -> None:
    """Hydra's basic sweeper runs a grid of values: an ``interval(…)`` (a continuous range, which a
    search draws from) is Hydra's traceback after the preflight otherwise, and so is a key it does not
    take (``+hydra.sweeper.foo=1``)."""
    if sweeper_class(cfg) not in ("BasicSweeper", "KexpBasicSweeper"):
        return
    from kexp.search.plugin_spellings import check_sweeper_keys, sweeper_keys

    check_sweeper_keys(cfg.hydra.sweeper, sweeper_keys("basic"), "the basic sweeper")
    for override in overrides:
        if override.is_sweep_override() and not override.is_discrete_sweep():
            raise ConfigError(
                f"{override.input_line} — a continuous range, which a search draws from (python -m kexp -m "
                f"hparams_search=optuna {shlex.quote(str(override.input_line))}); a sweep takes values: a,b,c "
                "or range(…)"
            )


def check_search(cfg: DictConfig, arguments: list[str], command_line: list[str]) -> None:
    """``hparams_search=optuna``: its settings, search space and budget work, its storage opens
    (and is created if new) — :func:`kexp.search.preflight.check_search`."""
    if sweeper_class(cfg) == "KexpOptunaSweeper" and not is_search(cfg):
        raise ConfigError(
            "hydra/sweeper=optuna — kexp's search is chosen with hparams_search=optuna, which picks this sweeper "
            "and gives it its settings: python -m kexp -m hparams_search=optuna …"
        )
    if is_search(cfg):
        from kexp.config.flat import flat_config
        from kexp.search.preflight import check_search as check
        from kexp.search.quiet import quiet_experimental

        sweeper = OmegaConf.to_container(cfg.hydra.sweeper, resolve=True)
        with quiet_experimental():
            check(sweeper, flat_config(cfg), arguments, given_sweep_dir(command_line))  # type: ignore[arg-type]


def check_race(cfg: DictConfig, arguments: list[str]) -> None:
    """``hydra/sweeper=race``: its settings, its grid (two configurations or more, no ``seed``, no
    interval) and its one objective — :func:`kexp.race.run.race_settings`, :func:`kexp.race.grid.race_grid`."""
    sweeper = race_sweeper(cfg)
    if sweeper is None:
        return
    from kexp.race.grid import race_grid
    from kexp.race.run import race_settings

    if isinstance(sweeper.get("objective"), list):
        raise ConfigError.bad_value("objective", sweeper["objective"], "a race takes one objective")
    race_grid([a for a in arguments if not a.startswith(("hydra/", "hydra."))], race_settings(sweeper))


def given_sweep_dir(overrides: list[str]) -> str | None:
    """A literal ``hydra.sweep.dir=DIR`` of the command line (without interpolations), else None."""
    given = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra.sweep.dir=")), None)
    return given if given and "${" not in given else None


def parse_args(argv: list[str]) -> Namespace:
    """Hydra's own command-line parse of ``argv``."""
    return hydra_compat.parse_args(argv)


def create_hydra(args: Namespace):
    """A Hydra instance over kexp's configs plus ``--config-dir``, as ``@hydra.main`` makes."""
    from kexp.config.schema import register_schemas

    if args.config_dir is not None and not os.path.isdir(args.config_dir):
        raise ConfigError(f"--config-dir {args.config_dir} — no such directory")
    register_schemas()
    return hydra_compat.create_hydra(str(config_dir()), args.config_dir)


def parse_overrides(texts: list[str], hydra) -> list[Override]:
    """Hydra's parse of the overrides (with the config loader, so ``glob`` can list options)."""
    parser = OverridesParser.create(config_loader=hydra.config_loader)
    for text in texts:
        try:
            parser.parse_overrides([text])
        except HydraException as err:
            first = hydra_compat.parse_error_reason(str(err))
            raise ConfigError(
                f"{text} — not a valid override ({first}); see https://hydra.cc/docs/advanced/override_grammar/basic/"
            ) from err
    return parser.parse_overrides(texts)


def compose(hydra, config_name: str, overrides: list[str]) -> DictConfig:
    """Compose one job's config; Hydra's multi-line errors become one ConfigError line."""
    try:
        return hydra_compat.compose(hydra, config_name, overrides)
    except (HydraException, OmegaConfBaseException) as err:
        raise explain(hydra, config_name, overrides, err) from err

"""What the notebook API returns: a run's and a sweep's files, read back as pandas and matplotlib objects."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kexp.runs import layout

if TYPE_CHECKING:
    import pandas as pd
    from omegaconf import DictConfig


@dataclass
class Result:
    """One finished run: its directory and what is in it."""

    run_dir: Path

    @cached_property
    def metrics(self) -> pd.Series:
        """``metrics.csv``'s one row (parameters, scores, time, status)."""
        import pandas as pd

        return pd.read_csv(self.run_dir / layout.METRICS_FILE).iloc[0]

    @cached_property
    def history(self) -> pd.DataFrame:
        """``history.csv``: one row per epoch."""
        return layout.read_history(self.run_dir)

    @cached_property
    def config(self) -> DictConfig:
        """The run's resolved config (``.hydra/config.yaml``)."""
        from omegaconf import DictConfig, OmegaConf

        loaded = OmegaConf.load(self.run_dir / layout.HYDRA_CONFIG)
        assert isinstance(loaded, DictConfig)
        return loaded

    @property
    def status(self) -> str:
        """ok, diverged, interrupted, …"""
        return str(self.metrics["status"])

    def load_model(self):
        """The trained ``model.keras`` (imports Keras in this process)."""
        from kexp.runs.saved import load_model

        return load_model(self.run_dir, uses_keras_hub=bool(self.config.model.get("preset")))

    def curves(self):
        """Accuracy and loss per epoch as a matplotlib Figure (the run's ``curves.png``)."""
        from kexp.reporting.curves import curves_figure

        return curves_figure(self.history, title=str(self.metrics["name"]))

    def _repr_html_(self) -> str:
        shown = self.metrics.to_frame().T.drop(columns=["error"], errors="ignore").to_html(index=False)
        return f"<p><code>{html.escape(str(self.run_dir))}</code></p>{shown}{_image_html(self.run_dir / layout.CURVES_FILE)}"


@dataclass
class Sweep:
    """A finished sweep: its directory, its runs and the comparison written at its end."""

    sweep_dir: Path
    runs: list[Result]

    @cached_property
    def summary(self) -> pd.DataFrame:
        """``summary.csv``: one row per run (the swept keys, the scores)."""
        import pandas as pd

        return pd.read_csv(self.sweep_dir / layout.SUMMARY_CSV)

    @property
    def figures(self) -> dict[str, Path]:
        """The comparison's images (``compare_accuracy.png``, ``compare_loss.png``, …) by name."""
        return {path.stem: path for path in sorted(self.sweep_dir.glob("compare_*.png"))}

    @property
    def report(self) -> Path:
        """``report.html``: the whole comparison."""
        return self.sweep_dir / layout.REPORT_FILE

    def _repr_html_(self) -> str:
        table = self.summary.drop(columns=["dir"], errors="ignore").to_html(index=False)
        images = "".join(_image_html(path) for path in self.figures.values())
        return f"<p><code>{html.escape(str(self.sweep_dir))}</code></p>{table}{images}"


def _image_html(path: Path) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:100%"/>'

"""A sweep's figure helper: the same PNGs as rendered here, failures named, signals ignored."""

import os
import signal

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from kexp.reporting.confusion import confusion_figure
from kexp.reporting.curves import curves_figure
from kexp.runs import figure_helper
from kexp.runs.atomic import draw_figure, save_figure, save_figure_of

HISTORY = pd.DataFrame({"epoch": [1, 2, 3], "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.65],
                        "loss": [1.2, 0.8, 0.6], "val_loss": [1.3, 1.0, 0.9]})


@pytest.fixture
def helper():
    figure_helper.start()
    yield
    figure_helper.finish()
    figure_helper.take_failures()


def test_the_helper_writes_each_figure_as_this_process_would_and_names_what_it_could_not(helper, tmp_path):
    curves = curves_figure(HISTORY, "mlp-adam")
    save_figure(curves, tmp_path / "curves.png")  # (made here, rendered there)
    assert figure_helper.hand_over(curves_figure, (HISTORY, "mlp-adam"), tmp_path / "made_there.png", 100)
    figure_helper.wait()
    draw_figure(curves, tmp_path / "here.png")
    assert (tmp_path / "curves.png").read_bytes() == (tmp_path / "here.png").read_bytes()
    assert (tmp_path / "made_there.png").read_bytes() == (tmp_path / "here.png").read_bytes()

    # Ctrl-C and SIGTERM are the sweep's to act on; the helper goes on with what it was given
    helper_pid = figure_helper._helper.process.pid
    os.kill(helper_pid, signal.SIGINT)
    os.kill(helper_pid, signal.SIGTERM)
    names = [str(n) for n in range(10)]
    table = pd.DataFrame(np.eye(10, dtype=int) * 7, index=pd.Index(names, name="true"),
                         columns=pd.Index(names, name="predicted"))
    save_figure_of(confusion_figure, (table, "digits"), tmp_path / "confusion_matrix.png")
    save_figure(curves, tmp_path / "no such folder" / "curves.png")  # cannot be written there

    # a figure that cannot be pickled (a lambda formats its ticks) is rendered here, at once
    odd = Figure()
    odd.subplots().xaxis.set_major_formatter(lambda value, position: f"<{value:g}>")
    assert not figure_helper.hand_over(lambda: odd, (), tmp_path / "odd.png", 100)
    save_figure(odd, tmp_path / "odd.png")
    assert (tmp_path / "odd.png").is_file()

    figure_helper.finish()
    assert (tmp_path / "confusion_matrix.png").stat().st_size > 10_000
    failures = figure_helper.take_failures()
    assert len(failures) == 1, failures
    assert failures[0].startswith(f"could not write {tmp_path / 'no such folder' / 'curves.png'}: FileNotFoundError")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".partial.")]  # (atomic, as here)
    # once finished, figures are rendered here again
    assert not figure_helper.hand_over(curves_figure, (HISTORY,), tmp_path / "again.png", 100)


def test_a_helper_that_died_loses_nothing_silently(helper, tmp_path):
    figure_helper.hand_over(curves_figure, (HISTORY,), tmp_path / "first.png", 100)
    figure_helper.wait()
    process = figure_helper._helper.process
    os.kill(process.pid, signal.SIGSTOP)
    small = Figure(figsize=(1, 1))  # (its few kB wait in the pipe's buffer)
    save_figure(small, tmp_path / "lost.png")
    process.kill()
    process.wait()
    figure_helper._helper.reader.join()
    # the helper is gone: the next figure is rendered here
    save_figure(curves_figure(HISTORY), tmp_path / "second.png")
    assert (tmp_path / "second.png").is_file()
    figure_helper.finish()
    assert figure_helper.take_failures() == [
        f"the figure helper ended (exit status {-signal.SIGKILL}) before writing 1 figure(s)"]
    assert not (tmp_path / "lost.png").exists()

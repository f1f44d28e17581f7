"""Plots return figures without a display; keep_path records every iterate."""

import sys

import numpy as np
import pytest

import descend


def test_keep_path_records_every_iterate():
    seen = []
    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1, max_iter=7,
                         keep_path=True, callback=lambda info: seen.append(info.nit))
    assert r.path.shape == (r.nit + 1, 2)
    np.testing.assert_array_equal(r.path[0], [0.0, 0.0])
    np.testing.assert_array_equal(r.path[-1], r.x)
    assert seen == list(range(1, r.nit + 1))  # the user's callback still runs
    values = [descend.problems.bowl().value(x) for x in r.path]
    np.testing.assert_allclose(values, r.history.loss)
    assert descend.minimize(descend.problems.bowl(), [0.0, 0.0]).path is None
    with pytest.raises(TypeError, match="keep_path must be True or False"):
        descend.minimize(descend.problems.bowl(), [0.0, 0.0], keep_path="yes")


def test_plots_without_matplotlib_say_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    r = descend.minimize(descend.problems.bowl(), [0.0, 0.0])
    with pytest.raises(ImportError, match=r"pip install 'descend\[plot\]'"):
        descend.plot.loss_curves(r)


@pytest.fixture
def plt():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_loss_curves_returns_a_figure(plt):
    f = descend.problems.rosenbrock()
    runs = [descend.minimize(f, [-1.2, 1.0], lr=lr, max_iter=200) for lr in (1e-4, 1e-3)]
    fig = descend.plot.loss_curves(runs, ["slow", "fast"], x="time")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert "fast" in ax.get_legend().get_texts()[1].get_text()
    fig2, ax2 = plt.subplots()
    assert descend.plot.loss_curves(runs[0], ax=ax2, log=False) is fig2


def test_trajectory_draws_each_path(plt):
    f = descend.Quadratic(np.diag([1.0, 20.0]))
    runs = [descend.minimize(f, [3.0, 1.0], lr=lr, max_iter=100, keep_path=True)
            for lr in (0.05, 0.09)]
    fig = descend.plot.trajectory(f, runs, ["0.05", "0.09"], resolution=40)
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_lr_sweep_marks_divergence(plt):
    fig, runs = descend.plot.lr_sweep(descend.problems.bowl(), [0.0, 0.0],
                                      [0.01, 0.1, 0.5, 1.2], max_iter=200)
    assert [r.status for r in runs][-1] == "diverged"
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "diverged" in labels


@pytest.mark.parametrize("call, error, match", [
    (lambda: descend.plot.loss_curves([]), TypeError, "results must be"),
    (lambda: descend.plot.loss_curves(["x"]), TypeError, "results must be"),
    (lambda: descend.plot.loss_curves(
        descend.minimize(descend.problems.bowl(), [0.0, 0.0]), ["a", "b"]), ValueError,
     "one entry per result"),
    (lambda: descend.plot.loss_curves(
        descend.minimize(descend.problems.bowl(), [0.0, 0.0]), x="epoch"), ValueError,
     "x must be"),
    (lambda: descend.plot.trajectory(descend.problems.rosenbrock(3),
                                     descend.minimize(descend.problems.rosenbrock(3),
                                                      [0.0] * 3, max_iter=2)), ValueError,
     "two parameters"),
    (lambda: descend.plot.trajectory(descend.problems.bowl(),
                                     descend.minimize(descend.problems.bowl(), [0.0, 0.0])),
     ValueError, "keep_path=True"),
    (lambda: descend.plot.lr_sweep(descend.problems.bowl(), [0.0, 0.0], [0.1, -1.0]),
     ValueError, "lrs must be"),
])
def test_plot_bad_inputs(plt, call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_verbose_logs_the_outcome(caplog, monkeypatch):
    import logging

    with caplog.at_level(logging.INFO, logger="descend"):
        descend.minimize(descend.problems.bowl(), [0.0, 0.0], lr=0.1, verbose=True)
    assert "gd: converged after" in caplog.text


def test_verbose_shows_a_bar_for_long_runs(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    from descend import _progress

    monkeypatch.setattr(_progress, "BAR_AFTER_SECONDS", 0.0)
    descend.minimize(descend.problems.rosenbrock(), [-1.2, 1.0], lr=1e-3, max_iter=300,
                     verbose=True)
    assert "gd" in capsys.readouterr().err


def test_verbose_without_tqdm_logs_progress(caplog, monkeypatch):
    import logging

    from descend import _progress

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(_progress, "BAR_AFTER_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="descend"):
        descend.minimize(descend.problems.rosenbrock(), [-1.2, 1.0], lr=1e-3, max_iter=300,
                         verbose=True)
    assert "install tqdm" in caplog.text and "iteration 200" in caplog.text
